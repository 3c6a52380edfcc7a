/* A bytecode interpreter: a stack machine with a switch dispatch loop (the shape of many
 * scripting-language VMs) running a nested-loop program. */
#include "bench.h"

enum op { PUSH, LOAD, STORE, ADD, MUL, MOD, XOR, LT, JZ, JMP, HALT };
enum var { I, ACC, J, N, NVARS };

typedef struct {
  int32_t code[256];
  int len;
} program;

static void emit(program *p, int32_t op) { p->code[p->len++] = op; }
static void emit2(program *p, int32_t op, int32_t arg) {
  emit(p, op);
  emit(p, arg);
}

/* for (i = 0; i < n; i++) for (j = 0; j < 8; j++) acc = (acc * 31 + (i ^ j)) % 1000003; */
static void assemble(program *p) {
  p->len = 0;
  emit2(p, PUSH, 0), emit2(p, STORE, I);
  emit2(p, PUSH, 0), emit2(p, STORE, ACC);
  int outer = p->len;
  emit2(p, LOAD, I), emit2(p, LOAD, N), emit(p, LT), emit2(p, JZ, 0);
  int exit_patch = p->len - 1;
  emit2(p, PUSH, 0), emit2(p, STORE, J);
  int inner = p->len;
  emit2(p, LOAD, J), emit2(p, PUSH, 8), emit(p, LT), emit2(p, JZ, 0);
  int next_patch = p->len - 1;
  emit2(p, LOAD, ACC), emit2(p, PUSH, 31), emit(p, MUL);
  emit2(p, LOAD, I), emit2(p, LOAD, J), emit(p, XOR), emit(p, ADD);
  emit2(p, PUSH, 1000003), emit(p, MOD), emit2(p, STORE, ACC);
  emit2(p, LOAD, J), emit2(p, PUSH, 1), emit(p, ADD), emit2(p, STORE, J);
  emit2(p, JMP, inner);
  p->code[next_patch] = p->len;
  emit2(p, LOAD, I), emit2(p, PUSH, 1), emit(p, ADD), emit2(p, STORE, I);
  emit2(p, JMP, outer);
  p->code[exit_patch] = p->len;
  emit(p, HALT);
}

static int64_t run(const program *p, int64_t *vars) {
  int64_t stack[64];
  int sp = 0;
  const int32_t *code = p->code;
  int pc = 0;
  uint64_t steps = 0;
  for (;;) {
    steps++;
    switch (code[pc++]) {
      case PUSH: stack[sp++] = code[pc++]; break;
      case LOAD: stack[sp++] = vars[code[pc++]]; break;
      case STORE: vars[code[pc++]] = stack[--sp]; break;
      case ADD: sp--, stack[sp - 1] += stack[sp]; break;
      case MUL: sp--, stack[sp - 1] *= stack[sp]; break;
      case MOD: sp--, stack[sp - 1] %= stack[sp]; break;
      case XOR: sp--, stack[sp - 1] ^= stack[sp]; break;
      case LT: sp--, stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
      case JZ: {
        int32_t target = code[pc++];
        if (stack[--sp] == 0) pc = target;
        break;
      }
      case JMP: pc = code[pc]; break;
      case HALT: return (int64_t)steps;
      default: printf("interp: bad opcode at %d\n", pc - 1); exit(1);
    }
  }
}

int main(int argc, char **argv) {
  long reps = bench_reps(argc, argv, 6);
  program p;
  assemble(&p);
  uint64_t sum = 0;
  for (long r = 0; r < reps; r++) {
    int64_t vars[NVARS] = {0};
    vars[N] = 100000 + r;
    int64_t steps = run(&p, vars);
    sum = sum * 1000003 + (uint64_t)vars[ACC] + (uint64_t)steps;
  }
  bench_checksum("interp", sum);
  return 0;
}
