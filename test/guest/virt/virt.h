/* Shared helpers of the virt-board test programs: the board's addresses (QEMU `virt`, see
 * REFERENCES.md), MMIO accessors, CSR access, a polling 16550 console with a tiny printf,
 * and the sifive test device (power off / fail). Header-only: each program is one C file
 * plus start-m.S (M-mode, --bios none) or start-s.S (S-mode, under an SBI). */
#ifndef VIRT_H
#define VIRT_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef long i64;
typedef __builtin_va_list va_list;
#define va_start __builtin_va_start
#define va_arg __builtin_va_arg
#define va_end __builtin_va_end

#define TEST_DEV 0x100000UL
#define RTC_BASE 0x101000UL
#define CLINT_BASE 0x2000000UL
#define CLINT_MSIP(h) (CLINT_BASE + 4 * (h))
#define CLINT_MTIMECMP(h) (CLINT_BASE + 0x4000 + 8 * (h))
#define CLINT_MTIME (CLINT_BASE + 0xbff8)
#define PLIC_BASE 0xc000000UL
#define UART_BASE 0x10000000UL
#define UART_IRQ 10
#define VIRTIO_BASE 0x10001000UL
#define VIRTIO_STRIDE 0x1000UL
#define VIRTIO_SLOTS 8

/* Far in the future, for "no timer". Not ~0: QEMU 7.2 overflows converting a compare value
 * that far off to ns and can fire a spurious timer interrupt (see test/guest/isa/priv_irq.S). */
#define TIME_NEVER (1UL << 56)
#define TIMEBASE_HZ 10000000UL

#define MIP_SSIP (1UL << 1)
#define MIP_MSIP (1UL << 3)
#define MIP_STIP (1UL << 5)
#define MIP_MTIP (1UL << 7)
#define MIP_SEIP (1UL << 9)
#define MIP_MEIP (1UL << 11)
#define MSTATUS_SIE (1UL << 1)
#define MSTATUS_MIE (1UL << 3)
#define CAUSE_INTR (1UL << 63)

#define STR_(x) #x
#define STR(x) STR_(x)
#define csr_read(csr) ({ u64 v_; __asm__ volatile("csrr %0, " STR(csr) : "=r"(v_)); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " STR(csr) ", %0" ::"r"((u64)(v)))
#define csr_set(csr, v) __asm__ volatile("csrs " STR(csr) ", %0" ::"r"((u64)(v)))
#define csr_clear(csr, v) __asm__ volatile("csrc " STR(csr) ", %0" ::"r"((u64)(v)))
#define fence() __asm__ volatile("fence" ::: "memory")
#define wfi() __asm__ volatile("wfi" ::: "memory")
#define barrier() __asm__ volatile("" ::: "memory")
/* Handlers entered from mtvec / stvec (GCC saves what they use and returns with mret / sret). */
#define M_HANDLER __attribute__((interrupt("machine"), aligned(4)))
#define S_HANDLER __attribute__((interrupt("supervisor"), aligned(4)))

static inline u8 rd8(u64 a) { return *(volatile u8 *)a; }
static inline u16 rd16(u64 a) { return *(volatile u16 *)a; }
static inline u32 rd32(u64 a) { return *(volatile u32 *)a; }
static inline u64 rd64(u64 a) { return *(volatile u64 *)a; }
static inline void wr8(u64 a, u8 v) { *(volatile u8 *)a = v; }
static inline void wr32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline void wr64(u64 a, u64 v) { *(volatile u64 *)a = v; }

static inline u64 rdtime(void) { u64 t; __asm__ volatile("rdtime %0" : "=r"(t)); return t; }

/* ---- 16550 UART (reg-shift 0) */
#define UART_RBR 0 /* read, DLAB=0 */
#define UART_THR 0 /* write, DLAB=0 */
#define UART_DLL 0 /* DLAB=1 */
#define UART_IER 1 /* DLAB=0 */
#define UART_DLM 1 /* DLAB=1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define IER_ERBFI 0x01
#define IER_ETBEI 0x02

/* mip & bit once it equals `want`, or after a bounded wait (a device may update it late). */
static inline int mip_bit(u64 bit, int want) {
  u64 v = 0;
  for (int i = 0; i < 100000; i++) {
    v = csr_read(mip) & bit;
    if ((v != 0) == want) break;
  }
  return v != 0;
}

static inline u8 uart_rd(int reg) { return rd8(UART_BASE + reg); }
static inline void uart_wr(int reg, u8 v) { wr8(UART_BASE + reg, v); }
/* Waits for an empty transmit holding register (bounded, so a broken LSR cannot hang). */
static inline void uart_wait_thre(void) {
  for (long i = 0; i < 100000000 && !(uart_rd(UART_LSR) & LSR_THRE); i++) {
  }
}
static inline void kputc(char c) {
  uart_wait_thre();
  uart_wr(UART_THR, (u8)c);
}

__attribute__((unused)) static void kputs(const char *s) {
  while (*s) kputc(*s++);
}

/* printf subset: %s %c %d %u %x with optional 0, width and l (64-bit) modifiers, %%. */
__attribute__((unused)) static void kvprintf(const char *f, va_list ap) {
  for (; *f; f++) {
    if (*f != '%') { kputc(*f); continue; }
    f++;
    char pad = ' ';
    int width = 0, lng = 0;
    if (*f == '0') { pad = '0'; f++; }
    while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
    while (*f == 'l') { lng = 1; f++; }
    char buf[24];
    int n = 0, neg = 0;
    u64 v;
    switch (*f) {
    case 's': {
      const char *s = va_arg(ap, const char *);
      kputs(s ? s : "(null)");
      continue;
    }
    case 'c': kputc((char)va_arg(ap, int)); continue;
    case 'd': {
      i64 s = lng ? va_arg(ap, i64) : va_arg(ap, int);
      neg = s < 0;
      v = neg ? -(u64)s : (u64)s;
      do buf[n++] = (char)('0' + v % 10); while ((v /= 10));
      break;
    }
    case 'u':
      v = lng ? va_arg(ap, u64) : va_arg(ap, u32);
      do buf[n++] = (char)('0' + v % 10); while ((v /= 10));
      break;
    case 'x':
      v = lng ? va_arg(ap, u64) : va_arg(ap, u32);
      do buf[n++] = "0123456789abcdef"[v & 15]; while ((v >>= 4));
      break;
    case '%': kputc('%'); continue;
    default: kputc('?'); continue;
    }
    if (neg) buf[n++] = '-';
    while (n < width--) kputc(pad);
    while (n) kputc(buf[--n]);
  }
}

__attribute__((unused)) static void kprintf(const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  kvprintf(f, ap);
  va_end(ap);
}

__attribute__((unused)) static const char *yesno(int b) { return b ? "yes" : "no"; }

/* ---- sifive,test0: 0x5555 power off, 0x3333 | code << 16 fail with code (QEMU exits with it) */
__attribute__((noreturn, unused)) static void test_exit(u32 code) {
  uart_wait_thre();
  for (int i = 0; i < 100000 && !(uart_rd(UART_LSR) & LSR_TEMT); i++) {
  }
  fence();
  wr32(TEST_DEV, code ? 0x3333 | code << 16 : 0x5555);
  for (;;) wfi();
}

__attribute__((noreturn, unused)) static void fail(const char *why) {
  kprintf("FAIL: %s\n", why);
  test_exit(1);
}

/* The CLINT's mtime (M-mode; S-mode programs read the time CSR). */
__attribute__((unused)) static u64 mtime(void) { return rd64(CLINT_MTIME); }

/* Called by start-m.S / start-s.S with main's return value. */
__attribute__((noreturn)) void test_exit_from_start(u32 code) { test_exit(code); }

/* The catch-all trap vector start-m.S / start-s.S install: reports and fails with 99. */
#ifdef VIRT_SMODE
__attribute__((aligned(4), noreturn)) void unexpected_strap(void) {
  kprintf("unexpected trap: scause 0x%lx sepc 0x%lx stval 0x%lx\n", csr_read(scause), csr_read(sepc),
          csr_read(stval));
  test_exit(99);
}
#else
__attribute__((aligned(4), noreturn)) void unexpected_mtrap(void) {
  kprintf("unexpected trap: mcause 0x%lx mepc 0x%lx mtval 0x%lx\n", csr_read(mcause), csr_read(mepc),
          csr_read(mtval));
  test_exit(99);
}
#endif

#endif
