/* Waits for an interrupt with none enabled and no timer armed: nothing can wake it. */
#include "test.h"

TEST_BEGIN
  csrw mie, zero
  wfi
  FAIL
TEST_END
