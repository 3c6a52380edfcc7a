// Signals raised by the guest itself: SIGSEGV caught with sigaction + siglongjmp, a fault
// fixed up by editing the ucontext, SIGILL, SIGTRAP, an alternate stack, raise() and masks.
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile void *fault_addr;
static volatile int fault_sig;

static void on_fault(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  fault_sig = sig;
  fault_addr = si->si_addr;
  siglongjmp(env, 1);
}

static volatile int fixups;
static void skip_insn(int sig, siginfo_t *si, void *ucv) {
  (void)sig;
  (void)si;
  ucontext_t *uc = ucv;
  uint16_t insn = *(uint16_t *)uc->uc_mcontext.__gregs[REG_PC];
  uc->uc_mcontext.__gregs[REG_PC] += (insn & 3) == 3 ? 4 : 2;  // skip the faulting instruction
  uc->uc_mcontext.__gregs[REG_A0] = 1234;
  fixups++;
}

static volatile int usr1;
static volatile int on_alt;
static char altstack[65536];
static void on_usr1(int sig) {
  char here;
  usr1 = sig;
  on_alt = &here >= altstack && &here < altstack + sizeof altstack;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGTRAP, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);

  for (int round = 0; round < 3; round++) {
    if (sigsetjmp(env, 1) == 0) {
      volatile int *p = (int *)(uintptr_t)(8 + round * 16);
      *p = 1;
      printf("no fault?\n");
    } else
      printf("round %d: caught signal %d at %p\n", round, fault_sig, (void *)fault_addr);
  }
  if (sigsetjmp(env, 1) == 0) {
    volatile long x = *(volatile long *)0xdead00000000ul;
    (void)x;
  } else
    printf("caught %d (high address)\n", fault_sig);  // qemu-user reports no si_addr here
  if (sigsetjmp(env, 1) == 0) {
    __asm__ volatile(".word 0xffffffff");
  } else
    printf("illegal instruction: signal %d\n", fault_sig);
  if (sigsetjmp(env, 1) == 0) {
    __asm__ volatile("ebreak");
  } else
    printf("ebreak: signal %d\n", fault_sig);

  static long words[4];
  if (sigsetjmp(env, 1) == 0) {
    __atomic_fetch_add((long *)((char *)words + 4), 1, __ATOMIC_SEQ_CST);
    printf("misaligned AMO did not trap\n");
  } else
    printf("misaligned AMO: signal %d at offset %ld\n", fault_sig, (long)((char *)fault_addr - (char *)words));

  // The mask was restored by siglongjmp(env, 1): SIGSEGV is deliverable again.
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));

  // Fix up the context instead of jumping out.
  sa.sa_sigaction = skip_insn;
  sigaction(SIGSEGV, &sa, NULL);
  register long a0 __asm__("a0") = 0;
  __asm__ volatile("ld a0, 0(zero)" : "+r"(a0));
  printf("fixed up: a0=%ld fixups=%d\n", a0, fixups);

  // raise() on an alternate stack, with the handler's mask.
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  struct sigaction su;
  memset(&su, 0, sizeof su);
  su.sa_handler = on_usr1;
  su.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &su, NULL);
  raise(SIGUSR1);
  printf("SIGUSR1 handled: %d on altstack: %d\n", usr1, on_alt);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  usr1 = 0;
  sigprocmask(SIG_BLOCK, &block, NULL);
  raise(SIGUSR1);
  printf("while blocked: %d\n", usr1);
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  printf("after unblock: %d\n", usr1);
  signal(SIGUSR2, SIG_IGN);
  raise(SIGUSR2);
  printf("ignored SIGUSR2 survived\n");
  return 0;
}
