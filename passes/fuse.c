/* The fusion pass: every group of the mapping's fused_groups is computed
 * together. Today a group is carried out by inlining: each member but the
 * last is an elementwise producer, and its expression is substituted for
 * every read of it in the later members, so the producer's tensor is never
 * stored at all (no DRAM traffic, no buffer):
 *     dA[l, e, n] = exp(dt[l, e] * A[e, n])
 *     h[l, e, n]  = dA[l, e, n] * h[l - 1, e, n] + dBu[l, e, n]
 * becomes h[l, e, n] = exp(dt[l, e] * A[e, n]) * h[l - 1, e, n] + ...
 *
 * Under --fusion auto, without fused_groups in a mapping file, the pass
 * forms the groups itself: every producer that can be inlined into its only
 * reader joins that reader's group. A group it cannot carry out is refused
 * with the dependence that stops it. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend/accel/accel.h"
#include "passes/passes.h"

typedef struct Fuse {
  Compilation *c;
  const FusedGroup *group; /* for messages; NULL for the groups formed here */
} Fuse;

/* ---- reads ------------------------------------------------------------------ */

typedef struct Read {
  const Einsum *in;   /* the Einsum that reads */
  const Expr *at;     /* the read */
  const Expr *reduce; /* the innermost reduction around it, or NULL */
  int depth;          /* how many reductions are around it */
} Read;

typedef struct Reads {
  Read r[8];
  int n; /* all of them, even past 8 */
} Reads;

static void find_reads(const Einsum *e, const Expr *x, const Tensor *t, const Expr *reduce,
                       int depth, Reads *out) {
  if (!x)
    return;
  if (x->kind == EX_READ && x->tensor == t) {
    if (out->n < 8)
      out->r[out->n] = (Read){e, x, reduce, depth};
    out->n++;
  }
  bool r = x->kind == EX_REDUCE;
  for (int i = 0; i < x->nargs; i++)
    find_reads(e, x->arg[i], t, r ? x : reduce, depth + r, out);
}

/* The Einsums the fuse pass has inlined so far (not yet removed from the
 * cascade), whose reads no longer count; NULL before it starts. */
static const bool *inlined;

static Reads reads_of(const Cascade *c, const Tensor *t) {
  Reads r = {0};
  for (int i = 0; i < c->neinsums; i++) {
    const Einsum *e = c->einsums[i];
    if (e->out == t || (inlined && inlined[i]))
      continue; /* a recurrence's reads of its earlier steps */
    find_reads(e, e->rhs, t, NULL, 0, &r);
    if (e->rec)
      find_reads(e, e->rec->init, t, NULL, 0, &r);
  }
  return r;
}

static bool in_group(const FusedGroup *g, const Einsum *e, int after) {
  for (int i = after + 1; i < g->n; i++)
    if (g->members[i] == e)
      return true;
  return false;
}

/* Whether a read of producer p stays inside p for every value of the
 * reader's variables: then the substituted expression is p's value there,
 * where an out-of-range read would have given 0. */
static bool read_in_range(const Einsum *reader, const Expr *read, const Tensor *p, Arena *arena,
                          int *bad_dim) {
  int64_t *lo = arena_alloc(arena, sizeof *lo * ((size_t)reader->nvars + 1));
  int64_t *hi = arena_alloc(arena, sizeof *hi * ((size_t)reader->nvars + 1));
  for (int v = 0; v < reader->nvars; v++)
    hi[v] = reader->vars[v].extent - 1;
  for (int d = 0; d < p->rank; d++) {
    int64_t a, b;
    if (!index_bounds(read->index[d], lo, hi, &a, &b) || a < 0 || b >= p->dims[d]) {
      *bad_dim = d;
      return false;
    }
  }
  return true;
}

/* ---- legality --------------------------------------------------------------- */

/* A left-hand variable of the reader that the read's indices do not use
 * (the producer's value would be computed once per value of it), or -1. */
static int missing_var(const Einsum *reader, const Expr *read) {
  for (int d = 0; d < reader->out->rank; d++) {
    int v = reader->lhs[d];
    bool used = false;
    for (int k = 0; k < read->tensor->rank && !used; k++)
      used = index_uses(read->index[k], v);
    if (!used)
      return v;
  }
  return -1;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool
refuse(Fuse *f, const Einsum *p, const char *fmt, ...) {
  if (!f->group)
    return false; /* forming groups: just do not fuse */
  char text[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  (void)p;
  diag_error(f->c->diag, f->group->loc, "fused_groups: %s", text);
  return false;
}

static bool lhs_distinct(const Einsum *e) {
  for (int i = 0; i < e->out->rank; i++)
    for (int j = 0; j < i; j++)
      if (e->lhs[i] == e->lhs[j])
        return false;
  return true;
}

/* Whether p's index values (EX_INDEX) can follow a read: each left-hand
 * variable whose value p uses is read at a plain variable. */
static bool index_values_follow(const Einsum *p, const Expr *x, const Expr *read) {
  if (!x)
    return true;
  if (x->kind == EX_INDEX)
    for (int d = 0; d < p->out->rank; d++)
      if (p->lhs[d] == x->var && read->index[d]->kind != IX_VAR)
        return false;
  for (int i = 0; i < x->nargs; i++)
    if (!index_values_follow(p, x->arg[i], read))
      return false;
  return true;
}

/* Whether producer p (member `at` of group g, or any reader's when g is a
 * group being formed) can be inlined into the later members; false after a
 * message when f->group is set. */
static bool can_inline(Fuse *f, const Einsum *p, const FusedGroup *g, int at) {
  const char *name = p->out->name;
  if (p->out->role == ROLE_OUTPUT)
    return refuse(f, p,
                  "'%s' is an output of the model: it must reach DRAM, so it cannot be "
                  "fused into a later Einsum",
                  name);
  if (p->rec)
    return refuse(f, p,
                  "'%s' is a recurrence along '%s': a later Einsum cannot compute it, since each "
                  "of its steps needs the state the previous one left (only elementwise "
                  "producers are fused into their readers)",
                  name, p->vars[recurrence_var(p)].name);
  if (!lhs_distinct(p))
    return refuse(f, p, "'%s' repeats a variable on its left side", name);
  Reads rs = reads_of(f->c->cascade, p->out);
  if (rs.n == 0)
    return refuse(f, p, "'%s' is read by no later Einsum", name);
  if (rs.n > 8)
    return refuse(f, p, "'%s' is read %d times: fusing it would compute it %d times", name, rs.n,
                  rs.n);
  if (!f->group && rs.n > 1)
    return false; /* formed groups recompute nothing */
  /* A reduction read once, at every one of its reader's ranks and outside
   * the reader's reductions, is computed once per element there too: the
   * contraction under a bias, residual or activation becomes one Einsum
   * (the epilogue on the contraction's tile). Read twice, it would be
   * reduced twice. */
  if (expr_any(p->rhs, expr_is_reduce) && rs.n > 1)
    return refuse(f, p,
                  "'%s' is a reduction read %d times: fusing it would compute it once per read",
                  name, rs.n);
  for (int i = 0; i < rs.n; i++) {
    const Read *r = &rs.r[i];
    if (g && !in_group(g, r->in, at))
      return refuse(f, p, "'%s' is also read by '%s', which is not a later member of its group",
                    name, r->in->out->name);
    if (r->reduce)
      return refuse(f, p,
                    "'%s' reads '%s' inside a reduction over '%s': fusing would recompute it for "
                    "every value of the reduction",
                    r->in->out->name, name, r->in->vars[r->reduce->rvars[0]].name);
    if (r->in->out->dtype != p->out->dtype)
      return refuse(f, p,
                    "'%s' is %s and its reader '%s' is %s: fusing it would compute it in the "
                    "reader's type",
                    name, dtype_name(p->out->dtype), r->in->out->name,
                    dtype_name(r->in->out->dtype));
    int missing = missing_var(r->in, r->at);
    if (missing >= 0)
      return refuse(f, p,
                    "'%s' reads '%s' at indices without its rank '%s': fusing would compute '%s' "
                    "again for every value of '%s'",
                    r->in->out->name, name, r->in->vars[missing].name, name,
                    r->in->vars[missing].name);
    int d;
    if (!read_in_range(r->in, r->at, p->out, f->c->arena, &d))
      return refuse(f, p,
                    "'%s' reads '%s' outside its range along dimension %d (an offset read such "
                    "as x[l - 1]): fusing it would need a halo of neighbouring values, which is "
                    "not implemented yet",
                    r->in->out->name, name, d + 1);
    if (!index_values_follow(p, p->rhs, r->at))
      return refuse(f, p,
                    "'%s' uses the value of an index that '%s' reads at a computed position: "
                    "not implemented yet",
                    name, r->in->out->name);
  }
  return true;
}

/* Whether read r is `F[c...] = h[T - 1, c...]`: an Einsum that is nothing
 * but the scan's last step, every other rank of h at F's own variables in
 * order (Mamba's returned SSM state). */
static bool is_final_state(const Einsum *h, const Read *r) {
  const Einsum *F = r->in;
  if (F->rhs != r->at || F->rec || r->reduce || F->out->rank != h->out->rank - 1)
    return false;
  int k = 0;
  for (int d = 0; d < h->out->rank; d++) {
    const Index *ix = r->at->index[d];
    if (d == h->rec->pos) {
      if (ix->kind != IX_CONST || ix->value != h->out->dims[d] - 1)
        return false;
    } else if (ix->kind != IX_VAR || ix->var != F->lhs[k++]) {
      return false;
    }
  }
  return true;
}

/* The Einsum that takes scan h's final state (is_final_state), or NULL. */
const Einsum *fuse_final_state(const Cascade *c, const Einsum *h) {
  Reads all = reads_of(c, h->out);
  for (int i = 0; i < all.n && i < 8; i++)
    if (is_final_state(h, &all.r[i]))
      return all.r[i].in;
  return NULL;
}

/* Whether the scan h (member `at` of g) can be read out by the group's
 * last member y: h[t, c...] = A*h[t-1, c...] + B with no init, read once,
 * by y, at plain variables, inside a sum over the ranks y does not keep,
 * its time at a left-hand variable of y. Then y's tiles run the scan for
 * each value of the summed ranks, the states on chip. */
static bool can_read_out(Fuse *f, const Einsum *h, const Einsum *y) {
  const char *name = h->out->name, *yn = y->out->name;
  const Expr *A, *B;
  if (!h->rec || accel_mode(h, &A, &B) != ACCEL_SCAN)
    return refuse(f, h,
                  "'%s' is a recurrence that does not have the scan form h[t] = A*h[t-1] + B: "
                  "only a scan can be fused with its reader",
                  name);
  if (h->rec->init)
    return refuse(f, h,
                  "'%s' has an initial value (init): fusing a scan with one into its reader is "
                  "not implemented yet",
                  name);
  if (h->out->role == ROLE_OUTPUT)
    return refuse(f, h, "'%s' is an output of the model: it must reach DRAM", name);
  if (expr_any(h->rhs, expr_is_reduce))
    return refuse(f, h,
                  "the scan '%s' has a reduction in its step: fusing it into its reader is not "
                  "implemented yet",
                  name);
  if (y->rec)
    return refuse(f, h, "'%s' is a recurrence itself: a scan is fused only into a plain reader",
                  yn);
  Reads all = reads_of(f->c->cascade, h->out);
  /* Besides y, one reader may take the final state: its state is on chip
   * at the end, and the backend stores it there. */
  Reads rs = {0};
  int finals = 0;
  for (int i = 0; i < all.n && i < 8; i++) {
    if (all.r[i].in != y && is_final_state(h, &all.r[i]) && finals == 0) {
      finals++;
      continue;
    }
    rs.r[rs.n++] = all.r[i];
  }
  if (all.n > 8 || rs.n != 1)
    return refuse(f, h,
                  "the scan '%s' is read %d times: it is fused only into its one reader (and one "
                  "Einsum that takes its final state)",
                  name, all.n);
  if (rs.r[0].in != y)
    return refuse(f, h,
                  "the scan '%s' is read by '%s', not by the group's last Einsum '%s': a scan is "
                  "fused only into its reader, which ends the group",
                  name, rs.r[0].in->out->name, yn);
  const Read *r = &rs.r[0];
  if (r->reduce && r->reduce->reduce != RED_SUM)
    return refuse(f, h, "'%s' reads the scan '%s' inside a %s: only a sum is fused with a scan", yn,
                  name, reduce_name(r->reduce->reduce));
  /* The reader's tiles step the scan once per value of the sum's ranks: a
   * reduction around the sum, or a summed rank the scan does not have,
   * would evaluate the read (and advance the scan) more than once. */
  if (r->depth > 1)
    return refuse(f, h,
                  "'%s' reads the scan '%s' inside %d nested reductions: only one sum around "
                  "the read is fused with a scan",
                  yn, name, r->depth);
  for (int i = 0; r->reduce && i < r->reduce->nrvars; i++) {
    int v = r->reduce->rvars[i];
    bool used = false;
    for (int d = 0; d < h->out->rank; d++)
      used |= index_uses(r->at->index[d], v);
    if (!used)
      return refuse(f, h,
                    "'%s' sums the scan '%s' over '%s', which is not one of the scan's ranks: the "
                    "scan would be stepped once per value of it",
                    yn, name, y->vars[v].name);
  }
  int time_var = -1;
  for (int d = 0; d < h->out->rank; d++) {
    const Index *ix = r->at->index[d];
    if (ix->kind != IX_VAR)
      return refuse(f, h,
                    "'%s' reads the scan '%s' at a computed index in dimension %d: fusing it "
                    "needs plain variables there",
                    yn, name, d + 1);
    for (int e = 0; e < d; e++)
      if (r->at->index[e]->var == ix->var)
        return refuse(f, h, "'%s' reads the scan '%s' with a repeated variable", yn, name);
    if (d == h->rec->pos)
      time_var = ix->var;
  }
  bool kept = false;
  for (int d = 0; d < y->out->rank; d++)
    kept |= y->lhs[d] == time_var;
  int summed = 0;
  for (int d = 0; d < h->out->rank; d++) {
    bool on_lhs = false;
    for (int k = 0; k < y->out->rank; k++)
      on_lhs |= y->lhs[k] == r->at->index[d]->var;
    summed += !on_lhs;
  }
  if (finals && summed != 1)
    return refuse(f, h,
                  "'%s' takes the final state of the scan '%s', which '%s' sums over %d ranks: "
                  "storing the state is implemented for one summed rank only",
                  fuse_final_state(f->c->cascade, h)->out->name, name, yn, summed);
  if (!kept)
    return refuse(f, h,
                  "'%s' sums the scan '%s' over its time rank: the scan's steps would all be "
                  "needed at once",
                  yn, name);
  return true;
}

/* ---- substitution ----------------------------------------------------------- */

typedef struct Subst {
  Arena *arena;
  const Einsum *p;
  Index **at;  /* per dimension of p: the reader's index there */
  int *var_of; /* per variable of p that it reduces: the reader's new one */
} Subst;

static Index *subst_index(const Subst *s, const Index *ix) {
  if (ix->kind == IX_VAR)
    for (int d = 0; d < s->p->out->rank; d++)
      if (s->p->lhs[d] == ix->var)
        return s->at[d]; /* shared: Index trees are never modified in place */
  Index *r = arena_alloc(s->arena, sizeof *r);
  *r = *ix;
  if (ix->kind == IX_VAR)
    r->var = s->var_of[ix->var];
  if (ix->lhs)
    r->lhs = subst_index(s, ix->lhs);
  if (ix->rhs)
    r->rhs = subst_index(s, ix->rhs);
  return r;
}

static Expr *subst_expr(const Subst *s, const Expr *x) {
  Expr *r = arena_alloc(s->arena, sizeof *r);
  *r = *x;
  if (x->kind == EX_READ) {
    r->index = arena_alloc(s->arena, sizeof *r->index * ((size_t)x->tensor->rank + 1));
    for (int d = 0; d < x->tensor->rank; d++)
      r->index[d] = subst_index(s, x->index[d]);
  }
  if (x->kind == EX_INDEX) {
    r->var = s->var_of[x->var];
    for (int d = 0; d < s->p->out->rank; d++)
      if (s->p->lhs[d] == x->var)
        r->var = s->at[d]->var; /* a plain variable: can_inline checked */
  }
  if (x->kind == EX_REDUCE) {
    r->rvars = arena_alloc(s->arena, sizeof *r->rvars * ((size_t)x->nrvars + 1));
    for (int i = 0; i < x->nrvars; i++)
      r->rvars[i] = s->var_of[x->rvars[i]];
  }
  for (int i = 0; i < x->nargs; i++)
    r->arg[i] = subst_expr(s, x->arg[i]);
  return r;
}

static bool var_named(const Einsum *e, const char *name) {
  for (int v = 0; v < e->nvars; v++)
    if (strcmp(e->vars[v].name, name) == 0)
      return true;
  return false;
}

/* A new variable of `reader` for p's reduced variable v: same extent, the
 * same name unless the reader has one (then NAME_PRODUCER, NAME_PRODUCER2...),
 * so that the printed program still reads back. */
static int add_var(Arena *arena, Einsum *reader, const Einsum *p, int v) {
  IndexVar *vars = arena_alloc(arena, sizeof *vars * ((size_t)reader->nvars + 2));
  memcpy(vars, reader->vars, sizeof *vars * (size_t)reader->nvars);
  IndexVar nv = p->vars[v];
  if (var_named(reader, nv.name)) {
    size_t n = strlen(nv.name) + strlen(p->out->name) + 24;
    char *name = arena_alloc(arena, n);
    snprintf(name, n, "%s_%s", nv.name, p->out->name);
    for (int k = 2; var_named(reader, name); k++)
      snprintf(name, n, "%s_%s%d", nv.name, p->out->name, k);
    nv.name = name;
  }
  vars[reader->nvars] = nv;
  reader->vars = vars;
  return reader->nvars++;
}

/* x (of Einsum reader) with every read of p replaced by p's expression
 * there; the variables p reduces become new variables of the reader. */
static Expr *inline_into(Arena *arena, const Einsum *p, Einsum *reader, Expr *x) {
  if (!x)
    return NULL;
  if (x->kind == EX_READ && x->tensor == p->out) {
    Subst s = {arena, p, x->index, arena_alloc(arena, sizeof(int) * ((size_t)p->nvars + 1))};
    for (int v = 0; v < p->nvars; v++)
      s.var_of[v] = einsum_is_lhs_var(p, v) ? -1 : add_var(arena, reader, p, v);
    return subst_expr(&s, p->rhs);
  }
  for (int i = 0; i < x->nargs; i++)
    x->arg[i] = inline_into(arena, p, reader, x->arg[i]);
  return x;
}

/* ---- the cascade without the inlined Einsums -------------------------------- */

static void remove_inlined(Compilation *c, const bool *gone) {
  Cascade *k = c->cascade;
  Mapping *m = c->mapping;
  bool *tensor_gone = arena_alloc(c->arena, sizeof *tensor_gone * ((size_t)k->ntensors + 1));
  for (int i = 0; i < k->neinsums; i++)
    tensor_gone[k->einsums[i]->out->id] = gone[i];
  int ne = 0, nt = 0;
  EinsumMap *maps = arena_alloc(c->arena, sizeof *maps * ((size_t)k->neinsums + 1));
  for (int i = 0; i < k->neinsums; i++) {
    if (gone[i])
      continue;
    maps[ne] = m->einsums[i];
    k->einsums[ne] = k->einsums[i];
    k->einsums[ne]->id = ne;
    k->einsums[ne]->out->def = ne;
    ne++;
  }
  for (int i = 0; i < k->ntensors; i++) {
    if (tensor_gone[i])
      continue;
    k->tensors[nt] = k->tensors[i];
    k->tensors[nt]->id = nt;
    nt++;
  }
  k->neinsums = ne;
  k->ntensors = nt;
  m->einsums = maps;
  m->neinsums = ne;
}

/* The file's partitionings of variables that fusion brought into their
 * Einsum (a reduction inlined with its reduced rank). */
static bool resolve_pending(Compilation *c) {
  Mapping *m = c->mapping;
  for (int i = 0; i < m->neinsums; i++) {
    EinsumMap *em = &m->einsums[i];
    const Einsum *e = em->einsum;
    for (int j = 0; j < em->npending; j++) {
      const PendingShape *ps = &em->pending[j];
      int v = 0;
      while (v < e->nvars && strcmp(e->vars[v].name, ps->name) != 0)
        v++;
      if (v == e->nvars || einsum_is_lhs_var(e, v)) {
        diag_error(c->diag, ps->loc, "partitioning: %s: '%s' is not an index variable of '%s'",
                   e->out->name, ps->name, e->out->name);
        return false;
      }
      em->shape[v] = ps->shape;
    }
    em->npending = 0;
  }
  return true;
}

/* ---- the pass ---------------------------------------------------------------- */

static int count_reductions(const Expr *x) {
  if (!x)
    return 0;
  int n = x->kind == EX_REDUCE;
  for (int i = 0; i < x->nargs; i++)
    n += count_reductions(x->arg[i]);
  return n;
}

/* Whether reading out scan h in y's tiles leaves room for tiles wide
 * enough to keep the scan unit busy: scan.latency interleaved groups of its
 * lanes per state row. Without that (Mamba-2's 128 states per channel on
 * the default buffer) the tiles are so narrow that the scan waits on its
 * own latency and the read-out is slower than the unfused mapping (a cost
 * model will decide this: the mapping-search issue). */
static bool read_out_pays(const Compilation *c, const Einsum *h, const Einsum *y) {
  if (!c->arch)
    return true;
  const Expr *r = NULL;
  Reads rs = reads_of(c->cascade, h->out);
  for (int i = 0; i < rs.n && i < 8; i++)
    if (rs.r[i].in == y)
      r = rs.r[i].at;
  if (!r)
    return false;
  int64_t states = 1;
  for (int d = 0; d < h->out->rank; d++) {
    bool kept = false;
    for (int k = 0; k < y->out->rank; k++)
      kept |= y->lhs[k] == r->index[d]->var;
    if (!kept)
      states *= y->vars[r->index[d]->var].extent;
  }
  uint64_t wide = (uint64_t)c->arch->scan_lanes * c->arch->scan_latency;
  uint32_t slot = accel_slot_words(c->arch, y, accel_readout_live_tiles(y, h), false);
  return (uint64_t)states * wide <= slot;
}

/* The reader of scan h that is not its final-state Einsum, when there is
 * exactly one such. */
static const Einsum *main_reader(const Cascade *c, const Einsum *h) {
  Reads all = reads_of(c, h->out);
  const Einsum *r = NULL;
  bool final = false;
  for (int i = 0; i < all.n && i < 8; i++) {
    if (!final && is_final_state(h, &all.r[i])) {
      final = true;
      continue;
    }
    if (r)
      return NULL;
    r = all.r[i].in;
  }
  return all.n > 8 ? NULL : r;
}

/* Under auto, the groups: every inlinable producer with its only reader. */
static void form_groups(Compilation *c) {
  Cascade *k = c->cascade;
  Mapping *m = c->mapping;
  Fuse f = {c, NULL};
  int *group_of = arena_alloc(c->arena, sizeof(int) * ((size_t)k->neinsums + 1));
  FusedGroup *groups = arena_alloc(c->arena, sizeof *groups * ((size_t)k->neinsums + 1));
  /* Per group: the reductions its last member will hold. A reduction is
   * taken in only by a group that has none: one contraction under
   * elementwise work is the epilogue form; two would share one tile shape
   * (Mamba-1's z projection inside the scan's read-out tiles loaded its
   * operands again for every narrow tile: 76.4 M -> 79.9 M cycles). */
  int *reductions = arena_alloc(c->arena, sizeof(int) * ((size_t)k->neinsums + 1));
  int ng = 0;
  /* Readers come after their producers: go backwards, so that a producer
   * joins the group its reader already belongs to. */
  for (int i = k->neinsums - 1; i >= 0; i--) {
    const Einsum *e = k->einsums[i];
    group_of[i] = -1;
    /* A producer whose tiles a file gives is meant to be computed. */
    bool mine = !m->einsums[i].given_tiles;
    bool inline_it = mine && !e->rec && can_inline(&f, e, NULL, 0);
    bool read_out = false;
    const Einsum *reader_e = NULL;
    if (mine && e->rec) {
      reader_e = main_reader(k, e);
      read_out = reader_e && can_read_out(&f, e, reader_e) && read_out_pays(c, e, reader_e);
    }
    if (inline_it || read_out) {
      Reads rs = reads_of(k, e->out);
      int reader = read_out ? reader_e->id : rs.r[0].in->id;
      const FusedGroup *rg = &groups[group_of[reader]];
      int red = count_reductions(e->rhs);
      /* One scan per group; its reader is the last member or is inlined
       * into it. */
      bool fits = inline_it ? red == 0 || reductions[group_of[reader]] == 0 : !rg->readout;
      if (fits) {
        group_of[i] = group_of[reader];
        if (read_out)
          groups[group_of[i]].readout = e;
        else
          reductions[group_of[i]] += red;
      }
    }
    if (group_of[i] < 0) {
      group_of[i] = ng;
      groups[ng] =
          (FusedGroup){arena_alloc(c->arena, sizeof(const Einsum *) * ((size_t)k->neinsums + 1)), 0,
                       e->loc, NULL, NULL};
      reductions[ng] = count_reductions(e->rhs);
      ng++;
    }
    FusedGroup *g = &groups[group_of[i]];
    memmove(g->members + 1, g->members, sizeof *g->members * (size_t)g->n);
    g->members[0] = e;
    g->n++;
  }
  /* In program order of their first members. */
  m->ngroups = ng;
  m->groups = arena_alloc(c->arena, sizeof *m->groups * ((size_t)ng + 1));
  for (int j = 0; j < ng; j++)
    m->groups[j] = groups[ng - 1 - j];
}

static bool fuse_groups(Compilation *c) {
  Mapping *m = c->mapping;
  if (!m->groups_given && c->fusion == FUSION_AUTO)
    form_groups(c);
  Cascade *k = c->cascade;
  bool *gone = arena_alloc(c->arena, sizeof *gone * ((size_t)k->neinsums + 1));
  inlined = gone;
  for (int gi = 0; gi < m->ngroups; gi++) {
    FusedGroup *g = &m->groups[gi];
    Fuse f = {c, g};
    g->readout = NULL;
    g->final_state = NULL;
    /* Inline first: a scan's reader may itself be inlined into the last
     * member, which then reads the scan. */
    for (int i = 0; i + 1 < g->n; i++) {
      const Einsum *p = g->members[i];
      if (p->rec)
        continue;
      if (!can_inline(&f, p, g, i))
        return false;
      for (int j = i + 1; j < g->n; j++) {
        Einsum *r = k->einsums[g->members[j]->id];
        r->rhs = inline_into(c->arena, p, r, r->rhs);
        if (r->rec)
          r->rec->init = inline_into(c->arena, p, r, r->rec->init);
      }
      gone[p->id] = true;
    }
    for (int i = 0; i + 1 < g->n; i++) {
      const Einsum *p = g->members[i];
      if (!p->rec)
        continue;
      if (g->readout)
        return refuse(&f, p, "a group fuses at most one scan ('%s' and '%s')",
                      g->readout->out->name, p->out->name);
      if (!can_read_out(&f, p, g->members[g->n - 1]))
        return false;
      g->readout = p;
      g->final_state = fuse_final_state(k, p);
    }
  }
  /* Readers that gained the variables of a reduction they took in. */
  for (int i = 0; i < k->neinsums; i++) {
    EinsumMap *em = &m->einsums[i];
    if (em->nshape < k->einsums[i]->nvars) {
      int64_t *shape = arena_alloc(c->arena, sizeof *shape * ((size_t)k->einsums[i]->nvars + 1));
      memcpy(shape, em->shape, sizeof *shape * (size_t)em->nshape);
      em->shape = shape;
      em->nshape = k->einsums[i]->nvars;
    }
  }
  inlined = NULL;
  remove_inlined(c, gone);
  return resolve_pending(c);
}

bool pass_fuse(Compilation *c) {
  bool ok = fuse_groups(c);
  inlined = NULL;
  return ok;
}
