/* Facts about index expressions that lowering and code generation share. */
#include "ir/loop.h"

/* Interval arithmetic, checked: every bound of every subexpression must fit
 * in 64 bits, else the answer would be a wrapped interval that looks in range. */
bool index_bounds(const Index *ix, const int64_t *var_lo, const int64_t *var_hi, int64_t *lo,
                  int64_t *hi) {
  int64_t a, b, c, d;
  switch (ix->kind) {
  case IX_CONST:
    *lo = *hi = ix->value;
    return true;
  case IX_VAR:
    *lo = var_lo[ix->var];
    *hi = var_hi[ix->var];
    return true;
  case IX_NEG:
    if (!index_bounds(ix->lhs, var_lo, var_hi, &a, &b))
      return false;
    return !__builtin_sub_overflow(0, b, lo) && !__builtin_sub_overflow(0, a, hi);
  case IX_ADD:
    if (!index_bounds(ix->lhs, var_lo, var_hi, &a, &b) ||
        !index_bounds(ix->rhs, var_lo, var_hi, &c, &d))
      return false;
    return !__builtin_add_overflow(a, c, lo) && !__builtin_add_overflow(b, d, hi);
  case IX_SUB:
    if (!index_bounds(ix->lhs, var_lo, var_hi, &a, &b) ||
        !index_bounds(ix->rhs, var_lo, var_hi, &c, &d))
      return false;
    return !__builtin_sub_overflow(a, d, lo) && !__builtin_sub_overflow(b, c, hi);
  case IX_MUL: {
    const Index *k = ix->lhs->kind == IX_CONST ? ix->lhs : ix->rhs;
    const Index *v = k == ix->lhs ? ix->rhs : ix->lhs;
    if (!index_bounds(v, var_lo, var_hi, &a, &b))
      return false;
    if (k->value < 0) {
      int64_t t = a;
      a = b;
      b = t;
    }
    return !__builtin_mul_overflow(k->value, a, lo) && !__builtin_mul_overflow(k->value, b, hi);
  }
  case IX_DIV:
    if (!index_bounds(ix->lhs, var_lo, var_hi, &a, &b))
      return false;
    *lo = floor_div(a, ix->rhs->value);
    *hi = floor_div(b, ix->rhs->value);
    return true;
  case IX_MOD:
    if (!index_bounds(ix->lhs, var_lo, var_hi, &a, &b))
      return false;
    if (floor_div(a, ix->rhs->value) == floor_div(b, ix->rhs->value)) {
      *lo = floor_mod(a, ix->rhs->value); /* no wrap-around inside the range */
      *hi = floor_mod(b, ix->rhs->value);
    } else {
      *lo = 0;
      *hi = ix->rhs->value - 1;
    }
    return true;
  }
  return false;
}

RangeFact access_range(const LBuffer *buf, Index *const *index, const int64_t *var_lo,
                       const int64_t *var_hi) {
  RangeFact fact = RANGE_INSIDE;
  for (int d = 0; d < buf->rank; d++) {
    int64_t lo, hi;
    if (!index_bounds(index[d], var_lo, var_hi, &lo, &hi))
      return RANGE_MIXED; /* unproven: the access keeps its check */
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
    return !__builtin_sub_overflow(0, a, coef);
  case IX_ADD:
  case IX_SUB:
    if (!index_linear_in(ix->lhs, var, &a) || !index_linear_in(ix->rhs, var, &b))
      return false;
    return ix->kind == IX_ADD ? !__builtin_add_overflow(a, b, coef)
                              : !__builtin_sub_overflow(a, b, coef);
  case IX_MUL:
    if (!index_linear_in(ix->lhs, var, &a) || !index_linear_in(ix->rhs, var, &b))
      return false;
    return ix->lhs->kind == IX_CONST ? !__builtin_mul_overflow(ix->lhs->value, b, coef)
                                     : !__builtin_mul_overflow(a, ix->rhs->value, coef);
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

bool expr_any(const Expr *x, bool (*pred)(const Expr *)) {
  if (!x)
    return false;
  if (pred(x))
    return true;
  for (int i = 0; i < x->nargs; i++)
    if (expr_any(x->arg[i], pred))
      return true;
  return false;
}

bool expr_is_reduce(const Expr *x) { return x->kind == EX_REDUCE; }
bool expr_is_index_value(const Expr *x) { return x->kind == EX_INDEX; }

bool expr_is_product_sum(const Expr *x) {
  return x->kind == EX_REDUCE && x->reduce == RED_SUM && x->nrvars == 1 &&
         x->arg[0]->kind == EX_BINARY && x->arg[0]->op == OP_MUL &&
         x->arg[0]->arg[0]->kind == EX_READ && x->arg[0]->arg[1]->kind == EX_READ;
}

const Expr *expr_find_read(const Expr *x, const Tensor *t) {
  if (!x)
    return NULL;
  if (x->kind == EX_READ && x->tensor == t)
    return x;
  for (int i = 0; i < x->nargs; i++) {
    const Expr *r = expr_find_read(x->arg[i], t);
    if (r)
      return r;
  }
  return NULL;
}

bool einsum_is_lhs_var(const Einsum *e, int v) {
  for (int d = 0; d < e->out->rank; d++)
    if (e->lhs[d] == v)
      return true;
  return false;
}
