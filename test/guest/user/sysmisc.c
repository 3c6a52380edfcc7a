// The smaller syscalls no other program calls, each once in a scratch directory (argv[1]),
// printing what Linux's answer lets us compare with qemu-riscv64: file metadata and sync
// calls, vectored and positional I/O, sendfile, ids, sessions, priorities, limits, clocks,
// uname, prctl, mremap, sigsuspend and tkill; and renameat, which riscv64 does not have.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static volatile int got_signal;
static void on_signal(int sig) { got_signal = sig; }

static void files(const char *dir) {
  CHECK(chdir(dir) == 0);
  int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  struct iovec w[2] = {{"hello ", 6}, {"world", 5}};
  SHOW("pwritev 2 iovecs at 0", pwritev(fd, w, 2, 0));
  char a[4] = {0}, b[8] = {0};
  struct iovec r[2] = {{a, 3}, {b, 7}};
  SHOW("preadv at 1", preadv(fd, r, 2, 1));
  printf("  '%s' '%s'\n", a, b);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  SHOW("readv", readv(fd, r, 2));
  printf("  '%s' '%s'\n", a, b);
  struct stat st;
  SHOW("fstat", syscall(SYS_fstat, fd, &st)); // glibc's fstat uses newfstatat
  printf("  size %ld mode %o\n", (long)st.st_size, st.st_mode & 07777);
  SHOW("fchmod 600", fchmod(fd, 0600));
  SHOW("fchmodat 640", fchmodat(AT_FDCWD, "f", 0640, 0));
  CHECK(stat("f", &st) == 0);
  printf("  mode %o\n", st.st_mode & 07777);
  SHOW("fchown to self", fchown(fd, getuid(), getgid()));
  SHOW("fchownat to self", fchownat(AT_FDCWD, "f", -1, -1, 0));
  SHOW("faccessat2 R_OK", syscall(SYS_faccessat2, AT_FDCWD, "f", R_OK, AT_EACCESS));
  SHOW("faccessat2 bad flags", syscall(SYS_faccessat2, AT_FDCWD, "f", R_OK, 0x4000));
  SHOW("truncate to 5", truncate("f", 5));
  CHECK(fstat(fd, &st) == 0);
  printf("  size %ld\n", (long)st.st_size);
  SHOW("fsync", fsync(fd));
  SHOW("fdatasync", fdatasync(fd));
  sync();
  SHOW("posix_fadvise", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
  struct timespec times[2] = {{1000000000, 0}, {1200000000, 0}};
  SHOW("utimensat", utimensat(AT_FDCWD, "f", times, 0));
  CHECK(stat("f", &st) == 0);
  printf("  mtime %ld.%09ld\n", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  SHOW("linkat", linkat(AT_FDCWD, "f", AT_FDCWD, "g", 0));
  CHECK(stat("f", &st) == 0);
  printf("  nlink %ld\n", (long)st.st_nlink);
  SHOW("renameat (not on riscv64)", syscall(38, AT_FDCWD, "g", AT_FDCWD, "h"));
  struct statx sx;
  SHOW("statx", statx(AT_FDCWD, "g", 0, STATX_SIZE | STATX_NLINK, &sx));
  printf("  size %llu nlink %u\n", (unsigned long long)sx.stx_size, sx.stx_nlink);
  struct statfs sf1, sf2;
  SHOW("statfs", statfs(".", &sf1));
  SHOW("fstatfs", fstatfs(fd, &sf2));
  printf("  same type: %d\n", sf1.f_type == sf2.f_type);
  int out = open("copy", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  off_t off = 1;
  SHOW("sendfile 3 from 1", sendfile(out, fd, &off, 3));
  printf("  offset now %ld\n", (long)off);
  close(out);
  int dfd = open(".", O_RDONLY | O_DIRECTORY);
  CHECK(chdir("/") == 0);
  SHOW("fchdir", fchdir(dfd));
  SHOW("access copy after fchdir", access("copy", F_OK));
  close(dfd);
  close(fd);
}

static void ids_and_limits(void) {
  printf("geteuid == getuid: %d, getegid == getgid: %d\n", geteuid() == getuid(), getegid() == getgid());
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  SHOW("getresuid", getresuid(&ru, &eu, &su));
  SHOW("getresgid", getresgid(&rg, &eg, &sg));
  printf("  all the same: %d %d\n", ru == eu && eu == su && ru == getuid(), rg == eg && eg == sg && rg == getgid());
  printf("getgroups count >= 0: %d\n", getgroups(0, NULL) >= 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    int ok = setsid() == getpid() && getsid(0) == getpid() && getpgid(0) == getpid();
    printf("child: setsid makes it the leader: %d\n", ok);
    _exit(0);
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  errno = 0;
  int prio = getpriority(PRIO_PROCESS, 0);
  printf("getpriority errno %d\n", errno);
  SHOW("setpriority to the same", setpriority(PRIO_PROCESS, 0, prio));
  struct rlimit rl;
  CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
  rl.rlim_cur = 100;
  SHOW("setrlimit NOFILE 100", syscall(SYS_setrlimit, RLIMIT_NOFILE, &rl)); // glibc's uses prlimit64
  CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
  printf("  now %ld\n", (long)rl.rlim_cur);
  struct rusage ru_;
  SHOW("getrusage", getrusage(RUSAGE_SELF, &ru_));
  struct timeval tv;
  SHOW("gettimeofday", syscall(SYS_gettimeofday, &tv, NULL)); // not the vDSO
  printf("  after 2020: %d\n", tv.tv_sec > 1577836800);
  struct timespec res;
  SHOW("clock_getres MONOTONIC", clock_getres(CLOCK_MONOTONIC, &res));
  printf("  %ld.%09ld\n", (long)res.tv_sec, res.tv_nsec);
  struct tms tm;
  printf("times >= 0: %d\n", (long)times(&tm) >= 0);
  struct utsname u;
  SHOW("uname", uname(&u));
  printf("  %s %s\n", u.sysname, u.machine);
  struct sysinfo si;
  SHOW("sysinfo", sysinfo(&si));
  printf("  mem_unit %u, some RAM: %d\n", si.mem_unit, si.totalram > 0);
  char name[16] = {0};
  SHOW("prctl PR_SET_NAME", prctl(PR_SET_NAME, "renamed", 0, 0, 0));
  SHOW("prctl PR_GET_NAME", prctl(PR_GET_NAME, name, 0, 0, 0));
  printf("  '%s'\n", name);
  unsigned cpu, node;
  SHOW("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
  struct sched_param sp = {.sched_priority = 5};
  SHOW("sched_getscheduler", sched_getscheduler(0));
  SHOW("sched_get_priority_max SCHED_OTHER", sched_get_priority_max(SCHED_OTHER));
  SHOW("sched_get_priority_min SCHED_OTHER", sched_get_priority_min(SCHED_OTHER));
  SHOW("sched_getparam", sched_getparam(0, &sp));
  printf("  priority %d\n", sp.sched_priority);
  cpu_set_t set;
  CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
  SHOW("sched_setaffinity to the same", sched_setaffinity(0, sizeof set, &set));
}

static void memory_and_signals(void) {
  size_t page = 4096;
  char *m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(m != MAP_FAILED);
  strcpy(m, "kept");
  char *g = mremap(m, page, 4 * page, MREMAP_MAYMOVE);
  CHECK(g != MAP_FAILED);
  g[3 * page] = 'x';
  printf("mremap grows: '%s' '%c'\n", g, g[3 * page]);
  SHOW("msync", msync(g, page, MS_SYNC));
  SHOW("munmap", munmap(g, 4 * page));

  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
  CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
  sigset_t block, empty;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigemptyset(&empty);
  CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
  raise(SIGUSR1);
  printf("blocked: handled %d\n", got_signal);
  SHOW("sigsuspend", sigsuspend(&empty));
  printf("  handled %d\n", got_signal);
  SHOW("tkill SIGUSR2", syscall(SYS_tkill, gettid(), SIGUSR2));
  printf("  handled %d\n", got_signal);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) return 2;
  files(argv[1]);
  ids_and_limits();
  memory_and_signals();
  printf("done\n");
  return 0;
}
