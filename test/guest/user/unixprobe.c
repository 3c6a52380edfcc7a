// Connects to the abstract name argv[1] and to the socket file argv[2], and says what happened:
// under Hartwood both belong to host servers the guest must not reach.
#define _GNU_SOURCE
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"

static void probe(const char *what, const char *name, int abstract) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  size_t n = strlen(name);
  CHECK(n + 1 < sizeof a.sun_path);
  memcpy(a.sun_path + abstract, name, n);
  socklen_t len = offsetof(struct sockaddr_un, sun_path) + abstract + n + !abstract;
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(what, connect(s, (struct sockaddr *)&a, len));
  close(s);
}

int main(int argc, char **argv) {
  CHECK(argc == 3);
  probe("abstract", argv[1], 1);
  probe("path", argv[2], 0);
  return 0;
}
