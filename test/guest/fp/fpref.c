// Reference oracle for the softfloat tests: runs real RISC-V F/D instructions (under qemu-riscv64).
// Input lines:  <op> <rm> <hex a> <hex b> <hex c>   (unused operands may be given as 0)
// Output lines: <hex result> <hex fflags>
// Float results are raw bits (binary32 results in the low 32 bits); integer results are the full
// 64-bit destination register. The op name is the instruction mnemonic, e.g. fadd.s, fcvt.wu.d.
// Build: riscv64-linux-gnu-gcc -O2 -static -march=rv64gc -mabi=lp64d -o fpref fpref.c
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t (*opfn)(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl);

#define CLOB "ft0", "ft1", "ft2", "ft3"

// float x float -> float
#define F2(fn, insn, mv, xm)                                                                      \
  static uint64_t fn(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl) {                          \
    uint64_t r, f;                                                                                \
    (void)c;                                                                                      \
    __asm__ volatile(mv " ft0, %[a]\n\t" mv " ft1, %[b]\n\t"                                      \
                     "fsflags x0\n\t" insn "\n\t"                                                 \
                     "frflags %[f]\n\t" xm " %[r], ft3\n\t"                                       \
                     : [r] "=&r"(r), [f] "=&r"(f)                                                 \
                     : [a] "r"(a), [b] "r"(b)                                                     \
                     : CLOB);                                                                     \
    *fl = f;                                                                                      \
    return r;                                                                                     \
  }
// float x float x float -> float
#define F3(fn, insn, mv, xm)                                                                      \
  static uint64_t fn(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl) {                          \
    uint64_t r, f;                                                                                \
    __asm__ volatile(mv " ft0, %[a]\n\t" mv " ft1, %[b]\n\t" mv " ft2, %[c]\n\t"                  \
                     "fsflags x0\n\t" insn "\n\t"                                                 \
                     "frflags %[f]\n\t" xm " %[r], ft3\n\t"                                       \
                     : [r] "=&r"(r), [f] "=&r"(f)                                                 \
                     : [a] "r"(a), [b] "r"(b), [c] "r"(c)                                         \
                     : CLOB);                                                                     \
    *fl = f;                                                                                      \
    return r;                                                                                     \
  }
// float [x float] -> integer register (insn writes %[r] from ft0/ft1)
#define I2(fn, insn, mv)                                                                          \
  static uint64_t fn(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl) {                          \
    uint64_t r, f;                                                                                \
    (void)c;                                                                                      \
    __asm__ volatile(mv " ft0, %[a]\n\t" mv " ft1, %[b]\n\t"                                      \
                     "fsflags x0\n\t" insn "\n\t"                                                 \
                     "frflags %[f]\n\t"                                                           \
                     : [r] "=&r"(r), [f] "=&r"(f)                                                 \
                     : [a] "r"(a), [b] "r"(b)                                                     \
                     : CLOB);                                                                     \
    *fl = f;                                                                                      \
    return r;                                                                                     \
  }
// integer register -> float (insn reads %[a], writes ft3)
#define FI(fn, insn, xm)                                                                          \
  static uint64_t fn(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl) {                          \
    uint64_t r, f;                                                                                \
    (void)b;                                                                                      \
    (void)c;                                                                                      \
    __asm__ volatile("fsflags x0\n\t" insn "\n\t"                                                 \
                     "frflags %[f]\n\t" xm " %[r], ft3\n\t"                                       \
                     : [r] "=&r"(r), [f] "=&r"(f)                                                 \
                     : [a] "r"(a)                                                                 \
                     : CLOB);                                                                     \
    *fl = f;                                                                                      \
    return r;                                                                                     \
  }

#define FMT_OPS(S, MV, XM, WRM)                                                                      \
  F2(fadd_##S, "fadd." #S " ft3, ft0, ft1, dyn", MV, XM)                                         \
  F2(fsub_##S, "fsub." #S " ft3, ft0, ft1, dyn", MV, XM)                                         \
  F2(fmul_##S, "fmul." #S " ft3, ft0, ft1, dyn", MV, XM)                                         \
  F2(fdiv_##S, "fdiv." #S " ft3, ft0, ft1, dyn", MV, XM)                                         \
  F2(fsqrt_##S, "fsqrt." #S " ft3, ft0, dyn", MV, XM)                                            \
  F2(fmin_##S, "fmin." #S " ft3, ft0, ft1", MV, XM)                                              \
  F2(fmax_##S, "fmax." #S " ft3, ft0, ft1", MV, XM)                                              \
  F3(fmadd_##S, "fmadd." #S " ft3, ft0, ft1, ft2, dyn", MV, XM)                                  \
  F3(fmsub_##S, "fmsub." #S " ft3, ft0, ft1, ft2, dyn", MV, XM)                                  \
  F3(fnmsub_##S, "fnmsub." #S " ft3, ft0, ft1, ft2, dyn", MV, XM)                                \
  F3(fnmadd_##S, "fnmadd." #S " ft3, ft0, ft1, ft2, dyn", MV, XM)                                \
  I2(feq_##S, "feq." #S " %[r], ft0, ft1", MV)                                                   \
  I2(flt_##S, "flt." #S " %[r], ft0, ft1", MV)                                                   \
  I2(fle_##S, "fle." #S " %[r], ft0, ft1", MV)                                                   \
  I2(fclass_##S, "fclass." #S " %[r], ft0", MV)                                                  \
  I2(fcvt_w_##S, "fcvt.w." #S " %[r], ft0, dyn", MV)                                             \
  I2(fcvt_wu_##S, "fcvt.wu." #S " %[r], ft0, dyn", MV)                                           \
  I2(fcvt_l_##S, "fcvt.l." #S " %[r], ft0, dyn", MV)                                             \
  I2(fcvt_lu_##S, "fcvt.lu." #S " %[r], ft0, dyn", MV)                                           \
  FI(fcvt_##S##_w, "fcvt." #S ".w ft3, %[a]" WRM, XM)                                            \
  FI(fcvt_##S##_wu, "fcvt." #S ".wu ft3, %[a]" WRM, XM)                                          \
  FI(fcvt_##S##_l, "fcvt." #S ".l ft3, %[a], dyn", XM)                                           \
  FI(fcvt_##S##_lu, "fcvt." #S ".lu ft3, %[a], dyn", XM)

// fcvt.d.w[u] and fcvt.d.s are exact; the assembler takes no rounding mode for them.
FMT_OPS(s, "fmv.w.x", "fmv.x.w", ", dyn")
FMT_OPS(d, "fmv.d.x", "fmv.x.d", "")
F2(fcvt_s_d, "fcvt.s.d ft3, ft0, dyn", "fmv.d.x", "fmv.x.w")
F2(fcvt_d_s, "fcvt.d.s ft3, ft0", "fmv.w.x", "fmv.x.d")

struct op {
  const char *name;
  opfn fn;
  int f32; // result is binary32 bits (mask off the sign-extension done by fmv.x.w)
};

#define FMT_TABLE(S, F32)                                                                         \
  {"fadd." #S, fadd_##S, F32}, {"fsub." #S, fsub_##S, F32}, {"fmul." #S, fmul_##S, F32},          \
      {"fdiv." #S, fdiv_##S, F32}, {"fsqrt." #S, fsqrt_##S, F32}, {"fmin." #S, fmin_##S, F32},    \
      {"fmax." #S, fmax_##S, F32}, {"fmadd." #S, fmadd_##S, F32}, {"fmsub." #S, fmsub_##S, F32},  \
      {"fnmsub." #S, fnmsub_##S, F32}, {"fnmadd." #S, fnmadd_##S, F32}, {"feq." #S, feq_##S, 0},  \
      {"flt." #S, flt_##S, 0}, {"fle." #S, fle_##S, 0}, {"fclass." #S, fclass_##S, 0},            \
      {"fcvt.w." #S, fcvt_w_##S, 0}, {"fcvt.wu." #S, fcvt_wu_##S, 0},                             \
      {"fcvt.l." #S, fcvt_l_##S, 0}, {"fcvt.lu." #S, fcvt_lu_##S, 0},                             \
      {"fcvt." #S ".w", fcvt_##S##_w, F32}, {"fcvt." #S ".wu", fcvt_##S##_wu, F32},               \
      {"fcvt." #S ".l", fcvt_##S##_l, F32}, {"fcvt." #S ".lu", fcvt_##S##_lu, F32},

static const struct op ops[] = {
    FMT_TABLE(s, 1) FMT_TABLE(d, 0){"fcvt.s.d", fcvt_s_d, 1},
    {"fcvt.d.s", fcvt_d_s, 0},
};
#define NOPS (sizeof ops / sizeof ops[0])

static const char *skip(const char *p) {
  while (*p == ' ' || *p == '\t') p++;
  return p;
}
static uint64_t hex(const char **pp) {
  const char *p = skip(*pp);
  uint64_t v = 0;
  for (;;) {
    char ch = *p;
    int d;
    if (ch >= '0' && ch <= '9') d = ch - '0';
    else if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
    else if (ch >= 'A' && ch <= 'F') d = ch - 'A' + 10;
    else break;
    v = v << 4 | (uint64_t)d;
    p++;
  }
  *pp = p;
  return v;
}

int main(void) {
  static char line[512];
  static char outbuf[1 << 16];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  const struct op *last = &ops[0];
  while (fgets(line, sizeof line, stdin)) {
    const char *p = skip(line);
    if (*p == '\n' || *p == 0) continue;
    size_t n = strcspn(p, " \t\n");
    if (!(strlen(last->name) == n && memcmp(last->name, p, n) == 0)) {
      last = 0;
      for (size_t i = 0; i < NOPS; i++)
        if (strlen(ops[i].name) == n && memcmp(ops[i].name, p, n) == 0) last = &ops[i];
      if (!last) {
        printf("error unknown-op\n");
        last = &ops[0];
        continue;
      }
    }
    p += n;
    uint64_t rm = hex(&p), a = hex(&p), b = hex(&p), c = hex(&p);
    uint64_t fl;
    __asm__ volatile("fsrm %0" : : "r"(rm));
    uint64_t r = last->fn(a, b, c, &fl);
    if (last->f32) r &= 0xffffffffu;
    printf("%lx %lx\n", (unsigned long)r, (unsigned long)fl);
  }
  fflush(stdout);
  return 0;
}
