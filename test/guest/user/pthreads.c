// Threads: a mutex-protected counter, a bounded producer/consumer queue on condition
// variables, thread-local storage and join results.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 4
#define ITERS 20000
#define ITEMS 2000
#define QCAP 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long mine;

static void *count(void *arg) {
  for (int i = 0; i < ITERS; i++) {
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
    mine++;
  }
  return (void *)(mine + (long)arg);
}

static int queue[QCAP], head, tail, size;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER, notempty = PTHREAD_COND_INITIALIZER;

static void *produce(void *arg) {
  int base = (int)(long)arg;
  for (int i = 1; i <= ITEMS; i++) {
    pthread_mutex_lock(&qlock);
    while (size == QCAP) pthread_cond_wait(&notfull, &qlock);
    queue[tail] = base + i;
    tail = (tail + 1) % QCAP;
    size++;
    pthread_cond_signal(&notempty);
    pthread_mutex_unlock(&qlock);
  }
  return NULL;
}

static void *consume(void *arg) {
  long sum = 0;
  for (int i = 0; i < ITEMS; i++) {
    pthread_mutex_lock(&qlock);
    while (size == 0) pthread_cond_wait(&notempty, &qlock);
    sum += queue[head];
    head = (head + 1) % QCAP;
    size--;
    pthread_cond_signal(&notfull);
    pthread_mutex_unlock(&qlock);
  }
  return (void *)sum;
}

int main(void) {
  pthread_t t[WORKERS];
  for (long i = 0; i < WORKERS; i++) pthread_create(&t[i], NULL, count, (void *)(i * 1000000));
  long total = 0;
  for (int i = 0; i < WORKERS; i++) {
    void *r;
    pthread_join(t[i], &r);
    total += (long)r;
  }
  printf("counter=%ld joined=%ld main tls=%ld\n", counter, total, mine);

  pthread_t p[2], c[2];
  for (long i = 0; i < 2; i++) pthread_create(&p[i], NULL, produce, (void *)(i * 100000));
  for (int i = 0; i < 2; i++) pthread_create(&c[i], NULL, consume, NULL);
  long sum = 0;
  for (int i = 0; i < 2; i++) pthread_join(p[i], NULL);
  for (int i = 0; i < 2; i++) {
    void *r;
    pthread_join(c[i], &r);
    sum += (long)r;
  }
  printf("consumed sum=%ld\n", sum);

  // A timed wait that times out, and a sleep.
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 20 * 1000000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  pthread_mutex_lock(&qlock);
  int rc = pthread_cond_timedwait(&notempty, &qlock, &ts);
  pthread_mutex_unlock(&qlock);
  printf("timedwait timed out: %d\n", rc != 0);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  usleep(10000);
  clock_gettime(CLOCK_MONOTONIC, &b);
  long us = (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000;
  printf("slept at least 10ms: %d\n", us >= 10000);
  return 0;
}
