// virtio-blk (VIRTIO 1.2 §5.2) over a raw image file the board has opened: synchronous reads
// and writes at sector offsets, T_FLUSH as fsync (the data is durable once the request
// completes), T_GET_ID with a serial string. Requests are read as byte streams (§2.7.4: no
// assumption about how the driver splits them into descriptors): a 16-byte header, the data,
// and a status byte at the very end of the writable part.
import { fstatSync, fsyncSync, readSync, writeSync } from "node:fs";
import type { VirtioBackend } from "./mmio.js";
import { spans, type DescChain, type Virtqueue } from "./queue.js";

const VIRTIO_BLK_F_SEG_MAX = 1n << 2n;
const VIRTIO_BLK_F_RO = 1n << 5n;
const VIRTIO_BLK_F_BLK_SIZE = 1n << 6n;
const VIRTIO_BLK_F_FLUSH = 1n << 9n;

const VIRTIO_BLK_T_IN = 0;
const VIRTIO_BLK_T_OUT = 1;
const VIRTIO_BLK_T_FLUSH = 4;
const VIRTIO_BLK_T_GET_ID = 8;

const VIRTIO_BLK_S_OK = 0;
const VIRTIO_BLK_S_IOERR = 1;
const VIRTIO_BLK_S_UNSUPP = 2;

const SECTOR_BYTES = 512;
const HEADER_BYTES = 16; // le32 type, le32 reserved, le64 sector
const ID_BYTES = 20;
/** Data segments per request; with the header and status a request fits twice in a full queue. */
const SEG_MAX = 126;

export interface VirtioBlkOptions {
  /** Offer VIRTIO_BLK_F_RO and refuse writes. */
  readOnly?: boolean;
  /** What T_GET_ID answers (up to 20 bytes). */
  serial?: string;
}

interface Outcome {
  status: number;
  written: number; // data bytes written into the request's writable part, before the status byte
}

export class VirtioBlk implements VirtioBackend {
  readonly deviceId = 2;
  readonly queueCount = 1;
  readonly features: bigint;
  readonly config: Uint8Array;
  readonly capacitySectors: number;
  readonly readOnly: boolean;
  private readonly id: Uint8Array;

  /** `fd` is an open raw image (opened read-only when `readOnly`); its size is the disk's. */
  constructor(
    private readonly fd: number,
    options: VirtioBlkOptions = {},
  ) {
    this.readOnly = options.readOnly ?? false;
    this.capacitySectors = Math.floor(fstatSync(fd).size / SECTOR_BYTES);
    this.features =
      VIRTIO_BLK_F_SEG_MAX |
      VIRTIO_BLK_F_BLK_SIZE |
      VIRTIO_BLK_F_FLUSH |
      (this.readOnly ? VIRTIO_BLK_F_RO : 0n);
    // struct virtio_blk_config up to blk_size: capacity, size_max, seg_max, geometry, blk_size.
    this.config = new Uint8Array(24);
    const dv = new DataView(this.config.buffer);
    dv.setBigUint64(0, BigInt(this.capacitySectors), true);
    dv.setUint32(12, SEG_MAX, true);
    dv.setUint32(20, SECTOR_BYTES, true);
    this.id = new Uint8Array(ID_BYTES);
    this.id.set(new TextEncoder().encode(options.serial ?? "hartwood").subarray(0, ID_BYTES));
  }

  reset(): void {}

  process(q: Virtqueue): void {
    for (let c = q.pop(); c; c = q.pop()) {
      const header = q.read(c, 0, HEADER_BYTES);
      if (!header || c.writableBytes < 1) {
        q.fail("block request without its 16-byte header or status byte");
        return;
      }
      const dv = new DataView(header.buffer);
      const type = dv.getUint32(0, true);
      const sector = dv.getUint32(12, true) * 0x1_0000_0000 + dv.getUint32(8, true);
      const { status, written } = this.serve(q, c, type, sector);
      q.write(c, c.writableBytes - 1, Uint8Array.of(status));
      q.push(c, written + 1);
    }
  }

  private serve(q: Virtqueue, c: DescChain, type: number, sector: number): Outcome {
    const fail = (status: number): Outcome => ({ status, written: 0 });
    switch (type) {
      case VIRTIO_BLK_T_IN: {
        const bytes = c.writableBytes - 1;
        if (!this.fits(sector, bytes)) return fail(VIRTIO_BLK_S_IOERR);
        return this.transfer(q, c.writable, 0, bytes, sector, "read");
      }
      case VIRTIO_BLK_T_OUT: {
        const bytes = c.readableBytes - HEADER_BYTES;
        if (this.readOnly || !this.fits(sector, bytes)) return fail(VIRTIO_BLK_S_IOERR);
        const r = this.transfer(q, c.readable, HEADER_BYTES, bytes, sector, "write");
        return { status: r.status, written: 0 };
      }
      case VIRTIO_BLK_T_FLUSH:
        try {
          if (!this.readOnly) fsyncSync(this.fd);
          return fail(VIRTIO_BLK_S_OK);
        } catch {
          return fail(VIRTIO_BLK_S_IOERR);
        }
      case VIRTIO_BLK_T_GET_ID: {
        const bytes = Math.min(ID_BYTES, c.writableBytes - 1);
        q.write(c, 0, this.id.subarray(0, bytes));
        return { status: VIRTIO_BLK_S_OK, written: bytes };
      }
      default:
        return fail(VIRTIO_BLK_S_UNSUPP);
    }
  }

  /** Whether whole sectors [sector, sector + bytes / 512) lie on the disk. */
  private fits(sector: number, bytes: number): boolean {
    return (
      bytes % SECTOR_BYTES === 0 &&
      sector <= this.capacitySectors &&
      sector + bytes / SECTOR_BYTES <= this.capacitySectors
    );
  }

  /** Moves `bytes` bytes between the file at `sector` and the guest buffers, with no copy. */
  private transfer(
    q: Virtqueue,
    segments: DescChain["readable"],
    offset: number,
    bytes: number,
    sector: number,
    dir: "read" | "write",
  ): Outcome {
    let position = sector * SECTOR_BYTES;
    try {
      for (const s of spans(segments, offset, bytes)) {
        const view = q.mem.view(s.addr, s.len);
        if (!view) return { status: VIRTIO_BLK_S_IOERR, written: 0 };
        for (let done = 0; done < s.len;) {
          const n =
            dir === "read"
              ? readSync(this.fd, view, done, s.len - done, position + done)
              : writeSync(this.fd, view, done, s.len - done, position + done);
          if (n <= 0) {
            if (dir === "write") return { status: VIRTIO_BLK_S_IOERR, written: 0 };
            view.fill(0, done); // the image shrank under us: read as zeros
            break;
          }
          done += n;
        }
        if (dir === "read") q.mem.touched(s.addr, s.len);
        position += s.len;
      }
    } catch {
      return { status: VIRTIO_BLK_S_IOERR, written: 0 };
    }
    return { status: VIRTIO_BLK_S_OK, written: dir === "read" ? bytes : 0 };
  }
}
