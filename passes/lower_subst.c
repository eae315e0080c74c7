/* Substituting U*var + u for a loop variable (passes/lower_subst.h). */
#include "passes/lower_subst.h"

static LExpr *constant(Arena *arena, double v) {
  LExpr *x = arena_alloc(arena, sizeof *x);
  *x = (LExpr){.kind = LX_CONST, .value = v};
  return x;
}

Index *lower_subst_index(Arena *arena, Index *ix, int var, int64_t U, int64_t u) {
  if (!index_uses(ix, var))
    return ix;
  Index *r = arena_alloc(arena, sizeof *r);
  if (ix->kind == IX_VAR) {
    Index *k = arena_alloc(arena, sizeof *k), *v = arena_alloc(arena, sizeof *v),
          *c = arena_alloc(arena, sizeof *c), *mul = arena_alloc(arena, sizeof *mul);
    *k = (Index){.kind = IX_CONST, .value = U};
    *v = (Index){.kind = IX_VAR, .var = var};
    *c = (Index){.kind = IX_CONST, .value = u};
    *mul = (Index){.kind = IX_MUL, .lhs = k, .rhs = v};
    *r = (Index){.kind = IX_ADD, .lhs = mul, .rhs = c};
    return r;
  }
  *r = *ix;
  r->lhs = ix->lhs ? lower_subst_index(arena, ix->lhs, var, U, u) : NULL;
  r->rhs = ix->rhs ? lower_subst_index(arena, ix->rhs, var, U, u) : NULL;
  return r;
}

Index **lower_subst_indices(Arena *arena, Index **index, int rank, int var, int64_t U, int64_t u) {
  Index **r = arena_alloc(arena, sizeof *r * (rank + 1));
  for (int i = 0; i < rank; i++)
    r[i] = lower_subst_index(arena, index[i], var, U, u);
  return r;
}

LExpr *lower_subst_lexpr(Arena *arena, const LExpr *x, int var, int64_t U, int64_t u) {
  LExpr *r = arena_alloc(arena, sizeof *r);
  *r = *x;
  if (x->kind == LX_LOAD) {
    r->index = lower_subst_indices(arena, x->index, x->buf->rank, var, U, u);
    r->in_bounds = false; /* decided again over the new ranges */
    if (x->pad)
      r->pad = lower_subst_lexpr(arena, x->pad, var, U, u);
  }
  if (x->kind == LX_VAR && x->var == var) {
    /* var as a number: U*var + u */
    LExpr *mul = arena_alloc(arena, sizeof *mul), *add = arena_alloc(arena, sizeof *add);
    *mul = (LExpr){.kind = LX_BINARY, .op = OP_MUL, .nargs = 2};
    mul->arg[0] = constant(arena, (double)U);
    mul->arg[1] = r;
    *add = (LExpr){.kind = LX_BINARY, .op = OP_ADD, .nargs = 2};
    add->arg[0] = mul;
    add->arg[1] = constant(arena, (double)u);
    return add;
  }
  for (int i = 0; i < x->nargs; i++)
    r->arg[i] = lower_subst_lexpr(arena, x->arg[i], var, U, u);
  return r;
}
