/* Deep and mutual recursion: Ackermann, naive Fibonacci, Takeuchi, a mutually recursive
 * even/odd pair and a recursive-descent walk of a generated expression tree. Nearly every
 * instruction is a call, a return or the branch that picks between them. */
#include "bench.h"

#define NOINLINE __attribute__((noinline))

static NOINLINE uint64_t ack(uint64_t m, uint64_t n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

static NOINLINE uint64_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static NOINLINE int32_t tak(int32_t x, int32_t y, int32_t z) {
  if (y >= x) return z;
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

/* Not tail calls: each level mixes the callee's result, so the compiler cannot turn the pair
 * into a loop and the stack really is `n` frames deep. */
static NOINLINE uint64_t odd_walk(uint32_t n, uint64_t x);
static NOINLINE uint64_t even_walk(uint32_t n, uint64_t x) {
  if (n == 0) return x;
  return (odd_walk(n - 1, x * 3 + 1) ^ n) + 7;
}
static NOINLINE uint64_t odd_walk(uint32_t n, uint64_t x) {
  if (n == 0) return ~x;
  return (even_walk(n - 1, x + n) * 5) ^ (x >> 3);
}

/* An expression tree laid out in an array; evaluation is recursive descent over it. */
enum kind { LEAF, ADD, MUL, SUB, XOR };
typedef struct {
  uint8_t kind;
  uint32_t left, right;
  uint64_t value;
} node;

#define TREE_NODES 4095
static node tree[TREE_NODES];

static NOINLINE uint32_t build(uint32_t at, uint32_t depth, uint64_t *rng) {
  node *n = &tree[at];
  if (depth == 0 || 2 * at + 2 >= TREE_NODES) {
    n->kind = LEAF;
    n->value = bench_rand(rng) & 0xffff;
    return at;
  }
  n->kind = (uint8_t)(1 + bench_rand(rng) % 4);
  n->left = build(2 * at + 1, depth - 1, rng);
  n->right = build(2 * at + 2, depth - 1, rng);
  return at;
}

static NOINLINE uint64_t eval(uint32_t at) {
  const node *n = &tree[at];
  switch (n->kind) {
    case LEAF: return n->value;
    case ADD: return eval(n->left) + eval(n->right);
    case MUL: return eval(n->left) * (eval(n->right) | 1);
    case SUB: return eval(n->left) - eval(n->right);
    default: return eval(n->left) ^ (eval(n->right) << 1);
  }
}

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 500);
  uint64_t rng = 0x5eed0001;
  build(0, 11, &rng);
  uint64_t sum = 0;
  for (long r = 0; r < reps; r++) {
    uint32_t k = (uint32_t)(r & 3);
    sum = sum * 31 + ack(2 + (k & 1), 5 + k);
    sum = sum * 31 + fib(22 + k);
    sum = sum * 31 + (uint64_t)tak(16 + (int32_t)k, 10, 4);
    sum = sum * 31 + even_walk(2000 + 500 * k, sum);
    sum = sum * 31 + eval((uint32_t)k);
  }
  bench_checksum("recurse", sum);
  return 0;
}
