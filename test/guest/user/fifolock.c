// Named pipes and flock between processes and threads: a FIFO's open waits for the other
// side (its thread alone), O_NONBLOCK opens, EOF and ENXIO; flock contention between two
// processes, shared locks, LOCK_NB, conversion, dup and close. argv[1] is a scratch directory.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"


static char fifo[512];
static volatile int counter;

static int finish(pid_t pid) {
  int status;
  CHECK(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void *reader_thread(void *arg) {
  (void)arg;
  int fd = open(fifo, O_RDONLY);  // waits for the main thread's writer
  CHECK(fd >= 0);
  char buf[32] = {0};
  CHECK(read(fd, buf, sizeof buf) == 6);
  close(fd);
  return strdup(buf);
}

static void fifos(const char *dir) {
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  umask(022);
  CHECK(mkfifo(fifo, 0666) == 0);
  struct stat st;
  CHECK(stat(fifo, &st) == 0);
  printf("mkfifo: S_ISFIFO %d mode %o\n", S_ISFIFO(st.st_mode), st.st_mode & 0777);
  printf("mkfifo again: %d errno %d\n", mkfifo(fifo, 0600), errno);
  char path[512];
  snprintf(path, sizeof path, "%s/dir-node", dir);
  printf("mknod S_IFDIR: %d errno %d\n", mknod(path, S_IFDIR | 0700, 0), errno);
  snprintf(path, sizeof path, "%s/plain-node", dir);
  CHECK(mknod(path, S_IFREG | 0600, 0) == 0);
  CHECK(stat(path, &st) == 0);
  printf("mknod S_IFREG: regular %d size %d\n", S_ISREG(st.st_mode), (int)st.st_size);

  fflush(stdout);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int w = open(fifo, O_WRONLY);  // waits for the parent's reader
    CHECK(w >= 0);
    CHECK(write(w, "hello ", 6) == 6);
    usleep(20000);
    CHECK(write(w, "through a fifo", 14) == 14);
    _exit(0);
  }
  int r = open(fifo, O_RDONLY);
  CHECK(r >= 0);
  char buf[64] = {0};
  size_t got = 0;
  for (ssize_t n; (n = read(r, buf + got, sizeof buf - 1 - got)) > 0;) got += n;
  printf("reader got '%s' then EOF\n", buf);
  printf("writer status %d\n", finish(pid));
  CHECK(fstat(r, &st) == 0);
  printf("fstat of the end: S_ISFIFO %d\n", S_ISFIFO(st.st_mode));
  close(r);

  // Without the other side: a non-blocking reader opens and reads EOF; a writer fails with ENXIO.
  r = open(fifo, O_RDONLY | O_NONBLOCK);
  CHECK(r >= 0);
  printf("nonblocking reader alone: read %d\n", (int)read(r, buf, sizeof buf));
  int w = open(fifo, O_WRONLY | O_NONBLOCK);
  printf("nonblocking writer with a reader: ok %d\n", w >= 0);
  CHECK(write(w, "x", 1) == 1);
  struct pollfd pfd = {r, POLLIN, 0};
  printf("poll reader: %d revents %x\n", poll(&pfd, 1, 0), pfd.revents);
  close(w);
  close(r);
  printf("nonblocking writer alone: %d errno %d\n", open(fifo, O_WRONLY | O_NONBLOCK), errno);
  int rw = open(fifo, O_RDWR);
  printf("O_RDWR opens alone: %d\n", rw >= 0);
  close(rw);

  // A thread waiting in open does not stop the others.
  pthread_t th;
  CHECK(pthread_create(&th, NULL, reader_thread, NULL) == 0);
  for (int i = 0; i < 1000; i++) counter++;
  w = open(fifo, O_WRONLY);
  CHECK(w >= 0 && write(w, "thread", 6) == 6);
  void *res;
  CHECK(pthread_join(th, &res) == 0);
  printf("thread read '%s', main ran meanwhile %d\n", (char *)res, counter == 1000);
  free(res);
  close(w);
  CHECK(unlink(fifo) == 0);
}

static void locks(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/lockfile", dir);
  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
  CHECK(fd >= 0);
  printf("flock bad op: %d errno %d\n", flock(fd, LOCK_SH | LOCK_EX), errno);
  printf("flock bad fd: %d errno %d\n", flock(987, LOCK_EX), errno);
  CHECK(flock(fd, LOCK_EX) == 0);
  int sync[2];
  CHECK(pipe(sync) == 0);
  fflush(stdout);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int mine = open(path, O_RDWR | O_APPEND);
    CHECK(mine >= 0);
    int nb_ex = flock(mine, LOCK_EX | LOCK_NB), e1 = errno;
    int nb_sh = flock(mine, LOCK_SH | LOCK_NB), e2 = errno;
    char line[128];
    int n = snprintf(line, sizeof line, "child: LOCK_EX|LOCK_NB %d errno %d, LOCK_SH|LOCK_NB %d errno %d\n", nb_ex, e1, nb_sh, e2);
    CHECK(write(sync[1], line, n) == n);
    CHECK(flock(mine, LOCK_EX) == 0);  // waits for the parent's unlock
    CHECK(write(mine, " child", 6) == 6);
    _exit(0);  // exiting drops the lock
  }
  char line[128] = {0};
  CHECK(read(sync[0], line, sizeof line) > 0);
  printf("%s", line);
  usleep(50000);  // the child is waiting in flock by now (or soon): either way it writes second
  CHECK(write(fd, "parent", 6) == 6);
  int copy = dup(fd);
  CHECK(flock(copy, LOCK_UN) == 0);  // the lock is the open file's: a dup releases it
  printf("child status %d\n", finish(pid));
  char buf[64] = {0};
  CHECK(pread(fd, buf, sizeof buf, 0) == 12);
  printf("file: '%s'\n", buf);
  printf("after the child exited: LOCK_EX|LOCK_NB %d\n", flock(fd, LOCK_EX | LOCK_NB));

  // Shared locks coexist; an exclusive one then waits; converting drops the old lock.
  int other = open(path, O_RDONLY);
  CHECK(flock(fd, LOCK_SH) == 0);
  printf("two shared: %d\n", flock(other, LOCK_SH | LOCK_NB));
  printf("exclusive over a shared: %d errno %d\n", flock(fd, LOCK_EX | LOCK_NB), errno);
  close(other);
  printf("after the other closed: %d\n", flock(fd, LOCK_EX | LOCK_NB));
  close(fd);
  close(copy);
  fd = open(path, O_RDONLY);
  printf("after the last close: %d\n", flock(fd, LOCK_EX | LOCK_NB));
  close(fd);
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  fifos(argv[1]);
  locks(argv[1]);
  printf("done\n");
  return 6;
}
