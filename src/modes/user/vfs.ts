// The guest's file namespace: what a path means to a user-mode guest. The guest sees a tree of
// mounts, as in a chroot with bind mounts: the root (--root) at "/", host directories or files
// exposed with --bind at guest paths, and synthetic trees (/dev, /proc). Nothing else of the
// host can be named.
//
// Paths resolve one component at a time in guest terms, the way Linux's path walk does inside
// a chroot: ".." never climbs above "/", and a symbolic link's target (absolute or relative) is
// read and resolved inside the guest's namespace, never by the host. Only then is the host
// path of the final component known, and the host call on it never follows a link itself.
// The guest's syscalls all run on one JS thread, one at a time, so the guest cannot swap a
// component between the walk and the host call; other host processes sharing a bound
// directory could, which is why binds are the user's choice.
import * as fs from "node:fs";
import { ERRNO, hostErrno } from "./abi.js";
import type { GuestFile, StatInfo } from "./files.js";
import { SysError } from "./syscall.js";

/** A "magic" link of /proc (fd/N, exe): opening it opens the file behind it, whatever its name. */
export interface MagicLink {
  open(flags: number): GuestFile;
  stat(): StatInfo;
  /** The host file behind it, when there is one (execve of /proc/self/exe). */
  host(): string | undefined;
}

/** A synthetic node: /dev and /proc entries, and directories that only hold mount points. */
export type VNode =
  | { readonly type: "dir"; names(): string[]; child(name: string): VNode | undefined }
  | { readonly type: "file"; data(): Uint8Array }
  /** `target` is what readlink says. */
  | { readonly type: "link"; target(): string; readonly magic?: MagicLink }
  /** A host file shown at this place (the device nodes of /dev). */
  | { readonly type: "host"; readonly host: string };

export interface Mount<C> {
  /** The guest path it is mounted at, "/" or "/a/b". */
  readonly guest: string;
  /** `guest` split into components. */
  readonly parts: readonly string[];
  readonly depth: number;
  /**
   * How the host reaches a host mount's directory (or file): on Linux "/proc/self/fd/N" of a
   * descriptor opened when the namespace was made, so that renaming anything on the way to it
   * through another mount cannot redirect it; elsewhere its path.
   */
  readonly host?: string;
  /** The host path it was made from (symlink-free): for finding a host file's guest name. */
  readonly root?: string;
  /** The tree of a synthetic mount, made for the asking process. */
  readonly synthetic?: (ctx: C) => VNode;
  readonly readOnly: boolean;
}

/** What a guest path names: a host file (which may not exist yet) or a synthetic node. */
export type Node<C> =
  | { readonly kind: "host"; readonly host: string; readonly st: fs.BigIntStats | undefined; readonly mount: Mount<C> } // prettier-ignore
  | { readonly kind: "virtual"; readonly v: VNode; readonly mount: Mount<C> };

export interface Resolved<C> {
  /** The absolute guest path, every link but (when not followed) the last resolved. */
  readonly guest: string;
  readonly node: Node<C>;
  /** How the path as given ends (Linux's LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT): calls that add or remove a name refuse the others. */
  readonly last: "name" | "." | ".." | "/";
  /** The path as given ends in "/". */
  readonly trailingSlash: boolean;
}

/**
 * openat2's RESOLVE_* limits on a walk (openat2(2)), in guest terms: the walk starts at the
 * base directory, which RESOLVE_BENEATH (EXDEV) and RESOLVE_IN_ROOT (absolute paths and ".."
 * stay inside) make its root.
 */
export interface ResolveLimits {
  scope?: "beneath" | "in-root";
  /** RESOLVE_NO_SYMLINKS: any link on the way is ELOOP. */
  noSymlinks?: boolean;
  /** RESOLVE_NO_MAGICLINKS: a /proc magic link on the way is ELOOP. */
  noMagicLinks?: boolean;
  /** RESOLVE_NO_XDEV: leaving the base directory's mount is EXDEV. */
  noXdev?: boolean;
}

const MAX_LINKS = 40; // Linux's MAXSYMLINKS
const PATH_MAX = 4096;
const NAME_MAX = 255;

export const exists = <C>(n: Node<C>): boolean => n.kind === "virtual" || n.st !== undefined;
export const isDir = <C>(n: Node<C>): boolean =>
  n.kind === "virtual" ? n.v.type === "dir" : n.st?.isDirectory() === true;
export const isLink = <C>(n: Node<C>): boolean =>
  n.kind === "virtual" ? n.v.type === "link" : n.st?.isSymbolicLink() === true;

function lstat(host: string): fs.BigIntStats | undefined {
  try {
    return fs.lstatSync(host, { bigint: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new SysError(hostErrno(e));
  }
}

function stat(host: string): fs.BigIntStats | undefined {
  try {
    return fs.statSync(host, { bigint: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new SysError(hostErrno(e));
  }
}

const split = (path: string): string[] => path.split("/").filter((c) => c !== "");
const joinGuest = (parts: readonly string[]): string => "/" + parts.join("/");
/** A host path below mount directory `base`; `rest` holds names only (the walk consumed "." and ".."). */
const hostJoin = (base: string, rest: readonly string[]): string =>
  rest.length === 0 ? base : (base === "/" ? "" : base) + "/" + rest.join("/");

export class Vfs<C> {
  private readonly mounts: Mount<C>[] = [];

  /** Mounts `host` (a host path) or a synthetic tree at `guest`; a later mount at the same place hides an earlier one. */
  mount(
    guest: string,
    what: { host: string; root?: string } | { synthetic: (ctx: C) => VNode },
    readOnly: boolean,
  ): void {
    const parts = split(guest);
    const m: Mount<C> = { guest: joinGuest(parts), parts, depth: parts.length, readOnly, ...what };
    const i = this.mounts.findIndex((o) => o.guest === m.guest);
    if (i >= 0) this.mounts.splice(i, 1);
    this.mounts.push(m);
    this.mounts.sort((a, b) => b.depth - a.depth); // deepest first: the first match is the innermost
  }

  /** The innermost mount that holds guest path `parts`. */
  private mountOf(parts: readonly string[]): Mount<C> {
    for (const m of this.mounts) {
      if (m.depth <= parts.length && m.parts.every((c, i) => parts[i] === c)) return m;
    }
    throw new Error("the guest namespace has no root mount");
  }

  /** True when something is mounted at exactly guest path `guest`. */
  has(guest: string): boolean {
    const g = joinGuest(split(guest));
    return this.mounts.some((m) => m.guest === g);
  }

  /** Names of the mount points directly below guest directory `guest` (they show in its listing). */
  mountChildren(guest: string): string[] {
    const parts = split(guest);
    const names = new Set<string>();
    for (const m of this.mounts)
      if (m.depth > parts.length && parts.every((c, i) => m.parts[i] === c)) names.add(m.parts[parts.length]);
    return [...names];
  }

  /** True when `guest` is a mount point (or holds one): it cannot be removed or renamed. */
  isBusy(guest: string): boolean {
    return (
      (guest !== "/" && this.mounts.some((m) => m.guest === guest)) || this.mountChildren(guest).length > 0
    );
  }

  /** /proc/mounts: one line per mount, outermost first. */
  describeMounts(): string {
    return [...this.mounts]
      .reverse()
      .map((m) => {
        const type = m.synthetic ? (m.parts[0] ?? "none") : "hostfs"; // "proc", "dev"
        return `${type} ${m.guest} ${type} ${m.readOnly ? "ro" : "rw"} 0 0\n`;
      })
      .join("");
  }

  /** The host path that guest path `guest` maps to, when a host mount holds it (no lookup). */
  hostOf(guest: string): string | undefined {
    const parts = split(guest);
    const m = this.mountOf(parts);
    return m.host === undefined ? undefined : hostJoin(m.host, parts.slice(m.depth));
  }

  /** A guest path that names host path `host` (symlink-free), if any mount shows it. */
  guestPathOf(host: string): string | undefined {
    for (const m of this.mounts) {
      const root = m.root ?? m.host;
      if (root === undefined) continue;
      const prefix = root === "/" ? "/" : root + "/";
      if (host !== root && !host.startsWith(prefix)) continue;
      const guest = joinGuest([...m.parts, ...split(host.slice(root.length))]);
      if (this.mountOf(split(guest)) === m) return guest; // not hidden by another mount
    }
    return undefined;
  }

  /** The mount holding the directory that holds `guest`: where its name is added or removed. */
  parentMount(guest: string): Mount<C> {
    return this.mountOf(split(guest).slice(0, -1));
  }

  /** The node at guest path `parts` itself (a link there is not followed). */
  nodeAt(ctx: C, parts: readonly string[]): Node<C> {
    const mount = this.mountOf(parts);
    const rest = parts.slice(mount.depth);
    if (mount.synthetic) {
      let v: VNode | undefined = mount.synthetic(ctx);
      for (const name of rest) {
        v = v.type === "dir" ? v.child(name) : undefined;
        if (!v) break;
      }
      if (v?.type === "host") return { kind: "host", host: v.host, st: lstat(v.host), mount };
      if (v) return { kind: "virtual", v, mount };
    }
    const host = mount.host === undefined ? undefined : hostJoin(mount.host, rest);
    // A mount's own directory is never a link in the guest's eyes (its access path may be one).
    const st = host === undefined ? undefined : rest.length === 0 ? stat(host) : lstat(host);
    // A directory that only exists because a mount point lies below it.
    if (!st && this.mountChildren(joinGuest(parts)).length > 0) {
      const guest = joinGuest(parts);
      return { kind: "virtual", v: { type: "dir", names: () => [], child: () => undefined }, mount: { ...mount, guest, readOnly: true } }; // prettier-ignore
    }
    // "" where a synthetic tree has no such entry: no host call can succeed on it.
    return { kind: "host", host: host ?? "", st, mount };
  }

  /**
   * Resolves guest `path` relative to guest directory `base`. Every symbolic link on the way
   * is followed; the last component's only when `follow` (or when the path ends in "/").
   * The last component need not exist (check with `exists`); any other must.
   */
  resolve(ctx: C, base: string, path: string, follow: boolean, limits?: ResolveLimits): Resolved<C> {
    if (path === "") throw new SysError(ERRNO.ENOENT);
    if (Buffer.byteLength(path) >= PATH_MAX) throw new SysError(ERRNO.ENAMETOOLONG);
    // A relative path is walked from "/" through `base` again: a directory on the way to the
    // working directory (or a dirfd) may have become a link since, and only a walk sees that.
    let parts: string[] = [];
    const todo = path.split("/").reverse(); // a stack: the next component is on top
    let root: string[] = [];
    if (limits) {
      // Limits apply from the base directory on: walk to it first, without them.
      root = split(this.resolve(ctx, "/", base, true).guest);
      if (path.startsWith("/") && limits.scope === "beneath") throw new SysError(ERRNO.EXDEV);
      parts = path.startsWith("/") && limits.scope !== "in-root" ? [] : [...root];
    } else if (!path.startsWith("/")) todo.push(...split(base).reverse());
    const check = limits ? this.limitCheck(ctx, root, parts, limits) : undefined;
    let node = this.nodeAt(ctx, parts);
    let links = 0;
    let trailing = false; // the last component is followed by "/": it must be a directory
    while (todo.length) {
      const c = todo.pop()!;
      if (c === "") continue;
      if (!exists(node)) throw new SysError(ERRNO.ENOENT);
      if (!isDir(node)) throw new SysError(ERRNO.ENOTDIR);
      if (c === ".") continue;
      if (c === "..") {
        if (check?.atRoot(parts)) continue; // RESOLVE_IN_ROOT: ".." of the root is the root
        parts.pop(); // at "/" this does nothing: ".." of the root is the root
        node = this.nodeAt(ctx, parts);
        check?.crossed(node);
        continue;
      }
      if (c.length > NAME_MAX / 3 && Buffer.byteLength(c) > NAME_MAX) throw new SysError(ERRNO.ENAMETOOLONG);
      const last = todo.every((s) => s === "");
      trailing = last && todo.length > 0;
      parts.push(c);
      node = this.nodeAt(ctx, parts);
      check?.crossed(node);
      if (isLink(node) && (!last || follow || trailing)) {
        const magic = node.kind === "virtual" && node.v.type === "link" && node.v.magic !== undefined;
        check?.link(magic);
        // A magic link (/proc/self/fd/N) named last is opened as itself, not through its target.
        if (last && magic) break;
        if (++links > MAX_LINKS) throw new SysError(ERRNO.ELOOP);
        const target = this.readlink(node);
        if (target === "") throw new SysError(ERRNO.ENOENT);
        parts.pop();
        if (target.startsWith("/")) parts = check?.absolute() ?? [];
        todo.push(...target.split("/").reverse());
        node = this.nodeAt(ctx, parts);
        continue;
      }
      if (!last && !exists(node)) throw new SysError(ERRNO.ENOENT);
    }
    if (trailing && exists(node) && !isDir(node)) throw new SysError(ERRNO.ENOTDIR);
    const given = split(path);
    const end = given[given.length - 1];
    const lastKind = end === undefined ? "/" : end === "." || end === ".." ? end : "name";
    return {
      guest: joinGuest(parts),
      node,
      last: lastKind,
      trailingSlash: end !== undefined && path.endsWith("/"),
    };
  }

  /** The checks of a walk under openat2's limits, scoped to the base directory `root`, starting at `start`. */
  private limitCheck(ctx: C, root: string[], start: string[], limits: ResolveLimits) {
    const mount = this.nodeAt(ctx, start).mount.guest;
    const scoped = limits.scope !== undefined;
    const atRoot = (parts: string[]): boolean => parts.length <= root.length;
    return {
      /** ".." at the scope's root: RESOLVE_BENEATH refuses to leave, RESOLVE_IN_ROOT stays. */
      atRoot: (parts: string[]): boolean => {
        if (!scoped || !atRoot(parts)) return false;
        if (limits.scope === "beneath") throw new SysError(ERRNO.EXDEV);
        return true;
      },
      crossed: (node: Node<C>): void => {
        if (limits.noXdev && node.mount.guest !== mount) throw new SysError(ERRNO.EXDEV);
      },
      link: (magic: boolean): void => {
        if (limits.noSymlinks || (magic && limits.noMagicLinks)) throw new SysError(ERRNO.ELOOP);
        if (magic && scoped) throw new SysError(ERRNO.EXDEV); // nd_jump_link: not safe in a scope
      },
      /** Where an absolute link target starts. */
      absolute: (): string[] => {
        if (limits.scope === "beneath") throw new SysError(ERRNO.EXDEV);
        return limits.scope === "in-root" ? [...root] : [];
      },
    };
  }

  /** The target of a link node, as readlink reports it. */
  readlink(node: Node<C>): string {
    if (node.kind === "virtual") {
      if (node.v.type !== "link") throw new SysError(ERRNO.EINVAL);
      return node.v.target();
    }
    if (!node.st) throw new SysError(ERRNO.ENOENT);
    if (!node.st.isSymbolicLink()) throw new SysError(ERRNO.EINVAL);
    return fs.readlinkSync(node.host);
  }
}
