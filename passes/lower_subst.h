/* Substituting U*var + u for a loop variable in Loop IR indices and values:
 * how register blocking and the CPU micro-kernels unroll a loop into its
 * body (passes/lower_subst.c). */
#ifndef EINC_LOWER_SUBST_H
#define EINC_LOWER_SUBST_H

#include "ir/loop.h"

/* ix with var replaced by U*var + u; unchanged subtrees are shared. */
Index *lower_subst_index(Arena *arena, Index *ix, int var, int64_t U, int64_t u);
Index **lower_subst_indices(Arena *arena, Index **index, int rank, int var, int64_t U, int64_t u);
/* A copy of x with the substitution made in every load's index and every
 * use of var as a number. Loads lose in_bounds: their ranges change. */
LExpr *lower_subst_lexpr(Arena *arena, const LExpr *x, int var, int64_t U, int64_t u);

#endif
