// The start-up benchmark's program (bench/startup.ts): as little work as a program can do,
// so the time measured is the runner's own start-up and exit.
#include <stdio.h>

int main(void) {
  puts("hello, world");
  return 0;
}
