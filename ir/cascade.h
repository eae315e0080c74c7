/* The Cascade IR: the algorithm, with no mapping in it.
 *
 * A Cascade is a list of tensors and an ordered list of Einsums. Each Einsum
 * defines one tensor from an expression tree; reductions (explicit, or placed
 * by the Einstein convention) are nodes of that tree, and a recurrence is a
 * note on the Einsum naming its iterative rank. Every object is owned by the
 * Arena of its compilation. Index variables are numbered per Einsum. */
#ifndef EINC_CASCADE_H
#define EINC_CASCADE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ir/arena.h"
#include "ir/diag.h"

typedef enum { DTYPE_F32, DTYPE_F16, DTYPE_BF16, DTYPE_I8, DTYPE_I32 } DType;

typedef enum { ROLE_INPUT, ROLE_PARAM, ROLE_OUTPUT, ROLE_INTERMEDIATE } Role;

typedef struct Tensor {
  int id;
  const char *name;
  Role role;
  DType dtype;
  int rank;
  int64_t *dims;
  bool declared; /* written with input/param/output/tensor, not inferred */
  SrcLoc loc;    /* the declaration, or the defining statement */
  int def;       /* index of the defining Einsum; -1 for inputs and params */
} Tensor;

/* Index expressions are affine in the index variables, plus floor division
 * and modulo by a positive constant. MUL has a constant on at least one side. */
typedef enum { IX_CONST, IX_VAR, IX_NEG, IX_ADD, IX_SUB, IX_MUL, IX_DIV, IX_MOD } IndexKind;

typedef struct Index {
  IndexKind kind;
  int64_t value; /* IX_CONST */
  int var;       /* IX_VAR */
  struct Index *lhs, *rhs;
} Index;

typedef enum {
  EX_CONST,  /* value */
  EX_READ,   /* tensor[index...]; out-of-range reads are 0 */
  EX_INDEX,  /* the value of index variable `var`, as a float */
  EX_UNARY,  /* op arg[0] */
  EX_BINARY, /* arg[0] op arg[1] */
  EX_CALL,   /* func(arg[0] [, arg[1]]) */
  EX_SELECT, /* arg[0] ? arg[1] : arg[2]; only the chosen side is used */
  EX_REDUCE, /* reduce(rvars: arg[0]) */
} ExprKind;

typedef enum {
  OP_NEG,
  OP_NOT,
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_DIV,
  OP_LT,
  OP_LE,
  OP_GT,
  OP_GE,
  OP_EQ,
  OP_NE,
  OP_AND,
  OP_OR,
} Op;

typedef enum {
  FN_EXP,
  FN_LOG,
  FN_SQRT,
  FN_RSQRT,
  FN_SIGMOID,
  FN_SILU,
  FN_SOFTPLUS,
  FN_TANH,
  FN_RELU,
  FN_SIN,
  FN_COS,
  FN_GELU,
  FN_ABS,
  FN_MAX, /* binary */
  FN_MIN, /* binary */
  FN_POW, /* binary */
  FN_COUNT
} Func;

typedef enum { RED_SUM, RED_MAX, RED_MIN, RED_PROD, RED_COUNT } ReduceOp;

typedef struct Expr {
  ExprKind kind;
  SrcLoc loc;
  double value;    /* EX_CONST */
  Tensor *tensor;  /* EX_READ */
  Index **index;   /* EX_READ: tensor->rank entries */
  int var;         /* EX_INDEX */
  Op op;           /* EX_UNARY, EX_BINARY */
  Func func;       /* EX_CALL */
  ReduceOp reduce; /* EX_REDUCE */
  int *rvars;      /* EX_REDUCE: the variables it binds */
  int nrvars;
  bool implicit; /* EX_REDUCE placed by the Einstein convention */
  struct Expr *arg[3];
  int nargs;
} Expr;

typedef struct IndexVar {
  const char *name;
  int64_t extent;
  SrcLoc loc; /* first occurrence */
} IndexVar;

/* out[..., v, ...] reads itself at v - k for constant k >= 1 along `pos`. */
typedef struct Recurrence {
  int pos; /* position of the iterative rank in the left-hand side */
  int64_t max_offset;
  Expr *init; /* value of reads before index 0; NULL means 0 */
} Recurrence;

typedef struct Einsum {
  int id;
  SrcLoc loc;
  Tensor *out;
  int *lhs; /* out->rank variable ids */
  IndexVar *vars;
  int nvars;
  Expr *rhs;
  Recurrence *rec; /* NULL unless a recurrence */
} Einsum;

typedef struct LetConst {
  const char *name;
  int64_t value;
  bool overridden; /* set with -D */
} LetConst;

typedef struct Cascade {
  const char *file;
  Tensor **tensors;
  int ntensors;
  Einsum **einsums;
  int neinsums;
  LetConst *lets;
  int nlets;
} Cascade;

/* Names, for the frontend and the printers. */
const char *dtype_name(DType t);
const char *role_name(Role r);    /* "input", "param", "output", "intermediate" */
const char *role_keyword(Role r); /* "input", "param", "output", "tensor" */
const char *func_name(Func f);
int func_arity(Func f);
const char *reduce_name(ReduceOp r);
const char *op_name(Op op);            /* "+", "<=", "!", ... */
bool op_is_condition(Op op);           /* comparisons and logic give conditions */
bool expr_is_condition(const Expr *x); /* a comparison or logic node */
/* The element count; the frontend refuses a tensor whose count overflows
 * (tensor_count_elements), so every later caller gets an exact value. */
int64_t tensor_elements(const Tensor *t);
bool tensor_count_elements(const Tensor *t, int64_t *n); /* false on overflow */
/* The index variable a recurrence runs along: the left-hand one at rec->pos. */
int recurrence_var(const Einsum *e);
Tensor *cascade_find_tensor(const Cascade *c, const char *name);

/* Whether variable var appears in an index, or anywhere in an expression
 * (its reads' indices and its index values). */
bool index_uses(const Index *ix, int var);
bool expr_uses(const Expr *x, int var);
/* Whether some node of x (NULL: none) satisfies pred; predicates for it. */
bool expr_any(const Expr *x, bool (*pred)(const Expr *));
/* The first read of tensor t in x (NULL: none), depth first. */
const Expr *expr_find_read(const Expr *x, const Tensor *t);
/* Whether variable v is one of e's left-hand variables. */
bool einsum_is_lhs_var(const Einsum *e, int v);
bool expr_is_reduce(const Expr *x);
bool expr_is_index_value(const Expr *x);
/* sum(k: READ * READ): a contraction of two tensors over one rank. */
bool expr_is_product_sum(const Expr *x);

/* The range [lo, hi] an index takes when each variable v is in
 * [var_lo[v], var_hi[v]] (interval arithmetic: exact for affine indices).
 * False when a bound of some subexpression leaves the 64-bit range; the
 * frontend refuses such an index over the variables' full extents, so within
 * them (and any tile of them) the answer is always exact. */
bool index_bounds(const Index *ix, const int64_t *var_lo, const int64_t *var_hi, int64_t *lo,
                  int64_t *hi);

/* Floor division and modulo (round toward negative infinity), b > 0. */
int64_t floor_div(int64_t a, int64_t b);
int64_t floor_mod(int64_t a, int64_t b);

/* Checks the invariants every pass relies on; reports violations as errors
 * at the Einsum's location and returns false if any. */
bool cascade_verify(const Cascade *c, Diag *d);

/* Printers. The text form is a canonical .ein program: the frontend reads it
 * back, and print -> parse -> print gives the same text. */
void print_text(const Cascade *c, FILE *out);
void print_dot(const Cascade *c, FILE *out);
void print_json(const Cascade *c, FILE *out);

/* Writes one expression or index in the text form (used by diagnostics too). */
void print_expr(const Einsum *e, const Expr *x, FILE *out);
void print_index(const Einsum *e, const Index *ix, FILE *out);

#endif
