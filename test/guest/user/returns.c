// Calls whose callee is too large for the caller's translation wait there for its return (the
// recompiler's predicted returns); this program makes returns that do not come back to their
// call site, or come back to code changed meanwhile: a callee that returns 4 bytes past its
// call site (its return address rewritten), one that rewrites the instruction at its own
// return site, longjmp and a fault (SIGSEGV, siglongjmp) at the bottom of a recursion 100
// calls deep through such callees, and the same recursion returning normally, then 20,000
// calls deep (far more than the engine lets wait inside each other). Compared with
// qemu-riscv64.
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

// mixer(x, patch, fd, skip): MIX_LOOP (below) on x; then, when patch is not 0, read()s 4 bytes
// from fd to patch (the kernel writes the code), and returns skip bytes past its return
// address. rcaller(x, patch, fd, skip) calls it and adds 5 (the instruction at rsite) and 64 to
// what it returns. deeper_a(n, x) and deeper_b(n, x) mix x the same way and then return
// down(n, x): down calls one or the other by turns, so that each call of the recursion leaves
// a translation that holds neither (a loop cut inside it makes the region leave its callee out).
// A loop of 32 instructions mixing register R by shifts of S and adds of A, twice, with an
// arm of 150 instructions inside it that never runs (its branch is never taken): more than a
// translation holds, so a caller's translation takes the loop in only cut inside it, while its
// back edge comes in early (discovery is breadth first, and the arm is the last way in).
#define MIX_LOOP(R, S, A)                                                                           \
  "  li t1, 2\n"                                                                                     \
  "1:\n"                                                                                             \
  "  j 5f\n"                                                                                         \
  "3:\n"                                                                                             \
  "  .rept 50\n"                                                                                     \
  "  slli t0, " R ", 7\n"                                                                            \
  "  xor " R ", " R ", t0\n"                                                                         \
  "  addi " R ", " R ", 9\n"                                                                         \
  "  .endr\n"                                                                                        \
  "  j 6f\n"                                                                                         \
  "5:\n"                                                                                             \
  "  .rept 10\n"                                                                                     \
  "  slli t0, " R ", " S "\n"                                                                        \
  "  xor " R ", " R ", t0\n"                                                                         \
  "  addi " R ", " R ", " A "\n"                                                                     \
  "  .endr\n"                                                                                        \
  "  beqz t1, 3b\n"                                                                                  \
  "6:\n"                                                                                             \
  "  addi t1, t1, -1\n"                                                                              \
  "  bnez t1, 1b\n"

__asm__(
    ".text\n"
    ".option push\n"
    ".option norvc\n"
    ".balign 4\n"
    "mixer:\n"
    MIX_LOOP("a0", "3", "1")
    "  beqz a1, 2f\n"
    "  mv t2, a0\n"
    "  mv a0, a2\n"
    "  li a2, 4\n"
    "  li a7, 63\n"
    "  ecall\n"
    "  mv a0, t2\n"
    "2:\n"
    "  add ra, ra, a3\n"
    "  ret\n"
    ".globl rcaller\n"
    "rcaller:\n"
    "  addi sp, sp, -16\n"
    "  sd ra, 8(sp)\n"
    "  jal ra, mixer\n"
    ".globl rsite\n"
    "rsite:\n"
    "  addi a0, a0, 5\n"
    "  addi a0, a0, 64\n"
    "  ld ra, 8(sp)\n"
    "  addi sp, sp, 16\n"
    "  ret\n"
    ".globl deeper_a\n"
    "deeper_a:\n"
    MIX_LOOP("a1", "3", "1")
    "  tail down\n"
    ".globl deeper_b\n"
    "deeper_b:\n"
    MIX_LOOP("a1", "5", "3")
    "  tail down\n"
    ".option pop\n");

long rcaller(long x, uint32_t *patch, long fd, long skip);
uint64_t deeper_a(int n, uint64_t x);
uint64_t deeper_b(int n, uint64_t x);
extern uint32_t rsite[];

/* addi a0, a0, imm */
static uint32_t addi_a0(int imm) { return ((uint32_t)(imm & 0xfff) << 20) | (10u << 15) | (10u << 7) | 0x13u; }

static sigjmp_buf jump;
static volatile int mode; /* at the recursion's bottom: 0 return, 1 longjmp, 2 fault */
static volatile char *noaccess;

uint64_t down(int n, uint64_t x) {
  if (n == 0) {
    if (mode == 1) siglongjmp(jump, 1);
    if (mode == 2) *noaccess = 1;
    return x ^ 0x5a5a;
  }
  return (n & 1 ? deeper_a(n - 1, x) : deeper_b(n - 1, x)) * 3 + (uint64_t)n;
}

static void on_segv(int sig) {
  (void)sig;
  siglongjmp(jump, 2);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_segv;
  sigaction(SIGSEGV, &sa, NULL);
  noaccess = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  long page = sysconf(_SC_PAGESIZE);
  uintptr_t site = (uintptr_t)rsite & ~(uintptr_t)(page - 1);
  if (noaccess == MAP_FAILED || mprotect((void *)site, (size_t)page * 2, PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
    return 1;

  /* Returns to the call site; then 4 bytes past it (the add of 5 skipped). */
  long sum = 0;
  for (long i = 0; i < 20000; i++) sum += rcaller(i, 0, 0, 0);
  printf("to the call site: %ld\n", sum);
  sum = 0;
  for (long i = 0; i < 20000; i++) sum += rcaller(i, 0, 0, i % 3 == 0 ? 4 : 0);
  printf("past it every third call: %ld\n", sum);

  /* The callee has the kernel rewrite the instruction it returns to (read() from a pipe). */
  int pipefd[2];
  if (pipe(pipefd) != 0) return 1;
  sum = 0;
  for (long i = 0; i < 20000; i++) {
    int imm = i % 5000 == 4999 ? 6 + (int)(i / 5000) : 0;
    uint32_t insn = addi_a0(imm);
    if (imm && write(pipefd[1], &insn, 4) != 4) return 1;
    sum += rcaller(i, imm ? rsite : 0, pipefd[0], 0);
  }
  printf("return site rewritten 4 times: %ld\n", sum);

  /* Recursion 100 deep through callees too large for their callers: returns, longjmp, a fault. */
  const char *how[] = {"returned", "longjmp", "fault"};
  for (int m = 0; m < 3; m++) {
    mode = m;
    uint64_t total = 0;
    int jumps = 0;
    for (int round = 0; round < 300; round++) {
      volatile uint64_t x = (uint64_t)round;
      int r = sigsetjmp(jump, 1);
      if (r == 0) x = down(100, x);
      else jumps += r;
      total = total * 31 + x;
    }
    printf("depth 100, %s: %llu, %d\n", how[m], (unsigned long long)total, jumps);
  }
  /* 20,000 deep: more calls than may wait inside each other (the engine's bound keeps the
   * host's stack from growing with the guest's). */
  mode = 0;
  uint64_t deep = 0;
  for (int round = 0; round < 4; round++) deep = deep * 31 + down(20000, (uint64_t)round);
  printf("depth 20000: %llu\n", (unsigned long long)deep);
  return 0;
}
