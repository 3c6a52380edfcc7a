// Self-modifying code: a function written into a read-write-execute mapping runs hot (so the
// recompiler translates it), then is rewritten and must run as rewritten. The rewrite is made
// visible with __builtin___clear_cache (the riscv_flush_icache syscall), with fence.i, with no
// flush at all (QEMU and Hartwood both catch the store to translated code), and with an
// atomic store into the code. Then a function that calls out through a pointer has the
// instruction after its call (the return site, where a translation made for the function
// may be entered too) rewritten. Then code that read() brings in from a pipe (written by
// the kernel, not by a store of the program) replaces code that ran hot. Last, a function
// whose store rewrites the instruction two after it, in the same straight line, with no
// flush: the interpreter goes on from one instruction's predecoded entry to the next, and
// must still see the new bits.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

typedef long (*fn_t)(long);

/* addi a0, a0, imm; ret */
static void write_fn(volatile uint32_t *code, int imm) {
  code[0] = ((uint32_t)(imm & 0xfff) << 20) | (10u << 15) | (10u << 7) | 0x13u;
  code[1] = 0x00008067u;
}

/* Calls per round (argv[1], default 2000): more keeps each version hot for longer. */
static long calls = 2000;

static long run_hot(fn_t f) {
  long sum = 0;
  for (long i = 0; i < calls; i++) sum += f(i);
  return sum;
}

/* long f(long x, long (*h)(long)): return h(x) + imm, with the add after the call. */
static void write_caller(volatile uint32_t *code, int imm) {
  code[0] = 0xff010113u; /* addi sp, sp, -16 */
  code[1] = 0x00113423u; /* sd ra, 8(sp) */
  code[2] = 0x000580e7u; /* jalr ra, 0(a1) */
  code[3] = ((uint32_t)(imm & 0xfff) << 20) | (10u << 15) | (10u << 7) | 0x13u; /* addi a0, a0, imm */
  code[4] = 0x00813083u; /* ld ra, 8(sp) */
  code[5] = 0x01010113u; /* addi sp, sp, 16 */
  code[6] = 0x00008067u; /* ret */
}

typedef long (*caller_t)(long, long (*)(long));

static __attribute__((noinline)) long triple(long x) { return 3 * x; }

int main(int argc, char **argv) {
  if (argc > 1) calls = atol(argv[1]);
  uint32_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) return 1;
  fn_t f = (fn_t)(uintptr_t)code;
  const char *how[] = {"clear_cache", "fence.i", "no flush", "atomic store"};
  for (int round = 0; round < 8; round++) {
    int imm = 3 + 7 * round;
    int mode = round % 4;
    if (mode == 3) {
      uint32_t insn = ((uint32_t)(imm & 0xfff) << 20) | (10u << 15) | (10u << 7) | 0x13u;
      __atomic_store_n(&code[0], insn, __ATOMIC_SEQ_CST);
      code[1] = 0x00008067u;
    } else {
      write_fn(code, imm);
    }
    if (mode == 0) __builtin___clear_cache((char *)code, (char *)(code + 2));
    if (mode == 1) __asm__ volatile("fence.i" ::: "memory");
    printf("round %d (%s): sum %ld\n", round, how[mode], run_hot(f));
  }
  caller_t g = (caller_t)(uintptr_t)(code + 64);
  for (int round = 0; round < 4; round++) {
    write_caller(code + 64, 11 + round);
    if (round % 2 == 0) __asm__ volatile("fence.i" ::: "memory");
    long sum = 0;
    for (long i = 0; i < calls; i++) sum += g(i, triple);
    printf("return site round %d: sum %ld\n", round, sum);
  }
  int pipefd[2];
  if (pipe(pipefd) != 0) return 1;
  fn_t r = (fn_t)(uintptr_t)(code + 128);
  for (int round = 0; round < 2; round++) {
    uint32_t fresh[2];
    write_fn(fresh, 100 + round);
    if (write(pipefd[1], fresh, sizeof fresh) != sizeof fresh) return 1;
    if (read(pipefd[0], code + 128, sizeof fresh) != sizeof fresh) return 1;
    __asm__ volatile("fence.i" ::: "memory");
    printf("read round %d: sum %ld\n", round, run_hot(r));
  }
  /* long s(long x, uint32_t insn): sw a1, 8(t0) with t0 = the sw's address, rewriting the
     addi two after it, which then runs: x + 1 + the new immediate. */
  typedef long (*store_t)(long, uint32_t);
  uint32_t *st = code + 192;
  st[0] = 0x00000297u; /* auipc t0, 0 */
  st[1] = 0x00b2a623u; /* sw a1, 12(t0): st[3] */
  st[2] = 0x00150513u; /* addi a0, a0, 1 */
  st[3] = 0x00050513u; /* addi a0, a0, 0: rewritten */
  st[4] = 0x00008067u; /* ret */
  __builtin___clear_cache((char *)st, (char *)(st + 5));
  store_t s = (store_t)(uintptr_t)st;
  /* QEMU sees the first rewrites late, before it protects the page: not counted. */
  for (int i = 0; i < 10; i++) s(0, ((uint32_t)(i % 5) << 20) | (10u << 15) | (10u << 7) | 0x13u);
  long ssum = 0; /* a fixed count: each call rewrites code, which a translation leaves for */
  for (long i = 0; i < 1000; i++) {
    int imm = (int)(i % 5);
    ssum += s(0, ((uint32_t)imm << 20) | (10u << 15) | (10u << 7) | 0x13u);
  }
  printf("rewritten two ahead: sum %ld\n", ssum);
  return 0;
}
