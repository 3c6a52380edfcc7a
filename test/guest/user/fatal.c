// Dies of a signal: argv[1] selects which (segv, abort, ill, kill).
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *how = argc > 1 ? argv[1] : "segv";
  printf("about to die: %s\n", how);
  fflush(stdout);
  if (!strcmp(how, "segv")) *(volatile int *)0 = 1;
  if (!strcmp(how, "abort")) abort();
  if (!strcmp(how, "ill")) __asm__ volatile(".word 0");
  if (!strcmp(how, "kill")) kill(getpid(), SIGTERM);
  if (!strcmp(how, "exit")) exit(99);
  return 1;
}
