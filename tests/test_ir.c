/* Unit tests of the Cascade IR's printers and verifier. Cascades are built
 * by hand with the small builder below, so these tests need no frontend. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/cascade.h"
#include "tests/testutil.h"

/* ---- a builder for hand-made cascades ---- */

typedef struct Builder {
  Arena arena;
  Cascade c;
  Einsum *e; /* the Einsum being built: expression helpers resolve names in it */
} Builder;

#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

static void builder_init(Builder *b, const char *file) {
  memset(b, 0, sizeof *b);
  arena_init(&b->arena);
  b->c.file = file;
}

static void builder_free(Builder *b) { arena_free(&b->arena); }

static void add_let(Builder *b, const char *name, int64_t value, bool overridden) {
  size_t size = sizeof(LetConst);
  b->c.lets = arena_grow(&b->arena, b->c.lets, b->c.nlets * size, (b->c.nlets + 1) * size);
  b->c.lets[b->c.nlets++] = (LetConst){name, value, overridden};
}

/* Tensors sit at line id + 1 of the pretend source; Einsums at line 10 + position. */
static Tensor *add_tensor(Builder *b, const char *name, Role role, int rank, const int64_t *dims) {
  Tensor *t = arena_alloc(&b->arena, sizeof *t);
  t->id = b->c.ntensors;
  t->name = name;
  t->role = role;
  t->dtype = DTYPE_F32;
  t->rank = rank;
  t->dims = arena_alloc(&b->arena, sizeof(int64_t) * (size_t)(rank > 0 ? rank : 1));
  for (int i = 0; i < rank; i++)
    t->dims[i] = dims[i];
  t->declared = role != ROLE_INTERMEDIATE;
  t->loc = (SrcLoc){b->c.file, t->id + 1, 1};
  t->def = -1;
  size_t size = sizeof(Tensor *);
  b->c.tensors =
      arena_grow(&b->arena, b->c.tensors, b->c.ntensors * size, (b->c.ntensors + 1) * size);
  b->c.tensors[b->c.ntensors++] = t;
  return t;
}

/* vars: "l=64 e=32 k=8"; the first out->rank of them form the left-hand side. */
static Einsum *add_einsum(Builder *b, Tensor *out, const char *vars) {
  Einsum *e = arena_alloc(&b->arena, sizeof *e);
  e->id = b->c.neinsums;
  e->loc = (SrcLoc){b->c.file, 10 + e->id, 1};
  e->out = out;
  out->def = e->id;
  e->vars = arena_alloc(&b->arena, sizeof(IndexVar) * 16);
  char name[32];
  long long extent;
  int used;
  for (const char *p = vars; sscanf(p, " %31[^=]=%lld%n", name, &extent, &used) == 2; p += used) {
    e->vars[e->nvars] = (IndexVar){arena_strdup(&b->arena, name), extent, e->loc};
    e->nvars++;
  }
  e->lhs = arena_alloc(&b->arena, sizeof(int) * (size_t)(out->rank > 0 ? out->rank : 1));
  for (int i = 0; i < out->rank; i++)
    e->lhs[i] = i;
  size_t size = sizeof(Einsum *);
  b->c.einsums =
      arena_grow(&b->arena, b->c.einsums, b->c.neinsums * size, (b->c.neinsums + 1) * size);
  b->c.einsums[b->c.neinsums++] = e;
  b->e = e;
  return e;
}

static int var_id(Builder *b, const char *name) {
  for (int i = 0; i < b->e->nvars; i++)
    if (strcmp(b->e->vars[i].name, name) == 0)
      return i;
  ck_abort_msg("no variable %s", name);
  return -1;
}

static Index *new_index(Builder *b, IndexKind kind) {
  Index *ix = arena_alloc(&b->arena, sizeof *ix);
  ix->kind = kind;
  return ix;
}

static Index *iv(Builder *b, const char *name) {
  Index *ix = new_index(b, IX_VAR);
  ix->var = var_id(b, name);
  return ix;
}

static Index *ic(Builder *b, int64_t value) {
  Index *ix = new_index(b, IX_CONST);
  ix->value = value;
  return ix;
}

static Index *ineg(Builder *b, Index *arg) {
  Index *ix = new_index(b, IX_NEG);
  ix->lhs = arg;
  return ix;
}

static Index *ibin(Builder *b, IndexKind kind, Index *lhs, Index *rhs) {
  Index *ix = new_index(b, kind);
  ix->lhs = lhs;
  ix->rhs = rhs;
  return ix;
}

static Expr *new_expr(Builder *b, ExprKind kind) {
  Expr *x = arena_alloc(&b->arena, sizeof *x);
  x->kind = kind;
  x->loc = b->e ? b->e->loc : (SrcLoc){b->c.file, 1, 1};
  return x;
}

static Expr *num(Builder *b, double value) {
  Expr *x = new_expr(b, EX_CONST);
  x->value = value;
  return x;
}

/* A read with t->rank index expressions. */
static Expr *rd(Builder *b, Tensor *t, ...) {
  Expr *x = new_expr(b, EX_READ);
  x->tensor = t;
  x->index = arena_alloc(&b->arena, sizeof(Index *) * (size_t)(t->rank > 0 ? t->rank : 1));
  va_list ap;
  va_start(ap, t);
  for (int i = 0; i < t->rank; i++)
    x->index[i] = va_arg(ap, Index *);
  va_end(ap);
  return x;
}

/* A read indexed by plain variables: rv(b, x, "l e"). */
static Expr *rv(Builder *b, Tensor *t, const char *vars) {
  Expr *x = rd(b, t);
  char name[32];
  int used, i = 0;
  for (const char *p = vars; sscanf(p, " %31s%n", name, &used) == 1; p += used)
    x->index[i++] = iv(b, name);
  ck_assert_int_eq(i, t->rank);
  return x;
}

static Expr *val(Builder *b, const char *var) {
  Expr *x = new_expr(b, EX_INDEX);
  x->var = var_id(b, var);
  return x;
}

static Expr *un(Builder *b, Op op, Expr *arg) {
  Expr *x = new_expr(b, EX_UNARY);
  x->op = op;
  x->arg[0] = arg;
  x->nargs = 1;
  return x;
}

static Expr *bin(Builder *b, Op op, Expr *lhs, Expr *rhs) {
  Expr *x = new_expr(b, EX_BINARY);
  x->op = op;
  x->arg[0] = lhs;
  x->arg[1] = rhs;
  x->nargs = 2;
  return x;
}

/* rhs NULL for one-argument functions. */
static Expr *call(Builder *b, Func f, Expr *a, Expr *c) {
  Expr *x = new_expr(b, EX_CALL);
  x->func = f;
  x->arg[0] = a;
  x->arg[1] = c;
  x->nargs = c ? 2 : 1;
  return x;
}

static Expr *sel(Builder *b, Expr *cond, Expr *then, Expr *otherwise) {
  Expr *x = new_expr(b, EX_SELECT);
  x->arg[0] = cond;
  x->arg[1] = then;
  x->arg[2] = otherwise;
  x->nargs = 3;
  return x;
}

/* vars: "k n". */
static Expr *red(Builder *b, ReduceOp op, const char *vars, Expr *body, bool implicit) {
  Expr *x = new_expr(b, EX_REDUCE);
  x->reduce = op;
  x->rvars = arena_alloc(&b->arena, sizeof(int) * 8);
  char name[32];
  int used;
  for (const char *p = vars; sscanf(p, " %31s%n", name, &used) == 1; p += used)
    x->rvars[x->nrvars++] = var_id(b, name);
  x->implicit = implicit;
  x->arg[0] = body;
  x->nargs = 1;
  return x;
}

static Recurrence *recur(Builder *b, const char *var, int64_t max_offset, Expr *init) {
  Recurrence *rec = arena_alloc(&b->arena, sizeof *rec);
  for (int i = 0; i < b->e->out->rank; i++)
    if (b->e->lhs[i] == var_id(b, var))
      rec->pos = i;
  rec->max_offset = max_offset;
  rec->init = init;
  b->e->rec = rec;
  return rec;
}

/* ---- capturing printer output ---- */

/* A memory stream that one printer call writes into. */
typedef struct Capture {
  char *buf;
  size_t len;
  FILE *f;
} Capture;

static FILE *capture_open(Capture *m) {
  m->buf = NULL;
  m->len = 0;
  m->f = open_memstream(&m->buf, &m->len);
  ck_assert_ptr_nonnull(m->f);
  return m->f;
}

/* The text written, malloc'ed. */
static char *capture_close(Capture *m) {
  fclose(m->f);
  return m->buf;
}

typedef void (*CascadePrinter)(const Cascade *c, FILE *out);

static char *capture(CascadePrinter print, const Cascade *c) {
  Capture m;
  print(c, capture_open(&m));
  return capture_close(&m);
}

static char *expr_text(Builder *b, const Expr *x) {
  Capture m;
  print_expr(b->e, x, capture_open(&m));
  return capture_close(&m);
}

static char *index_text(Builder *b, const Index *ix) {
  Capture m;
  print_index(b->e, ix, capture_open(&m));
  return capture_close(&m);
}

/* Compares a malloc'ed text with the expected one, failing at the caller's line. */
#define ASSERT_TEXT(text, expected)                                                                \
  do {                                                                                             \
    char *got_ = (text);                                                                           \
    ck_assert_str_eq(got_, expected);                                                              \
    free(got_);                                                                                    \
  } while (0)

#define ASSERT_PRINTS(printer, cascade, expected) ASSERT_TEXT(capture(printer, cascade), expected)
#define ASSERT_EXPR(b, x, expected) ASSERT_TEXT(expr_text(b, x), expected)
#define ASSERT_INDEX(b, ix, expected) ASSERT_TEXT(index_text(b, ix), expected)

/* ---- the language's Mamba example, smaller ---- */

static void build_mamba(Builder *b) {
  builder_init(b, "mamba.ein");
  add_let(b, "L", 8, false);
  add_let(b, "E", 4, true);
  add_let(b, "N", 2, false);
  Tensor *u = add_tensor(b, "u", ROLE_INPUT, 2, DIMS(8, 4));
  Tensor *dt = add_tensor(b, "dt", ROLE_INPUT, 2, DIMS(8, 4));
  Tensor *bm = add_tensor(b, "Bm", ROLE_INPUT, 2, DIMS(8, 2));
  Tensor *cm = add_tensor(b, "Cm", ROLE_INPUT, 2, DIMS(8, 2));
  Tensor *a = add_tensor(b, "A", ROLE_PARAM, 2, DIMS(4, 2));
  Tensor *dskip = add_tensor(b, "Dskip", ROLE_PARAM, 1, DIMS(4));
  Tensor *y = add_tensor(b, "y", ROLE_OUTPUT, 2, DIMS(8, 4));
  Tensor *da = add_tensor(b, "dA", ROLE_INTERMEDIATE, 3, DIMS(8, 4, 2));
  Tensor *dbu = add_tensor(b, "dBu", ROLE_INTERMEDIATE, 3, DIMS(8, 4, 2));
  Tensor *h = add_tensor(b, "h", ROLE_INTERMEDIATE, 3, DIMS(8, 4, 2));

  add_einsum(b, da, "l=8 e=4 n=2");
  b->e->rhs = call(b, FN_EXP, bin(b, OP_MUL, rv(b, dt, "l e"), rv(b, a, "e n")), NULL);
  add_einsum(b, dbu, "l=8 e=4 n=2");
  b->e->rhs = bin(b, OP_MUL, bin(b, OP_MUL, rv(b, dt, "l e"), rv(b, bm, "l n")), rv(b, u, "l e"));
  add_einsum(b, h, "l=8 e=4 n=2");
  Expr *prev = rd(b, h, ibin(b, IX_SUB, iv(b, "l"), ic(b, 1)), iv(b, "e"), iv(b, "n"));
  b->e->rhs = bin(b, OP_ADD, bin(b, OP_MUL, rv(b, da, "l e n"), prev), rv(b, dbu, "l e n"));
  recur(b, "l", 1, NULL);
  add_einsum(b, y, "l=8 e=4 n=2");
  Expr *state = red(b, RED_SUM, "n", bin(b, OP_MUL, rv(b, h, "l e n"), rv(b, cm, "l n")), false);
  b->e->rhs = bin(b, OP_ADD, state, bin(b, OP_MUL, rv(b, dskip, "e"), rv(b, u, "l e")));
}

static const char mamba_text[] = "# einc cascade IR (text form; einc reads it back)\n"
                                 "let L = 8, E = 4, N = 2\n"
                                 "\n"
                                 "input u[8, 4]\n"
                                 "input dt[8, 4]\n"
                                 "input Bm[8, 2]\n"
                                 "input Cm[8, 2]\n"
                                 "param A[4, 2]\n"
                                 "param Dskip[4]\n"
                                 "output y[8, 4]\n"
                                 "tensor dA[8, 4, 2]\n"
                                 "tensor dBu[8, 4, 2]\n"
                                 "tensor h[8, 4, 2]\n"
                                 "\n"
                                 "dA[l, e, n] = exp(dt[l, e] * A[e, n])\n"
                                 "dBu[l, e, n] = dt[l, e] * Bm[l, n] * u[l, e]\n"
                                 "h[l, e, n] = dA[l, e, n] * h[l - 1, e, n] + dBu[l, e, n]"
                                 "  # recurrence along l\n"
                                 "y[l, e] = sum(n: h[l, e, n] * Cm[l, n]) + Dskip[e] * u[l, e]\n";

START_TEST(text_mamba) {
  Builder b;
  build_mamba(&b);
  ASSERT_PRINTS(print_text, &b.c, mamba_text);
  builder_free(&b);
}
END_TEST

/* Scalars, dtypes, init, implicit reductions, no lets. */
START_TEST(text_scalars_types_init) {
  Builder b;
  builder_init(&b, "misc.ein");
  Tensor *s = add_tensor(&b, "s", ROLE_INPUT, 0, NULL);
  Tensor *x = add_tensor(&b, "x", ROLE_INPUT, 2, DIMS(3, 5));
  x->dtype = DTYPE_F16;
  Tensor *h0 = add_tensor(&b, "h0", ROLE_PARAM, 1, DIMS(5));
  h0->dtype = DTYPE_BF16;
  Tensor *total = add_tensor(&b, "total", ROLE_OUTPUT, 0, NULL);
  Tensor *f = add_tensor(&b, "f", ROLE_INTERMEDIATE, 2, DIMS(3, 5));
  f->dtype = DTYPE_I32;

  add_einsum(&b, f, "l=3 e=5");
  Expr *prev2 = rd(&b, f, ibin(&b, IX_SUB, iv(&b, "l"), ic(&b, 2)), iv(&b, "e"));
  b.e->rhs = bin(&b, OP_ADD, bin(&b, OP_MUL, rd(&b, s), prev2), rv(&b, x, "l e"));
  recur(&b, "l", 2, bin(&b, OP_MUL, rv(&b, h0, "e"), num(&b, 2)));
  add_einsum(&b, total, "l=3 e=5");
  b.e->rhs = bin(&b, OP_ADD, red(&b, RED_SUM, "l e", rv(&b, f, "l e"), true), rd(&b, s));

  ASSERT_PRINTS(print_text, &b.c,
                "# einc cascade IR (text form; einc reads it back)\n"
                "\n"
                "input s\n"
                "input x[3, 5] : f16\n"
                "param h0[5] : bf16\n"
                "output total\n"
                "tensor f[3, 5] : i32\n"
                "\n"
                "f[l, e] = s * f[l - 2, e] + x[l, e] init h0[e] * 2  # recurrence along l\n"
                "total = sum(l, e: f[l, e]) + s\n");
  builder_free(&b);
}
END_TEST

/* A one-Einsum scratch cascade whose variables i, j, k index the scalars a..d. */
typedef struct Scratch {
  Builder b;
  Tensor *x;
  Expr *a, *bb, *c, *d;
} Scratch;

static void scratch_init(Scratch *s) {
  builder_init(&s->b, "scratch.ein");
  s->x = add_tensor(&s->b, "x", ROLE_INPUT, 2, DIMS(4, 4));
  Tensor *a = add_tensor(&s->b, "a", ROLE_INPUT, 0, NULL);
  Tensor *b = add_tensor(&s->b, "b", ROLE_INPUT, 0, NULL);
  Tensor *c = add_tensor(&s->b, "c", ROLE_INPUT, 0, NULL);
  Tensor *d = add_tensor(&s->b, "d", ROLE_INPUT, 0, NULL);
  Tensor *y = add_tensor(&s->b, "y", ROLE_OUTPUT, 2, DIMS(4, 4));
  add_einsum(&s->b, y, "i=4 j=4 k=4 n=4 q=4");
  s->a = rd(&s->b, a);
  s->bb = rd(&s->b, b);
  s->c = rd(&s->b, c);
  s->d = rd(&s->b, d);
}

START_TEST(text_precedence_arithmetic) {
  Scratch s;
  scratch_init(&s);
  Builder *b = &s.b;
  Expr *a = s.a, *bb = s.bb, *c = s.c, *d = s.d;
  ASSERT_EXPR(b, bin(b, OP_SUB, a, bin(b, OP_SUB, bb, c)), "a - (b - c)");
  ASSERT_EXPR(b, bin(b, OP_SUB, bin(b, OP_SUB, a, bb), c), "a - b - c");
  ASSERT_EXPR(b, bin(b, OP_MUL, bin(b, OP_ADD, a, bb), c), "(a + b) * c");
  ASSERT_EXPR(b, bin(b, OP_ADD, bin(b, OP_MUL, a, bb), c), "a * b + c");
  ASSERT_EXPR(b, bin(b, OP_ADD, a, bin(b, OP_MUL, bb, c)), "a + b * c");
  ASSERT_EXPR(b, bin(b, OP_ADD, a, bin(b, OP_ADD, bb, c)), "a + (b + c)");
  ASSERT_EXPR(b, bin(b, OP_DIV, a, bin(b, OP_MUL, bb, c)), "a / (b * c)");
  ASSERT_EXPR(b, bin(b, OP_DIV, bin(b, OP_MUL, a, bb), c), "a * b / c");
  ASSERT_EXPR(b, bin(b, OP_MUL, bin(b, OP_SUB, a, bb), bin(b, OP_ADD, c, d)), "(a - b) * (c + d)");
  ASSERT_EXPR(b, un(b, OP_NEG, bin(b, OP_ADD, a, bb)), "-(a + b)");
  ASSERT_EXPR(b, un(b, OP_NEG, bin(b, OP_MUL, a, bb)), "-(a * b)");
  ASSERT_EXPR(b, bin(b, OP_MUL, un(b, OP_NEG, a), bb), "-a * b");
  ASSERT_EXPR(b, un(b, OP_NEG, un(b, OP_NEG, a)), "-(-a)");
  ASSERT_EXPR(b, bin(b, OP_MUL, a, num(b, -2)), "a * -2");
  ASSERT_EXPR(b, bin(b, OP_SUB, a, num(b, -0.5)), "a - -0.5");
  ASSERT_EXPR(b, bin(b, OP_MUL, num(b, -2), a), "-2 * a");
  /* Negations of constants print as the folded constant, as the parser reads them. */
  ASSERT_EXPR(b, bin(b, OP_MUL, un(b, OP_NEG, num(b, 2)), a), "-2 * a");
  ASSERT_EXPR(b, un(b, OP_NEG, num(b, -2)), "2");
  ASSERT_EXPR(b, un(b, OP_NEG, un(b, OP_NEG, num(b, 3))), "3");
  ASSERT_EXPR(b, un(b, OP_NEG, num(b, INFINITY)), "-inf");
  ASSERT_EXPR(b, bin(b, OP_SUB, bin(b, OP_MUL, num(b, 2), val(b, "i")), val(b, "k")), "2 * i - k");
  builder_free(b);
}
END_TEST

START_TEST(text_precedence_conditions) {
  Scratch s;
  scratch_init(&s);
  Builder *b = &s.b;
  Expr *a = s.a, *bb = s.bb, *c = s.c;
  Expr *i = val(b, "i"), *j = val(b, "j"), *k = val(b, "k");
  Expr *j_le_i = bin(b, OP_LE, j, i);
  Expr *i_lt_k = bin(b, OP_LT, i, k);
  Expr *i_eq_k = bin(b, OP_EQ, i, k);
  ASSERT_EXPR(b, bin(b, OP_OR, bin(b, OP_AND, j_le_i, i_lt_k), un(b, OP_NOT, i_eq_k)),
              "j <= i && i < k || !(i == k)");
  ASSERT_EXPR(b, bin(b, OP_AND, j_le_i, bin(b, OP_OR, i_lt_k, i_eq_k)),
              "j <= i && (i < k || i == k)");
  ASSERT_EXPR(b, bin(b, OP_OR, bin(b, OP_OR, j_le_i, i_lt_k), i_eq_k), "j <= i || i < k || i == k");
  ASSERT_EXPR(b, bin(b, OP_OR, j_le_i, bin(b, OP_OR, i_lt_k, i_eq_k)),
              "j <= i || (i < k || i == k)");
  ASSERT_EXPR(b, un(b, OP_NOT, un(b, OP_NOT, j_le_i)), "!!(j <= i)");
  ASSERT_EXPR(b, bin(b, OP_GT, bin(b, OP_ADD, a, bb), bin(b, OP_MUL, c, num(b, 2))),
              "a + b > c * 2");
  ASSERT_EXPR(b, bin(b, OP_NE, a, bb), "a != b");
  ASSERT_EXPR(b, bin(b, OP_GE, a, bb), "a >= b");
  builder_free(b);
}
END_TEST

START_TEST(text_calls_select_reduce) {
  Scratch s;
  scratch_init(&s);
  Builder *b = &s.b;
  Expr *a = s.a, *bb = s.bb;
  Expr *masked =
      sel(b, bin(b, OP_LE, val(b, "j"), val(b, "i")), rv(b, s.x, "i j"), num(b, -INFINITY));
  ASSERT_EXPR(b, masked, "select(j <= i, x[i, j], -inf)");
  ASSERT_EXPR(b, red(b, RED_MAX, "j", masked, false), "max(j: select(j <= i, x[i, j], -inf))");
  Expr *inner = red(b, RED_SUM, "k", bin(b, OP_MUL, rv(b, s.x, "i k"), rv(b, s.x, "k j")), true);
  Expr *nested = sel(b, bin(b, OP_LT, inner, num(b, 0)), call(b, FN_EXP, inner, NULL),
                     red(b, RED_PROD, "n q", rv(b, s.x, "n q"), false));
  ASSERT_EXPR(b, nested,
              "select(sum(k: x[i, k] * x[k, j]) < 0, exp(sum(k: x[i, k] * x[k, j])), "
              "prod(n, q: x[n, q]))");
  ASSERT_EXPR(b, call(b, FN_MAX, a, bin(b, OP_ADD, bb, num(b, 1))), "max(a, b + 1)");
  ASSERT_EXPR(b, call(b, FN_POW, call(b, FN_SOFTPLUS, a, NULL), num(b, 0.5)),
              "pow(softplus(a), 0.5)");
  ASSERT_EXPR(b, bin(b, OP_MUL, red(b, RED_MIN, "k", rv(b, s.x, "i k"), false), a),
              "min(k: x[i, k]) * a");
  ASSERT_EXPR(b, un(b, OP_NEG, call(b, FN_RSQRT, a, NULL)), "-rsqrt(a)");
  builder_free(b);
}
END_TEST

START_TEST(text_index_expressions) {
  Scratch s;
  scratch_init(&s);
  Builder *b = &s.b;
  Index *i = iv(b, "i"), *k = iv(b, "k"), *q = iv(b, "q");
  ASSERT_INDEX(b, ibin(b, IX_ADD, ibin(b, IX_MUL, ic(b, 2), i), k), "2 * i + k");
  ASSERT_INDEX(b, ibin(b, IX_ADD, ibin(b, IX_MUL, iv(b, "n"), ic(b, 4)), q), "n * 4 + q");
  ASSERT_INDEX(b, ibin(b, IX_DIV, i, ic(b, 4)), "i / 4");
  ASSERT_INDEX(b, ibin(b, IX_MOD, i, ic(b, 4)), "i % 4");
  ASSERT_INDEX(b, ibin(b, IX_DIV, ibin(b, IX_ADD, i, ic(b, 1)), ic(b, 2)), "(i + 1) / 2");
  ASSERT_INDEX(b, ibin(b, IX_MOD, ibin(b, IX_SUB, i, k), ic(b, 3)), "(i - k) % 3");
  ASSERT_INDEX(b, ibin(b, IX_MUL, ic(b, 2), ibin(b, IX_ADD, i, k)), "2 * (i + k)");
  ASSERT_INDEX(b, ibin(b, IX_MOD, ibin(b, IX_DIV, i, ic(b, 2)), ic(b, 2)), "i / 2 % 2");
  ASSERT_INDEX(b, ibin(b, IX_DIV, i, ibin(b, IX_MUL, ic(b, 2), ic(b, 2))), "i / (2 * 2)");
  ASSERT_INDEX(b, ibin(b, IX_SUB, i, ic(b, 1)), "i - 1");
  ASSERT_INDEX(b, ibin(b, IX_SUB, i, ibin(b, IX_SUB, k, ic(b, 1))), "i - (k - 1)");
  ASSERT_INDEX(b, ibin(b, IX_SUB, ibin(b, IX_SUB, i, k), ic(b, 1)), "i - k - 1");
  ASSERT_INDEX(b, ineg(b, i), "-i");
  ASSERT_INDEX(b, ineg(b, ibin(b, IX_ADD, i, ic(b, 1))), "-(i + 1)");
  ASSERT_INDEX(b, ineg(b, ineg(b, i)), "-(-i)");
  ASSERT_INDEX(b, ic(b, -3), "-3");
  ASSERT_INDEX(b, ineg(b, ic(b, 3)), "-3");
  ASSERT_INDEX(b, ineg(b, ic(b, -3)), "3");
  ASSERT_INDEX(b, ibin(b, IX_SUB, i, ic(b, -3)), "i - -3");
  ASSERT_INDEX(b, ibin(b, IX_ADD, ineg(b, i), ic(b, 7)), "-i + 7");
  ASSERT_INDEX(b, ineg(b, ic(b, INT64_MIN)), "-(-9223372036854775808)");
  builder_free(b);
}
END_TEST

START_TEST(text_numbers) {
  Scratch s;
  scratch_init(&s);
  Builder *b = &s.b;
  ASSERT_EXPR(b, num(b, 0.1), "0.1");
  ASSERT_EXPR(b, num(b, 1e-5), "1e-05");
  ASSERT_EXPR(b, num(b, 3), "3");
  ASSERT_EXPR(b, num(b, -0.5), "-0.5");
  ASSERT_EXPR(b, num(b, INFINITY), "inf");
  ASSERT_EXPR(b, num(b, -INFINITY), "-inf");
  ASSERT_EXPR(b, num(b, 1e30), "1e+30");
  ASSERT_EXPR(b, num(b, 0), "0");
  ASSERT_EXPR(b, num(b, -0.0), "-0");
  ASSERT_EXPR(b, num(b, 123456789), "123456789");
  ASSERT_EXPR(b, num(b, 1e15), "1e+15");
  ASSERT_EXPR(b, num(b, 3.14159265), "3.14159265");
  ASSERT_EXPR(b, num(b, 0.1 + 0.2), "0.30000000000000004"); /* needs 17 digits */
  ASSERT_EXPR(b, num(b, 1.0 / 3.0), "0.3333333333333333");  /* needs 16 */
  ASSERT_EXPR(b, num(b, 0.7978845608), "0.7978845608");
  ASSERT_EXPR(b, num(b, NAN), "nan");
  builder_free(b);
}
END_TEST

/* ---- DOT ---- */

static void build_small(Builder *b) {
  builder_init(b, "small.ein");
  Tensor *x = add_tensor(b, "x", ROLE_INPUT, 2, DIMS(3, 2));
  x->dtype = DTYPE_F16;
  Tensor *w = add_tensor(b, "w", ROLE_PARAM, 1, DIMS(2));
  Tensor *y = add_tensor(b, "y", ROLE_OUTPUT, 0, NULL);
  Tensor *h = add_tensor(b, "h", ROLE_INTERMEDIATE, 2, DIMS(3, 2));
  add_einsum(b, h, "l=3 e=2");
  Expr *prev = rd(b, h, ibin(b, IX_SUB, iv(b, "l"), ic(b, 1)), iv(b, "e"));
  b->e->rhs = bin(b, OP_ADD, bin(b, OP_MUL, num(b, 0.5), prev), rv(b, x, "l e"));
  recur(b, "l", 1, rv(b, w, "e"));
  add_einsum(b, y, "l=3 e=2");
  b->e->rhs = red(b, RED_SUM, "l e", bin(b, OP_MUL, rv(b, h, "l e"), rv(b, w, "e")), true);
}

START_TEST(dot_small) {
  Builder b;
  build_small(&b);
  ASSERT_PRINTS(print_dot, &b.c,
                "digraph cascade {\n"
                "  t0 [label=\"x\\n[3 x 2]\\nf16\", shape=ellipse, style=filled, "
                "fillcolor=\"#cfe2f3\"];\n"
                "  t1 [label=\"w\\n[2]\", shape=ellipse, style=filled, fillcolor=\"#fff2cc\"];\n"
                "  t2 [label=\"y\\n[]\", shape=doubleoctagon];\n"
                "  t3 [label=\"h\\n[3 x 2]\", shape=ellipse];\n"
                "  e0 [label=\"h[l, e] = 0.5 * h[l - 1, e] + x[l, e] init w[e]\", shape=box, "
                "fontname=\"monospace\"];\n"
                "  t0 -> e0;\n"
                "  t1 -> e0;\n"
                "  e0 -> t3;\n"
                "  e0 -> e0 [style=dashed, label=\"l\"];\n"
                "  e1 [label=\"y = sum(l, e: h[l, e] * w[e])\", shape=box, "
                "fontname=\"monospace\"];\n"
                "  t1 -> e1;\n"
                "  t3 -> e1;\n"
                "  e1 -> t2;\n"
                "}\n");
  builder_free(&b);
}
END_TEST

START_TEST(dot_escapes_quotes_and_backslashes) {
  Builder b;
  builder_init(&b, "odd.ein");
  Tensor *x = add_tensor(&b, "x\"1\\", ROLE_INPUT, 1, DIMS(2));
  Tensor *y = add_tensor(&b, "y", ROLE_OUTPUT, 1, DIMS(2));
  add_einsum(&b, y, "i=2");
  b.e->rhs = rv(&b, x, "i");
  ASSERT_PRINTS(print_dot, &b.c,
                "digraph cascade {\n"
                "  t0 [label=\"x\\\"1\\\\\\n[2]\", shape=ellipse, style=filled, "
                "fillcolor=\"#cfe2f3\"];\n"
                "  t1 [label=\"y\\n[2]\", shape=doubleoctagon];\n"
                "  e0 [label=\"y[i] = x\\\"1\\\\[i]\", shape=box, fontname=\"monospace\"];\n"
                "  t0 -> e0;\n"
                "  e0 -> t1;\n"
                "}\n");
  builder_free(&b);
}
END_TEST

/* ---- JSON ---- */

START_TEST(json_small) {
  Builder b;
  build_small(&b);
  add_let(&b, "E", 2, true);
  ASSERT_PRINTS(print_json, &b.c,
                "{\n"
                "  \"file\": \"small.ein\",\n"
                "  \"lets\": [\n"
                "    {\n"
                "      \"name\": \"E\",\n"
                "      \"value\": 2,\n"
                "      \"overridden\": true\n"
                "    }\n"
                "  ],\n"
                "  \"tensors\": [\n"
                "    {\n"
                "      \"name\": \"x\",\n"
                "      \"role\": \"input\",\n"
                "      \"dtype\": \"f16\",\n"
                "      \"shape\": [\n"
                "        3,\n"
                "        2\n"
                "      ],\n"
                "      \"declared\": true\n"
                "    },\n"
                "    {\n"
                "      \"name\": \"w\",\n"
                "      \"role\": \"param\",\n"
                "      \"dtype\": \"f32\",\n"
                "      \"shape\": [\n"
                "        2\n"
                "      ],\n"
                "      \"declared\": true\n"
                "    },\n"
                "    {\n"
                "      \"name\": \"y\",\n"
                "      \"role\": \"output\",\n"
                "      \"dtype\": \"f32\",\n"
                "      \"shape\": [],\n"
                "      \"declared\": true\n"
                "    },\n"
                "    {\n"
                "      \"name\": \"h\",\n"
                "      \"role\": \"intermediate\",\n"
                "      \"dtype\": \"f32\",\n"
                "      \"shape\": [\n"
                "        3,\n"
                "        2\n"
                "      ],\n"
                "      \"declared\": false\n"
                "    }\n"
                "  ],\n"
                "  \"einsums\": [\n"
                "    {\n"
                "      \"output\": \"h\",\n"
                "      \"text\": \"h[l, e] = 0.5 * h[l - 1, e] + x[l, e] init w[e]\",\n"
                "      \"indices\": [\n"
                "        {\n"
                "          \"name\": \"l\",\n"
                "          \"extent\": 3\n"
                "        },\n"
                "        {\n"
                "          \"name\": \"e\",\n"
                "          \"extent\": 2\n"
                "        }\n"
                "      ],\n"
                "      \"lhs\": [\n"
                "        \"l\",\n"
                "        \"e\"\n"
                "      ],\n"
                "      \"expr\": {\n"
                "        \"kind\": \"binary\",\n"
                "        \"op\": \"+\",\n"
                "        \"lhs\": {\n"
                "          \"kind\": \"binary\",\n"
                "          \"op\": \"*\",\n"
                "          \"lhs\": {\n"
                "            \"kind\": \"const\",\n"
                "            \"value\": 0.5\n"
                "          },\n"
                "          \"rhs\": {\n"
                "            \"kind\": \"read\",\n"
                "            \"tensor\": \"h\",\n"
                "            \"index\": [\n"
                "              \"l - 1\",\n"
                "              \"e\"\n"
                "            ]\n"
                "          }\n"
                "        },\n"
                "        \"rhs\": {\n"
                "          \"kind\": \"read\",\n"
                "          \"tensor\": \"x\",\n"
                "          \"index\": [\n"
                "            \"l\",\n"
                "            \"e\"\n"
                "          ]\n"
                "        }\n"
                "      },\n"
                "      \"recurrence\": {\n"
                "        \"var\": \"l\",\n"
                "        \"max_offset\": 1,\n"
                "        \"init\": {\n"
                "          \"kind\": \"read\",\n"
                "          \"tensor\": \"w\",\n"
                "          \"index\": [\n"
                "            \"e\"\n"
                "          ]\n"
                "        }\n"
                "      }\n"
                "    },\n"
                "    {\n"
                "      \"output\": \"y\",\n"
                "      \"text\": \"y = sum(l, e: h[l, e] * w[e])\",\n"
                "      \"indices\": [\n"
                "        {\n"
                "          \"name\": \"l\",\n"
                "          \"extent\": 3\n"
                "        },\n"
                "        {\n"
                "          \"name\": \"e\",\n"
                "          \"extent\": 2\n"
                "        }\n"
                "      ],\n"
                "      \"lhs\": [],\n"
                "      \"expr\": {\n"
                "        \"kind\": \"reduce\",\n"
                "        \"op\": \"sum\",\n"
                "        \"vars\": [\n"
                "          \"l\",\n"
                "          \"e\"\n"
                "        ],\n"
                "        \"implicit\": true,\n"
                "        \"body\": {\n"
                "          \"kind\": \"binary\",\n"
                "          \"op\": \"*\",\n"
                "          \"lhs\": {\n"
                "            \"kind\": \"read\",\n"
                "            \"tensor\": \"h\",\n"
                "            \"index\": [\n"
                "              \"l\",\n"
                "              \"e\"\n"
                "            ]\n"
                "          },\n"
                "          \"rhs\": {\n"
                "            \"kind\": \"read\",\n"
                "            \"tensor\": \"w\",\n"
                "            \"index\": [\n"
                "              \"e\"\n"
                "            ]\n"
                "          }\n"
                "        }\n"
                "      },\n"
                "      \"recurrence\": null\n"
                "    }\n"
                "  ]\n"
                "}\n");
  builder_free(&b);
}
END_TEST

/* Every other node kind, infinities as strings, and string escapes. */
START_TEST(json_node_kinds_and_escapes) {
  Builder b;
  builder_init(&b, "dir\\\"odd\"\n\x01.ein");
  Tensor *s = add_tensor(&b, "s", ROLE_INPUT, 2, DIMS(2, 2));
  Tensor *y = add_tensor(&b, "y", ROLE_OUTPUT, 1, DIMS(2));
  add_einsum(&b, y, "i=2 j=2");
  Expr *cond = un(&b, OP_NOT, bin(&b, OP_GT, val(&b, "j"), val(&b, "i")));
  Expr *body = sel(&b, cond, call(&b, FN_MIN, rv(&b, s, "i j"), un(&b, OP_NEG, val(&b, "j"))),
                   num(&b, -INFINITY));
  b.e->rhs = red(&b, RED_MAX, "j", body, false);
  const char *expected =
      "{\n"
      "  \"file\": \"dir\\\\\\\"odd\\\"\\n\\u0001.ein\",\n"
      "  \"lets\": [],\n"
      "  \"tensors\": [\n"
      "    {\n"
      "      \"name\": \"s\",\n"
      "      \"role\": \"input\",\n"
      "      \"dtype\": \"f32\",\n"
      "      \"shape\": [\n"
      "        2,\n"
      "        2\n"
      "      ],\n"
      "      \"declared\": true\n"
      "    },\n"
      "    {\n"
      "      \"name\": \"y\",\n"
      "      \"role\": \"output\",\n"
      "      \"dtype\": \"f32\",\n"
      "      \"shape\": [\n"
      "        2\n"
      "      ],\n"
      "      \"declared\": true\n"
      "    }\n"
      "  ],\n"
      "  \"einsums\": [\n"
      "    {\n"
      "      \"output\": \"y\",\n"
      "      \"text\": \"y[i] = max(j: select(!(j > i), min(s[i, j], -j), -inf))\",\n"
      "      \"indices\": [\n"
      "        {\n"
      "          \"name\": \"i\",\n"
      "          \"extent\": 2\n"
      "        },\n"
      "        {\n"
      "          \"name\": \"j\",\n"
      "          \"extent\": 2\n"
      "        }\n"
      "      ],\n"
      "      \"lhs\": [\n"
      "        \"i\"\n"
      "      ],\n"
      "      \"expr\": {\n"
      "        \"kind\": \"reduce\",\n"
      "        \"op\": \"max\",\n"
      "        \"vars\": [\n"
      "          \"j\"\n"
      "        ],\n"
      "        \"implicit\": false,\n"
      "        \"body\": {\n"
      "          \"kind\": \"select\",\n"
      "          \"cond\": {\n"
      "            \"kind\": \"unary\",\n"
      "            \"op\": \"!\",\n"
      "            \"arg\": {\n"
      "              \"kind\": \"binary\",\n"
      "              \"op\": \">\",\n"
      "              \"lhs\": {\n"
      "                \"kind\": \"index\",\n"
      "                \"var\": \"j\"\n"
      "              },\n"
      "              \"rhs\": {\n"
      "                \"kind\": \"index\",\n"
      "                \"var\": \"i\"\n"
      "              }\n"
      "            }\n"
      "          },\n"
      "          \"then\": {\n"
      "            \"kind\": \"call\",\n"
      "            \"func\": \"min\",\n"
      "            \"args\": [\n"
      "              {\n"
      "                \"kind\": \"read\",\n"
      "                \"tensor\": \"s\",\n"
      "                \"index\": [\n"
      "                  \"i\",\n"
      "                  \"j\"\n"
      "                ]\n"
      "              },\n"
      "              {\n"
      "                \"kind\": \"unary\",\n"
      "                \"op\": \"-\",\n"
      "                \"arg\": {\n"
      "                  \"kind\": \"index\",\n"
      "                  \"var\": \"j\"\n"
      "                }\n"
      "              }\n"
      "            ]\n"
      "          },\n"
      "          \"else\": {\n"
      "            \"kind\": \"const\",\n"
      "            \"value\": \"-inf\"\n"
      "          }\n"
      "        }\n"
      "      },\n"
      "      \"recurrence\": null\n"
      "    }\n"
      "  ]\n"
      "}\n";
  ASSERT_PRINTS(print_json, &b.c, expected);
  builder_free(&b);
}
END_TEST

/* ---- the verifier ---- */

static char *verify_messages(const Cascade *c, bool *ok) {
  Capture m;
  Diag d;
  diag_init(&d, capture_open(&m));
  *ok = cascade_verify(c, &d);
  char *text = capture_close(&m);
  ck_assert_int_eq(*ok, d.nerrors == 0);
  return text;
}

START_TEST(verify_accepts_valid_cascades) {
  Builder b;
  bool ok;
  build_mamba(&b);
  char *msgs = verify_messages(&b.c, &ok);
  ck_assert_str_eq(msgs, "");
  ck_assert(ok);
  free(msgs);
  builder_free(&b);

  build_small(&b);
  msgs = verify_messages(&b.c, &ok);
  ck_assert_str_eq(msgs, "");
  ck_assert(ok);
  free(msgs);
  builder_free(&b);
}
END_TEST

/* The base cascade that each verifier case breaks in one way:
 *   input x[4, 3]; param w[3]; input s; output y[4]; tensor h[4, 3]
 *   h[l, e] = x[l, e] * h[l - 1, e] + w[e] init w[e]    # recurrence along l
 *   y[l] = sum(e: h[l, e] * w[e]) + s */
typedef struct Base {
  Builder b;
  Tensor *x, *w, *s, *y, *h;
  Einsum *eh, *ey;
  Expr *self_read; /* h[l - 1, e] */
  Expr *h_sum;     /* sum(e: ...) in y */
  Expr *h_product; /* h[l, e] * w[e] in y */
} Base;

static void build_base(Base *m) {
  Builder *b = &m->b;
  builder_init(b, "t.ein");
  m->x = add_tensor(b, "x", ROLE_INPUT, 2, DIMS(4, 3));
  m->w = add_tensor(b, "w", ROLE_PARAM, 1, DIMS(3));
  m->s = add_tensor(b, "s", ROLE_INPUT, 0, NULL);
  m->y = add_tensor(b, "y", ROLE_OUTPUT, 1, DIMS(4));
  m->h = add_tensor(b, "h", ROLE_INTERMEDIATE, 2, DIMS(4, 3));
  m->eh = add_einsum(b, m->h, "l=4 e=3");
  m->self_read = rd(b, m->h, ibin(b, IX_SUB, iv(b, "l"), ic(b, 1)), iv(b, "e"));
  b->e->rhs = bin(b, OP_ADD, bin(b, OP_MUL, rv(b, m->x, "l e"), m->self_read), rv(b, m->w, "e"));
  recur(b, "l", 1, rv(b, m->w, "e"));
  m->ey = add_einsum(b, m->y, "l=4 e=3");
  m->h_product = bin(b, OP_MUL, rv(b, m->h, "l e"), rv(b, m->w, "e"));
  m->h_sum = red(b, RED_SUM, "e", m->h_product, false);
  b->e->rhs = bin(b, OP_ADD, m->h_sum, rd(b, m->s));
}

typedef struct BreakCase {
  void (*breaks)(Base *m);
  const char *first_message;
} BreakCase;

static void use_einsum(Base *m, Einsum *e) { m->b.e = e; }

static void tensor_id_wrong(Base *m) { m->w->id = 7; }
static void dim_zero(Base *m) { m->x->dims[1] = 0; }
static void names_clash(Base *m) { m->w->name = "x"; }
static void def_wrong(Base *m) { m->h->def = 1; }
static void assigns_input(Base *m) {
  m->y->role = ROLE_INPUT;
  m->y->def = -1;
}
static void defined_twice(Base *m) {
  Einsum *e = add_einsum(&m->b, m->y, "l=4");
  e->rhs = rd(&m->b, m->s);
  m->y->def = 1; /* still names the first definition */
}
static void output_undefined(Base *m) {
  m->b.c.neinsums = 1;
  m->y->def = -1;
}
static void intermediate_undefined(Base *m) {
  add_tensor(&m->b, "t", ROLE_INTERMEDIATE, 1, DIMS(2));
}
static void read_before_definition(Base *m) {
  use_einsum(m, m->eh);
  m->eh->rhs = bin(&m->b, OP_ADD, m->eh->rhs, rv(&m->b, m->y, "l"));
}
static void self_read_without_recurrence(Base *m) {
  use_einsum(m, m->ey);
  m->ey->rhs = bin(&m->b, OP_ADD, m->ey->rhs, rv(&m->b, m->y, "l"));
}
static void read_without_index(Base *m) { m->h_product->arg[1]->index = NULL; }
static void var_out_of_range(Base *m) { m->h_product->arg[1]->index[0]->var = 9; }
static void lhs_repeats(Base *m) { m->eh->lhs[1] = 0; }
static void extent_zero(Base *m) { m->ey->vars[1].extent = 0; }
static void extent_mismatches_read(Base *m) {
  use_einsum(m, m->ey);
  m->ey->rhs = bin(&m->b, OP_ADD, m->ey->rhs, rv(&m->b, m->w, "l"));
}
static void extent_mismatches_lhs(Base *m) { m->ey->vars[0].extent = 5; }
static void reduce_binds_lhs(Base *m) { m->h_sum->rvars[0] = 0; }
static void reduce_binds_twice(Base *m) {
  use_einsum(m, m->ey);
  m->h_sum->arg[0] = red(&m->b, RED_MAX, "e", m->h_product, false);
}
static void reduce_binds_nothing(Base *m) { m->h_sum->nrvars = 0; }
static void free_variable(Base *m) {
  use_einsum(m, m->ey);
  m->ey->rhs = bin(&m->b, OP_ADD, m->ey->rhs, val(&m->b, "e"));
}
static void product_of_variables(Base *m) {
  use_einsum(m, m->ey);
  Expr *read = rv(&m->b, m->w, "e");
  read->index[0] = ibin(&m->b, IX_MUL, iv(&m->b, "e"), iv(&m->b, "l"));
  m->h_product->arg[1] = read;
}
static void division_by_zero(Base *m) {
  use_einsum(m, m->ey);
  m->h_product->arg[1]->index[0] = ibin(&m->b, IX_DIV, iv(&m->b, "e"), ic(&m->b, 0));
}
static void modulo_by_variable(Base *m) {
  use_einsum(m, m->ey);
  m->h_product->arg[1]->index[0] = ibin(&m->b, IX_MOD, iv(&m->b, "e"), iv(&m->b, "l"));
}
static void condition_as_value(Base *m) {
  use_einsum(m, m->ey);
  m->ey->rhs = bin(&m->b, OP_LT, m->ey->rhs, rd(&m->b, m->s));
}
static void select_on_value(Base *m) {
  use_einsum(m, m->ey);
  m->ey->rhs = sel(&m->b, rd(&m->b, m->s), m->ey->rhs, num(&m->b, 0));
}
static void and_of_value(Base *m) {
  use_einsum(m, m->ey);
  Expr *s = rd(&m->b, m->s);
  Expr *cond = bin(&m->b, OP_AND, s, bin(&m->b, OP_GT, s, num(&m->b, 0)));
  m->ey->rhs = sel(&m->b, cond, m->ey->rhs, num(&m->b, 0));
}
static void not_of_value(Base *m) {
  use_einsum(m, m->ey);
  m->ey->rhs = sel(&m->b, un(&m->b, OP_NOT, rd(&m->b, m->s)), m->ey->rhs, num(&m->b, 0));
}
static void unary_arity(Base *m) {
  use_einsum(m, m->ey);
  m->ey->rhs = call(&m->b, FN_EXP, m->ey->rhs, num(&m->b, 1));
}
static void binary_arity(Base *m) {
  use_einsum(m, m->ey);
  m->ey->rhs = call(&m->b, FN_MAX, m->ey->rhs, NULL);
}
static void self_read_forward(Base *m) { m->self_read->index[0]->kind = IX_ADD; }
static void self_read_offset_zero(Base *m) { m->self_read->index[0]->rhs->value = 0; }
static void self_read_other_position(Base *m) {
  use_einsum(m, m->eh);
  m->self_read->index[1] = ibin(&m->b, IX_ADD, iv(&m->b, "e"), ic(&m->b, 0));
}
static void recurrence_without_self_read(Base *m) {
  use_einsum(m, m->ey);
  recur(&m->b, "l", 1, num(&m->b, 0));
}
static void max_offset_wrong(Base *m) { m->eh->rec->max_offset = 2; }
static void recurrence_position_out_of_range(Base *m) { m->eh->rec->pos = 2; }
static void init_uses_recurrence_variable(Base *m) {
  use_einsum(m, m->eh);
  m->eh->rec->init = bin(&m->b, OP_ADD, m->eh->rec->init, val(&m->b, "l"));
}
static void init_reads_output(Base *m) {
  use_einsum(m, m->eh);
  m->eh->rec->init = rd(&m->b, m->h, ic(&m->b, 0), iv(&m->b, "e"));
}
static void einsum_id_wrong(Base *m) { m->ey->id = 0; }

static const BreakCase break_cases[] = {
    {tensor_id_wrong, "t.ein:2:1: error: IR verifier: tensor 'w' has id 7 but is at position 1"},
    {dim_zero, "t.ein:1:1: error: IR verifier: tensor 'x' has dimension 0 at position 1; "
               "dimensions are at least 1"},
    {names_clash, "t.ein:2:1: error: IR verifier: two tensors are named 'x'"},
    {def_wrong, "t.ein:10:1: error: IR verifier: 'h' has def 1 but is defined by einsum 0"},
    {assigns_input, "t.ein:11:1: error: IR verifier: einsum assigns to input 'y'"},
    {defined_twice, "t.ein:12:1: error: IR verifier: 'y' is defined twice, also by einsum 1"},
    {output_undefined, "t.ein:4:1: error: IR verifier: output 'y' is never defined"},
    {intermediate_undefined, "t.ein:6:1: error: IR verifier: intermediate 't' is never defined"},
    {read_before_definition,
     "t.ein:10:1: error: IR verifier: 'y' is read before the einsum that defines it"},
    {self_read_without_recurrence,
     "t.ein:11:1: error: IR verifier: 'y' reads itself but is not a recurrence"},
    {read_without_index, "t.ein:11:1: error: IR verifier: read of 'w' has no index list"},
    {var_out_of_range, "t.ein:11:1: error: IR verifier: index expression uses variable id 9, "
                       "but the einsum has 2 variables"},
    {lhs_repeats,
     "t.ein:10:1: error: IR verifier: variable 'l' appears twice on the left-hand side"},
    {extent_zero,
     "t.ein:11:1: error: IR verifier: variable 'e' has extent 0; extents are at least 1"},
    {extent_mismatches_read, "t.ein:11:1: error: IR verifier: variable 'l' has extent 4 but "
                             "indexes 'w' at position 0 of size 3"},
    {extent_mismatches_lhs,
     "t.ein:11:1: error: IR verifier: variable 'l' has extent 5 but 'y' has size 4 at position 0"},
    {reduce_binds_lhs,
     "t.ein:11:1: error: IR verifier: reduction binds 'l', which is on the left-hand side"},
    {reduce_binds_twice,
     "t.ein:11:1: error: IR verifier: variable 'e' is bound by two reductions on one path"},
    {reduce_binds_nothing, "t.ein:11:1: error: IR verifier: 'sum' reduction binds no variables"},
    {free_variable, "t.ein:11:1: error: IR verifier: variable 'e' is neither on the left-hand "
                    "side nor bound by a reduction"},
    {product_of_variables,
     "t.ein:11:1: error: IR verifier: index multiplication has no constant operand"},
    {division_by_zero,
     "t.ein:11:1: error: IR verifier: index division needs a positive constant divisor"},
    {modulo_by_variable,
     "t.ein:11:1: error: IR verifier: index modulo needs a positive constant divisor"},
    {condition_as_value, "t.ein:11:1: error: IR verifier: condition '<' is used as a value"},
    {select_on_value,
     "t.ein:11:1: error: IR verifier: the first operand of select is not a condition"},
    {and_of_value, "t.ein:11:1: error: IR verifier: an operand of '&&' is not a condition"},
    {not_of_value, "t.ein:11:1: error: IR verifier: the operand of '!' is not a condition"},
    {unary_arity, "t.ein:11:1: error: IR verifier: 'exp' takes 1 argument but has 2"},
    {binary_arity, "t.ein:11:1: error: IR verifier: 'max' takes 2 arguments but has 1"},
    {self_read_forward, "t.ein:10:1: error: IR verifier: self-read of 'h' at position 0 must be "
                        "'l - k' with k >= 1"},
    {self_read_offset_zero, "t.ein:10:1: error: IR verifier: self-read of 'h' at position 0 must "
                            "be 'l - k' with k >= 1"},
    {self_read_other_position, "t.ein:10:1: error: IR verifier: self-read of 'h' must use the "
                               "left-hand variable 'e' at position 1"},
    {recurrence_without_self_read, "t.ein:11:1: error: IR verifier: 'y' is marked a recurrence "
                                   "along 'l' but never reads itself"},
    {max_offset_wrong, "t.ein:10:1: error: IR verifier: recurrence along 'l' has max_offset 2 "
                       "but its largest self-read offset is 1"},
    {recurrence_position_out_of_range,
     "t.ein:10:1: error: IR verifier: recurrence position 2 is outside 'h' of rank 2"},
    {init_uses_recurrence_variable,
     "t.ein:10:1: error: IR verifier: init uses the recurrence variable 'l'"},
    {init_reads_output, "t.ein:10:1: error: IR verifier: init reads the einsum's own output 'h'"},
    {einsum_id_wrong, "t.ein:11:1: error: IR verifier: einsum has id 0 but is at position 1"},
};

enum { NBREAK_CASES = sizeof break_cases / sizeof break_cases[0] };

/* Each case breaks one invariant; its message must come first. */
START_TEST(verify_rejects) {
  const BreakCase *bc = &break_cases[_i];
  Base m;
  build_base(&m);
  bool ok;
  char *clean = verify_messages(&m.b.c, &ok);
  ck_assert_str_eq(clean, "");
  free(clean);

  bc->breaks(&m);
  char *msgs = verify_messages(&m.b.c, &ok);
  ck_assert_msg(!ok, "case %d: verifier accepted a broken cascade", _i);
  size_t first_len = strcspn(msgs, "\n");
  ck_assert_msg(strlen(bc->first_message) == first_len &&
                    strncmp(msgs, bc->first_message, first_len) == 0,
                "case %d: expected first message\n  %s\ngot\n%s", _i, bc->first_message, msgs);
  free(msgs);
  builder_free(&m.b);
}
END_TEST

static Suite *ir_suite(void) {
  Suite *s = suite_create("ir");
  TCase *text = tcase_create("text");
  tcase_add_test(text, text_mamba);
  tcase_add_test(text, text_scalars_types_init);
  tcase_add_test(text, text_precedence_arithmetic);
  tcase_add_test(text, text_precedence_conditions);
  tcase_add_test(text, text_calls_select_reduce);
  tcase_add_test(text, text_index_expressions);
  tcase_add_test(text, text_numbers);
  suite_add_tcase(s, text);

  TCase *dot = tcase_create("dot");
  tcase_add_test(dot, dot_small);
  tcase_add_test(dot, dot_escapes_quotes_and_backslashes);
  suite_add_tcase(s, dot);

  TCase *json = tcase_create("json");
  tcase_add_test(json, json_small);
  tcase_add_test(json, json_node_kinds_and_escapes);
  suite_add_tcase(s, json);

  TCase *verify = tcase_create("verify");
  tcase_add_test(verify, verify_accepts_valid_cascades);
  tcase_add_loop_test(verify, verify_rejects, 0, NBREAK_CASES);
  suite_add_tcase(s, verify);
  return s;
}

int main(void) { return run_suites(ir_suite(), NULL); }
