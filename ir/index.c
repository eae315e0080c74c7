/* Facts about index expressions that lowering and code generation share. */
#include "ir/loop.h"

/* The range [lo, hi] an index takes over the loop variables' extents. */
void index_range(const Einsum *e, const Index *ix, int64_t *lo, int64_t *hi) {
  int64_t a, b, c, d;
  switch (ix->kind) {
  case IX_CONST:
    *lo = *hi = ix->value;
    return;
  case IX_VAR:
    *lo = 0;
    *hi = e->vars[ix->var].extent - 1;
    return;
  case IX_NEG:
    index_range(e, ix->lhs, &a, &b);
    *lo = -b;
    *hi = -a;
    return;
  case IX_ADD:
  case IX_SUB:
    index_range(e, ix->lhs, &a, &b);
    index_range(e, ix->rhs, &c, &d);
    *lo = ix->kind == IX_ADD ? a + c : a - d;
    *hi = ix->kind == IX_ADD ? b + d : b - c;
    return;
  case IX_MUL: {
    const Index *k = ix->lhs->kind == IX_CONST ? ix->lhs : ix->rhs;
    const Index *v = k == ix->lhs ? ix->rhs : ix->lhs;
    index_range(e, v, &a, &b);
    *lo = k->value >= 0 ? k->value * a : k->value * b;
    *hi = k->value >= 0 ? k->value * b : k->value * a;
    return;
  }
  case IX_DIV:
    index_range(e, ix->lhs, &a, &b);
    *lo = floor_div(a, ix->rhs->value);
    *hi = floor_div(b, ix->rhs->value);
    return;
  case IX_MOD:
    *lo = 0;
    *hi = ix->rhs->value - 1;
    return;
  }
}

