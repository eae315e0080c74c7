/* Evaluating an Einsum's expression over one tile: elementwise work and
 * reductions on the vector unit (special functions on its special stage),
 * contractions of two tensor reads on the matrix unit. */
#include "backend/accel/gen.h"

#include <stdlib.h>
#include <string.h>

static uint8_t opcode(const char *mnemonic) { return isa_op_by_mnemonic(mnemonic)->opcode; }

/* A region as the operand whose address field is `addr`; its row and
 * column strides are the next two fields (docs/isa.md, format VEC). */
static void set_operand(uint32_t *w, IsaFieldId addr, const Region *r) {
  isa_set(w, addr, r->addr);
  isa_set(w, addr + 1, r->rs);
  isa_set(w, addr + 2, r->cs);
}

/* One vector instruction; `acc` makes a reduction combine with the old d,
 * which it then reads too. */
static void vec_emit(Gen *g, uint8_t op, bool acc, const Region *d, const Region *a,
                     const Region *b, const Region *c, bool use_imm, float imm, uint32_t rows,
                     uint32_t cols) {
  uint32_t w[ISA_WORDS] = {0};
  isa_set(w, FLD_OPCODE, op);
  isa_set(w, FLD_V_ACC, acc);
  isa_set(w, FLD_V_ROWS, rows);
  isa_set(w, FLD_V_COLS, cols);
  set_operand(w, FLD_V_D, d);
  if (use_imm) {
    uint32_t bits;
    memcpy(&bits, &imm, 4);
    if (isa_op_by_opcode(op)->kind != K_FILL)
      isa_set(w, FLD_V_IMMF, 1);
    isa_set(w, FLD_V_IMM, bits);
    b = NULL;
  }
  const Region *src[] = {acc ? d : NULL, a, b, c};
  const IsaFieldId field[] = {FLD_V_D, FLD_V_A, FLD_V_B, FLD_V_C};
  Access accs[5];
  int n = 0;
  for (int i = 0; i < 4; i++)
    if (src[i]) {
      set_operand(w, field[i], src[i]);
      accs[n++] = (Access){region_hazard(g, src[i]), false};
    }
  accs[n++] = (Access){region_hazard(g, d), true};
  emit(g, w, accs, n);
}

void vec_op(Gen *g, uint8_t op, const Region *d, const Region *a, const Region *b, const Region *c,
            bool use_imm, float imm, uint32_t rows, uint32_t cols) {
  vec_emit(g, op, false, d, a, b, c, use_imm, imm, rows, cols);
}

static const char *unary_mnemonic(const Expr *ex) {
  if (ex->kind == EX_UNARY)
    return ex->op == OP_NEG ? "v.neg" : "v.not";
  switch (ex->func) {
  case FN_EXP:
    return "v.exp";
  case FN_LOG:
    return "v.log";
  case FN_SQRT:
    return "v.sqrt";
  case FN_RSQRT:
    return "v.rsqrt";
  case FN_SIGMOID:
    return "v.sigmoid";
  case FN_SILU:
    return "v.silu";
  case FN_SOFTPLUS:
    return "v.softplus";
  case FN_TANH:
    return "v.tanh";
  case FN_RELU:
    return "v.relu";
  case FN_SIN:
    return "v.sin";
  case FN_COS:
    return "v.cos";
  case FN_GELU:
    return "v.gelu";
  case FN_ABS:
    return "v.abs";
  default:
    return NULL;
  }
}

static const char *binary_mnemonic(const Expr *ex) {
  if (ex->kind == EX_CALL)
    return ex->func == FN_MAX ? "v.max" : ex->func == FN_MIN ? "v.min" : "v.pow";
  switch (ex->op) {
  case OP_ADD:
    return "v.add";
  case OP_SUB:
    return "v.sub";
  case OP_MUL:
    return "v.mul";
  case OP_DIV:
    return "v.div";
  case OP_LT:
    return "v.lt";
  case OP_LE:
    return "v.le";
  case OP_GT:
    return "v.gt";
  case OP_GE:
    return "v.ge";
  case OP_EQ:
    return "v.eq";
  case OP_NE:
    return "v.ne";
  case OP_AND:
    return "v.and";
  default:
    return "v.or";
  }
}

/* With the constant on the left, the same operation with its operands
 * swapped, or NULL when there is none. */
static const char *swapped(const char *mn) {
  static const char *pairs[][2] = {{"v.add", "v.add"}, {"v.mul", "v.mul"}, {"v.max", "v.max"},
                                   {"v.min", "v.min"}, {"v.eq", "v.eq"},   {"v.ne", "v.ne"},
                                   {"v.and", "v.and"}, {"v.or", "v.or"},   {"v.lt", "v.gt"},
                                   {"v.gt", "v.lt"},   {"v.le", "v.ge"},   {"v.ge", "v.le"}};
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
    if (strcmp(pairs[i][0], mn) == 0)
      return pairs[i][1];
  return NULL;
}

static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

static bool is_rowmajor(const Region *r) {
  return r->slot >= 0 && r->rs == (r->nr > 1 ? r->nc : 0) && r->cs == (r->nc > 1 ? 1 : 0);
}

/* The destination of an elementwise result: an operand's own slot when it
 * has the result's shape (in place is safe: elements go in order), else a
 * new slot. */
static bool result_region(Gen *g, uint32_t nr, uint32_t nc, const Region *src, int nsrc, Region *d,
                          int *taken) {
  *taken = -1;
  for (int i = 0; i < nsrc; i++)
    if (src[i].nr == nr && src[i].nc == nc && is_rowmajor(&src[i]) &&
        !g->slots[src[i].slot].pinned) {
      *d = src[i];
      *taken = i;
      return true;
    }
  return region_alloc(g, nr, nc, d);
}

/* Frees the operands, except the one the result took over. */
static void free_all(Gen *g, const Region *r, int n, int taken) {
  for (int i = 0; i < n; i++)
    if (i != taken)
      region_free(g, &r[i]);
}

static bool eval_reduce(Gen *g, Ctx *x, const Expr *ex, Region *out);
bool eval_expr(Gen *g, Ctx *x, const Expr *ex, Region *out);

/* Binary operations; a constant right operand becomes the immediate. */
static bool eval_binary(Gen *g, Ctx *x, const Expr *ex, Region *out) {
  Region src[2];
  int taken;
  const char *mn = binary_mnemonic(ex);
  const Expr *l = ex->arg[0], *r = ex->arg[1];
  if (l->kind == EX_CONST && r->kind != EX_CONST && swapped(mn)) {
    mn = swapped(mn);
    const Expr *t = l;
    l = r;
    r = t;
  }
  if (!eval_expr(g, x, l, &src[0]))
    return false;
  if (r->kind == EX_CONST) {
    if (!result_region(g, src[0].nr, src[0].nc, src, 1, out, &taken))
      return false;
    vec_op(g, opcode(mn), out, &src[0], NULL, NULL, true, (float)r->value, out->nr, out->nc);
    free_all(g, src, 1, taken);
    return true;
  }
  if (!eval_expr(g, x, r, &src[1]))
    return false;
  uint32_t nr = max_u32(src[0].nr, src[1].nr), nc = max_u32(src[0].nc, src[1].nc);
  if (!result_region(g, nr, nc, src, 2, out, &taken))
    return false;
  vec_op(g, opcode(mn), out, &src[0], &src[1], NULL, false, 0, nr, nc);
  free_all(g, src, 2, taken);
  return true;
}

bool eval_expr(Gen *g, Ctx *x, const Expr *ex, Region *out) {
  Region src[3];
  int taken;
  const Einsum *e = x->e;
  switch (ex->kind) {
  case EX_CONST:
    return pool_const(g, (float)ex->value, out);
  case EX_INDEX:
    if (ex->var == x->row.var || ex->var == x->col.var)
      return load_iota(g, x, ex->var, out);
    return pool_const(g, (float)x->val[ex->var], out);
  case EX_READ:
    if (g->scan && ex->tensor == g->scan->out)
      return gen_scan_read(g, x, ex, out);
    if (ex->tensor == e->out && e->rec) {
      /* Stepwise recurrence: the time variable is fixed here. */
      Affine t;
      if (!index_affine(ex->index[e->rec->pos], x, &t) || t.a || t.b) {
        gen_internal(g, "recurrence read with the time variable on a tile axis");
        return false;
      }
      if (t.c < 0)
        return e->rec->init ? eval_expr(g, x, e->rec->init, out) : pool_const(g, 0.0f, out);
    }
    return load_read(g, x, ex->tensor, ex->index, out);
  case EX_REDUCE:
    return eval_reduce(g, x, ex, out);
  case EX_UNARY:
  case EX_CALL:
    if (ex->kind == EX_UNARY || func_arity(ex->func) == 1) {
      if (!eval_expr(g, x, ex->arg[0], &src[0]))
        return false;
      if (!result_region(g, src[0].nr, src[0].nc, src, 1, out, &taken))
        return false;
      vec_op(g, opcode(unary_mnemonic(ex)), out, &src[0], NULL, NULL, false, 0, out->nr, out->nc);
      free_all(g, src, 1, taken);
      return true;
    }
    return eval_binary(g, x, ex, out);
  case EX_BINARY:
    return eval_binary(g, x, ex, out);
  case EX_SELECT: {
    for (int i = 0; i < 3; i++)
      if (!eval_expr(g, x, ex->arg[i], &src[i]))
        return false;
    uint32_t nr = max_u32(src[0].nr, max_u32(src[1].nr, src[2].nr));
    uint32_t nc = max_u32(src[0].nc, max_u32(src[1].nc, src[2].nc));
    if (!result_region(g, nr, nc, src, 3, out, &taken))
      return false;
    vec_op(g, opcode("v.sel"), out, &src[0], &src[1], &src[2], false, 0, nr, nc);
    free_all(g, src, 3, taken);
    return true;
  }
  }
  return false;
}

/* ---- reductions ---- */

/* A product sum over k where A does not use the column variable and B not
 * the row variable: C[i, j] = A[i, k] * B[k, j] on the matrix unit. */
static bool is_contraction(const Ctx *x, const Expr *ex, const Expr **A, const Expr **B) {
  if (!expr_is_product_sum(ex))
    return false;
  const Expr *m = ex->arg[0];
  int k = ex->rvars[0];
  for (int s = 0; s < 2; s++) {
    const Expr *a = m->arg[s], *b = m->arg[1 - s];
    if (a->tensor == x->e->out || b->tensor == x->e->out)
      return false;
    if (!expr_uses(a, k) || !expr_uses(b, k))
      return false;
    if (expr_uses(a, x->col.var) || expr_uses(b, x->row.var))
      continue;
    *A = a;
    *B = b;
    return true;
  }
  return false;
}

bool accel_is_contraction(const Einsum *e, const Expr *r, int row_var, int col_var) {
  Ctx x = {.e = e, .row = {row_var, 0, 1}, .col = {col_var, 0, 1}};
  const Expr *A, *B;
  return is_contraction(&x, r, &A, &B);
}

/* The values of reduced variable v taken at once: the mapping's chunk (the
 * whole rank when it is not partitioned), which must fit a slot beside
 * `other` rows or columns. */
static bool reduce_chunk(Gen *g, const Ctx *x, int v, uint32_t other, uint32_t *chunk) {
  const Einsum *e = x->e;
  int64_t ext = e->vars[v].extent, c = x->shape[v] ? x->shape[v] : ext;
  if (c > ext)
    c = ext;
  if (other == 0)
    other = 1;
  if (c > ACCEL_MAX_EXTENT || (uint64_t)c * other > g->slot_words) {
    diag_error(g->diag, g->map_loc,
               "the Einsum defining '%s' reduces over '%s' %lld values at a time: beside %u rows "
               "or columns of its tile that is %llu words, more than a tile slot's %u (the "
               "buffer's %u words for tiles in %d slots, buffer.bytes = %llu); partition '%s' "
               "smaller in the mapping",
               e->out->name, e->vars[v].name, (long long)c, other, (unsigned long long)c * other,
               g->slot_words, g->tile_words, g->nslots, (unsigned long long)g->arch->buf_bytes,
               e->vars[v].name);
    g->failed = true;
    return false;
  }
  *chunk = (uint32_t)c;
  return true;
}

static bool eval_matmul(Gen *g, Ctx *x, int k, const Expr *A, const Expr *B, Region *out) {
  int64_t K = x->e->vars[k].extent;
  uint32_t ni = x->row.var >= 0 ? (uint32_t)x->row.n : 1;
  uint32_t nj = x->col.var >= 0 ? (uint32_t)x->col.n : 1;
  uint32_t tk;
  if (!reduce_chunk(g, x, k, max_u32(ni, nj), &tk))
    return false;
  bool have_c = false;
  for (int64_t k0 = 0; k0 < K && !g->failed; k0 += tk) {
    uint32_t n = (uint32_t)(K - k0 < tk ? K - k0 : tk);
    Ctx xa = *x, xb = *x;
    xa.col = (Axis){k, k0, n};
    xb.row = (Axis){k, k0, n};
    Region a, b;
    if (!load_read(g, &xa, A->tensor, A->index, &a) || !load_read(g, &xb, B->tensor, B->index, &b))
      return false;
    if (!have_c && !region_alloc(g, a.nr, b.nc, out))
      return false;
    have_c = true;
    uint32_t w[ISA_WORDS] = {0};
    isa_set(w, FLD_OPCODE, opcode("mm"));
    isa_set(w, FLD_MM_ACC, k0 > 0);
    isa_set(w, FLD_MM_M, out->nr);
    isa_set(w, FLD_MM_K, n);
    isa_set(w, FLD_MM_N, out->nc);
    isa_set(w, FLD_MM_A, a.addr);
    if (a.nr > 1 && a.rs == 1 && a.nc > 1) {
      isa_set(w, FLD_MM_TA, 1);
      isa_set(w, FLD_MM_LDA, a.cs);
    } else {
      isa_set(w, FLD_MM_LDA, a.rs);
    }
    isa_set(w, FLD_MM_B, b.addr);
    if (b.nc > 1 && b.rs == 1 && b.nr > 1) {
      isa_set(w, FLD_MM_TB, 1);
      isa_set(w, FLD_MM_LDB, b.cs);
    } else {
      isa_set(w, FLD_MM_LDB, b.rs);
    }
    isa_set(w, FLD_MM_C, out->addr);
    isa_set(w, FLD_MM_LDC, out->rs);
    Access acc[] = {{region_hazard(g, &a), false},
                    {region_hazard(g, &b), false},
                    {region_hazard(g, out), true}};
    emit(g, w, acc, 3);
    region_free(g, &a);
    region_free(g, &b);
  }
  return !g->failed;
}

static const char *reduce_mnemonic(ReduceOp r, bool axis) {
  static const char *ax[] = {"v.rsum", "v.rmax", "v.rmin", "v.rprod"};
  static const char *el[] = {"v.add", "v.max", "v.min", "v.mul"};
  return axis ? ax[r] : el[r];
}

/* eval_reduce's steps into the accumulator out: the reduction variables
 * other than axis_var (on free_axis) at every value, idx (one per variable,
 * zero) counting them like an odometer. */
static bool reduce_steps(Gen *g, Ctx *x, const Expr *ex, Region *out, Axis *free_axis, int axis_var,
                         int64_t *idx) {
  uint32_t nR = x->row.var >= 0 ? (uint32_t)x->row.n : 1;
  uint32_t nC = x->col.var >= 0 ? (uint32_t)x->col.n : 1;
  int n = ex->nrvars;
  bool first = true;
  for (int i = 0; i < n; i++)
    if (ex->rvars[i] != axis_var)
      x->fixed[ex->rvars[i]] = true;
  for (;;) {
    for (int i = 0; i < n; i++)
      x->val[ex->rvars[i]] = idx[i];
    int64_t ext = axis_var >= 0 ? x->e->vars[axis_var].extent : 1;
    uint32_t chunk = 1;
    if (axis_var >= 0 && !reduce_chunk(g, x, axis_var, free_axis == &x->col ? nR : nC, &chunk))
      return false;
    for (int64_t lo = 0; lo < ext; lo += chunk) {
      Axis saved = free_axis ? *free_axis : (Axis){-1, 0, 0};
      if (axis_var >= 0)
        *free_axis = (Axis){axis_var, lo, ext - lo < chunk ? ext - lo : chunk};
      Region body;
      bool ok = !g->failed && eval_expr(g, x, ex->arg[0], &body);
      if (axis_var >= 0)
        *free_axis = saved;
      if (!ok)
        return false;
      if (axis_var >= 0) {
        /* Reduce along the free axis: the instruction's rows are the
         * other axis, its columns the reduced one (stride 0 where the body
         * does not vary). */
        bool along_cols = free_axis == &x->col;
        Region a = body;
        a.rs = along_cols ? body.rs : body.cs;
        a.cs = along_cols ? body.cs : body.rs;
        Region d = *out;
        d.rs = along_cols ? out->rs : out->cs;
        d.cs = 0;
        uint32_t cols = (uint32_t)(ext - lo < chunk ? ext - lo : chunk);
        vec_emit(g, opcode(reduce_mnemonic(ex->reduce, true)), !first, &d, &a, NULL, NULL, false, 0,
                 along_cols ? nR : nC, cols);
      } else if (first) {
        vec_op(g, opcode("v.copy"), out, &body, NULL, NULL, false, 0, nR, nC);
      } else {
        vec_op(g, opcode(reduce_mnemonic(ex->reduce, false)), out, out, &body, NULL, false, 0, nR,
               nC);
      }
      region_free(g, &body);
      first = false;
    }
    int i = n - 1;
    for (; i >= 0; i--) {
      if (ex->rvars[i] == axis_var)
        continue;
      if (++idx[i] < x->e->vars[ex->rvars[i]].extent)
        break;
      idx[i] = 0;
    }
    if (i < 0)
      break;
  }
  for (int i = 0; i < n; i++)
    x->fixed[ex->rvars[i]] = false;
  return !g->failed;
}

/* One reduction variable goes on a free tile axis (reduced by v.rsum and
 * friends, chunk by chunk); the others are stepped one value at a time and
 * combined elementwise, any number of them. The accumulator has the
 * context's full tile shape. */
static bool eval_reduce(Gen *g, Ctx *x, const Expr *ex, Region *out) {
  const Expr *A, *B;
  if (is_contraction(x, ex, &A, &B))
    return eval_matmul(g, x, ex->rvars[0], A, B, out);
  uint32_t nR = x->row.var >= 0 ? (uint32_t)x->row.n : 1;
  uint32_t nC = x->col.var >= 0 ? (uint32_t)x->col.n : 1;
  Axis *free_axis = x->col.var < 0 ? &x->col : x->row.var < 0 ? &x->row : NULL;
  int axis_var = free_axis ? ex->rvars[0] : -1;
  if (!region_alloc(g, nR, nC, out))
    return false;
  int64_t *idx = calloc((size_t)ex->nrvars + 1, sizeof *idx); /* the stepped values */
  if (!idx)
    abort();
  bool ok = reduce_steps(g, x, ex, out, free_axis, axis_var, idx);
  free(idx);
  return ok;
}

/* How many slots evaluating ex may hold at once (an upper bound that
 * follows eval_expr: operands, then the result). */
int regions_needed(const Expr *ex) {
  int a, b, c;
  switch (ex->kind) {
  case EX_CONST:
  case EX_INDEX:
  case EX_READ:
    return 1;
  case EX_UNARY:
  case EX_CALL:
  case EX_BINARY:
    a = regions_needed(ex->arg[0]); /* once: twice per level is 2^depth */
    if (ex->nargs == 1)
      return a > 2 ? a : 2;
    b = 1 + regions_needed(ex->arg[1]);
    a = a > b ? a : b;
    return a > 3 ? a : 3;
  case EX_SELECT:
    a = regions_needed(ex->arg[0]);
    b = 1 + regions_needed(ex->arg[1]);
    c = 2 + regions_needed(ex->arg[2]);
    a = a > b ? a : b;
    a = a > c ? a : c;
    return a > 4 ? a : 4;
  case EX_REDUCE:
    a = 1 + regions_needed(ex->arg[0]);
    return a > 3 ? a : 3;
  }
  return 1;
}
