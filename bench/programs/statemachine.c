/* A switch-driven state machine: a tokenizer reads generated source text one character at a
 * time (identifiers, decimal and hex numbers, strings with escapes, comments, operators) and
 * feeds each token to a small stack VM that evaluates the text as postfix arithmetic.
 * Nearly every character is a multi-way branch on the state and then on the character. */
#include <string.h>

#include "bench.h"

#define TEXT_BYTES (64 * 1024)
static char text[TEXT_BYTES + 1];

/* Generated input: a random mix of every token kind, separated by random white space. */
static void generate(uint64_t *rng) {
  static const char *const ops[] = {"+", "-", "*", "/", "%", "^", "&", "|", "<<", ">>", "==", "!="};
  size_t at = 0;
  while (at < TEXT_BYTES - 64) {
    uint64_t r = bench_rand(rng);
    switch (r % 10) {
      case 0:
      case 1:
      case 2: at += (size_t)sprintf(text + at, "%u", (unsigned)(r >> 20) % 100000); break;
      case 3: at += (size_t)sprintf(text + at, "0x%x", (unsigned)(r >> 24) & 0xffff); break;
      case 4:
      case 5:
        for (int n = 1 + (int)((r >> 8) % 7), i = 0; i < n; i++)
          text[at++] = (char)(i > 0 && (r >> (12 + i)) % 4 == 0 ? '0' + (r >> (16 + i)) % 10 : 'a' + (r >> (20 + 3 * i)) % 26);
        break;
      case 6: at += (size_t)sprintf(text + at, "\"s%u\\n\\\"q\"", (unsigned)(r >> 30) % 1000); break;
      case 7: at += (size_t)sprintf(text + at, "/* c%u */", (unsigned)(r >> 30) % 100); break;
      default: at += (size_t)sprintf(text + at, "%s", ops[(r >> 16) % 12]); break;
    }
    text[at++] = " \t\n  "[(r >> 40) % 5];
  }
  text[at] = 0;
}

enum token { T_END, T_NUM, T_IDENT, T_STRING, T_OP, T_BAD };
enum state { S_START, S_IDENT, S_DEC, S_ZERO, S_HEX, S_STR, S_STR_ESC, S_SLASH, S_COMMENT, S_COMMENT_STAR, S_OP2 };

typedef struct {
  const char *p;
  uint64_t value; /* the number, the identifier's or string's hash, or the operator code */
} lexer;

static enum token next_token(lexer *lx) {
  enum state s = S_START;
  uint64_t v = 0;
  char first = 0;
  for (;;) {
    char c = *lx->p;
    switch (s) {
      case S_START:
        switch (c) {
          case 0: return T_END;
          case ' ': case '\t': case '\n': lx->p++; break;
          case '0': s = S_ZERO, v = 0, lx->p++; break;
          case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
            s = S_DEC, v = (uint64_t)(c - '0'), lx->p++;
            break;
          case '"': s = S_STR, v = 5381, lx->p++; break;
          case '/': s = S_SLASH, lx->p++; break;
          case '<': case '>': case '=': case '!': s = S_OP2, first = c, lx->p++; break;
          case '+': case '-': case '*': case '%': case '^': case '&': case '|':
            lx->p++, lx->value = (uint64_t)c;
            return T_OP;
          default:
            if (c >= 'a' && c <= 'z') s = S_IDENT, v = (uint64_t)c, lx->p++;
            else return lx->p++, T_BAD;
        }
        break;
      case S_IDENT:
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) v = v * 33 + (uint64_t)c, lx->p++;
        else return lx->value = v, T_IDENT;
        break;
      case S_ZERO:
        if (c == 'x') s = S_HEX, lx->p++;
        else if (c >= '0' && c <= '9') s = S_DEC;
        else return lx->value = 0, T_NUM;
        break;
      case S_DEC:
        if (c >= '0' && c <= '9') v = v * 10 + (uint64_t)(c - '0'), lx->p++;
        else return lx->value = v, T_NUM;
        break;
      case S_HEX:
        if (c >= '0' && c <= '9') v = v * 16 + (uint64_t)(c - '0'), lx->p++;
        else if (c >= 'a' && c <= 'f') v = v * 16 + (uint64_t)(c - 'a' + 10), lx->p++;
        else return lx->value = v, T_NUM;
        break;
      case S_STR:
        lx->p++;
        switch (c) {
          case 0: return lx->p--, T_BAD;
          case '"': return lx->value = v, T_STRING;
          case '\\': s = S_STR_ESC; break;
          default: v = v * 33 ^ (uint64_t)c;
        }
        break;
      case S_STR_ESC:
        lx->p++;
        switch (c) {
          case 0: return lx->p--, T_BAD;
          case 'n': v = v * 33 ^ '\n'; break;
          case 't': v = v * 33 ^ '\t'; break;
          default: v = v * 33 ^ (uint64_t)c;
        }
        s = S_STR;
        break;
      case S_SLASH:
        if (c == '*') s = S_COMMENT, lx->p++;
        else return lx->value = '/', T_OP;
        break;
      case S_COMMENT:
        if (c == 0) return T_BAD;
        lx->p++;
        if (c == '*') s = S_COMMENT_STAR;
        break;
      case S_COMMENT_STAR:
        if (c == 0) return T_BAD;
        lx->p++;
        s = c == '/' ? S_START : c == '*' ? S_COMMENT_STAR : S_COMMENT;
        break;
      case S_OP2:
        if (c == first || c == '=') {
          lx->p++;
          return lx->value = (uint64_t)first << 8 | (uint64_t)c, T_OP;
        }
        return lx->value = (uint64_t)first, T_OP;
    }
  }
}

/* The VM: operands go on a stack, an operator combines the top two. */
#define STACK 64
typedef struct {
  uint64_t stack[STACK];
  int sp;
  uint64_t counts[T_BAD + 1];
} vm;

static void push(vm *m, uint64_t v) {
  if (m->sp == STACK) m->sp = STACK / 2; /* deep: forget the bottom half's top */
  m->stack[m->sp++] = v;
}

static void apply(vm *m, uint64_t op) {
  if (m->sp < 2) return push(m, op);
  uint64_t b = m->stack[--m->sp], a = m->stack[m->sp - 1], r;
  switch (op) {
    case '+': r = a + b; break;
    case '-': r = a - b; break;
    case '*': r = a * b; break;
    case '/': r = b ? a / b : a; break;
    case '%': r = b ? a % b : b; break;
    case '^': r = a ^ b; break;
    case '&': r = a & b; break;
    case '|': r = a | b; break;
    case '<' << 8 | '<': r = a << (b & 63); break;
    case '>' << 8 | '>': r = a >> (b & 63); break;
    case '=' << 8 | '=': r = a == b; break;
    case '!' << 8 | '=': r = a != b; break;
    default: r = a + op;
  }
  m->stack[m->sp - 1] = r;
}

static uint64_t run(const char *src) {
  lexer lx = {src, 0};
  vm m = {{0}, 0, {0}};
  for (;;) {
    enum token t = next_token(&lx);
    m.counts[t]++;
    switch (t) {
      case T_END: {
        uint64_t h = (uint64_t)m.sp;
        for (int i = 0; i <= T_BAD; i++) h = h * 1000003 + m.counts[i];
        for (int i = 0; i < m.sp; i++) h = h * 31 + m.stack[i];
        return h;
      }
      case T_NUM: case T_IDENT: push(&m, lx.value); break;
      case T_STRING: push(&m, lx.value >> 7); break;
      case T_OP: apply(&m, lx.value); break;
      case T_BAD: push(&m, 0xbad); break;
    }
  }
}

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 3800);
  uint64_t rng = 0x57a7e;
  uint64_t sum = 0;
  for (long r = 0; r < reps; r++) {
    if (r % 8 == 0) generate(&rng);
    text[(size_t)r * 977 % (TEXT_BYTES / 2)] = ' '; /* each repetition sees slightly different text */
    sum = sum * 31 + run(text);
  }
  bench_checksum("statemachine", sum);
  return 0;
}
