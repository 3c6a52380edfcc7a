// How the CLI's single-file builds find what scripts/build-dist.js computed ahead of time
// (prebuilt.ts): raw bytes in a file beside the bundle, read when first asked for. Apart from
// prebuilt.ts, whose computing needs the whole VMM, so that a bundle of user mode alone
// carries none of the rest.
import { openSync, readSync } from "node:fs";
import { usePrebuilt } from "../arch/riscv/cpu.js";

/** Where a byte array lies in the file: [offset, length]. */
export type Extent = readonly [number, number];

/** Where the file holds each interpreter (by cpu.ts's key) and the compressed-instruction table. */
export interface PrebuiltIndex {
  readonly interpreters: Readonly<Record<string, Extent>>;
  readonly compressedTable?: Extent;
}

/**
 * Hands the prebuilt bytes in `file` (laid out as `index` says) to the CPU (cpu.ts usePrebuilt),
 * each read when asked for. The file stays open from now on: the build replaces it by a rename,
 * so a process started before a rebuild goes on reading the bytes its bundle was built with.
 */
export function installPrebuilt(index: PrebuiltIndex, file: string): void {
  const fd = openSync(file, "r");
  const read =
    ([offset, length]: Extent) =>
    () => {
      const bytes = new Uint8Array(length);
      if (readSync(fd, bytes, 0, length, offset) !== length) throw new Error(`${file}: cut short`);
      return bytes;
    };
  const interpreters = new Map(Object.entries(index.interpreters).map(([k, e]) => [k, read(e)]));
  const table = index.compressedTable && read(index.compressedTable);
  let entries: Uint32Array | undefined; // every process and board copies it into its memory
  usePrebuilt(interpreters, table && (() => (entries ??= new Uint32Array(table().buffer))));
}
