/* Never reports to tohost: spins until the runner's instruction limit stops it. */
#include "test.h"

TEST_BEGIN
1: j 1b
TEST_END
