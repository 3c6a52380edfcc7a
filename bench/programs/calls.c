/* Calls everywhere: a pipeline of many small functions the compiler may not inline, the same
 * functions called through a table of function pointers chosen by data, "objects" that carry
 * their own operations, and libc's qsort and bsearch with comparators. */
#include <string.h>

#include "bench.h"

#define NOINLINE __attribute__((noinline))

static NOINLINE uint64_t f_add(uint64_t x, uint64_t k) { return x + k; }
static NOINLINE uint64_t f_sub(uint64_t x, uint64_t k) { return x - (k | 1); }
static NOINLINE uint64_t f_xor(uint64_t x, uint64_t k) { return x ^ (k * 0x9e3779b97f4a7c15ULL); }
static NOINLINE uint64_t f_rotl(uint64_t x, uint64_t k) {
  unsigned s = (unsigned)(k & 63);
  return s == 0 ? x : (x << s) | (x >> (64 - s));
}
static NOINLINE uint64_t f_mul(uint64_t x, uint64_t k) { return x * (k | 1); }
static NOINLINE uint64_t f_min(uint64_t x, uint64_t k) { return x < k ? x : k ^ x; }
static NOINLINE uint64_t f_shr(uint64_t x, uint64_t k) { return x ^ (x >> (1 + (k & 31))); }
static NOINLINE uint64_t f_bswap(uint64_t x, uint64_t k) { return __builtin_bswap64(x) + k; }
static NOINLINE uint64_t f_pop(uint64_t x, uint64_t k) { return x + (uint64_t)__builtin_popcountll(x ^ k); }
static NOINLINE uint64_t f_clamp(uint64_t x, uint64_t k) {
  uint64_t lo = k & 0xffff, hi = lo + 0x10000000;
  return x < lo ? lo + x : x > hi ? x - hi : x;
}
static NOINLINE uint64_t f_avg(uint64_t x, uint64_t k) { return (x >> 1) + (k >> 1) + (x & k & 1); }
static NOINLINE uint64_t f_sel(uint64_t x, uint64_t k) { return (x & 1) ? x ^ k : x + (k >> 7); }

typedef uint64_t (*op_fn)(uint64_t, uint64_t);
static op_fn const OPS[16] = {f_add, f_sub, f_xor, f_rotl, f_mul, f_min, f_shr, f_bswap,
                              f_pop, f_clamp, f_avg, f_sel, f_xor, f_add, f_rotl, f_mul};

/* Direct calls: the pipeline the compiler sees as a straight line of calls. */
static NOINLINE uint64_t pipeline(uint64_t x, uint64_t k) {
  x = f_add(x, k);
  x = f_xor(x, k);
  x = f_rotl(x, k);
  x = f_mul(x, k);
  x = f_shr(x, k);
  x = f_min(x, k);
  x = f_bswap(x, k);
  x = f_pop(x, k);
  x = f_clamp(x, k);
  x = f_avg(x, k);
  x = f_sel(x, k);
  return f_sub(x, k);
}

/* Indirect calls: which function runs depends on the value being computed. */
static NOINLINE uint64_t dispatch(uint64_t x, uint64_t k, int steps) {
  for (int i = 0; i < steps; i++) x = OPS[(x ^ (x >> 17)) & 15](x, k + (uint64_t)i);
  return x;
}

/* Objects with their own operations, the shape of C++ virtual calls. */
typedef struct shape shape;
typedef struct {
  int64_t (*area)(const shape *);
  int64_t (*perimeter)(const shape *);
  void (*scale)(shape *, int64_t);
} shape_ops;
struct shape {
  const shape_ops *ops;
  int64_t a, b;
};
static NOINLINE int64_t rect_area(const shape *s) { return s->a * s->b; }
static NOINLINE int64_t rect_perim(const shape *s) { return 2 * (s->a + s->b); }
static NOINLINE void rect_scale(shape *s, int64_t f) { s->a = (s->a * f) % 1009 + 1, s->b = (s->b * f) % 1013 + 1; }
static NOINLINE int64_t tri_area(const shape *s) { return s->a * s->b / 2; }
static NOINLINE int64_t tri_perim(const shape *s) { return s->a + s->b + (s->a > s->b ? s->a : s->b); }
static NOINLINE void tri_scale(shape *s, int64_t f) { s->a = (s->a + f) % 997 + 1, s->b = (s->b * 3 + f) % 991 + 1; }
static NOINLINE int64_t sq_area(const shape *s) { return s->a * s->a; }
static NOINLINE int64_t sq_perim(const shape *s) { return 4 * s->a; }
static NOINLINE void sq_scale(shape *s, int64_t f) { s->a = (s->a * f + 1) % 1021 + 1; }
static const shape_ops RECT = {rect_area, rect_perim, rect_scale};
static const shape_ops TRI = {tri_area, tri_perim, tri_scale};
static const shape_ops SQUARE = {sq_area, sq_perim, sq_scale};

#define SHAPES 256
static shape shapes[SHAPES];

static NOINLINE int64_t visit_shapes(int64_t f) {
  int64_t total = 0;
  for (int i = 0; i < SHAPES; i++) {
    shape *s = &shapes[i];
    total += s->ops->area(s) - s->ops->perimeter(s);
    s->ops->scale(s, f + i);
  }
  return total;
}

/* qsort with a comparator: keys with duplicates, ties broken by the original index so the
 * order is total and every libc sorts them the same way. */
typedef struct {
  uint32_t key, index;
} item;

static int by_key(const void *pa, const void *pb) {
  const item *a = pa, *b = pb;
  if (a->key != b->key) return a->key < b->key ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

#define ITEMS 2048
static item items[ITEMS];

static NOINLINE uint64_t sort_and_search(uint64_t *rng) {
  for (uint32_t i = 0; i < ITEMS; i++) items[i] = (item){(uint32_t)(bench_rand(rng) % 5000), i};
  qsort(items, ITEMS, sizeof(item), by_key);
  uint64_t h = 0;
  for (uint32_t i = 0; i < ITEMS; i += 61) h = h * 131 + items[i].key * 7 + items[i].index;
  for (int q = 0; q < 256; q++) {
    item probe = items[bench_rand(rng) % ITEMS];
    const item *hit = bsearch(&probe, items, ITEMS, sizeof(item), by_key);
    h += hit ? (uint64_t)(hit - items) : 0xdead;
  }
  return h;
}

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 1650);
  uint64_t rng = 0xca11ab1e;
  static const shape_ops *const kinds[3] = {&RECT, &TRI, &SQUARE};
  for (int i = 0; i < SHAPES; i++)
    shapes[i] = (shape){kinds[bench_rand(&rng) % 3], (int64_t)(bench_rand(&rng) % 100) + 1,
                        (int64_t)(bench_rand(&rng) % 100) + 1};
  uint64_t sum = 0;
  for (long r = 0; r < reps; r++) {
    uint64_t x = sum ^ (uint64_t)r;
    for (int i = 0; i < 2000; i++) x = pipeline(x, (uint64_t)i);
    sum = sum * 31 + x;
    sum = sum * 31 + dispatch(sum, (uint64_t)r, 20000);
    for (int i = 0; i < 20; i++) sum = sum * 31 + (uint64_t)visit_shapes(r + i);
    sum = sum * 31 + sort_and_search(&rng);
  }
  bench_checksum("calls", sum);
  return 0;
}
