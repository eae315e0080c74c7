/* One Einsum under --fusion none: its output is cut into tiles that fit the
 * buffer; each tile's operands are loaded from DRAM, computed and stored.
 * The buffer is split into twice the slots one tile needs, so the loads of
 * the next tile go to free slots while this one computes (double buffering).
 *
 * Axes: the last two left-hand variables are a tile's columns and rows; the
 * others are stepped one value at a time. A recurrence of the form
 * h[t] = A*h[t-1] + B runs on the scan unit with time on the rows; any other
 * recurrence is evaluated one time step at a time, reading its earlier steps
 * back from DRAM. */
#include "backend/accel/gen.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum { MODE_PLAIN, MODE_SCAN, MODE_STEPWISE } Mode;

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

/* The variables an index uses, as a bit mask (variables below 64). */
static uint64_t index_vars(const Index *ix) {
  if (!ix)
    return 0;
  if (ix->kind == IX_VAR)
    return ix->var < 64 ? (uint64_t)1 << ix->var : 0;
  return index_vars(ix->lhs) | index_vars(ix->rhs);
}

/* Elements loaded from DRAM, roughly, with `axes` on the tile and the
 * `stepped` variables fixed one value at a time: a read is loaded again for
 * every stepped value, over the axes it uses. */
static double load_estimate(const Einsum *e, const Expr *x, uint64_t axes, uint64_t stepped) {
  if (!x)
    return 0;
  if (x->kind != EX_READ) {
    double sum = 0;
    for (int i = 0; i < x->nargs; i++)
      sum += load_estimate(e, x->arg[i], axes, stepped);
    return sum;
  }
  uint64_t use = 0;
  for (int d = 0; d < x->tensor->rank; d++)
    use |= index_vars(x->index[d]);
  double n = 1;
  for (int v = 0; v < e->nvars && v < 64; v++)
    if ((axes & use) >> v & 1 || stepped >> v & 1)
      n *= (double)e->vars[v].extent;
  return n;
}

/* The tile axes among the left-hand variables `vars` that load the least,
 * with a column wide enough for the vector lanes when one is; ties keep the
 * last two variables (the contiguous ones). */
static void choose_axes(const Gen *g, const Einsum *e, bool contraction, const int *vars, int n,
                        int *row, int *col) {
  *col = n > 0 ? vars[n - 1] : -1;
  *row = n > 1 ? vars[n - 2] : -1;
  if (n < 2 || e->nvars > 64 || contraction)
    return;
  int64_t widest = 0;
  for (int i = 0; i < n; i++)
    widest = e->vars[vars[i]].extent > widest ? e->vars[vars[i]].extent : widest;
  int64_t lanes = (int64_t)g->arch->vec_lanes < widest ? (int64_t)g->arch->vec_lanes : widest;
  uint64_t all = 0;
  for (int i = 0; i < n; i++)
    all |= (uint64_t)1 << vars[i];
  double best = -1;
  for (int ci = n - 1; ci >= 0; ci--)
    for (int ri = n - 1; ri >= 0; ri--) {
      if (ri == ci || e->vars[vars[ci]].extent < lanes)
        continue;
      uint64_t axes = (uint64_t)1 << vars[ci] | (uint64_t)1 << vars[ri];
      double cost = load_estimate(e, e->rhs, axes, all & ~axes);
      if (best < 0 || cost < best) {
        best = cost;
        *col = vars[ci];
        *row = vars[ri];
      }
    }
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Tile extents: square-ish multiples of the array for contractions, else
 * whole rows of columns. */
static void choose_tiles(const Gen *g, Ctx *x, bool square, bool reduce) {
  int64_t S = g->slot_words;
  int64_t er = x->row.var >= 0 ? x->e->vars[x->row.var].extent : 1;
  int64_t ec = x->col.var >= 0 ? x->e->vars[x->col.var].extent : 1;
  int64_t tc = min64(ec, min64(S, 32768));
  if (square && er > 1) {
    int64_t side = (int64_t)sqrt((double)S);
    int64_t unit = (int64_t)g->arch->mx_cols;
    if (side >= unit)
      side -= side % unit;
    tc = min64(tc, side > 0 ? side : 1);
  }
  if (reduce && x->row.var < 0)
    /* A reduction will take the free row axis: leave it room. */
    tc = min64(tc, S / 64 > 16 ? S / 64 : 16);
  int64_t tr = min64(er, min64(S / tc, 32768));
  x->row.n = tr > 0 ? tr : 1;
  x->col.n = tc;
}

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

/* Advances the fixed left-hand variables (an odometer); false at the end. */
static bool next_fixed(Ctx *x, const int *vars, int n) {
  for (int i = n - 1; i >= 0; i--) {
    if (++x->val[vars[i]] < x->e->vars[vars[i]].extent)
      return true;
    x->val[vars[i]] = 0;
  }
  return false;
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

static bool scan_tiles(Gen *g, Ctx *x, const Expr *A, const Expr *B) {
  const Einsum *e = x->e;
  int64_t T = e->vars[x->row.var].extent;
  int64_t C = x->col.var >= 0 ? e->vars[x->col.var].extent : 1;
  int64_t tt = x->row.n, tc = x->col.var >= 0 ? x->col.n : 1;
  for (int64_t c0 = 0; c0 < C; c0 += tc) {
    uint32_t nc = (uint32_t)min64(tc, C - c0);
    if (x->col.var >= 0)
      x->col = (Axis){x->col.var, c0, nc};
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
      } else if (!pool_const(g, 1.0f, &a)) {
        return false;
      }
      if (!eval_expr(g, x, B, &b) || !compact(g, &b, nc) || !region_alloc(g, nt, nc, &y))
        return false;
      uint32_t w[ISA_WORDS] = {0};
      isa_set(w, FLD_OPCODE, isa_op_by_mnemonic("scan")->opcode);
      isa_set(w, FLD_S_INIT, t0 == 0 && !have_init);
      isa_set(w, FLD_S_T, nt);
      isa_set(w, FLD_S_C, nc);
      isa_set(w, FLD_S_A, a.addr);
      isa_set(w, FLD_S_ARS, a.rs);
      isa_set(w, FLD_S_B, b.addr);
      isa_set(w, FLD_S_BRS, b.rs);
      isa_set(w, FLD_S_Y, y.addr);
      isa_set(w, FLD_S_YRS, y.rs);
      isa_set(w, FLD_S_H, h.addr);
      Access acc[] = {{region_hazard(g, &a), false},
                      {region_hazard(g, &b), false},
                      {region_hazard(g, &h), false},
                      {region_hazard(g, &y), true},
                      {region_hazard(g, &h), true}};
      emit(g, w, acc, 5);
      store_tile(g, x, e->out, e->lhs, &y);
      region_free(g, &a);
      region_free(g, &b);
      region_free(g, &y);
    }
    region_free(g, &h);
  }
  /* The next fixed values start again with whole tiles. */
  x->row.n = tt;
  x->col.n = tc;
  return true;
}

static bool plain_tiles(Gen *g, Ctx *x) {
  const Einsum *e = x->e;
  int64_t er = x->row.var >= 0 ? e->vars[x->row.var].extent : 1;
  int64_t ec = x->col.var >= 0 ? e->vars[x->col.var].extent : 1;
  int64_t tr = x->row.n, tc = x->col.n;
  for (int64_t r0 = 0; r0 < er; r0 += tr)
    for (int64_t c0 = 0; c0 < ec; c0 += tc) {
      if (x->row.var >= 0)
        x->row = (Axis){x->row.var, r0, min64(tr, er - r0)};
      if (x->col.var >= 0)
        x->col = (Axis){x->col.var, c0, min64(tc, ec - c0)};
      print_tile_note(g, x);
      Region r;
      if (g->failed || !eval_expr(g, x, e->rhs, &r))
        return false;
      store_tile(g, x, e->out, e->lhs, &r);
      region_free(g, &r);
    }
  x->row.n = tr;
  x->col.n = tc;
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

/* The output tiles plain_tiles or scan_tiles will store: every value of
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
static uint64_t least_instructions(const Ctx *x, Mode mode, const int *fixed, int nfixed) {
  const Einsum *e = x->e;
  uint64_t tiles = count_tiles(x, fixed, nfixed);
  uint64_t n = saturating_mul(tiles, 1 + count_loads(e, e->rhs));
  if (mode == MODE_STEPWISE) {
    uint64_t T = (uint64_t)e->vars[recurrence_var(e)].extent, k = (uint64_t)e->rec->max_offset;
    uint64_t steps = T > k ? tiles / T * (T - k) : 0; /* time is one of the fixed variables */
    uint64_t self = saturating_mul(steps, (uint64_t)count_self_reads(e, e->rhs));
    n = n > UINT64_MAX - self ? UINT64_MAX : n + self;
  }
  return n;
}

bool gen_einsum(Gen *g, const Kernel *k) {
  const Einsum *e = k->einsum;
  g->einsum = e;
  Ctx x = {e,
           calloc((size_t)e->nvars + 1, sizeof(int64_t)),
           calloc((size_t)e->nvars + 1, 1),
           {-1, 0, 1},
           {-1, 0, 1}};
  Mode mode = MODE_PLAIN;
  bool contraction = expr_any(e->rhs, is_product_sum);
  const Expr *A = NULL, *B = NULL;
  int time = -1;
  if (e->rec) {
    time = recurrence_var(e);
    mode = scan_form(e, &A, &B) ? MODE_SCAN : MODE_STEPWISE;
  }
  /* Axes and fixed variables. */
  int fixed[64], nfixed = 0;
  int rank = e->out->rank;
  int others[64], nothers = 0;
  for (int d = 0; d < rank && d < 64; d++)
    if (e->lhs[d] != time)
      others[nothers++] = e->lhs[d];
  if (mode == MODE_SCAN) {
    /* Time on the rows, channels across the lanes: the widest variable. */
    x.row.var = time;
    x.col.var = nothers > 0 ? others[nothers - 1] : -1;
    for (int i = 0; i < nothers; i++)
      if (e->vars[others[i]].extent > e->vars[x.col.var].extent)
        x.col.var = others[i];
  } else {
    choose_axes(g, e, contraction, others, nothers, &x.row.var, &x.col.var);
  }
  if (mode == MODE_STEPWISE)
    fixed[nfixed++] = time;
  for (int i = 0; i < nothers; i++)
    if (others[i] != x.row.var && others[i] != x.col.var)
      fixed[nfixed++] = others[i];
  for (int i = 0; i < nfixed; i++)
    x.fixed[fixed[i]] = true;

  int need = regions_needed(e->rhs);
  if (e->rec && e->rec->init) {
    int n = regions_needed(e->rec->init) + 1;
    need = need > n ? need : n;
  }
  if (mode == MODE_SCAN)
    need += 3; /* the state, the output tile, one compacting copy */
  /* No region is larger than the whole iteration space: small Einsums get
   * small slots, so the peak buffer use reported is what they need. */
  uint64_t space = 1;
  for (int v = 0; v < e->nvars; v++)
    if (space < ((uint64_t)1 << 40))
      space *= (uint64_t)e->vars[v].extent;
  bool ok = slots_setup(g, 2 * need, space) || slots_setup(g, need, space);
  if (!ok) {
    diag_error(g->diag, e->loc,
               "the Einsum defining '%s' needs %d on-chip tiles at once, but the buffer has only "
               "%u words for tiles (buffer.bytes = %llu)",
               e->out->name, need, g->tile_words, (unsigned long long)g->arch->buf_bytes);
    free(x.val);
    free(x.fixed);
    return false;
  }
  choose_tiles(g, &x, contraction, expr_any(e->rhs, is_reduce));
  if (mode == MODE_SCAN) {
    /* Time steps on the rows: enough channels to fill the lanes first. */
    int64_t C = x.col.var >= 0 ? e->vars[x.col.var].extent : 1;
    int64_t tc = min64(C, min64((int64_t)g->slot_words, 32768));
    int64_t T = e->vars[time].extent;
    int64_t tt = min64(T, (int64_t)g->slot_words / (tc > 0 ? tc : 1));
    if (tt < 1)
      tt = 1;
    if (tt < 16 && T >= 16) {
      tt = min64(16, (int64_t)g->slot_words);
      tc = (int64_t)g->slot_words / tt;
    }
    x.row.n = tt;
    x.col.n = tc > 0 ? tc : 1;
  }
  /* Refuse before the work a program the instruction limit will stop. */
  uint64_t least = least_instructions(&x, mode, fixed, nfixed);
  if (least > accel_instr_limit - g->bin->instr_count) {
    gen_too_long(g, g->bin->instr_count + least);
    free(x.val);
    free(x.fixed);
    return false;
  }
  size_t first = g->bin->instr_count;
  do {
    if (mode == MODE_SCAN)
      ok = scan_tiles(g, &x, A, B);
    else
      ok = plain_tiles(g, &x);
  } while (ok && !g->failed && next_fixed(&x, fixed, nfixed));
  /* The bound must never refuse a program that fits. */
  assert(!ok || g->failed || g->bin->instr_count - first >= least);
  free(x.val);
  free(x.fixed);
  return ok && !g->failed;
}
