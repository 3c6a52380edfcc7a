/* The shape of an embedded-systems benchmark, written for Hartwood: each iteration runs four
 * small kernels of a few hundred instructions each — linked-list processing, a small integer
 * matrix kernel, a number-recognising state machine and a bitwise CRC-16 — and chains their
 * results through the CRC, so short calls, short loops and data-dependent branches dominate. */
#include "bench.h"

#define NOINLINE __attribute__((noinline))

/* CRC-16/CCITT, one bit at a time (no table: the branches are the point). */
static NOINLINE uint16_t crc16_byte(uint16_t crc, uint8_t b) {
  crc ^= (uint16_t)(b << 8);
  for (int i = 0; i < 8; i++) crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
  return crc;
}
static NOINLINE uint16_t crc16_u32(uint16_t crc, uint32_t v) {
  for (int i = 0; i < 4; i++) crc = crc16_byte(crc, (uint8_t)(v >> (8 * i)));
  return crc;
}

/* --- list: 16 nodes in a pool; find, reverse, and sort by value (insertion sort) --- */
#define NODES 16
typedef struct lnode {
  struct lnode *next;
  int16_t value;
  uint8_t id;
} lnode;

static NOINLINE lnode *list_reverse(lnode *head) {
  lnode *prev = 0;
  while (head) {
    lnode *next = head->next;
    head->next = prev;
    prev = head;
    head = next;
  }
  return prev;
}

static NOINLINE const lnode *list_find(const lnode *head, int16_t value) {
  while (head && head->value != value) head = head->next;
  return head;
}

static NOINLINE lnode *list_sort(lnode *head) {
  lnode *sorted = 0;
  while (head) {
    lnode *n = head, **at = &sorted;
    head = head->next;
    while (*at && ((*at)->value < n->value || ((*at)->value == n->value && (*at)->id < n->id))) at = &(*at)->next;
    n->next = *at;
    *at = n;
  }
  return sorted;
}

static NOINLINE uint16_t list_bench(lnode *pool, uint16_t seed) {
  lnode *head = 0;
  for (int i = NODES - 1; i >= 0; i--) {
    pool[i].value = (int16_t)((seed * (i + 7) ^ (seed >> 3)) & 0x1ff) - 0x100;
    pool[i].id = (uint8_t)i;
    pool[i].next = head;
    head = &pool[i];
  }
  uint16_t crc = seed;
  const lnode *hit = list_find(head, pool[seed % NODES].value);
  crc = crc16_u32(crc, hit ? hit->id : 0xff);
  head = list_sort(list_reverse(head));
  crc = crc16_u32(crc, (uint32_t)(uint16_t)head->value << 16 | head->id);
  head = list_reverse(head);
  crc = crc16_u32(crc, (uint32_t)(uint16_t)head->value << 16 | head->id);
  return crc;
}

/* --- matrix: 4×4 int16, C = A×B, then add and scale and fold with bit fields --- */
#define DIM 4
static NOINLINE int32_t matrix_bench(int16_t a[DIM][DIM], int16_t b[DIM][DIM], int16_t k) {
  int32_t c[DIM][DIM];
  for (int i = 0; i < DIM; i++)
    for (int j = 0; j < DIM; j++) {
      int32_t s = 0;
      for (int x = 0; x < DIM; x++) s += (int32_t)a[i][x] * b[x][j];
      c[i][j] = s;
    }
  int32_t fold = 0;
  for (int i = 0; i < DIM; i++)
    for (int j = 0; j < DIM; j++) {
      int32_t v = c[i][j] + k;
      fold += (v >> 2) & 0xf;
      fold ^= (v & 0x3f0) << (i & 3);
      a[i][j] = (int16_t)((a[i][j] + k * (j - i)) % 1000); /* |a| < 1000 keeps every sum in range */
    }
  return fold;
}

/* --- state machine: recognise the numbers in a short comma-separated string --- */
enum numkind { N_INT, N_FLOAT, N_EXP, N_BAD, N_KINDS };
enum nstate { ST_START, ST_SIGN, ST_INT, ST_DOT, ST_FRAC, ST_E, ST_ESIGN, ST_EXP, ST_BAD };

static NOINLINE uint32_t scan_numbers(const char *s, uint16_t counts[N_KINDS]) {
  enum nstate st = ST_START;
  uint32_t transitions = 0;
  for (;; s++) {
    char c = *s;
    if (c == ',' || c == 0) {
      enum numkind k = st == ST_INT ? N_INT : st == ST_FRAC ? N_FLOAT : st == ST_EXP ? N_EXP : N_BAD;
      counts[k]++;
      if (c == 0) return transitions;
      st = ST_START;
      continue;
    }
    int digit = c >= '0' && c <= '9';
    enum nstate before = st;
    switch (st) {
      case ST_START: st = digit ? ST_INT : (c == '-' || c == '+') ? ST_SIGN : c == '.' ? ST_DOT : ST_BAD; break;
      case ST_SIGN: st = digit ? ST_INT : c == '.' ? ST_DOT : ST_BAD; break;
      case ST_INT: st = digit ? ST_INT : c == '.' ? ST_FRAC : (c == 'e' || c == 'E') ? ST_E : ST_BAD; break;
      case ST_DOT: st = digit ? ST_FRAC : ST_BAD; break;
      case ST_FRAC: st = digit ? ST_FRAC : (c == 'e' || c == 'E') ? ST_E : ST_BAD; break;
      case ST_E: st = digit ? ST_EXP : (c == '-' || c == '+') ? ST_ESIGN : ST_BAD; break;
      case ST_ESIGN: st = digit ? ST_EXP : ST_BAD; break;
      case ST_EXP: st = digit ? ST_EXP : ST_BAD; break;
      case ST_BAD: break;
    }
    transitions += st != before;
  }
}

/* Rewrites a few characters of the input each time, so the branches do not settle. */
static void perturb(char *s, unsigned len, uint16_t seed) {
  static const char alphabet[] = "0123456789.-+eE5x";
  for (int i = 0; i < 3; i++) {
    unsigned at = (unsigned)(seed >> (i * 4)) % len;
    if (s[at] != ',') s[at] = alphabet[(seed >> i) % (sizeof alphabet - 1)];
  }
}

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 145);
  static lnode pool[NODES];
  int16_t a[DIM][DIM], b[DIM][DIM];
  uint64_t rng = 0xe3bedded;
  for (int i = 0; i < DIM; i++)
    for (int j = 0; j < DIM; j++) a[i][j] = (int16_t)(bench_rand(&rng) % 200) - 100, b[i][j] = (int16_t)(bench_rand(&rng) % 200) - 100;
  char numbers[] = "12,-7.5,3e9,+.25,0.5E-3,x1,42,--3,6.02e23,1e,.,99";
  uint16_t crc = 0xffff;
  uint64_t sum = 0;
  for (long r = 0; r < reps; r++) {
    for (int it = 0; it < 10000; it++) {
      uint16_t counts[N_KINDS] = {0};
      crc = crc16_u32(crc, list_bench(pool, (uint16_t)(crc ^ it)));
      crc = crc16_u32(crc, (uint32_t)matrix_bench(a, b, (int16_t)(crc & 0xff)));
      perturb(numbers, sizeof numbers - 1, crc);
      uint32_t t = scan_numbers(numbers, counts);
      crc = crc16_u32(crc, t << 16 | (uint32_t)counts[N_INT] << 8 | counts[N_FLOAT] << 4 | counts[N_EXP]);
    }
    sum = sum * 65537 + crc;
  }
  bench_checksum("embedded", sum);
  return 0;
}
