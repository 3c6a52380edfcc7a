// File I/O, directories, args, environment and stdin: everything printed goes to stdout so
// that Hartwood's output can be compared with qemu-riscv64's. argv[1] is a scratch directory.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(int argc, char **argv) {
  CHECK(argc >= 2);
  printf("argc=%d\n", argc);
  for (int i = 2; i < argc; i++) printf("arg[%d]=%s\n", i, argv[i]);
  const char *greet = getenv("HARTWOOD_GREETING");
  printf("env HARTWOOD_GREETING=%s\n", greet ? greet : "(unset)");

  CHECK(chdir(argv[1]) == 0);
  char cwd[4096];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  printf("cwd matches: %d\n", strcmp(cwd, argv[1]) == 0);

  // create, write, read back
  int fd = open("a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  CHECK(fd >= 0);
  const char *msg = "hello, file\n";
  CHECK(write(fd, msg, strlen(msg)) == (ssize_t)strlen(msg));
  struct iovec iov[2] = {{"vec", 3}, {"tor\n", 4}};
  CHECK(writev(fd, iov, 2) == 7);
  CHECK(pwrite(fd, "H", 1, 0) == 1);
  CHECK(close(fd) == 0);
  fd = open("a.txt", O_RDONLY);
  CHECK(fd >= 0);
  char buf[64] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  printf("read %zd: %s", n, buf);
  CHECK(lseek(fd, 7, SEEK_SET) == 7);
  memset(buf, 0, sizeof buf);
  CHECK(read(fd, buf, 4) == 4);
  printf("after lseek: %s\n", buf);
  CHECK(pread(fd, buf, 3, 12) == 3);
  printf("pread: %.3s\n", buf);
  CHECK(lseek(fd, 0, SEEK_END) == 19);
  int fd2 = dup(fd);
  CHECK(fd2 > fd);
  CHECK(lseek(fd2, 0, SEEK_CUR) == 19);  // dup shares the offset
  CHECK(fcntl(fd, F_GETFL) == O_RDONLY);
  CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC);
  close(fd2);
  close(fd);

  // stat
  struct stat st;
  CHECK(stat("a.txt", &st) == 0);
  printf("size=%lld reg=%d mode=%o\n", (long long)st.st_size, S_ISREG(st.st_mode), st.st_mode & 0777);
  CHECK(stat(".", &st) == 0 && S_ISDIR(st.st_mode));
  CHECK(stat("missing", &st) == -1 && errno == ENOENT);
  printf("open missing: %d errno=%d\n", open("missing", O_RDONLY), errno);

  // rename, mkdir, readdir, unlink
  CHECK(rename("a.txt", "b.txt") == 0);
  CHECK(access("a.txt", F_OK) == -1 && access("b.txt", R_OK) == 0);
  CHECK(mkdir("sub", 0755) == 0);
  FILE *f = fopen("sub/c.txt", "w");
  CHECK(f);
  fprintf(f, "%d %s %.3f\n", 42, "stdio", 3.14159);
  fclose(f);
  f = fopen("sub/c.txt", "r");
  int i;
  char word[16];
  double d;
  CHECK(fscanf(f, "%d %15s %lf", &i, word, &d) == 3);
  fclose(f);
  printf("fscanf: %d %s %.2f\n", i, word, d);
  DIR *dir = opendir(".");
  CHECK(dir);
  char *names[16];
  int count = 0;
  struct dirent *e;
  while ((e = readdir(dir)) && count < 16) names[count++] = strdup(e->d_name);
  closedir(dir);
  qsort(names, count, sizeof names[0], cmp);
  for (int k = 0; k < count; k++) printf("entry %s\n", names[k]);
  CHECK(unlink("b.txt") == 0);
  CHECK(unlink("sub/c.txt") == 0);
  CHECK(rmdir("sub") == 0);
  CHECK(access("b.txt", F_OK) == -1 && errno == ENOENT);

  printf("unknown syscall fails with ENOSYS: %d\n", syscall(4000) == -1 && errno == ENOSYS);

  // stdin passthrough: count lines and bytes
  long lines = 0, bytes = 0;
  int c;
  while ((c = getchar()) != EOF) {
    bytes++;
    if (c == '\n') lines++;
  }
  printf("stdin: %ld lines, %ld bytes\n", lines, bytes);
  return 7;
}
