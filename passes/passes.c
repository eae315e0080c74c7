#include "passes/passes.h"

#include <string.h>

/* In pipeline order. Fusion and tiling passes join this table as they land. */
const Pass pass_table[] = {
    {"parse", "the frontend's output: the verified Cascade IR", NULL, false},
    {"lower", "the Loop IR under the trivial mapping (no fusion, no tiling)", NULL, true},
};
const int pass_count = sizeof pass_table / sizeof pass_table[0];

const Pass *find_pass(const char *name) {
  for (int i = 0; i < pass_count; i++)
    if (strcmp(pass_table[i].name, name) == 0)
      return &pass_table[i];
  return NULL;
}

bool run_passes(Cascade *c, const Pass *last, Arena *arena, Diag *diag) {
  for (int i = 0; i < pass_count; i++) {
    const Pass *p = &pass_table[i];
    if (p->run && (!p->run(c, arena, diag) || !cascade_verify(c, diag)))
      return false;
    if (p == last)
      break;
  }
  return true;
}
