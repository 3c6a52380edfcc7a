/* Linked-list traversal: 512 Ki nodes linked in a random order, so each step is a dependent load
 * from an unpredictable address (a cache-miss and TLB benchmark). */
#include "bench.h"

typedef struct node {
  struct node *next;
  uint64_t value;
  uint64_t pad[2]; /* 32-byte nodes, as a typical small struct */
} node;

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 10);
  enum { N = 1 << 19 };
  node *nodes = malloc(N * sizeof(node));
  uint32_t *order = malloc(N * sizeof(uint32_t));
  if (nodes == NULL || order == NULL) return 1;
  uint64_t seed = 3;
  for (uint32_t i = 0; i < N; i++) order[i] = i;
  for (uint32_t i = N - 1; i > 0; i--) { /* Fisher-Yates */
    uint32_t j = (uint32_t)(bench_rand(&seed) % (i + 1));
    uint32_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (uint32_t i = 0; i < N; i++) {
    nodes[order[i]].next = i + 1 < N ? &nodes[order[i + 1]] : NULL;
    nodes[order[i]].value = bench_rand(&seed) & 0xffff;
  }
  uint64_t sum = 0;
  for (long r = 0; r < reps; r++) {
    for (node *p = &nodes[order[0]]; p != NULL; p = p->next) {
      sum += p->value;
      p->value = (p->value * 5 + 1) & 0xffff;
    }
  }
  bench_checksum("list", sum);
  free(nodes);
  free(order);
  return 0;
}
