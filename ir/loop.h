/* The Loop IR: the mapped program made explicit, read by both backends.
 *
 * A LoopProgram has buffers (one per tensor in DRAM under the trivial mapping;
 * on-chip tiles later) and one kernel per Einsum. A kernel is a tree of loops
 * and stores. Values are scalar expressions over loop variables: constants,
 * loads with affine indices (an out-of-range load gives `pad`, 0 unless it
 * is a recurrence's read before its start), scalar temporaries that hold
 * reductions, and elementwise operations. Kernels share the Cascade IR's
 * variable numbering of their Einsum, so Index trees are shared, not copied. */
#ifndef EINC_LOOP_H
#define EINC_LOOP_H

#include "ir/cascade.h"

/* MEM_LOCAL: a kernel's own scratch buffer (a packed tile), on the stack of
 * the kernel's function on the CPU. */
typedef enum { MEM_DRAM, MEM_SRAM, MEM_LOCAL } MemLevel;

typedef struct LBuffer {
  int id;
  const char *name;
  Tensor *tensor;
  Role role;
  MemLevel level;
  int rank;
  int64_t *dims;
  int64_t *strides; /* in elements, row-major */
  int64_t elements;
} LBuffer;

typedef enum {
  LX_CONST,  /* value */
  LX_LOAD,   /* buf[index...], or pad when out of range */
  LX_TEMP,   /* scalar temporary `temp` */
  LX_VAR,    /* loop variable `var` as a float */
  LX_UNARY,  /* op arg[0] (OP_NEG, OP_NOT) */
  LX_BINARY, /* arg[0] op arg[1] */
  LX_CALL,   /* func(arg...) */
  LX_SELECT, /* arg[0] ? arg[1] : arg[2] */
} LExprKind;

typedef struct LExpr {
  LExprKind kind;
  double value;
  LBuffer *buf;
  Index **index;
  bool in_bounds;    /* LX_LOAD: every index provably in range: no check */
  struct LExpr *pad; /* LX_LOAD: value when out of range; NULL means 0 */
  int temp;
  int var;
  Op op;
  Func func;
  struct LExpr *arg[3];
  int nargs;
} LExpr;

typedef enum { UPD_SET, UPD_ADD, UPD_MUL, UPD_MAX, UPD_MIN } Update;

typedef enum { LN_LOOP, LN_STORE } LNodeKind;

typedef struct LNode {
  LNodeKind kind;
  struct LNode *next; /* the next statement in the same body */
  /* LN_LOOP, in increasing order, one of three shapes:
   * - plain (step 1, tile -1): for var in [0, extent);
   * - a tile loop (step > 1): var = 0, step, 2*step, ... while var < extent;
   * - a point loop (tile >= 0): the iterations of one tile, for var in
   *   [t, min(t + span, extent)) where t is the current value of the tile
   *   loop's variable `tile`.
   * Cache tiling (passes/tile_cpu.c) makes the last two; the trivial mapping
   * only plain loops. */
  int var;
  int64_t extent;
  int64_t step;
  int tile;
  int64_t span;
  /* Not to be vectorized along: the body is a register tile of scalar
   * temporaries that the SLP vectorizer packs into vectors instead. */
  bool no_vectorize;
  struct LNode *body;
  /* LN_STORE: buf[index] (or the temporary `temp` when buf is NULL) op= value */
  LBuffer *buf;
  Index **index;
  int temp;
  Update update;
  LExpr *value;
} LNode;

typedef struct Kernel {
  int id;
  const char *name; /* the tensor it defines */
  const Einsum *einsum;
  /* The Einsum's variables (same ids), then the tile loops' own variables
   * (ids from einsum->nvars on), which no index mentions. */
  int nvars;
  const char **var_names;
  int ntemps;
  LNode *body;
  LBuffer **bufs; /* the distinct buffers it touches, output first */
  int nbufs;
  /* Its MEM_LOCAL buffers, with ids from the program's nbuffers on. */
  LBuffer **locals;
  int nlocals;
} Kernel;

/* What lower_program does beyond the trivial mapping.
 * - epilogue: an Einsum whose right side is a function of one reduction
 *   (`x[l, d] + sum(e: yg[l, e] * W[e, d])`, `softplus(sum(...) + b[e])`)
 *   accumulates the reduction in place in its output with the blocked
 *   accumulate nest, then applies the rest elementwise over the output,
 *   instead of one scalar temporary per output element;
 * - cache_tiling: the accumulate nests are tiled for the L1 and L2 caches. */
typedef struct LowerOptions {
  bool epilogue;
  bool cache_tiling;
  int block_cols; /* the tiled micro-kernel's columns (passes/tile_cpu.h); 0: the default */
} LowerOptions;

typedef struct LoopProgram {
  const Cascade *cascade;
  LowerOptions options; /* how it was lowered: any Einsum with each option */
  LBuffer **buffers;    /* buffers[i] holds cascade->tensors[i] */
  int nbuffers;
  Kernel **kernels; /* in Einsum order */
  int nkernels;
} LoopProgram;

/* Where buf[index] falls for every variable value v in [var_lo[v], var_hi[v]]:
 * inside the buffer, wholly outside it in some dimension, or a mix. */
typedef enum { RANGE_INSIDE, RANGE_OUTSIDE, RANGE_MIXED } RangeFact;
RangeFact access_range(const LBuffer *buf, Index *const *index, const int64_t *var_lo,
                       const int64_t *var_hi);
/* If ix = coef * var + (terms without var), the coefficient; false when var
 * appears under / or %, or when the coefficient does not fit in 64 bits. */
bool index_linear_in(const Index *ix, int var, int64_t *coef);

/* Every tensor a DRAM buffer, one kernel per Einsum, shaped by opt
 * (passes/lower.c). */
LoopProgram *lower_program(const Cascade *c, const LowerOptions *opt, Arena *arena);
/* The same with options per Einsum: opt[i] for c->einsums[i]. */
LoopProgram *lower_each(const Cascade *c, const LowerOptions *opt, Arena *arena);
/* The trivial mapping: lower_program with every option off (the untiled,
 * unfused baseline of --fusion none). */
LoopProgram *lower_trivial(const Cascade *c, Arena *arena);

/* Checks the invariants the backends rely on (every variable an index or a
 * value uses bound by an enclosing loop, buffers and temporaries the
 * program's, one kernel per Einsum); reports violations as "IR verifier:"
 * errors and returns false if any. */
bool loop_verify(const LoopProgram *p, Diag *diag);

/* A readable listing of the Loop IR (not meant to be parsed back). */
void print_loop(const LoopProgram *p, FILE *out);

#endif
