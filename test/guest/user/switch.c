/* Switches through a jump table, as GCC lays them out for RISC-V (a bounds check, the index
 * scaled and added to the table's address, an entry loaded, jr), whose tables are data the
 * program rewrites: the recompiler takes a switch's cases from its table when it builds the
 * loop around it (JitIsa.jumpTable), but the jump must still go where the entry says now.
 * `rel` has GCC's relative .word entries (offsets from the table, its address and the last
 * case hoisted out of the loop), `abs` absolute .dword entries; both tables are in .data and
 * hold one entry past the last case, which only a rewrite makes reachable. Indices 5-7 are
 * out of range and go to the default. The sums are printed; qemu-riscv64 gives the
 * reference. */
#include <stdio.h>

long rel(const unsigned char *idx, long n);
long abs_(const unsigned char *idx, long n);
extern int rel_table[6];
extern long abs_table[6];

__asm__(
    ".data\n"
    ".balign 8\n"
    ".globl rel_table\n"
    "rel_table:\n"
    "  .word 1f - rel_table, 2f - rel_table, 3f - rel_table\n"
    "  .word 4f - rel_table, 5f - rel_table, 6f - rel_table\n"
    ".text\n"
    ".globl rel\n"
    "rel:\n"
    "  mv t2, a0\n"
    "  li a0, 0\n"
    "  li t0, 4\n"
    "  lla t1, rel_table\n"
    "0:\n"
    "  beqz a1, 9f\n"
    "  lbu a2, 0(t2)\n"
    "  addi t2, t2, 1\n"
    "  addi a1, a1, -1\n"
    "  bltu t0, a2, 8f\n"
    "  slli a3, a2, 2\n"
    "  add a3, a3, t1\n"
    "  lw a3, 0(a3)\n"
    "  add a3, a3, t1\n"
    "  jr a3\n"
    "1: addi a0, a0, 1\n"
    "  j 0b\n"
    "2: addi a0, a0, 10\n"
    "  j 0b\n"
    "3: slli a4, a0, 1\n"
    "  xor a0, a0, a4\n"
    "  j 0b\n"
    "4: addi a0, a0, 1000\n"
    "  j 0b\n"
    "5: addi a0, a0, -7\n"
    "  j 0b\n"
    "6: li a4, 100000\n"
    "  add a0, a0, a4\n"
    "  j 0b\n"
    "8: addi a0, a0, 3\n"
    "  j 0b\n"
    "9: ret\n"
    ".data\n"
    ".balign 8\n"
    ".globl abs_table\n"
    "abs_table:\n"
    "  .dword 1f, 2f, 3f, 4f, 5f, 6f\n"
    ".text\n"
    ".globl abs_\n"
    "abs_:\n"
    "  mv t2, a0\n"
    "  li a0, 0\n"
    "0:\n"
    "  beqz a1, 9f\n"
    "  lbu a2, 0(t2)\n"
    "  addi t2, t2, 1\n"
    "  addi a1, a1, -1\n"
    "  li t0, 4\n"
    "  bltu t0, a2, 8f\n"
    "  lla t1, abs_table\n"
    "  slli a3, a2, 3\n"
    "  add a3, a3, t1\n"
    "  ld a3, 0(a3)\n"
    "  jr a3\n"
    "1: addi a0, a0, 2\n"
    "  j 0b\n"
    "2: addi a0, a0, 20\n"
    "  j 0b\n"
    "3: slli a4, a0, 2\n"
    "  xor a0, a0, a4\n"
    "  j 0b\n"
    "4: addi a0, a0, 2000\n"
    "  j 0b\n"
    "5: addi a0, a0, -9\n"
    "  j 0b\n"
    "6: li a4, 300000\n"
    "  add a0, a0, a4\n"
    "  j 0b\n"
    "8: addi a0, a0, 5\n"
    "  j 0b\n"
    "9: ret\n");

enum { N = 4096, ROUNDS = 40 };
static unsigned char idx[N];

static void round_(const char *what) {
  long r = 0, a = 0;
  for (int k = 0; k < ROUNDS; k++) {
    r += rel(idx, N);
    a += abs_(idx, N);
  }
  printf("%s: rel %ld abs %ld\n", what, r, a);
}

int main(void) {
  unsigned x = 12345;
  for (int i = 0; i < N; i++) {
    x = x * 1103515245u + 12345u;
    idx[i] = (x >> 16) & 7; /* 5, 6, 7: out of range */
  }
  round_("as built");
  /* Case 1 now goes to the entry past the last case; case 3 to case 0's code. */
  int r1 = rel_table[1], r3 = rel_table[3];
  long a1 = abs_table[1], a3 = abs_table[3];
  rel_table[1] = rel_table[5];
  rel_table[3] = rel_table[0];
  abs_table[1] = abs_table[5];
  abs_table[3] = abs_table[0];
  round_("rewritten");
  rel_table[1] = r1;
  rel_table[3] = r3;
  abs_table[1] = a1;
  abs_table[3] = a3;
  round_("restored");
  return 0;
}
