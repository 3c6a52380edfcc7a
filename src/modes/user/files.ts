// Open files of the guest: host files and directories, host streams (terminals, pipes and
// sockets inherited or opened: reads may block, so they run asynchronously), and synthetic
// files (/proc, /dev); in-memory pipes and eventfds are in pipes.ts, socketpair's sockets in
// sockets.ts. The fd table maps guest fds onto them; dup'd fds share one open file
// (and its offset), as in Linux.
import * as fs from "node:fs";
import type { Readable } from "node:stream";
import { ERRNO, hostErrno, O } from "./abi.js";
import type { UserProcess } from "./process.js";
import { SysError } from "./syscall.js";
import type { Thread } from "./thread.js";

export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFSOCK = 0o140000;

/** What fstat reports: the host's bigint stats, or synthesized ones. */
export interface StatInfo {
  dev: bigint;
  ino: bigint;
  mode: bigint;
  nlink: bigint;
  uid: bigint;
  gid: bigint;
  rdev: bigint;
  size: bigint;
  blksize: bigint;
  blocks: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  birthtimeNs: bigint;
}

/** How a file's host callbacks reach the scheduler (see UserProcess.wake). */
export interface HostWork {
  wake(fn: () => void): void;
  /** Called when a signal is queued in the process (signalfd's readiness). */
  readonly signalWaiters: Set<() => void>;
  /** Counts those signals, for signalfds in edge-triggered epoll entries. */
  readonly signalEdges: Edges;
}

/**
 * Wake-ups of a file's waiters, counted for epoll's edge-triggered entries (EPOLLET): `in`
 * when something arrives to read, `out` when room to write appears; a hangup or an error
 * counts in both. Linux passes such a key to its wait queues, and an entry hears only the
 * wake-ups whose key meets its events (ep_poll_callback).
 */
export interface Edges {
  in: number;
  out: number;
}
export const EDGE_IN = 1, EDGE_OUT = 2, EDGE_ALL = 3; // prettier-ignore

export function bumpEdges(e: Edges, kind: number): void {
  if (kind & EDGE_IN) e.in++;
  if (kind & EDGE_OUT) e.out++;
}

/** The thread that reads or polls a file: a signalfd answers with that thread's signals. */
export interface Caller {
  readonly p: UserProcess;
  readonly t: Thread;
}

export interface DirEntry {
  name: string;
  ino: bigint;
  /** DT_* */
  type: number;
}

export abstract class GuestFile {
  refs = 1;
  constructor(
    /** Access mode and status flags (O_APPEND, O_NONBLOCK...). */
    public flags: number,
  ) {}
  /** Host path, for host calls on an open file. */
  hostPath: string | undefined;
  /** The guest's name for it (fd-relative paths, /proc/self/fd, /proc/self/maps). */
  guestPath: string | undefined;
  /** Opened from a read-only mount or a synthetic tree: its metadata cannot change. */
  readOnlyMount = false;
  isDir = false;
  /**
   * SO_RCVTIMEO and SO_SNDTIMEO of a socket: how long a blocking receive (or accept) and a
   * blocking send (or connect) wait before they give up; 0 = no limit.
   */
  recvTimeoutUs = 0;
  sendTimeoutUs = 0;
  /** A write that fails with EPIPE also raises SIGPIPE (not on datagram sockets). */
  sigpipe = true;
  /** A directory's listing, read at the first getdents64 (and again after a rewind). */
  dirEntries: DirEntry[] | undefined;
  dirPos = 0;
  /** Reads up to dst.length bytes; undefined = it would block (then wait with onReadable). */
  abstract read(dst: Uint8Array, pos: number | null, caller?: Caller): number | undefined;
  abstract write(src: Uint8Array, pos: number | null): number;
  abstract stat(): StatInfo | undefined;
  /** New offset, or throws ESPIPE. */
  seek(_off: number, _whence: number): number {
    throw new SysError(ERRNO.ESPIPE);
  }
  /** The host fd when there is one (ioctl, tty checks). */
  hostFd(): number | undefined {
    return undefined;
  }
  /**
   * Calls `fn` whenever a read that would block may now make progress (`want` bytes are
   * wanted); returns the function that unregisters it.
   */
  onReadable(_fn: () => void, _host: HostWork): () => void {
    return () => {};
  }
  /** Its wake-ups so far (see Edges); files that share a buffer share them. */
  edges: Edges = { in: 0, out: 0 };
  /** The wake-ups epoll counts for this file when `host` polls it (a signalfd: the process's signals). */
  edgesFor(_host: HostWork): Edges {
    return this.edges;
  }
  /** Bytes a read would take now (FIONREAD). */
  unread(): number {
    return 0;
  }
  /** Readiness for poll/epoll: POLL* bits (never blocking by default). */
  poll(_caller?: Caller): number {
    return POLLIN | POLLOUT;
  }
  /** flock's lock held through this open file: dropped at its last close (flock.ts). */
  unlock: (() => void) | undefined;
  release(): void {
    if (--this.refs > 0) return;
    this.unlock?.();
    this.close();
  }
  protected close(): void {}
  /** What readlink of /proc/self/fd/N says for a file without a path. */
  anonName(): string {
    return "anon_inode:[file]";
  }
}

/**
 * isatty(3) of a host descriptor. node:tty (and node:net and node:stream, which it loads: 5-10
 * ms of a short run) comes only for a character device that could be a terminal: a pipe or a
 * file, and on Linux /dev/null and the other memory devices (major number 1, never a
 * terminal), answer from fstat(2). libc asks about stdout at its first write.
 */
export function isatty(fd: number): boolean {
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch {
    return false; // not open: tty.isatty says no too
  }
  if (!st.isCharacterDevice() || (process.platform === "linux" && linuxMajor(st.rdev) === 1)) return false;
  return process.getBuiltinModule("node:tty").isatty(fd);
}

/** The major number of a Linux device number (glibc's gnu_dev_major). */
function linuxMajor(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

/**
 * The host path that names what host descriptor `fd` holds, whatever has been renamed since
 * it was opened: "/proc/self/fd/N" on Linux; undefined elsewhere (callers then fall back to
 * the path the file was opened by, which a guest could have redirected meanwhile).
 */
export function fdPath(fd: number): string | undefined {
  return process.platform === "linux" ? `/proc/self/fd/${fd}` : undefined;
}

/** fstat of any open file: the host's, or made up for synthetic files and pipes. */
export function fileStat(file: GuestFile): StatInfo {
  const st = file.stat();
  if (st) return st;
  const mem = file instanceof MemFile;
  return syntheticStat(mem ? S_IFREG | 0o444 : S_IFIFO | 0o600, mem ? file.data.length : 0, 1n);
}

const STARTED_NS = BigInt(Date.now()) * 1_000_000n;

/** Stat of something that is not on the host (synthetic files and directories, pipes). */
export function syntheticStat(mode: number, size: number, ino: bigint): StatInfo {
  return {
    dev: 0n, ino, mode: BigInt(mode), nlink: mode & S_IFDIR ? 2n : 1n, uid: BigInt(process.getuid?.() ?? 0),
    gid: BigInt(process.getgid?.() ?? 0), rdev: 0n, size: BigInt(size), blksize: 4096n, blocks: 0n,
    atimeNs: STARTED_NS, mtimeNs: STARTED_NS, ctimeNs: STARTED_NS, birthtimeNs: STARTED_NS,
  }; // prettier-ignore
}

export const POLLIN = 1;
export const POLLOUT = 4;
export const POLLERR = 8;
export const POLLHUP = 0x10;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const PUSHBACK_MAX = 1 << 20;

const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2; // prettier-ignore

/** Retries a host call that fails with EAGAIN on a non-blocking host fd (stdio shared with Node). */
function retryAgain<T>(fn: () => T): T {
  for (let spins = 0; ; spins++) {
    try {
      return fn();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN" || spins > 100_000) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

export class HostFile extends GuestFile {
  pos = 0;
  /** Bytes an async read delivered after its reader was interrupted: the next read gets them. */
  pushback: Uint8Array | undefined;
  private closed = false;

  constructor(
    readonly fd: number,
    flags: number,
    path: string | undefined,
    /** Regular files and block devices: reads and writes at our own offset. */
    readonly seekable: boolean,
    isDir: boolean,
    /** Guest stdio: the host fd belongs to the host, never closed here. */
    private readonly borrowed = false,
    /**
     * Read at the host's own offset without blocking (redirected stdio, /dev/zero...): asked
     * at the first read, since for a character device it loads node:tty (see isatty).
     */
    private readonly readsNeverBlock: () => boolean = () => false,
  ) {
    super(flags);
    this.hostPath = path;
    this.isDir = isDir;
  }

  private neverBlocks: boolean | undefined;
  private get regular(): boolean {
    return (this.neverBlocks ??= this.readsNeverBlock());
  }

  // Host streams (terminals, pipes, sockets) are read by Node's event loop, never by a
  // blocking read in its thread pool (which would also keep Node from exiting). Bytes wait in
  // `pushback` until a guest read takes them; the stream pauses while enough are waiting.
  private stream: Readable | undefined;
  private eof = false;
  private readError = 0;
  private readonly readWaiters = new Set<() => void>();

  override onReadable(fn: () => void, host: HostWork): () => void {
    if (this.seekable || this.isDir || this.regular || (this.flags & O.ACCMODE) === O.WRONLY) return () => {};
    this.readWaiters.add(fn);
    if (!this.stream) {
      const s: Readable = isatty(this.fd)
        ? new (process.getBuiltinModule("node:tty").ReadStream)(this.fd)
        : new (process.getBuiltinModule("node:net").Socket)({ fd: this.fd, readable: true, writable: false });
      const notify = () =>
        host.wake(() => {
          this.edges.in++;
          [...this.readWaiters].forEach((w) => w());
        });
      s.on("data", (chunk: Buffer) => {
        this.pushback = this.pushback ? concat(this.pushback, chunk) : new Uint8Array(chunk);
        if (this.pushback.length > PUSHBACK_MAX) s.pause();
        notify();
      });
      s.on("end", () => {
        this.eof = true;
        notify();
      });
      s.on("error", (e) => {
        this.readError = hostErrno(e);
        notify();
      });
      this.stream = s;
    } else this.stream.resume();
    return () => this.readWaiters.delete(fn);
  }

  /** Stops reading the host stream so that Node can exit (the fd itself stays open). */
  stopStream(): void {
    const s = this.stream as (Readable & { unref?: () => void }) | undefined;
    s?.pause();
    s?.unref?.();
  }

  /**
   * Opens a host file for the guest (`viaFd`: a reopen through fdPath). `hostPath` comes from the guest's path walk (vfs.ts), which
   * has followed every link it should: the host never follows one in its last component.
   */
  static open(hostPath: string, flags: number, mode: number, viaFd = false): HostFile {
    // A descriptor's "/proc/self/fd/N" (viaFd) is itself a link, to the file it holds.
    const fd = fs.openSync(hostPath, hostOpenFlags(flags) | (viaFd ? 0 : fs.constants.O_NOFOLLOW), mode);
    try {
      const st = fs.fstatSync(fd);
      const seekable = st.isFile() || st.isBlockDevice();
      return new HostFile(fd, flags, hostPath, seekable, st.isDirectory(), false, () => neverBlocks(fd, st));
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  override read(dst: Uint8Array, pos: number | null): number | undefined {
    if (this.isDir) throw new SysError(ERRNO.EISDIR);
    if (this.pushback) {
      if (this.pushback.length <= PUSHBACK_MAX) this.stream?.resume();
      const n = Math.min(dst.length, this.pushback.length);
      dst.set(this.pushback.subarray(0, n));
      this.pushback = n < this.pushback.length ? this.pushback.subarray(n) : undefined;
      return n;
    }
    if (!this.seekable && this.regular) return fs.readSync(this.fd, dst, 0, dst.length, null);
    if (!this.seekable) {
      if (this.readError) {
        const e = this.readError;
        this.readError = 0;
        throw new SysError(e);
      }
      if (this.eof) return 0;
      if (dst.length === 0) return 0;
      return undefined;
    }
    const at = pos ?? this.pos;
    const n = fs.readSync(this.fd, dst, 0, dst.length, at);
    if (pos === null) this.pos += n;
    return n;
  }

  override write(src: Uint8Array, pos: number | null): number {
    if (!this.seekable) {
      let done = 0;
      while (done < src.length)
        done += retryAgain(() => fs.writeSync(this.fd, src, done, src.length - done, null));
      return done;
    }
    if (pos === null && this.flags & O.APPEND) {
      const n = fs.writeSync(this.fd, src, 0, src.length, null);
      this.pos = fs.fstatSync(this.fd).size;
      return n;
    }
    const at = pos ?? this.pos;
    const n = fs.writeSync(this.fd, src, 0, src.length, at);
    if (pos === null) this.pos += n;
    return n;
  }

  override stat(): StatInfo {
    return fs.fstatSync(this.fd, { bigint: true });
  }

  override seek(off: number, whence: number): number {
    if (!this.seekable && !this.isDir) throw new SysError(ERRNO.ESPIPE);
    let base: number;
    if (whence === SEEK_SET) base = 0;
    else if (whence === SEEK_CUR) base = this.isDir ? this.dirPos : this.pos;
    else if (whence === SEEK_END) base = Number(this.stat().size);
    else throw new SysError(ERRNO.EINVAL);
    const next = base + off;
    if (next < 0) throw new SysError(ERRNO.EINVAL);
    if (this.isDir) {
      this.dirPos = next;
      if (next === 0) this.dirEntries = undefined; // rewinddir sees new entries
    } else this.pos = next;
    return next;
  }

  override hostFd(): number {
    return this.fd;
  }

  override anonName(): string {
    return isatty(this.fd) ? "/dev/tty" : `pipe:[${this.fd}]`;
  }

  protected override close(): void {
    this.stopStream();
    if (this.closed || this.borrowed) return;
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already gone
    }
  }
}

/** Regular files and character devices other than terminals (/dev/null, /dev/zero): reads never block. */
function neverBlocks(fd: number, st: fs.Stats): boolean {
  return st.isFile() || (st.isCharacterDevice() && !isatty(fd));
}

/** Guest open flags to the host's (Node passes them to open(2)). */
function hostOpenFlags(f: number): number {
  const c = fs.constants;
  let h = f & O.ACCMODE;
  const map: [number, number | undefined][] = [
    [O.CREAT, c.O_CREAT],
    [O.EXCL, c.O_EXCL],
    [O.NOCTTY, c.O_NOCTTY],
    [O.TRUNC, c.O_TRUNC],
    [O.APPEND, c.O_APPEND],
    [O.DIRECTORY, c.O_DIRECTORY],
    [O.NOFOLLOW, c.O_NOFOLLOW],
    [O.DSYNC, c.O_DSYNC],
    [O.NOATIME, c.O_NOATIME],
  ];
  for (const [g, host] of map) if ((f & g) === g && host !== undefined) h |= host;
  if ((f & O.SYNC) === O.SYNC && c.O_SYNC !== undefined) h |= c.O_SYNC;
  return h;
}

/** A synthetic directory (/proc, /dev): getdents64 lists it; it cannot be read or written. */
export class VirtualDir extends GuestFile {
  constructor(
    guestPath: string,
    readonly names: () => string[],
    private readonly st: StatInfo,
  ) {
    super(O.RDONLY | O.DIRECTORY);
    this.guestPath = guestPath;
    this.isDir = true;
    this.readOnlyMount = true;
  }
  override read(): number {
    throw new SysError(ERRNO.EISDIR);
  }
  override write(): number {
    throw new SysError(ERRNO.EISDIR);
  }
  override stat(): StatInfo {
    return this.st;
  }
  override seek(off: number, whence: number): number {
    if (whence !== SEEK_SET || off < 0) throw new SysError(ERRNO.EINVAL);
    this.dirPos = off;
    if (off === 0) this.dirEntries = undefined;
    return off;
  }
}

/** A read-only file whose contents are made when it is opened (/proc/self/maps). */
export class MemFile extends GuestFile {
  pos = 0;
  constructor(
    readonly data: Uint8Array,
    private readonly st?: StatInfo,
  ) {
    super(O.RDONLY);
  }
  override read(dst: Uint8Array, pos: number | null): number {
    const at = pos ?? this.pos;
    const n = Math.max(0, Math.min(dst.length, this.data.length - at));
    dst.set(this.data.subarray(at, at + n));
    if (pos === null) this.pos += n;
    return n;
  }
  override write(): number {
    throw new SysError(ERRNO.EBADF);
  }
  override stat(): StatInfo | undefined {
    return this.st;
  }
  override seek(off: number, whence: number): number {
    const base = whence === SEEK_SET ? 0 : whence === SEEK_CUR ? this.pos : this.data.length;
    if (base + off < 0 || whence > SEEK_END) throw new SysError(ERRNO.EINVAL);
    this.pos = base + off;
    return this.pos;
  }
}

interface FdEntry {
  file: GuestFile;
  cloexec: boolean;
}

export const MAX_FDS = 1024;

export class FdTable {
  private readonly entries = new Map<number, FdEntry>();

  constructor(stdio: readonly [number, number, number]) {
    stdio.forEach((hostFd, i) => {
      if (hostFd < 0) return;
      let st: fs.Stats;
      try {
        st = fs.fstatSync(hostFd);
      } catch {
        return; // closed in the host: closed in the guest
      }
      // The host owns the offset of inherited stdio: reads and writes happen at it.
      const mode = i === 0 ? O.RDONLY : O.WRONLY;
      const file = new HostFile(hostFd, mode, undefined, false, st.isDirectory(), true, () =>
        neverBlocks(hostFd, st),
      );
      this.entries.set(i, { file, cloexec: false });
    });
  }

  get(fd: number): GuestFile {
    const e = this.entries.get(fd);
    if (!e) throw new SysError(ERRNO.EBADF);
    return e.file;
  }

  has(fd: number): boolean {
    return this.entries.has(fd);
  }

  entry(fd: number): FdEntry {
    const e = this.entries.get(fd);
    if (!e) throw new SysError(ERRNO.EBADF);
    return e;
  }

  /** Installs `file` at the lowest free fd >= min. */
  add(file: GuestFile, cloexec = false, min = 0): number {
    for (let fd = min; fd < MAX_FDS; fd++) {
      if (!this.entries.has(fd)) {
        this.entries.set(fd, { file, cloexec });
        return fd;
      }
    }
    file.release();
    throw new SysError(ERRNO.EMFILE);
  }

  /** Installs `file` at `fd`, closing what was there. */
  set(fd: number, file: GuestFile, cloexec: boolean): void {
    if (fd < 0 || fd >= MAX_FDS) throw new SysError(ERRNO.EBADF);
    const old = this.entries.get(fd);
    this.entries.set(fd, { file, cloexec });
    old?.file.release();
  }

  close(fd: number): void {
    const e = this.entries.get(fd);
    if (!e) throw new SysError(ERRNO.EBADF);
    this.entries.delete(fd);
    e.file.release();
  }

  closeAll(): void {
    for (const fd of [...this.entries.keys()]) this.close(fd);
  }

  list(): number[] {
    return [...this.entries.keys()].sort((a, b) => a - b);
  }

  /** fork: a new table of the same open files (offsets shared, as in Linux). */
  clone(): FdTable {
    const t = new FdTable([-1, -1, -1]);
    for (const [fd, e] of this.entries) {
      e.file.refs++;
      t.entries.set(fd, { file: e.file, cloexec: e.cloexec });
    }
    return t;
  }

  /** execve closes the fds marked close-on-exec. */
  closeOnExec(): void {
    for (const [fd, e] of [...this.entries]) if (e.cloexec) this.close(fd);
  }

  /** Writes a host-side message (strace) to a host fd, bypassing the guest. */
  writeHost(hostFd: number, s: string): void {
    const b = Buffer.from(s);
    let done = 0;
    while (done < b.length) done += retryAgain(() => fs.writeSync(hostFd, b, done, b.length - done, null));
  }
}
