// AF_UNIX sockets between processes: a stream server and client on a path, datagrams to
// named sockets, the abstract namespace and autobind, SO_PEERCRED, SCM_RIGHTS (with
// MSG_CMSG_CLOEXEC and MSG_CTRUNC) and SCM_CREDENTIALS. argv[1] is a scratch directory.
// Everything printed must be the same under Hartwood and qemu-riscv64: no pids, no inodes.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

// Each process collects its lines and prints them at fork, at exit and after a wait, so that
// the output does not depend on how the processes are scheduled.
static char logbuf[8192];
static size_t logpos;
#define say(...) (logpos += snprintf(logbuf + logpos, sizeof logbuf - logpos, __VA_ARGS__))
static void flush_say(void) {
  fwrite(logbuf, 1, logpos, stdout);
  fflush(stdout);
  logpos = 0;
}

#define CHECK(x)                                                          \
  do {                                                                    \
    if (!(x)) {                                                           \
      say("FAIL line %d: %s (errno %d)\n", __LINE__, #x, errno);         \
      flush_say();                                                        \
      exit(1);                                                            \
    }                                                                     \
  } while (0)

static pid_t xfork(void) {
  flush_say();
  return fork();
}

static void child_exit(int status) {
  flush_say();
  _exit(status);
}

static const char *dir;

static socklen_t path_addr(struct sockaddr_un *a, const char *name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  snprintf(a->sun_path, sizeof a->sun_path, "%s/%s", dir, name);
  return sizeof *a;
}

static int finish(pid_t pid) {
  int status;
  CHECK(waitpid(pid, &status, 0) == pid);
  flush_say();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void stream_path(void) {
  struct sockaddr_un a;
  socklen_t alen = path_addr(&a, "srv.sock");
  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK(srv >= 0);
  CHECK(listen(srv, 4) == -1);
  say("listen unbound: errno %d\n", errno);
  CHECK(bind(srv, (struct sockaddr *)&a, alen) == 0);
  struct stat st;
  CHECK(stat(a.sun_path, &st) == 0);
  say("socket file: S_ISSOCK %d mode %o\n", S_ISSOCK(st.st_mode), st.st_mode & 0777);
  int other = socket(AF_UNIX, SOCK_STREAM, 0);
  say("bind taken path: %d errno %d\n", bind(other, (struct sockaddr *)&a, alen), errno);
  say("bind twice: %d errno %d\n", bind(srv, (struct sockaddr *)&a, alen), errno);
  struct sockaddr_un b;
  socklen_t blen = path_addr(&b, "missing.sock");
  say("connect missing: %d errno %d\n", connect(other, (struct sockaddr *)&b, blen), errno);
  path_addr(&b, "plain");
  close(open(b.sun_path, O_CREAT | O_WRONLY, 0600));
  say("connect regular file: %d errno %d\n", connect(other, (struct sockaddr *)&b, blen), errno);
  say("connect not listening: %d errno %d\n", connect(other, (struct sockaddr *)&a, alen), errno);
  CHECK(listen(srv, 4) == 0);
  int v = 0;
  socklen_t vl = sizeof v;
  CHECK(getsockopt(srv, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0);
  say("SO_ACCEPTCONN %d\n", v);
  struct pollfd pfd = {srv, POLLIN, 0};
  say("poll listener before connect: %d\n", poll(&pfd, 1, 0));

  pid_t pid = xfork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, alen) == 0);
    say("connect twice: %d errno %d\n", connect(c, (struct sockaddr *)&a, alen), errno);
    struct sockaddr_un peer;
    socklen_t plen = sizeof peer;
    CHECK(getpeername(c, (struct sockaddr *)&peer, &plen) == 0);
    say("client: peer name matches %d len ok %d\n", strcmp(peer.sun_path, a.sun_path) == 0,
           plen == offsetof(struct sockaddr_un, sun_path) + strlen(a.sun_path) + 1);
    struct ucred cr;
    socklen_t cl = sizeof cr;
    CHECK(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0);
    say("client: peer pid is parent %d uid ok %d gid ok %d\n", cr.pid == getppid(), cr.uid == getuid(),
           cr.gid == getgid());
    CHECK(write(c, "ping", 4) == 4);
    char buf[16] = {0};
    CHECK(read(c, buf, sizeof buf) == 4);
    say("client got %s\n", buf);
    CHECK(read(c, buf, sizeof buf) == 0);
    say("client: EOF after the server closed\n");
    child_exit(3);
  }
  // poll waits for the child's connection; then accept takes it.
  pfd.revents = 0;
  say("poll listener: %d revents %x\n", poll(&pfd, 1, -1), pfd.revents);
  struct sockaddr_un from;
  socklen_t flen = sizeof from;
  int s = accept4(srv, (struct sockaddr *)&from, &flen, SOCK_CLOEXEC);
  CHECK(s >= 0);
  say("accepted: client unnamed %d, cloexec %d\n", flen == sizeof(sa_family_t), fcntl(s, F_GETFD) == FD_CLOEXEC);
  struct sockaddr_un me;
  socklen_t mlen = sizeof me;
  CHECK(getsockname(s, (struct sockaddr *)&me, &mlen) == 0);
  say("accepted: own name is the listener's %d\n", strcmp(me.sun_path, a.sun_path) == 0);
  struct ucred cr;
  socklen_t cl = sizeof cr;
  CHECK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0);
  say("server: peer pid is child %d uid ok %d len %d\n", cr.pid == pid, cr.uid == getuid(), (int)cl);
  char buf[16] = {0};
  CHECK(read(s, buf, sizeof buf) == 4);
  say("server got %s\n", buf);
  CHECK(write(s, "pong", 4) == 4);
  close(s);
  int status = finish(pid);
  say("child status %d\n", status);
  close(srv);
  CHECK(lstat(a.sun_path, &st) == 0);
  say("after close: file stays %d; connect: %d errno %d\n", S_ISSOCK(st.st_mode),
         connect(other, (struct sockaddr *)&a, alen), errno);
  close(other);
  CHECK(unlink(a.sun_path) == 0);
}

static void datagrams(void) {
  struct sockaddr_un a, c;
  socklen_t alen = path_addr(&a, "dg.sock"), clen = path_addr(&c, "dgc.sock");
  int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
  CHECK(bind(srv, (struct sockaddr *)&a, alen) == 0);
  pid_t pid = xfork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int anon = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(sendto(anon, "anonymous", 9, 0, (struct sockaddr *)&a, alen) == 9);
    int named = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(bind(named, (struct sockaddr *)&c, clen) == 0);
    CHECK(sendto(named, "named", 5, 0, (struct sockaddr *)&a, alen) == 5);
    char buf[32] = {0};
    CHECK(recv(named, buf, sizeof buf, 0) == 5);
    say("dgram client got %s\n", buf);
    struct sockaddr_un m;
    socklen_t ml = path_addr(&m, "nobody.sock");
    say("sendto missing: %d errno %d\n", (int)sendto(named, "x", 1, 0, (struct sockaddr *)&m, ml), errno);
    child_exit(0);
  }
  char buf[32] = {0};
  struct sockaddr_un from;
  socklen_t flen = sizeof from;
  CHECK(recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen) == 9);
  say("dgram server got %s from-len %d\n", buf, (int)flen);
  flen = sizeof from;
  memset(buf, 0, sizeof buf);
  CHECK(recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen) == 5);
  say("dgram server got %s from the client's path %d\n", buf, strcmp(from.sun_path, c.sun_path) == 0);
  CHECK(sendto(srv, "reply", 5, 0, (struct sockaddr *)&from, flen) == 5);
  int status = finish(pid);
  say("dgram child status %d\n", status);
  int stream = socket(AF_UNIX, SOCK_STREAM, 0);
  say("stream connect to dgram: %d errno %d\n", connect(stream, (struct sockaddr *)&a, alen), errno);
  close(stream);
  close(srv);
}

static void abstract(void) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  // Unique per run: qemu's abstract names are the host's, shared with other runs.
  int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "hartwood-test-%s", strrchr(dir, '/') + 1);
  socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + n;
  int srv = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  CHECK(bind(srv, (struct sockaddr *)&a, alen) == 0);
  struct sockaddr_un got;
  socklen_t glen = sizeof got;
  CHECK(getsockname(srv, (struct sockaddr *)&got, &glen) == 0);
  say("abstract name: len ok %d same %d\n", glen == alen, memcmp(&got, &a, alen) == 0);
  int other = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  say("abstract bind taken: %d errno %d\n", bind(other, (struct sockaddr *)&a, alen), errno);
  CHECK(listen(srv, 1) == 0);
  pid_t pid = xfork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    CHECK(connect(c, (struct sockaddr *)&a, alen) == 0);
    CHECK(send(c, "one", 3, 0) == 3);
    CHECK(send(c, "two!", 4, 0) == 4);
    child_exit(0);
  }
  int s = accept(srv, NULL, NULL);
  CHECK(s >= 0);
  char buf[16] = {0};
  say("seqpacket: %d", (int)recv(s, buf, sizeof buf, 0));
  say(" %d\n", (int)recv(s, buf, sizeof buf, 0));
  int status = finish(pid);
  say("abstract child status %d\n", status);
  close(s);
  close(srv);
  // Autobind: an empty address gets a name of five hex digits in the abstract namespace.
  int au = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un empty = {.sun_family = AF_UNIX};
  CHECK(bind(au, (struct sockaddr *)&empty, sizeof(sa_family_t)) == 0);
  glen = sizeof got;
  CHECK(getsockname(au, (struct sockaddr *)&got, &glen) == 0);
  say("autobind: len %d abstract %d\n", (int)glen, got.sun_path[0] == 0);
  close(au);
  close(other);
}

static int thread_srv;

static void *accept_thread(void *arg) {
  (void)arg;
  int s = accept(thread_srv, NULL, NULL);  // waits; the main thread runs meanwhile
  CHECK(s >= 0);
  char *buf = calloc(1, 16);
  CHECK(read(s, buf, 15) == 6);
  close(s);
  return buf;
}

static void thread_accept(void) {
  struct sockaddr_un a;
  socklen_t alen = path_addr(&a, "thread.sock");
  thread_srv = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(bind(thread_srv, (struct sockaddr *)&a, alen) == 0 && listen(thread_srv, 1) == 0);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, accept_thread, NULL) == 0);
  static volatile int spins;
  for (int i = 0; i < 1000; i++) spins++;
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(connect(c, (struct sockaddr *)&a, alen) == 0);
  CHECK(write(c, "thread", 6) == 6);
  void *got;
  CHECK(pthread_join(th, &got) == 0);
  say("accept in a thread: got %s, main ran %d\n", (char *)got, spins == 1000);
  free(got);
  close(c);
  close(thread_srv);
  struct pollfd pfd = {thread_srv, POLLIN, 0};
  int nb = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  CHECK(bind(nb, (struct sockaddr *)&(struct sockaddr_un){.sun_family = AF_UNIX}, sizeof(sa_family_t)) == 0);
  CHECK(listen(nb, 1) == 0);
  say("nonblocking accept: %d errno %d\n", accept(nb, NULL, NULL), errno);
  pfd.fd = nb;
  say("poll idle listener: %d\n", poll(&pfd, 1, 0));
  close(nb);
}

static int send_fds(int sock, const int *fds, int n, const char *msg) {
  char ctl[CMSG_SPACE(sizeof(int) * 4)];
  memset(ctl, 0, sizeof ctl);
  struct iovec iov = {(void *)msg, strlen(msg)};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * n);
  memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  return sendmsg(sock, &m, 0);
}

/** Receives a message and up to 4 fds into `fds` with a control buffer of `ctllen` bytes; returns the fd count. */
static int recv_fds(int sock, int *fds, size_t ctllen, int flags, int *msgflags) {
  char ctl[CMSG_SPACE(sizeof(int) * 4)];
  char buf[32] = {0};
  struct iovec iov = {buf, sizeof buf - 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctllen ? ctl : NULL, .msg_controllen = ctllen};
  ssize_t r = recvmsg(sock, &m, flags);
  CHECK(r >= 0);
  say("recvmsg %zd '%s' controllen %d", r, buf, (int)m.msg_controllen);
  *msgflags = m.msg_flags;
  int n = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      memcpy(fds + n, CMSG_DATA(c), sizeof(int) * k);
      n += k;
    }
  }
  // With some room but too little, qemu-user receives all the files itself and reports no
  // MSG_CTRUNC (Linux does): the flag is only shown when there was no room at all.
  if (ctllen == 0)
    say(" fds %d ctrunc %d\n", n, (m.msg_flags & MSG_CTRUNC) != 0);
  else
    say(" fds %d\n", n);
  return n;
}

static void fd_passing(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  char path[512];
  snprintf(path, sizeof path, "%s/passed.txt", dir);
  int file = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
  CHECK(file >= 0 && write(file, "contents of the passed file", 27) == 27);
  CHECK(lseek(file, 12, SEEK_SET) == 12);
  int pipefd[2];
  CHECK(pipe(pipefd) == 0);
  pid_t pid = xfork();
  CHECK(pid >= 0);
  if (pid == 0) {
    close(sv[0]);
    close(pipefd[1]);
    int fds[4], flags;
    CHECK(recv_fds(sv[1], fds, CMSG_SPACE(sizeof(int) * 4), MSG_CMSG_CLOEXEC, &flags) == 2);
    say("child: cloexec %d %d\n", fcntl(fds[0], F_GETFD) == FD_CLOEXEC, fcntl(fds[1], F_GETFD) == FD_CLOEXEC);
    char buf[32] = {0};
    CHECK(read(fds[0], buf, 6) == 6);  // the offset is shared with the sender's file
    say("child read '%s'\n", buf);
    CHECK(write(fds[1], "via passed pipe", 15) == 15);
    close(fds[1]);
    // Two files, room for one: the other is dropped (MSG_CTRUNC).
    CHECK(recv_fds(sv[1], fds, CMSG_LEN(sizeof(int)), 0, &flags) == 1);
    say("child: truncated fd is open %d\n", fcntl(fds[0], F_GETFD) == 0);
    // No control buffer at all.
    CHECK(recv_fds(sv[1], fds, 0, 0, &flags) == 0);
    child_exit(0);
  }
  close(sv[1]);
  int two[2] = {file, pipefd[1]};
  CHECK(send_fds(sv[0], two, 2, "files") == 5);
  close(pipefd[1]);
  two[1] = file;
  char buf[32] = {0};
  CHECK(read(pipefd[0], buf, sizeof buf) == 15);
  say("parent read from pipe: %s\n", buf);
  say("parent offset now %d\n", (int)lseek(file, 0, SEEK_CUR));
  // A stream receive stops after the bytes that carried files: each message arrives alone.
  CHECK(send_fds(sv[0], two, 2, "again") == 5);
  CHECK(send_fds(sv[0], two, 1, "trunc") == 5);
  int status = finish(pid);
  say("fd child status %d\n", status);
  int bad = 999;
  say("send bad fd: %d errno %d\n", send_fds(sv[0], &bad, 1, "x"), errno);
  close(sv[0]);
  close(file);
  close(pipefd[0]);
}

static void credentials(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
  int on = 1;
  CHECK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0);
  struct ucred cr;
  socklen_t cl = sizeof cr;
  CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0);
  say("socketpair peercred: pid is mine %d\n", cr.pid == getpid());
  pid_t pid = xfork();
  CHECK(pid >= 0);
  if (pid == 0) {
    char ctl[CMSG_SPACE(sizeof(struct ucred))];
    struct ucred me = {getpid(), getuid(), getgid()};
    struct iovec iov = {"cred", 4};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof me);
    memcpy(CMSG_DATA(c), &me, sizeof me);
    CHECK(sendmsg(sv[0], &m, 0) == 4);
    child_exit(0);
  }
  char ctl[CMSG_SPACE(sizeof(struct ucred))];
  char buf[8] = {0};
  struct iovec iov = {buf, sizeof buf};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  CHECK(recvmsg(sv[1], &m, 0) == 4);
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  CHECK(c && c->cmsg_type == SCM_CREDENTIALS);
  memcpy(&cr, CMSG_DATA(c), sizeof cr);
  say("SCM_CREDENTIALS: pid is the child %d uid ok %d\n", cr.pid == pid, cr.uid == getuid());
  int status = finish(pid);
  say("cred child status %d\n", status);
  close(sv[0]);
  close(sv[1]);
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  dir = argv[1];
  umask(022);  // the socket file's mode is printed: not the host's umask
  stream_path();
  datagrams();
  abstract();
  thread_accept();
  fd_passing();
  credentials();
  say("done\n");
  flush_say();
  return 5;
}
