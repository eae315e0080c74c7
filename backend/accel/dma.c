/* DMA: a tensor read over the current tile becomes one strided box load
 * when it can (zero-filling what falls outside the tensor), and a few boxes
 * when it cannot; a result tile becomes one box store. */
#include "backend/accel/gen.h"

#include <stdlib.h>
#include <string.h>

/* Address arithmetic before clipping: an index may lie far outside its
 * tensor (the frontend only promises that it fits in 64 bits), and its
 * products with coefficients and strides need more bits until clipping has
 * said which elements are real. After clipping every value fits in 64. */
typedef __int128 Wide;

static Wide wide_floor_div(Wide a, Wide b) {
  Wide q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The affine form of an index over the tile, or false when it is not affine
 * in the tile variables or a coefficient does not fit in 64 bits (the caller
 * then loads element by element, where every value is a point of the index's
 * range and fits). */
bool index_affine(const Index *ix, const Ctx *x, Affine *out) {
  Affine l, r;
  switch (ix->kind) {
  case IX_CONST:
    *out = (Affine){ix->value, 0, 0};
    return true;
  case IX_VAR:
    if (ix->var == x->row.var)
      *out = (Affine){x->row.lo, 1, 0};
    else if (ix->var == x->col.var)
      *out = (Affine){x->col.lo, 0, 1};
    else if (x->fixed[ix->var])
      *out = (Affine){x->val[ix->var], 0, 0};
    else
      return false;
    return true;
  case IX_NEG:
    if (!index_affine(ix->lhs, x, &l))
      return false;
    return !__builtin_sub_overflow(0, l.c, &out->c) && !__builtin_sub_overflow(0, l.a, &out->a) &&
           !__builtin_sub_overflow(0, l.b, &out->b);
  case IX_ADD:
    if (!index_affine(ix->lhs, x, &l) || !index_affine(ix->rhs, x, &r))
      return false;
    return !__builtin_add_overflow(l.c, r.c, &out->c) &&
           !__builtin_add_overflow(l.a, r.a, &out->a) && !__builtin_add_overflow(l.b, r.b, &out->b);
  case IX_SUB:
    if (!index_affine(ix->lhs, x, &l) || !index_affine(ix->rhs, x, &r))
      return false;
    return !__builtin_sub_overflow(l.c, r.c, &out->c) &&
           !__builtin_sub_overflow(l.a, r.a, &out->a) && !__builtin_sub_overflow(l.b, r.b, &out->b);
  case IX_MUL:
    if (!index_affine(ix->lhs, x, &l) || !index_affine(ix->rhs, x, &r))
      return false;
    if (l.a != 0 || l.b != 0) { /* the constant factor on the left */
      Affine t = l;
      l = r;
      r = t;
    }
    if (l.a != 0 || l.b != 0)
      return false;
    return !__builtin_mul_overflow(l.c, r.c, &out->c) &&
           !__builtin_mul_overflow(l.c, r.a, &out->a) && !__builtin_mul_overflow(l.c, r.b, &out->b);
  case IX_DIV:
  case IX_MOD:
    if (!index_affine(ix->lhs, x, &l) || !index_affine(ix->rhs, x, &r))
      return false;
    if (l.a || l.b || r.a || r.b || r.c <= 0)
      return false;
    *out = (Affine){ix->kind == IX_DIV ? floor_div(l.c, r.c) : floor_mod(l.c, r.c), 0, 0};
    return true;
  }
  return false;
}

/* A tensor access over a sub-box of a region: element (r, k) of the box is
 * tensor index aff[d].c + aff[d].a*r + aff[d].b*k in each dimension d. */
typedef struct Access2 {
  const LBuffer *buf;
  uint64_t dram; /* the tensor's DRAM byte offset */
  Hazard *hz;
  Affine *aff; /* buf->rank of them: a tensor may have any rank */
} Access2;

static Affine *new_affines(int rank) {
  Affine *a = calloc((size_t)rank + 1, sizeof *a);
  if (!a)
    abort();
  return a;
}

static void dma_words(uint32_t *w, const char *mnemonic) {
  memset(w, 0, ISA_WORDS * 4);
  isa_set(w, FLD_OPCODE, isa_op_by_mnemonic(mnemonic)->opcode);
  isa_set(w, FLD_DMA_N0, 1);
  isa_set(w, FLD_DMA_N1, 1);
  isa_set(w, FLD_DMA_N2, 1);
  isa_set(w, FLD_DMA_N3, 1);
}

/* Zeros nr x nc words of dst at (roff, coff): a load with an empty window. */
static void zero_box(Gen *g, const Region *dst, uint32_t roff, uint32_t coff, uint32_t nr,
                     uint32_t nc) {
  uint32_t w[ISA_WORDS];
  dma_words(w, "dma.ld");
  isa_set(w, FLD_DMA_SRAM, dst->addr + roff * dst->rs + coff * dst->cs);
  isa_set(w, FLD_DMA_N1, nc);
  isa_set(w, FLD_DMA_SS1, dst->cs);
  isa_set(w, FLD_DMA_N2, nr);
  isa_set(w, FLD_DMA_SS2, dst->rs);
  isa_set(w, FLD_DMA_LO0, 1);
  isa_set(w, FLD_DMA_HI0, 1);
  Access acc[] = {{region_hazard(g, dst), true}};
  emit(g, w, acc, 1);
}

/* Narrows [*lo, *hi) to the r with 0 <= c + a*r < extent. */
static void clip(int64_t c, int64_t a, int64_t extent, int64_t *lo, int64_t *hi) {
  Wide from, to; /* inclusive */
  if (a > 0) {
    from = -wide_floor_div(c, a); /* ceil(-c / a) */
    to = wide_floor_div((Wide)extent - 1 - c, a);
  } else if (a < 0) {
    from = -wide_floor_div((Wide)extent - 1 - c, -(Wide)a);
    to = wide_floor_div(c, -(Wide)a);
  } else {
    from = 0;
    to = (c >= 0 && c < extent) ? INT64_MAX - 1 : -1;
  }
  if (from > *lo)
    *lo = from < *hi ? (int64_t)from : *hi;
  if (to + 1 < *hi)
    *hi = to + 1 > *lo ? (int64_t)(to + 1) : *lo;
  if (*hi < *lo)
    *hi = *lo;
}

/* The access with the row (or column) variable fixed at v, its affine
 * forms in aff (rank of them). */
static Access2 fix_axis(const Access2 *ac, int rank, bool row, int64_t v, Affine *aff) {
  Access2 one = *ac;
  one.aff = memcpy(aff, ac->aff, (size_t)rank * sizeof *aff);
  for (int d = 0; d < rank; d++) {
    int64_t *coef = row ? &one.aff[d].a : &one.aff[d].b;
    one.aff[d].c = (int64_t)(one.aff[d].c + (Wide)*coef * v); /* a point of the index: fits */
    *coef = 0;
  }
  return one;
}

/* One axis of a DMA box: its extent, DRAM and buffer strides in elements,
 * and the valid window [lo, hi). */
typedef struct BoxAxis {
  uint32_t n;
  int64_t ds;
  uint32_t ss;
  int64_t lo, hi;
} BoxAxis;

/* DMA dimension 0 is contiguous in both DRAM and the buffer. */
static bool contiguous(const BoxAxis *a) { return a->n > 1 && a->ds == 1 && a->ss == 1; }

static void set_window(uint32_t *w, IsaFieldId lo, IsaFieldId hi, const BoxAxis *a) {
  if (a->lo == 0 && a->hi == a->n)
    return; /* the whole extent: the fields' zero default */
  isa_set(w, lo, (uint32_t)a->lo);
  isa_set(w, hi, (uint32_t)a->hi);
}

/* The box fields for rows x cols. The axis contiguous on both sides is
 * dimension 0 and the other dimension 1, both windowed. With neither,
 * dimension 0 has extent 1, the columns are dimension 1 (windowed) and the
 * rows dimension 2, which has no window: every row given must be valid. */
static void set_box(uint32_t *w, const BoxAxis *row, const BoxAxis *col) {
  const BoxAxis *d0 = contiguous(col) ? col : contiguous(row) ? row : NULL;
  const BoxAxis *d1 = d0 == col ? row : col;
  if (d0) {
    isa_set(w, FLD_DMA_N0, d0->n);
    set_window(w, FLD_DMA_LO0, FLD_DMA_HI0, d0);
  }
  isa_set(w, FLD_DMA_N1, d1->n);
  isa_set(w, FLD_DMA_DS1, (uint32_t)d1->ds);
  isa_set(w, FLD_DMA_SS1, d1->ss);
  set_window(w, FLD_DMA_LO1, FLD_DMA_HI1, d1);
  if (!d0) {
    isa_set(w, FLD_DMA_N2, row->n);
    isa_set(w, FLD_DMA_DS2, (uint32_t)row->ds);
    isa_set(w, FLD_DMA_SS2, row->ss);
  }
}

/* Inside a window of two or more elements a stride stays below the
 * tensor's size; along a window of one it is never stepped, and one too
 * large for 64 bits is written as 0. */
static int64_t box_stride(Wide stride, int64_t window) {
  return window > 1 || (stride >= INT64_MIN && stride <= INT64_MAX) ? (int64_t)stride : 0;
}

/* Loads the nr x nc box of `ac` into dst at (roff, coff). */
static void dma_load(Gen *g, const Access2 *ac, const Region *dst, uint32_t roff, uint32_t coff,
                     uint32_t nr, uint32_t nc) {
  const LBuffer *b = ac->buf;
  Wide base = 0, cr = 0, cc = 0;
  int64_t r0 = 0, r1 = nr, k0 = 0, k1 = nc;
  bool both = false;
  for (int d = 0; d < b->rank; d++) {
    const Affine *f = &ac->aff[d];
    int64_t a = nr > 1 ? f->a : 0, bb = nc > 1 ? f->b : 0;
    base += (Wide)f->c * b->strides[d];
    cr += (Wide)a * b->strides[d];
    cc += (Wide)bb * b->strides[d];
    if (a && bb)
      both = true;
    else if (a)
      clip(f->c, a, b->dims[d], &r0, &r1);
    else
      clip(f->c, bb, b->dims[d], &k0, &k1);
  }
  /* Validity that is not a rectangle, or a descending stride: line by line. */
  if ((both || cr < 0) && nr > 1) {
    Affine *aff = new_affines(b->rank);
    for (uint32_t r = 0; r < nr; r++) {
      Access2 one = fix_axis(ac, b->rank, true, r, aff);
      dma_load(g, &one, dst, roff + r, coff, 1, nc);
    }
    free(aff);
    return;
  }
  if ((both || cc < 0) && nc > 1) {
    Affine *aff = new_affines(b->rank);
    for (uint32_t k = 0; k < nc; k++) {
      Access2 one = fix_axis(ac, b->rank, false, k, aff);
      dma_load(g, &one, dst, roff, coff + k, nr, 1);
    }
    free(aff);
    return;
  }
  if (r0 >= r1 || k0 >= k1) {
    zero_box(g, dst, roff, coff, nr, nc);
    return;
  }
  BoxAxis row = {nr, box_stride(cr, r1 - r0), dst->rs, r0, r1};
  BoxAxis col = {nc, box_stride(cc, k1 - k0), dst->cs, k0, k1};
  uint32_t sram = dst->addr + roff * dst->rs + coff * dst->cs;
  if (!contiguous(&row) && !contiguous(&col)) {
    /* Rows go on dimension 2, without a window: load the valid ones and
     * zero the others. */
    if (r0 > 0)
      zero_box(g, dst, roff, coff, (uint32_t)r0, nc);
    if (r1 < nr)
      zero_box(g, dst, roff + (uint32_t)r1, coff, nr - (uint32_t)r1, nc);
    sram += (uint32_t)r0 * dst->rs;
    row = (BoxAxis){(uint32_t)(r1 - r0), row.ds, dst->rs, 0, r1 - r0};
  }
  int64_t first = (int64_t)(base + cr * r0 + cc * k0); /* the first valid element */
  uint32_t w[ISA_WORDS];
  dma_words(w, "dma.ld");
  set_box(w, &row, &col);
  isa_set(w, FLD_DMA_SRAM, sram);
  isa_set(w, FLD_DMA_DRAM, (uint32_t)(ac->dram + 4 * (uint64_t)first));
  Access acc[] = {{ac->hz, false}, {region_hazard(g, dst), true}};
  emit(g, w, acc, 2);
}

/* Row-major unless the tensor is contiguous along the rows only. */
static void choose_layout(Region *r, Wide cr, Wide cc) {
  if (r->nr > 1 && r->nc > 1 && cc != 1 && cr == 1) {
    r->rs = 1;
    r->cs = r->nr;
  }
}

static bool load_access(Gen *g, const Ctx *x, const LBuffer *b, uint64_t dram, Hazard *hz,
                        Index **index, Region *out) {
  uint32_t nR = x->row.var >= 0 ? (uint32_t)x->row.n : 1;
  uint32_t nC = x->col.var >= 0 ? (uint32_t)x->col.n : 1;
  Access2 ac = {b, dram, hz, new_affines(b->rank)};
  bool affine = true, dep_r = false, dep_c = false;
  Wide cr = 0, cc = 0;
  for (int d = 0; d < b->rank; d++) {
    if (!index_affine(index[d], x, &ac.aff[d]))
      affine = false;
    dep_r |= index_uses(index[d], x->row.var);
    dep_c |= index_uses(index[d], x->col.var);
    cr += (Wide)ac.aff[d].a * b->strides[d];
    cc += (Wide)ac.aff[d].b * b->strides[d];
  }
  if (!region_alloc(g, dep_r ? nR : 1, dep_c ? nC : 1, out)) {
    free(ac.aff);
    return false;
  }
  if (affine) {
    choose_layout(out, cr, cc);
    dma_load(g, &ac, out, 0, 0, out->nr, out->nc);
    free(ac.aff);
    return true;
  }
  /* Floor division or modulo of a tile variable: element by element, with
   * both tile variables fixed in a copy of the context. */
  int nv = x->e->nvars;
  Ctx one = *x;
  one.row.var = one.col.var = -1;
  one.val = memcpy(malloc((size_t)nv * sizeof *one.val + 1), x->val, (size_t)nv * sizeof *x->val);
  one.fixed = memcpy(malloc((size_t)nv + 1), x->fixed, (size_t)nv);
  for (uint32_t r = 0; r < out->nr; r++)
    for (uint32_t k = 0; k < out->nc; k++) {
      if (x->row.var >= 0) {
        one.fixed[x->row.var] = true;
        one.val[x->row.var] = x->row.lo + r;
      }
      if (x->col.var >= 0) {
        one.fixed[x->col.var] = true;
        one.val[x->col.var] = x->col.lo + k;
      }
      for (int d = 0; d < b->rank; d++)
        if (!index_affine(index[d], &one, &ac.aff[d]))
          gen_internal(g, "index not computable with every variable fixed");
      dma_load(g, &ac, out, r, k, 1, 1);
    }
  free(one.val);
  free(one.fixed);
  free(ac.aff);
  return !g->failed;
}

/* Whether t[index] over x is one the memo keeps: a read of the scan's step
 * that uses no summed rank, affine in every dimension; its key in m (whose
 * aff the caller frees when it is not kept). */
static bool memo_key(const Gen *g, const Ctx *x, const Tensor *t, Index **index, Memo *m) {
  if (!g->memo_cap || x->e != g->scan)
    return false;
  m->aff = new_affines(t->rank);
  for (int d = 0; d < t->rank; d++) {
    bool stepped = false;
    for (int v = 0; v < x->e->nvars; v++)
      stepped |= g->memo_stepped[v] && index_uses(index[d], v);
    if (stepped || !index_affine(index[d], x, &m->aff[d])) {
      free(m->aff);
      m->aff = NULL;
      return false;
    }
  }
  m->t = t;
  return true;
}

static bool memo_same(const Memo *a, const Memo *b, int rank) {
  for (int d = 0; d < rank; d++)
    if (a->aff[d].c != b->aff[d].c || a->aff[d].a != b->aff[d].a || a->aff[d].b != b->aff[d].b)
      return false;
  return a->t == b->t;
}

bool load_read(Gen *g, const Ctx *x, const Tensor *t, Index **index, Region *out) {
  Memo key = {0};
  bool keep = memo_key(g, x, t, index, &key);
  for (int i = 0; keep && i < g->nmemo; i++)
    if (memo_same(&g->memo[i], &key, t->rank)) {
      free(key.aff);
      *out = g->memo[i].r;
      return true;
    }
  if (!load_access(g, x, g->lp->buffers[t->id], g->dram[t->id], &g->tensor_hz[t->id], index, out)) {
    free(key.aff);
    return false;
  }
  if (keep && g->nmemo < g->memo_cap && out->slot >= 0) {
    g->slots[out->slot].pinned = true;
    key.r = *out;
    g->memo[g->nmemo++] = key;
  } else {
    free(key.aff);
  }
  return true;
}

void memo_clear(Gen *g) {
  for (int i = 0; i < g->nmemo; i++) {
    g->slots[g->memo[i].r.slot].pinned = false;
    region_free(g, &g->memo[i].r);
    free(g->memo[i].aff);
  }
  g->nmemo = 0;
}

bool load_iota(Gen *g, const Ctx *x, int var, Region *out) {
  static int64_t one = 1;
  LBuffer b = {0};
  b.rank = 1;
  b.dims = &g->iota_len;
  b.strides = &one;
  Index ix = {IX_VAR, 0, var, NULL, NULL};
  Index *index[] = {&ix};
  return load_access(g, x, &b, g->iota_dram, &g->iota_hz, index, out);
}

void store_tile(Gen *g, const Ctx *x, const Tensor *t, const int *lhs, const Region *r) {
  const LBuffer *b = g->lp->buffers[t->id];
  uint32_t nR = x->row.var >= 0 ? (uint32_t)x->row.n : 1;
  uint32_t nC = x->col.var >= 0 ? (uint32_t)x->col.n : 1;
  int64_t first = 0, cr = 0, cc = 0;
  for (int d = 0; d < t->rank; d++) {
    int v = lhs[d];
    if (v == x->row.var) {
      first += x->row.lo * b->strides[d];
      cr = b->strides[d];
    } else if (v == x->col.var) {
      first += x->col.lo * b->strides[d];
      cc = b->strides[d];
    } else {
      first += x->val[v] * b->strides[d];
    }
  }
  BoxAxis row = {nR, cr, r->nr > 1 ? r->rs : 0, 0, nR};
  BoxAxis col = {nC, cc, r->nc > 1 ? r->cs : 0, 0, nC};
  uint32_t w[ISA_WORDS];
  dma_words(w, "dma.st");
  set_box(w, &row, &col);
  isa_set(w, FLD_DMA_SRAM, r->addr);
  isa_set(w, FLD_DMA_DRAM, (uint32_t)(g->dram[t->id] + 4 * (uint64_t)first));
  Access acc[] = {{region_hazard(g, r), false}, {&g->tensor_hz[t->id], true}};
  emit(g, w, acc, 2);
}
