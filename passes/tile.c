/* The tiling pass: for every Einsum the mapping file did not give, the
 * accelerator's tiles: which left-hand ranks a tile spans (space), their
 * tile shapes (partitioning), the order of the tile loops, the chunk of
 * each reduction, and whether loads are double buffered. Then every
 * Einsum's mapping, given or chosen, is checked against what its form
 * needs (a recurrence's time rank, its state carried across tiles).
 *
 * The choices (docs/accel-backend.md): a tile is as large as a slot allows,
 * a contraction's square-ish in multiples of the array, other tiles whole
 * rows of columns; the space ranks are the two left-hand ranks that load
 * the least; a scan puts time on the rows and the widest channel rank on
 * the columns. The CPU target has no tiles in its mapping yet. */
#include <math.h>
#include <string.h>

#include "backend/accel/accel.h"
#include "passes/passes.h"

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* A variable as a bit of a mask (variables below 64; others are not tracked). */
static uint64_t var_bit(int v) { return v >= 0 && v < 64 ? (uint64_t)1 << v : 0; }

/* The variables an index uses, as a bit mask (variables below 64). */
static uint64_t index_vars(const Index *ix) {
  if (!ix)
    return 0;
  if (ix->kind == IX_VAR)
    return ix->var < 64 ? (uint64_t)1 << ix->var : 0;
  return index_vars(ix->lhs) | index_vars(ix->rhs);
}

/* The variable indexing a tensor's last (contiguous) dimension in a read,
 * or -1 when that index is not a plain variable. */
static int last_var(const Expr *read) {
  int r = read->tensor->rank;
  const Index *ix = r > 0 ? read->index[r - 1] : NULL;
  return ix && ix->kind == IX_VAR ? ix->var : -1;
}

/* How many times over its useful bytes DRAM moves for a tensor whose last
 * dimension is indexed by `last` (-1: not a variable), with `along` the
 * variables a tile box runs along: a box's rows follow the last dimension,
 * so they are contiguous when it is one of those, and single elements of a
 * whole burst each when the tiles step through it one value at a time. */
static double burst_factor(const Arch *arch, int last, uint64_t along) {
  if (last < 0 || (along & var_bit(last)))
    return 1;
  double f = (double)arch->dram_burst_bytes / 4;
  return f > 1 ? f : 1;
}

/* Bytes moved from DRAM, roughly, with `axes` on the tile and the `stepped`
 * variables fixed one value at a time: a read is loaded again for every
 * stepped value, over the axes it uses and the ranks it reduces, at the
 * burst factor of its layout. `along` adds what a box also runs along (a
 * reduction's chunk on the free axis); reads of `on_chip` (a scan's own
 * state) cost nothing. */
static double load_estimate(const Arch *arch, const Einsum *e, const Expr *x, uint64_t axes,
                            uint64_t stepped, uint64_t along, const Tensor *on_chip) {
  if (!x)
    return 0;
  if (x->kind != EX_READ) {
    double sum = 0;
    for (int i = 0; i < x->nargs; i++)
      sum += load_estimate(arch, e, x->arg[i], axes, stepped, along, on_chip);
    return sum;
  }
  if (x->tensor == on_chip)
    return 0;
  uint64_t use = 0;
  for (int d = 0; d < x->tensor->rank; d++)
    use |= index_vars(x->index[d]);
  double n = 1;
  for (int v = 0; v < e->nvars && v < 64; v++)
    if ((use >> v & 1) || (stepped >> v & 1))
      n *= (double)e->vars[v].extent;
  return 4 * n * burst_factor(arch, last_var(x), axes | along);
}

/* The outermost reduction in x (the first one found), or NULL. */
static const Expr *first_reduction(const Expr *x) {
  if (!x || x->kind == EX_REDUCE)
    return x;
  for (int i = 0; i < x->nargs; i++) {
    const Expr *r = first_reduction(x->arg[i]);
    if (r)
      return r;
  }
  return NULL;
}

/* The space ranks among the left-hand variables `vars` that move the least
 * DRAM (loads and the store, at their burst factors), with a column wide
 * enough for the vector lanes when one is. A reduction may instead take the
 * free row axis beside one column, which keeps its rank contiguous when a
 * read's last dimension is reduced. Ties keep the last two variables (the
 * contiguous ones). */
static void choose_space(const Arch *arch, const Einsum *e, bool contraction, const int *vars,
                         int n, int *row, int *col) {
  *col = n > 0 ? vars[n - 1] : -1;
  *row = n > 1 ? vars[n - 2] : -1;
  const Expr *reduction = first_reduction(e->rhs);
  /* A contraction the matrix unit runs on these axes keeps them. */
  if (n < 2 || e->nvars > 64 ||
      (contraction && reduction && accel_is_contraction(e, reduction, *row, *col)))
    return;
  int64_t widest = 0;
  for (int i = 0; i < n; i++)
    widest = e->vars[vars[i]].extent > widest ? e->vars[vars[i]].extent : widest;
  int64_t lanes = min64((int64_t)arch->vec_lanes, widest);
  uint64_t all = 0;
  for (int i = 0; i < n; i++)
    all |= (uint64_t)1 << vars[i];
  int reduced = reduction ? reduction->rvars[0] : -1;
  int out_last = e->out->rank > 0 ? e->lhs[e->out->rank - 1] : -1;
  double out_elems = 1;
  for (int i = 0; i < n; i++)
    out_elems *= (double)e->vars[vars[i]].extent;
  double best = -1;
  for (int ci = n - 1; ci >= 0; ci--)
    for (int ri = n - 1; ri >= -1; ri--) {
      if (ri == ci || e->vars[vars[ci]].extent < lanes)
        continue;
      if (ri < 0 && !var_bit(reduced))
        continue;
      uint64_t axes = var_bit(vars[ci]) | (ri >= 0 ? var_bit(vars[ri]) : 0);
      uint64_t along = ri < 0 ? var_bit(reduced) : 0;
      double cost = load_estimate(arch, e, e->rhs, axes, all & ~axes, along, NULL) +
                    4 * out_elems * burst_factor(arch, out_last, axes);
      if (best < 0 || cost < best) {
        best = cost;
        *col = vars[ci];
        *row = ri >= 0 ? vars[ri] : -1;
      }
    }
}

/* Tile extents for a slot of S words: square-ish multiples of the array
 * for contractions, else whole rows of columns. */
static void choose_shape(const Arch *arch, const Einsum *e, int64_t S, bool square, bool reduce,
                         int row, int col, int64_t *tr, int64_t *tc) {
  int64_t er = row >= 0 ? e->vars[row].extent : 1;
  int64_t ec = col >= 0 ? e->vars[col].extent : 1;
  int64_t c = min64(ec, min64(S, ACCEL_MAX_EXTENT));
  if (square && er > 1) {
    int64_t side = (int64_t)sqrt((double)S);
    int64_t unit = (int64_t)arch->mx_cols;
    if (side >= unit)
      side -= side % unit;
    c = min64(c, side > 0 ? side : 1);
  }
  if (reduce && row < 0)
    /* A reduction will take the free row axis: leave it room. */
    c = min64(c, S / 64 > 16 ? S / 64 : 16);
  int64_t r = min64(er, min64(S / c, ACCEL_MAX_EXTENT));
  *tr = r > 0 ? r : 1;
  *tc = c;
}

/* A scan's channel rank: the one whose tiles finish soonest, each bounded by
 * the scan unit (a step of a lane group takes scan.latency, so few channels
 * leave it idle) or by DRAM (a channel rank that is not the tensors' last
 * dimension gathers single elements). Ties keep the widest. */
static int scan_channel(const Arch *arch, const Einsum *e, int time, const int *others,
                        int nothers) {
  int best = -1;
  double best_cost = 0;
  double T = (double)e->vars[time].extent, channels = 1;
  for (int i = 0; i < nothers; i++)
    channels *= (double)e->vars[others[i]].extent;
  for (int i = 0; i < nothers; i++) {
    int v = others[i];
    double c = (double)min64(e->vars[v].extent, ACCEL_MAX_EXTENT);
    double groups = ceil(c / (double)arch->scan_lanes);
    double step = groups > (double)arch->scan_latency ? groups : (double)arch->scan_latency;
    double scan = T * (channels / c) * step;
    double out_elems = T * channels;
    int out_last = e->out->rank ? e->lhs[e->out->rank - 1] : -1;
    /* Every read but the self-read (the state stays on chip), and the store. */
    uint64_t along = var_bit(time) | var_bit(v);
    double bytes = load_estimate(arch, e, e->rhs, 0, 0, along, e->out) +
                   out_elems * 4 * burst_factor(arch, out_last, along);
    double dram = bytes / arch->dram_bytes_per_cycle;
    double cost = scan > dram ? scan : dram;
    if (best < 0 || cost < best_cost ||
        (cost == best_cost && e->vars[v].extent > e->vars[best].extent)) {
      best = v;
      best_cost = cost;
    }
  }
  return best;
}

/* A scan: time steps on the rows, enough channels to fill the lanes first. */
static void scan_shape(const Einsum *e, int64_t S, int time, int col, int64_t *tr, int64_t *tc) {
  int64_t C = col >= 0 ? e->vars[col].extent : 1;
  int64_t c = min64(C, min64(S, ACCEL_MAX_EXTENT));
  int64_t T = e->vars[time].extent;
  int64_t t = min64(T, S / (c > 0 ? c : 1));
  if (t < 1)
    t = 1;
  if (t < 16 && T >= 16) {
    t = min64(16, S);
    c = S / t;
  }
  *tr = t;
  *tc = c > 0 ? c : 1;
}

/* A reduction's chunk: as many values as fit a slot beside `other` rows or
 * columns. */
static int64_t chunk_for(int64_t S, int64_t extent, int64_t other) {
  int64_t c = S / (other > 0 ? other : 1);
  c = min64(c, ACCEL_MAX_EXTENT);
  if (c < 1)
    c = 1;
  return min64(extent, c);
}

/* Sets the chunk of every reduction in x for a tile of tr x tc with row and
 * col on its axes, as the backend will evaluate it: a contraction's
 * reduced rank beside the larger tile side, another reduction's first
 * rank on the free axis beside the other. A rank reduced in two places
 * takes the smaller chunk. */
static void set_chunks(EinsumMap *em, const Expr *x, int64_t S, int row, int col, int64_t tr,
                       int64_t tc) {
  if (!x)
    return;
  for (int i = 0; i < x->nargs; i++)
    set_chunks(em, x->arg[i], S, row, col, tr, tc);
  if (x->kind != EX_REDUCE)
    return;
  const Einsum *e = em->einsum;
  int64_t nr = row >= 0 ? tr : 1, nc = col >= 0 ? tc : 1, chunk;
  int v = x->rvars[0];
  if (accel_is_contraction(e, x, row, col))
    chunk = chunk_for(S, e->vars[v].extent, nr > nc ? nr : nc);
  else if (col < 0 || row < 0)
    chunk = chunk_for(S, e->vars[v].extent, col < 0 ? nr : nc);
  else
    return;
  if (chunk >= e->vars[v].extent)
    chunk = 0; /* whole */
  if (chunk != 0 && (em->shape[v] == 0 || chunk < em->shape[v]))
    em->shape[v] = chunk;
}

static void tile_einsum(const Arch *arch, EinsumMap *em, Arena *arena) {
  const Einsum *e = em->einsum;
  const Expr *A, *B;
  AccelMode mode = accel_mode(e, &A, &B);
  int time = e->rec ? recurrence_var(e) : -1;
  int *others = arena_alloc(arena, sizeof *others * ((size_t)e->out->rank + 1)), nothers = 0;
  for (int d = 0; d < e->out->rank; d++)
    if (e->lhs[d] != time)
      others[nothers++] = e->lhs[d];
  bool contraction = expr_any(e->rhs, expr_is_product_sum);
  int row, col;
  if (mode == ACCEL_SCAN) {
    /* Time on the rows, channels across the lanes. */
    row = time;
    col = scan_channel(arch, e, time, others, nothers);
  } else {
    choose_space(arch, e, contraction, others, nothers, &row, &col);
  }
  em->nspace = 0;
  if (row >= 0)
    em->space[em->nspace++] = row;
  if (col >= 0)
    em->space[em->nspace++] = col;
  int live = accel_live_tiles(e, mode, em);
  if (!em->given_buffer)
    em->double_buffer = accel_slot_words(arch, e, live, true) > 0;
  int64_t S = accel_slot_words(arch, e, live, em->double_buffer);
  int64_t tr = 1, tc = 1;
  if (S == 0)
    ; /* not even one tile fits: the backend says so, with the numbers */
  else if (mode == ACCEL_SCAN)
    scan_shape(e, S, time, col, &tr, &tc);
  else
    choose_shape(arch, e, S, contraction, expr_any(e->rhs, expr_is_reduce), row, col, &tr, &tc);
  memset(em->shape, 0, sizeof *em->shape * (size_t)e->nvars);
  if (row >= 0 && tr < e->vars[row].extent)
    em->shape[row] = tr;
  if (col >= 0 && tc < e->vars[col].extent)
    em->shape[col] = tc;
  if (S > 0)
    set_chunks(em, e->rhs, S, row, col, tr, tc);
  /* The initial value is evaluated on a tile of one row (a scan) or the
   * recurrence's own tile. */
  if (S > 0 && e->rec && e->rec->init)
    set_chunks(em, e->rec->init, S, mode == ACCEL_SCAN ? -1 : row, col, 1, tc);
  /* Time loops: the fixed ranks in left-hand order (a stepwise recurrence's
   * time first), then the tiles of the rows and of the columns; a scan
   * steps through time innermost, carrying its state. */
  LoopRank *loops = arena_alloc(arena, sizeof *loops * ((size_t)e->out->rank + 2));
  int n = 0;
  if (mode == ACCEL_STEPWISE)
    loops[n++] = (LoopRank){time, RANK_WHOLE};
  for (int i = 0; i < nothers; i++)
    if (others[i] != row && others[i] != col)
      loops[n++] = (LoopRank){others[i], RANK_WHOLE};
  if (mode != ACCEL_SCAN && row >= 0 && em->shape[row])
    loops[n++] = (LoopRank){row, RANK_OUTER};
  if (col >= 0 && em->shape[col])
    loops[n++] = (LoopRank){col, RANK_OUTER};
  if (mode == ACCEL_SCAN && em->shape[row])
    loops[n++] = (LoopRank){row, RANK_OUTER};
  mapping_set_order(em, loops, n, arena);
}

/* How the last member y of a group reads the scan h it fuses (fuse.c
 * checked the form): for each dimension of h, y's variable there. */
typedef struct Readout {
  const Einsum *h, *y;
  int *var_of;    /* per dimension of h */
  int time;       /* y's variable for h's time */
  int64_t states; /* scans in flight: the values of the ranks y sums h over */
} Readout;

static void readout_of(const Einsum *h, const Einsum *y, Readout *ro, Arena *arena) {
  const Expr *r = expr_find_read(y->rhs, h->out);
  ro->var_of = arena_alloc(arena, sizeof *ro->var_of * ((size_t)h->out->rank + 1));
  ro->h = h;
  ro->y = y;
  ro->states = 1;
  ro->time = -1;
  for (int d = 0; d < h->out->rank; d++) {
    int v = r->index[d]->var;
    ro->var_of[d] = v;
    if (d == h->rec->pos)
      ro->time = v;
    else if (!einsum_is_lhs_var(y, v))
      ro->states *= y->vars[v].extent;
  }
}

/* y's tiles when it reads out a scan: time on the rows, the channel rank
 * on the columns (h's last kept one, its contiguous rank), the time tiles
 * innermost so that every scan's state stays on chip from one to the next;
 * the states (one row of the columns per value of the summed ranks) take
 * one slot. */
static void tile_readout(const Arch *arch, EinsumMap *em, const Readout *ro, Arena *arena) {
  const Einsum *y = ro->y;
  int col = -1;
  for (int d = 0; d < ro->h->out->rank; d++)
    if (d != ro->h->rec->pos && einsum_is_lhs_var(y, ro->var_of[d]))
      col = ro->var_of[d];
  int live = accel_readout_live_tiles(y, ro->h);
  if (!em->given_buffer)
    em->double_buffer = accel_slot_words(arch, y, live, true) > 0;
  int64_t S = accel_slot_words(arch, y, live, em->double_buffer);
  int64_t T = y->vars[ro->time].extent, C = col >= 0 ? y->vars[col].extent : 1;
  int64_t tc = min64(C, min64(S / (ro->states > 0 ? ro->states : 1), ACCEL_MAX_EXTENT));
  if (tc < 1)
    tc = 1;
  int64_t tt = min64(T, min64(S / tc, ACCEL_MAX_EXTENT));
  if (tt < 1)
    tt = 1;
  memset(em->shape, 0, sizeof *em->shape * (size_t)y->nvars);
  em->nspace = 0;
  em->space[em->nspace++] = ro->time;
  if (col >= 0)
    em->space[em->nspace++] = col;
  if (tt < T)
    em->shape[ro->time] = tt;
  if (col >= 0 && tc < C)
    em->shape[col] = tc;
  if (S > 0)
    set_chunks(em, y->rhs, S, ro->time, col, tt, tc);
  LoopRank *loops = arena_alloc(arena, sizeof *loops * ((size_t)y->out->rank + 2));
  int n = 0;
  for (int d = 0; d < y->out->rank; d++) {
    int v = y->lhs[d];
    if (v != ro->time && v != col)
      loops[n++] = (LoopRank){v, RANK_WHOLE};
  }
  if (col >= 0 && em->shape[col])
    loops[n++] = (LoopRank){col, RANK_OUTER};
  if (em->shape[ro->time])
    loops[n++] = (LoopRank){ro->time, RANK_OUTER};
  mapping_set_order(em, loops, n, arena);
}

static AccelMode mode_of(const Einsum *e) {
  const Expr *A, *B;
  return accel_mode(e, &A, &B);
}

static int order_position(const EinsumMap *em, int var, RankPart part) {
  for (int i = 0; i < em->norder; i++)
    if (em->order[i].var == var && em->order[i].part == part)
      return i;
  return -1;
}

/* What a recurrence's form needs of its mapping; false after a message. */
static bool check_recurrence(const EinsumMap *em, Diag *diag) {
  const Einsum *e = em->einsum;
  if (!e->rec)
    return true;
  const Expr *A, *B;
  AccelMode mode = accel_mode(e, &A, &B);
  int time = recurrence_var(e);
  const char *out = e->out->name, *t = e->vars[time].name;
  bool space = mapping_is_space(em, time);
  if (mode == ACCEL_STEPWISE && space) {
    diag_error(diag, em->order_loc,
               "'%s' is a recurrence along '%s' that runs one step at a time (each step reads "
               "earlier ones back): '%s' cannot be a space rank of its tiles",
               out, t, t);
    return false;
  }
  if (mode != ACCEL_SCAN)
    return true;
  bool rows = (em->nspace == 2 && em->space[0] == time) || (em->nspace == 1 && space);
  if (!rows) {
    diag_error(diag, em->order_loc,
               "'%s' is a recurrence along '%s' on the scan unit: '%s' must be the space rank on "
               "its tiles' rows (spacetime space: [%s0, ...] or [%s, ...])",
               out, t, t, t, t);
    return false;
  }
  int at = order_position(em, time, RANK_OUTER);
  if (at >= 0 && at != em->norder - em->nspace - 1) {
    diag_error(diag, em->order_loc,
               "'%s' carries its state from one '%s' tile to the next: %s1 must be the innermost "
               "time loop of its loop-order",
               out, t, t);
    return false;
  }
  return true;
}

/* What reading out a scan needs of y's mapping, given or chosen. */
static bool check_readout(const EinsumMap *em, const Readout *ro, Diag *diag) {
  const char *yn = ro->y->out->name, *t = ro->y->vars[ro->time].name, *h = ro->h->out->name;
  if (em->nspace != 2 || em->space[0] != ro->time) {
    diag_error(diag, em->order_loc,
               "'%s' reads out the scan '%s': its tiles need '%s' (the scan's time) on the rows "
               "and a channel rank on the columns (spacetime space: [%s0, ...])",
               yn, h, t, t);
    return false;
  }
  int at = order_position(em, ro->time, RANK_OUTER);
  if (at >= 0 && at != em->norder - em->nspace - 1) {
    diag_error(diag, em->order_loc,
               "'%s' reads out the scan '%s', whose state goes from one '%s' tile to the next: "
               "%s1 must be the innermost time loop of its loop-order",
               yn, h, t, t);
    return false;
  }
  return true;
}

bool pass_tile(Compilation *c) {
  if (c->target != TARGET_ACCEL)
    return true;
  Mapping *m = c->mapping;
  bool ok = true;
  bool *read_out = arena_alloc(c->arena, sizeof *read_out * ((size_t)m->neinsums + 1));
  for (int g = 0; g < m->ngroups; g++)
    if (m->groups[g].readout)
      read_out[m->groups[g].readout->id] = true;
  for (int i = 0; i < m->neinsums; i++) {
    EinsumMap *em = &m->einsums[i];
    if (!em->given_tiles)
      tile_einsum(c->arch, em, c->arena);
    else if (!em->given_buffer)
      em->double_buffer =
          accel_slot_words(c->arch, em->einsum,
                           accel_live_tiles(em->einsum, mode_of(em->einsum), em), true) > 0;
    /* A read-out scan runs in its reader's tiles: its own are not used. */
    if (!read_out[i])
      ok &= check_recurrence(em, c->diag);
  }
  for (int g = 0; ok && g < m->ngroups; g++) {
    const FusedGroup *fg = &m->groups[g];
    if (!fg->readout)
      continue;
    Readout ro;
    readout_of(fg->readout, fg->members[fg->n - 1], &ro, c->arena);
    EinsumMap *em = &m->einsums[ro.y->id];
    if (!em->given_tiles)
      tile_readout(c->arch, em, &ro, c->arena);
    else if (!em->given_buffer)
      em->double_buffer =
          accel_slot_words(c->arch, ro.y, accel_readout_live_tiles(ro.y, ro.h), true) > 0;
    ok &= check_readout(em, &ro, c->diag);
  }
  return ok;
}
