// The scratch directory of a guest test program (argv[1]) and names in it: at(i, name) builds
// the path in buffer i, so that a few can be in use at once.
#include <stdio.h>

static const char *scratch_dir;
static char path_buf[4][512];

static const char *at(int i, const char *name) {
  snprintf(path_buf[i], sizeof path_buf[i], "%s/%s", scratch_dir, name);
  return path_buf[i];
}
