/* Prints its environment, one variable a line: what the launcher's test checks the guest sees. */
#include <stdio.h>

extern char **environ;

int main(void) {
  for (char **e = environ; *e; e++) puts(*e);
  return 0;
}
