/* The text printer. Its output is a canonical .ein program: the frontend
 * parses it back, and printing the result gives the same text again. So
 * every choice here (spacing, parentheses, number format) is deterministic
 * and depends only on the tree, never on how the source was written. */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/cascade.h"
#include "ir/printer.h"

/* Value-expression precedence, loosest first, as in the language. */
enum { PREC_OR = 1, PREC_AND, PREC_CMP, PREC_ADD, PREC_MUL, PREC_UNARY, PREC_ATOM };

/* Index-expression precedence. */
enum { IPREC_ADD = 1, IPREC_MUL, IPREC_UNARY, IPREC_ATOM };

void print_number(double v, FILE *out) {
  if (isnan(v)) {
    fputs("nan", out);
    return;
  }
  if (isinf(v)) {
    fputs(v > 0 ? "inf" : "-inf", out);
    return;
  }
  char buf[40];
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  fputs(buf, out);
}

static int op_precedence(Op op) {
  switch (op) {
  case OP_OR:
    return PREC_OR;
  case OP_AND:
    return PREC_AND;
  case OP_LT:
  case OP_LE:
  case OP_GT:
  case OP_GE:
  case OP_EQ:
  case OP_NE:
    return PREC_CMP;
  case OP_ADD:
  case OP_SUB:
    return PREC_ADD;
  case OP_MUL:
  case OP_DIV:
    return PREC_MUL;
  case OP_NEG:
  case OP_NOT:
    return PREC_UNARY;
  }
  return PREC_ATOM;
}

static int expr_precedence(const Expr *x) {
  if (x->kind == EX_BINARY || x->kind == EX_UNARY)
    return op_precedence(x->op);
  return PREC_ATOM;
}

/* The parser folds `-` applied to a number into a negative constant, so a
 * chain of negations over a constant prints as that one number: printing
 * `-(-2)` would not survive a parse -> print round trip. */
static bool fold_negated_constant(const Expr *x, double *value) {
  if (x->kind == EX_CONST) {
    *value = x->value;
    return true;
  }
  if (x->kind == EX_UNARY && x->op == OP_NEG && fold_negated_constant(x->arg[0], value)) {
    *value = -*value;
    return true;
  }
  return false;
}

static void print_wrapped(const Einsum *e, const Expr *x, bool parens, FILE *out) {
  if (parens)
    fputc('(', out);
  print_expr(e, x, out);
  if (parens)
    fputc(')', out);
}

static void print_args(const Einsum *e, const Expr *x, FILE *out) {
  for (int i = 0; i < x->nargs; i++) {
    if (i > 0)
      fputs(", ", out);
    print_expr(e, x->arg[i], out);
  }
}

void print_access(const Einsum *e, const char *name, int rank, Index *const *index, FILE *out) {
  fputs(name, out);
  if (rank == 0)
    return;
  fputc('[', out);
  for (int i = 0; i < rank; i++) {
    if (i > 0)
      fputs(", ", out);
    print_index(e, index[i], out);
  }
  fputc(']', out);
}

static void print_unary(const Einsum *e, const Expr *x, FILE *out) {
  double folded;
  if (fold_negated_constant(x, &folded)) {
    print_number(folded, out);
    return;
  }
  const Expr *arg = x->arg[0];
  /* `--x` would read like C's decrement; `-(-x)` says what it means. */
  bool double_minus = x->op == OP_NEG && arg->kind == EX_UNARY && arg->op == OP_NEG;
  fputs(op_name(x->op), out);
  print_wrapped(e, arg, expr_precedence(arg) < PREC_UNARY || double_minus, out);
}

static void print_binary(const Einsum *e, const Expr *x, FILE *out) {
  int prec = op_precedence(x->op);
  /* Left-associative: equal precedence needs parentheses only on the right. */
  print_wrapped(e, x->arg[0], expr_precedence(x->arg[0]) < prec, out);
  fprintf(out, " %s ", op_name(x->op));
  print_wrapped(e, x->arg[1], expr_precedence(x->arg[1]) <= prec, out);
}

static void print_reduce(const Einsum *e, const Expr *x, FILE *out) {
  fprintf(out, "%s(", reduce_name(x->reduce));
  for (int i = 0; i < x->nrvars; i++) {
    if (i > 0)
      fputs(", ", out);
    fputs(e->vars[x->rvars[i]].name, out);
  }
  fputs(": ", out);
  print_expr(e, x->arg[0], out);
  fputc(')', out);
}

void print_expr(const Einsum *e, const Expr *x, FILE *out) {
  switch (x->kind) {
  case EX_CONST:
    print_number(x->value, out);
    return;
  case EX_READ:
    print_access(e, x->tensor->name, x->tensor->rank, x->index, out);
    return;
  case EX_INDEX:
    fputs(e->vars[x->var].name, out);
    return;
  case EX_UNARY:
    print_unary(e, x, out);
    return;
  case EX_BINARY:
    print_binary(e, x, out);
    return;
  case EX_CALL:
    fprintf(out, "%s(", func_name(x->func));
    print_args(e, x, out);
    fputc(')', out);
    return;
  case EX_SELECT:
    fputs("select(", out);
    print_args(e, x, out);
    fputc(')', out);
    return;
  case EX_REDUCE:
    print_reduce(e, x, out);
    return;
  }
}

static int index_precedence(const Index *ix) {
  switch (ix->kind) {
  case IX_ADD:
  case IX_SUB:
    return IPREC_ADD;
  case IX_MUL:
  case IX_DIV:
  case IX_MOD:
    return IPREC_MUL;
  case IX_NEG:
    return IPREC_UNARY;
  case IX_CONST:
  case IX_VAR:
    break;
  }
  return IPREC_ATOM;
}

/* Same folding as for values; INT64_MIN cannot be negated, so it stays. */
static bool fold_negated_index(const Index *ix, int64_t *value) {
  if (ix->kind == IX_CONST) {
    *value = ix->value;
    return true;
  }
  if (ix->kind == IX_NEG && fold_negated_index(ix->lhs, value) && *value != INT64_MIN) {
    *value = -*value;
    return true;
  }
  return false;
}

static void print_index_wrapped(const Einsum *e, const Index *ix, bool parens, FILE *out) {
  if (parens)
    fputc('(', out);
  print_index(e, ix, out);
  if (parens)
    fputc(')', out);
}

static const char *index_op_name(IndexKind kind) {
  switch (kind) {
  case IX_ADD:
    return "+";
  case IX_SUB:
  case IX_NEG:
    return "-";
  case IX_MUL:
    return "*";
  case IX_DIV:
    return "/";
  case IX_MOD:
    return "%";
  case IX_CONST:
  case IX_VAR:
    break;
  }
  return "?";
}

void print_index(const Einsum *e, const Index *ix, FILE *out) {
  int64_t folded;
  switch (ix->kind) {
  case IX_CONST:
    fprintf(out, "%" PRId64, ix->value);
    return;
  case IX_VAR:
    fputs(e->vars[ix->var].name, out);
    return;
  case IX_NEG: {
    if (fold_negated_index(ix, &folded)) {
      fprintf(out, "%" PRId64, folded);
      return;
    }
    bool parens = index_precedence(ix->lhs) < IPREC_UNARY || ix->lhs->kind == IX_NEG ||
                  (ix->lhs->kind == IX_CONST && ix->lhs->value < 0);
    fputc('-', out);
    print_index_wrapped(e, ix->lhs, parens, out);
    return;
  }
  case IX_ADD:
  case IX_SUB:
  case IX_MUL:
  case IX_DIV:
  case IX_MOD: {
    int prec = index_precedence(ix);
    print_index_wrapped(e, ix->lhs, index_precedence(ix->lhs) < prec, out);
    fprintf(out, " %s ", index_op_name(ix->kind));
    print_index_wrapped(e, ix->rhs, index_precedence(ix->rhs) <= prec, out);
    return;
  }
  }
}

void print_statement(const Einsum *e, FILE *out) {
  fputs(e->out->name, out);
  if (e->out->rank > 0) {
    fputc('[', out);
    for (int i = 0; i < e->out->rank; i++) {
      if (i > 0)
        fputs(", ", out);
      fputs(e->vars[e->lhs[i]].name, out);
    }
    fputc(']', out);
  }
  fputs(" = ", out);
  print_expr(e, e->rhs, out);
  if (e->rec && e->rec->init) {
    fputs(" init ", out);
    print_expr(e, e->rec->init, out);
  }
}

/* open_memstream fails only when memory runs out; like the arena, give up. */
static FILE *open_string_stream(char **buf, size_t *len) {
  FILE *f = open_memstream(buf, len);
  if (!f) {
    fprintf(stderr, "einc: out of memory\n");
    abort();
  }
  return f;
}

char *statement_string(const Einsum *e) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_string_stream(&buf, &len);
  print_statement(e, f);
  fclose(f);
  return buf;
}

char *index_string(const Einsum *e, const Index *ix) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_string_stream(&buf, &len);
  print_index(e, ix, f);
  fclose(f);
  return buf;
}

/* The constants stay as real `let`s (with -D overrides applied) so that a
 * dump reads back to the same text; the shapes below are already resolved. */
static void print_lets(const Cascade *c, FILE *out) {
  fputs("let ", out);
  for (int i = 0; i < c->nlets; i++) {
    const LetConst *let = &c->lets[i];
    fprintf(out, "%s%s = %" PRId64, i > 0 ? ", " : "", let->name, let->value);
  }
  fputc('\n', out);
}

static void print_declaration(const Tensor *t, FILE *out) {
  fprintf(out, "%s %s", role_keyword(t->role), t->name);
  if (t->rank > 0) {
    fputc('[', out);
    for (int i = 0; i < t->rank; i++)
      fprintf(out, "%s%" PRId64, i > 0 ? ", " : "", t->dims[i]);
    fputc(']', out);
  }
  if (t->dtype != DTYPE_F32)
    fprintf(out, " : %s", dtype_name(t->dtype));
  fputc('\n', out);
}

void print_text(const Cascade *c, FILE *out) {
  fputs("# einc cascade IR (text form; einc reads it back)\n", out);
  if (c->nlets > 0)
    print_lets(c, out);
  fputc('\n', out);
  for (int i = 0; i < c->ntensors; i++)
    print_declaration(c->tensors[i], out);
  fputc('\n', out);
  for (int i = 0; i < c->neinsums; i++) {
    const Einsum *e = c->einsums[i];
    print_statement(e, out);
    if (e->rec)
      fprintf(out, "  # recurrence along %s", e->vars[recurrence_var(e)].name);
    fputc('\n', out);
  }
}
