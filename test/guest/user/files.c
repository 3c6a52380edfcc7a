// Newer file and process syscalls: memfd_create and seals, copy_file_range, preadv2/pwritev2,
// splice and tee, close_range, sync_file_range, readahead, the set*id family, capget/capset,
// membarrier and sched_getattr/sched_setattr (openat2 and execveat, which Debian's
// qemu-riscv64 lacks, are in openat2.c). argv[1] is a scratch directory. Nothing
// host-dependent is printed (no pids, ids, capability masks).
#define _GNU_SOURCE
#include <sys/fsuid.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/membarrier.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "check.h"
#include "scratch.h"


static void memfd(void) {
  int fd = memfd_create("hw-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  CHECK(fd >= 0);
  printf("memfd cloexec %d\n", fcntl(fd, F_GETFD) == FD_CLOEXEC);
  char link[64] = {0}, proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  CHECK(readlink(proc, link, sizeof link - 1) > 0);
  printf("memfd link: %s\n", link);
  CHECK(write(fd, "memfd data", 10) == 10);
  CHECK(ftruncate(fd, 4096) == 0);
  char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  printf("mapped sees: %.10s\n", m);
  memcpy(m, "MAPPED", 6);
  CHECK(munmap(m, 4096) == 0);
  char buf[16] = {0};
  CHECK(pread(fd, buf, 10, 0) == 10);
  printf("read after the mapping: %s\n", buf);
  SHOW("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
  SHOW("F_ADD_SEALS shrink|grow", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
  SHOW("ftruncate smaller", ftruncate(fd, 100));
  SHOW("ftruncate larger", ftruncate(fd, 8192));
  SHOW("pwrite past the end", pwrite(fd, "0123456789", 10, 4090));
  SHOW("pwrite inside", pwrite(fd, "inside", 6, 100));
  SHOW("F_ADD_SEALS write", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  SHOW("write when sealed", write(fd, "x", 1));
  SHOW("F_ADD_SEALS seal", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
  SHOW("F_ADD_SEALS after F_SEAL_SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
  SHOW("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  printf("memfd size %d regular %d\n", (int)st.st_size, S_ISREG(st.st_mode));
  close(fd);
  fd = memfd_create("plain", 0);
  SHOW("no sealing: F_GET_SEALS", fcntl(fd, F_GET_SEALS));
  SHOW("no sealing: F_ADD_SEALS", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  close(fd);
  SHOW("memfd_create bad flags", memfd_create("bad", 0x100));
  fd = open(at(0, "regular"), O_CREAT | O_RDWR, 0600);
  SHOW("F_GET_SEALS on a file", fcntl(fd, F_GET_SEALS));
  close(fd);
}

static void copy_range(void) {
  int src = open(at(0, "src.txt"), O_CREAT | O_RDWR | O_TRUNC, 0600);
  int dst = open(at(1, "dst.txt"), O_CREAT | O_RDWR | O_TRUNC, 0600);
  CHECK(src >= 0 && dst >= 0 && write(src, "0123456789abcdef", 16) == 16);
  CHECK(lseek(src, 0, SEEK_SET) == 0);
  loff_t off = 4;
  SHOW("copy_file_range from offset 4", copy_file_range(src, &off, dst, NULL, 6, 0));
  printf("off_in now %d, dst position %d\n", (int)off, (int)lseek(dst, 0, SEEK_CUR));
  SHOW("copy_file_range at positions", copy_file_range(src, NULL, dst, NULL, 4, 0));
  printf("src position %d\n", (int)lseek(src, 0, SEEK_CUR));
  off = 16;
  SHOW("copy_file_range at EOF", copy_file_range(src, &off, dst, NULL, 4, 0));
  SHOW("copy_file_range flags", copy_file_range(src, NULL, dst, NULL, 4, 1));
  loff_t a = 0, b = 2;
  SHOW("copy_file_range overlapping", copy_file_range(src, &a, src, &b, 4, 0));
  int p[2];
  CHECK(pipe(p) == 0);
  SHOW("copy_file_range to a pipe", copy_file_range(src, NULL, p[1], NULL, 4, 0));
  int app = open(at(2, "dst.txt"), O_WRONLY | O_APPEND);
  SHOW("copy_file_range to O_APPEND", copy_file_range(src, NULL, app, NULL, 4, 0));
  char buf[32] = {0};
  CHECK(pread(dst, buf, sizeof buf, 0) == 10);
  printf("dst: %s\n", buf);
  close(app);
  close(p[0]);
  close(p[1]);
  close(src);
  close(dst);
}

static void rw2(void) {
  int fd = open(at(0, "rw.txt"), O_CREAT | O_RDWR | O_TRUNC, 0600);
  struct iovec w[2] = {{"hello", 5}, {" world", 6}};
  SHOW("pwritev2 at 0", pwritev2(fd, w, 2, 0, 0));
  char a[8] = {0}, b[8] = {0};
  struct iovec r[2] = {{a, 3}, {b, 2}};
  SHOW("preadv2 at 6", preadv2(fd, r, 2, 6, 0));
  printf("read '%s' '%s'\n", a, b);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  SHOW("preadv2 at -1 (the position)", preadv2(fd, r, 2, -1, 0));
  printf("read '%s' '%s', position %d\n", a, b, (int)lseek(fd, 0, SEEK_CUR));
  SHOW("preadv2 unknown flag", preadv2(fd, r, 2, 0, 0x40000000));
  SHOW("preadv2 offset -2", preadv2(fd, r, 2, -2, 0));
  int p[2];
  CHECK(pipe(p) == 0);
  SHOW("preadv2 offset on a pipe", preadv2(p[0], r, 2, 0, 0));
  SHOW("sync_file_range", sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
  SHOW("sync_file_range bad flags", sync_file_range(fd, 0, 0, 8));
  SHOW("sync_file_range on a pipe", sync_file_range(p[0], 0, 0, 0));
  SHOW("readahead", readahead(fd, 0, 4096));
  SHOW("readahead on a pipe", readahead(p[0], 0, 4096));
  close(p[0]);
  close(p[1]);
  close(fd);
}

static void splicing(void) {
  int file = open(at(0, "splice-in.txt"), O_CREAT | O_RDWR | O_TRUNC, 0600);
  int out = open(at(1, "splice-out.txt"), O_CREAT | O_RDWR | O_TRUNC, 0600);
  CHECK(write(file, "splice me", 9) == 9);
  int p1[2], p2[2];
  CHECK(pipe(p1) == 0 && pipe(p2) == 0);
  loff_t off = 0;
  SHOW("splice file to pipe", splice(file, &off, p1[1], NULL, 100, 0));
  printf("offset now %d, file position %d\n", (int)off, (int)lseek(file, 0, SEEK_CUR));
  SHOW("tee", tee(p1[0], p2[1], 100, 0));
  loff_t off2 = 0;
  SHOW("splice pipe to file", splice(p1[0], NULL, out, &off2, 100, 0));
  char buf[16] = {0};
  CHECK(read(p2[0], buf, sizeof buf) == 9);
  printf("tee'd copy: %s\n", buf);
  memset(buf, 0, sizeof buf);
  CHECK(pread(out, buf, sizeof buf, 0) == 9);
  printf("spliced file: %s\n", buf);
  SHOW("splice file to file", splice(file, NULL, out, NULL, 10, 0));
  SHOW("splice with a pipe offset", splice(p1[0], &off, out, NULL, 10, 0));
  SHOW("tee from an empty pipe, nonblocking", tee(p1[0], p2[1], 10, SPLICE_F_NONBLOCK));
  SHOW("splice bad flags", splice(p1[0], NULL, out, NULL, 10, 0x100));
  close(p1[1]);
  SHOW("splice from a pipe without writers", splice(p1[0], NULL, out, NULL, 10, 0));
  close(p1[0]);
  close(p2[0]);
  close(p2[1]);
  close(file);
  close(out);
}

static void ranges(void) {
  int a = dup(0), b = dup(0), c = dup(0);
  CHECK(a >= 0 && b == a + 1 && c == b + 1);
  // Up to ~0U, as programs close everything above a point (only marked: under qemu-user the
  // range holds qemu's own descriptors too).
  SHOW("close_range CLOEXEC", syscall(SYS_close_range, b, ~0U, CLOSE_RANGE_CLOEXEC));
  printf("cloexec: %d %d %d\n", fcntl(a, F_GETFD), fcntl(b, F_GETFD), fcntl(c, F_GETFD));
  SHOW("close_range", syscall(SYS_close_range, a, c, 0));
  printf("closed: %d %d %d\n", fcntl(a, F_GETFD) < 0, fcntl(b, F_GETFD) < 0, fcntl(c, F_GETFD) < 0);
  SHOW("close_range first > last", syscall(SYS_close_range, c, a, 0));
  SHOW("close_range bad flags", syscall(SYS_close_range, a, c, 1));
}

static void credentials(void) {
  SHOW("setuid(getuid())", setuid(getuid()));
  SHOW("setgid(getgid())", setgid(getgid()));
  SHOW("setreuid(-1, -1)", setreuid(-1, -1));
  SHOW("setregid(-1, getgid())", setregid(-1, getgid()));
  SHOW("setresuid(-1, getuid(), -1)", setresuid(-1, getuid(), -1));
  SHOW("setresgid(getgid(), -1, -1)", setresgid(getgid(), -1, -1));
  printf("setfsuid returns the id: %d\n", setfsuid(getuid()) == (int)getuid());
  printf("setfsgid returns the id: %d\n", setfsgid(getgid()) == (int)getgid());
  SHOW("setuid(-1)", syscall(SYS_setuid, -1));
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  SHOW("capget", syscall(SYS_capget, &hdr, data));
  SHOW("capset to the same sets", syscall(SYS_capset, &hdr, data));
  hdr.version = 0x1234;
  SHOW("capget probing the version", syscall(SYS_capget, &hdr, NULL));
  printf("version now %#x\n", hdr.version);
  hdr.version = 0x1234;
  SHOW("capget unknown version", syscall(SYS_capget, &hdr, data));
  hdr = (struct __user_cap_header_struct){_LINUX_CAPABILITY_VERSION_3, -1};
  SHOW("capget pid -1", syscall(SYS_capget, &hdr, data));
}

static void scheduling(void) {
  long mask = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
  printf("membarrier query: ok %d, private expedited %d\n", mask > 0,
         (mask & (MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)) ==
             (MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED));
  SHOW("membarrier private before register", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
  SHOW("membarrier register", syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
  SHOW("membarrier private", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
  SHOW("membarrier global", syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0));
  SHOW("membarrier bad flags", syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 1, 0));
  SHOW("membarrier bad command", syscall(SYS_membarrier, 12345, 0, 0));
  struct {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
  } attr;
  memset(&attr, 0xff, sizeof attr);
  SHOW("sched_getattr", syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0));
  printf("size %u policy %u nice %d priority %u\n", attr.size, attr.policy, attr.nice, attr.priority);
  SHOW("sched_getattr small", syscall(SYS_sched_getattr, 0, &attr, 40, 0));
  SHOW("sched_getattr flags", syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 1));
  memset(&attr, 0, sizeof attr);
  attr.size = 48;
  SHOW("sched_setattr SCHED_OTHER", syscall(SYS_sched_setattr, 0, &attr, 0));
  attr.size = 20;
  SHOW("sched_setattr small", syscall(SYS_sched_setattr, 0, &attr, 0));
  printf("size written back %u\n", attr.size);
  SHOW("getxattr on a missing file", getxattr(at(0, "no-such-file"), "user.x", NULL, 0));
}

int main(int argc, char **argv) {
  CHECK(argc >= 2);
  scratch_dir = argv[1];
  memfd();
  copy_range();
  rw2();
  splicing();
  ranges();
  credentials();
  scheduling();
  printf("done\n");
  return 8;
}
