// Threads that contend for the same words at once (run in parallel on worker threads with
// --threads parallel): an AMO counter, a counter under an LR/SC loop, a counter under a
// pthread mutex, a sense-reversing barrier that spins on a shared word, and a futex
// hand-off. Every total is fixed by the program, whatever the interleaving; a lost update
// (an LR/SC that succeeded over another hart's store, a store the other engine did not see)
// changes one.
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 200000
#define BARRIERS 200
#define HANDOFFS 2000

static long amo_count;
static long lrsc_count;
static long locked_count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int arrived, sense;
static int baton; /* whose turn in the futex hand-off */
static long handoff_sum;

static void lrsc_add(long *p, long v) {
  long old, fail;
  do {
    __asm__ volatile("lr.d.aqrl %0, (%2)\n\tadd %0, %0, %3\n\tsc.d.aqrl %1, %0, (%2)"
                     : "=&r"(old), "=&r"(fail)
                     : "r"(p), "r"(v)
                     : "memory");
  } while (fail);
}

static void barrier(int *local) {
  *local = !*local;
  if (__atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL) == THREADS) {
    __atomic_store_n(&arrived, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&sense, *local, __ATOMIC_RELEASE);
  } else {
    while (__atomic_load_n(&sense, __ATOMIC_ACQUIRE) != *local) {
    }
  }
}

static void *work(void *arg) {
  int id = (int)(intptr_t)arg, local = 0;
  for (long i = 0; i < ROUNDS; i++) {
    __atomic_fetch_add(&amo_count, 1, __ATOMIC_RELAXED);
    lrsc_add(&lrsc_count, 2);
    if ((i & 15) == 0) {
      pthread_mutex_lock(&lock);
      locked_count += 3;
      pthread_mutex_unlock(&lock);
    }
  }
  for (int i = 0; i < BARRIERS; i++) barrier(&local);
  for (int i = 0; i < HANDOFFS; i++) {
    while (__atomic_load_n(&baton, __ATOMIC_ACQUIRE) % THREADS != id) {
      int seen = __atomic_load_n(&baton, __ATOMIC_ACQUIRE);
      if (seen % THREADS != id) syscall(SYS_futex, &baton, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
    }
    handoff_sum = handoff_sum * 31 + id;
    __atomic_add_fetch(&baton, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &baton, FUTEX_WAKE_PRIVATE, THREADS, NULL, NULL, 0);
  }
  return NULL;
}

int main(void) {
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, work, (void *)(intptr_t)i);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  printf("amo %ld lrsc %ld locked %ld baton %d handoff %lx\n", amo_count, lrsc_count, locked_count, baton,
         (unsigned long)handoff_sum);
  return 0;
}
