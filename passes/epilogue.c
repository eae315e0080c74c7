/* The epilogue pass (--fusion auto): an Einsum whose right side is one
 * reduction under elementwise work, as a contraction under a bias, a
 * residual or an activation usually is
 *     y[l, d] = x[l, d] + sum(e: g[l, e] * W[e, d])
 * is marked so that the CPU lowers it as the bare reduction accumulated in
 * place into y (blocked like any contraction) followed by the elementwise
 * rest over y's elements, instead of a dot product per element. */
#include "passes/passes.h"

static int count_reductions(const Expr *x) {
  if (!x)
    return 0;
  int n = x->kind == EX_REDUCE;
  for (int i = 0; i < x->nargs; i++)
    n += count_reductions(x->arg[i]);
  return n;
}

/* The reduction's free variables are left-hand variables: they always are
 * (sema binds every other variable in a reduction). What matters is that
 * there is exactly one reduction and something around it. */
static bool has_epilogue_form(const Einsum *e) {
  return !e->rec && e->rhs->kind != EX_REDUCE && count_reductions(e->rhs) == 1;
}

bool pass_epilogue(Compilation *c) {
  if (c->fusion != FUSION_AUTO)
    return true;
  for (int i = 0; i < c->mapping->neinsums; i++) {
    EinsumMap *em = &c->mapping->einsums[i];
    if (!em->given_epilogue && has_epilogue_form(em->einsum))
      em->epilogue = true;
  }
  return true;
}
