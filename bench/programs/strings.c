/* String processing with the C library: format numbers into words, build a text, split it,
 * count distinct words in a string-keyed hash table, reverse and upcase words, search. */
#include <ctype.h>
#include <string.h>

#include "bench.h"

static const char *const syllables[] = {"ka", "lo", "ri", "ne", "tu", "mar", "sel", "vin", "o", "quad", "e", "zy"};
enum { NSYL = sizeof syllables / sizeof syllables[0], TABLE = 1 << 16, TEXT = 1 << 20 };

typedef struct {
  char word[32];
  uint32_t count;
} entry;

static entry table[TABLE];
static char text[TEXT + 64];

static uint32_t hash_str(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  while (*s) h = (h ^ (uint8_t)*s++) * 16777619u;
  return h;
}

static void count_word(const char *w, uint64_t *distinct) {
  uint32_t i = hash_str(w) & (TABLE - 1);
  while (table[i].count != 0 && strcmp(table[i].word, w) != 0) i = (i + 1) & (TABLE - 1);
  if (table[i].count++ == 0) {
    strcpy(table[i].word, w);
    (*distinct)++;
  }
}

static size_t build_text(uint64_t *seed) {
  size_t len = 0;
  while (len < TEXT) {
    char word[32] = "";
    int n = 1 + (int)(bench_rand(seed) % 3);
    for (int k = 0; k < n; k++) strcat(word, syllables[bench_rand(seed) % NSYL]);
    if (bench_rand(seed) % 8 == 0) snprintf(word + strlen(word), 8, "%u", (unsigned)(bench_rand(seed) % 10));
    size_t wl = strlen(word);
    memcpy(text + len, word, wl);
    len += wl;
    text[len++] = bench_rand(seed) % 16 == 0 ? '\n' : ' ';
  }
  text[len] = 0;
  return len;
}

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 12);
  uint64_t seed = 99, sum = 0;
  for (long r = 0; r < reps; r++) {
    memset(table, 0, sizeof table);
    size_t len = build_text(&seed);
    uint64_t distinct = 0, digits = 0, words = 0;
    char *save = NULL;
    for (char *w = strtok_r(text, " \n", &save); w != NULL; w = strtok_r(NULL, " \n", &save)) {
      words++;
      count_word(w, &distinct);
      size_t wl = strlen(w);
      for (size_t a = 0, b = wl - 1; a < b; a++, b--) {
        char t = w[a];
        w[a] = w[b];
        w[b] = t;
      }
      for (size_t k = 0; k < wl; k++) {
        if (isdigit((unsigned char)w[k])) digits += (uint64_t)strtol(w + k, NULL, 10), k = wl;
        else w[k] = (char)toupper((unsigned char)w[k]);
      }
    }
    /* strtok_r left NULs between the words: put the separators back and search the text. */
    for (size_t k = 0; k < len; k++)
      if (text[k] == 0) text[k] = ' ';
    uint64_t hits = 0;
    for (const char *p = text; (p = strstr(p, "RAMKA")) != NULL; p++) hits++;
    uint64_t maxcount = 0;
    for (int k = 0; k < TABLE; k++)
      if (table[k].count > maxcount) maxcount = table[k].count;
    sum = sum * 1000003 + len + words * 3 + distinct * 5 + digits * 7 + hits * 11 + maxcount * 13;
  }
  bench_checksum("strings", sum);
  return 0;
}
