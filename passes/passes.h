/* The pass pipeline: one table of named passes over a compilation. It
 * drives every command's compilation and `einc dump --after NAME`. */
#ifndef EINC_PASSES_H
#define EINC_PASSES_H

#include "ir/loop.h"
#include "ir/mapping.h"
#include "runtime/arch.h"

typedef enum { TARGET_CPU, TARGET_ACCEL } Target;

/* Everything one compilation knows, as the passes leave it: the algorithm,
 * its mapping (from the "map" pass on) and the Loop IR (from "lower" on). */
typedef struct Compilation {
  Cascade *cascade;
  Mapping *mapping;
  LoopProgram *loops;
  Target target;
  const Arch *arch;         /* the accelerator's; unused for the cpu */
  Fusion fusion;            /* --fusion */
  const char *mapping_path; /* --mapping FILE, or NULL */
  int cpu_block_cols;       /* the CPU micro-kernel's columns (tile_cpu.h); 0: the default */
  /* A mapping file's text to read instead (tests, fuzzing), named by
   * mapping_path; NULL to read the file. */
  const char *mapping_text;
  size_t mapping_len;
  Arena *arena;
  Diag *diag;
} Compilation;

typedef struct Pass {
  const char *name;
  const char *summary;
  /* NULL for "parse", the frontend's own output, which starts the pipeline. */
  bool (*run)(Compilation *c);
} Pass;

extern const Pass pass_table[];
extern const int pass_count;

const Pass *find_pass(const char *name);

/* Runs the pipeline up to and including `last` (all of it if NULL); false
 * after a pass reported an error. The Cascade IR is verified after every
 * pass, the Loop IR after every pass once it exists. */
bool pipeline_run(Compilation *c, const Pass *last);

/* The passes, one file each. */
bool pass_map(Compilation *c); /* map.c: the mapping file, or the trivial mapping */
bool pass_fuse(Compilation *c);
/* The Einsum F[c...] = h[T-1, c...] that takes scan h's final state, or NULL. */
const Einsum *fuse_final_state(const Cascade *c,
                               const Einsum *h); /* fuse.c: fused groups, by inlining producers */
bool pass_tile(Compilation *c);     /* tile.c: tiles, loop order and buffers for the target */
bool pass_epilogue(Compilation *c); /* epilogue.c: contractions under elementwise work */
bool pass_lower(Compilation *c);    /* lower.c: the Loop IR under the mapping */

#endif
