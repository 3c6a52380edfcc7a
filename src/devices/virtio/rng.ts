// virtio-rng (VIRTIO 1.2 §5.4): every device-writable buffer the driver offers comes back
// filled with bytes from the host's cryptographic generator.
import type { VirtioBackend } from "./mmio.js";
import type { Virtqueue } from "./queue.js";

const FILL_CHUNK = 1 << 20;

export class VirtioRng implements VirtioBackend {
  readonly deviceId = 4;
  readonly queueCount = 1;
  readonly features = 0n;
  readonly config = new Uint8Array(0);

  reset(): void {}

  process(q: Virtqueue): void {
    for (let c = q.pop(); c; c = q.pop()) {
      for (const s of c.writable) {
        const view = q.mem.view(s.addr, s.len);
        if (!view) return void q.fail("entropy buffer outside RAM");
        // randomFillSync takes at most 2^31 - 1 bytes at a time; a guest buffer may be larger.
        const { randomFillSync } = process.getBuiltinModule("node:crypto"); // not loaded at start-up
        for (let at = 0; at < view.length; at += FILL_CHUNK)
          randomFillSync(view.subarray(at, at + FILL_CHUNK));
        q.mem.touched(s.addr, s.len);
      }
      q.push(c, c.writableBytes);
    }
  }
}
