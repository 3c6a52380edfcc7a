// User mode's path confinement against the Linux kernel itself. test/guest/user/confine.c
// probes a root with a read-only bind at /ro and a read-write bind at /rw: escapes by "..",
// by symlinks and by dirfds, and the mount rules (EROFS, EXDEV, EBUSY). The reference is the
// same source built for the host and run under chroot(8) with real bind mounts in a private
// mount namespace; Hartwood runs the riscv64 build with the same root and binds on an
// identical fixture, and must print the same lines and leave the same files behind.
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs"; // prettier-ignore
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { run } from "../src/modes/user/index.js";
import { buildGuest } from "./guest/build.js";

const SECRET = "TOP-SECRET";

/** The probe program, built for riscv64 (for Hartwood) or for the host (the reference). */
function build(target: "riscv64" | "native"): string {
  return buildGuest({
    sources: ["user/confine.c"],
    cc: target === "riscv64" ? "riscv64-linux-gnu-gcc" : "gcc",
    flags: ["-O2", "-g0", "-static"],
    name: `confine-${target}`,
  });
}

/**
 * A fresh fixture: `secret` next to the guest's root `root/`, and the sources of the two
 * binds, `rosrc/` (mounted read-only at /ro) and `rwsrc/` (read-write at /rw). The symlinks
 * aim out of the root in every way the probes try; on the host several of them do point at
 * `secret` or next to the root, which is the point.
 */
function makeFixture(program: string): string {
  const t = mkdtempSync(join(tmpdir(), "hartwood-confine-"));
  // dev/ and proc/ are the usual (here empty) mount points of a chroot, so that a listing of
  // "/" does not depend on whether Hartwood's synthetic /dev and /proc show in it.
  for (const dir of [
    "root/tmp",
    "root/dev",
    "root/proc",
    "root/sub/dir",
    "root/emptydir",
    "root/ro",
    "root/rw",
    "rosrc/rodir",
    "rwsrc/sub",
  ])
    // prettier-ignore
    mkdirSync(join(t, dir), { recursive: true });
  const files: Record<string, string> = {
    secret: `${SECRET}\n`,
    "root/inside.txt": "inside the root\n",
    "root/sub/file.txt": "sub file\n",
    "root/sub/dir/deep.txt": "deep\n",
    "rosrc/ro.txt": "read-only data\n",
    "rosrc/rodir/inner.txt": "inner ro\n",
    "rwsrc/rw.txt": "read-write data\n",
    "rwsrc/move-me.txt": "moving\n",
    "rwsrc/sub/s.txt": "rw sub\n",
  };
  for (const [path, text] of Object.entries(files)) writeFileSync(join(t, path), text);
  const links: Record<string, string> = {
    "root/abs": "/",
    "root/up": "/../../..",
    "root/rel": "../../../../..",
    "root/sub/rel": "../../../..",
    "root/secretlink": "/../secret",
    "root/relsecret": "../secret",
    "root/subabs": "/sub/dir",
    "root/chain1": "chain2",
    "root/chain2": "/sub/chain3",
    "root/sub/chain3": "../inside.txt",
    "root/loopa": "loopb",
    "root/loopb": "/loopa",
    "root/dangling": "/made-by-dangling",
    "root/dangling-excl": "/never-made",
    "root/dangling-escape": "/../made-by-escape",
    "root/dangling-rel": "../made-by-rel",
    "root/sub/dangling-up": "../../made-by-subrel",
    "root/tors": "/rw",
    "rosrc/relsecret": "../secret",
    "rwsrc/relsecret": "../secret",
    "rwsrc/toinside": "/inside.txt",
    "rwsrc/relup": "../inside.txt",
    "rwsrc/to-ro-new": "/ro/new-via-link",
  };
  for (const [path, target] of Object.entries(links)) symlinkSync(target, join(t, path));
  copyFileSync(program, join(t, "root/prog"));
  chmodSync(join(t, "root/prog"), 0o755);
  return t;
}

/** Everything under `dir` by relative path: kind, permission bits, and content or link target. */
function snapshot(dir: string): Record<string, string> {
  const out: [string, string][] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      const abs = join(dir, path);
      const mode = (lstatSync(abs).mode & 0o7777).toString(8);
      if (e.isSymbolicLink()) out.push([path, `symlink -> ${readlinkSync(abs)}`]);
      else if (e.isDirectory()) {
        out.push([path, `dir ${mode}`]);
        walk(path);
      } else if (path === "root/prog") out.push([path, `file ${mode} (the program, riscv64 or native)`]);
      else out.push([path, `file ${mode} ${JSON.stringify(readFileSync(abs, "utf8"))}`]);
    }
  };
  walk("");
  return Object.fromEntries(out.sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The entries a confined guest may not change: all but those in the root and in /rw's source. */
function outsideWritable(tree: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tree).filter(([p]) => !/^(root|rwsrc)(\/|$)/.test(p)));
}

interface Outcome {
  stdout: string;
  stderr: string;
  status: number;
}

/**
 * The reference: the host build under chroot(8), with the binds mounted in a private mount
 * namespace so that they vanish with it (as non-root, -r adds a user namespace to allow that).
 */
function reference(t: string): Outcome {
  const script =
    'mount --bind "$1/rosrc" "$1/root/ro" && mount -o remount,bind,ro "$1/root/ro" && ' +
    'mount --bind "$1/rwsrc" "$1/root/rw" && exec chroot "$1/root" /prog';
  const namespaces = process.getuid?.() === 0 ? "-m" : "-rm";
  const r = spawnSync("unshare", [namespaces, "sh", "-c", script, "sh", t], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, LC_ALL: "C" },
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  // Killed by a signal: report it as a shell would, as Hartwood does.
  const status = r.signal ? 128 + constants.signals[r.signal] : (r.status ?? -1);
  return { stdout: r.stdout, stderr: r.stderr, status };
}

/** Hartwood: the riscv64 build confined to the same root and binds, output captured in files. */
async function hartwood(t: string): Promise<Outcome> {
  const io = mkdtempSync(join(tmpdir(), "hartwood-io-"));
  try {
    writeFileSync(join(io, "in"), "");
    const fds = [openSync(join(io, "in"), "r"), openSync(join(io, "out"), "w"), openSync(join(io, "err"), "w")] as const; // prettier-ignore
    let r;
    try {
      r = await run({
        program: join(t, "root/prog"),
        root: join(t, "root"),
        binds: [
          { host: join(t, "rosrc"), guest: "/ro", readOnly: true },
          { host: join(t, "rwsrc"), guest: "/rw" },
        ],
        exposeCwd: false,
        env: ["LC_ALL=C"],
        stdio: fds,
      });
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
    return {
      stdout: readFileSync(join(io, "out"), "utf8"),
      stderr: readFileSync(join(io, "err"), "utf8"),
      status: r.status, // already 128 + n when the guest is killed by signal n
    };
  } finally {
    rmSync(io, { recursive: true, force: true });
  }
}

describe("user mode confines paths to --root like a chroot with bind mounts", () => {
  const fixtures: string[] = [];
  let want: Outcome, wantBefore: Record<string, string>, wantTree: Record<string, string>;
  beforeAll(() => {
    const t = makeFixture(build("native"));
    fixtures.push(t);
    wantBefore = snapshot(t);
    want = reference(t);
    wantTree = snapshot(t);
  });
  afterAll(() => fixtures.forEach((t) => rmSync(t, { recursive: true, force: true })));

  // Hartwood runs once, on the first test that needs it, so that a failure there leaves the
  // reference's own test standing.
  let ours: Promise<Outcome & { before: Record<string, string>; after: Record<string, string> }> | undefined;
  const hartwoodOnce = () =>
    (ours ??= (async () => {
      const t = makeFixture(build("riscv64"));
      fixtures.push(t);
      const before = snapshot(t);
      const got = await hartwood(t);
      return { ...got, before, after: snapshot(t) };
    })());

  test("the reference really ran in the chroot, with a read-only and a read-write bind", () => {
    expect(want.status, `reference stderr: ${want.stderr}`).toBe(0);
    expect(want.stdout).toMatch(/\ndone\n$/);
    expect(want.stdout).toContain('open("/ro/ro.txt", O_RDONLY): "read-only data\\n"');
    expect(want.stdout).toContain('open("/rw/new.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644): ok');
    expect(want.stdout).toContain('open("/../inside.txt", O_RDONLY): "inside the root\\n"');
    expect(want.stdout).toContain('unlink("/ro/ro.txt"): EROFS');
    expect(want.stdout).toContain('link("/inside.txt", "/rw/linked.txt"): EXDEV');
    expect(want.stdout).not.toContain(SECRET);
    expect(outsideWritable(wantTree)).toEqual(outsideWritable(wantBefore));
    expect(wantTree["rwsrc/new.txt"]).toBe('file 600 "new in rw\\n"');
  });

  test("every probe prints what Linux prints, and the exit status matches", async () => {
    const got = await hartwoodOnce();
    expect(got.stdout, `Hartwood's stderr: ${got.stderr}`).toBe(want.stdout);
    expect(got.status).toBe(want.status);
  });

  test("the secret next to the root is never read", async () => {
    expect((await hartwoodOnce()).stdout).not.toContain(SECRET);
  });

  test("writes land only in the root and the read-write bind, the same files as under Linux", async () => {
    const got = await hartwoodOnce();
    expect(got.before.secret).toContain(SECRET);
    expect(got.after.secret).toBe(got.before.secret);
    expect(outsideWritable(got.after)).toEqual(outsideWritable(got.before));
    expect(got.after).toEqual(wantTree);
  });
});

// Paths Hartwood resolved earlier must not be trusted later: the guest renames a directory on
// the way to a dirfd, its working directory, an open file or a bind's source, and puts a link
// to "/" there. Linux holds the objects themselves (inodes); Hartwood re-walks guest paths and
// reaches host files through descriptors, so the link is only ever read by the guest's walk.
test("renaming a resolved directory and planting a link to / reaches nothing on the host", async () => {
  const t = mkdtempSync(join(tmpdir(), "hartwood-escape-"));
  try {
    writeFileSync(join(t, "secret"), `${SECRET}\n`);
    mkdirSync(join(t, "w/sub/tmp"), { recursive: true });
    const io = mkdtempSync(join(tmpdir(), "hartwood-escape-io-"));
    const fds = [openSync("/dev/null", "r"), openSync(join(io, "out"), "w"), openSync(join(io, "err"), "w")] as const; // prettier-ignore
    try {
      await run({
        program: buildGuest({ sources: ["user/escape.c"], cc: "riscv64-linux-gnu-gcc", flags: ["-O2", "-g0", "-static"], name: "escape" }), // prettier-ignore
        args: [join(t, "secret").slice(1)], // relative to the host's "/"
        root: "",
        binds: [
          { host: join(t, "w"), guest: "/w" },
          { host: join(t, "w/sub/tmp"), guest: "/s", readOnly: true },
        ],
        exposeCwd: false,
        stdio: fds,
      });
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
    const out = readFileSync(join(io, "out"), "utf8");
    rmSync(io, { recursive: true, force: true });
    expect(out).toMatch(/\ndone\n$/);
    expect(out).not.toContain(SECRET);
    expect(out.match(/: blocked$/gm)?.length, out).toBe(6); // five reads and the create
    expect(out).toContain("create relative to that cwd: blocked");
    expect(out).toContain("listing of a dirfd whose path became a link: 2 entries");
    expect(readFileSync(join(t, "secret"), "utf8")).toBe(`${SECRET}\n`);
  } finally {
    rmSync(t, { recursive: true, force: true });
  }
});
