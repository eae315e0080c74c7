/* Cache-tiled register micro-kernels for contractions on the CPU.
 *
 * For an accumulate nest C[.., i, j] op= f(A[.., i, .., k], B[.., k, .., j])
 * whose innermost (unit-stride) variable j is the output's last index, with
 * another left-hand variable i and a reduced variable k, the nest becomes
 *
 *     for the other variables (batch ranks, other reduced ones):
 *       for j_tile:                       (TILE_CPU_COL_TILE columns)
 *         for k_tile:                     (TILE_CPU_REDUCE_TILE steps of k)
 *           B_packed = the B tile, panel by panel (see "packing")
 *           for i in blocks of ROWS:
 *             for j in blocks of COLS within j_tile:
 *               t[r][c] = C[i + r, j + c]           ROWS x COLS temporaries
 *               for k in k_tile:
 *                 t[r][c] op= f(A[i + r, k], B_packed[j, k, c])
 *               C[i + r, j + c] = t[r][c]
 *
 * The temporaries become registers (SROA), and LLVM's SLP vectorizer turns
 * each row of COLS = 16 into two 8-float vectors: 12 accumulators, 2 loads
 * of B and 6 broadcasts of A per 12 fused multiply-adds, with C touched once
 * per k tile instead of once per step. Where a vector holds 16 floats
 * (AVX-512) the driver asks for COLS = 32, two 16-float vectors, the same
 * 12 accumulators of the 32 registers: measured on a Xeon with AVX-512 at
 * 1024^3 and 2048^3, 62% and 59% of one-thread OpenBLAS sgemm at 16 columns,
 * 68% and 65% at 32 (12 x 32 and 8 x 32 were slower: 47% and 51% at 1024^3). The model of the
 * caches (one core of the development machine: 32 KiB L1d, 512 KiB L2; common since Haswell and
 * Zen): the k tile (128) keeps the A micro-panel (6 x 128 floats, 3 KiB) and
 * the B micro-panel (128 x 16 floats, 8 KiB) in L1 while a kernel runs; the
 * column tile (512) makes the packed B tile 128 x 512 floats = 256 KiB, half
 * of L2, reused by every row block. Measured at 1024^3 and 2048^3 against
 * 256 x 256 and 256 x 512: 128 x 512 was fastest at both. Rows and columns that do not fill a block
 * are done by the same nest with 1-row or 1-column blocks; tiles are cut at the extent (point loops
 * bounded by min), so no size needs to be a multiple of any.
 *
 * Any tiling is legal here: the output is not read on the right, so the
 * iterations commute, and the reduction may be reassociated (language.md);
 * k still runs in increasing order for every output element. Nests with a
 * padded or possibly out-of-range load keep the trivial shape. */
#include <stdio.h>
#include <string.h>

#include "passes/lower_subst.h"
#include "passes/tile_cpu.h"

typedef struct Shape {
  int i, j, k;        /* the rows, columns and reduced variable */
  int j_tile, k_tile; /* the tile loops' variables */
  int col;            /* the packing copy's column within a block */
  int first_temp;     /* ROWS x COLS temporaries from here */
} Shape;

/* One region of the output: `count` blocks of `width` starting at `offset`. */
typedef struct Span {
  int64_t width, offset, count;
} Span;

static bool loads_in_bounds(const LExpr *x) {
  if (x->kind == LX_LOAD && (!x->in_bounds || x->pad))
    return false;
  for (int i = 0; i < x->nargs; i++)
    if (!loads_in_bounds(x->arg[i]))
      return false;
  return true;
}

/* The substitutions keep every access inside the region it covered. */
static void mark_in_bounds(LExpr *x) {
  if (x->kind == LX_LOAD)
    x->in_bounds = true;
  for (int i = 0; i < x->nargs; i++)
    mark_in_bounds(x->arg[i]);
}

static bool in_list(const int *vars, int n, int var) {
  for (int i = 0; i < n; i++)
    if (vars[i] == var)
      return true;
  return false;
}

/* A new variable of the kernel, for a tile loop. */
static int add_var(Kernel *k, const char *name, Arena *arena) {
  const char **names = arena_alloc(arena, sizeof *names * (k->nvars + 1));
  memcpy(names, k->var_names, sizeof *names * k->nvars);
  names[k->nvars] = name;
  k->var_names = names;
  return k->nvars++;
}

static const char *tile_name(const Kernel *k, int var, Arena *arena) {
  const char *base = k->var_names[var];
  size_t len = strlen(base) + sizeof "_tile";
  char *name = arena_alloc(arena, len);
  snprintf(name, len, "%s_tile", base);
  return name;
}

static const char *column_name(const Kernel *k, int var, Arena *arena) {
  const char *base = k->var_names[var];
  size_t len = strlen(base) + sizeof "_col";
  char *name = arena_alloc(arena, len);
  snprintf(name, len, "%s_col", base);
  return name;
}

static LNode *new_node(Arena *arena, LNodeKind kind) {
  LNode *n = arena_alloc(arena, sizeof *n);
  n->kind = kind;
  n->temp = -1;
  n->step = 1;
  n->tile = -1;
  return n;
}

static LNode *loop(Arena *arena, int var, int64_t extent, LNode *body) {
  LNode *n = new_node(arena, LN_LOOP);
  n->var = var;
  n->extent = extent;
  n->body = body;
  return n;
}

/* for tile_var in 0..extent step span: body (which holds the point loop). */
static LNode *tile_loop(Arena *arena, int tile_var, int64_t extent, int64_t span, LNode *body) {
  LNode *n = loop(arena, tile_var, extent, body);
  n->step = span;
  return n;
}

/* for var in tile_var..min(tile_var + span, extent): body */
static LNode *point_loop(Arena *arena, int var, int tile_var, int64_t extent, int64_t span,
                         LNode *body) {
  LNode *n = loop(arena, var, extent, body);
  n->tile = tile_var;
  n->span = span;
  return n;
}

static LNode *temp_store(Arena *arena, int temp, Update u, LExpr *value) {
  LNode *n = new_node(arena, LN_STORE);
  n->temp = temp;
  n->update = u;
  n->value = value;
  return n;
}

static LNode *buf_store(Arena *arena, LBuffer *buf, Index **index, LExpr *value) {
  LNode *n = new_node(arena, LN_STORE);
  n->buf = buf;
  n->index = index;
  n->update = UPD_SET;
  n->value = value;
  return n;
}

static LExpr *temp_value(Arena *arena, int temp) {
  LExpr *x = arena_alloc(arena, sizeof *x);
  *x = (LExpr){.kind = LX_TEMP, .temp = temp};
  return x;
}

static Index *ix_var(Arena *arena, int var) {
  Index *x = arena_alloc(arena, sizeof *x);
  *x = (Index){.kind = IX_VAR, .var = var};
  return x;
}

static Index *ix_const(Arena *arena, int64_t v) {
  Index *x = arena_alloc(arena, sizeof *x);
  *x = (Index){.kind = IX_CONST, .value = v};
  return x;
}

static Index *ix_binary(Arena *arena, IndexKind kind, Index *a, Index *b) {
  Index *x = arena_alloc(arena, sizeof *x);
  *x = (Index){.kind = kind, .lhs = a, .rhs = b};
  return x;
}

/* Appends the statements n, n->next, ... to the list first..last. */
static void chain(LNode **first, LNode **last, LNode *n) {
  if (*last)
    (*last)->next = n;
  else
    *first = n;
  for (*last = n; (*last)->next;)
    *last = (*last)->next;
}

/* ---- packing ---------------------------------------------------------------------------
 *
 * A load B[.., k, .., j] (last index j, no i) is read by every row block
 * with a stride of a whole row of B per step of k: 16 floats out of each
 * 4 or 8 KiB, all in the same few L1 sets, so the micro-panel never stays in
 * L1. Each tile of it is therefore first copied into a local buffer laid out
 * panel by panel, [column block][k][16], which the kernels then read
 * contiguously (measured in docs/cpu-backend.md). */

typedef struct Pack {
  const LExpr *load; /* the load in nest->value */
  LBuffer *buf;      /* its packed tile */
} Pack;

enum { MAX_PACKS = 4 };

static bool packable(const LExpr *x, const Shape *s) {
  int rank = x->buf->rank;
  const Index *last = rank > 0 ? x->index[rank - 1] : NULL;
  if (!last || last->kind != IX_VAR || last->var != s->j)
    return false;
  bool uses_k = false;
  for (int d = 0; d < rank; d++) {
    if (index_uses(x->index[d], s->i) || (d < rank - 1 && index_uses(x->index[d], s->j)))
      return false;
    uses_k |= index_uses(x->index[d], s->k);
  }
  return uses_k;
}

static void find_packs(const LExpr *x, const Shape *s, Pack *packs, int *n) {
  if (x->kind == LX_LOAD && *n < MAX_PACKS && packable(x, s))
    packs[(*n)++].load = x;
  for (int i = 0; i < x->nargs; i++)
    find_packs(x->arg[i], s, packs, n);
}

static LBuffer *local_buffer(const TileCpuNest *nest, const char *of, const int64_t *dims,
                             Arena *arena) {
  Kernel *k = nest->kernel;
  LBuffer *b = arena_alloc(arena, sizeof *b);
  size_t len = strlen(of) + sizeof "_packed";
  char *name = arena_alloc(arena, len);
  snprintf(name, len, "%s_packed", of);
  b->id = nest->first_local_id + k->nlocals;
  b->name = name;
  b->role = ROLE_INTERMEDIATE;
  b->level = MEM_LOCAL;
  b->rank = 3;
  b->dims = arena_alloc(arena, sizeof *b->dims * 3);
  b->strides = arena_alloc(arena, sizeof *b->strides * 3);
  memcpy(b->dims, dims, sizeof *b->dims * 3);
  b->strides[2] = 1;
  b->strides[1] = dims[2];
  b->strides[0] = dims[1] * dims[2];
  b->elements = dims[0] * dims[1] * dims[2];
  LBuffer **locals = arena_alloc(arena, sizeof *locals * (k->nlocals + 1));
  if (k->nlocals)
    memcpy(locals, k->locals, sizeof *locals * k->nlocals);
  locals[k->nlocals++] = b;
  k->locals = locals;
  return b;
}

/* Where (block j, step k, column c) of the tile is in the packed buffer. */
static Index **packed_index(const Shape *s, bool tile_cols, bool tile_k, Index *col, Arena *arena) {
  Index **ix = arena_alloc(arena, sizeof *ix * 4);
  ix[0] = tile_cols ? ix_binary(arena, IX_SUB, ix_var(arena, s->j), ix_var(arena, s->j_tile))
                    : ix_var(arena, s->j);
  ix[1] = tile_k ? ix_binary(arena, IX_SUB, ix_var(arena, s->k), ix_var(arena, s->k_tile))
                 : ix_var(arena, s->k);
  ix[2] = col;
  return ix;
}

static int64_t block_cols(const TileCpuNest *nest) {
  return nest->cols > 0 ? nest->cols : TILE_CPU_COLS;
}

/* The copy of one tile: for k: for j blocks: for c in 0..COLS:
 * packed[j, k, c] = B[.., k, .., COLS * j + c]. */
static LNode *pack_nest(const TileCpuNest *nest, const Shape *s, const Pack *p, Span cols,
                        bool tile_cols, bool tile_k, Arena *arena) {
  Kernel *k = nest->kernel;
  int rank = p->load->buf->rank;
  Index **src = arena_alloc(arena, sizeof *src * (rank + 1));
  memcpy(src, p->load->index, sizeof *src * rank);
  src[rank - 1] =
      ix_binary(arena, IX_ADD,
                ix_binary(arena, IX_MUL, ix_const(arena, block_cols(nest)), ix_var(arena, s->j)),
                ix_var(arena, s->col));
  LExpr *value = arena_alloc(arena, sizeof *value);
  *value = *p->load;
  value->index = src;
  value->in_bounds = true;
  LNode *copy = buf_store(arena, p->buf,
                          packed_index(s, tile_cols, tile_k, ix_var(arena, s->col), arena), value);
  LNode *c_loop = loop(arena, s->col, block_cols(nest), copy);
  int64_t col_span = TILE_CPU_COL_TILE / block_cols(nest);
  LNode *j_loop = tile_cols ? point_loop(arena, s->j, s->j_tile, cols.count, col_span, c_loop)
                            : loop(arena, s->j, cols.count, c_loop);
  int64_t K = k->einsum->vars[s->k].extent;
  return tile_k ? point_loop(arena, s->k, s->k_tile, K, TILE_CPU_REDUCE_TILE, j_loop)
                : loop(arena, s->k, K, j_loop);
}

/* nest->value at row r and column c of a block, the packed loads reading
 * their tile. */
static LExpr *kernel_value(const TileCpuNest *nest, const Shape *s, const LExpr *x, Span rows,
                           int64_t r, Span cols, int64_t c, const Pack *packs, int npacks,
                           bool tile_cols, bool tile_k, Arena *arena) {
  for (int p = 0; p < npacks; p++) {
    if (x == packs[p].load) {
      LExpr *y = arena_alloc(arena, sizeof *y);
      *y = (LExpr){.kind = LX_LOAD, .buf = packs[p].buf, .in_bounds = true};
      y->index = packed_index(s, tile_cols, tile_k, ix_const(arena, c), arena);
      return y;
    }
  }
  if (x->kind == LX_LOAD || x->kind == LX_VAR || x->nargs == 0) {
    LExpr *y = lower_subst_lexpr(arena, x, s->i, rows.width, rows.offset + r);
    y = lower_subst_lexpr(arena, y, s->j, cols.width, cols.offset + c);
    mark_in_bounds(y);
    return y;
  }
  LExpr *y = arena_alloc(arena, sizeof *y);
  *y = *x;
  for (int i = 0; i < x->nargs; i++)
    y->arg[i] =
        kernel_value(nest, s, x->arg[i], rows, r, cols, c, packs, npacks, tile_cols, tile_k, arena);
  return y;
}

/* The micro-kernel for one region of rows x columns: the loops over i and j
 * blocks, the temporaries loaded, the k loop, the temporaries stored. */
static LNode *region(const TileCpuNest *nest, const Shape *s, Span rows, Span cols, bool tile_cols,
                     bool tile_k, bool pack, Arena *arena) {
  const LBuffer *out = nest->out;
  int rank = out->rank;
  Pack packs[MAX_PACKS];
  int npacks = 0;
  int64_t K = nest->kernel->einsum->vars[s->k].extent;
  if (pack) {
    find_packs(nest->value, s, packs, &npacks);
    int64_t col_span = TILE_CPU_COL_TILE / block_cols(nest);
    int64_t dims[3] = {tile_cols ? col_span : cols.count, tile_k ? TILE_CPU_REDUCE_TILE : K,
                       block_cols(nest)};
    for (int p = 0; p < npacks; p++)
      packs[p].buf = local_buffer(nest, packs[p].load->buf->name, dims, arena);
  }
  LNode *load_first = NULL, *load_last = NULL, *upd_first = NULL, *upd_last = NULL;
  LNode *save_first = NULL, *save_last = NULL;
  for (int64_t r = 0; r < rows.width; r++) {
    for (int64_t c = 0; c < cols.width; c++) {
      int t = s->first_temp + (int)(r * cols.width + c);
      Index **ix = lower_subst_indices(arena, nest->index, rank, s->i, rows.width, rows.offset + r);
      ix = lower_subst_indices(arena, ix, rank, s->j, cols.width, cols.offset + c);
      LExpr *v = kernel_value(nest, s, nest->value, rows, r, cols, c, packs, npacks, tile_cols,
                              tile_k, arena);
      LExpr *old = arena_alloc(arena, sizeof *old);
      *old = (LExpr){.kind = LX_LOAD, .buf = nest->out, .index = ix, .in_bounds = true};
      chain(&load_first, &load_last, temp_store(arena, t, UPD_SET, old));
      chain(&upd_first, &upd_last, temp_store(arena, t, nest->update, v));
      chain(&save_first, &save_last, buf_store(arena, nest->out, ix, temp_value(arena, t)));
    }
  }
  int64_t k_extent = nest->kernel->einsum->vars[s->k].extent;
  LNode *k_loop =
      tile_k ? point_loop(arena, s->k, s->k_tile, k_extent, TILE_CPU_REDUCE_TILE, upd_first)
             : loop(arena, s->k, k_extent, upd_first);
  k_loop->no_vectorize = true;
  load_last->next = k_loop;
  k_loop->next = save_first;
  int64_t col_span = TILE_CPU_COL_TILE / cols.width;
  LNode *j_loop = tile_cols ? point_loop(arena, s->j, s->j_tile, cols.count, col_span, load_first)
                            : loop(arena, s->j, cols.count, load_first);
  LNode *body = loop(arena, s->i, rows.count, j_loop);
  for (int p = npacks - 1; p >= 0; p--) {
    LNode *copy = pack_nest(nest, s, &packs[p], cols, tile_cols, tile_k, arena);
    copy->next = body;
    body = copy;
  }
  if (tile_k)
    body = tile_loop(arena, s->k_tile, k_extent, TILE_CPU_REDUCE_TILE, body);
  if (tile_cols)
    body = tile_loop(arena, s->j_tile, cols.count, col_span, body);
  return body;
}

/* i, j, k for the micro-kernel, or false when the nest lacks that shape. */
static bool find_shape(const TileCpuNest *nest, Shape *s) {
  const Einsum *e = nest->kernel->einsum;
  int rank = nest->out->rank;
  s->j = nest->order[nest->depth - 1];
  const Index *last = rank > 0 ? nest->index[rank - 1] : NULL;
  if (!last || last->kind != IX_VAR || last->var != s->j)
    return false;
  s->i = s->k = -1;
  for (int d = 0; d < nest->depth - 1; d++) {
    int v = nest->order[d];
    if (in_list(e->lhs, rank, v))
      s->i = v;
    else
      s->k = v;
  }
  return s->i >= 0 && s->k >= 0 && loads_in_bounds(nest->value);
}

LNode *tile_cpu_contraction(const TileCpuNest *nest, Arena *arena) {
  Kernel *k = nest->kernel;
  const Einsum *e = k->einsum;
  Shape s;
  if (!find_shape(nest, &s))
    return NULL;
  int64_t I = e->vars[s.i].extent, J = e->vars[s.j].extent, K = e->vars[s.k].extent;
  int64_t C = block_cols(nest);
  Span rows = {TILE_CPU_ROWS, 0, I / TILE_CPU_ROWS}, cols = {C, 0, J / C};
  if (rows.count == 0 || cols.count == 0)
    return NULL; /* too small to fill one block: the trivial nest does as well */
  Span row_tail = {1, rows.count * TILE_CPU_ROWS, I % TILE_CPU_ROWS};
  Span col_tail = {1, cols.count * C, J % C};
  bool tile_k = K > TILE_CPU_REDUCE_TILE, tile_cols = J > TILE_CPU_COL_TILE;
  s.k_tile = tile_k ? add_var(k, tile_name(k, s.k, arena), arena) : -1;
  s.j_tile = tile_cols ? add_var(k, tile_name(k, s.j, arena), arena) : -1;
  s.col = add_var(k, column_name(k, s.j, arena), arena);
  s.first_temp = k->ntemps;
  k->ntemps += TILE_CPU_ROWS * (int)C;
  LNode *first = NULL, *last = NULL;
  chain(&first, &last, region(nest, &s, rows, cols, tile_cols, tile_k, true, arena));
  if (col_tail.count)
    chain(&first, &last, region(nest, &s, rows, col_tail, false, tile_k, false, arena));
  if (row_tail.count)
    chain(&first, &last, region(nest, &s, row_tail, cols, false, tile_k, false, arena));
  if (row_tail.count && col_tail.count)
    chain(&first, &last, region(nest, &s, row_tail, col_tail, false, tile_k, false, arena));
  /* The other variables (batch ranks, further reduced ones) outermost. */
  for (int d = nest->depth - 1; d >= 0; d--) {
    int v = nest->order[d];
    if (v != s.i && v != s.j && v != s.k)
      first = loop(arena, v, e->vars[v].extent, first);
  }
  return first;
}
