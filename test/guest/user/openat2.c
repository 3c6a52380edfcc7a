// openat2's RESOLVE_* limits and struct checks, execveat (a name under a dirfd, AT_EMPTY_PATH,
// AT_SYMLINK_NOFOLLOW) and the preadv2/pwritev2 flags RWF_NOWAIT and RWF_APPEND. Debian's
// qemu-riscv64 (7.2) answers these with ENOSYS or EOPNOTSUPP, so this program's reference is
// Linux itself: the same source built for the host and run there. argv[1] is a scratch
// directory; nothing host-dependent is printed.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "scratch.h"


static long open2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
  long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  if (fd >= 0) close(fd);
  return fd < 0 ? fd : 0;
}

static void openat2_cases(void) {
  CHECK(mkdir(at(0, "root"), 0700) == 0);
  CHECK(mkdir(at(0, "root/sub"), 0700) == 0);
  close(open(at(0, "root/sub/file.txt"), O_CREAT | O_WRONLY, 0600));
  CHECK(symlink("/etc", at(0, "root/abs-link")) == 0);
  CHECK(symlink("sub/file.txt", at(0, "root/rel-link")) == 0);
  CHECK(symlink("/sub/file.txt", at(0, "root/rooted-link")) == 0);
  int d = open(at(0, "root"), O_DIRECTORY | O_RDONLY);
  CHECK(d >= 0);
  SHOW("plain", open2(d, "sub/file.txt", O_RDONLY, 0, 0));
  SHOW("BENEATH inside", open2(d, "sub/../sub/file.txt", O_RDONLY, 0, RESOLVE_BENEATH));
  SHOW("BENEATH relative link", open2(d, "rel-link", O_RDONLY, 0, RESOLVE_BENEATH));
  SHOW("BENEATH ..", open2(d, "../root/sub/file.txt", O_RDONLY, 0, RESOLVE_BENEATH));
  SHOW("BENEATH absolute", open2(d, "/etc/passwd", O_RDONLY, 0, RESOLVE_BENEATH));
  SHOW("BENEATH absolute link", open2(d, "abs-link/passwd", O_RDONLY, 0, RESOLVE_BENEATH));
  SHOW("IN_ROOT absolute", open2(d, "/sub/file.txt", O_RDONLY, 0, RESOLVE_IN_ROOT));
  SHOW("IN_ROOT .. at the root", open2(d, "../../sub/file.txt", O_RDONLY, 0, RESOLVE_IN_ROOT));
  SHOW("IN_ROOT absolute link", open2(d, "rooted-link", O_RDONLY, 0, RESOLVE_IN_ROOT));
  SHOW("IN_ROOT escaping link", open2(d, "abs-link/passwd", O_RDONLY, 0, RESOLVE_IN_ROOT));
  SHOW("NO_SYMLINKS", open2(d, "rel-link", O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
  SHOW("NO_SYMLINKS without links", open2(d, "sub/file.txt", O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
  char magic[64];
  snprintf(magic, sizeof magic, "/proc/self/fd/%d", d);
  SHOW("NO_MAGICLINKS", open2(AT_FDCWD, magic, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS));
  SHOW("NO_XDEV inside", open2(d, "sub/file.txt", O_RDONLY, 0, RESOLVE_NO_XDEV));
  SHOW("NO_XDEV into /proc", open2(AT_FDCWD, "/proc/self/status", O_RDONLY, 0, RESOLVE_NO_XDEV));
  SHOW("BENEATH create", open2(d, "sub/new.txt", O_CREAT | O_WRONLY, 0600, RESOLVE_BENEATH));
  struct stat st;
  printf("created: %d\n", stat(at(1, "root/sub/new.txt"), &st) == 0);
  SHOW("both scopes", open2(d, "sub/file.txt", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT));
  SHOW("unknown resolve flag", open2(d, "sub/file.txt", O_RDONLY, 0, 0x1000));
  SHOW("mode without O_CREAT", open2(d, "sub/file.txt", O_RDONLY, 0644, 0));
  SHOW("flags above 32 bits", open2(d, "sub/file.txt", O_RDONLY | (1ULL << 40), 0, 0));
  struct {
    struct open_how how;
    uint64_t extra;
  } big = {{.flags = O_RDONLY}, 0};
  long fd = syscall(SYS_openat2, d, "sub/file.txt", &big, sizeof big);
  printf("larger struct, zero tail: opened %d\n", fd >= 0);
  close(fd);
  big.extra = 1;
  SHOW("larger struct, nonzero tail", syscall(SYS_openat2, d, "sub/file.txt", &big, sizeof big));
  SHOW("struct too small", syscall(SYS_openat2, d, "sub/file.txt", &big, 16));
  SHOW("struct over a page", syscall(SYS_openat2, d, "sub/file.txt", &big, 4097));
  close(d);
}

static void rwf(void) {
  int fd = open(at(0, "rw.txt"), O_CREAT | O_RDWR | O_TRUNC, 0600);
  CHECK(write(fd, "hello world", 11) == 11);
  char a[8] = {0};
  struct iovec r = {a, 5};
  SHOW("preadv2 RWF_NOWAIT on a file", preadv2(fd, &r, 1, 0, RWF_NOWAIT));
  printf("read '%s'\n", a);
  struct iovec tail = {"!!!", 3};
  CHECK(lseek(fd, 2, SEEK_SET) == 2);
  SHOW("pwritev2 RWF_APPEND at 0", pwritev2(fd, &tail, 1, 0, RWF_APPEND));
  SHOW("pwritev2 RWF_APPEND at -1", pwritev2(fd, &tail, 1, -1, RWF_APPEND));
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  printf("size %d position %d\n", (int)st.st_size, (int)lseek(fd, 0, SEEK_CUR));
  int p[2];
  CHECK(pipe(p) == 0);
  SHOW("preadv2 RWF_NOWAIT on an empty pipe", preadv2(p[0], &r, 1, -1, RWF_NOWAIT));
  close(p[0]);
  close(p[1]);
  close(fd);
}

static void exec_at(const char *self) {
  const char *slash = strrchr(self, '/');
  char parent[512];
  snprintf(parent, sizeof parent, "%.*s", (int)(slash - self), self);
  int d = open(parent, O_DIRECTORY | O_RDONLY);
  int f = open(self, O_RDONLY);
  CHECK(d >= 0 && f >= 0);
  char *args[] = {(char *)self, (char *)scratch_dir, "execveat-child", NULL};
  char *env[] = {NULL};
  for (int how = 0; how < 2; how++) {
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
      if (how == 0) syscall(SYS_execveat, d, slash + 1, args, env, 0);
      else syscall(SYS_execveat, f, "", args, env, AT_EMPTY_PATH);
      _exit(99);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("execveat %s: status %d\n", how ? "AT_EMPTY_PATH" : "dirfd and a name", WEXITSTATUS(status));
  }
  CHECK(symlink(self, at(0, "self-link")) == 0);
  SHOW("execveat a link with AT_SYMLINK_NOFOLLOW", syscall(SYS_execveat, AT_FDCWD, at(0, "self-link"), args, env, AT_SYMLINK_NOFOLLOW));
  SHOW("execveat missing", syscall(SYS_execveat, d, "no-such-program", args, env, 0));
  SHOW("execveat bad flags", syscall(SYS_execveat, d, slash + 1, args, env, 0x2));
  close(d);
  close(f);
}

int main(int argc, char **argv) {
  CHECK(argc >= 2);
  scratch_dir = argv[1];
  if (argc == 3 && strcmp(argv[2], "execveat-child") == 0) {
    printf("execveat child: argc %d\n", argc);
    return 9;
  }
  openat2_cases();
  rwf();
  exec_at(argv[0]);
  printf("done\n");
  return 4;
}
