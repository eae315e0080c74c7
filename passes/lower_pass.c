/* The lowering pass: the Loop IR under the mapping (ir/loop.h). */
#include "passes/passes.h"

bool pass_lower(Compilation *c) {
  c->loops = lower_trivial(c->cascade, c->arena);
  return c->loops != NULL;
}
