/* One Einsum under its mapping: the output is cut into the tiles the
 * mapping gives (its space ranks on a tile's rows and columns, the other
 * left-hand ranks stepped one value at a time, the tile loops in its loop
 * order); each tile's operands are loaded from DRAM, computed and stored.
 * With double buffering the buffer holds twice the slots one tile needs,
 * so the loads of the next tile go to free slots while this one computes.
 *
 * A recurrence of the form h[t] = A*h[t-1] + B runs on the scan unit with
 * time on the rows, carrying its state from one time tile to the next; any
 * other recurrence is evaluated one time step at a time, reading its
 * earlier steps back from DRAM. */
#include "backend/accel/gen.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool is_self_read(const Einsum *e, const Expr *x) {
  return x->kind == EX_READ && x->tensor == e->out;
}

static int count_self_reads(const Einsum *e, const Expr *x) {
  if (!x)
    return 0;
  int n = is_self_read(e, x);
  for (int i = 0; i < x->nargs; i++)
    n += count_self_reads(e, x->arg[i]);
  return n;
}

/* h[t] = A*h[t-1] + B (either order of either operation), or h[t-1] + B. */
static bool scan_form(const Einsum *e, const Expr **A, const Expr **B) {
  const Expr *r = e->rhs;
  if (e->rec->max_offset != 1 || count_self_reads(e, r) != 1)
    return false;
  if (r->kind != EX_BINARY || r->op != OP_ADD)
    return false;
  for (int s = 0; s < 2; s++) {
    const Expr *m = r->arg[s], *b = r->arg[1 - s];
    if (count_self_reads(e, b) != 0)
      continue;
    if (is_self_read(e, m)) {
      *A = NULL;
      *B = b;
      return true;
    }
    if (m->kind == EX_BINARY && m->op == OP_MUL)
      for (int t = 0; t < 2; t++)
        if (is_self_read(e, m->arg[t])) {
          *A = m->arg[1 - t];
          *B = b;
          return true;
        }
  }
  return false;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void print_tile_note(Gen *g, const Ctx *x) {
  const Einsum *e = x->e;
  char buf[400];
  size_t n = 0;
  n += (size_t)snprintf(buf + n, sizeof buf - n, "einsum %d: %s tile", e->id, e->out->name);
  for (int d = 0; d < e->out->rank && n < sizeof buf - 40; d++) {
    int v = e->lhs[d];
    const char *name = e->vars[v].name;
    if (v == x->row.var || v == x->col.var) {
      const Axis *a = v == x->row.var ? &x->row : &x->col;
      n += (size_t)snprintf(buf + n, sizeof buf - n, " %s=%lld..%lld", name, (long long)a->lo,
                            (long long)(a->lo + a->n - 1));
    } else {
      n += (size_t)snprintf(buf + n, sizeof buf - n, " %s=%lld", name, (long long)x->val[v]);
    }
  }
  gen_note(g, "%s", buf);
}

/* Makes r a row-major region with unit channel stride for the scan unit. */
static bool compact(Gen *g, Region *r, uint32_t nc) {
  if (r->nc == nc && (r->cs == 1 || nc == 1))
    return true;
  Region d;
  if (!region_alloc(g, r->nr, nc, &d))
    return false;
  vec_op(g, isa_op_by_mnemonic("v.copy")->opcode, &d, r, NULL, NULL, false, 0, d.nr, nc);
  region_free(g, r);
  *r = d;
  return true;
}

/* One scan instruction: y = the steps of h[t] = a*h[t-1] + b from the state
 * at h_addr (inside region h; zero when init), which it updates. */
static void emit_scan(Gen *g, const Region *a, const Region *b, const Region *y, const Region *h,
                      uint32_t h_addr, bool init) {
  uint32_t w[ISA_WORDS] = {0};
  isa_set(w, FLD_OPCODE, isa_op_by_mnemonic("scan")->opcode);
  isa_set(w, FLD_S_INIT, init);
  isa_set(w, FLD_S_T, y->nr);
  isa_set(w, FLD_S_C, y->nc);
  isa_set(w, FLD_S_A, a->addr);
  isa_set(w, FLD_S_ARS, a->rs);
  isa_set(w, FLD_S_B, b->addr);
  isa_set(w, FLD_S_BRS, b->rs);
  isa_set(w, FLD_S_Y, y->addr);
  isa_set(w, FLD_S_YRS, y->rs);
  isa_set(w, FLD_S_H, h_addr);
  Access acc[] = {{region_hazard(g, a), false},
                  {region_hazard(g, b), false},
                  {region_hazard(g, h), false},
                  {region_hazard(g, y), true},
                  {region_hazard(g, h), true}};
  emit(g, w, acc, 5);
}

/* The scan over every time tile of the current column tile (x->col as the
 * loops left it), its state carried on chip from one time tile to the next. */
static bool scan_tiles(Gen *g, Ctx *x, const Expr *A, const Expr *B) {
  const Einsum *e = x->e;
  int64_t T = e->vars[x->row.var].extent;
  int64_t tt = x->row.n;
  uint32_t nc = x->col.var >= 0 ? (uint32_t)x->col.n : 1;
  Region h;
  bool have_init = e->rec->init != NULL;
  x->row.lo = 0;
  x->row.n = 1;
  print_tile_note(g, x);
  if (!region_alloc(g, 1, nc, &h))
    return false;
  if (have_init) {
    Axis row = x->row;
    x->row.var = -1;
    Region init;
    bool ok = eval_expr(g, x, e->rec->init, &init);
    x->row = row;
    if (!ok)
      return false;
    vec_op(g, isa_op_by_mnemonic("v.copy")->opcode, &h, &init, NULL, NULL, false, 0, 1, nc);
    region_free(g, &init);
  }
  for (int64_t t0 = 0; t0 < T; t0 += tt) {
    uint32_t nt = (uint32_t)min64(tt, T - t0);
    x->row.lo = t0;
    x->row.n = nt;
    print_tile_note(g, x);
    Region a, b, y;
    if (g->failed)
      return false;
    if (A) {
      if (!eval_expr(g, x, A, &a) || !compact(g, &a, nc))
        return false;
    } else if (!pool_const(g, 1.0f, &a) || !compact(g, &a, nc)) {
      /* h[t-1] + B: a row of ones, which the scan reads with unit channel
       * stride (a single word gave the channels past the first whatever
       * followed it in the pool). */
      return false;
    }
    if (!eval_expr(g, x, B, &b) || !compact(g, &b, nc) || !region_alloc(g, nt, nc, &y))
      return false;
    emit_scan(g, &a, &b, &y, &h, h.addr, t0 == 0 && !have_init);
    store_tile(g, x, e->out, e->lhs, &y);
    region_free(g, &a);
    region_free(g, &b);
    region_free(g, &y);
  }
  region_free(g, &h);
  x->row.lo = 0;
  x->row.n = tt;
  return true;
}

/* One tile, as x says. */
static bool plain_tile(Gen *g, Ctx *x) {
  print_tile_note(g, x);
  Region r;
  if (g->failed || !eval_expr(g, x, x->e->rhs, &r))
    return false;
  store_tile(g, x, x->e->out, x->e->lhs, &r);
  region_free(g, &r);
  return true;
}

static uint64_t saturating_mul(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t tiles_along(const Ctx *x, const Axis *a) {
  if (a->var < 0)
    return 1;
  uint64_t n = (uint64_t)x->e->vars[a->var].extent, t = (uint64_t)a->n;
  return n / t + (n % t != 0);
}

/* The output tiles gen_einsum will store: every value of
 * the fixed variables times the tiles over the row and column axes. */
static uint64_t count_tiles(const Ctx *x, const int *fixed, int nfixed) {
  uint64_t n = saturating_mul(tiles_along(x, &x->row), tiles_along(x, &x->col));
  for (int i = 0; i < nfixed; i++)
    n = saturating_mul(n, (uint64_t)x->e->vars[fixed[i]].extent);
  return n;
}

/* Reads of other tensors in x: each is at least one DMA instruction per
 * tile (a load, or a zero fill where it falls outside). */
static uint64_t count_loads(const Einsum *e, const Expr *x) {
  uint64_t n = x->kind == EX_READ && !is_self_read(e, x);
  for (int i = 0; i < x->nargs; i++)
    n += count_loads(e, x->arg[i]);
  return n;
}

/* A lower bound on the instructions of the Einsum's tiles: a store per
 * tile and a load per read. A stepwise recurrence also loads each of its
 * self-reads back from DRAM at every time step from max_offset on (before
 * that it reads init); the scan unit keeps its state on chip. */
static uint64_t least_instructions(const Ctx *x, AccelMode mode, const int *fixed, int nfixed) {
  const Einsum *e = x->e;
  uint64_t tiles = count_tiles(x, fixed, nfixed);
  uint64_t n = saturating_mul(tiles, 1 + count_loads(e, e->rhs));
  if (mode == ACCEL_STEPWISE) {
    uint64_t T = (uint64_t)e->vars[recurrence_var(e)].extent, k = (uint64_t)e->rec->max_offset;
    uint64_t steps = T > k ? tiles / T * (T - k) : 0; /* time is one of the fixed variables */
    uint64_t self = saturating_mul(steps, (uint64_t)count_self_reads(e, e->rhs));
    n = n > UINT64_MAX - self ? UINT64_MAX : n + self;
  }
  return n;
}

AccelMode accel_mode(const Einsum *e, const Expr **A, const Expr **B) {
  *A = *B = NULL;
  if (!e->rec)
    return ACCEL_PLAIN;
  return scan_form(e, A, B) ? ACCEL_SCAN : ACCEL_STEPWISE;
}

/* The mapping's space ranks as a tile's rows and columns (-1: none). */
static void space_axes(const Einsum *e, const EinsumMap *em, AccelMode mode, int *row, int *col) {
  int time = e->rec ? recurrence_var(e) : -1;
  *row = *col = -1;
  if (em->nspace == 2) {
    *row = em->space[0];
    *col = em->space[1];
  } else if (em->nspace == 1) {
    /* One space rank is the columns, except a scan's time rank. */
    if (mode == ACCEL_SCAN && em->space[0] == time)
      *row = time;
    else
      *col = em->space[0];
  }
}

int accel_live_tiles(const Einsum *e, AccelMode mode, const EinsumMap *em) {
  if (em && mode == ACCEL_PLAIN && e->rhs->kind == EX_REDUCE) {
    /* A bare contraction on the matrix unit holds its output tile and one
     * chunk of each operand (eval_matmul), not the vector path's four. */
    int row, col;
    space_axes(e, em, mode, &row, &col);
    if (accel_is_contraction(e, e->rhs, row, col))
      return 3;
  }
  int need = regions_needed(e->rhs);
  if (e->rec && e->rec->init) {
    int n = regions_needed(e->rec->init) + 1;
    need = need > n ? need : n;
  }
  if (mode == ACCEL_SCAN)
    need += 3; /* the state, the output tile, one compacting copy */
  return need;
}

/* No region is larger than the whole iteration space: small Einsums get
 * small slots, so the peak buffer use reported is what they need. */
static uint64_t iteration_space(const Einsum *e) {
  uint64_t space = 1;
  for (int v = 0; v < e->nvars; v++)
    if (space < ((uint64_t)1 << 40))
      space *= (uint64_t)e->vars[v].extent;
  return space;
}

uint32_t accel_slot_words(const Arch *a, const Einsum *e, int live, bool double_buffer) {
  int n = live * (double_buffer ? 2 : 1);
  uint32_t pool, tiles;
  accel_buffer_layout(a, &pool, &tiles);
  uint64_t words = tiles / (uint32_t)n, space = iteration_space(e);
  return (uint32_t)(words < space ? words : space);
}

/* A tile loop of the mapping's time ranks: a fixed variable stepped one
 * value at a time, or the tiles of a space rank. */
typedef struct TimeLoop {
  int var;
  Axis *axis; /* NULL for a fixed variable */
  int64_t at, step, extent;
} TimeLoop;

/* Puts the loops' current values into the context. */
static void enter(Ctx *x, const TimeLoop *loops, int n) {
  for (int i = 0; i < n; i++) {
    const TimeLoop *t = &loops[i];
    if (t->axis)
      *t->axis = (Axis){t->var, t->at, min64(t->step, t->extent - t->at)};
    else
      x->val[t->var] = t->at;
  }
}

/* Advances the loops (an odometer, the last fastest); false at the end. */
static bool advance(TimeLoop *loops, int n) {
  for (int i = n - 1; i >= 0; i--) {
    loops[i].at += loops[i].step;
    if (loops[i].at < loops[i].extent)
      return true;
    loops[i].at = 0;
  }
  return false;
}

static void axis_from_mapping(Axis *a, const Einsum *e, const EinsumMap *em, int var) {
  *a = (Axis){var, 0, 1};
  if (var >= 0)
    a->n = em->shape[var] ? min64(em->shape[var], e->vars[var].extent) : e->vars[var].extent;
}

/* The mapping's axes and loops for e, checked against what the mode
 * needs; false after a message. */
static bool setup_loops(Gen *g, Ctx *x, const EinsumMap *em, AccelMode mode, TimeLoop *loops,
                        int *nloops) {
  const Einsum *e = x->e;
  int time = e->rec ? recurrence_var(e) : -1;
  int row, col;
  space_axes(e, em, mode, &row, &col);
  if (mode == ACCEL_SCAN && row != time) {
    gen_internal(g, "a scan's time rank is not on its tiles' rows");
    return false;
  }
  if (mode == ACCEL_STEPWISE && (row == time || col == time)) {
    gen_internal(g, "a stepwise recurrence's time rank is a space rank");
    return false;
  }
  axis_from_mapping(&x->row, e, em, row);
  axis_from_mapping(&x->col, e, em, col);
  if ((uint64_t)x->row.n > ACCEL_MAX_EXTENT || (uint64_t)x->col.n > ACCEL_MAX_EXTENT ||
      (uint64_t)x->row.n * (uint64_t)x->col.n > g->slot_words) {
    diag_error(g->diag, em->loc,
               "a tile of the Einsum defining '%s' (%lld rows x %lld columns = %llu words) does "
               "not fit a tile slot of %u words: the buffer's %u words for tiles (buffer.bytes = "
               "%llu) hold %d slots for this Einsum, and an instruction takes at most %d rows and "
               "%d columns",
               e->out->name, (long long)x->row.n, (long long)x->col.n,
               (unsigned long long)x->row.n * (unsigned long long)x->col.n, g->slot_words,
               g->tile_words, (unsigned long long)g->arch->buf_bytes, g->nslots, ACCEL_MAX_EXTENT,
               ACCEL_MAX_EXTENT);
    g->failed = true;
    return false;
  }
  *nloops = 0;
  int ntime = em->norder - em->nspace;
  for (int i = 0; i < ntime; i++) {
    LoopRank r = em->order[i];
    TimeLoop t = {r.var, NULL, 0, 1, e->vars[r.var].extent};
    if (r.part == RANK_OUTER) {
      t.axis = r.var == row ? &x->row : r.var == col ? &x->col : NULL;
      if (!t.axis) {
        gen_internal(g, "a tile loop over a rank that is not a space rank");
        return false;
      }
      t.step = t.axis->n;
      if (mode == ACCEL_SCAN && r.var == time) {
        /* scan_tiles steps through time itself, innermost. */
        if (i != ntime - 1) {
          gen_internal(g, "a scan's time tiles are not the innermost loop");
          return false;
        }
        continue;
      }
    } else {
      x->fixed[r.var] = true;
    }
    loops[(*nloops)++] = t;
  }
  /* A left-hand rank the loop order leaves out (the tiling pass orders at
   * most 64) is stepped one value at a time, innermost: every output
   * element is computed whatever the output's rank. */
  for (int d = 0; d < e->out->rank; d++) {
    int v = e->lhs[d];
    if (v == x->row.var || v == x->col.var || x->fixed[v])
      continue;
    x->fixed[v] = true;
    loops[(*nloops)++] = (TimeLoop){v, NULL, 0, 1, e->vars[v].extent};
  }
  return true;
}

/* The scans in flight for reader y: one per value of the ranks y sums the
 * scan over (the read's variables that are not y's left-hand ones). */
static int64_t scan_states(const Einsum *y, const Einsum *h) {
  const Expr *r = expr_find_read(y->rhs, h->out);
  int64_t n = 1;
  for (int d = 0; r && d < h->out->rank; d++)
    if (!einsum_is_lhs_var(y, r->index[d]->var))
      n *= y->vars[r->index[d]->var].extent;
  return n;
}

/* Reads in x that use none of the stepped variables. */
static int invariant_reads(const Expr *x, const bool *stepped, int nvars) {
  if (!x)
    return 0;
  int n = 0;
  if (x->kind == EX_READ) {
    bool uses = false;
    for (int v = 0; v < nvars; v++)
      uses |= stepped[v] && expr_uses(x, v);
    n += !uses;
  }
  for (int i = 0; i < x->nargs; i++)
    n += invariant_reads(x->arg[i], stepped, nvars);
  return n;
}

/* The scan's variables that reader y sums over (stepped), and how many
 * loads of its step use none of them: those are kept for the tile. */
static int memo_capacity(const Einsum *y, const Einsum *h, bool *stepped) {
  const Expr *r = expr_find_read(y->rhs, h->out), *A, *B;
  for (int d = 0; r && d < h->out->rank; d++)
    stepped[h->lhs[d]] = !einsum_is_lhs_var(y, r->index[d]->var);
  accel_mode(h, &A, &B);
  int n = invariant_reads(A, stepped, h->nvars) + invariant_reads(B, stepped, h->nvars);
  return n < 8 ? n : 8;
}

int accel_readout_live_tiles(const Einsum *y, const Einsum *h) {
  bool *stepped = calloc((size_t)h->nvars + 1, 1);
  int n = accel_live_tiles(y, ACCEL_PLAIN, NULL) + accel_live_tiles(h, ACCEL_SCAN, NULL) + 1 +
          memo_capacity(y, h, stepped);
  free(stepped);
  return n;
}

static void memo_setup(Gen *g, const Einsum *y, const Einsum *h, bool *stepped) {
  g->memo_cap = memo_capacity(y, h, stepped);
  g->memo_stepped = stepped;
  g->nmemo = 0;
  g->memo = calloc((size_t)g->memo_cap + 1, sizeof *g->memo);
}

bool gen_scan_read(Gen *g, const Ctx *x, const Expr *read, Region *out) {
  const Einsum *h = g->scan, *y = x->e;
  const Expr *A, *B;
  accel_mode(h, &A, &B);
  int64_t *whole = calloc((size_t)h->nvars + 1, sizeof(int64_t)); /* h has no reductions */
  Ctx xh = {h,
            whole,
            calloc((size_t)h->nvars + 1, sizeof(int64_t)),
            calloc((size_t)h->nvars + 1, 1),
            {-1, 0, 1},
            {-1, 0, 1}};
  int64_t state = 0;
  bool ok = g->have_states;
  for (int d = 0; ok && d < h->out->rank; d++) {
    int yv = read->index[d]->var, hv = h->lhs[d];
    if (yv == x->row.var && d == h->rec->pos) {
      xh.row = (Axis){hv, x->row.lo, x->row.n};
    } else if (yv == x->col.var && d != h->rec->pos) {
      xh.col = (Axis){hv, x->col.lo, x->col.n};
    } else if (x->fixed[yv] && d != h->rec->pos) {
      xh.fixed[hv] = true;
      xh.val[hv] = x->val[yv];
      if (!einsum_is_lhs_var(y, yv))
        state = state * y->vars[yv].extent + x->val[yv];
    } else {
      ok = false;
    }
  }
  uint32_t nt = (uint32_t)xh.row.n, nc = xh.col.var >= 0 ? (uint32_t)xh.col.n : 1;
  Region a, b, yr;
  if (!ok)
    gen_internal(g, "a scan read out over tiles that do not follow its ranks");
  else if (A)
    ok = eval_expr(g, &xh, A, &a) && compact(g, &a, nc);
  else
    ok = pool_const(g, 1.0f, &a) && compact(g, &a, nc); /* a row of ones, as in scan_tiles */
  ok = ok && eval_expr(g, &xh, B, &b) && compact(g, &b, nc) && region_alloc(g, nt, nc, &yr);
  if (ok) {
    Region *s = &g->scan_states;
    emit_scan(g, &a, &b, &yr, s, s->addr + (uint32_t)state * s->rs, x->row.lo == 0);
    region_free(g, &a);
    region_free(g, &b);
    *out = yr;
  }
  free(whole);
  free(xh.val);
  free(xh.fixed);
  return ok && !g->failed;
}

/* Stores the read-out scan's states after its last time step to the
 * final-state Einsum F[c...] = h[T-1, c...]: the state rows are the one rank
 * the reader sums over, the columns the reader's column tile, the other
 * ranks the reader's fixed values. */
static bool store_final_state(Gen *g, const Ctx *x) {
  const Einsum *h = g->scan, *F = g->final_state, *y = x->e;
  const Expr *read = expr_find_read(y->rhs, h->out);
  Ctx xf = {F,
            NULL,
            calloc((size_t)F->nvars + 1, sizeof(int64_t)),
            calloc((size_t)F->nvars + 1, 1),
            {-1, 0, 1},
            {-1, 0, 1}};
  bool ok = true;
  for (int d = 0, k = 0; d < h->out->rank; d++) {
    if (d == h->rec->pos)
      continue;
    int fv = F->lhs[k++], yv = read->index[d]->var;
    if (yv == x->col.var)
      xf.col = (Axis){fv, x->col.lo, x->col.n};
    else if (!einsum_is_lhs_var(y, yv))
      xf.row = (Axis){fv, 0, y->vars[yv].extent};
    else if (x->fixed[yv]) {
      xf.fixed[fv] = true;
      xf.val[fv] = x->val[yv];
    } else
      ok = false;
  }
  if (ok)
    store_tile(g, &xf, F->out, F->lhs, &g->scan_states);
  else
    gen_internal(g, "a final state over ranks its reader's tiles do not follow");
  free(xf.val);
  free(xf.fixed);
  return ok;
}

bool gen_einsum(Gen *g, const Kernel *k, const EinsumMap *em, const Einsum *scan) {
  const Einsum *e = k->einsum;
  g->einsum = e;
  g->scan = scan;
  g->map_loc = em->loc;
  Ctx x = {e,
           em->shape,
           calloc((size_t)e->nvars + 1, sizeof(int64_t)),
           calloc((size_t)e->nvars + 1, 1),
           {-1, 0, 1},
           {-1, 0, 1}};
  TimeLoop *loops = calloc((size_t)em->norder + (size_t)e->out->rank + 1, sizeof *loops);
  const Expr *A, *B;
  AccelMode mode = accel_mode(e, &A, &B);
  int need = scan ? accel_readout_live_tiles(e, scan) : accel_live_tiles(e, mode, em);
  bool *stepped = scan ? calloc((size_t)scan->nvars + 1, 1) : NULL;
  if (scan)
    memo_setup(g, e, scan, stepped);
  need *= em->double_buffer ? 2 : 1;
  bool ok = slots_setup(g, need, iteration_space(e));
  if (!ok)
    diag_error(g->diag, em->loc,
               "the Einsum defining '%s' needs %d on-chip tiles at once%s, but the buffer has only "
               "%u words for tiles (buffer.bytes = %llu)",
               e->out->name, need, em->double_buffer ? " (double buffered)" : "", g->tile_words,
               (unsigned long long)g->arch->buf_bytes);
  int nloops = 0;
  ok = ok && setup_loops(g, &x, em, mode, loops, &nloops);
  int *fixed = calloc((size_t)nloops + 1, sizeof *fixed), nfixed = 0;
  for (int i = 0; i < nloops; i++)
    if (!loops[i].axis)
      fixed[nfixed++] = loops[i].var;
  /* Refuse before the work a program the instruction limit will stop. */
  uint64_t least = ok ? least_instructions(&x, mode, fixed, nfixed) : 0;
  free(fixed);
  if (ok && least > accel_instr_limit - g->bin->instr_count) {
    gen_too_long(g, g->bin->instr_count + least);
    ok = false;
  }
  size_t first = g->bin->instr_count;
  if (ok) {
    int64_t states = scan ? scan_states(e, scan) : 0;
    do {
      enter(&x, loops, nloops);
      /* A read-out scan's states live from its first time tile to its last. */
      if (scan && x.row.lo == 0) {
        uint32_t nc = x.col.var >= 0 ? (uint32_t)x.col.n : 1;
        if (states > ACCEL_MAX_EXTENT || (uint64_t)states * nc > g->slot_words) {
          diag_error(g->diag, em->loc,
                     "the Einsum defining '%s' reads out the scan '%s': its %lld states of %u "
                     "columns (%llu words) do not fit a tile slot of %u words (buffer.bytes = "
                     "%llu); partition its columns smaller",
                     e->out->name, scan->out->name, (long long)states, nc,
                     (unsigned long long)states * nc, g->slot_words,
                     (unsigned long long)g->arch->buf_bytes);
          g->failed = true;
          break;
        }
        ok = region_alloc(g, (uint32_t)states, nc, &g->scan_states);
        g->have_states = ok;
      }
      ok = ok && (mode == ACCEL_SCAN ? scan_tiles(g, &x, A, B) : plain_tile(g, &x));
      if (scan)
        memo_clear(g);
      if (scan && g->have_states && x.row.lo + x.row.n >= e->vars[x.row.var].extent) {
        if (ok && g->final_state)
          ok = store_final_state(g, &x);
        region_free(g, &g->scan_states);
        g->have_states = false;
      }
    } while (ok && !g->failed && advance(loops, nloops));
    g->scan = NULL;
    free(g->memo);
    g->memo = NULL;
    g->memo_cap = 0;
  }
  /* The bound must never refuse a program that fits. */
  assert(!ok || g->failed || g->bin->instr_count - first >= least);
  free(x.val);
  free(x.fixed);
  free(loops);
  free(stepped);
  return ok && !g->failed;
}
