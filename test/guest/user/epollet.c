// epoll's EPOLLET and EPOLLONESHOT on each kind of descriptor, one scenario per argv[1]:
// "local" (pipes, a FIFO in the directory argv[2], eventfd, AF_UNIX socketpairs, timerfd,
// signalfd) and "tcp" (a loopback listener and connection, for --net host). Each wait prints
// what it got, so the comparison with qemu-riscv64 checks every report and every silence.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "check.h"

static int ep;

/**
 * Waits up to `ms` and prints each event as "tag:events", sorted by tag: the order of
 * events in one wait is not part of epoll's contract (Linux's follows its ready list).
 */
static void wait_(const char *what, int ms) {
  struct epoll_event ev[8];
  int n = epoll_wait(ep, ev, 8, ms);
  CHECK(n >= 0);
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && (char)ev[j].data.u64 < (char)ev[j - 1].data.u64; j--) {
      struct epoll_event x = ev[j];
      ev[j] = ev[j - 1];
      ev[j - 1] = x;
    }
  printf("%s: %d", what, n);
  for (int i = 0; i < n; i++) printf(" %c:%#x", (char)ev[i].data.u64, ev[i].events);
  printf("\n");
}

static void add(int fd, char tag, unsigned events) {
  struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)tag};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
}

static void mod(int fd, char tag, unsigned events) {
  struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)tag};
  CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) == 0);
}

static void put(int fd, const char *s) {
  CHECK(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
}

static void take(int fd, size_t n) {
  char buf[64];
  CHECK(read(fd, buf, n) == (ssize_t)n);
}

static void fresh(void) {
  if (ep >= 0) close(ep);
  ep = epoll_create1(EPOLL_CLOEXEC);
  CHECK(ep >= 0);
}

static void *late_writer(void *arg) {
  usleep(50000);
  put(*(int *)arg, "late");
  return NULL;
}

static void pipes(void) {
  int p[2];
  CHECK(pipe2(p, O_NONBLOCK) == 0);
  fresh();
  add(p[0], 'r', EPOLLIN | EPOLLET);
  wait_("pipe empty", 0);
  put(p[1], "a");
  wait_("pipe after write", 0);
  wait_("pipe again, data still there", 0);
  put(p[1], "b");
  wait_("pipe after second write", 0);
  take(p[0], 1);
  wait_("pipe after partial read", 0);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, late_writer, &p[1]) == 0);
  wait_("pipe blocking wait for a thread's write", 5000);
  pthread_join(th, NULL);
  add(p[1], 'w', EPOLLOUT | EPOLLET);
  wait_("pipe write end added", 0);
  wait_("pipe write end again", 0);
  put(p[1], "c");
  wait_("pipe after third write (reader only)", 0);
  close(p[1]);
  wait_("pipe writer closed", 0);
  wait_("pipe writer closed, again", 0);
  close(p[0]);

  // Level-triggered for contrast: reported while the condition holds.
  CHECK(pipe2(p, O_NONBLOCK) == 0);
  fresh();
  add(p[0], 'l', EPOLLIN);
  put(p[1], "x");
  wait_("level pipe", 0);
  wait_("level pipe again", 0);
  close(p[0]);
  close(p[1]);
}

static void oneshot(void) {
  int p[2];
  CHECK(pipe2(p, O_NONBLOCK) == 0);
  fresh();
  add(p[0], 'o', EPOLLIN | EPOLLONESHOT);
  put(p[1], "a");
  wait_("oneshot first", 0);
  wait_("oneshot disabled", 0);
  put(p[1], "b");
  wait_("oneshot disabled after a write", 0);
  mod(p[0], 'o', EPOLLIN | EPOLLONESHOT);
  wait_("oneshot re-armed by MOD", 0);
  wait_("oneshot disabled again", 0);
  mod(p[0], 'e', EPOLLIN | EPOLLONESHOT | EPOLLET);
  wait_("oneshot edge re-armed, data waiting", 0);
  put(p[1], "c");
  wait_("oneshot edge disabled after a write", 0);
  mod(p[0], 'm', EPOLLIN | EPOLLET);
  wait_("MOD to edge, data waiting", 0);
  wait_("MOD to edge, again", 0);
  struct epoll_event ev = {0};
  printf("MOD of a closed-over fd: %d\n", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev) == -1 ? errno : 0);
  close(p[0]);
  close(p[1]);
}

static void fifo(const char *dir) {
  char path[256];
  snprintf(path, sizeof path, "%s/fifo", dir);
  CHECK(mkfifo(path, 0600) == 0);
  int fd = open(path, O_RDWR | O_NONBLOCK);
  CHECK(fd >= 0);
  fresh();
  add(fd, 'f', EPOLLIN | EPOLLET);
  wait_("fifo added, empty", 0);
  put(fd, "ab");
  wait_("fifo after write", 0);
  wait_("fifo again", 0);
  take(fd, 2);
  put(fd, "c");
  wait_("fifo after another write", 0);
  close(fd);
  unlink(path);
}

static void eventfds(void) {
  int fd = eventfd(0, EFD_NONBLOCK);
  CHECK(fd >= 0);
  fresh();
  add(fd, 'e', EPOLLIN | EPOLLOUT | EPOLLET);
  wait_("eventfd added", 0);
  wait_("eventfd again", 0);
  uint64_t v = 3;
  CHECK(write(fd, &v, 8) == 8);
  wait_("eventfd after write", 0);
  wait_("eventfd again", 0);
  CHECK(read(fd, &v, 8) == 8);
  wait_("eventfd after read", 0);
  wait_("eventfd again", 0);
  close(fd);
}

static void unixsockets(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
  fresh();
  add(sv[0], 'a', EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
  add(sv[1], 'b', EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
  wait_("stream pair added", 0);
  wait_("stream pair again", 0);
  put(sv[1], "hello");
  wait_("stream after b writes", 0);
  wait_("stream again", 0);
  put(sv[1], "more");
  wait_("stream after b writes more", 0);
  take(sv[0], 9);
  wait_("stream after a reads it all", 0);
  CHECK(shutdown(sv[1], SHUT_WR) == 0);
  wait_("stream after b shuts down writing", 0);
  wait_("stream again", 0);
  close(sv[0]);
  close(sv[1]);

  // An entry that wants only EPOLLOUT does not hear data arriving.
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
  fresh();
  add(sv[0], 'o', EPOLLOUT | EPOLLET);
  wait_("out-only added", 0);
  put(sv[1], "x");
  wait_("out-only after data arrives", 0);
  close(sv[0]);
  close(sv[1]);

  CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == 0);
  fresh();
  add(sv[0], 'd', EPOLLIN | EPOLLET);
  wait_("dgram added", 0);
  CHECK(send(sv[1], "one", 3, 0) == 3);
  wait_("dgram after a datagram", 0);
  wait_("dgram again", 0);
  CHECK(send(sv[1], "two", 3, 0) == 3);
  wait_("dgram after another", 0);
  close(sv[0]);
  close(sv[1]);
}

static void timers_and_signals(void) {
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  CHECK(tfd >= 0);
  fresh();
  add(tfd, 't', EPOLLIN | EPOLLET);
  struct itimerspec its = {.it_value = {.tv_nsec = 20000000}};
  CHECK(timerfd_settime(tfd, 0, &its, NULL) == 0);
  wait_("timerfd expiry", 5000);
  wait_("timerfd unread, again", 0);
  close(tfd);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
  int sfd = signalfd(-1, &set, SFD_NONBLOCK);
  CHECK(sfd >= 0);
  fresh();
  add(sfd, 's', EPOLLIN | EPOLLET);
  wait_("signalfd added", 0);
  raise(SIGUSR1);
  wait_("signalfd after SIGUSR1", 0);
  wait_("signalfd again", 0);
  raise(SIGUSR2);
  wait_("signalfd after SIGUSR2", 0);
  close(sfd);
}

static void *connector(void *arg) {
  int port = *(int *)arg;
  int c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(connect(c, (struct sockaddr *)&sa, sizeof sa) == 0);
  usleep(100000);
  put(c, "ping");
  usleep(200000);
  put(c, "pong");
  usleep(200000);
  close(c);
  return NULL;
}

static void tcp(void) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  CHECK(bind(l, (struct sockaddr *)&sa, sizeof sa) == 0);
  CHECK(listen(l, 4) == 0);
  CHECK(getsockname(l, (struct sockaddr *)&sa, &len) == 0);
  int port = ntohs(sa.sin_port);
  fresh();
  add(l, 'L', EPOLLIN | EPOLLET);
  wait_("listener added", 0);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, connector, &port) == 0);
  wait_("listener after connect", 5000);
  wait_("listener again", 50);
  int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
  CHECK(s >= 0);
  add(s, 'S', EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
  wait_("connection added", 0);
  wait_("connection first data", 5000);
  wait_("connection again", 50);
  take(s, 4);
  wait_("connection second data", 5000);
  take(s, 4);
  wait_("connection closed by peer", 5000);
  wait_("connection again", 50);
  pthread_join(th, NULL);
  close(s);
  close(l);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  ep = -1;
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "local") && argc > 2) {
    pipes();
    oneshot();
    fifo(argv[2]);
    eventfds();
    unixsockets();
    timers_and_signals();
  } else if (!strcmp(mode, "tcp")) {
    tcp();
  } else {
    printf("usage: epollet local DIR | tcp\n");
    return 2;
  }
  printf("done\n");
  return 0;
}
