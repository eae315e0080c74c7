/* einc compile --target cpu: native code for linking into a C program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/llvm/cpu.h"
#include "driver/driver.h"

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n > m && strcmp(s + n - m, suffix) == 0;
}

int cmd_compile(const Options *o) {
  if (!o->output) {
    fprintf(stderr, "einc: compile needs -o OUT.o, OUT.s or OUT.ll\n");
    return EXIT_USAGE;
  }
  CpuEmitKind kind;
  size_t stem;
  if (has_suffix(o->output, ".o"))
    kind = CPU_EMIT_OBJECT, stem = strlen(o->output) - 2;
  else if (has_suffix(o->output, ".s"))
    kind = CPU_EMIT_ASSEMBLY, stem = strlen(o->output) - 2;
  else if (has_suffix(o->output, ".ll"))
    kind = CPU_EMIT_LLVM_IR, stem = strlen(o->output) - 3;
  else {
    fprintf(stderr, "einc: cannot tell what to write from '%s': use .o, .s or .ll\n", o->output);
    return EXIT_USAGE;
  }
  Arena arena;
  arena_init(&arena);
  int status = EXIT_REJECTED;
  Cascade *c = load_model(o, &arena);
  if (c) {
    char *header = arena_alloc(&arena, stem + 3);
    memcpy(header, o->output, stem);
    memcpy(header + stem, ".h", 3);
    char *error = NULL;
    if (cpu_emit(lower_trivial(c, &arena), entry_name(o, &arena), kind, o->output, header, &error))
      status = 0;
    else if (error)
      fprintf(stderr, "einc: %s\n", error);
    free(error);
  }
  arena_free(&arena);
  return status;
}
