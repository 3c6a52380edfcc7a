// Attempts to reach a host file through paths Hartwood resolved earlier: a directory on the
// way to a dirfd, to the working directory, to an open file, or to a bind mount's source is
// renamed and replaced by a symbolic link to "/". If the host ever followed such a link, "/"
// would be the host's root. argv[1] is the host path of a secret file, relative to the host's
// "/"; /w is a writable bind and /s a read-only bind of a directory inside it (w/sub/tmp).
// Each attack prints "blocked" or what it read.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *what, int fd) {
  char buf[128];
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (n > 0) {
    buf[n] = 0;
    printf("%s: read %s", what, buf);
  } else
    printf("%s: blocked\n", what);
  if (fd >= 0) close(fd);
}

/* Renames `dir` away and puts a link to "/" in its place. */
static void swap_for_root(const char *dir) {
  char away[256];
  snprintf(away, sizeof away, "%s.away", dir);
  rename(dir, away);
  symlink("/", dir);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) return 2;
  const char *secret = argv[1];

  mkdir("/w/d1", 0755);
  int dfd = open("/w/d1", O_RDONLY | O_DIRECTORY);
  swap_for_root("/w/d1");
  report("openat on a dirfd whose path became a link", openat(dfd, secret, O_RDONLY));

  mkdir("/w/d2", 0755);
  chdir("/w/d2");
  swap_for_root("/w/d2");
  report("open relative to a cwd whose path became a link", open(secret, O_RDONLY));
  int made = open("pwned.txt", O_CREAT | O_WRONLY, 0644);
  printf("create relative to that cwd: %s\n", made < 0 ? "blocked" : "made (somewhere)");
  if (made >= 0) close(made);
  chdir("/");

  /* an open file whose directory path becomes a link, reopened through /proc/self/fd */
  char path[512];
  mkdir("/w/d3", 0755);
  snprintf(path, sizeof path, "/w/d3/%s", secret);
  for (char *p = path + 6; (p = strchr(p + 1, '/')) != NULL;) {
    *p = 0;
    mkdir(path, 0755);
    *p = '/';
  }
  int own = open(path, O_CREAT | O_RDWR, 0644);
  swap_for_root("/w/d3");
  char magic[64];
  snprintf(magic, sizeof magic, "/proc/self/fd/%d", own);
  report("reopen through /proc/self/fd", open(magic, O_RDONLY));

  /* a directory fd whose path becomes a link, then listed */
  mkdir("/w/d4", 0755);
  int lfd = open("/w/d4", O_RDONLY | O_DIRECTORY);
  swap_for_root("/w/d4");
  DIR *d = fdopendir(lfd);
  int entries = 0;
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) entries++;
  printf("listing of a dirfd whose path became a link: %d entries\n", entries);

  /* the source of the read-only bind /s is reached through /w: rename its parent away */
  swap_for_root("/w/sub");
  snprintf(path, sizeof path, "/s/../../%s", secret);
  report("through a bind whose source's parent became a link", open(path, O_RDONLY));
  snprintf(path, sizeof path, "/s/%s", secret + 4); /* secret is "tmp/..." */
  report("below that bind", open(path, O_RDONLY));
  printf("done\n");
  return 0;
}
