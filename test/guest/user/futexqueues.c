// futex queues: a waiter on each of 200 addresses in turn (queues that empty and new ones,
// more than Hartwood keeps before it sweeps the empty ones), FUTEX_CMP_REQUEUE moving
// waiters from one address to another, and FUTEX_WAKE_BITSET picking waiters by bitset. What
// is printed does not depend on when the threads get to wait.
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define ADDRS 200

static int words[ADDRS];
static int a, b, gate;
static int woke[8];

static long futex(int *addr, int op, int val, void *timeout, int *addr2, int val3) {
  return syscall(SYS_futex, addr, op, val, timeout, addr2, val3);
}

/* Waits until `w` is not 0. */
static void await(int *w) {
  while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == 0) futex(w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

static int ready; /* how many addresses `each` has come to */
static int park, parkedReady;

/* Waits on `park` while the other queues come and go: a sweep of empty queues must leave its own. */
static void *parked(void *arg) {
  (void)arg;
  __atomic_store_n(&parkedReady, 1, __ATOMIC_RELEASE);
  await(&park);
  return NULL;
}

static void *each(void *arg) {
  (void)arg;
  for (int i = 0; i < ADDRS; i++) {
    __atomic_store_n(&ready, i + 1, __ATOMIC_RELEASE);
    await(&words[i]);
  }
  return NULL;
}

static void *onA(void *arg) {
  long k = (long)arg;
  while (__atomic_load_n(&gate, __ATOMIC_ACQUIRE) == 0) futex(&a, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  __atomic_fetch_add(&woke[k], 1, __ATOMIC_SEQ_CST);
  return NULL;
}

static void *onBits(void *arg) {
  long k = (long)arg;
  futex(&b, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 1 << k);
  __atomic_fetch_add(&woke[k], 1, __ATOMIC_SEQ_CST);
  return NULL;
}

int main(void) {
  pthread_t p, t;
  CHECK(pthread_create(&p, NULL, parked, NULL) == 0);
  while (!__atomic_load_n(&parkedReady, __ATOMIC_ACQUIRE)) sched_yield();
  CHECK(pthread_create(&t, NULL, each, NULL) == 0);
  long woken = 0;
  for (int i = 0; i < ADDRS; i++) {
    while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) <= i) sched_yield(); /* it is about to wait on words[i] */
    __atomic_store_n(&words[i], 1, __ATOMIC_RELEASE);
    woken += futex(&words[i], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) >= 0;
  }
  CHECK(pthread_join(t, NULL) == 0);
  printf("one waiter on each of %d addresses in turn: all done, wakes that did not fail %ld\n", ADDRS, woken);
  __atomic_store_n(&park, 1, __ATOMIC_RELEASE);
  long parkedWoken = futex(&park, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  printf("the waiter parked meanwhile is woken: %ld\n", parkedWoken);
  if (parkedWoken != 1) return 1; /* it would wait forever */
  CHECK(pthread_join(p, NULL) == 0);

  /* Three waiters on a: each round wakes one and moves up to two to b, then wakes b's. */
  pthread_t ts[3];
  for (long k = 0; k < 3; k++) CHECK(pthread_create(&ts[k], NULL, onA, (void *)k) == 0);
  __atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
  printf("cmp_requeue with a stale value: %ld errno %d\n", futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2L, &b, 5), errno);
  while (__atomic_load_n(&woke[0], __ATOMIC_SEQ_CST) + woke[1] + woke[2] < 3) {
    CHECK(futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2L, &b, 0) >= 0);
    CHECK(futex(&b, FUTEX_WAKE_PRIVATE, 8, NULL, NULL, 0) >= 0);
    sched_yield();
  }
  for (int k = 0; k < 3; k++) CHECK(pthread_join(ts[k], NULL) == 0);
  printf("requeued to b and woken there: every waiter ran once: %d\n", woke[0] == 1 && woke[1] == 1 && woke[2] == 1);

  /* Bitsets: four waiters on b with bits 1, 2, 4, 8; wakes for 0b1010 never wake the others. */
  for (int k = 0; k < 8; k++) woke[k] = 0;
  pthread_t tb[4];
  for (long k = 0; k < 4; k++) CHECK(pthread_create(&tb[k], NULL, onBits, (void *)k) == 0);
  while (__atomic_load_n(&woke[1], __ATOMIC_SEQ_CST) + woke[3] < 2) {
    CHECK(futex(&b, FUTEX_WAKE_BITSET_PRIVATE, 8, NULL, NULL, 0xa) >= 0);
    sched_yield();
  }
  printf("wake_bitset 0xa woke 1 and 3, not 0 and 2: %d\n", !__atomic_load_n(&woke[0], __ATOMIC_SEQ_CST) && !woke[2]);
  while (__atomic_load_n(&woke[0], __ATOMIC_SEQ_CST) + woke[2] < 2) {
    CHECK(futex(&b, FUTEX_WAKE_BITSET_PRIVATE, 8, NULL, NULL, -1) >= 0);
    sched_yield();
  }
  for (int k = 0; k < 4; k++) CHECK(pthread_join(tb[k], NULL) == 0);
  printf("the rest woke: %d\n", woke[0] == 1 && woke[2] == 1);
  printf("done\n");
  return 0;
}
