// SO_RCVTIMEO and SO_SNDTIMEO, one scenario per argv[1]: "unix" (a socketpair, a datagram
// socket and a listener in the abstract namespace) and "tcp" (loopback, for --net host).
// Timed waits print whether they lasted at least the timeout, never how long (a wait that
// never ends fails the test by its time limit).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void set_timeout(int fd, int name, long sec, long usec) {
  struct timeval tv = {.tv_sec = sec, .tv_usec = usec};
  CHECK(setsockopt(fd, SOL_SOCKET, name, &tv, sizeof tv) == 0);
}

static void show_timeout(const char *what, int fd, int name) {
  struct timeval tv = {-1, -1};
  socklen_t len = sizeof tv;
  CHECK(getsockopt(fd, SOL_SOCKET, name, &tv, &len) == 0);
  printf("%s: %ld s %ld us (len %u)\n", what, (long)tv.tv_sec, (long)tv.tv_usec, len);
}

/** Runs a call that should give up after `ms`: prints its result, errno, and whether it waited. */
#define TIMED(what, ms, call)                                                                       \
  do {                                                                                              \
    double t0_ = now_ms();                                                                          \
    errno = 0;                                                                                      \
    long r_ = (long)(call);                                                                         \
    double dt_ = now_ms() - t0_;                                                                    \
    printf("%s: %ld errno %s, waited >= %d ms: %d\n", what, r_, r_ < 0 ? strerrorname_np(errno) : "-", \
           ms, dt_ >= (ms) - 1);                                                                   \
  } while (0)

static void on_usr1(int sig) { (void)sig; }

struct later {
  int fd;
  int ms;
  pthread_t target;
};

static void *write_later(void *arg) {
  struct later *l = arg;
  usleep(l->ms * 1000);
  CHECK(write(l->fd, "late", 4) == 4);
  return NULL;
}

static void *signal_later(void *arg) {
  struct later *l = arg;
  usleep(l->ms * 1000);
  pthread_kill(l->target, SIGUSR1);
  return NULL;
}

static void unix_mode(void) {
  int sv[2];
  char buf[16];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  show_timeout("default SO_RCVTIMEO", sv[0], SO_RCVTIMEO);
  show_timeout("default SO_SNDTIMEO", sv[0], SO_SNDTIMEO);
  set_timeout(sv[0], SO_RCVTIMEO, 0, 100000);
  set_timeout(sv[0], SO_SNDTIMEO, 2, 500000);
  show_timeout("SO_RCVTIMEO set", sv[0], SO_RCVTIMEO);
  show_timeout("SO_SNDTIMEO set", sv[0], SO_SNDTIMEO);
  struct timeval bad = {.tv_sec = 0, .tv_usec = 1000000};
  SHOW("usec 1000000", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad));
  SHOW("short optlen", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &bad, 8));
  struct timeval small;
  socklen_t len = 8;
  CHECK(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &small, &len) == 0);
  printf("getsockopt into 8 bytes: len %u sec %ld\n", len, (long)small.tv_sec);

  TIMED("recv with nothing sent", 100, recv(sv[0], buf, sizeof buf, 0));
  TIMED("read with nothing sent", 100, read(sv[0], buf, sizeof buf));
  CHECK(write(sv[1], "ab", 2) == 2);
  TIMED("recv with 2 bytes waiting", 0, recv(sv[0], buf, sizeof buf, 0));

  set_timeout(sv[0], SO_RCVTIMEO, 2, 0);
  pthread_t th;
  struct later l = {.fd = sv[1], .ms = 50};
  CHECK(pthread_create(&th, NULL, write_later, &l) == 0);
  TIMED("recv of a thread's late write, timeout 2 s", 0, recv(sv[0], buf, sizeof buf, 0));
  pthread_join(th, NULL);

  // With a timeout, a handler's SA_RESTART does not restart the receive: EINTR.
  struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
  struct later sl = {.ms = 50, .target = pthread_self()};
  CHECK(pthread_create(&th, NULL, signal_later, &sl) == 0);
  TIMED("recv interrupted by a signal", 40, recv(sv[0], buf, sizeof buf, 0));
  pthread_join(th, NULL);

  set_timeout(sv[0], SO_RCVTIMEO, -5, 0);
  show_timeout("negative seconds", sv[0], SO_RCVTIMEO);
  close(sv[0]);
  close(sv[1]);

  int d[2];
  CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, d) == 0);
  set_timeout(d[0], SO_RCVTIMEO, 0, 80000);
  TIMED("datagram recvfrom", 80, recvfrom(d[0], buf, sizeof buf, 0, NULL, NULL));
  close(d[0]);
  close(d[1]);

  int l0 = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un un = {.sun_family = AF_UNIX};
  snprintf(un.sun_path + 1, sizeof un.sun_path - 1, "socktimeo-%d", getpid());
  socklen_t ulen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(un.sun_path + 1);
  CHECK(bind(l0, (struct sockaddr *)&un, ulen) == 0);
  CHECK(listen(l0, 4) == 0);
  set_timeout(l0, SO_RCVTIMEO, 0, 60000);
  TIMED("accept with no client", 60, accept(l0, NULL, NULL));
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(connect(c, (struct sockaddr *)&un, ulen) == 0);
  int a = accept(l0, NULL, NULL);
  CHECK(a >= 0);
  show_timeout("accepted AF_UNIX socket's SO_RCVTIMEO", a, SO_RCVTIMEO);
  close(a);
  close(c);
  close(l0);
}

static void tcp_mode(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  CHECK(bind(l, (struct sockaddr *)&sa, sizeof sa) == 0);
  CHECK(listen(l, 4) == 0);
  CHECK(getsockname(l, (struct sockaddr *)&sa, &len) == 0);
  show_timeout("default SO_RCVTIMEO", l, SO_RCVTIMEO);
  set_timeout(l, SO_RCVTIMEO, 0, 100000);
  set_timeout(l, SO_SNDTIMEO, 0, 200000);
  show_timeout("listener SO_RCVTIMEO", l, SO_RCVTIMEO);
  TIMED("accept with no client", 100, accept(l, NULL, NULL));
  int c = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(connect(c, (struct sockaddr *)&sa, sizeof sa) == 0);
  int s = accept(l, NULL, NULL);
  CHECK(s >= 0);
  show_timeout("accepted socket inherits SO_RCVTIMEO", s, SO_RCVTIMEO);
  show_timeout("accepted socket inherits SO_SNDTIMEO", s, SO_SNDTIMEO);
  char buf[16];
  TIMED("recv with nothing sent", 100, recv(s, buf, sizeof buf, 0));
  TIMED("read with nothing sent", 100, read(s, buf, sizeof buf));
  CHECK(write(c, "hi", 2) == 2);
  TIMED("recv with bytes on the way", 0, recv(s, buf, 2, MSG_WAITALL));

  // The peer never reads: sends fill the buffers, then one waits out SO_SNDTIMEO.
  set_timeout(c, SO_SNDTIMEO, 0, 100000);
  static char chunk[65536];
  long total = 0;
  int sends = 0;
  for (;;) {
    double s0 = now_ms();
    ssize_t n = send(c, chunk, sizeof chunk, 0);
    if (n < 0) {
      printf("send gave up: errno %s, that send waited >= 100 ms: %d, sent > 0: %d\n", strerrorname_np(errno),
             now_ms() - s0 >= 99, total > 0);
      break;
    }
    total += n;
    if (++sends > 100000) {
      printf("send never gave up\n");
      break;
    }
  }
  close(s);
  close(c);
  close(l);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "unix")) unix_mode();
  else if (!strcmp(mode, "tcp")) tcp_mode();
  else {
    printf("usage: socktimeo unix | tcp\n");
    return 2;
  }
  printf("done\n");
  return 0;
}
