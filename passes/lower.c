/* Lowering: every tensor is a DRAM buffer and each Einsum becomes one kernel.
 *
 * Three shapes of kernel:
 * - when the right side is a single reduction (a matmul, a row sum) and the
 *   Einsum is not a recurrence, the output is set to the reduction's
 *   identity and then accumulated in place over all variables, in an order
 *   that puts a unit-stride variable innermost so the vectorizer can take it;
 * - with the epilogue option, when the right side is a function of exactly
 *   one reduction (bias, residual, activation around a contraction), that
 *   reduction is accumulated in place the same way and the rest of the right
 *   side is then applied by an elementwise nest that reads the output back;
 * - otherwise the left-hand variables are looped over in order (a
 *   recurrence's rank increasing) and each reduction inside the expression
 *   is computed into a scalar temporary by its own inner loop nest.
 * With cache_tiling, accumulate nests are then tiled (passes/tile_cpu.c). */
#include <math.h>
#include <string.h>

#include "ir/loop.h"
#include "passes/lower_subst.h"
#include "passes/tile_cpu.h"

typedef struct Block {
  LNode *first, *last;
} Block;

typedef struct Lower {
  Arena *arena;
  LoopProgram *prog;
  const Einsum *e;
  Kernel *k;
  int cap_bufs;               /* of k->bufs */
  int64_t *full_lo, *full_hi; /* each variable's whole range in this Einsum */
  LExpr *init;                /* a recurrence's init, lowered once for all its self-reads */
  LowerOptions opt;
  /* Under an epilogue: the reduction accumulated into the output, and the
   * load of the output element that stands for it. */
  const Expr *accumulated;
  LExpr *accumulated_value;
} Lower;

static void append(Block *b, LNode *n) {
  if (!n)
    return;
  if (b->last)
    b->last->next = n;
  else
    b->first = n;
  b->last = n;
  while (b->last->next)
    b->last = b->last->next;
}

static LNode *new_node(Lower *L, LNodeKind kind) {
  LNode *n = arena_alloc(L->arena, sizeof *n);
  n->kind = kind;
  n->temp = -1;
  n->step = 1;
  n->tile = -1;
  return n;
}

static LNode *loop(Lower *L, int var, LNode *body) {
  LNode *n = new_node(L, LN_LOOP);
  n->var = var;
  n->extent = L->e->vars[var].extent;
  n->body = body;
  return n;
}

/* Wraps body in loops over vars[0..n), vars[0] outermost. */
static LNode *nest(Lower *L, const int *vars, int n, LNode *body) {
  for (int i = n - 1; i >= 0; i--)
    body = loop(L, vars[i], body);
  return body;
}

static LNode *store(Lower *L, LBuffer *buf, Index **index, int temp, Update u, LExpr *value) {
  LNode *n = new_node(L, LN_STORE);
  n->buf = buf;
  n->index = index;
  n->temp = temp;
  n->update = u;
  n->value = value;
  return n;
}

static LExpr *new_lexpr(Lower *L, LExprKind kind) {
  LExpr *x = arena_alloc(L->arena, sizeof *x);
  x->kind = kind;
  return x;
}

static LExpr *lconst(Lower *L, double v) {
  LExpr *x = new_lexpr(L, LX_CONST);
  x->value = v;
  return x;
}

static const Update reduce_update[RED_COUNT] = {UPD_ADD, UPD_MAX, UPD_MIN, UPD_MUL};

static double reduce_identity(ReduceOp r) {
  switch (r) {
  case RED_SUM:
    return 0.0;
  case RED_PROD:
    return 1.0;
  case RED_MAX:
    return -INFINITY;
  default:
    return INFINITY;
  }
}

/* ---- bounds ------------------------------------------------------------------ */

/* Whether buf[index] stays inside the buffer for every variable value in
 * [lo[v], hi[v]]: then code generation needs no check for this load. */
static bool in_bounds(const LBuffer *buf, Index **index, const int64_t *lo, const int64_t *hi) {
  return access_range(buf, index, lo, hi) == RANGE_INSIDE;
}

/* ---- expressions --------------------------------------------------------------- */

static LExpr *lower_expr(Lower *L, const Expr *x, Block *pre);

static LExpr *lower_reduce(Lower *L, const Expr *x, Block *pre) {
  int t = L->k->ntemps++;
  Block inner = {0};
  LExpr *body = lower_expr(L, x->arg[0], &inner);
  append(&inner, store(L, NULL, NULL, t, reduce_update[x->reduce], body));
  append(pre, store(L, NULL, NULL, t, UPD_SET, lconst(L, reduce_identity(x->reduce))));
  append(pre, nest(L, x->rvars, x->nrvars, inner.first));
  LExpr *r = new_lexpr(L, LX_TEMP);
  r->temp = t;
  return r;
}

static LExpr *lower_expr(Lower *L, const Expr *x, Block *pre) {
  LExpr *r;
  switch (x->kind) {
  case EX_CONST:
    return lconst(L, x->value);
  case EX_READ:
    r = new_lexpr(L, LX_LOAD);
    r->buf = L->prog->buffers[x->tensor->id];
    r->index = x->index;
    r->in_bounds = in_bounds(r->buf, x->index, L->full_lo, L->full_hi);
    /* A recurrence's read before its start gives init (0 without one). */
    if (x->tensor == L->e->out)
      r->pad = L->init;
    return r;
  case EX_INDEX:
    r = new_lexpr(L, LX_VAR);
    r->var = x->var;
    return r;
  case EX_REDUCE:
    if (x == L->accumulated)
      return L->accumulated_value;
    return lower_reduce(L, x, pre);
  case EX_UNARY:
  case EX_BINARY:
  case EX_CALL:
  case EX_SELECT:
    r = new_lexpr(L, x->kind == EX_UNARY    ? LX_UNARY
                     : x->kind == EX_BINARY ? LX_BINARY
                     : x->kind == EX_CALL   ? LX_CALL
                                            : LX_SELECT);
    r->op = x->op;
    r->func = x->func;
    r->nargs = x->nargs;
    for (int i = 0; i < x->nargs; i++)
      r->arg[i] = lower_expr(L, x->arg[i], pre);
    return r;
  }
  return NULL;
}

/* ---- loop order ---------------------------------------------------------------- */

static bool last_index_is(const Index *const *index, int rank, int var) {
  return rank > 0 && index[rank - 1]->kind == IX_VAR && index[rank - 1]->var == var;
}

/* Accesses for which `var` is the unit-stride (last) index. */
static int unit_stride_uses(const Expr *x, int var) {
  int n = 0;
  if (x->kind == EX_READ && last_index_is((const Index *const *)x->index, x->tensor->rank, var))
    n++;
  for (int i = 0; i < x->nargs; i++)
    n += unit_stride_uses(x->arg[i], var);
  return n;
}

/* All variables of an accumulate-in-place nest: the left-hand ones in order,
 * then the reduced ones, with the best unit-stride variable moved last (ties go
 * to a reduced variable, whose accumulator stays in a register). */
static int choose_order(Lower *L, const Expr *reduce, Index **out_index, int *order) {
  const Einsum *e = L->e;
  int n = 0;
  for (int i = 0; i < e->out->rank; i++)
    order[n++] = e->lhs[i];
  for (int i = 0; i < reduce->nrvars; i++)
    order[n++] = reduce->rvars[i];
  int best = -1, best_score = -1;
  for (int i = 0; i < n; i++) {
    int score = unit_stride_uses(reduce->arg[0], order[i]) +
                last_index_is((const Index *const *)out_index, e->out->rank, order[i]);
    if (score > best_score || (score == best_score && i >= e->out->rank)) {
      best = i;
      best_score = score;
    }
  }
  int v = order[best];
  memmove(order + best, order + best + 1, sizeof *order * (n - best - 1));
  order[n - 1] = v;
  return n;
}

/* ---- kernels ------------------------------------------------------------------- */

static Index **lhs_index(Lower *L) {
  const Einsum *e = L->e;
  Index **index = arena_alloc(L->arena, sizeof *index * (e->out->rank + 1));
  for (int i = 0; i < e->out->rank; i++) {
    index[i] = arena_alloc(L->arena, sizeof **index);
    index[i]->kind = IX_VAR;
    index[i]->var = e->lhs[i];
  }
  return index;
}

/* ---- register blocking ------------------------------------------------------------ */

/* How U copies of an update's value combine into one update. */
static LExpr *combine(Lower *L, Update upd, LExpr *a, LExpr *b) {
  LExpr *x = new_lexpr(L, upd == UPD_MAX || upd == UPD_MIN ? LX_CALL : LX_BINARY);
  x->nargs = 2;
  x->op = upd == UPD_MUL ? OP_MUL : OP_ADD;
  x->func = upd == UPD_MAX ? FN_MAX : FN_MIN;
  x->arg[0] = a;
  x->arg[1] = b;
  return x;
}

/* Unrolls the loop over `var` by U into the innermost body: each store that
 * writes through var becomes U stores; each that reduces over it becomes one
 * update of the U values combined. */
static LNode *jam(Lower *L, LNode *stores, int var, int64_t U) {
  Block b = {0};
  for (LNode *s = stores; s; s = s->next) {
    bool writes = false;
    for (int i = 0; i < s->buf->rank; i++)
      writes |= index_uses(s->index[i], var);
    if (writes) {
      for (int64_t u = 0; u < U; u++)
        append(&b,
               store(L, s->buf, lower_subst_indices(L->arena, s->index, s->buf->rank, var, U, u),
                     -1, s->update, lower_subst_lexpr(L->arena, s->value, var, U, u)));
    } else {
      LExpr *v = lower_subst_lexpr(L->arena, s->value, var, U, 0);
      for (int64_t u = 1; u < U; u++)
        v = combine(L, s->update, v, lower_subst_lexpr(L->arena, s->value, var, U, u));
      append(&b, store(L, s->buf, s->index, -1, s->update, v));
    }
  }
  return b.first;
}

/* After blocking, a load's range is known again from the nest's loops. */
static void refresh_bounds(Lower *L, LExpr *x, const int64_t *lo, const int64_t *hi) {
  for (int i = 0; i < x->nargs; i++)
    refresh_bounds(L, x->arg[i], lo, hi);
  if (x->kind != LX_LOAD)
    return;
  if (x->pad)
    refresh_bounds(L, x->pad, lo, hi);
  x->in_bounds = in_bounds(x->buf, x->index, lo, hi);
}

/* Register blocking for an accumulate-in-place nest whose innermost body is
 * one store: the two loops around the innermost one are unrolled by 4 and
 * jammed, so each vector of the innermost (unit-stride) loop feeds 16
 * multiply-adds from registers instead of one (a 4x4 block of the matmul). */
static void block_for_registers(Lower *L, LNode *outer, int depth) {
  enum { U = 4 };
  LNode *loops[16];
  int n = 0;
  for (LNode *x = outer; x && x->kind == LN_LOOP && n < 16; x = x->body) {
    if (x->next)
      return; /* not a perfect nest */
    loops[n++] = x;
  }
  if (n != depth || n < 2)
    return;
  LNode *inner = loops[n - 1];
  for (LNode *s = inner->body; s; s = s->next)
    if (s->kind != LN_STORE || !s->buf)
      return;
  for (int i = n - 2; i >= 0 && i >= n - 3; i--) {
    LNode *loop = loops[i];
    if (loop->extent % U != 0 || loop->extent < 2 * U)
      continue;
    inner->body = jam(L, inner->body, loop->var, U);
    loop->extent /= U;
  }
  int64_t *hi = arena_alloc(L->arena, sizeof *hi * (L->e->nvars + 1));
  memcpy(hi, L->full_hi, sizeof *hi * L->e->nvars);
  for (int i = 0; i < n; i++)
    hi[loops[i]->var] = loops[i]->extent - 1;
  for (LNode *s = inner->body; s; s = s->next)
    refresh_bounds(L, s->value, L->full_lo, hi);
}

/* out = identity, then out op= the reduction's body over every variable,
 * register-blocked and (with cache_tiling) tiled. */
static LNode *lower_accumulate(Lower *L, const Expr *r, LBuffer *out, Index **index) {
  const Einsum *e = L->e;
  Block b = {0};
  append(&b, nest(L, e->lhs, e->out->rank,
                  store(L, out, index, -1, UPD_SET, lconst(L, reduce_identity(r->reduce)))));
  int *order = arena_alloc(L->arena, sizeof *order * (e->out->rank + r->nrvars + 1));
  int n = choose_order(L, r, index, order);
  Block inner = {0};
  LExpr *body = lower_expr(L, r->arg[0], &inner);
  LNode *tiled = NULL;
  if (L->opt.cache_tiling && !inner.first) {
    TileCpuNest tn = {L->k,
                      order,
                      n,
                      out,
                      index,
                      reduce_update[r->reduce],
                      body,
                      L->prog->nbuffers,
                      L->opt.block_cols};
    tiled = tile_cpu_contraction(&tn, L->arena);
  }
  if (tiled) {
    append(&b, tiled);
    return b.first;
  }
  append(&inner, store(L, out, index, -1, reduce_update[r->reduce], body));
  LNode *main_nest = nest(L, order, n, inner.first);
  block_for_registers(L, main_nest, n);
  append(&b, main_nest);
  return b.first;
}

/* ---- contraction with epilogue ------------------------------------------------------- */

static bool expr_uses_var(const Expr *x, int var) {
  if (x->kind == EX_INDEX && x->var == var)
    return true;
  if (x->kind == EX_READ)
    for (int i = 0; i < x->tensor->rank; i++)
      if (index_uses(x->index[i], var))
        return true;
  for (int i = 0; i < x->nargs; i++)
    if (expr_uses_var(x->arg[i], var))
      return true;
  return false;
}

static void find_reductions(const Expr *x, const Expr **found, int *n) {
  if (x->kind == EX_REDUCE && (*n)++ == 0)
    *found = x;
  for (int i = 0; i < x->nargs; i++)
    find_reductions(x->arg[i], found, n);
}

static bool is_reduced_by(const Expr *r, int var) {
  for (int i = 0; i < r->nrvars; i++)
    if (r->rvars[i] == var)
      return true;
  return false;
}

/* The reduction an epilogue can be built around: the right side is not
 * itself a reduction, holds exactly one (nested or sibling reductions keep
 * the scalar path), the Einsum is not a recurrence (so the output is never
 * read on the right and its buffer can hold the partial sums), and every
 * variable the reduction leaves free is a left-hand one, so its value at an
 * output element is what the output holds there after accumulating.
 * A reduction under one branch of a select is accepted: it is computed for
 * every element, as the scalar path does too; only values flow out of it
 * (no traps, no stores), and the select still picks the branch per element,
 * so a non-finite value in the unchosen branch never reaches the result. */
static const Expr *epilogue_reduction(const Einsum *e) {
  if (e->rec || e->rhs->kind == EX_REDUCE)
    return NULL;
  const Expr *r = NULL;
  int n = 0;
  find_reductions(e->rhs, &r, &n);
  if (n != 1)
    return NULL;
  for (int v = 0; v < e->nvars; v++)
    if (!is_reduced_by(r, v) && !einsum_is_lhs_var(e, v) && expr_uses_var(r->arg[0], v))
      return NULL;
  return r;
}

/* The reduction accumulated in place into the output, then
 * out[lhs] = rhs with the reduction replaced by out[lhs], over the left-hand
 * variables in order (the last one unit-stride in out). */
static LNode *lower_epilogue(Lower *L, const Expr *r, LBuffer *out, Index **index) {
  const Einsum *e = L->e;
  Block b = {0};
  append(&b, lower_accumulate(L, r, out, index));
  LExpr *acc = new_lexpr(L, LX_LOAD);
  acc->buf = out;
  acc->index = index;
  acc->in_bounds = true;
  L->accumulated = r;
  L->accumulated_value = acc;
  Block inner = {0};
  LExpr *value = lower_expr(L, e->rhs, &inner);
  L->accumulated = NULL;
  append(&inner, store(L, out, index, -1, UPD_SET, value));
  append(&b, nest(L, e->lhs, e->out->rank, inner.first));
  return b.first;
}

static LNode *lower_elementwise(Lower *L, LBuffer *out, Index **index) {
  const Einsum *e = L->e;
  Block inner = {0};
  /* Before the right side, whose self-reads share it: a reduction in init
   * then runs once per element, not once per self-read (and not inside the
   * loop of a reduction that holds a self-read). */
  L->init = e->rec && e->rec->init ? lower_expr(L, e->rec->init, &inner) : NULL;
  LExpr *value = lower_expr(L, e->rhs, &inner);
  append(&inner, store(L, out, index, -1, UPD_SET, value));
  return nest(L, e->lhs, e->out->rank, inner.first);
}

static void add_buffer_use(Lower *L, LBuffer *b) {
  Kernel *k = L->k;
  for (int i = 0; i < k->nbufs; i++)
    if (k->bufs[i] == b)
      return;
  k->bufs = arena_reserve(L->arena, k->bufs, k->nbufs, &L->cap_bufs, sizeof *k->bufs);
  k->bufs[k->nbufs++] = b;
}

static void collect_buffers(Lower *L, const Expr *x) {
  if (x->kind == EX_READ)
    add_buffer_use(L, L->prog->buffers[x->tensor->id]);
  for (int i = 0; i < x->nargs; i++)
    collect_buffers(L, x->arg[i]);
}

static Kernel *lower_einsum(Lower *L, const Einsum *e) {
  Kernel *k = arena_alloc(L->arena, sizeof *k);
  k->id = e->id;
  k->name = e->out->name;
  k->einsum = e;
  k->nvars = e->nvars;
  k->var_names = arena_alloc(L->arena, sizeof *k->var_names * e->nvars);
  for (int i = 0; i < e->nvars; i++)
    k->var_names[i] = e->vars[i].name;
  k->bufs = NULL; /* grown by add_buffer_use: a kernel touches few of the buffers */
  L->cap_bufs = 0;
  L->e = e;
  L->k = k;
  L->full_lo = arena_alloc(L->arena, sizeof *L->full_lo * (e->nvars + 1));
  L->full_hi = arena_alloc(L->arena, sizeof *L->full_hi * (e->nvars + 1));
  for (int v = 0; v < e->nvars; v++)
    L->full_hi[v] = e->vars[v].extent - 1;
  LBuffer *out = L->prog->buffers[e->out->id];
  add_buffer_use(L, out);
  collect_buffers(L, e->rhs);
  if (e->rec && e->rec->init)
    collect_buffers(L, e->rec->init);
  Index **index = lhs_index(L);
  const Expr *r = L->opt.epilogue ? epilogue_reduction(e) : NULL;
  if (e->rhs->kind == EX_REDUCE && !e->rec)
    k->body = lower_accumulate(L, e->rhs, out, index);
  else if (r)
    k->body = lower_epilogue(L, r, out, index);
  else
    k->body = lower_elementwise(L, out, index);
  return k;
}

LoopProgram *lower_trivial(const Cascade *c, Arena *arena) {
  LowerOptions none = {.epilogue = false, .cache_tiling = false};
  return lower_program(c, &none, arena);
}

LoopProgram *lower_program(const Cascade *c, const LowerOptions *opt, Arena *arena) {
  LowerOptions *each = arena_alloc(arena, sizeof *each * ((size_t)c->neinsums + 1));
  for (int i = 0; i < c->neinsums; i++)
    each[i] = *opt;
  return lower_each(c, each, arena);
}

LoopProgram *lower_each(const Cascade *c, const LowerOptions *opt, Arena *arena) {
  LoopProgram *p = arena_alloc(arena, sizeof *p);
  p->cascade = c;
  for (int i = 0; i < c->neinsums; i++) {
    p->options.epilogue |= opt[i].epilogue;
    p->options.cache_tiling |= opt[i].cache_tiling;
  }
  p->nbuffers = c->ntensors;
  p->buffers = arena_alloc(arena, sizeof *p->buffers * (c->ntensors + 1));
  for (int i = 0; i < c->ntensors; i++) {
    Tensor *t = c->tensors[i];
    LBuffer *b = arena_alloc(arena, sizeof *b);
    b->id = i;
    b->name = t->name;
    b->tensor = t;
    b->role = t->role;
    b->level = MEM_DRAM;
    b->rank = t->rank;
    b->dims = t->dims;
    b->strides = arena_alloc(arena, sizeof *b->strides * (t->rank + 1));
    int64_t stride = 1;
    for (int d = t->rank - 1; d >= 0; d--) {
      b->strides[d] = stride;
      stride *= t->dims[d];
    }
    b->elements = stride;
    p->buffers[i] = b;
  }
  p->nkernels = c->neinsums;
  p->kernels = arena_alloc(arena, sizeof *p->kernels * (c->neinsums + 1));
  Lower L = {.arena = arena, .prog = p};
  for (int i = 0; i < c->neinsums; i++) {
    L.opt = opt[i];
    p->kernels[i] = lower_einsum(&L, c->einsums[i]);
  }
  return p;
}
