/* An open-addressing hash table (linear probing, 64-bit keys, 4 M slots): inserts, lookups
 * that hit and miss, and deletions with backward-shift, repeatedly. */
#include <string.h>

#include "bench.h"

enum { SLOTS = 1 << 22, KEYS = 1 << 21 };
typedef struct {
  uint64_t key; /* 0 = empty */
  uint64_t value;
} slot;

static slot *table;

static uint64_t mix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return k;
}

static void insert(uint64_t key, uint64_t value) {
  uint64_t i = mix(key) & (SLOTS - 1);
  while (table[i].key != 0 && table[i].key != key) i = (i + 1) & (SLOTS - 1);
  table[i].key = key;
  table[i].value = value;
}

static slot *lookup(uint64_t key) {
  uint64_t i = mix(key) & (SLOTS - 1);
  while (table[i].key != 0) {
    if (table[i].key == key) return &table[i];
    i = (i + 1) & (SLOTS - 1);
  }
  return NULL;
}

static void erase(uint64_t key) {
  uint64_t i = mix(key) & (SLOTS - 1);
  while (table[i].key != key) {
    if (table[i].key == 0) return;
    i = (i + 1) & (SLOTS - 1);
  }
  /* Backward-shift deletion keeps probe sequences intact without tombstones. */
  uint64_t j = i;
  for (;;) {
    j = (j + 1) & (SLOTS - 1);
    if (table[j].key == 0) break;
    uint64_t home = mix(table[j].key) & (SLOTS - 1);
    if (((j - home) & (SLOTS - 1)) >= ((j - i) & (SLOTS - 1))) {
      table[i] = table[j];
      i = j;
    }
  }
  table[i].key = 0;
}

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 3);
  table = malloc(SLOTS * sizeof(slot));
  if (table == NULL) return 1;
  uint64_t sum = 0;
  for (long r = 0; r < reps; r++) {
    memset(table, 0, SLOTS * sizeof(slot));
    uint64_t seed = 11 + (uint64_t)r;
    for (uint64_t k = 0; k < KEYS; k++) {
      uint64_t key = bench_rand(&seed) | 1;
      insert(key, key >> 40);
    }
    seed = 11 + (uint64_t)r;
    uint64_t found = 0;
    for (uint64_t k = 0; k < KEYS; k++) {
      uint64_t key = bench_rand(&seed) | 1;
      slot *s = lookup(key);
      if (s != NULL) found += s->value;
      if (lookup(key + 1) != NULL) found++; /* even keys are never inserted: a miss */
      if (k % 2 == 0) erase(key);
    }
    uint64_t left = 0;
    for (uint64_t i = 0; i < SLOTS; i++) left += table[i].key != 0;
    sum = (sum ^ found) * 0x100000001b3ULL + left;
  }
  bench_checksum("hash", sum);
  free(table);
  return 0;
}
