/* Facts about index expressions that lowering and code generation share. */
#include "ir/loop.h"

void index_bounds(const Index *ix, const int64_t *var_lo, const int64_t *var_hi, int64_t *lo,
                  int64_t *hi) {
  int64_t a, b, c, d;
  switch (ix->kind) {
  case IX_CONST:
    *lo = *hi = ix->value;
    return;
  case IX_VAR:
    *lo = var_lo[ix->var];
    *hi = var_hi[ix->var];
    return;
  case IX_NEG:
    index_bounds(ix->lhs, var_lo, var_hi, &a, &b);
    *lo = -b;
    *hi = -a;
    return;
  case IX_ADD:
  case IX_SUB:
    index_bounds(ix->lhs, var_lo, var_hi, &a, &b);
    index_bounds(ix->rhs, var_lo, var_hi, &c, &d);
    *lo = ix->kind == IX_ADD ? a + c : a - d;
    *hi = ix->kind == IX_ADD ? b + d : b - c;
    return;
  case IX_MUL: {
    const Index *k = ix->lhs->kind == IX_CONST ? ix->lhs : ix->rhs;
    const Index *v = k == ix->lhs ? ix->rhs : ix->lhs;
    index_bounds(v, var_lo, var_hi, &a, &b);
    *lo = k->value >= 0 ? k->value * a : k->value * b;
    *hi = k->value >= 0 ? k->value * b : k->value * a;
    return;
  }
  case IX_DIV:
    index_bounds(ix->lhs, var_lo, var_hi, &a, &b);
    *lo = floor_div(a, ix->rhs->value);
    *hi = floor_div(b, ix->rhs->value);
    return;
  case IX_MOD:
    index_bounds(ix->lhs, var_lo, var_hi, &a, &b);
    if (floor_div(a, ix->rhs->value) == floor_div(b, ix->rhs->value)) {
      *lo = floor_mod(a, ix->rhs->value); /* no wrap-around inside the range */
      *hi = floor_mod(b, ix->rhs->value);
    } else {
      *lo = 0;
      *hi = ix->rhs->value - 1;
    }
    return;
  }
}

RangeFact access_range(const LBuffer *buf, Index *const *index, const int64_t *var_lo,
                       const int64_t *var_hi) {
  RangeFact fact = RANGE_INSIDE;
  for (int d = 0; d < buf->rank; d++) {
    int64_t lo, hi;
    index_bounds(index[d], var_lo, var_hi, &lo, &hi);
    if (hi < 0 || lo >= buf->dims[d])
      return RANGE_OUTSIDE;
    if (lo < 0 || hi >= buf->dims[d])
      fact = RANGE_MIXED;
  }
  return fact;
}

bool index_linear_in(const Index *ix, int var, int64_t *coef) {
  int64_t a, b;
  switch (ix->kind) {
  case IX_CONST:
    *coef = 0;
    return true;
  case IX_VAR:
    *coef = ix->var == var;
    return true;
  case IX_NEG:
    if (!index_linear_in(ix->lhs, var, &a))
      return false;
    *coef = -a;
    return true;
  case IX_ADD:
  case IX_SUB:
    if (!index_linear_in(ix->lhs, var, &a) || !index_linear_in(ix->rhs, var, &b))
      return false;
    *coef = ix->kind == IX_ADD ? a + b : a - b;
    return true;
  case IX_MUL:
    if (!index_linear_in(ix->lhs, var, &a) || !index_linear_in(ix->rhs, var, &b))
      return false;
    *coef = ix->lhs->kind == IX_CONST ? ix->lhs->value * b : a * ix->rhs->value;
    return true;
  case IX_DIV:
  case IX_MOD:
    if (!index_linear_in(ix->lhs, var, &a))
      return false;
    *coef = 0;
    return a == 0; /* var under / or % is not linear */
  }
  return false;
}

bool index_uses(const Index *ix, int var) {
  if (!ix)
    return false;
  if (ix->kind == IX_VAR)
    return ix->var == var;
  return index_uses(ix->lhs, var) || index_uses(ix->rhs, var);
}

bool expr_uses(const Expr *x, int var) {
  if (x->kind == EX_INDEX)
    return x->var == var;
  if (x->kind == EX_READ) {
    for (int i = 0; i < x->tensor->rank; i++)
      if (index_uses(x->index[i], var))
        return true;
    return false;
  }
  for (int i = 0; i < x->nargs; i++)
    if (expr_uses(x->arg[i], var))
      return true;
  return false;
}
