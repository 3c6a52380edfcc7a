// Internet sockets over loopback, one scenario per argv[1]: "tcp" (an echo server thread and
// a client), "serve FILE" / "client FILE" (the two halves in two processes: the server writes
// its port to FILE), "udp" (sendto/recvfrom, connect, sendmmsg/recvmmsg, MSG_TRUNC,
// FIONREAD), "nonblock" (epoll-driven accept, EINPROGRESS connect and SO_ERROR, ECONNREFUSED),
// "options" (socket options as Linux reports them) and "ipv6" (an echo over ::1). Nothing
// host-dependent is printed (no port numbers); errors print as errno names.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *ename(int e) {
  switch (e) {
    case 0: return "OK";
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EINPROGRESS: return "EINPROGRESS";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENOTCONN: return "ENOTCONN";
    case EISCONN: return "EISCONN";
    case EPIPE: return "EPIPE";
    case EINVAL: return "EINVAL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EADDRINUSE: return "EADDRINUSE";
    default: return "other";
  }
}

#define CHECK(x) do { if (!(x)) { printf("FAIL line %d: %s (%s)\n", __LINE__, #x, ename(errno)); exit(1); } } while (0)

static struct sockaddr_in loopback4(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

/** A listening socket on 127.0.0.1, port chosen by the host; its port in *port. */
static int listener(int flags, int *port) {
  int s = socket(AF_INET, SOCK_STREAM | flags, 0);
  CHECK(s >= 0);
  int one = 1;
  CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
  struct sockaddr_in a = loopback4(0);
  CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
  CHECK(listen(s, 8) == 0);
  socklen_t len = sizeof a;
  CHECK(getsockname(s, (struct sockaddr *)&a, &len) == 0 && len == sizeof a);
  *port = ntohs(a.sin_port);
  return s;
}

static int getint(int s, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  if (getsockopt(s, level, name, &v, &len) != 0) return -errno;
  return v;
}

/** Echoes what arrives on `c` until EOF; returns the bytes echoed. */
static long echo(int c) {
  char buf[4096];
  long total = 0;
  ssize_t n;
  while ((n = read(c, buf, sizeof buf)) > 0) {
    CHECK(write(c, buf, n) == n);
    total += n;
  }
  CHECK(n == 0);
  return total;
}

/** What the server thread saw, printed after it ends (threads' lines would interleave). */
static struct { int from_loopback, peer_len; long echoed; } served;

static void *server_thread(void *arg) {
  int s = *(int *)arg;
  struct sockaddr_in peer;
  socklen_t len = sizeof peer;
  int c = accept(s, (struct sockaddr *)&peer, &len);
  CHECK(c >= 0);
  served.from_loopback = peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK);
  served.peer_len = (int)len;
  served.echoed = echo(c);
  close(c);
  return NULL;
}

/** The client half: connects, sends messages, reads the echoes back, half-closes, sees EOF. */
static void client(int port) {
  int c = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(c >= 0);
  struct sockaddr_in a = loopback4(port);
  CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
  struct sockaddr_in peer, self;
  socklen_t plen = sizeof peer, slen = sizeof self;
  CHECK(getpeername(c, (struct sockaddr *)&peer, &plen) == 0 && getsockname(c, (struct sockaddr *)&self, &slen) == 0);
  printf("client: peer port matches %d, local port nonzero %d\n", ntohs(peer.sin_port) == port, self.sin_port != 0);
  static char big[100000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7);
  const char *msgs[] = {"hello", "over loopback", "third"};
  for (int i = 0; i < 3; i++) {
    CHECK(send(c, msgs[i], strlen(msgs[i]), 0) == (ssize_t)strlen(msgs[i]));
    char buf[64] = {0};
    size_t got = 0;
    while (got < strlen(msgs[i])) {
      ssize_t n = recv(c, buf + got, sizeof buf - 1 - got, 0);
      CHECK(n > 0);
      got += n;
    }
    printf("client: echo '%s'\n", buf);
  }
  CHECK(write(c, big, sizeof big) == sizeof big);
  static char back[sizeof big];
  ssize_t n = recv(c, back, sizeof back, MSG_WAITALL);
  printf("client: big echo %zd bytes, same %d\n", n, n == sizeof big && memcmp(big, back, sizeof big) == 0);
  CHECK(shutdown(c, SHUT_WR) == 0);
  char x;
  printf("client: after shutdown recv %zd\n", recv(c, &x, 1, 0));
  errno = 0;
  n = send(c, "x", 1, MSG_NOSIGNAL);
  printf("client: send after SHUT_WR %zd %s\n", n, ename(errno));
  close(c);
}

static void tcp(void) {
  int port;
  int s = listener(0, &port);
  printf("listening, SO_ACCEPTCONN %d\n", getint(s, SOL_SOCKET, SO_ACCEPTCONN));
  pthread_t th;
  pthread_create(&th, NULL, server_thread, &s);
  client(port);
  pthread_join(th, NULL);
  printf("server: accepted from 127.0.0.1: %d, peer len %d, echoed %ld bytes, then EOF\n", served.from_loopback, served.peer_len, served.echoed);
  close(s);
}

static void serve(const char *file) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) {
    printf("socket: %s\n", ename(errno));
    exit(3);
  }
  close(s);
  int port;
  s = listener(0, &port);
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", file);
  FILE *f = fopen(tmp, "w");
  CHECK(f != NULL);
  fprintf(f, "%d\n", port);
  fclose(f);
  CHECK(rename(tmp, file) == 0);
  int c = accept(s, NULL, NULL);
  CHECK(c >= 0);
  printf("server: echoed %ld bytes\n", echo(c));
  close(c);
  close(s);
}

static void client_of(const char *file) {
  int port = 0;
  for (int i = 0; i < 3000 && port == 0; i++) {
    FILE *f = fopen(file, "r");
    if (f) {
      if (fscanf(f, "%d", &port) != 1) port = 0;
      fclose(f);
    }
    if (!port) usleep(10000);
  }
  CHECK(port != 0);
  client(port);
}

static void udp(void) {
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(a >= 0 && b >= 0);
  struct sockaddr_in aa = loopback4(0), ba = loopback4(0);
  socklen_t len = sizeof aa;
  CHECK(bind(a, (struct sockaddr *)&aa, sizeof aa) == 0 && getsockname(a, (struct sockaddr *)&aa, &len) == 0);
  CHECK(bind(b, (struct sockaddr *)&ba, sizeof ba) == 0 && getsockname(b, (struct sockaddr *)&ba, &len) == 0);
  CHECK(sendto(a, "ping", 4, 0, (struct sockaddr *)&ba, sizeof ba) == 4);
  char buf[64] = {0};
  struct sockaddr_in from;
  socklen_t flen = sizeof from;
  ssize_t n = recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
  printf("udp: recvfrom %zd '%s' from a: %d\n", n, buf, from.sin_port == aa.sin_port && flen == sizeof from);
  errno = 0;
  printf("udp: getpeername unconnected %d %s\n", getpeername(a, (struct sockaddr *)&from, &flen), ename(errno));
  CHECK(connect(a, (struct sockaddr *)&ba, sizeof ba) == 0);
  CHECK(send(a, "0123456789", 10, 0) == 10);
  struct pollfd pfd = {.fd = b, .events = POLLIN};
  CHECK(poll(&pfd, 1, 20000) == 1);
  int avail = -1;
  CHECK(ioctl(b, FIONREAD, &avail) == 0);
  n = recv(b, buf, 3, MSG_TRUNC);
  printf("udp: FIONREAD %d, recv 3 with MSG_TRUNC %zd '%.3s'\n", avail, n, buf);
  // sendmmsg three datagrams, recvmmsg all three.
  const char *parts[] = {"one", "two!", "three"};
  struct mmsghdr out[3], in[3];
  struct iovec oiov[3], iiov[3];
  char ibuf[3][16];
  struct sockaddr_in names[3];
  memset(out, 0, sizeof out);
  memset(in, 0, sizeof in);
  for (int i = 0; i < 3; i++) {
    oiov[i] = (struct iovec){(void *)parts[i], strlen(parts[i])};
    out[i].msg_hdr.msg_iov = &oiov[i];
    out[i].msg_hdr.msg_iovlen = 1;
    iiov[i] = (struct iovec){ibuf[i], sizeof ibuf[i]};
    in[i].msg_hdr.msg_iov = &iiov[i];
    in[i].msg_hdr.msg_iovlen = 1;
    in[i].msg_hdr.msg_name = &names[i];
    in[i].msg_hdr.msg_namelen = sizeof names[i];
  }
  printf("udp: sendmmsg %d, lens %u %u %u\n", sendmmsg(a, out, 3, 0), out[0].msg_len, out[1].msg_len, out[2].msg_len);
  int got = recvmmsg(b, in, 3, 0, NULL);
  printf("udp: recvmmsg %d:", got);
  for (int i = 0; i < got; i++)
    printf(" '%.*s' (from a %d)", (int)in[i].msg_len, ibuf[i], names[i].sin_port == aa.sin_port);
  printf("\n");
  errno = 0;
  printf("udp: recv MSG_DONTWAIT on empty %zd %s\n", recv(b, buf, sizeof buf, MSG_DONTWAIT), ename(errno));
  close(a);
  close(b);
}

static void nonblock(void) {
  int port;
  int s = listener(SOCK_NONBLOCK, &port);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  CHECK(ep >= 0);
  errno = 0;
  printf("nb: accept on empty %d %s\n", accept4(s, NULL, NULL, SOCK_NONBLOCK), ename(errno));
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = loopback4(port);
  errno = 0;
  int r = connect(c, (struct sockaddr *)&a, sizeof a);
  printf("nb: connect %d %s\n", r, ename(errno));
  // The connect completes (EPOLLOUT), then the listener has the connection (EPOLLIN).
  struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = 1}, got;
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) == 0);
  CHECK(epoll_wait(ep, &got, 1, 20000) == 1 && got.data.u32 == 1);
  printf("nb: writable, SO_ERROR %s\n", ename(getint(c, SOL_SOCKET, SO_ERROR)));
  CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL) == 0);
  ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = 2};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0);
  CHECK(epoll_wait(ep, &got, 1, 20000) == 1 && got.data.u32 == 2);
  int accepted = accept4(s, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  CHECK(accepted >= 0);
  printf("nb: accepted, O_NONBLOCK %d, FD_CLOEXEC %d\n", (fcntl(accepted, F_GETFL) & O_NONBLOCK) != 0, fcntl(accepted, F_GETFD));
  char buf[16];
  errno = 0;
  printf("nb: read on empty %zd %s\n", read(accepted, buf, sizeof buf), ename(errno));
  CHECK(write(c, "data", 4) == 4);
  ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = 3};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, accepted, &ev) == 0);
  CHECK(epoll_wait(ep, &got, 1, 20000) == 1 && got.data.u32 == 3);
  int avail = -1;
  CHECK(ioctl(accepted, FIONREAD, &avail) == 0);
  printf("nb: readable, FIONREAD %d, read %zd\n", avail, read(accepted, buf, sizeof buf));
  close(c);
  CHECK(epoll_wait(ep, &got, 1, 20000) == 1);
  printf("nb: peer closed: EPOLLIN %d, read %zd\n", (got.events & EPOLLIN) != 0, read(accepted, buf, sizeof buf));
  close(accepted);
  close(s);
  // A port nobody listens on: a blocking connect is refused, a non-blocking one says so in SO_ERROR.
  int closed_port;
  s = listener(0, &closed_port);
  close(s);
  a = loopback4(closed_port);
  c = socket(AF_INET, SOCK_STREAM, 0);
  errno = 0;
  printf("refused: blocking connect %d %s\n", connect(c, (struct sockaddr *)&a, sizeof a), ename(errno));
  close(c);
  c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  errno = 0;
  r = connect(c, (struct sockaddr *)&a, sizeof a);
  printf("refused: non-blocking connect %d %s\n", r, ename(errno));
  struct pollfd pfd = {.fd = c, .events = POLLOUT};
  CHECK(poll(&pfd, 1, 20000) == 1);
  printf("refused: POLLERR %d, SO_ERROR %s, then %s\n", (pfd.revents & POLLERR) != 0, ename(getint(c, SOL_SOCKET, SO_ERROR)), ename(getint(c, SOL_SOCKET, SO_ERROR)));
  close(c);
}

static void show(const char *what, int s, int level, int name) {
  printf("  %s = %d\n", what, getint(s, level, name));
}

static void setint(int s, int level, int name, int v) {
  CHECK(setsockopt(s, level, name, &v, sizeof v) == 0);
}

static void options(void) {
  int t = socket(AF_INET, SOCK_STREAM, 0);
  printf("tcp defaults:\n");
  show("SO_TYPE", t, SOL_SOCKET, SO_TYPE);
  show("SO_DOMAIN", t, SOL_SOCKET, SO_DOMAIN);
  show("SO_PROTOCOL", t, SOL_SOCKET, SO_PROTOCOL);
  show("SO_ACCEPTCONN", t, SOL_SOCKET, SO_ACCEPTCONN);
  show("SO_REUSEADDR", t, SOL_SOCKET, SO_REUSEADDR);
  show("SO_KEEPALIVE", t, SOL_SOCKET, SO_KEEPALIVE);
  show("SO_ERROR", t, SOL_SOCKET, SO_ERROR);
  show("SO_RCVBUF", t, SOL_SOCKET, SO_RCVBUF);
  show("SO_SNDBUF", t, SOL_SOCKET, SO_SNDBUF);
  show("TCP_NODELAY", t, IPPROTO_TCP, TCP_NODELAY);
  show("TCP_KEEPIDLE", t, IPPROTO_TCP, TCP_KEEPIDLE);
  show("TCP_KEEPINTVL", t, IPPROTO_TCP, TCP_KEEPINTVL);
  show("TCP_KEEPCNT", t, IPPROTO_TCP, TCP_KEEPCNT);
  show("IP_TTL", t, IPPROTO_IP, IP_TTL);
  setint(t, SOL_SOCKET, SO_REUSEADDR, 5);
  setint(t, SOL_SOCKET, SO_KEEPALIVE, 1);
  setint(t, IPPROTO_TCP, TCP_NODELAY, 1);
  setint(t, IPPROTO_TCP, TCP_KEEPIDLE, 30);
  setint(t, IPPROTO_TCP, TCP_KEEPINTVL, 10);
  setint(t, SOL_SOCKET, SO_RCVBUF, 65536);
  setint(t, SOL_SOCKET, SO_SNDBUF, 65536);
  struct linger lg = {1, 0};
  CHECK(setsockopt(t, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
  printf("tcp after set:\n");
  show("SO_REUSEADDR", t, SOL_SOCKET, SO_REUSEADDR);
  show("SO_KEEPALIVE", t, SOL_SOCKET, SO_KEEPALIVE);
  show("TCP_NODELAY", t, IPPROTO_TCP, TCP_NODELAY);
  show("TCP_KEEPIDLE", t, IPPROTO_TCP, TCP_KEEPIDLE);
  show("TCP_KEEPINTVL", t, IPPROTO_TCP, TCP_KEEPINTVL);
  show("SO_RCVBUF", t, SOL_SOCKET, SO_RCVBUF);
  show("SO_SNDBUF", t, SOL_SOCKET, SO_SNDBUF);
  socklen_t len = sizeof lg;
  memset(&lg, 0xff, sizeof lg);
  CHECK(getsockopt(t, SOL_SOCKET, SO_LINGER, &lg, &len) == 0);
  printf("  SO_LINGER = %d %d (len %d)\n", lg.l_onoff, lg.l_linger, (int)len);
  int v = 0;
  errno = 0;
  printf("  TCP_KEEPIDLE 0: %d %s\n", setsockopt(t, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v), ename(errno));
  errno = 0;
  printf("  short optlen: %d %s\n", setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, 2), ename(errno));
  close(t);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  printf("udp defaults:\n");
  show("SO_TYPE", u, SOL_SOCKET, SO_TYPE);
  show("SO_PROTOCOL", u, SOL_SOCKET, SO_PROTOCOL);
  show("SO_RCVBUF", u, SOL_SOCKET, SO_RCVBUF);
  show("SO_BROADCAST", u, SOL_SOCKET, SO_BROADCAST);
  show("TCP_NODELAY on udp", u, IPPROTO_TCP, TCP_NODELAY);
  close(u);
  int s6 = socket(AF_INET6, SOCK_STREAM, 0);
  printf("tcp6:\n");
  show("SO_DOMAIN", s6, SOL_SOCKET, SO_DOMAIN);
  show("IPV6_V6ONLY", s6, IPPROTO_IPV6, IPV6_V6ONLY);
  setint(s6, IPPROTO_IPV6, IPV6_V6ONLY, 1);
  show("IPV6_V6ONLY", s6, IPPROTO_IPV6, IPV6_V6ONLY);
  close(s6);
  t = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in6 wrong = {.sin6_family = AF_INET6};
  errno = 0;
  printf("bind AF_INET6 address to AF_INET socket: %d %s\n", bind(t, (struct sockaddr *)&wrong, sizeof(struct sockaddr_in)), ename(errno));
  errno = 0;
  printf("bind short address: %d %s\n", bind(t, (struct sockaddr *)&wrong, 4), ename(errno));
  errno = 0;
  printf("getpeername unconnected: %d %s\n", getpeername(t, (struct sockaddr *)&wrong, &len), ename(errno));
  errno = 0;
  printf("accept unlistening: %d %s\n", accept(t, NULL, NULL), ename(errno));
  close(t);
}

static void ipv6(void) {
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  CHECK(s >= 0);
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  socklen_t len = sizeof a;
  CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0 && listen(s, 4) == 0);
  CHECK(getsockname(s, (struct sockaddr *)&a, &len) == 0);
  printf("ipv6: bound to ::1 %d, len %d\n", memcmp(&a.sin6_addr, &in6addr_loopback, 16) == 0, (int)len);
  int c = socket(AF_INET6, SOCK_STREAM, 0);
  CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
  struct sockaddr_in6 peer;
  len = sizeof peer;
  int d = accept(s, (struct sockaddr *)&peer, &len);
  CHECK(d >= 0);
  printf("ipv6: peer is ::1 %d, family %d\n", memcmp(&peer.sin6_addr, &in6addr_loopback, 16) == 0, peer.sin6_family == AF_INET6);
  CHECK(send(c, "six", 3, 0) == 3);
  char buf[8] = {0};
  struct pollfd pfd = {.fd = d, .events = POLLIN};
  CHECK(poll(&pfd, 1, 20000) == 1);
  printf("ipv6: recv %zd '%s'\n", recv(d, buf, sizeof buf, 0), buf);
  close(c);
  close(d);
  close(s);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "tcp")) tcp();
  else if (!strcmp(mode, "serve") && argc > 2) serve(argv[2]);
  else if (!strcmp(mode, "client") && argc > 2) client_of(argv[2]);
  else if (!strcmp(mode, "udp")) udp();
  else if (!strcmp(mode, "nonblock")) nonblock();
  else if (!strcmp(mode, "options")) options();
  else if (!strcmp(mode, "ipv6")) ipv6();
  else return 2;
  printf("done\n");
  return 0;
}
