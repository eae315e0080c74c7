#include "passes/passes.h"

#include <string.h>

/* In pipeline order. */
const Pass pass_table[] = {
    {"parse", "the frontend's output: the verified Cascade IR", NULL},
    {"map", "the mapping: --mapping FILE, else the trivial one (no fusion, no tiling)", pass_map},
    {"fuse", "fused groups carried out: elementwise producers computed inside their readers",
     pass_fuse},
    {"tile", "tiles, loop orders, space ranks and double buffering for the target", pass_tile},
    {"epilogue", "contractions under bias, residual or activation: the epilogue form (auto)",
     pass_epilogue},
    {"lower", "the Loop IR under the mapping", pass_lower},
};
const int pass_count = sizeof pass_table / sizeof pass_table[0];

const Pass *find_pass(const char *name) {
  for (int i = 0; i < pass_count; i++)
    if (strcmp(pass_table[i].name, name) == 0)
      return &pass_table[i];
  return NULL;
}

bool pipeline_run(Compilation *c, const Pass *last) {
  for (int i = 0; i < pass_count; i++) {
    const Pass *p = &pass_table[i];
    if (p->run && (!p->run(c) || !cascade_verify(c->cascade, c->diag) ||
                   (c->loops && !loop_verify(c->loops, c->diag))))
      return false;
    if (p == last)
      break;
  }
  return true;
}
