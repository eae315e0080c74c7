/* einc compile: native code for linking into a C program (--target cpu), or
 * an accelerator binary for einsim (--target accel). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/driver.h"
#include "runtime/npy.h"

bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n > m && strcmp(s + n - m, suffix) == 0;
}

int compile_usage(const Options *o) {
  if (is_accel(o) && !o->output) {
    fprintf(stderr, "einc: compile needs -o MODEL.ebin\n");
    return EXIT_USAGE;
  }
  if (is_accel(o) && !has_suffix(o->output, ".ebin")) {
    fprintf(stderr,
            "einc: --target accel writes an accelerator binary: use -o NAME.ebin, not '%s'\n",
            o->output);
    return EXIT_USAGE;
  }
  if (!o->output) {
    fprintf(stderr, "einc: compile needs -o OUT.o, OUT.s or OUT.ll\n");
    return EXIT_USAGE;
  }
  if (!is_accel(o) && !has_suffix(o->output, ".o") && !has_suffix(o->output, ".s") &&
      !has_suffix(o->output, ".ll")) {
    fprintf(stderr, "einc: cannot tell what to write from '%s': use .o, .s or .ll\n", o->output);
    return EXIT_USAGE;
  }
  return 0;
}

static int compile_cpu(const Options *o, Compilation *cc) {
  Arena *arena = cc->arena;
  if (!check_target(cc->cascade, "cpu"))
    return EXIT_REJECTED;
  CpuEmitKind kind = CPU_EMIT_OBJECT;
  size_t stem = strlen(o->output) - 2;
  if (has_suffix(o->output, ".s"))
    kind = CPU_EMIT_ASSEMBLY;
  else if (has_suffix(o->output, ".ll"))
    kind = CPU_EMIT_LLVM_IR, stem = strlen(o->output) - 3;
  char *header = arena_alloc(arena, stem + 3);
  memcpy(header, o->output, stem);
  memcpy(header + stem, ".h", 3);
  char *error = NULL;
  int status = EXIT_REJECTED;
  if (cpu_emit(cc->loops, entry_name(o, cc->arena), kind, o->output, header, &error))
    status = 0;
  else if (error)
    fprintf(stderr, "einc: %s\n", error);
  free(error);
  return status;
}

/* The whole image or nothing: ebin_write renames it into place. */
static bool write_binary(const Ebin *bin, const char *path) {
  char msg[PATH_MAX + 256]; /* "cannot write PATH: REASON" */
  if (ebin_write(bin, path, msg, sizeof msg))
    return true;
  fprintf(stderr, "einc: %s\n", msg);
  return false;
}

/* einsim writes each output of the binary as a .npy file, of the shape the
 * binary records: the backend keeps every shape such a file holds and
 * merges the dimensions of larger ranks (backend/accel/accel.c), which
 * would give an output another shape. */
static bool outputs_keep_shapes(const Cascade *c) {
  for (int i = 0; i < c->ntensors; i++) {
    const Tensor *t = c->tensors[i];
    if (t->role == ROLE_OUTPUT && t->rank > NPY_MAX_RANK) {
      fprintf(stderr,
              "einc: output '%s' has rank %d; einsim writes each output of the binary as a .npy "
              "file, which holds at most %d dimensions\n",
              t->name, t->rank, NPY_MAX_RANK);
      return false;
    }
  }
  return true;
}

static int compile_accel(const Options *o, Compilation *cc) {
  const Cascade *c = cc->cascade;
  if (!check_target(c, "accel") || !outputs_keep_shapes(c))
    return EXIT_REJECTED;
  AccelProgram ap;
  if (!accel_build(o, cc, &ap))
    return EXIT_REJECTED;
  int status = write_binary(&ap.bin, o->output) ? 0 : EXIT_REJECTED;
  accel_free(&ap);
  return status;
}

int cmd_compile(const Options *o) {
  return with_model(o, is_accel(o) ? compile_accel : compile_cpu);
}
