/* Fails test 7: tohost = (7 << 1) | 1. */
#include "test.h"

TEST_BEGIN
  TEST_CASE(7)
  FAIL
TEST_END
