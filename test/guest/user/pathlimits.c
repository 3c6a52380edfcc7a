// Path limits and a magic link as a directory: a path without a NUL in PATH_MAX bytes, a path
// of PATH_MAX bytes and a component over NAME_MAX are ENAMETOOLONG; chdir to
// /proc/self/fd/N of a directory fd goes to that directory. argv[1] is a scratch directory.
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
int main(int argc, char **argv) {
  if (argc < 2 || chdir(argv[1]) != 0) return 2;
  char *p = malloc(8192); memset(p, 'a', 8192);
  errno = 0; int r = open(p, O_RDONLY); printf("no NUL in 8192: %d errno=%d\n", r, errno);
  p[4096] = 0; errno = 0; r = open(p, O_RDONLY); printf("4096 long: %d errno=%d\n", r, errno);
  p[300] = 0; errno = 0; r = open(p, O_RDONLY); printf("component 300: %d errno=%d\n", r, errno);
  mkdir("dd", 0755); int fd = open("dd", O_RDONLY|O_DIRECTORY);
  char m[64]; snprintf(m, 64, "/proc/self/fd/%d", fd);
  errno = 0; r = chdir(m); char cwd[256]; getcwd(cwd, 256);
  printf("chdir magic: %d errno=%d ends with dd: %d\n", r, errno, strlen(cwd) >= 2 && strcmp(cwd + strlen(cwd) - 2, "dd") == 0);
  chdir(argv[1]);
  rmdir("dd");
  return 0;
}
