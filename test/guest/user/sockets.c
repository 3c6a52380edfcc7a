// Local sockets: socketpair streams between a parent and a forked child and between two
// threads, datagram and seqpacket message boundaries (truncation, MSG_TRUNC, MSG_PEEK,
// MSG_DONTWAIT), sendmsg/recvmsg with iovecs, shutdown, poll readiness, socket options and
// names, and what happens when the peer is gone (EOF, EPIPE with or without SIGPIPE,
// ECONNRESET, ECONNREFUSED). Errors print as errno names, so the output is the same anywhere.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(int e) {
  switch (e) {
    case 0: return "OK";
    case EAGAIN: return "EAGAIN";
    case EPIPE: return "EPIPE";
    case EINVAL: return "EINVAL";
    case EISCONN: return "EISCONN";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTCONN: return "ENOTCONN";
    case ECONNRESET: return "ECONNRESET";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    default: return strerror(e);
  }
}

// "n=<result>" or "err=<ERRNO>" for a call that returns -1 on failure.
static void show(const char *what, long r) {
  if (r < 0) printf("%s: err=%s\n", what, ename(errno));
  else printf("%s: n=%ld\n", what, r);
}

static void show_data(const char *what, const char *buf, long r) {
  if (r < 0) printf("%s: err=%s\n", what, ename(errno));
  else printf("%s: %ld '%.*s'\n", what, r, (int)r, buf);
}

static int pair(int type, int sv[2]) {
  if (socketpair(AF_UNIX, type, 0, sv) != 0) {
    printf("socketpair(%d) failed: %s\n", type, ename(errno));
    return -1;
  }
  return 0;
}

static int revents(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  int n = poll(&p, 1, 0);
  return n < 0 ? -1 : p.revents;
}

// Reads exactly n bytes (a stream may split or merge what was written).
static long readn(int fd, char *buf, long n) {
  long got = 0;
  while (got < n) {
    long r = read(fd, buf + got, n - got);
    if (r <= 0) return r < 0 ? r : got;
    got += r;
  }
  return got;
}

static void stream_with_child(void) {
  int sv[2];
  if (pair(SOCK_STREAM, sv)) return;
  pid_t pid = fork();
  if (pid == 0) {
    // Child: echo every message back with a prefix until EOF, then say goodbye.
    close(sv[0]);
    char buf[64], out[80];
    long n;
    int msgs = 0;
    while ((n = read(sv[1], buf, sizeof buf)) > 0) {
      int len = snprintf(out, sizeof out, "echo:%.*s", (int)n, buf);
      write(sv[1], out, len);
      msgs++;
    }
    write(sv[1], "bye", 3);
    close(sv[1]);
    _exit(n == 0 ? 10 + msgs : 1);
  }
  close(sv[1]);
  const char *msgs[] = {"hello", "from the", "parent"};
  char buf[64];
  for (int i = 0; i < 3; i++) {
    write(sv[0], msgs[i], strlen(msgs[i]));
    long n = readn(sv[0], buf, 5 + strlen(msgs[i]));
    show_data("parent got", buf, n);
  }
  show("shutdown(SHUT_WR)", shutdown(sv[0], SHUT_WR));
  show("write after SHUT_WR", send(sv[0], "x", 1, MSG_NOSIGNAL));
  show_data("after EOF the child says", buf, readn(sv[0], buf, 3));
  show("then EOF", read(sv[0], buf, sizeof buf));
  int st;
  waitpid(pid, &st, 0);
  printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  close(sv[0]);
}

static void datagrams(void) {
  int sv[2];
  if (pair(SOCK_DGRAM, sv)) return;
  char buf[64];
  show("send one", send(sv[0], "one", 3, 0));
  show("send two!", send(sv[0], "two!", 4, 0));
  show("send three", send(sv[0], "three", 5, 0));
  show("send empty", send(sv[0], "", 0, 0));
  int avail = 0;
  ioctl(sv[1], FIONREAD, &avail);
  printf("FIONREAD says %d\n", avail);
  show_data("recv 64", buf, recv(sv[1], buf, sizeof buf, 0));
  struct iovec iov = {buf, 2};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  long n = recvmsg(sv[1], &mh, 0);
  show_data("recvmsg into 2", buf, n);
  printf("  msg_flags MSG_TRUNC=%d\n", (mh.msg_flags & MSG_TRUNC) != 0);
  n = recv(sv[1], buf, 2, MSG_TRUNC);
  printf("recv 2 with MSG_TRUNC: returns %ld, buffer '%.2s'\n", n, buf);
  show("recv the empty datagram", recv(sv[1], buf, sizeof buf, 0));
  show("MSG_DONTWAIT on empty", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
  show("read on empty O_NONBLOCK", (fcntl(sv[1], F_SETFL, O_NONBLOCK), read(sv[1], buf, sizeof buf)));

  send(sv[1], "peeked", 6, 0);
  show_data("MSG_PEEK 4", buf, recv(sv[0], buf, 4, MSG_PEEK));
  show_data("MSG_PEEK again", buf, recv(sv[0], buf, sizeof buf, MSG_PEEK));
  show_data("then read", buf, read(sv[0], buf, sizeof buf));

  // The peer closes: the next send is refused, later ones are not connected.
  close(sv[1]);
  show("send to a closed peer", send(sv[0], "x", 1, 0));
  show("send again", send(sv[0], "x", 1, 0));
  close(sv[0]);
}

static void stream_peek_and_poll(void) {
  int sv[2];
  if (pair(SOCK_STREAM, sv)) return;
  char buf[64];
  short ev = POLLIN | POLLOUT | POLLRDHUP;
  printf("poll empty: 0x%x\n", revents(sv[0], ev));
  write(sv[1], "peek", 4);
  write(sv[1], "aboo", 4);
  printf("poll with data: 0x%x\n", revents(sv[0], ev));
  int avail = 0;
  ioctl(sv[0], FIONREAD, &avail);
  printf("FIONREAD says %d\n", avail);
  show_data("MSG_PEEK 6 (across writes)", buf, recv(sv[0], buf, 6, MSG_PEEK));
  show_data("MSG_WAITALL 3", buf, recv(sv[0], buf, 3, MSG_WAITALL));
  show_data("read rest", buf, read(sv[0], buf, sizeof buf));
  show("MSG_DONTWAIT on empty", recv(sv[0], buf, sizeof buf, MSG_DONTWAIT));
  shutdown(sv[1], SHUT_WR);
  printf("poll after peer SHUT_WR: 0x%x\n", revents(sv[0], ev));
  printf("peer's poll after its SHUT_WR: 0x%x\n", revents(sv[1], ev));
  show("read at EOF", read(sv[0], buf, sizeof buf));
  close(sv[1]);
  printf("poll after peer closed: 0x%x\n", revents(sv[0], ev));
  close(sv[0]);

  // SHUT_RD on our side: our reads see EOF, the peer's writes fail.
  if (pair(SOCK_STREAM, sv)) return;
  show("shutdown(SHUT_RD)", shutdown(sv[0], SHUT_RD));
  show("read after SHUT_RD", read(sv[0], buf, sizeof buf));
  show("peer send", send(sv[1], "x", 1, MSG_NOSIGNAL));
  show("bad how", shutdown(sv[0], 7));
  close(sv[0]);
  close(sv[1]);
}

static void vectors_and_seqpacket(void) {
  int sv[2];
  if (pair(SOCK_SEQPACKET, sv)) return;
  char a[] = "abc", b[] = "defg", c[] = "hi";
  struct iovec out[3] = {{a, 3}, {b, 4}, {c, 2}};
  struct msghdr mh = {0};
  mh.msg_iov = out;
  mh.msg_iovlen = 3;
  show("sendmsg 3 iovecs", sendmsg(sv[0], &mh, 0));
  show("sendmsg again", sendmsg(sv[0], &mh, 0));

  char x[2], y[3], z[10], name[32], ctl[64];
  struct iovec in[3] = {{x, sizeof x}, {y, sizeof y}, {z, sizeof z}};
  struct msghdr rh = {0};
  rh.msg_iov = in;
  rh.msg_iovlen = 3;
  rh.msg_name = name;
  rh.msg_namelen = sizeof name;
  rh.msg_control = ctl;
  rh.msg_controllen = sizeof ctl;
  long n = recvmsg(sv[1], &rh, 0);
  printf("recvmsg 3 iovecs: %ld '%.2s' '%.3s' '%.*s' namelen=%d controllen=%zu flags=0x%x\n", n, x, y,
         (int)(n - 5), z, rh.msg_namelen, (size_t)rh.msg_controllen, rh.msg_flags);
  in[0].iov_len = 1;
  in[1].iov_len = 1;
  in[2].iov_len = 1;
  n = recvmsg(sv[1], &rh, 0);
  printf("recvmsg 3 bytes of 9: %ld '%c%c%c' MSG_TRUNC=%d\n", n, x[0], y[0], z[0], (rh.msg_flags & MSG_TRUNC) != 0);

  // The peer closes with nothing unread: EOF, and writes fail with EPIPE but no SIGPIPE.
  close(sv[1]);
  show("seqpacket read after peer closed", read(sv[0], z, sizeof z));
  show("seqpacket write after peer closed", write(sv[0], "x", 1));
  close(sv[0]);
}

static int sigpipes;
static void on_sigpipe(int sig) {
  (void)sig;
  sigpipes++;
}

static void dead_peers(void) {
  signal(SIGPIPE, on_sigpipe);
  int sv[2];
  char buf[16];
  if (pair(SOCK_STREAM, sv)) return;
  close(sv[1]);
  show("write to a closed peer", write(sv[0], "x", 1));
  printf("SIGPIPEs: %d\n", sigpipes);
  show("send MSG_NOSIGNAL", send(sv[0], "x", 1, MSG_NOSIGNAL));
  printf("SIGPIPEs: %d\n", sigpipes);
  show("read from a closed peer", read(sv[0], buf, sizeof buf));
  close(sv[0]);

  // The peer closes with bytes it never read: we see ECONNRESET once, then EOF.
  if (pair(SOCK_STREAM, sv)) return;
  write(sv[0], "unread", 6);
  close(sv[1]);
  printf("poll: 0x%x\n", revents(sv[0], POLLIN | POLLOUT));
  int err = -1;
  socklen_t len = sizeof err;
  getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &err, &len);
  printf("SO_ERROR: %s\n", ename(err));
  show("read after SO_ERROR", read(sv[0], buf, sizeof buf));
  close(sv[0]);

  if (pair(SOCK_STREAM, sv)) return;
  write(sv[0], "unread", 6);
  close(sv[1]);
  show("read without SO_ERROR", read(sv[0], buf, sizeof buf));
  show("read again", read(sv[0], buf, sizeof buf));
  close(sv[0]);
  signal(SIGPIPE, SIG_IGN);
  if (pair(SOCK_STREAM, sv)) return;
  close(sv[1]);
  show("write with SIGPIPE ignored", write(sv[0], "x", 1));
  close(sv[0]);
}

static void options_and_names(void) {
  int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
  for (int i = 0; i < 3; i++) {
    int sv[2];
    if (pair(types[i], sv)) return;
    int v = -1;
    socklen_t len = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len);
    printf("SO_TYPE %d (len %u)", v, len);
    getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &len);
    printf(" SO_DOMAIN %d", v);
    getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len);
    printf(" SO_SNDBUF>0 %d", v > 0);
    getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, &len);
    printf(" SO_RCVBUF>0 %d\n", v > 0);
    close(sv[0]);
    close(sv[1]);
  }
  int sv[2];
  if (pair(SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, sv)) return;
  printf("SOCK_NONBLOCK: %d, SOCK_CLOEXEC: %d\n", (fcntl(sv[0], F_GETFL) & O_NONBLOCK) != 0,
         (fcntl(sv[1], F_GETFD) & FD_CLOEXEC) != 0);
  int one = 1;
  show("setsockopt SO_REUSEADDR", setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  show("setsockopt SO_SNDBUF", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &(int){65536}, sizeof(int)));
  show("setsockopt short optlen", setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &one, 2));
  show("getsockopt other level", getsockopt(sv[0], 6 /* IPPROTO_TCP */, 1, &one, &(socklen_t){4}));
  show("getsockopt unknown", getsockopt(sv[0], SOL_SOCKET, 12345, &one, &(socklen_t){4}));
  struct sockaddr_storage ss;
  memset(&ss, 0xff, sizeof ss);
  socklen_t len = sizeof ss;
  show("getsockname", getsockname(sv[0], (struct sockaddr *)&ss, &len));
  printf("  family %d len %u\n", ss.ss_family, len);
  len = sizeof ss;
  show("getpeername", getpeername(sv[1], (struct sockaddr *)&ss, &len));
  printf("  family %d len %u\n", ss.ss_family, len);
  char buf[8];
  struct sockaddr_storage from;
  len = sizeof from;
  send(sv[1], "hi", 2, 0);
  show("recvfrom", recvfrom(sv[0], buf, sizeof buf, 0, (struct sockaddr *)&from, &len));
  printf("  from len %u\n", len);
  show("sendto with an address", sendto(sv[0], "x", 1, 0, (struct sockaddr *)&ss, 2));
  struct stat st;
  fstat(sv[0], &st);
  printf("S_ISSOCK: %d\n", S_ISSOCK(st.st_mode));
  char path[64], link[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", sv[0]);
  long n = readlink(path, link, sizeof link);
  printf("fd link: %.8s\n", n > 0 ? link : "?");
  int fds[2];
  pipe(fds);
  show("shutdown on a pipe", shutdown(fds[0], SHUT_RDWR));
  show("getsockopt on a pipe", getsockopt(fds[0], SOL_SOCKET, SO_TYPE, &one, &(socklen_t){4}));
  close(fds[0]);
  close(fds[1]);
  int dup_fd = dup(sv[0]);
  close(sv[0]);
  send(sv[1], "dup", 3, 0);
  show_data("read through a dup", buf, read(dup_fd, buf, sizeof buf));
  close(dup_fd);
  close(sv[1]);
  show("socketpair(AF_INET)", socketpair(AF_INET, SOCK_STREAM, 0, sv));
  show("socketpair(protocol 6)", socketpair(AF_UNIX, SOCK_STREAM, 6, sv));
}

static int tp[2];
static void *late_writer(void *arg) {
  (void)arg;
  usleep(50000);
  write(tp[1], "late", 4);
  usleep(50000);
  write(tp[1], "later", 5);
  return NULL;
}

static void threads(void) {
  if (pair(SOCK_STREAM, tp)) return;
  pthread_t th;
  pthread_create(&th, NULL, late_writer, NULL);
  char buf[16];
  show_data("blocking read got", buf, read(tp[0], buf, sizeof buf));
  struct pollfd p = {tp[0], POLLIN, 0};
  int n = poll(&p, 1, 5000);
  printf("blocking poll: %d revents 0x%x\n", n, p.revents);
  show_data("then read", buf, read(tp[0], buf, sizeof buf));
  pthread_join(th, NULL);
  close(tp[0]);
  close(tp[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  stream_with_child();
  datagrams();
  stream_peek_and_poll();
  vectors_and_seqpacket();
  dead_peers();
  options_and_names();
  threads();
  printf("done\n");
  return 0;
}
