/* The IR verifier: the invariants every pass may rely on and must keep.
 * A violation is a compiler bug, not a user error, so messages name the
 * broken invariant in IR terms. The checks avoid following pointers they
 * have not validated, so a broken IR gets messages, not a crash. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/cascade.h"

typedef struct Verifier {
  const Cascade *c;
  Diag *diag;
  bool ok;
  int *defined_by; /* per tensor id: position of its first defining Einsum, or -1 */
  /* The Einsum being checked. */
  const Einsum *e;
  int pos;
  SrcLoc loc;
  bool *on_lhs;   /* per variable */
  bool *bound;    /* per variable: bound by an enclosing reduction */
  bool in_init;   /* checking the recurrence's init expression */
  int self_reads; /* reads of e->out seen so far */
  int64_t max_self_offset;
} Verifier;

#if defined(__GNUC__)
#define PRINTF_LIKE(fmt, first) __attribute__((format(printf, fmt, first)))
#else
#define PRINTF_LIKE(fmt, first)
#endif

static void fail(Verifier *v, SrcLoc loc, const char *fmt, ...) PRINTF_LIKE(3, 4);

static void fail(Verifier *v, SrcLoc loc, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  diag_error(v->diag, loc, "IR verifier: %s", msg);
  v->ok = false;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n > 0 ? n : 1, size);
  if (!p) {
    fprintf(stderr, "einc: out of memory\n");
    abort();
  }
  return p;
}

static const char *name_or_null(const char *name) { return name ? name : "(null)"; }

typedef struct NamedPos {
  const char *name;
  int pos;
} NamedPos;

static int compare_named(const void *a, const void *b) {
  const NamedPos *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* For each of names[0..n), the position of the first entry with the same
 * name (a NULL name is its own first). Sorting makes it n log n: comparing
 * every pair is 10^9 strcmp calls for a 50 000-statement cascade. */
static int *first_with_name(const char *const *names, int n) {
  int *first = xcalloc((size_t)n, sizeof *first);
  NamedPos *sorted = xcalloc((size_t)n, sizeof *sorted);
  int m = 0;
  for (int i = 0; i < n; i++) {
    first[i] = i;
    if (names[i])
      sorted[m++] = (NamedPos){names[i], i};
  }
  qsort(sorted, (size_t)m, sizeof *sorted, compare_named);
  for (int k = 1; k < m; k++)
    if (strcmp(sorted[k].name, sorted[k - 1].name) == 0)
      first[sorted[k].pos] = first[sorted[k - 1].pos];
  free(sorted);
  return first;
}

/* True if t is the cascade's own tensor, so that its id can index tables. */
static bool tensor_in_cascade(const Verifier *v, const Tensor *t) {
  return t && t->id >= 0 && t->id < v->c->ntensors && v->c->tensors[t->id] == t;
}

static bool var_in_range(Verifier *v, int var, const char *what) {
  if (var >= 0 && var < v->e->nvars)
    return true;
  fail(v, v->loc, "%s uses variable id %d, but the einsum has %d variables", what, var,
       v->e->nvars);
  return false;
}

static const char *var_name(const Verifier *v, int var) {
  return name_or_null(v->e->vars[var].name);
}

/* ---- tensors ---- */

static void verify_tensor_shape(Verifier *v, const Tensor *t) {
  if (t->rank < 0) {
    fail(v, t->loc, "tensor '%s' has negative rank %d", name_or_null(t->name), t->rank);
    return;
  }
  if (t->rank > 0 && !t->dims) {
    fail(v, t->loc, "tensor '%s' of rank %d has no dimensions", name_or_null(t->name), t->rank);
    return;
  }
  for (int i = 0; i < t->rank; i++)
    if (t->dims[i] < 1)
      fail(v, t->loc, "tensor '%s' has dimension %lld at position %d; dimensions are at least 1",
           name_or_null(t->name), (long long)t->dims[i], i);
}

static void verify_tensors(Verifier *v) {
  const Cascade *c = v->c;
  SrcLoc file_loc = {c->file, 0, 0};
  const char **names = xcalloc((size_t)c->ntensors, sizeof *names);
  for (int i = 0; i < c->ntensors; i++)
    names[i] = c->tensors[i] ? c->tensors[i]->name : NULL;
  int *first = first_with_name(names, c->ntensors);
  for (int i = 0; i < c->ntensors; i++) {
    const Tensor *t = c->tensors[i];
    if (!t) {
      fail(v, file_loc, "tensor slot %d is empty", i);
      continue;
    }
    if (!t->name)
      fail(v, t->loc, "tensor %d has no name", i);
    if (t->id != i)
      fail(v, t->loc, "tensor '%s' has id %d but is at position %d", name_or_null(t->name), t->id,
           i);
    if (first[i] != i)
      fail(v, t->loc, "two tensors are named '%s'", t->name);
    if (t->role < ROLE_INPUT || t->role > ROLE_INTERMEDIATE)
      fail(v, t->loc, "tensor '%s' has unknown role %d", name_or_null(t->name), (int)t->role);
    if (t->dtype < DTYPE_F32 || t->dtype > DTYPE_I32)
      fail(v, t->loc, "tensor '%s' has unknown dtype %d", name_or_null(t->name), (int)t->dtype);
    verify_tensor_shape(v, t);
  }
  free(first);
  free(names);
}

/* Runs after the Einsums, which fill defined_by. */
static void verify_definitions(Verifier *v) {
  const Cascade *c = v->c;
  for (int i = 0; i < c->ntensors; i++) {
    const Tensor *t = c->tensors[i];
    if (!t || t->id != i || t->role < ROLE_INPUT || t->role > ROLE_INTERMEDIATE)
      continue;
    bool external = t->role == ROLE_INPUT || t->role == ROLE_PARAM;
    if (external && t->def != -1)
      fail(v, t->loc, "%s '%s' has def %d; inputs and params have def -1", role_name(t->role),
           name_or_null(t->name), t->def);
    if (!external && v->defined_by[i] < 0)
      fail(v, t->loc, "%s '%s' is never defined", role_name(t->role), name_or_null(t->name));
  }
}

/* ---- index expressions ---- */

static void verify_var_use(Verifier *v, int var, const char *what) {
  if (!var_in_range(v, var, what))
    return;
  if (v->in_init && v->e->rec && var == recurrence_var(v->e))
    fail(v, v->loc, "init uses the recurrence variable '%s'", var_name(v, var));
  else if (!v->on_lhs[var] && !v->bound[var])
    fail(v, v->loc, "variable '%s' is neither on the left-hand side nor bound by a reduction",
         var_name(v, var));
}

static bool is_positive_constant(const Index *ix) {
  return ix && ix->kind == IX_CONST && ix->value > 0;
}

static void verify_index(Verifier *v, const Index *ix) {
  if (!ix) {
    fail(v, v->loc, "missing index expression");
    return;
  }
  switch (ix->kind) {
  case IX_CONST:
    return;
  case IX_VAR:
    verify_var_use(v, ix->var, "index expression");
    return;
  case IX_NEG:
    verify_index(v, ix->lhs);
    return;
  case IX_ADD:
  case IX_SUB:
    break;
  case IX_MUL:
    if ((ix->lhs && ix->lhs->kind == IX_CONST) || (ix->rhs && ix->rhs->kind == IX_CONST))
      break;
    fail(v, v->loc, "index multiplication has no constant operand");
    return;
  case IX_DIV:
  case IX_MOD:
    if (is_positive_constant(ix->rhs))
      break;
    fail(v, v->loc, "index %s needs a positive constant divisor",
         ix->kind == IX_DIV ? "division" : "modulo");
    return;
  default:
    fail(v, v->loc, "unknown index expression kind %d", (int)ix->kind);
    return;
  }
  verify_index(v, ix->lhs);
  verify_index(v, ix->rhs);
}

/* ---- reads ---- */

/* A recurrence reads itself as out[..., var - k, ...], k >= 1, at rec->pos,
 * with the left-hand variable at every other position. */
static void verify_self_read(Verifier *v, const Expr *x) {
  const Einsum *e = v->e;
  const char *name = e->out->name;
  if (v->in_init) {
    fail(v, v->loc, "init reads the einsum's own output '%s'", name);
    return;
  }
  if (!e->rec) {
    fail(v, v->loc, "'%s' reads itself but is not a recurrence", name);
    return;
  }
  v->self_reads++;
  int along = recurrence_var(e);
  for (int p = 0; p < e->out->rank; p++) {
    const Index *ix = x->index[p];
    if (p != e->rec->pos) {
      if (ix->kind != IX_VAR || ix->var != e->lhs[p])
        fail(v, v->loc, "self-read of '%s' must use the left-hand variable '%s' at position %d",
             name, var_name(v, e->lhs[p]), p);
      continue;
    }
    bool shaped = ix->kind == IX_SUB && ix->lhs && ix->lhs->kind == IX_VAR &&
                  ix->lhs->var == along && ix->rhs && ix->rhs->kind == IX_CONST &&
                  ix->rhs->value >= 1;
    if (!shaped) {
      fail(v, v->loc, "self-read of '%s' at position %d must be '%s - k' with k >= 1", name, p,
           var_name(v, along));
      continue;
    }
    if (ix->rhs->value > v->max_self_offset)
      v->max_self_offset = ix->rhs->value;
  }
}

/* A variable standing alone at a position has that dimension as extent. */
static void verify_read_extents(Verifier *v, const Expr *x) {
  const Tensor *t = x->tensor;
  for (int p = 0; p < t->rank; p++) {
    const Index *ix = x->index[p];
    if (ix->kind != IX_VAR || ix->var < 0 || ix->var >= v->e->nvars)
      continue;
    if (v->e->vars[ix->var].extent != t->dims[p])
      fail(v, v->loc, "variable '%s' has extent %lld but indexes '%s' at position %d of size %lld",
           var_name(v, ix->var), (long long)v->e->vars[ix->var].extent, t->name, p,
           (long long)t->dims[p]);
  }
}

static void verify_read(Verifier *v, const Expr *x) {
  const Tensor *t = x->tensor;
  if (!tensor_in_cascade(v, t)) {
    fail(v, v->loc, "read of a tensor that is not in the cascade's tensor list");
    return;
  }
  if (t->rank > 0 && !x->index) {
    fail(v, v->loc, "read of '%s' has no index list", t->name);
    return;
  }
  for (int p = 0; p < t->rank; p++)
    if (!x->index[p]) {
      fail(v, v->loc, "read of '%s' has no index at position %d", t->name, p);
      return;
    }
  for (int p = 0; p < t->rank; p++)
    verify_index(v, x->index[p]);
  if (t->rank > 0 && t->dims)
    verify_read_extents(v, x);

  bool external = t->role == ROLE_INPUT || t->role == ROLE_PARAM;
  if (t == v->e->out)
    verify_self_read(v, x);
  else if (!external && (v->defined_by[t->id] < 0 || v->defined_by[t->id] >= v->pos))
    fail(v, v->loc, "'%s' is read before the einsum that defines it", t->name);
}

/* ---- value expressions ---- */

static int expected_args(Verifier *v, const Expr *x) {
  switch (x->kind) {
  case EX_CONST:
  case EX_READ:
  case EX_INDEX:
    return 0;
  case EX_UNARY:
  case EX_REDUCE:
    return 1;
  case EX_BINARY:
    return 2;
  case EX_SELECT:
    return 3;
  case EX_CALL:
    if (x->func < 0 || x->func >= FN_COUNT) {
      fail(v, v->loc, "unknown function %d", (int)x->func);
      return -1;
    }
    return func_arity(x->func);
  }
  fail(v, v->loc, "unknown expression kind %d", (int)x->kind);
  return -1;
}

static bool verify_arity(Verifier *v, const Expr *x) {
  int want = expected_args(v, x);
  if (want < 0)
    return false;
  if (x->nargs != want) {
    if (x->kind == EX_CALL)
      fail(v, v->loc, "'%s' takes %d argument%s but has %d", func_name(x->func), want,
           want == 1 ? "" : "s", x->nargs);
    else
      fail(v, v->loc, "expression of kind %d has %d operands instead of %d", (int)x->kind, x->nargs,
           want);
    return false;
  }
  for (int i = 0; i < want; i++)
    if (!x->arg[i]) {
      fail(v, v->loc, "missing operand %d", i);
      return false;
    }
  return true;
}

static bool verify_operator(Verifier *v, const Expr *x) {
  if (x->kind == EX_UNARY && x->op != OP_NEG && x->op != OP_NOT) {
    fail(v, v->loc, "unary expression has operator %d", (int)x->op);
    return false;
  }
  if (x->kind == EX_BINARY && (x->op < OP_ADD || x->op > OP_OR)) {
    fail(v, v->loc, "binary expression has operator %d", (int)x->op);
    return false;
  }
  return true;
}

static void verify_expr(Verifier *v, const Expr *x, const char *condition_wanted);

static void verify_reduce(Verifier *v, const Expr *x) {
  if (x->reduce < 0 || x->reduce >= RED_COUNT) {
    fail(v, v->loc, "unknown reduction %d", (int)x->reduce);
    return;
  }
  if (x->nrvars < 1 || !x->rvars) {
    fail(v, v->loc, "'%s' reduction binds no variables", reduce_name(x->reduce));
    return;
  }
  /* Bind for the body, remembering which bindings are ours to undo. */
  bool *mine = xcalloc((size_t)x->nrvars, sizeof *mine);
  for (int i = 0; i < x->nrvars; i++) {
    int var = x->rvars[i];
    if (!var_in_range(v, var, "reduction"))
      continue;
    if (v->on_lhs[var])
      fail(v, v->loc, "reduction binds '%s', which is on the left-hand side", var_name(v, var));
    else if (v->bound[var])
      fail(v, v->loc, "variable '%s' is bound by two reductions on one path", var_name(v, var));
    else
      v->bound[var] = mine[i] = true;
  }
  verify_expr(v, x->arg[0], NULL);
  for (int i = 0; i < x->nrvars; i++)
    if (mine[i])
      v->bound[x->rvars[i]] = false;
  free(mine);
}

/* condition_wanted: NULL where a value belongs, else the place that needs a
 * condition, for the message. */
static void verify_expr(Verifier *v, const Expr *x, const char *condition_wanted) {
  if (!x) {
    fail(v, v->loc, "missing expression");
    return;
  }
  if (!verify_arity(v, x) || !verify_operator(v, x))
    return;
  if (condition_wanted && !expr_is_condition(x))
    fail(v, v->loc, "%s is not a condition", condition_wanted);
  else if (!condition_wanted && expr_is_condition(x))
    fail(v, v->loc, "condition '%s' is used as a value", op_name(x->op));

  switch (x->kind) {
  case EX_CONST:
    return;
  case EX_READ:
    verify_read(v, x);
    return;
  case EX_INDEX:
    verify_var_use(v, x->var, "index value");
    return;
  case EX_UNARY:
    verify_expr(v, x->arg[0], x->op == OP_NOT ? "the operand of '!'" : NULL);
    return;
  case EX_BINARY: {
    const char *wanted = NULL;
    if (x->op == OP_AND)
      wanted = "an operand of '&&'";
    else if (x->op == OP_OR)
      wanted = "an operand of '||'";
    verify_expr(v, x->arg[0], wanted);
    verify_expr(v, x->arg[1], wanted);
    return;
  }
  case EX_CALL:
    for (int i = 0; i < x->nargs; i++)
      verify_expr(v, x->arg[i], NULL);
    return;
  case EX_SELECT:
    verify_expr(v, x->arg[0], "the first operand of select");
    verify_expr(v, x->arg[1], NULL);
    verify_expr(v, x->arg[2], NULL);
    return;
  case EX_REDUCE:
    verify_reduce(v, x);
    return;
  }
}

/* ---- Einsums ---- */

static void verify_variables(Verifier *v) {
  const Einsum *e = v->e;
  if (e->nvars > 0 && !e->vars) {
    fail(v, v->loc, "einsum has %d variables but no variable table", e->nvars);
    return;
  }
  for (int i = 0; i < e->nvars; i++) {
    if (!e->vars[i].name) {
      fail(v, v->loc, "variable %d has no name", i);
      continue;
    }
    if (e->vars[i].extent < 1)
      fail(v, v->loc, "variable '%s' has extent %lld; extents are at least 1", e->vars[i].name,
           (long long)e->vars[i].extent);
  }
  /* Each explicit reduction binds fresh variables, so two sibling sum(k: ...)
   * share a name; a left-hand variable's name is unique, or the text form
   * would not read back to the same variables. */
  int nlhs = e->out && e->lhs ? e->out->rank : 0;
  const char **names = xcalloc((size_t)e->nvars, sizeof *names);
  for (int i = 0; i < e->nvars; i++)
    names[i] = e->vars[i].name;
  int *first = first_with_name(names, e->nvars);
  int *count = xcalloc((size_t)e->nvars, sizeof *count);
  for (int i = 0; i < e->nvars; i++)
    count[first[i]]++;
  for (int i = 0; i < nlhs; i++) {
    int a = e->lhs[i];
    if (a < 0 || a >= e->nvars || !e->vars[a].name)
      continue;
    if (count[first[a]] > 1)
      fail(v, v->loc, "two variables are named '%s', one of them on the left-hand side",
           e->vars[a].name);
  }
  free(count);
  free(first);
  free(names);
}

static bool verify_lhs(Verifier *v) {
  const Einsum *e = v->e;
  const Tensor *out = e->out;
  if (out->rank > 0 && !e->lhs) {
    fail(v, v->loc, "einsum defining '%s' has no left-hand variables", out->name);
    return false;
  }
  bool ok = true;
  for (int p = 0; p < out->rank; p++) {
    int var = e->lhs[p];
    if (!var_in_range(v, var, "left-hand side")) {
      ok = false;
      continue;
    }
    if (v->on_lhs[var])
      fail(v, v->loc, "variable '%s' appears twice on the left-hand side", var_name(v, var));
    v->on_lhs[var] = true;
    if (out->dims && e->vars[var].extent != out->dims[p])
      fail(v, v->loc, "variable '%s' has extent %lld but '%s' has size %lld at position %d",
           var_name(v, var), (long long)e->vars[var].extent, out->name, (long long)out->dims[p], p);
  }
  return ok;
}

static bool verify_recurrence_shape(Verifier *v) {
  const Einsum *e = v->e;
  const Recurrence *rec = e->rec;
  if (rec->pos < 0 || rec->pos >= e->out->rank) {
    fail(v, v->loc, "recurrence position %d is outside '%s' of rank %d", rec->pos, e->out->name,
         e->out->rank);
    return false;
  }
  return var_in_range(v, recurrence_var(e), "recurrence");
}

/* Self-reads were counted while walking the right-hand side. */
static void verify_recurrence_reads(Verifier *v) {
  const Einsum *e = v->e;
  const char *var = var_name(v, recurrence_var(e));
  if (v->self_reads == 0)
    fail(v, v->loc, "'%s' is marked a recurrence along '%s' but never reads itself", e->out->name,
         var);
  else if (v->max_self_offset != e->rec->max_offset)
    fail(v, v->loc,
         "recurrence along '%s' has max_offset %lld but its largest self-read offset "
         "is %lld",
         var, (long long)e->rec->max_offset, (long long)v->max_self_offset);
}

/* The output is in the cascade's list, so its id indexes defined_by. */
static void verify_output(Verifier *v) {
  const Einsum *e = v->e;
  const Tensor *out = e->out;
  if (out->role == ROLE_INPUT || out->role == ROLE_PARAM)
    fail(v, v->loc, "einsum assigns to %s '%s'", role_name(out->role), out->name);
  if (v->defined_by[out->id] >= 0) {
    fail(v, v->loc, "'%s' is defined twice, also by einsum %d", out->name, v->defined_by[out->id]);
    return;
  }
  v->defined_by[out->id] = v->pos;
  if (out->def != v->pos)
    fail(v, v->loc, "'%s' has def %d but is defined by einsum %d", out->name, out->def, v->pos);
}

static void verify_einsum_body(Verifier *v) {
  const Einsum *e = v->e;
  verify_variables(v);
  if (e->nvars > 0 && !e->vars)
    return;
  if (!verify_lhs(v))
    return;
  if (e->rec && !verify_recurrence_shape(v))
    return;
  verify_expr(v, e->rhs, NULL);
  if (e->rec) {
    verify_recurrence_reads(v);
    if (e->rec->init) {
      v->in_init = true;
      verify_expr(v, e->rec->init, NULL);
      v->in_init = false;
    }
  }
}

static void verify_einsum(Verifier *v, int pos) {
  const Einsum *e = v->c->einsums[pos];
  if (!e) {
    SrcLoc file_loc = {v->c->file, 0, 0};
    fail(v, file_loc, "einsum slot %d is empty", pos);
    return;
  }
  v->e = e;
  v->pos = pos;
  v->loc = e->loc;
  v->in_init = false;
  v->self_reads = 0;
  v->max_self_offset = 0;
  if (e->id != pos)
    fail(v, v->loc, "einsum has id %d but is at position %d", e->id, pos);
  if (!tensor_in_cascade(v, e->out)) {
    fail(v, v->loc, "einsum %d's output is not in the cascade's tensor list", pos);
    return;
  }
  verify_output(v);
  if (e->nvars < 0) {
    fail(v, v->loc, "einsum has %d variables", e->nvars);
    return;
  }
  v->on_lhs = xcalloc((size_t)e->nvars, sizeof *v->on_lhs);
  v->bound = xcalloc((size_t)e->nvars, sizeof *v->bound);
  verify_einsum_body(v);
  free(v->on_lhs);
  free(v->bound);
  v->on_lhs = v->bound = NULL;
}

bool cascade_verify(const Cascade *c, Diag *d) {
  Verifier v = {.c = c, .diag = d, .ok = true};
  verify_tensors(&v);
  v.defined_by = xcalloc((size_t)c->ntensors, sizeof *v.defined_by);
  for (int i = 0; i < c->ntensors; i++)
    v.defined_by[i] = -1;
  for (int i = 0; i < c->neinsums; i++)
    verify_einsum(&v, i);
  verify_definitions(&v);
  free(v.defined_by);
  return v.ok;
}
