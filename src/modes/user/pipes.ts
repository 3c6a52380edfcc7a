// In-memory files between guest threads and processes: pipes (also behind FIFOs, see fifo.ts)
// and eventfds. Writes never block (a pipe's buffer grows); a read that would block waits
// through onReadable.
import { ERRNO, O } from "./abi.js";
import {
  bumpEdges,
  EDGE_ALL,
  EDGE_IN,
  EDGE_OUT,
  GuestFile,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  type StatInfo,
} from "./files.js";
import { SysError } from "./syscall.js";

/** Copies bytes from the front of `chunks` into `dst` (removing them unless `peek`); returns how many. */
export function takeBytes(chunks: Uint8Array[], dst: Uint8Array, peek: boolean): number {
  let n = 0;
  for (let i = 0; n < dst.length && i < chunks.length;) {
    const c = chunks[i];
    const k = Math.min(c.length, dst.length - n);
    dst.set(c.subarray(0, k), n);
    n += k;
    if (peek) i++;
    else if (k === c.length) chunks.shift();
    else chunks[0] = c.subarray(k);
  }
  return n;
}

/** An in-memory pipe between guest threads and processes (pipe2, or a FIFO opened by name); writes never block (the buffer grows). */
let pipes = 0;

export class Pipe {
  /** Its number in /proc/self/fd names ("pipe:[n]"). */
  readonly id = ++pipes;
  private chunks: Uint8Array[] = [];
  size = 0;
  /** Open ends that read and that write (an O_RDWR FIFO end counts in both). */
  readers = 0;
  writers = 0;
  /** How many times a reading or a writing end was ever opened: a FIFO's open waits for the other kind. */
  readOpens = 0;
  writeOpens = 0;
  /** Called when the last end closes (a FIFO forgets its buffer then). */
  unused: (() => void) | undefined;
  private waiters = new Set<() => void>();
  /** Shared by its ends: a write wakes readers, a close wakes both sides (pipe_write, pipe_release). */
  readonly edges = { in: 0, out: 0 };

  take(dst: Uint8Array, peek = false): number {
    const n = takeBytes(this.chunks, dst, peek);
    if (!peek) this.size -= n;
    return n;
  }

  put(src: Uint8Array): void {
    this.chunks.push(src.slice());
    this.size += src.length;
    this.notify(EDGE_IN);
  }

  notify(kind = EDGE_ALL): void {
    bumpEdges(this.edges, kind);
    for (const w of [...this.waiters]) w();
  }

  wait(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
}

/** An open end of a pipe: its access mode says whether it reads, writes, or (a FIFO opened O_RDWR) both. */
export class PipeEnd extends GuestFile {
  readonly reads: boolean;
  readonly writes: boolean;
  /** A named FIFO's host stat (fstat shows the file). */
  inode: StatInfo | undefined;

  constructor(
    readonly pipe: Pipe,
    flags: number,
  ) {
    super(flags);
    this.edges = pipe.edges;
    this.reads = (flags & O.ACCMODE) !== O.WRONLY;
    this.writes = (flags & O.ACCMODE) !== O.RDONLY;
    if (this.reads) [pipe.readers, pipe.readOpens] = [pipe.readers + 1, pipe.readOpens + 1];
    if (this.writes) [pipe.writers, pipe.writeOpens] = [pipe.writers + 1, pipe.writeOpens + 1];
    pipe.notify();
  }
  override anonName(): string {
    return `pipe:[${this.pipe.id}]`;
  }
  override unread(): number {
    return this.pipe.size;
  }
  override read(dst: Uint8Array): number | undefined {
    if (!this.reads) throw new SysError(ERRNO.EBADF);
    if (this.pipe.size > 0) return this.pipe.take(dst);
    if (this.pipe.writers === 0 || dst.length === 0) return 0;
    if (this.flags & O.NONBLOCK) throw new SysError(ERRNO.EAGAIN);
    return undefined;
  }
  override write(src: Uint8Array): number {
    if (!this.writes) throw new SysError(ERRNO.EBADF);
    if (this.pipe.readers === 0) throw new SysError(ERRNO.EPIPE);
    this.pipe.put(src);
    return src.length;
  }
  override stat(): StatInfo | undefined {
    return this.inode;
  }
  override onReadable(fn: () => void): () => void {
    return this.pipe.wait(fn);
  }
  override poll(): number {
    const pipe = this.pipe;
    let mask = 0;
    if (this.reads)
      mask |= (pipe.size > 0 || pipe.writers === 0 ? POLLIN : 0) | (pipe.writers === 0 ? POLLHUP : 0);
    if (this.writes) mask |= POLLOUT | (pipe.readers === 0 ? POLLERR : 0); // as pipe_poll
    return mask;
  }
  protected override close(): void {
    if (this.reads) this.pipe.readers--;
    if (this.writes) this.pipe.writers--;
    this.pipe.notify();
    if (this.pipe.readers === 0 && this.pipe.writers === 0) this.pipe.unused?.();
  }
}

/** eventfd(2): a 64-bit counter; reads block while it is zero. */
export class EventFd extends GuestFile {
  private readonly waiters = new Set<() => void>();
  constructor(
    public count: bigint,
    flags: number,
    private readonly semaphore: boolean,
  ) {
    super(flags | O.RDWR);
  }
  override read(dst: Uint8Array): number | undefined {
    if (dst.length < 8) throw new SysError(ERRNO.EINVAL);
    if (this.count === 0n) {
      if (this.flags & O.NONBLOCK) throw new SysError(ERRNO.EAGAIN);
      return undefined;
    }
    const v = this.semaphore ? 1n : this.count;
    this.count -= v;
    new DataView(dst.buffer, dst.byteOffset).setBigUint64(0, v, true);
    this.notify(EDGE_OUT); // eventfd_read wakes with EPOLLOUT, eventfd_write with EPOLLIN
    return 8;
  }
  override write(src: Uint8Array): number {
    if (src.length < 8) throw new SysError(ERRNO.EINVAL);
    const v = new DataView(src.buffer, src.byteOffset).getBigUint64(0, true);
    if (v === 0xffffffffffffffffn) throw new SysError(ERRNO.EINVAL);
    this.count += v;
    this.notify(EDGE_IN);
    return 8;
  }
  override stat(): StatInfo | undefined {
    return undefined;
  }
  override poll(): number {
    return (this.count > 0n ? POLLIN : 0) | POLLOUT;
  }
  override onReadable(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
  private notify(kind: number): void {
    bumpEdges(this.edges, kind);
    for (const w of [...this.waiters]) w();
  }
}
