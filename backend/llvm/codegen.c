/* Loop IR to LLVM IR through the LLVM C API (LLVM 19: opaque pointers).
 *
 * Each kernel becomes an internal function whose buffers are `noalias`
 * pointer arguments, so the vectorizer need not guard against overlap. Loops
 * count up from 0 in i64 with a phi; out-of-range loads clamp the address and
 * select the pad value, so no per-element branch blocks vectorization.
 * Entry points (see cpu.h for the calling convention):
 *   void NAME_run(float **tensors)            one pointer per tensor, by id
 *   void NAME(const float *in..., float *out..., void *workspace)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/DebugInfo.h>

#include "backend/llvm/cpu.h"

typedef struct Gen {
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTypeRef fp, i64, ptr, void_t; /* fp: the element type, float or double */
  CpuPrecision precision;
  const LoopProgram *prog;
  const Kernel *k;
  LLVMValueRef fn;
  LLVMValueRef *buf_ptr;    /* by buffer id; the kernel's arguments */
  LLVMValueRef *var_val;    /* by variable id; the current loop counters */
  int64_t *var_lo, *var_hi; /* what is known of each variable's range here */
  LLVMValueRef *temps;      /* allocas of the scalar temporaries */
  bool contract;            /* generating the terms of a sum: fuse a * b + c */
} Gen;

/* Short-lived arrays of LLVM handles (all pointers), one slot to spare. */
static void *scratch(int n) {
  void *p = calloc((size_t)n + 1, sizeof(void *));
  if (!p)
    abort();
  return p;
}

static LLVMValueRef i64c(Gen *g, int64_t v) {
  return LLVMConstInt(g->i64, (unsigned long long)v, 1);
}
/* A constant of the program. In double precision it is still the binary32
 * value the program holds (as the inputs are): the reference differs from
 * the f32 code only in how it computes, not in what it computes from. */
static LLVMValueRef fpc(Gen *g, double v) { return LLVMConstReal(g->fp, (double)(float)v); }

/* A call to an overloaded intrinsic such as llvm.exp.f32 (or .f64). */
static LLVMValueRef intrinsic(Gen *g, const char *name, LLVMValueRef *args, unsigned n) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMTypeRef types[1] = {g->fp};
  LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, types, 1);
  LLVMTypeRef ty = LLVMIntrinsicGetType(g->ctx, id, types, 1);
  return LLVMBuildCall2(g->b, ty, fn, args, n, "");
}

static LLVMValueRef intrinsic1(Gen *g, const char *name, LLVMValueRef x) {
  return intrinsic(g, name, &x, 1);
}

/* A call to a C library function float f(float) (log1pf, tanhf), or its
 * double version (log1p, tanh) in double precision: the name without its
 * final 'f'. */
static LLVMValueRef libm1(Gen *g, const char *float_name, LLVMValueRef x) {
  char name[32];
  snprintf(name, sizeof name, "%.*s", (int)strlen(float_name) - (g->precision == CPU_F64),
           float_name);
  LLVMTypeRef ty = LLVMFunctionType(g->fp, &g->fp, 1, 0);
  LLVMValueRef fn = LLVMGetNamedFunction(g->mod, name);
  if (!fn) {
    fn = LLVMAddFunction(g->mod, name, ty);
    LLVMAddAttributeAtIndex(
        fn, LLVMAttributeFunctionIndex,
        LLVMCreateEnumAttribute(g->ctx, LLVMGetEnumAttributeKindForName("nounwind", 8), 0));
  }
  return LLVMBuildCall2(g->b, ty, fn, &x, 1, "");
}

/* Reductions may be reassociated (language.md), which lets the vectorizer
 * keep several partial sums; a sum's multiply-adds may be fused. */
static LLVMValueRef reassoc(Gen *g, LLVMValueRef inst) {
  if (LLVMCanValueUseFastMathFlags(inst))
    LLVMSetFastMathFlags(inst,
                         LLVMFastMathAllowReassoc | (g->contract ? LLVMFastMathAllowContract : 0));
  return inst;
}

/* In the terms of a sum (g->contract), a product feeding an addition may
 * become one fused multiply-add: one rounding instead of two, and half the
 * instructions of a matmul. Elsewhere arithmetic rounds at every step. */
static LLVMValueRef contracted(Gen *g, LLVMValueRef inst) {
  if (g->contract && LLVMCanValueUseFastMathFlags(inst))
    LLVMSetFastMathFlags(inst, LLVMFastMathAllowContract);
  return inst;
}

/* ---- indices and loads ---------------------------------------------------------- */

static LLVMValueRef gen_index(Gen *g, const Index *ix) {
  LLVMValueRef a, bv;
  switch (ix->kind) {
  case IX_CONST:
    return i64c(g, ix->value);
  case IX_VAR:
    return g->var_val[ix->var];
  case IX_NEG:
    return LLVMBuildNSWNeg(g->b, gen_index(g, ix->lhs), "");
  case IX_ADD:
    return LLVMBuildNSWAdd(g->b, gen_index(g, ix->lhs), gen_index(g, ix->rhs), "");
  case IX_SUB:
    return LLVMBuildNSWSub(g->b, gen_index(g, ix->lhs), gen_index(g, ix->rhs), "");
  case IX_MUL:
    return LLVMBuildNSWMul(g->b, gen_index(g, ix->lhs), gen_index(g, ix->rhs), "");
  case IX_DIV:
  case IX_MOD: {
    int64_t lo, hi;
    bool nonnegative = index_bounds(ix->lhs, g->var_lo, g->var_hi, &lo, &hi) && lo >= 0;
    a = gen_index(g, ix->lhs);
    bv = i64c(g, ix->rhs->value);
    if (nonnegative) /* no rounding question: unsigned ops become shifts and masks */
      return ix->kind == IX_DIV ? LLVMBuildUDiv(g->b, a, bv, "") : LLVMBuildURem(g->b, a, bv, "");
    /* Floor semantics for negative operands: adjust C's truncation. */
    LLVMValueRef q = LLVMBuildSDiv(g->b, a, bv, "");
    LLVMValueRef r = LLVMBuildSRem(g->b, a, bv, "");
    LLVMValueRef neg = LLVMBuildICmp(g->b, LLVMIntSLT, r, i64c(g, 0), "");
    if (ix->kind == IX_DIV)
      return LLVMBuildSub(g->b, q, LLVMBuildZExt(g->b, neg, g->i64, ""), "");
    return LLVMBuildSelect(g->b, neg, LLVMBuildAdd(g->b, r, bv, ""), r, "");
  }
  }
  return NULL;
}

/* The element offset of buf[index], and whether every index is in range. */
static LLVMValueRef gen_offset(Gen *g, const LBuffer *buf, Index **index, bool checked,
                               LLVMValueRef *ok) {
  LLVMValueRef off = i64c(g, 0);
  *ok = NULL;
  for (int d = 0; d < buf->rank; d++) {
    LLVMValueRef i = gen_index(g, index[d]);
    if (checked) {
      /* One unsigned compare covers both i < 0 and i >= dim. */
      LLVMValueRef in = LLVMBuildICmp(g->b, LLVMIntULT, i, i64c(g, buf->dims[d]), "");
      *ok = *ok ? LLVMBuildAnd(g->b, *ok, in, "") : in;
    }
    LLVMValueRef term =
        buf->strides[d] == 1 ? i : LLVMBuildNSWMul(g->b, i, i64c(g, buf->strides[d]), "");
    off = d == 0 ? term : LLVMBuildNSWAdd(g->b, off, term, "");
  }
  return off;
}

static LLVMValueRef element_ptr(Gen *g, const LBuffer *buf, LLVMValueRef off) {
  return LLVMBuildInBoundsGEP2(g->b, g->fp, g->buf_ptr[buf->id], &off, 1, "");
}

static LLVMValueRef gen_expr(Gen *g, const LExpr *x);

/* What an out-of-range load reads. */
static LLVMValueRef gen_pad(Gen *g, const LExpr *x) {
  return x->pad ? gen_expr(g, x->pad) : fpc(g, 0.0);
}

static LLVMValueRef gen_load(Gen *g, const LExpr *x) {
  /* Where the load falls for every value the variables can take here. */
  RangeFact fact =
      x->in_bounds ? RANGE_INSIDE : access_range(x->buf, x->index, g->var_lo, g->var_hi);
  if (fact == RANGE_OUTSIDE) /* a loop piece entirely in the padding */
    return gen_pad(g, x);
  LLVMValueRef ok;
  LLVMValueRef off = gen_offset(g, x->buf, x->index, fact == RANGE_MIXED, &ok);
  if (!ok)
    return LLVMBuildLoad2(g->b, g->fp, element_ptr(g, x->buf, off), "");
  /* Read a valid element, then replace it: no branch per element. */
  off = LLVMBuildSelect(g->b, ok, off, i64c(g, 0), "");
  LLVMValueRef v = LLVMBuildLoad2(g->b, g->fp, element_ptr(g, x->buf, off), "");
  return LLVMBuildSelect(g->b, ok, v, gen_pad(g, x), "");
}

/* ---- values ------------------------------------------------------------------------ */

static LLVMValueRef sigmoid(Gen *g, LLVMValueRef x) {
  LLVMValueRef e = intrinsic1(g, "llvm.exp", LLVMBuildFNeg(g->b, x, ""));
  return LLVMBuildFDiv(g->b, fpc(g, 1.0), LLVMBuildFAdd(g->b, fpc(g, 1.0), e, ""), "");
}

static LLVMValueRef gen_call(Gen *g, Func f, LLVMValueRef *a) {
  LLVMBuilderRef b = g->b;
  switch (f) {
  case FN_EXP:
    return intrinsic1(g, "llvm.exp", a[0]);
  case FN_LOG:
    return intrinsic1(g, "llvm.log", a[0]);
  case FN_SQRT:
    return intrinsic1(g, "llvm.sqrt", a[0]);
  case FN_RSQRT:
    return LLVMBuildFDiv(b, fpc(g, 1.0), intrinsic1(g, "llvm.sqrt", a[0]), "");
  case FN_SIGMOID:
    return sigmoid(g, a[0]);
  case FN_SILU:
    return LLVMBuildFMul(b, a[0], sigmoid(g, a[0]), "");
  case FN_SOFTPLUS: {
    /* log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): never overflows. */
    LLVMValueRef absx = intrinsic1(g, "llvm.fabs", a[0]);
    LLVMValueRef t = libm1(g, "log1pf", intrinsic1(g, "llvm.exp", LLVMBuildFNeg(b, absx, "")));
    LLVMValueRef args[2] = {a[0], fpc(g, 0.0)};
    return LLVMBuildFAdd(b, intrinsic(g, "llvm.maxnum", args, 2), t, "");
  }
  case FN_TANH:
    return libm1(g, "tanhf", a[0]);
  case FN_RELU: {
    LLVMValueRef neg = LLVMBuildFCmp(b, LLVMRealOLT, a[0], fpc(g, 0.0), "");
    return LLVMBuildSelect(b, neg, fpc(g, 0.0), a[0], "");
  }
  case FN_SIN:
    return intrinsic1(g, "llvm.sin", a[0]);
  case FN_COS:
    return intrinsic1(g, "llvm.cos", a[0]);
  case FN_GELU: {
    /* 0.5 x (1 + tanh(0.7978845608 (x + 0.044715 x^3))), as language.md says */
    LLVMValueRef x3 = LLVMBuildFMul(b, LLVMBuildFMul(b, a[0], a[0], ""), a[0], "");
    LLVMValueRef inner = LLVMBuildFAdd(b, a[0], LLVMBuildFMul(b, fpc(g, 0.044715), x3, ""), "");
    LLVMValueRef t = libm1(g, "tanhf", LLVMBuildFMul(b, fpc(g, 0.7978845608), inner, ""));
    LLVMValueRef half_x = LLVMBuildFMul(b, fpc(g, 0.5), a[0], "");
    return LLVMBuildFMul(b, half_x, LLVMBuildFAdd(b, fpc(g, 1.0), t, ""), "");
  }
  case FN_ABS:
    return intrinsic1(g, "llvm.fabs", a[0]);
  case FN_MAX: /* NaN-propagating, like numpy.maximum */
    return intrinsic(g, "llvm.maximum", a, 2);
  case FN_MIN:
    return intrinsic(g, "llvm.minimum", a, 2);
  case FN_POW:
    return intrinsic(g, "llvm.pow", a, 2);
  case FN_COUNT:
    break;
  }
  return NULL;
}

static LLVMValueRef gen_binary(Gen *g, Op op, LLVMValueRef a, LLVMValueRef c) {
  LLVMBuilderRef b = g->b;
  switch (op) {
  case OP_ADD:
    return contracted(g, LLVMBuildFAdd(b, a, c, ""));
  case OP_SUB:
    return contracted(g, LLVMBuildFSub(b, a, c, ""));
  case OP_MUL:
    return contracted(g, LLVMBuildFMul(b, a, c, ""));
  case OP_DIV:
    return LLVMBuildFDiv(b, a, c, "");
  case OP_LT:
    return LLVMBuildFCmp(b, LLVMRealOLT, a, c, "");
  case OP_LE:
    return LLVMBuildFCmp(b, LLVMRealOLE, a, c, "");
  case OP_GT:
    return LLVMBuildFCmp(b, LLVMRealOGT, a, c, "");
  case OP_GE:
    return LLVMBuildFCmp(b, LLVMRealOGE, a, c, "");
  case OP_EQ:
    return LLVMBuildFCmp(b, LLVMRealOEQ, a, c, "");
  case OP_NE:
    return LLVMBuildFCmp(b, LLVMRealUNE, a, c, "");
  case OP_AND:
    return LLVMBuildAnd(b, a, c, "");
  case OP_OR:
    return LLVMBuildOr(b, a, c, "");
  default:
    return NULL;
  }
}

/* A function's argument or a select's condition: rounded at every step even
 * inside a sum's term, so a comparison near a tie is decided as written. */
static LLVMValueRef gen_uncontracted(Gen *g, const LExpr *x) {
  bool saved = g->contract;
  g->contract = false;
  LLVMValueRef v = gen_expr(g, x);
  g->contract = saved;
  return v;
}

static LLVMValueRef gen_expr(Gen *g, const LExpr *x) {
  LLVMValueRef a[3];
  switch (x->kind) {
  case LX_CONST:
    return fpc(g, x->value);
  case LX_LOAD:
    return gen_load(g, x);
  case LX_TEMP:
    return LLVMBuildLoad2(g->b, g->fp, g->temps[x->temp], "");
  case LX_VAR:
    return LLVMBuildSIToFP(g->b, g->var_val[x->var], g->fp, "");
  case LX_UNARY:
    a[0] = gen_expr(g, x->arg[0]);
    return x->op == OP_NOT ? LLVMBuildNot(g->b, a[0], "") : LLVMBuildFNeg(g->b, a[0], "");
  case LX_BINARY:
    a[0] = gen_expr(g, x->arg[0]);
    a[1] = gen_expr(g, x->arg[1]);
    return gen_binary(g, x->op, a[0], a[1]);
  case LX_CALL:
    for (int i = 0; i < x->nargs; i++)
      a[i] = gen_uncontracted(g, x->arg[i]);
    return gen_call(g, x->func, a);
  case LX_SELECT:
    a[0] = gen_uncontracted(g, x->arg[0]);
    a[1] = gen_expr(g, x->arg[1]);
    a[2] = gen_expr(g, x->arg[2]);
    return LLVMBuildSelect(g->b, a[0], a[1], a[2], "");
  }
  return NULL;
}

/* ---- statements ---------------------------------------------------------------------- */

static LLVMValueRef apply_update(Gen *g, Update u, LLVMValueRef old, LLVMValueRef v) {
  LLVMValueRef args[2] = {old, v};
  switch (u) {
  case UPD_ADD:
    return reassoc(g, LLVMBuildFAdd(g->b, old, v, ""));
  case UPD_MUL:
    return reassoc(g, LLVMBuildFMul(g->b, old, v, ""));
  case UPD_MAX:
    return intrinsic(g, "llvm.maximum", args, 2);
  case UPD_MIN:
    return intrinsic(g, "llvm.minimum", args, 2);
  default:
    return v;
  }
}

static void gen_nodes(Gen *g, const LNode *n);

static void gen_store(Gen *g, const LNode *n) {
  g->contract = n->update == UPD_ADD;
  LLVMValueRef v = gen_expr(g, n->value);
  LLVMValueRef ptr;
  if (n->buf) {
    LLVMValueRef ok;
    ptr = element_ptr(g, n->buf, gen_offset(g, n->buf, n->index, false, &ok));
  } else {
    ptr = g->temps[n->temp];
  }
  if (n->update != UPD_SET)
    v = apply_update(g, n->update, LLVMBuildLoad2(g->b, g->fp, ptr, ""), v);
  g->contract = false;
  LLVMBuildStore(g->b, v, ptr);
}

/* ---- loops and where to split them ----------------------------------------------------- */

/* Cut points of a loop's range: where some padded load's bounds check
 * changes from always-false to always-true or back. */
typedef struct Cuts {
  int64_t at[8];
  int n;
  bool too_many;
} Cuts;

static void add_cut(Cuts *c, int64_t at, int64_t lo, int64_t hi) {
  if (at <= lo || at > hi)
    return;
  for (int i = 0; i < c->n; i++)
    if (c->at[i] == at)
      return;
  if (c->n == (int)(sizeof c->at / sizeof c->at[0])) {
    c->too_many = true;
    return;
  }
  c->at[c->n++] = at;
}

static void cuts_in_expr(Gen *g, const LExpr *x, int var, Cuts *c) {
  for (int i = 0; i < x->nargs; i++)
    cuts_in_expr(g, x->arg[i], var, c);
  if (x->kind != LX_LOAD || x->in_bounds)
    return;
  if (x->pad)
    cuts_in_expr(g, x->pad, var, c);
  int64_t lo = g->var_lo[var], hi = g->var_hi[var];
  for (int d = 0; d < x->buf->rank; d++) {
    int64_t coef, rlo, rhi;
    if (!index_linear_in(x->index[d], var, &coef) || (coef != 1 && coef != -1))
      continue;
    /* The rest of the index, with var at 0. */
    g->var_lo[var] = g->var_hi[var] = 0;
    bool exact = index_bounds(x->index[d], g->var_lo, g->var_hi, &rlo, &rhi);
    g->var_lo[var] = lo;
    g->var_hi[var] = hi;
    if (!exact)
      continue; /* no cut: the segments keep their checks */
    int64_t last = x->buf->dims[d] - 1;
    /* coef*var + rest stays in [0, last] for every rest exactly when var is
     * in [safe_lo, safe_hi]. A bound that overflows lies beyond [lo, hi]
     * (past INT64_MAX or before INT64_MIN), so it cuts nothing. */
    int64_t safe_lo, safe_hi, end;
    bool lo_over, hi_over = false;
    if (coef == 1) {
      lo_over = __builtin_sub_overflow(0, rlo, &safe_lo);
      hi_over = __builtin_sub_overflow(last, rhi, &safe_hi);
    } else {
      lo_over = __builtin_sub_overflow(rhi, last, &safe_lo);
      safe_hi = rlo;
    }
    if (!lo_over)
      add_cut(c, safe_lo, lo, hi);
    if (!hi_over && !__builtin_add_overflow(safe_hi, 1, &end))
      add_cut(c, end, lo, hi);
  }
}

static void cuts_in_nodes(Gen *g, const LNode *n, int var, Cuts *c) {
  for (; n; n = n->next) {
    if (n->kind == LN_LOOP)
      cuts_in_nodes(g, n->body, var, c);
    else
      cuts_in_expr(g, n->value, var, c);
  }
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Asks LLVM not to unroll a loop. A short innermost loop (16 state channels,
 * a reduction over 16) that is fully unrolled before vectorization leaves
 * the loop around it to be vectorized with gathers and scatters, 5-7x slower
 * than vectorizing the unit-stride loop itself (measured on mamba_scan). The
 * vectorizer still interleaves the loops it vectorizes. */
static void forbid_unrolling(Gen *g, LLVMValueRef latch_branch, bool no_vectorize) {
  LLVMMetadataRef self = LLVMTemporaryMDNode(g->ctx, NULL, 0);
  LLVMMetadataRef name = LLVMMDStringInContext2(g->ctx, "llvm.loop.unroll.disable", 24);
  /* A register tile's k loop: vectorizing along it would turn its dozens of
   * accumulators into vector reductions over gathered loads. */
  LLVMMetadataRef vec[2] = {LLVMMDStringInContext2(g->ctx, "llvm.loop.vectorize.enable", 26),
                            LLVMValueAsMetadata(LLVMConstInt(LLVMInt1TypeInContext(g->ctx), 0, 0))};
  LLVMMetadataRef ops[3] = {self, LLVMMDNodeInContext2(g->ctx, &name, 1),
                            LLVMMDNodeInContext2(g->ctx, vec, 2)};
  LLVMMetadataRef loop_id = LLVMMDNodeInContext2(g->ctx, ops, no_vectorize ? 3 : 2);
  LLVMMetadataReplaceAllUsesWith(self, loop_id);
  LLVMSetMetadata(latch_branch, LLVMGetMDKindIDInContext(g->ctx, "llvm.loop", 9),
                  LLVMMetadataAsValue(g->ctx, loop_id));
}

static bool is_innermost(const LNode *n) {
  for (const LNode *s = n->body; s; s = s->next)
    if (s->kind == LN_LOOP)
      return false;
  return true;
}

/* for (v = from; v < to; v += step), as a bottom-tested loop (from < to),
 * with v known to lie in [lo, hi]. */
static void gen_loop_piece(Gen *g, const LNode *n, LLVMValueRef from, LLVMValueRef to, int64_t lo,
                           int64_t hi) {
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef head = LLVMAppendBasicBlockInContext(g->ctx, g->fn, g->k->var_names[n->var]);
  LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "");
  LLVMBuildBr(g->b, head);
  LLVMPositionBuilderAtEnd(g->b, head);
  LLVMValueRef i = LLVMBuildPhi(g->b, g->i64, g->k->var_names[n->var]);
  g->var_val[n->var] = i;
  g->var_lo[n->var] = lo;
  g->var_hi[n->var] = hi;
  gen_nodes(g, n->body);
  LLVMValueRef next = LLVMBuildNSWAdd(g->b, i, i64c(g, n->step), "");
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(g->b);
  LLVMValueRef more = LLVMBuildICmp(g->b, LLVMIntSLT, next, to, "");
  LLVMValueRef br = LLVMBuildCondBr(g->b, more, head, exit);
  if (is_innermost(n))
    forbid_unrolling(g, br, n->no_vectorize);
  LLVMValueRef in_vals[2] = {from, next};
  LLVMBasicBlockRef in_blocks[2] = {pre, latch};
  LLVMAddIncoming(i, in_vals, in_blocks, 2);
  LLVMPositionBuilderAtEnd(g->b, exit);
}

/* A loop is split where a zero-padded read's bounds check changes, so that
 * each piece reads either plainly or not at all (l = 0 of a recurrence, the
 * first K-1 steps of a causal convolution): no per-element test remains. */
static void gen_loop(Gen *g, const LNode *n) {
  int64_t saved_lo = g->var_lo[n->var], saved_hi = g->var_hi[n->var];
  int64_t lo = 0, hi = n->extent - 1;
  g->var_lo[n->var] = lo;
  g->var_hi[n->var] = hi;
  LLVMValueRef saved = g->var_val[n->var];
  Cuts cuts = {{0}, 0, false};
  cuts_in_nodes(g, n->body, n->var, &cuts);
  if (cuts.too_many)
    cuts.n = 0;
  qsort(cuts.at, (size_t)cuts.n, sizeof cuts.at[0], cmp_i64);
  int64_t from = lo;
  for (int i = 0; i <= cuts.n; i++) {
    int64_t to = i < cuts.n ? cuts.at[i] : hi + 1;
    gen_loop_piece(g, n, i64c(g, from), i64c(g, to), from, to - 1);
    from = to;
  }
  g->var_lo[n->var] = saved_lo;
  g->var_hi[n->var] = saved_hi;
  g->var_val[n->var] = saved;
}

/* A tile loop (0, step, 2*step, ... below extent) or a point loop (from the
 * tile's start t to min(t + span, extent)). Never split: cache tiling only
 * takes nests whose loads are all in range. */
static void gen_tiled_loop(Gen *g, const LNode *n) {
  int64_t saved_lo = g->var_lo[n->var], saved_hi = g->var_hi[n->var];
  LLVMValueRef saved = g->var_val[n->var];
  if (n->tile < 0) {
    int64_t last = (n->extent - 1) / n->step * n->step;
    gen_loop_piece(g, n, i64c(g, 0), i64c(g, n->extent), 0, last);
  } else {
    LLVMValueRef t = g->var_val[n->tile];
    LLVMValueRef end = LLVMBuildNSWAdd(g->b, t, i64c(g, n->span), "");
    LLVMValueRef inside = LLVMBuildICmp(g->b, LLVMIntSLT, end, i64c(g, n->extent), "");
    LLVMValueRef to = LLVMBuildSelect(g->b, inside, end, i64c(g, n->extent), "");
    int64_t hi = g->var_hi[n->tile] + n->span - 1;
    gen_loop_piece(g, n, t, to, g->var_lo[n->tile], hi < n->extent - 1 ? hi : n->extent - 1);
  }
  g->var_lo[n->var] = saved_lo;
  g->var_hi[n->var] = saved_hi;
  g->var_val[n->var] = saved;
}

static void gen_nodes(Gen *g, const LNode *n) {
  for (; n; n = n->next) {
    if (n->kind == LN_LOOP && (n->step != 1 || n->tile >= 0))
      gen_tiled_loop(g, n);
    else if (n->kind == LN_LOOP)
      gen_loop(g, n);
    else
      gen_store(g, n);
  }
}

/* ---- functions ------------------------------------------------------------------------ */

static void add_attr(Gen *g, LLVMValueRef fn, unsigned index, const char *name) {
  unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
  LLVMAddAttributeAtIndex(fn, index, LLVMCreateEnumAttribute(g->ctx, kind, 0));
}

static LLVMValueRef gen_kernel(Gen *g, const Kernel *k) {
  LLVMTypeRef *params = scratch(k->nbufs);
  for (int i = 0; i < k->nbufs; i++)
    params[i] = g->ptr;
  char name[256];
  snprintf(name, sizeof name, "einc_kernel_%d_%s", k->id, k->name);
  LLVMValueRef fn =
      LLVMAddFunction(g->mod, name, LLVMFunctionType(g->void_t, params, (unsigned)k->nbufs, 0));
  free(params);
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  add_attr(g, fn, LLVMAttributeFunctionIndex, "nounwind");
  g->fn = fn;
  g->k = k;
  for (int i = 0; i < k->nbufs; i++) {
    add_attr(g, fn, (unsigned)i + 1, "noalias");
    g->buf_ptr[k->bufs[i]->id] = LLVMGetParam(fn, (unsigned)i);
  }
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, fn, "entry");
  LLVMPositionBuilderAtEnd(g->b, entry);
  for (int t = 0; t < k->ntemps; t++)
    g->temps[t] = LLVMBuildAlloca(g->b, g->fp, "");
  for (int i = 0; i < k->nlocals; i++) {
    /* A packed tile on the stack: cache-line aligned, reused every tile. */
    const LBuffer *b = k->locals[i];
    LLVMValueRef a = LLVMBuildAlloca(g->b, LLVMArrayType2(g->fp, (uint64_t)b->elements), b->name);
    LLVMSetAlignment(a, 64);
    g->buf_ptr[b->id] = a;
  }
  for (int v = 0; v < k->nvars; v++) {
    g->var_lo[v] = 0;
    g->var_hi[v] = v < k->einsum->nvars ? k->einsum->vars[v].extent - 1 : 0;
  }
  gen_nodes(g, k->body);
  LLVMBuildRetVoid(g->b);
  return fn;
}

/* void NAME_run(float **tensors): each kernel gets its buffers from the array. */
static LLVMValueRef gen_run_entry(Gen *g, const char *name, LLVMValueRef *kernels) {
  char fname[300];
  snprintf(fname, sizeof fname, "%s_run", name);
  LLVMValueRef fn = LLVMAddFunction(g->mod, fname, LLVMFunctionType(g->void_t, &g->ptr, 1, 0));
  add_attr(g, fn, LLVMAttributeFunctionIndex, "nounwind");
  LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
  LLVMValueRef tensors = LLVMGetParam(fn, 0);
  for (int i = 0; i < g->prog->nkernels; i++) {
    const Kernel *k = g->prog->kernels[i];
    LLVMValueRef *args = scratch(k->nbufs);
    LLVMTypeRef *types = scratch(k->nbufs);
    for (int j = 0; j < k->nbufs; j++) {
      LLVMValueRef idx = i64c(g, k->bufs[j]->id);
      LLVMValueRef slot = LLVMBuildInBoundsGEP2(g->b, g->ptr, tensors, &idx, 1, "");
      args[j] = LLVMBuildLoad2(g->b, g->ptr, slot, k->bufs[j]->name);
      types[j] = g->ptr;
    }
    LLVMTypeRef fty = LLVMFunctionType(g->void_t, types, (unsigned)k->nbufs, 0);
    LLVMBuildCall2(g->b, fty, kernels[i], args, (unsigned)k->nbufs, "");
    free(args);
    free(types);
  }
  LLVMBuildRetVoid(g->b);
  return fn;
}

/* void NAME(inputs, params, outputs in declaration order..., void *workspace):
 * intermediates live in the workspace at the offsets of cpu_layout(). */
static void gen_c_entry(Gen *g, const char *name, LLVMValueRef run) {
  const LoopProgram *p = g->prog;
  int nargs = 0;
  for (int i = 0; i < p->nbuffers; i++)
    nargs += p->buffers[i]->role != ROLE_INTERMEDIATE;
  LLVMTypeRef *params = scratch(nargs + 1);
  for (int i = 0; i <= nargs; i++)
    params[i] = g->ptr;
  LLVMValueRef fn =
      LLVMAddFunction(g->mod, name, LLVMFunctionType(g->void_t, params, (unsigned)nargs + 1, 0));
  free(params);
  add_attr(g, fn, LLVMAttributeFunctionIndex, "nounwind");
  LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
  LLVMValueRef arr = LLVMBuildArrayAlloca(g->b, g->ptr, i64c(g, p->nbuffers + 1), "tensors");
  LLVMValueRef workspace = LLVMGetParam(fn, (unsigned)nargs);
  int arg = 0;
  int64_t offset = 0;
  for (int i = 0; i < p->nbuffers; i++) {
    const LBuffer *buf = p->buffers[i];
    LLVMValueRef v;
    if (buf->role != ROLE_INTERMEDIATE) {
      v = LLVMGetParam(fn, (unsigned)arg++);
    } else {
      LLVMValueRef off = i64c(g, offset);
      v = LLVMBuildInBoundsGEP2(g->b, LLVMInt8TypeInContext(g->ctx), workspace, &off, 1, "");
      offset += cpu_aligned_bytes_in(buf->elements, g->precision);
    }
    LLVMValueRef idx = i64c(g, i);
    LLVMBuildStore(g->b, v, LLVMBuildInBoundsGEP2(g->b, g->ptr, arr, &idx, 1, ""));
  }
  LLVMBuildCall2(g->b, LLVMFunctionType(g->void_t, &g->ptr, 1, 0), run, &arr, 1, "");
  LLVMBuildRetVoid(g->b);
}

LLVMModuleRef cpu_codegen(const LoopProgram *p, const char *name, LLVMContextRef ctx) {
  return cpu_codegen_in(p, name, CPU_F32, ctx);
}

LLVMModuleRef cpu_codegen_in(const LoopProgram *p, const char *name, CpuPrecision precision,
                             LLVMContextRef ctx) {
  Gen g = {.ctx = ctx, .prog = p, .precision = precision};
  g.mod = LLVMModuleCreateWithNameInContext(name, ctx);
  g.b = LLVMCreateBuilderInContext(ctx);
  g.fp = precision == CPU_F64 ? LLVMDoubleTypeInContext(ctx) : LLVMFloatTypeInContext(ctx);
  g.i64 = LLVMInt64TypeInContext(ctx);
  g.ptr = LLVMPointerTypeInContext(ctx, 0);
  g.void_t = LLVMVoidTypeInContext(ctx);
  int max_vars = 1, max_temps = 1, max_locals = 0;
  for (int i = 0; i < p->nkernels; i++) {
    if (p->kernels[i]->nlocals > max_locals)
      max_locals = p->kernels[i]->nlocals;
    if (p->kernels[i]->nvars > max_vars)
      max_vars = p->kernels[i]->nvars;
    if (p->kernels[i]->ntemps > max_temps)
      max_temps = p->kernels[i]->ntemps;
  }
  g.buf_ptr = scratch(p->nbuffers + max_locals + 1);
  g.var_val = scratch(max_vars);
  g.var_lo = calloc((size_t)max_vars, sizeof *g.var_lo);
  g.var_hi = calloc((size_t)max_vars, sizeof *g.var_hi);
  g.temps = scratch(max_temps);
  LLVMValueRef *kernels = scratch(p->nkernels + 1);
  for (int i = 0; i < p->nkernels; i++)
    kernels[i] = gen_kernel(&g, p->kernels[i]);
  LLVMValueRef run = gen_run_entry(&g, name, kernels);
  gen_c_entry(&g, name, run);
  free(kernels);
  free(g.buf_ptr);
  free(g.var_val);
  free(g.var_lo);
  free(g.var_hi);
  free(g.temps);
  LLVMDisposeBuilder(g.b);
  return g.mod;
}
