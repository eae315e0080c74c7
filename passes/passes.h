/* The pass pipeline: one table of named passes over the Cascade IR. It drives
 * both the compilation pipeline and `einc dump --after NAME`. */
#ifndef EINC_PASSES_H
#define EINC_PASSES_H

#include "ir/cascade.h"

typedef struct Pass {
  const char *name;
  const char *summary;
  /* NULL for "parse", the frontend's own output, which starts the pipeline. */
  bool (*run)(Cascade *c, Arena *arena, Diag *diag);
  bool lowers; /* the Cascade IR becomes Loop IR here: dumps show Loop IR */
} Pass;

extern const Pass pass_table[];
extern const int pass_count;

const Pass *find_pass(const char *name);

/* Runs the pipeline up to and including `last` (all of it if NULL); false if a
 * pass reported an error. */
bool run_passes(Cascade *c, const Pass *last, Arena *arena, Diag *diag);

#endif
