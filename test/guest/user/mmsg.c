// sendmmsg and recvmmsg on AF_UNIX datagram, seqpacket and stream socketpairs: counts,
// msg_len, boundaries, MSG_TRUNC, MSG_WAITFORONE, MSG_DONTWAIT, a receive that waits for a
// thread's messages, SCM_RIGHTS in a batch, and a failure part-way.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define N 4

static struct mmsghdr msgs[N];
static struct iovec iov[N][2];
static char bufs[N][2][8];

/** Points msgs[i] at two 8-byte (or `first`-byte) buffers each. */
static void prepare_recv(int first) {
  memset(msgs, 0, sizeof msgs);
  memset(bufs, 0, sizeof bufs);
  for (int i = 0; i < N; i++) {
    iov[i][0] = (struct iovec){bufs[i][0], first};
    iov[i][1] = (struct iovec){bufs[i][1], 8};
    msgs[i].msg_hdr.msg_iov = iov[i];
    msgs[i].msg_hdr.msg_iovlen = 2;
    msgs[i].msg_len = 0xdead;
  }
}

static void show_recv(const char *what, int r, int first) {
  printf("%s: %d errno %s", what, r, r < 0 ? strerrorname_np(errno) : "-");
  for (int i = 0; i < (r > 0 ? r : 0); i++)
    printf(" [len %u flags %#x '%.*s'+'%.8s']", msgs[i].msg_len, msgs[i].msg_hdr.msg_flags, first, bufs[i][0],
           bufs[i][1]);
  printf("\n");
}

static struct mmsghdr out[N];
static struct iovec outv[N];

static int send_words(int fd, const char **words, int n, int flags) {
  memset(out, 0, sizeof out);
  for (int i = 0; i < n; i++) {
    outv[i] = (struct iovec){(void *)words[i], strlen(words[i])};
    out[i].msg_hdr.msg_iov = &outv[i];
    out[i].msg_hdr.msg_iovlen = 1;
    out[i].msg_len = 0xdead;
  }
  return sendmmsg(fd, out, n, flags);
}

static void show_send(const char *what, int r, int n) {
  printf("%s: %d errno %s lens", what, r, r < 0 ? strerrorname_np(errno) : "-");
  for (int i = 0; i < n; i++) printf(" %u", out[i].msg_len);
  printf("\n");
}

static int late_fd;
static void *send_later(void *arg) {
  (void)arg;
  const char *w[] = {"late1", "late2"};
  for (int i = 0; i < 2; i++) {
    usleep(30000);
    CHECK(send_words(late_fd, &w[i], 1, 0) == 1);
  }
  return NULL;
}

static void datagrams(int type, const char *name) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, type, 0, sv) == 0);
  printf("-- %s\n", name);
  const char *words[] = {"one", "two!", "three", "a-much-longer-word"};
  show_send("sendmmsg 4", send_words(sv[0], words, 4, 0), 4);
  prepare_recv(4);
  show_recv("recvmmsg 4 into 4+8 bytes", recvmmsg(sv[1], msgs, N, 0, NULL), 4);
  show_send("sendmmsg 2", send_words(sv[0], words, 2, 0), 2);
  prepare_recv(4);
  show_recv("recvmmsg WAITFORONE with 2 waiting", recvmmsg(sv[1], msgs, N, MSG_WAITFORONE, NULL), 4);
  prepare_recv(4);
  show_recv("recvmmsg DONTWAIT with none", recvmmsg(sv[1], msgs, N, MSG_DONTWAIT, NULL), 4);
  show_send("sendmmsg 3", send_words(sv[0], words + 1, 3, 0), 3);
  prepare_recv(2);
  show_recv("recvmmsg MSG_TRUNC into 2+8 bytes", recvmmsg(sv[1], msgs, N, MSG_TRUNC | MSG_DONTWAIT, NULL), 2);

  // Without WAITFORONE the call waits for all it asked for.
  late_fd = sv[0];
  pthread_t th;
  CHECK(pthread_create(&th, NULL, send_later, NULL) == 0);
  prepare_recv(8);
  show_recv("recvmmsg 2, waiting for a thread's two sends", recvmmsg(sv[1], msgs, 2, 0, NULL), 8);
  pthread_join(th, NULL);

  // (Not the timeout argument: qemu-riscv64 7.2 ignores it, so it cannot be the reference.)

  // A failure after the first message: the count so far.
  memset(out, 0, sizeof out);
  printf("sendmmsg with a bad second iovec:\n");
  outv[0] = (struct iovec){"ok", 2};
  out[0].msg_hdr.msg_iov = &outv[0];
  out[0].msg_hdr.msg_iovlen = 1;
  out[1].msg_hdr.msg_iov = (struct iovec *)8;
  out[1].msg_hdr.msg_iovlen = 1;
  SHOW("  count", sendmmsg(sv[0], out, 2, 0));
  SHOW("  first bad", sendmmsg(sv[0], out + 1, 1, 0));
  prepare_recv(4);
  show_recv("  received", recvmmsg(sv[1], msgs, N, MSG_DONTWAIT, NULL), 4);
  close(sv[0]);
  close(sv[1]);
}

static void stream(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  printf("-- stream\n");
  const char *words[] = {"abc", "defgh", "ijklmnopqrstu"};
  show_send("sendmmsg 3", send_words(sv[0], words, 3, 0), 3);
  prepare_recv(4);
  show_recv("recvmmsg WAITFORONE", recvmmsg(sv[1], msgs, N, MSG_WAITFORONE, NULL), 4);

  // SCM_RIGHTS in the second message of a batch.
  int p[2];
  CHECK(pipe(p) == 0);
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  memset(out, 0, sizeof out);
  outv[0] = (struct iovec){"xy", 2};
  outv[1] = (struct iovec){"zz", 2};
  for (int i = 0; i < 2; i++) {
    out[i].msg_hdr.msg_iov = &outv[i];
    out[i].msg_hdr.msg_iovlen = 1;
  }
  out[1].msg_hdr.msg_control = ctl.buf;
  out[1].msg_hdr.msg_controllen = sizeof ctl.buf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&out[1].msg_hdr);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &p[1], sizeof(int));
  SHOW("sendmmsg 2 with a pipe in the second", sendmmsg(sv[0], out, 2, 0));
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } rctl[N];
  prepare_recv(8);
  for (int i = 0; i < N; i++) {
    msgs[i].msg_hdr.msg_control = rctl[i].buf;
    msgs[i].msg_hdr.msg_controllen = sizeof rctl[i].buf;
  }
  int r = recvmmsg(sv[1], msgs, N, MSG_WAITFORONE, NULL);
  show_recv("recvmmsg", r, 8);
  for (int i = 0; i < r; i++) {
    struct cmsghdr *h = CMSG_FIRSTHDR(&msgs[i].msg_hdr);
    int fd = -1;
    if (h && h->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(h), sizeof fd);
    printf("  message %d: controllen %zu, a file: %d", i, (size_t)msgs[i].msg_hdr.msg_controllen, fd >= 0);
    if (fd >= 0) {
      CHECK(write(fd, "!", 1) == 1);
      char ch = 0;
      CHECK(read(p[0], &ch, 1) == 1);
      printf(", writes to the pipe: '%c'", ch);
      close(fd);
    }
    printf("\n");
  }
  CHECK(shutdown(sv[0], SHUT_WR) == 0);
  prepare_recv(4);
  show_recv("recvmmsg 2 after the peer's shutdown", recvmmsg(sv[1], msgs, 2, 0, NULL), 4);
  close(sv[0]);
  close(sv[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  datagrams(SOCK_DGRAM, "datagram");
  datagrams(SOCK_SEQPACKET, "seqpacket");
  stream();
  int fd = open("/dev/null", O_RDONLY);
  SHOW("sendmmsg on a file", sendmmsg(fd, out, 1, 0));
  printf("done\n");
  return 0;
}
