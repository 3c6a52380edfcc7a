/* Threads: four workers each do independent integer work on their own buffer, then pass a
 * token around a ring under one mutex and a condition variable (every pass wakes the next
 * worker), then do independent work again. The checksum depends only on the work and the
 * ring order, never on scheduling. */
#include <pthread.h>
#include <string.h>

#include "bench.h"

#define WORKERS 4
#define BUF_WORDS 4096

typedef struct {
  int id;
  long reps;
  uint64_t result;
  uint64_t buf[BUF_WORDS];
} worker;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static int turn;        /* whose turn it is to hold the token */
static uint64_t token;  /* changed by each holder in ring order */
static long passes_left;

/* Independent work: mix a private buffer (hash-like rounds with data-dependent indexing). */
static uint64_t crunch(worker *w, long rounds) {
  uint64_t h = 0x9e3779b97f4a7c15ULL * (uint64_t)(w->id + 1);
  for (long r = 0; r < rounds; r++)
    for (int i = 0; i < BUF_WORDS; i++) {
      uint64_t *slot = &w->buf[(i * 7 + (int)(h & 15)) % BUF_WORDS];
      h = (h ^ *slot) * 0xff51afd7ed558ccdULL;
      h ^= h >> 29;
      *slot += h;
    }
  return h;
}

static void *work(void *arg) {
  worker *w = arg;
  uint64_t rng = 0xabc0 + (uint64_t)w->id;
  for (int i = 0; i < BUF_WORDS; i++) w->buf[i] = bench_rand(&rng);
  uint64_t before = crunch(w, 8 * w->reps);
  uint64_t passes = 0;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (turn != w->id && passes_left > 0) pthread_cond_wait(&turn_changed, &lock);
    if (passes_left <= 0) break;
    token = (token ^ (uint64_t)w->id) * 0x100000001b3ULL + (uint64_t)passes_left;
    passes_left--, passes++;
    turn = (turn + 1) % WORKERS;
    pthread_cond_broadcast(&turn_changed);
  }
  pthread_mutex_unlock(&lock);
  w->buf[0] ^= passes;
  w->result = before * 31 + crunch(w, 8 * w->reps);
  return NULL;
}

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 2400);
  static worker workers[WORKERS];
  pthread_t tids[WORKERS];
  passes_left = reps * 5;
  for (int i = 0; i < WORKERS; i++) {
    workers[i].id = i;
    workers[i].reps = reps;
    if (pthread_create(&tids[i], NULL, work, &workers[i]) != 0) {
      fprintf(stderr, "threads: pthread_create failed\n");
      return 1;
    }
  }
  uint64_t sum = 0;
  for (int i = 0; i < WORKERS; i++) {
    pthread_join(tids[i], NULL);
    sum = sum * 1000003 + workers[i].result;
  }
  bench_checksum("threads", sum * 31 + token);
  return 0;
}
