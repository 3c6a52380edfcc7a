// signalfd: SIGCHLD and SIGUSR1 blocked and read from a signalfd instead (ssi_signo, ssi_code,
// ssi_status, ssi_pid), readiness in poll and epoll, a new mask for the same fd, several
// signals in one read, a blocking read woken by another process's kill, and bad calls.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(long r) {
  if (r >= 0) return "ok";
  return errno == EAGAIN ? "EAGAIN" : errno == EINVAL ? "EINVAL" : errno == EBADF ? "EBADF" : "other";
}

static int ready(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  int r = poll(&p, 1, 0);
  return r == 1 && p.revents == POLLIN;
}

static sigset_t set_of(int a, int b) {
  sigset_t s;
  sigemptyset(&s);
  if (a) sigaddset(&s, a);
  if (b) sigaddset(&s, b);
  return s;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t blocked = set_of(SIGCHLD, SIGUSR1);
  sigaddset(&blocked, SIGUSR2);
  sigprocmask(SIG_BLOCK, &blocked, NULL);

  sigset_t chld = set_of(SIGCHLD, 0);
  printf("bad flags: %s\n", err(signalfd(-1, &chld, 1)));
  printf("on stdin: %s\n", err(signalfd(0, &chld, 0)));
  int closed = dup(0);  // a number known to be closed: under qemu-riscv64 the guest shares the host's table
  close(closed);
  printf("on a closed fd: %s\n", err(signalfd(closed, &chld, 0)));
  int fd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  printf("cloexec: %d nonblock: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  struct signalfd_siginfo si[3];
  printf("sizeof signalfd_siginfo: %zu\n", sizeof si[0]);
  printf("read nothing pending: %s, ready %d\n", err(read(fd, si, sizeof si)), ready(fd));
  printf("read short buffer: %s\n", err(read(fd, si, 100)));
  printf("write: %s\n", err(write(fd, si, sizeof si[0])));

  // A child exits with 7: its SIGCHLD waits in the signalfd.
  pid_t child = fork();
  if (child == 0) _exit(7);
  struct pollfd p = {fd, POLLIN, 0};
  int r = poll(&p, 1, 5000);
  printf("poll for SIGCHLD: %d revents %d\n", r, p.revents);
  memset(si, 0, sizeof si);
  ssize_t n = read(fd, si, sizeof si);
  printf("read %zd: ssi_signo %u ssi_code %d (CLD_EXITED %d) ssi_status %d pid matches %d uid matches %d\n", n,
         si[0].ssi_signo, si[0].ssi_code, CLD_EXITED, si[0].ssi_status, si[0].ssi_pid == (unsigned)child,
         si[0].ssi_uid == getuid());
  int status;
  waitpid(child, &status, 0);
  printf("after the read: ready %d, child status %d\n", ready(fd), WEXITSTATUS(status));

  // SIGUSR1 raised but not in the mask: not readable until signalfd4 widens the same fd's mask.
  raise(SIGUSR1);
  printf("SIGUSR1 pending, mask {SIGCHLD}: ready %d, read %s\n", ready(fd), err(read(fd, si, sizeof si)));
  sigset_t both = set_of(SIGCHLD, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  printf("signalfd on the same fd returns it: %d\n", signalfd(fd, &both, 0) == fd);
  printf("mask {SIGCHLD, SIGUSR1, SIGUSR2}: ready %d\n", ready(fd));
  n = read(fd, si, sizeof si);
  printf("read %zd: ssi_signo %u ssi_code %d (SI_TKILL %d) pid matches %d\n", n, si[0].ssi_signo, si[0].ssi_code, SI_TKILL,
         si[0].ssi_pid == (unsigned)getpid());

  // Two signals, one read: lowest number first.
  kill(getpid(), SIGUSR2);
  raise(SIGUSR1);
  sigset_t pend;
  sigpending(&pend);
  printf("pending: USR1 %d USR2 %d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2));
  n = read(fd, si, sizeof si);
  printf("read %zd: signals %u %u, codes %d %d\n", n, si[0].ssi_signo, si[1].ssi_signo, si[0].ssi_code, si[1].ssi_code);
  sigpending(&pend);
  printf("pending after the read: USR1 %d USR2 %d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2));

  // epoll sees a signalfd become readable.
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 5}, got;
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  printf("epoll nothing pending: %d\n", epoll_wait(ep, &got, 1, 0));
  raise(SIGUSR2);
  r = epoll_wait(ep, &got, 1, 1000);
  printf("epoll after raise(SIGUSR2): %d data %u\n", r, got.data.u32);
  read(fd, si, sizeof si);
  close(ep);

  // A blocking read on another signalfd: a child sends SIGUSR1 a little later.
  sigset_t usr1 = set_of(SIGUSR1, 0);
  int bfd = signalfd(-1, &usr1, 0);
  child = fork();
  if (child == 0) {
    usleep(30 * 1000);
    kill(getppid(), SIGUSR1);
    _exit(0);
  }
  n = read(bfd, si, sizeof si);
  printf("blocking read %zd: ssi_signo %u ssi_code %d (SI_USER %d) from the child %d\n", n, si[0].ssi_signo,
         si[0].ssi_code, SI_USER, si[0].ssi_pid == (unsigned)child);
  waitpid(child, &status, 0);
  n = read(fd, si, sizeof si);
  printf("the second child's SIGCHLD: %zd signo %u status %d\n", n, si[0].ssi_signo, si[0].ssi_status);
  close(bfd);
  close(fd);
  return 0;
}
