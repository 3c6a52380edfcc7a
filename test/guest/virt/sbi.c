/* The SBI as an S-mode kernel sees it (RISC-V SBI specification v2.0), run under OpenSBI
 * 1.1 on QEMU (the reference) and under Hartwood's built-in SBI. Every call prints its
 * error code and only the values both must agree on; `[dbcn]` lines come from the debug
 * console extension, which OpenSBI 1.1 does not have (SBI 2.0), so they are compared apart.
 * Harts: the boot hart (whichever the firmware picked) and "the other hart", which HSM
 * starts twice; it prints while the boot hart waits, so the output order is fixed. */
#include "virt.h"

/* How long a wait for the other hart or an interrupt may take: generous, as a loaded host
 * may not run QEMU's second vCPU thread for a while (the waits end as soon as it happens). */
#define WAIT_TICKS (10 * TIMEBASE_HZ)
#define EXT_BASE 0x10
#define EXT_TIME 0x54494D45
#define EXT_IPI 0x735049
#define EXT_RFENCE 0x52464E43
#define EXT_HSM 0x48534D
#define EXT_SRST 0x53525354
#define EXT_DBCN 0x4442434E
#define EXT_UNKNOWN 0x5A5A5A5A

struct sbiret {
  i64 error;
  i64 value;
};

static struct sbiret sbi_call(u64 ext, u64 fid, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4) {
  register u64 r0 __asm__("a0") = a0;
  register u64 r1 __asm__("a1") = a1;
  register u64 r2 __asm__("a2") = a2;
  register u64 r3 __asm__("a3") = a3;
  register u64 r4 __asm__("a4") = a4;
  register u64 r6 __asm__("a6") = fid;
  register u64 r7 __asm__("a7") = ext;
  __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r4), "r"(r6), "r"(r7) : "memory");
  return (struct sbiret){(i64)r0, (i64)r1};
}
#define SBI0(e, f) sbi_call(e, f, 0, 0, 0, 0, 0)
#define SBI1(e, f, a) sbi_call(e, f, a, 0, 0, 0, 0)
#define SBI2(e, f, a, b) sbi_call(e, f, a, b, 0, 0, 0)
#define SBI3(e, f, a, b, c) sbi_call(e, f, a, b, c, 0, 0)

/* Legacy extensions (SBI v0.1): a7 = extension, result in a0 only. */
static i64 sbi_legacy(u64 ext, u64 a0) {
  register u64 r0 __asm__("a0") = a0;
  register u64 r7 __asm__("a7") = ext;
  __asm__ volatile("ecall" : "+r"(r0) : "r"(r7) : "a1", "memory");
  return (i64)r0;
}

static volatile int strap_count;
static volatile u64 strap_cause, strap_time;

S_HANDLER void sbi_strap(void) {
  u64 cause = csr_read(scause);
  strap_time = rdtime();
  strap_cause = cause;
  if (cause == (CAUSE_INTR | 5)) {
    SBI1(EXT_TIME, 0, TIME_NEVER);
    csr_clear(sie, MIP_STIP);
  } else if (cause == (CAUSE_INTR | 1)) {
    csr_clear(sip, MIP_SSIP);
  } else {
    kprintf("unexpected trap: scause 0x%lx sepc 0x%lx stval 0x%lx\n", cause, csr_read(sepc), csr_read(stval));
    test_exit(99);
  }
  strap_count++;
}

/* Enables `bit` in sie and sstatus.SIE until an interrupt is taken or 1 s passes. */
static int take_interrupt(u64 bit) {
  int before = strap_count;
  csr_set(sie, bit);
  csr_set(sstatus, MSTATUS_SIE);
  for (u64 start = rdtime(); strap_count == before && rdtime() - start < WAIT_TICKS;) wfi();
  csr_clear(sstatus, MSTATUS_SIE);
  csr_clear(sie, bit);
  return strap_count - before;
}

static void print_ret(const char *what, struct sbiret r) { kprintf("%s: error %ld\n", what, r.error); }

static void probe(const char *name, u64 ext) {
  struct sbiret r = SBI1(EXT_BASE, 3, ext);
  kprintf("%sbase: probe_extension(%s): error %ld, %s\n", ext == EXT_DBCN ? "[dbcn] " : "", name, r.error,
          r.value ? "available" : "absent");
}

/* ---- the other hart, started by HSM hart_start */
static volatile u64 other_runs, other_a0, other_a1, other_satp, other_sie;

void hart_main(u64 hartid, u64 opaque) {
  other_a0 = hartid;
  other_a1 = opaque;
  other_satp = csr_read(satp);
  other_sie = csr_read(sstatus) & MSTATUS_SIE;
  kprintf("other hart: running, a1 = 0x%lx, satp %lu, sstatus.SIE %lu\n", opaque, other_satp, other_sie);
  fence();
  other_runs++;
  struct sbiret r = SBI0(EXT_HSM, 1); /* hart_stop: no return */
  kprintf("other hart: hart_stop returned error %ld\n", r.error);
}

extern char hart_entry[];

static void start_other(u64 other, u64 opaque) {
  u64 runs = other_runs;
  struct sbiret r = SBI3(EXT_HSM, 0, other, (u64)hart_entry, opaque);
  for (u64 t = rdtime(); other_runs == runs && rdtime() - t < WAIT_TICKS;) {
  }
  fence();
  print_ret("hsm: hart_start(other hart)", r); /* after the other hart's line */
  kprintf("hsm: other hart ran: %s, its a0 was its hart id: %s\n", yesno(other_runs != runs),
          yesno(other_a0 == other));
  r.value = -1;
  for (u64 t = rdtime(); rdtime() - t < WAIT_TICKS;) {
    r = SBI1(EXT_HSM, 2, other);
    if (r.value == 1) break; /* STOPPED */
  }
  kprintf("hsm: hart_get_status(other hart) after its hart_stop: error %ld, state %ld\n", r.error, r.value);
}

static const char dbcn_text[] = "[dbcn] console_write: text from physical memory\n";

static void dbcn(void) {
  struct sbiret r = SBI3(EXT_DBCN, 0, sizeof dbcn_text - 1, (u64)dbcn_text, 0);
  kprintf("[dbcn] console_write: error %ld, wrote %ld of %lu bytes\n", r.error, r.value, sizeof dbcn_text - 1);
  static const char byte_text[] = "[dbcn] console_write_byte\n";
  i64 err = 0;
  for (const char *p = byte_text; *p; p++) err |= SBI1(EXT_DBCN, 2, (u8)*p).error;
  kprintf("[dbcn] console_write_byte: errors %ld\n", err);
  static char in[16];
  r = SBI3(EXT_DBCN, 1, sizeof in, (u64)in, 0);
  kprintf("[dbcn] console_read with no input: error %ld, read %ld\n", r.error, r.value);
  /* SBI 2.0 §12.1: memory that does not satisfy the requirements is SBI_ERR_INVALID_PARAM. */
  r = SBI3(EXT_DBCN, 0, 8, 0, 0x10000);
  kprintf("[dbcn] console_write from beyond RAM: error %ld\n", r.error);
}

int main(u64 hartid) {
  u64 other = hartid ^ 1;
  csr_write(stvec, (u64)sbi_strap);
  csr_write(sie, 0);
  kputs("sbi: start\n");

  struct sbiret r = SBI0(EXT_BASE, 0);
  kprintf("base: get_spec_version: error %ld, %ld.%ld, at least 0.2: %s\n", r.error, (r.value >> 24) & 0x7f,
          r.value & 0xffffff, yesno(r.value >= 2));
  r = SBI0(EXT_BASE, 1);
  kprintf("base: get_impl_id: error %ld, %s\n", r.error, r.value ? "nonzero" : "zero");
  print_ret("base: get_impl_version", SBI0(EXT_BASE, 2));
  static const char *const ids[] = {"mvendorid", "marchid", "mimpid"};
  for (int i = 0; i < 3; i++) {
    r = SBI0(EXT_BASE, 4 + i);
    kprintf("base: get_%s: error %ld, 0x%lx\n", ids[i], r.error, r.value);
  }
  probe("BASE", EXT_BASE);
  probe("TIME", EXT_TIME);
  probe("IPI", EXT_IPI);
  probe("RFENCE", EXT_RFENCE);
  probe("HSM", EXT_HSM);
  probe("SRST", EXT_SRST);
  probe("DBCN", EXT_DBCN);
  probe("unknown 0x5A5A5A5A", EXT_UNKNOWN);
  kputs("base: probe_extension(legacy 0x00..0x08):");
  for (u64 e = 0; e <= 8; e++) kprintf(" %ld", SBI1(EXT_BASE, 3, e).value);
  kputs("\n");
  print_ret("base: function 7 (none)", SBI0(EXT_BASE, 7));
  print_ret("unknown extension 0x5A5A5A5A", SBI0(EXT_UNKNOWN, 0));

  /* TIME */
  u64 deadline = rdtime() + TIMEBASE_HZ / 1000;
  r = SBI1(EXT_TIME, 0, deadline);
  int n = take_interrupt(MIP_STIP);
  kprintf("time: set_timer: error %ld; interrupt taken %d time(s), scause 0x%lx, not before the deadline: %s\n",
          r.error, n, strap_cause, yesno(strap_time >= deadline));

  /* IPI */
  r = SBI2(EXT_IPI, 0, 1UL << hartid, 0);
  n = take_interrupt(MIP_SSIP);
  kprintf("ipi: send_ipi(self): error %ld; interrupt taken %d time(s), scause 0x%lx\n", r.error, n, strap_cause);
  /* hart_mask_base -1: every hart (the mask is ignored); only the SSIP it leaves here is seen. */
  print_ret("ipi: send_ipi(all harts: base -1)", SBI2(EXT_IPI, 0, 0, -1UL));
  for (u64 t = rdtime(); !(csr_read(sip) & MIP_SSIP) && rdtime() - t < WAIT_TICKS;) {
  }
  kprintf("ipi: SSIP pending after send_ipi(all harts): %s\n", yesno(csr_read(sip) & MIP_SSIP));
  csr_clear(sip, MIP_SSIP);

  /* RFENCE */
  print_ret("rfence: remote_fence_i(self)", SBI2(EXT_RFENCE, 0, 1UL << hartid, 0));
  print_ret("rfence: remote_sfence_vma(self, all)", sbi_call(EXT_RFENCE, 1, 1UL << hartid, 0, 0, 0, 0));
  print_ret("rfence: remote_sfence_vma(self, one page)",
            sbi_call(EXT_RFENCE, 1, 1UL << hartid, 0, 0x80200000, 4096, 0));
  print_ret("rfence: remote_sfence_vma_asid(self, all, asid 0)",
            sbi_call(EXT_RFENCE, 2, 1UL << hartid, 0, 0, 0, 0));
  print_ret("rfence: remote_fence_i(all harts)", SBI2(EXT_RFENCE, 0, 0, -1UL));

  /* HSM */
  r = SBI1(EXT_HSM, 2, hartid);
  kprintf("hsm: hart_get_status(boot hart): error %ld, state %ld\n", r.error, r.value);
  r = SBI1(EXT_HSM, 2, other);
  kprintf("hsm: hart_get_status(other hart): error %ld, state %ld\n", r.error, r.value);
  r = SBI1(EXT_HSM, 2, 8);
  kprintf("hsm: hart_get_status(hart 8, absent): error %ld\n", r.error);
  print_ret("hsm: hart_start(boot hart, already started)", SBI3(EXT_HSM, 0, hartid, (u64)hart_entry, 0));
  print_ret("hsm: hart_start(hart 8, absent)", SBI3(EXT_HSM, 0, 8, (u64)hart_entry, 0));
  start_other(other, 0x1234);
  start_other(other, 0x5678);
  deadline = rdtime() + TIMEBASE_HZ / 1000;
  SBI1(EXT_TIME, 0, deadline);
  csr_set(sie, MIP_STIP); /* a wake-up source; sstatus.SIE stays 0, so nothing is taken */
  r = SBI3(EXT_HSM, 3, 0, 0, 0); /* hart_suspend: default retentive */
  u64 woke = rdtime();
  int stip = (csr_read(sip) & MIP_STIP) != 0;
  csr_clear(sie, MIP_STIP);
  SBI1(EXT_TIME, 0, TIME_NEVER);
  kprintf("hsm: hart_suspend(default retentive): error %ld, resumed with STIP pending: %s, not before the "
          "timer: %s\n",
          r.error, yesno(stip), yesno(woke >= deadline));
  print_ret("hsm: hart_suspend(reserved type 1)", SBI3(EXT_HSM, 3, 1, 0, 0));

  /* DBCN, where the firmware has it */
  if (SBI1(EXT_BASE, 3, EXT_DBCN).value) dbcn();

  /* Legacy console */
  static const char legacy_text[] = "legacy: console_putchar\n";
  i64 err = 0;
  for (const char *p = legacy_text; *p; p++) err |= sbi_legacy(0x01, (u8)*p);
  kprintf("legacy: console_putchar returned %ld\n", err);
  kprintf("legacy: console_getchar with no input: %ld\n", sbi_legacy(0x02, 0));

  /* SRST */
  print_ret("srst: system_reset(reserved type 0x1000)", SBI2(EXT_SRST, 0, 0x1000, 0));
  kputs("srst: system_reset(shutdown)\n");
  r = SBI2(EXT_SRST, 0, 0, 0);
  kprintf("srst: system_reset(shutdown) returned: error %ld\n", r.error);
  return 3;
}
