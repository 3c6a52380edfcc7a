// Path confinement: probes of a root that has a read-only bind at /ro and a read-write bind
// at /rw, run once natively under chroot(8) with real bind mounts and once under Hartwood,
// whose outputs must match. Each line is one probe (the C call itself, as written) and its
// result: the data read, the path returned, or the errno's name. Nothing printed depends on
// the host (no argv[0], inode numbers, times or host paths).
//
// The fixture is made by test/confine.test.ts: a file "secret" sits next to the root, and no
// path resolved inside the root may reach it. Escapes are spelled so that a resolver which
// merely joins guest paths onto the host root would land on that secret, or create files
// next to the root, where the test's walk of the host tree finds them.
// /dev, /proc and /tmp are never touched: Hartwood provides its own.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static const char *errname(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(EIO) E(ENXIO) E(EBADF) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT)
    E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(EMFILE) E(ENOTTY)
    E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(ERANGE) E(ENAMETOOLONG)
    E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(EOVERFLOW) E(EOPNOTSUPP) E(ESTALE)
#undef E
  }
  static char other[32];
  snprintf(other, sizeof other, "errno %d", e);  // same numbers on x86-64 and riscv64
  return other;
}

static struct stat st;  // filled by the stat probes, read by KIND
static int root;        // open("/", O_DIRECTORY): the dirfd of the guest's "/"

/** A call that returns -1 and sets errno on failure: "ok" or the errno. */
static void try_(const char *what, long r) {
  int e = errno;
  if (r < 0) printf("%s: %s\n", what, errname(e));
  else printf("%s: ok\n", what);
}
#define TRY(call) try_(#call, (call))

/** An open() for reading: what the file holds (its first bytes, escaped) or the errno. */
static void cat_(const char *what, int fd) {
  if (fd < 0) {
    printf("%s: %s\n", what, errname(errno));
    return;
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  int e = errno;
  close(fd);
  if (n < 0) {
    printf("%s: read %s\n", what, errname(e));
    return;
  }
  printf("%s: \"", what);
  for (ssize_t i = 0; i < n; i++) {
    if (buf[i] == '\n') printf("\\n");
    else putchar(buf[i]);
  }
  printf("\"\n");
}
#define CAT(call) cat_(#call, (call))

/** An open() for writing: writes `text`, then "ok" or the errno. */
static void put_(const char *what, int fd, const char *text) {
  if (fd < 0) {
    printf("%s: %s\n", what, errname(errno));
    return;
  }
  ssize_t n = write(fd, text, strlen(text));
  int e = errno;
  close(fd);
  if (n < 0) printf("%s: write %s\n", what, errname(e));
  else printf("%s: ok\n", what);
}
#define PUT(call, text) put_(#call, (call), text)

/** A stat-like call into `st`: the file's kind and permission bits, or the errno. */
static void kind_(const char *what, int r) {
  if (r < 0) {
    printf("%s: %s\n", what, errname(errno));
    return;
  }
  const char *k = S_ISLNK(st.st_mode) ? "symlink" : S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other";
  printf("%s: %s %04o\n", what, k, st.st_mode & 07777);
}
#define KIND(call) kind_(#call, (call))

/** A call that changes the working directory, then where getcwd() says we are. */
static void cd_(const char *what, int r) {
  if (r < 0) {
    printf("%s: %s\n", what, errname(errno));
    return;
  }
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof buf)) printf("%s: cwd %s\n", what, buf);
  else printf("%s: getcwd %s\n", what, errname(errno));
}
#define CD(call) cd_(#call, (call))

static void show_readlink(const char *path) {
  char buf[PATH_MAX];
  ssize_t n = readlink(path, buf, sizeof buf - 1);
  if (n < 0) printf("readlink(\"%s\"): %s\n", path, errname(errno));
  else printf("readlink(\"%s\"): \"%.*s\"\n", path, (int)n, buf);
}

static void show_realpath(const char *path) {
  char buf[PATH_MAX];
  if (realpath(path, buf)) printf("realpath(\"%s\"): %s\n", path, buf);
  else printf("realpath(\"%s\"): %s\n", path, errname(errno));
}

/** Whether two paths name the same directory (compares st_dev and st_ino, never prints them). */
static void same(const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) < 0 || stat(b, &sb) < 0) printf("same(\"%s\", \"%s\"): %s\n", a, b, errname(errno));
  else printf("same(\"%s\", \"%s\"): %s\n", a, b, sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino ? "yes" : "no");
}

/** chdir(from), then ".." ten times: every step must succeed and end at "/". */
static void climb(const char *from) {
  int failed = chdir(from) < 0;
  for (int i = 0; i < 10; i++) failed += chdir("..") < 0;
  char buf[PATH_MAX];
  printf("chdir(\"%s\") then chdir(\"..\") x10: %d failed, cwd %s\n", from, failed,
         getcwd(buf, sizeof buf) ? buf : errname(errno));
  chdir("/");
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/** The sorted names in a directory, "/" after directories and "@" after symlinks, into out. */
static void list(const char *path, char *out, size_t size) {
  DIR *d = opendir(path);
  if (!d) {
    snprintf(out, size, "%s", errname(errno));
    return;
  }
  char *names[256];
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) && n < 256;)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
  qsort(names, n, sizeof *names, by_name);
  size_t len = 0;
  snprintf(out, size, "(empty)");
  for (int i = 0; i < n; i++) {
    struct stat s;
    const char *mark = "";
    if (fstatat(dirfd(d), names[i], &s, AT_SYMLINK_NOFOLLOW) == 0)
      mark = S_ISDIR(s.st_mode) ? "/" : S_ISLNK(s.st_mode) ? "@" : "";
    len += snprintf(out + len, len < size ? size - len : 0, "%s%s%s", i ? " " : "", names[i], mark);
    free(names[i]);
  }
  closedir(d);
}

static void ls(const char *path) {
  char buf[8192];
  list(path, buf, sizeof buf);
  printf("ls %s: %s\n", path, buf);
}

// --- The probes, in order; later sections see what earlier ones created. ---

static void dotdot_escapes(void) {
  CAT(open("/inside.txt", O_RDONLY));
  CAT(open("/secret", O_RDONLY));
  CAT(open("/../secret", O_RDONLY));
  CAT(open("../secret", O_RDONLY));
  CAT(open("../../../../secret", O_RDONLY));
  CAT(open("/../../../../../secret", O_RDONLY));
  CAT(open("/./../.././secret", O_RDONLY));
  CAT(open("/sub/../../secret", O_RDONLY));
  CAT(open("/../inside.txt", O_RDONLY));
  CAT(open("../../inside.txt", O_RDONLY));
  CAT(open("sub/../../../inside.txt", O_RDONLY));
  CAT(open("/sub/dir/../../../../inside.txt", O_RDONLY));
  TRY(access("/../secret", F_OK));
  // The link itself, not its target: the host must not follow "/../secret" to its own /secret.
  TRY(faccessat(AT_FDCWD, "/secretlink", R_OK, AT_SYMLINK_NOFOLLOW));
  TRY(faccessat(AT_FDCWD, "/relsecret", R_OK, AT_SYMLINK_NOFOLLOW));
  TRY(faccessat(AT_FDCWD, "/relsecret", R_OK, 0));
  TRY(stat("/../../secret", &st));
  TRY(lstat("../secret", &st));
  same("/..", "/");
  same("/../../..", "/");
  same("/sub/../..", "/");
  ls("/..");
}

static void working_directory(void) {
  climb("/");
  climb("/sub/dir");
  climb("/rw/sub");
  climb("/ro/rodir");
  CD(chdir("/sub/dir"));
  CD(chdir("../../../../.."));
  CD(chdir("sub"));
  CD(chdir("/subabs"));
  CD(chdir("/abs/sub"));
  CD(chdir("/up/sub/dir"));
  CD(chdir("/inside.txt"));
  CD(chdir("/nowhere"));
  int dir = open("/sub/dir", O_RDONLY | O_DIRECTORY);
  CD(chdir("/"));
  CD(fchdir(dir));
  CAT(open("../file.txt", O_RDONLY));
  CAT(open("../../../secret", O_RDONLY));
  CD(chdir(".."));
  CD(fchdir(root));
  close(dir);
  int file = open("/inside.txt", O_RDONLY);
  CD(fchdir(file));
  close(file);
  chdir("/");
}

static void fixture_symlinks(void) {
  CAT(open("/abs/inside.txt", O_RDONLY));
  CAT(open("/abs/../secret", O_RDONLY));
  CAT(open("abs/../../secret", O_RDONLY));
  CAT(open("/abs/abs/abs/../secret", O_RDONLY));
  CAT(open("/up/secret", O_RDONLY));
  CAT(open("/up/inside.txt", O_RDONLY));
  CAT(open("/rel/secret", O_RDONLY));
  CAT(open("/rel/inside.txt", O_RDONLY));
  CAT(open("/sub/rel/secret", O_RDONLY));
  CAT(open("/sub/rel/inside.txt", O_RDONLY));
  CAT(open("/secretlink", O_RDONLY));
  CAT(open("/relsecret", O_RDONLY));
  CAT(open("/chain1", O_RDONLY));
  CAT(open("/chain1", O_RDONLY | O_NOFOLLOW));
  CAT(open("/chain1/", O_RDONLY));
  CAT(open("/loopa", O_RDONLY));
  CAT(open("/loopa/x", O_RDONLY));
  TRY(stat("/loopb", &st));
  KIND(lstat("/loopa", &st));
  KIND(lstat("/abs", &st));
  KIND(lstat("/abs/", &st));
  KIND(stat("/chain1", &st));
  static const char *links[] = {
      "/abs", "/up", "/rel", "/sub/rel", "/secretlink", "/relsecret", "/chain1",
      "/chain2", "/sub/chain3", "/loopa", "/dangling", "/abs/", "/inside.txt",
      "/nowhere"};
  for (size_t i = 0; i < sizeof links / sizeof *links; i++) show_readlink(links[i]);
}

// O_CREAT through a dangling symlink creates its target, resolved inside the root.
static void dangling_symlinks(void) {
  PUT(open("/dangling-excl", O_WRONLY | O_CREAT | O_EXCL, 0644), "never\n");
  PUT(open("/dangling", O_WRONLY | O_CREAT, 0644), "made via /dangling\n");
  CAT(open("/made-by-dangling", O_RDONLY));
  KIND(stat("/made-by-dangling", &st));
  KIND(lstat("/dangling", &st));
  PUT(open("/dangling-escape", O_WRONLY | O_CREAT, 0644), "made via /dangling-escape\n");
  CAT(open("/made-by-escape", O_RDONLY));
  PUT(open("/dangling-rel", O_WRONLY | O_CREAT, 0644), "made via /dangling-rel\n");
  CAT(open("/made-by-rel", O_RDONLY));
  PUT(open("/sub/dangling-up", O_WRONLY | O_CREAT, 0644), "made via /sub/dangling-up\n");
  CAT(open("/made-by-subrel", O_RDONLY));
  PUT(open("/rw/to-ro-new", O_WRONLY | O_CREAT, 0644), "never\n");
  show_realpath("/dangling");
}

static void own_symlinks(void) {
  TRY(symlink("/", "/mylink-root"));
  CAT(open("/mylink-root/inside.txt", O_RDONLY));
  CAT(open("/mylink-root/../secret", O_RDONLY));
  TRY(symlink("/../../..", "/sub/myup"));
  CAT(open("/sub/myup/secret", O_RDONLY));
  CAT(open("/sub/myup/sub/file.txt", O_RDONLY));
  TRY(symlink("../../../../..", "/sub/dir/myrel"));
  CAT(open("/sub/dir/myrel/secret", O_RDONLY));
  CAT(open("/sub/dir/myrel/inside.txt", O_RDONLY));
  TRY(symlink("../secret", "/myrelsecret"));
  CAT(open("/myrelsecret", O_RDONLY));
  TRY(symlink("myb", "/mya"));
  TRY(symlink("/sub/../myc", "/myb"));
  TRY(symlink("inside.txt", "/myc"));
  CAT(open("/mya", O_RDONLY));
  TRY(symlink("myloop2", "/myloop1"));
  TRY(symlink("/myloop1", "/myloop2"));
  CAT(open("/myloop1", O_RDONLY));
  TRY(symlink("/x", "/mya"));
  TRY(symlink("/x", "/nowhere/link"));
  TRY(symlinkat("/sub", root, "../via-dirfd"));
  CAT(open("/via-dirfd/file.txt", O_RDONLY));
  static const char *links[] = {
      "/mylink-root", "/sub/myup", "/sub/dir/myrel", "/myrelsecret", "/mya", "/myb",
      "/myc", "/myloop1", "/via-dirfd"};
  for (size_t i = 0; i < sizeof links / sizeof *links; i++) show_readlink(links[i]);
}

// glibc's realpath() walks the path itself with readlink() and getcwd().
static void realpaths(void) {
  static const char *paths[] = {
      "/", "/..", "../../..", "/abs", "/abs/..", "/up", "/rel", "/sub/rel", "/subabs",
      "/subabs/../..", "/chain1", "/mya", "/sub/myup", "/loopa", "/dangling-excl",
      "/secretlink", "/relsecret", "/rw/..", "/rw/toinside", "/rw/relup", "/tors/sub",
      "/ro/ro.txt", "/ro/relsecret", "/ro/rodir/../.."};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) show_realpath(paths[i]);
}

static void dirfds(void) {
  int sub = open("/sub/dir", O_RDONLY | O_DIRECTORY);
  CAT(openat(root, "../../secret", O_RDONLY));
  CAT(openat(root, "../inside.txt", O_RDONLY));
  CAT(openat(root, "abs/../secret", O_RDONLY));
  CAT(openat(sub, "../../../../secret", O_RDONLY));
  CAT(openat(sub, "../../inside.txt", O_RDONLY));
  CAT(openat(sub, "deep.txt", O_RDONLY));
  CAT(openat(sub, "/inside.txt", O_RDONLY));
  CAT(openat(sub, "/../secret", O_RDONLY));
  TRY(faccessat(sub, "../../../../secret", F_OK, 0));
  chdir("/sub");
  CAT(openat(AT_FDCWD, "../../secret", O_RDONLY));
  CAT(openat(AT_FDCWD, "../inside.txt", O_RDONLY));
  CAT(openat(AT_FDCWD, "file.txt", O_RDONLY));
  chdir("/");
  KIND(fstatat(root, "abs", &st, AT_SYMLINK_NOFOLLOW));
  KIND(fstatat(root, "abs", &st, 0));
  KIND(fstatat(sub, "../../../chain1", &st, AT_SYMLINK_NOFOLLOW));
  KIND(fstatat(sub, "../../../chain1", &st, 0));
  KIND(fstatat(sub, "../../../../secret", &st, 0));
  KIND(fstatat(root, "", &st, AT_EMPTY_PATH));
  CAT(openat(root, "abs", O_RDONLY | O_NOFOLLOW));
  int file = open("/inside.txt", O_RDONLY);
  CAT(openat(file, "x", O_RDONLY));
  close(file);
  TRY(mkdirat(sub, "../../../made-by-mkdirat", 0755));
  KIND(stat("/made-by-mkdirat", &st));
  CD(fchdir(sub));
  chdir("/");
  close(sub);
}

// mkdir, rmdir, unlink, rename and link inside the root, and Linux's errors for each.
static void mutations(void) {
  TRY(mkdir("/newdir", 0755));
  TRY(mkdir("/newdir", 0755));
  TRY(mkdir("/newdir/", 0755));
  TRY(mkdir("/newdir2/", 0755));
  TRY(mkdir("/nowhere/x", 0755));
  TRY(mkdir("/inside.txt/x", 0755));
  TRY(mkdir("/", 0755));
  TRY(mkdir("/..", 0755));
  TRY(mkdir("/../escaped-dir", 0755));
  PUT(open("/newdir/f", O_WRONLY | O_CREAT | O_EXCL, 0644), "f\n");
  PUT(open("/newdir/f", O_WRONLY | O_CREAT | O_EXCL, 0644), "f again\n");
  PUT(open("/inside.txt/", O_WRONLY | O_CREAT, 0644), "never\n");
  PUT(open("/newfile/", O_WRONLY | O_CREAT, 0644), "never\n");
  CAT(open("/inside.txt/", O_RDONLY));
  TRY(stat("/inside.txt/", &st));
  TRY(rmdir("/newdir"));
  TRY(rmdir("/newdir/."));
  TRY(rmdir("/newdir/.."));
  TRY(rmdir("/"));
  TRY(rmdir("/inside.txt"));
  TRY(rmdir("/nowhere"));
  TRY(rmdir("/abs"));
  TRY(unlink("/newdir"));
  TRY(unlink("/"));
  TRY(unlink("/nowhere"));
  TRY(unlink("/newdir/f/"));
  TRY(rename("/newdir/f", "/newdir/g"));
  TRY(rename("/newdir/g/", "/newdir/h"));
  TRY(rename("/made-by-rel", "/made-by-rel-moved/"));  // a file of its own: a wrong "ok" moves only it
  TRY(rename("/nowhere", "/x"));
  TRY(rename("/newdir", "/newdir/inner"));
  TRY(rename("/newdir/g", "/emptydir"));
  TRY(rename("/emptydir", "/newdir/g"));
  TRY(rename("/emptydir", "/sub"));
  TRY(rename("/newdir2", "/emptydir"));
  TRY(rename("/..", "/x"));
  TRY(rename("/newdir/g", "/../renamed-up"));
  CAT(open("/renamed-up", O_RDONLY));
  TRY(link("/inside.txt", "/hardlink.txt"));
  CAT(open("/hardlink.txt", O_RDONLY));
  TRY(link("/inside.txt", "/hardlink.txt"));
  TRY(link("/inside.txt", "/../linked-up"));
  TRY(link("/sub", "/sublink"));
  TRY(link("/nowhere", "/x"));
  TRY(link("/abs", "/abs-hardlink"));
  show_readlink("/abs-hardlink");
  TRY(unlink("/hardlink.txt"));
  TRY(chmod("/renamed-up", 0600));
  KIND(stat("/renamed-up", &st));
  ls("/newdir");
}

// Reading through the binds; ".." from a bind's top leads back into the root.
static void binds(void) {
  CAT(open("/ro/ro.txt", O_RDONLY));
  CAT(open("/rw/rw.txt", O_RDONLY));
  CAT(open("/ro/rodir/inner.txt", O_RDONLY));
  CAT(open("/ro/relsecret", O_RDONLY));
  CAT(open("/rw/relsecret", O_RDONLY));
  CAT(open("/rw/relup", O_RDONLY));
  CAT(open("/rw/toinside", O_RDONLY));
  CAT(open("/tors/rw.txt", O_RDONLY));
  CAT(open("/ro/../inside.txt", O_RDONLY));
  CAT(open("/rw/../../secret", O_RDONLY));
  same("/rw/..", "/");
  same("/ro/..", "/");
  same("/ro/rodir/../..", "/");
  char a[8192], b[8192];
  list("/rw/..", a, sizeof a);
  list("/", b, sizeof b);
  printf("ls /rw/.. is ls /: %s\n", strcmp(a, b) ? "no" : "yes");
  show_readlink("/rw/toinside");
  show_readlink("/ro/relsecret");
}

// Every change under a read-only bind fails with EROFS, unless an earlier check fails first.
static void read_only_bind(void) {
  PUT(open("/ro/new.txt", O_WRONLY | O_CREAT, 0644), "never\n");
  PUT(open("/ro/ro.txt", O_WRONLY), "never\n");
  PUT(open("/ro/ro.txt", O_RDWR), "never\n");
  PUT(open("/ro/ro.txt", O_WRONLY | O_APPEND), "never\n");
  CAT(open("/ro/ro.txt", O_RDONLY | O_TRUNC));
  CAT(open("/ro/ro.txt", O_RDONLY | O_CREAT, 0644));
  CAT(open("/ro/ro.txt", O_RDONLY | O_CREAT | O_EXCL, 0644));
  CAT(open("/ro/new.txt", O_RDONLY | O_CREAT, 0644));
  TRY(unlink("/ro/ro.txt"));
  TRY(unlink("/ro/nowhere"));
  TRY(mkdir("/ro/newdir", 0755));
  TRY(mkdir("/ro/rodir", 0755));
  TRY(rmdir("/ro/rodir"));
  TRY(chmod("/ro/ro.txt", 0600));
  TRY(utimes("/ro/ro.txt", NULL));
  TRY(truncate("/ro/ro.txt", 0));
  TRY(rename("/ro/ro.txt", "/ro/moved.txt"));
  TRY(link("/ro/ro.txt", "/ro/linked.txt"));
  TRY(symlink("/inside.txt", "/ro/newlink"));
  TRY(access("/ro/ro.txt", W_OK));
  TRY(access("/ro/ro.txt", R_OK));
  int file = open("/ro/ro.txt", O_RDONLY);
  TRY(fchmod(file, 0600));
  close(file);
  int ro = open("/ro", O_RDONLY | O_DIRECTORY);
  PUT(openat(ro, "new.txt", O_WRONLY | O_CREAT, 0644), "never\n");
  TRY(unlinkat(ro, "ro.txt", 0));
  CAT(openat(ro, "../inside.txt", O_RDONLY));
  TRY(mkdirat(ro, "../made-from-ro", 0755));
  close(ro);
  CAT(open("/ro/ro.txt", O_RDONLY));
  KIND(stat("/ro/ro.txt", &st));
}

// link() and rename() never cross from one mount to another, whichever way.
static void cross_mount(void) {
  TRY(link("/ro/ro.txt", "/rw/linked.txt"));
  TRY(rename("/ro/ro.txt", "/rw/moved.txt"));
  TRY(link("/rw/rw.txt", "/ro/linked.txt"));
  TRY(rename("/rw/rw.txt", "/ro/moved.txt"));
  TRY(link("/inside.txt", "/rw/linked.txt"));
  TRY(rename("/inside.txt", "/rw/moved.txt"));
  TRY(link("/rw/rw.txt", "/linked-from-rw.txt"));
  TRY(rename("/rw/rw.txt", "/moved-from-rw.txt"));
  TRY(rename("/sub", "/rw/sub2"));
  TRY(rename("/rw/sub", "/sub2"));
  TRY(link("/inside.txt", "/tors/linked.txt"));
  TRY(rename("/rw/../inside.txt", "/rw/moved.txt"));
  TRY(link("/tors/rw.txt", "/rw/linked-via-tors.txt"));
  // The mount points themselves are busy.
  TRY(rmdir("/ro"));
  TRY(rmdir("/rw"));
  TRY(rename("/rw", "/rw-moved"));
  TRY(rename("/emptydir", "/rw"));
  TRY(unlink("/rw"));
  TRY(mkdir("/rw", 0755));
}

static void read_write_bind(void) {
  TRY(rename("/rw/move-me.txt", "/rw/sub/moved.txt"));
  CAT(open("/rw/sub/moved.txt", O_RDONLY));
  TRY(link("/rw/sub/moved.txt", "/rw/hardlink.txt"));
  PUT(open("/rw/new.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644), "new in rw\n");
  CAT(open("/rw/new.txt", O_RDONLY));
  TRY(mkdir("/rw/newdir", 0755));
  TRY(chmod("/rw/new.txt", 0600));
  KIND(stat("/rw/new.txt", &st));
  TRY(utimes("/rw/new.txt", NULL));
  TRY(symlink("/inside.txt", "/rw/mylink"));
  CAT(open("/rw/mylink", O_RDONLY));
  TRY(symlink("../secret", "/rw/myrelsecret"));
  CAT(open("/rw/myrelsecret", O_RDONLY));
  TRY(symlink("../../../secret", "/rw/sub/myrelsecret"));
  CAT(open("/rw/sub/myrelsecret", O_RDONLY));
  CD(chdir("/rw/sub"));
  CAT(open("../../inside.txt", O_RDONLY));
  CAT(open("../../../secret", O_RDONLY));
  CAT(open("../rw.txt", O_RDONLY));
  CD(chdir("../.."));
  CD(chdir("/tors/sub"));
  int dir = open("/rw/sub", O_RDONLY | O_DIRECTORY);
  CD(chdir("/"));
  CD(fchdir(dir));
  close(dir);
  CD(chdir("/ro/rodir"));
  CD(chdir(".."));
  CD(chdir(".."));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);  // so a crash still shows how far the probes got
  umask(022);
  root = open("/", O_RDONLY | O_DIRECTORY);
  cd_("start", 0);  // where the guest starts: chroot(8) and --no-cwd both begin at "/"
  dotdot_escapes();
  working_directory();
  fixture_symlinks();
  dangling_symlinks();
  own_symlinks();
  realpaths();
  dirfds();
  mutations();
  binds();
  read_only_bind();
  cross_mount();
  read_write_bind();
  ls("/");
  ls("/sub");
  ls("/sub/dir");
  ls("/ro");
  ls("/rw");
  ls("/rw/sub");
  printf("done\n");
  return 0;
}
