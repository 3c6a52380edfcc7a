// timerfd: a periodic timer driving an epoll loop, non-blocking reads (EAGAIN), an absolute
// timer on CLOCK_REALTIME, the old value from settime and the time left from gettime, ppoll and
// pselect readiness, a blocked read that lets another thread run, and the errors of bad calls.
// Only deterministic facts are printed (counts, errnos, comparisons of times).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000L

static const char *err(int r) {
  if (r >= 0) return "ok";
  return errno == EAGAIN ? "EAGAIN" : errno == EINVAL ? "EINVAL" : errno == EBADF ? "EBADF" : errno == EFAULT ? "EFAULT" : "other";
}

static long long now_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void arm(int fd, int flags, long long value_ns, long long interval_ns, struct itimerspec *old) {
  struct itimerspec its = {{interval_ns / 1000000000, interval_ns % 1000000000}, {value_ns / 1000000000, value_ns % 1000000000}};
  if (timerfd_settime(fd, flags, &its, old) != 0) printf("settime failed: %s\n", err(-1));
}

static volatile int spinning = 1;
static volatile long spins;

static void *spin(void *arg) {
  (void)arg;
  while (spinning) spins++;
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  uint64_t n;

  // Errors.
  printf("create CLOCK_PROCESS_CPUTIME_ID: %s\n", err(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0)));
  printf("create bad flags: %s\n", err(timerfd_create(CLOCK_MONOTONIC, 1)));
  struct itimerspec zero = {{0, 0}, {0, 0}};
  printf("settime on stdin: %s\n", err(timerfd_settime(0, 0, &zero, NULL)));
  int closed = dup(0);  // a number known to be closed: under qemu-riscv64 the guest shares the host's table
  close(closed);
  printf("settime on a closed fd: %s\n", err(timerfd_settime(closed, 0, &zero, NULL)));

  // Non-blocking, close-on-exec; nothing has expired yet.
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  printf("cloexec: %d nonblock: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  printf("read disarmed: %s\n", err((int)read(fd, &n, 8)));
  printf("settime bad flags: %s\n", err(timerfd_settime(fd, 4, &zero, NULL)));
  struct itimerspec bad = {{0, 0}, {0, 1000000000}};
  printf("settime bad nsec: %s\n", err(timerfd_settime(fd, 0, &bad, NULL)));
  arm(fd, 0, 1000 * MS, 0, NULL);
  printf("read not expired: %s\n", err((int)read(fd, &n, 8)));
  printf("read 4 bytes: %s\n", err((int)read(fd, &n, 4)));
  printf("write: %s\n", err((int)write(fd, &n, 8)));

  // settime returns the old value; gettime the time left.
  struct itimerspec old, cur;
  arm(fd, 0, 2000 * MS, 0, &old);
  printf("old value in (0.5 s, 1 s]: %d, old interval 0: %d\n",
         old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 500 * MS, old.it_interval.tv_sec == 0 && old.it_interval.tv_nsec == 0);
  timerfd_gettime(fd, &cur);
  printf("left in (1.5 s, 2 s]: %d\n",
         (cur.it_value.tv_sec == 1 && cur.it_value.tv_nsec > 500 * MS) || (cur.it_value.tv_sec == 2 && cur.it_value.tv_nsec == 0));
  arm(fd, 0, 0, 0, &old);
  timerfd_gettime(fd, &cur);
  printf("disarmed: %ld.%09ld interval %ld.%09ld, old value > 1 s: %d\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec,
         (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec, old.it_value.tv_sec >= 1);

  // A periodic timer (every 10 ms) drives an epoll loop.
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  arm(fd, 0, 10 * MS, 10 * MS, NULL);
  uint64_t total = 0;
  int wakeups = 0, wrong = 0;
  while (total < 5) {
    struct epoll_event got;
    int r = epoll_wait(ep, &got, 1, 5000);
    if (r != 1 || got.data.u64 != 77 || !(got.events & EPOLLIN)) wrong++;
    if (read(fd, &n, 8) == 8) total += n;
    else wrong++;
    wakeups++;
  }
  timerfd_gettime(fd, &cur);
  printf("epoll loop: total >= 5: %d, wakeups <= total: %d, bad wakeups: %d\n", total >= 5, (uint64_t)wakeups <= total, wrong);
  printf("periodic: interval %ld.%09ld, left in (0, 10 ms]: %d\n", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec,
         cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10 * MS);
  // Several periods pass unread: one read returns them all.
  usleep(55 * 1000);
  printf("after 55 ms unread: expirations >= 4: %d\n", read(fd, &n, 8) == 8 && n >= 4);
  arm(fd, 0, 0, 0, NULL);
  struct epoll_event got;
  printf("epoll after disarm: %d\n", epoll_wait(ep, &got, 1, 30));
  close(ep);
  close(fd);

  // An absolute CLOCK_REALTIME timer, read blocking; another thread runs meanwhile.
  int abs_fd = timerfd_create(CLOCK_REALTIME, 0);
  pthread_t th;
  pthread_create(&th, NULL, spin, NULL);
  long long start = now_ns(CLOCK_MONOTONIC);
  arm(abs_fd, TFD_TIMER_ABSTIME, now_ns(CLOCK_REALTIME) + 30 * MS, 0, NULL);
  long long spins_before = spins;
  ssize_t r = read(abs_fd, &n, 8);
  long long waited = now_ns(CLOCK_MONOTONIC) - start;
  printf("absolute: read %zd, expirations %llu, waited >= 25 ms: %d, other thread ran: %d\n", r, (unsigned long long)n,
         waited >= 25 * MS, spins > spins_before);
  spinning = 0;
  pthread_join(th, NULL);
  timerfd_gettime(abs_fd, &cur);
  printf("expired one-shot: %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
  // An absolute time already past expires at once.
  arm(abs_fd, TFD_TIMER_ABSTIME, now_ns(CLOCK_REALTIME) - 1000 * MS, 0, NULL);
  r = read(abs_fd, &n, 8);
  printf("absolute in the past: read %zd, expirations %llu\n", r, (unsigned long long)n);
  close(abs_fd);

  // ppoll and pselect readiness.
  int pfd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
  arm(pfd, 0, 200 * MS, 0, NULL);
  struct pollfd p = {pfd, POLLIN, 0};
  printf("poll before expiry: %d revents %d\n", poll(&p, 1, 0), p.revents);
  printf("poll until expiry: %d revents %d\n", poll(&p, 1, 5000), p.revents);
  read(pfd, &n, 8);
  arm(pfd, 0, 200 * MS, 0, NULL);
  fd_set rd, wr;
  FD_ZERO(&rd);
  FD_SET(pfd, &rd);
  struct timespec ts = {0, 0};
  printf("pselect before expiry: %d\n", pselect(pfd + 1, &rd, NULL, NULL, &ts, NULL));
  FD_ZERO(&rd);
  FD_SET(pfd, &rd);
  FD_ZERO(&wr);
  FD_SET(pfd, &wr);
  ts.tv_sec = 5;
  int sel = pselect(pfd + 1, &rd, &wr, NULL, &ts, NULL);
  printf("pselect until expiry: %d readable %d writable %d\n", sel, FD_ISSET(pfd, &rd) != 0, FD_ISSET(pfd, &wr) != 0);
  FD_ZERO(&rd);
  FD_SET(pfd, &rd);
  struct timeval tv = {0, 20000};
  read(pfd, &n, 8);
  printf("select timeout: %d set %d\n", select(pfd + 1, &rd, NULL, NULL, &tv), FD_ISSET(pfd, &rd) != 0);
  FD_ZERO(&rd);
  FD_SET(closed, &rd);
  ts.tv_sec = 0;
  printf("pselect closed fd: %s\n", err(pselect(closed + 1, &rd, NULL, NULL, &ts, NULL)));
  // poll writes revents back: an array it may read but not write, or not read, is EFAULT.
  struct pollfd *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("poll on a read-only array: %s\n", err(poll(ro, 1, 0)));
  struct pollfd *volatile unmapped = (struct pollfd *)16;
  printf("poll on an unmapped array: %s\n", err(poll(unmapped, 1, 0)));
  close(pfd);
  return 0;
}
