/* Zifencei: after a store over an instruction, fence.i makes the new
 * instruction visible to fetch on this hart. The patched code is executed once
 * before patching, so a stale decoded/translated copy would be caught. */
#include "unpriv.h"

/* Encodings written by hand from the base formats:
 * I-type: imm[11:0] rs1 funct3 rd opcode(0x13 for OP-IMM) */
#define ADDI_A0_A0(imm) ((((imm) & 0xfff) << 20) | (10 << 15) | (0 << 12) | (10 << 7) | 0x13)
#define SLLI_A0_A0(sh)  (((sh) << 20) | (10 << 15) | (1 << 12) | (10 << 7) | 0x13)
#define ADDI_A1_X0(imm) ((((imm) & 0xfff) << 20) | (0 << 15) | (0 << 12) | (11 << 7) | 0x13)
/* CI-type c.li: 010 imm[5] rd imm[4:0] 01 */
#define C_LI_A0(imm)    ((2 << 13) | ((((imm) >> 5) & 1) << 12) | (10 << 7) | (((imm) & 0x1f) << 2) | 1)

#define PATCH_W(site, insn) la a1, site; li a2, insn; sw a2, 0(a1); fence.i
#define PATCH_H(site, insn) la a1, site; li a2, insn; sh a2, 0(a1); fence.i

  .option norvc
TEST_BEGIN
  TRAP_FAILS

  TEST_CASE(1)                  /* original code */
  li a0, 0
  call patch_fn
  CHECK(a0, 1)
  TEST_CASE(2)
  PATCH_W(patch_fn, ADDI_A0_A0(7))
  li a0, 0
  call patch_fn
  CHECK(a0, 7)
  TEST_CASE(3)
  PATCH_W(patch_fn, ADDI_A0_A0(-1))
  li a0, 0
  call patch_fn
  CHECK(a0, -1)
  TEST_CASE(4)                  /* a different instruction at the same place */
  PATCH_W(patch_fn, SLLI_A0_A0(4))
  li a0, 3
  call patch_fn
  CHECK(a0, 48)
  TEST_CASE(5)                  /* and back */
  PATCH_W(patch_fn, ADDI_A0_A0(1))
  li a0, 41
  call patch_fn
  CHECK(a0, 42)

  TEST_CASE(6)                  /* the patched instruction directly follows fence.i */
  PATCH_W(inline_site, ADDI_A1_X0(42))
inline_site:
  addi a1, x0, 1
  CHECK(a1, 42)

  TEST_CASE(7)                  /* patching in a loop: each pass runs the new code */
  li s0, 0                      /* pass */
  li s1, 0                      /* sum */
1:
  addi a3, s0, 10
  li a2, ADDI_A0_A0(0)
  slli a3, a3, 20
  or a2, a2, a3                 /* addi a0, a0, 10 + pass */
  la a1, patch_fn
  sw a2, 0(a1)
  fence.i
  li a0, 0
  call patch_fn
  add s1, s1, a0
  addi s0, s0, 1
  li a4, 5
  bltu s0, a4, 1b
  CHECK(s1, 60)                 /* 10+11+12+13+14 */

  TEST_CASE(8)                  /* a 16-bit instruction */
  li a0, 0
  call patch_c_fn
  CHECK(a0, 5)
  PATCH_H(patch_c_site, C_LI_A0(9))
  li a0, 0
  call patch_c_fn
  CHECK(a0, 9)
  PATCH_H(patch_c_site, C_LI_A0(-3))
  call patch_c_fn
  CHECK(a0, -3)

  PASS

  .balign 4
patch_fn:
  addi a0, a0, 1
  ret

  .balign 4
patch_c_fn:
  .option push
  .option rvc
patch_c_site:
  c.li a0, 5
  .option pop
  ret
TEST_END
