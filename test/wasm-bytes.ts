// Reading a wasm module's bytes in tests (the emitter, src/core/wasm.ts, only writes them).

/** An unsigned LEB128 at `at`: its value and the offset after it. */
export function readUleb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, at];
  }
}

/** A module's sections by id (custom ones by name): where each one's content starts and ends. */
export function sections(bytes: Uint8Array): Map<number | string, [number, number]> {
  const out = new Map<number | string, [number, number]>();
  for (let at = 8; at < bytes.length;) {
    const id = bytes[at];
    const [size, start] = readUleb(bytes, at + 1);
    if (id === 0) {
      const [length, text] = readUleb(bytes, start);
      out.set(new TextDecoder().decode(bytes.subarray(text, text + length)), [text + length, start + size]);
    } else out.set(id, [start, start + size]);
    at = start + size;
  }
  return out;
}
