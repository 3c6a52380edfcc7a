/* Sv39 for the S-mode programs that run with address translation on (smc.c, asid.c): page
 * tables they build themselves (Priv spec §4.4), an identity map of the MMIO gigabyte and of
 * RAM so that the program goes on running where it was loaded, a window of 4 KiB pages at
 * WINDOW_VA for the code they rewrite or remap, and that code: a counting loop whose step is
 * an immediate the programs patch. */
#ifndef PAGING_H
#define PAGING_H
#include "virt.h"

#define PTE_V 0x01UL
#define PTE_R 0x02UL
#define PTE_W 0x04UL
#define PTE_X 0x08UL
#define PTE_U 0x10UL
#define PTE_A 0x40UL
#define PTE_D 0x80UL
#define SATP_SV39 (8UL << 60)
#define PAGE 4096UL
#define RAM_BASE 0x80000000UL
/* The first 2 MiB of the second gigabyte: mapped page by page through the window tables. */
#define WINDOW_VA 0x40000000UL

#define fence_i() __asm__ volatile("fence.i" ::: "memory")
#define sfence_vma() __asm__ volatile("sfence.vma" ::: "memory")
#define sfence_vma_va(va) __asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory")
#define sfence_vma_asid(asid) __asm__ volatile("sfence.vma zero, %0" ::"r"(asid) : "memory")
#define sfence_vma_va_asid(va, asid) __asm__ volatile("sfence.vma %0, %1" ::"r"(va), "r"(asid) : "memory")

typedef struct {
  u64 pte[512];
} __attribute__((aligned(4096))) table_t;

typedef struct {
  u8 b[PAGE];
} __attribute__((aligned(4096))) page_t;

/* A leaf with A (and D when writable) already set: hardware A/D updating is optional. */
static inline u64 leaf(u64 pa, u64 perm) {
  return (pa >> 12) << 10 | perm | PTE_V | PTE_A | (perm & PTE_W ? PTE_D : 0);
}
static inline u64 branch(const table_t *t) { return ((u64)t >> 12) << 10 | PTE_V; }
static inline u64 satp_of(const table_t *root, u64 asid) { return SATP_SV39 | asid << 44 | (u64)root >> 12; }

/* An address space: the identity gigapages (MMIO read/write, RAM RWX for S-mode) and the window. */
typedef struct {
  table_t root, window1, window0;
} space_t;

static void space_init(space_t *s) {
  s->root.pte[0] = leaf(0, PTE_R | PTE_W);
  s->root.pte[RAM_BASE >> 30] = leaf(RAM_BASE, PTE_R | PTE_W | PTE_X);
  s->root.pte[WINDOW_VA >> 30] = branch(&s->window1);
  s->window1.pte[(WINDOW_VA >> 21) & 511] = branch(&s->window0);
}

/* Maps window page va to the physical page pa (its old translation needs an sfence.vma). */
static void map_window(space_t *s, u64 va, const void *pa, u64 perm) {
  s->window0.pte[(va - WINDOW_VA) / PAGE] = leaf((u64)pa, perm);
  fence();
}

/* The counting loop: counter(n) = n * step for n >= 1, the step the addi at COUNTER_STEP holds.
 *   addi a1, a0, 0; addi a0, zero, 0; 1: addi a0, a0, step; addi a1, a1, -1; bnez a1, 1b; ret */
#define COUNTER_STEP 2 /* the word holding the step */
static inline u32 addi(u32 rd, u32 rs1, i64 imm) { return (u32)imm << 20 | rs1 << 15 | rd << 7 | 0x13; }
static inline u32 bnez_back8(u32 rs1) { return 0xfe001ce3u | rs1 << 15; }
static inline u32 step_insn(i64 step) { return addi(10, 10, step); }

static void write_counter(volatile u32 *code, i64 step) {
  code[0] = addi(11, 10, 0);
  code[1] = addi(10, 0, 0);
  code[COUNTER_STEP] = step_insn(step);
  code[3] = addi(11, 11, -1);
  code[4] = bnez_back8(11);
  code[5] = 0x00008067; /* ret */
}

/* Calls the code at va calls times with argument n and sums the results. */
static u64 run_counter(u64 va, u64 n, int calls) {
  u64 (*f)(u64) = (u64(*)(u64))va;
  u64 sum = 0;
  for (int i = 0; i < calls; i++) sum += f(n);
  return sum;
}

#endif
