/* Timer interrupts on time. An S-mode program arms the supervisor timer 2 ms ahead, through
 * the SBI's set_timer and, where the firmware enables Sstc, through stimecmp, then spins in
 * a loop that reads neither the time nor any CSR, so nothing but the timer itself can end
 * the wait. The handler reads the time CSR on entry: no interrupt may come before its
 * deadline, and the median over the trials (which absorbs the host descheduling the
 * emulator now and then) must come within 25 ms after it. That is tens of microseconds on
 * an idle host; the margin is for a host loaded with other tests, where a few milliseconds
 * were seen. An emulator that looks at its timers only between run slices is late by up
 * to a slice: seconds with the test's long slices.
 * `[lateness]` lines give the figures and differ from run to run. */
#include "virt.h"

#define EXT_TIME 0x54494D45
#define CSR_STIMECMP 0x14d
#define TRIALS 15
#define DELAY (TIMEBASE_HZ / 500)    /* 2 ms */
#define LATE_OK (TIMEBASE_HZ / 40) /* 25 ms */
#define GIVE_UP (TIMEBASE_HZ)        /* a trial whose interrupt never comes ends after 1 s */

/* On a page of their own: a store to a page that holds code costs an emulator that
 * translates code its translations of that page, which a kernel's data does not. */
static struct {
  volatile int fired, probing, probe_trapped, use_stimecmp;
  volatile u64 fired_at, fired_cause, sink;
} st __attribute__((aligned(4096)));
#define fired st.fired
#define probing st.probing
#define probe_trapped st.probe_trapped
#define use_stimecmp st.use_stimecmp
#define fired_at st.fired_at
#define fired_cause st.fired_cause
#define sink st.sink

static void sbi_set_timer(u64 when) {
  register u64 a0 __asm__("a0") = when;
  register u64 a6 __asm__("a6") = 0;
  register u64 a7 __asm__("a7") = EXT_TIME;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a6), "r"(a7) : "a1", "memory");
}

static void arm(u64 when) {
  if (use_stimecmp)
    csr_write(CSR_STIMECMP, when);
  else
    sbi_set_timer(when);
}

S_HANDLER void timely_strap(void) {
  u64 cause = csr_read(scause);
  if (probing && cause == 2) { /* the stimecmp probe: illegal without Sstc enabled */
    probe_trapped = 1;
    csr_write(sepc, csr_read(sepc) + 4);
    return;
  }
  if (cause == (CAUSE_INTR | 5)) {
    fired_at = rdtime();
    fired_cause = cause;
    arm(TIME_NEVER);
    fired = 1;
    return;
  }
  kprintf("unexpected trap: scause 0x%lx sepc 0x%lx stval 0x%lx\n", cause, csr_read(sepc), csr_read(stval));
  test_exit(99);
}

/* Spins until the handler runs. It reads the time only every 2^26 rounds (a second or so), to
 * give up: an emulator may well look at its timers when the time CSR is read. */
static void spin(u64 deadline) {
  u64 x = deadline;
  for (u64 n = 1; !fired; n++) {
    x = x * 6364136223846793005UL + 1442695040888963407UL;
    if (!(n & ((1UL << 26) - 1)) && rdtime() - deadline > GIVE_UP) break;
  }
  sink = x;
}

static void trials(const char *how) {
  u64 late[TRIALS];
  int taken = 0, early = 0;
  csr_set(sie, MIP_STIP);
  csr_set(sstatus, MSTATUS_SIE);
  for (int i = 0; i < TRIALS; i++) {
    fired = 0;
    u64 deadline = rdtime() + DELAY;
    arm(deadline);
    spin(deadline);
    if (!fired) {
      late[i] = GIVE_UP;
      continue;
    }
    taken++;
    if (fired_at < deadline) early++;
    late[i] = fired_at < deadline ? 0 : fired_at - deadline;
  }
  csr_clear(sstatus, MSTATUS_SIE);
  csr_clear(sie, MIP_STIP);
  for (int i = 1; i < TRIALS; i++) /* insertion sort */
    for (int j = i; j > 0 && late[j - 1] > late[j]; j--) {
      u64 t = late[j];
      late[j] = late[j - 1];
      late[j - 1] = t;
    }
  u64 median = late[TRIALS / 2];
  kprintf("%s: %d of %d interrupts taken, scause 0x%lx, none before its deadline: %s, median lateness "
          "under 25 ms: %s\n",
          how, taken, TRIALS, fired_cause, yesno(early == 0), yesno(median < LATE_OK));
  kprintf("[lateness] %s: median %lu us, max %lu us\n", how, median * 1000000 / TIMEBASE_HZ,
          late[TRIALS - 1] * 1000000 / TIMEBASE_HZ);
}

void hart_main(void) {}

int main(void) {
  kputs("timely: start\n");
  csr_write(stvec, (u64)timely_strap);
  use_stimecmp = 0;
  trials("sbi set_timer");
  probing = 1;
  (void)csr_read(CSR_STIMECMP);
  probing = 0;
  int sstc = !probe_trapped;
  kprintf("[sstc] stimecmp usable: %s\n", yesno(sstc));
  if (sstc) {
    use_stimecmp = 1;
    trials("stimecmp");
  }
  kputs("timely: done\n");
  return 0;
}
