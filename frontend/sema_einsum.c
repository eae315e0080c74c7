/* Semantic analysis of one Einsum statement `OUT[i, j] = EXPR [init EXPR]`.
 *
 * 1. bind the left-hand variables and find (or create) the output tensor;
 * 2. build the expression tree, resolving each name (a let constant, then a
 *    scalar tensor, then an index variable) and noting each position where a
 *    variable stands alone as an index, since that is where extents come from;
 * 3. give every variable its extent, or report the two places that disagree;
 * 4. recognize a recurrence from the statement's reads of itself;
 * 5. place implicit sums around the smallest subexpression holding every use.
 *
 * Explicitly bound variables (`sum(k: ...)`) get a fresh id per binding, so a
 * name may be bound in one place and summed implicitly in another. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/sema.h"

typedef struct ExtentUse {
  int var;
  int64_t extent;
  SrcLoc loc;
  const char *tensor;
} ExtentUse;

typedef struct Binding {
  const char *name;
  int var;
  int hidden; /* what the name meant before this binding, or -1 */
} Binding;

typedef struct Stmt {
  Sema *s;
  const AstStmt *ast;
  SymTensor *out;
  bool out_is_new; /* undeclared: shape comes from the variables */
  IndexVar *vars;
  int nvars, cap_vars;
  int nlhs;
  Binding *scope; /* left-hand and explicitly bound variables, innermost last */
  int nscope, cap_scope;
  Binding *free_vars; /* implicitly summed variables, by name */
  int nfree, cap_free;
  SymTab visible;        /* name -> the variable it means here: scope, then free */
  SymTab lhs_names;      /* name -> left-hand variable */
  SymTab index_mentions; /* names written as an index or bound anywhere in the statement */
  bool mentions_known;   /* index_mentions is filled */
  ExtentUse *uses;
  int nuses, cap_uses;
  Expr **self_reads;
  int nself, cap_self;
  bool failed;
} Stmt;

static void fail(Stmt *st) { st->failed = true; }

static int new_var(Stmt *st, const char *name, SrcLoc loc) {
  st->vars = arena_reserve(st->s->arena, st->vars, st->nvars, &st->cap_vars, sizeof *st->vars);
  st->vars[st->nvars] = (IndexVar){name, 0, loc};
  return st->nvars++;
}

static void push_binding(Stmt *st, const char *name, int var) {
  st->scope = arena_reserve(st->s->arena, st->scope, st->nscope, &st->cap_scope, sizeof *st->scope);
  st->scope[st->nscope++] = (Binding){name, var, symtab_get(&st->visible, name)};
  symtab_put(&st->visible, name, var);
}

/* Leaves the bindings made since the scope had `depth` entries, innermost
 * first, so that each name means again what it meant before. */
static void pop_bindings(Stmt *st, int depth) {
  while (st->nscope > depth) {
    const Binding *b = &st->scope[--st->nscope];
    symtab_put(&st->visible, b->name, b->hidden);
  }
}

static int lookup_var(Stmt *st, const char *name) { return symtab_get(&st->visible, name); }

/* A variable that is neither on the left nor bound: summed implicitly. */
static int free_var(Stmt *st, const char *name, SrcLoc loc) {
  int v = lookup_var(st, name);
  if (v >= 0)
    return v;
  v = new_var(st, name, loc);
  st->free_vars =
      arena_reserve(st->s->arena, st->free_vars, st->nfree, &st->cap_free, sizeof *st->free_vars);
  st->free_vars[st->nfree++] = (Binding){name, v, -1};
  symtab_put(&st->visible, name, v);
  return v;
}

static void note_extent(Stmt *st, int var, int64_t extent, SrcLoc loc, const char *tensor) {
  if (extent < 1) /* the tensor's shape is unknown after an earlier error */
    return;
  st->uses = arena_reserve(st->s->arena, st->uses, st->nuses, &st->cap_uses, sizeof *st->uses);
  st->uses[st->nuses++] = (ExtentUse){var, extent, loc, tensor};
}

/* Notes every identifier of the list that stands as an index or a bound
 * variable (in_index: the list is inside brackets). */
static void note_index_mentions(Stmt *st, const AstExpr *e, bool in_index) {
  for (; e; e = e->next) {
    if (e->kind == AX_NAME && in_index)
      symtab_put(&st->index_mentions, e->name, 1);
    if (e->kind == AX_ACCESS)
      note_index_mentions(st, e->args, true);
    if (e->kind == AX_CALL)
      note_index_mentions(st, e->bound, true);
    if (e->kind == AX_CALL || e->kind == AX_UNARY || e->kind == AX_BINARY)
      note_index_mentions(st, e->args, in_index);
  }
}

/* Does the identifier appear anywhere in the statement as an index or a bound
 * variable? Then a bare use of it is that index variable's value. The
 * statement is walked once, at the first question. */
static bool statement_mentions_index(Stmt *st, const char *name) {
  if (!st->mentions_known) {
    const AstStmt *a = st->ast;
    note_index_mentions(st, a->lhs->args, true);
    note_index_mentions(st, a->rhs, false);
    note_index_mentions(st, a->init, false);
    st->mentions_known = true;
  }
  return symtab_get(&st->index_mentions, name) >= 0;
}

/* ---- index expressions ------------------------------------------------------ */

static Index *new_index(Stmt *st, IndexKind kind) {
  Index *ix = arena_alloc(st->s->arena, sizeof *ix);
  ix->kind = kind;
  return ix;
}

static Index *index_const(Stmt *st, int64_t v) {
  Index *ix = new_index(st, IX_CONST);
  ix->value = v;
  return ix;
}

/* An index variable named in brackets: a let constant is a constant,
 * anything else is a variable of this statement. */
static Index *index_name(Stmt *st, const AstExpr *e) {
  Sema *s = st->s;
  LetConst *l = sema_find_let(s, e->name);
  if (l)
    return index_const(st, l->value);
  if (sema_find_tensor(s, e->name) || sema_is_call_name(s, e->name)) {
    sema_error(s, e->loc, "'%s' is a %s and cannot be an index variable", e->name,
               sema_find_tensor(s, e->name) ? "tensor" : "function");
    return NULL;
  }
  Index *ix = new_index(st, IX_VAR);
  ix->var = free_var(st, e->name, e->loc);
  return ix;
}

static Index *build_index(Stmt *st, const AstExpr *e) {
  switch (e->kind) {
  case AX_NUM:
    if (!e->is_int) {
      sema_error(st->s, e->loc, "an index must be an integer expression, got %g", e->num);
      return NULL;
    }
    return index_const(st, e->ival);
  case AX_NAME:
    return index_name(st, e);
  case AX_UNARY: {
    if (e->op != AOP_NEG)
      break;
    Index *a = build_index(st, e->args);
    if (!a)
      return NULL;
    if (a->kind == IX_CONST && a->value == INT64_MIN) {
      sema_error(st->s, e->loc, "integer overflow in index expression");
      return NULL;
    }
    if (a->kind == IX_CONST)
      return index_const(st, -a->value);
    Index *ix = new_index(st, IX_NEG);
    ix->lhs = a;
    return ix;
  }
  case AX_BINARY: {
    static const IndexKind kinds[] = {[AOP_ADD] = IX_ADD,
                                      [AOP_SUB] = IX_SUB,
                                      [AOP_MUL] = IX_MUL,
                                      [AOP_DIV] = IX_DIV,
                                      [AOP_MOD] = IX_MOD};
    if (e->op < AOP_ADD || e->op > AOP_MOD)
      break;
    Index *a = build_index(st, e->args);
    Index *b = build_index(st, e->args->next);
    if (!a || !b)
      return NULL;
    IndexKind k = kinds[e->op];
    if ((k == IX_DIV || k == IX_MOD) && (b->kind != IX_CONST || b->value <= 0)) {
      sema_error(st->s, e->loc, "an index may %s only by a positive constant",
                 k == IX_DIV ? "divide" : "take '%'");
      return NULL;
    }
    if (k == IX_MUL && a->kind != IX_CONST && b->kind != IX_CONST) {
      sema_error(st->s, e->loc, "an index must be affine: one side of '*' must be a constant");
      return NULL;
    }
    if (a->kind == IX_CONST && b->kind == IX_CONST) {
      int64_t x = a->value, y = b->value, r = 0;
      bool overflow = false;
      switch (k) {
      case IX_ADD:
        overflow = __builtin_add_overflow(x, y, &r);
        break;
      case IX_SUB:
        overflow = __builtin_sub_overflow(x, y, &r);
        break;
      case IX_MUL:
        overflow = __builtin_mul_overflow(x, y, &r);
        break;
      case IX_DIV:
        r = floor_div(x, y);
        break;
      default:
        r = floor_mod(x, y);
        break;
      }
      if (overflow) {
        sema_error(st->s, e->loc, "integer overflow in index expression");
        return NULL;
      }
      return index_const(st, r);
    }
    Index *ix = new_index(st, k);
    ix->lhs = a;
    ix->rhs = b;
    return ix;
  }
  default:
    break;
  }
  sema_error(st->s, e->loc,
             "an index may use only index variables, integers, let constants and "
             "+ - * / %%");
  return NULL;
}

/* ---- value expressions ------------------------------------------------------ */

static Expr *new_expr(Stmt *st, ExprKind kind, SrcLoc loc) {
  Expr *x = arena_alloc(st->s->arena, sizeof *x);
  x->kind = kind;
  x->loc = loc;
  return x;
}

static Expr *constant(Stmt *st, double v, SrcLoc loc) {
  Expr *x = new_expr(st, EX_CONST, loc);
  x->value = v;
  return x;
}

static Expr *build(Stmt *st, const AstExpr *e);

static Expr *build_value(Stmt *st, const AstExpr *e) {
  Expr *x = build(st, e);
  if (x && expr_is_condition(x)) {
    sema_error(st->s, e->loc, "a condition cannot be used as a value; write select(COND, a, b)");
    return NULL;
  }
  return x;
}

static Expr *build_cond(Stmt *st, const AstExpr *e) {
  Expr *x = build(st, e);
  if (x && !expr_is_condition(x)) {
    sema_error(st->s, e->loc, "expected a condition (a comparison such as j <= i) here");
    return NULL;
  }
  return x;
}

/* Why a tensor that exists by name cannot be read at this point. */
static bool check_readable(Stmt *st, SymTensor *sym, SrcLoc loc) {
  Sema *s = st->s;
  Tensor *t = sym->t;
  if (sym == st->out || t->role == ROLE_INPUT || t->role == ROLE_PARAM || t->def >= 0)
    return true;
  if (sym->failed_def)
    return false; /* its statement already got an error */
  const AstStmt *def = sema_first_assignment(s, t->name);
  if (def && srcloc_before(loc, def->loc))
    sema_error(s, loc, "'%s' is used before it is defined at %d:%d", t->name, def->loc.line,
               def->loc.col);
  else
    sema_error(s, loc, "'%s' is read but never assigned", t->name);
  return false;
}

static Expr *build_read(Stmt *st, const AstExpr *e) {
  Sema *s = st->s;
  SymTensor *sym = sema_find_tensor(s, e->name);
  if (!sym) {
    const SrcLoc *later = sema_later_declaration(s, e->name, e->loc, false);
    const AstStmt *def = sema_first_assignment(s, e->name);
    if (sema_find_let(s, e->name))
      sema_error(s, e->loc, "'%s' is a let constant, not a tensor", e->name);
    else if (later)
      sema_error(s, e->loc, "'%s' is used before its declaration at %d:%d", e->name, later->line,
                 later->col);
    else if (def)
      sema_error(s, e->loc, "'%s' is used before it is defined at %d:%d", e->name, def->loc.line,
                 def->loc.col);
    else
      sema_error(s, e->loc, "unknown tensor '%s'", e->name);
    return NULL;
  }
  if (!check_readable(st, sym, e->loc))
    return NULL;
  if (sym->broken) /* its declaration's error explains; its shape would mislead */
    fail(st);
  Tensor *t = sym->t;
  int n = ast_count(e->args);
  if (n != t->rank) {
    sema_error(s, e->loc, "'%s' has %d dimension%s but is read with %d ind%s", t->name, t->rank,
               t->rank == 1 ? "" : "s", n, n == 1 ? "ex" : "ices");
    return NULL;
  }
  Expr *x = new_expr(st, EX_READ, e->loc);
  x->tensor = t;
  x->index = arena_alloc(s->arena, sizeof *x->index * (n ? n : 1));
  bool ok = true;
  bool self = sym == st->out;
  int i = 0;
  for (const AstExpr *a = e->args; a; a = a->next, i++) {
    x->index[i] = build_index(st, a);
    if (!x->index[i]) {
      ok = false;
      continue;
    }
    /* A recurrence's reads of its own undeclared tensor say nothing of extents. */
    if (x->index[i]->kind == IX_VAR && a->kind == AX_NAME && !(self && st->out_is_new))
      note_extent(st, x->index[i]->var, t->dims[i], a->loc, t->name);
  }
  if (!ok)
    return NULL;
  if (self) {
    st->self_reads = arena_reserve(st->s->arena, st->self_reads, st->nself, &st->cap_self,
                                   sizeof *st->self_reads);
    st->self_reads[st->nself++] = x;
  }
  return x;
}

static Expr *build_name(Stmt *st, const AstExpr *e) {
  Sema *s = st->s;
  LetConst *l = sema_find_let(s, e->name);
  if (l)
    return constant(st, (double)l->value, e->loc);
  SymTensor *sym = sema_find_tensor(s, e->name);
  if (sym || sema_first_assignment(s, e->name))
    return build_read(st, e);
  int v = lookup_var(st, e->name);
  if (v < 0 && statement_mentions_index(st, e->name))
    v = free_var(st, e->name, e->loc);
  if (v >= 0) {
    Expr *x = new_expr(st, EX_INDEX, e->loc);
    x->var = v;
    return x;
  }
  if (sema_later_declaration(s, e->name, e->loc, false))
    return build_read(st, e); /* says where it is declared */
  if (sema_is_call_name(s, e->name))
    sema_error(s, e->loc, "'%s' is a function; call it as %s(...)", e->name, e->name);
  else
    sema_error(s, e->loc, "unknown name '%s'", e->name);
  return NULL;
}

static bool find_func(const char *name, Func *out) {
  for (int f = 0; f < FN_COUNT; f++)
    if (strcmp(name, func_name(f)) == 0) {
      *out = f;
      return true;
    }
  return false;
}

static bool find_reduce(const char *name, ReduceOp *out) {
  for (int r = 0; r < RED_COUNT; r++)
    if (strcmp(name, reduce_name(r)) == 0) {
      *out = r;
      return true;
    }
  return false;
}

static Expr *build_reduce(Stmt *st, const AstExpr *e, ReduceOp op) {
  int n = ast_count(e->bound);
  Expr *x = new_expr(st, EX_REDUCE, e->loc);
  x->reduce = op;
  x->rvars = arena_alloc(st->s->arena, sizeof *x->rvars * n);
  x->nrvars = n;
  x->nargs = 1;
  if (ast_count(e->args) != 1) {
    sema_error(st->s, e->loc, "%s(VARS: EXPR) takes one expression after ':'", e->name);
    return NULL;
  }
  int saved = st->nscope;
  bool ok = true;
  int i = 0;
  for (const AstExpr *b = e->bound; b; b = b->next, i++) {
    if (b->kind != AX_NAME || sema_find_let(st->s, b->name) || sema_find_tensor(st->s, b->name) ||
        sema_is_call_name(st->s, b->name)) {
      sema_error(st->s, b->loc, "%s binds index variables; this is not a free variable name",
                 e->name);
      ok = false;
      continue;
    }
    if (symtab_get(&st->lhs_names, b->name) >= 0) {
      sema_error(st->s, b->loc, "'%s' is an index of the left-hand side and cannot be reduced",
                 b->name);
      ok = false;
    }
    x->rvars[i] = new_var(st, b->name, b->loc);
    push_binding(st, b->name, x->rvars[i]);
  }
  x->arg[0] = build_value(st, e->args);
  pop_bindings(st, saved);
  return ok && x->arg[0] ? x : NULL;
}

static Expr *build_call(Stmt *st, const AstExpr *e) {
  ReduceOp red;
  Func f;
  int n = ast_count(e->args);
  if (e->has_colon) {
    if (find_reduce(e->name, &red))
      return build_reduce(st, e, red);
    sema_error(st->s, e->loc, "only sum, max, min and prod bind variables with ':'");
    return NULL;
  }
  if (strcmp(e->name, "select") == 0) {
    if (n != 3) {
      sema_error(st->s, e->loc, "select takes 3 arguments (condition, then, else), got %d", n);
      return NULL;
    }
    Expr *x = new_expr(st, EX_SELECT, e->loc);
    x->nargs = 3;
    x->arg[0] = build_cond(st, e->args);
    x->arg[1] = build_value(st, e->args->next);
    x->arg[2] = build_value(st, e->args->next->next);
    return x->arg[0] && x->arg[1] && x->arg[2] ? x : NULL;
  }
  if (!find_func(e->name, &f)) {
    if (find_reduce(e->name, &red))
      sema_error(st->s, e->loc, "%s needs its variables: %s(k: EXPR)", e->name, e->name);
    else if (sema_find_tensor(st->s, e->name))
      sema_error(st->s, e->loc, "'%s' is a tensor; read it with brackets: %s[...]", e->name,
                 e->name);
    else
      sema_error(st->s, e->loc, "unknown function '%s'", e->name);
    return NULL;
  }
  if (n != func_arity(f)) {
    sema_error(st->s, e->loc, "%s takes %d argument%s, got %d", e->name, func_arity(f),
               func_arity(f) == 1 ? "" : "s", n);
    return NULL;
  }
  Expr *x = new_expr(st, EX_CALL, e->loc);
  x->func = f;
  x->nargs = n;
  bool ok = true;
  int i = 0;
  for (const AstExpr *a = e->args; a; a = a->next, i++) {
    x->arg[i] = build_value(st, a);
    ok &= x->arg[i] != NULL;
  }
  return ok ? x : NULL;
}

static Expr *build_binary(Stmt *st, const AstExpr *e) {
  static const Op ops[] = {
      [AOP_ADD] = OP_ADD, [AOP_SUB] = OP_SUB, [AOP_MUL] = OP_MUL, [AOP_DIV] = OP_DIV,
      [AOP_LT] = OP_LT,   [AOP_LE] = OP_LE,   [AOP_GT] = OP_GT,   [AOP_GE] = OP_GE,
      [AOP_EQ] = OP_EQ,   [AOP_NE] = OP_NE,   [AOP_AND] = OP_AND, [AOP_OR] = OP_OR};
  if (e->op == AOP_MOD) {
    sema_error(st->s, e->loc, "'%%' is allowed only in indices and let constants");
    return NULL;
  }
  Expr *x = new_expr(st, EX_BINARY, e->loc);
  x->op = ops[e->op];
  x->nargs = 2;
  bool logic = x->op == OP_AND || x->op == OP_OR;
  x->arg[0] = logic ? build_cond(st, e->args) : build_value(st, e->args);
  x->arg[1] = logic ? build_cond(st, e->args->next) : build_value(st, e->args->next);
  return x->arg[0] && x->arg[1] ? x : NULL;
}

static Expr *build(Stmt *st, const AstExpr *e) {
  switch (e->kind) {
  case AX_NUM:
    return constant(st, e->num, e->loc);
  case AX_INF:
    return constant(st, INFINITY, e->loc);
  case AX_NAME:
    return build_name(st, e);
  case AX_ACCESS:
    return build_read(st, e);
  case AX_CALL:
    return build_call(st, e);
  case AX_BINARY:
    return build_binary(st, e);
  case AX_UNARY: {
    bool not = e->op == AOP_NOT;
    Expr *a = not ? build_cond(st, e->args) : build_value(st, e->args);
    if (!a)
      return NULL;
    if (!not &&a->kind == EX_CONST) /* -2 is a number, not an operation */
      return constant(st, -a->value, e->loc);
    Expr *x = new_expr(st, EX_UNARY, e->loc);
    x->op = not ? OP_NOT : OP_NEG;
    x->nargs = 1;
    x->arg[0] = a;
    return x;
  }
  }
  return NULL;
}

/* ---- extents ----------------------------------------------------------------- */

/* Each variable's first use gives its extent; its first use that disagrees
 * is the conflict to report. One pass over the uses, then the messages in
 * variable order. */
static void infer_extents(Stmt *st) {
  const ExtentUse **first = arena_alloc(st->s->arena, sizeof *first * (st->nvars + 1));
  const ExtentUse **conflict = arena_alloc(st->s->arena, sizeof *conflict * (st->nvars + 1));
  for (int i = 0; i < st->nuses; i++) {
    const ExtentUse *u = &st->uses[i];
    if (!first[u->var])
      first[u->var] = u;
    else if (!conflict[u->var] && u->extent != first[u->var]->extent)
      conflict[u->var] = u;
  }
  for (int v = 0; v < st->nvars; v++) {
    const ExtentUse *f = first[v], *u = conflict[v];
    if (f)
      st->vars[v].extent = f->extent;
    if (u) {
      sema_error(st->s, u->loc,
                 "extent conflict for index '%s': %lld from '%s' at %d:%d but %lld from '%s' "
                 "here",
                 st->vars[v].name, (long long)f->extent, f->tensor, f->loc.line, f->loc.col,
                 (long long)u->extent, u->tensor);
      fail(st);
    }
    if (!f) {
      if (st->out_is_new && v < st->nlhs)
        sema_error(st->s, st->vars[v].loc,
                   "cannot infer the extent of index '%s': it never stands alone as an index of "
                   "a declared tensor; declare the left-hand tensor (tensor %s[...])",
                   st->vars[v].name, st->out->t->name);
      else
        sema_error(st->s, st->vars[v].loc,
                   "cannot infer the extent of index '%s': it never stands alone as an index of "
                   "a tensor",
                   st->vars[v].name);
      fail(st);
    }
  }
}

/* ---- recurrences ------------------------------------------------------------- */

/* Writes idx as sum(coef[v] * v) + *constant; false if it uses / or %, or
 * (with *overflow set) if a coefficient does not fit in 64 bits. */
static bool affine_form(const Index *ix, int64_t *coef, int64_t scale, int64_t *constant,
                        bool *overflow) {
  int64_t term;
  switch (ix->kind) {
  case IX_CONST:
    if (__builtin_mul_overflow(scale, ix->value, &term) ||
        __builtin_add_overflow(*constant, term, constant))
      return !(*overflow = true);
    return true;
  case IX_VAR:
    if (__builtin_add_overflow(coef[ix->var], scale, &coef[ix->var]))
      return !(*overflow = true);
    return true;
  case IX_NEG:
    if (scale == INT64_MIN)
      return !(*overflow = true);
    return affine_form(ix->lhs, coef, -scale, constant, overflow);
  case IX_ADD:
  case IX_SUB:
    if (ix->kind == IX_SUB && scale == INT64_MIN)
      return !(*overflow = true);
    return affine_form(ix->lhs, coef, scale, constant, overflow) &&
           affine_form(ix->rhs, coef, ix->kind == IX_ADD ? scale : -scale, constant, overflow);
  case IX_MUL: {
    const Index *k = ix->lhs->kind == IX_CONST ? ix->lhs : ix->rhs;
    const Index *other = k == ix->lhs ? ix->rhs : ix->lhs;
    if (__builtin_mul_overflow(scale, k->value, &term))
      return !(*overflow = true);
    return affine_form(other, coef, term, constant, overflow);
  }
  default:
    return false;
  }
}

typedef enum { SELF_SAME, SELF_OFFSET, SELF_NONCONST, SELF_OTHER, SELF_OVERFLOW } SelfIndex;

/* Whether a variable of ix other than `var` has a nonzero coefficient. */
static bool uses_other_var(const Index *ix, const int64_t *coef, int var) {
  if (!ix)
    return false;
  if (ix->kind == IX_VAR)
    return ix->var != var && coef[ix->var] != 0;
  return uses_other_var(ix->lhs, coef, var) || uses_other_var(ix->rhs, coef, var);
}

/* Zeroes the coefficients of ix's variables: the only ones affine_form set. */
static void clear_coefs(const Index *ix, int64_t *coef) {
  if (!ix)
    return;
  if (ix->kind == IX_VAR)
    coef[ix->var] = 0;
  clear_coefs(ix->lhs, coef);
  clear_coefs(ix->rhs, coef);
}

static SelfIndex classify_affine(const Index *ix, int64_t *coef, int lhs_var, int64_t *offset) {
  int64_t c = 0;
  bool overflow = false;
  if (!affine_form(ix, coef, 1, &c, &overflow))
    return overflow ? SELF_OVERFLOW : SELF_OTHER;
  if (coef[lhs_var] != 1)
    return SELF_OTHER;
  if (uses_other_var(ix, coef, lhs_var))
    return SELF_NONCONST;
  if (c == INT64_MIN) /* its distance, -c, does not fit */
    return SELF_OVERFLOW;
  *offset = c;
  return c == 0 ? SELF_SAME : SELF_OFFSET;
}

/* How position p of a self-read relates to the left-hand variable there.
 * coef is all zeros, and is left so: the work is the index's size, not the
 * statement's number of variables. */
static SelfIndex classify_self_index(const Index *ix, int64_t *coef, int lhs_var, int64_t *offset) {
  SelfIndex kind = classify_affine(ix, coef, lhs_var, offset);
  clear_coefs(ix, coef);
  return kind;
}

/* Rewrites every self-read into the form the IR promises (cascade.h): the
 * left-hand variable at each position, `var - k` along the recurrence, so
 * that `h[l + -1]` or `h[2*l - l - 1]` reads as `h[l - 1]`. offsets[r] is
 * read r's offset along pos, as check_recurrence found it. */
static void canonicalize_self_reads(Stmt *st, int pos, const int64_t *offsets) {
  for (int r = 0; r < st->nself; r++) {
    Expr *x = st->self_reads[r];
    for (int p = 0; p < st->nlhs; p++) {
      Index *var = new_index(st, IX_VAR);
      var->var = p;
      if (p != pos) {
        x->index[p] = var;
        continue;
      }
      Index *sub = new_index(st, IX_SUB);
      sub->lhs = var;
      sub->rhs = index_const(st, -offsets[r]);
      x->index[p] = sub;
    }
  }
}

static Recurrence *check_recurrence(Stmt *st) {
  const char *name = st->out->t->name;
  int pos = -1;
  int64_t max_offset = 0;
  int64_t *offsets = arena_alloc(st->s->arena, sizeof *offsets * st->nself);
  int64_t *coef = arena_alloc(st->s->arena, sizeof *coef * st->nvars);
  for (int r = 0; r < st->nself; r++) {
    const Expr *x = st->self_reads[r];
    int along = -1;
    for (int p = 0; p < st->nlhs; p++) {
      int64_t off = 0;
      const char *var = st->vars[p].name;
      switch (classify_self_index(x->index[p], coef, p, &off)) {
      case SELF_SAME:
        continue;
      case SELF_NONCONST:
        sema_error(st->s, x->loc, "the recurrence offset of '%s' along '%s' must be a constant",
                   name, var);
        return NULL;
      case SELF_OVERFLOW:
        sema_error(st->s, x->loc, "integer overflow in the index of '%s' along '%s'", name, var);
        return NULL;
      case SELF_OTHER:
        sema_error(st->s, x->loc,
                   "'%s' reads itself at an index that is not '%s' plus a constant; a recurrence "
                   "reads itself as %s[..., %s-k, ...]",
                   name, var, name, var);
        return NULL;
      case SELF_OFFSET:
        if (off > 0) {
          sema_error(st->s, x->loc,
                     "'%s' reads itself at offset +%lld along '%s'; a recurrence offset must be "
                     "negative",
                     name, (long long)off, var);
          return NULL;
        }
        if (along >= 0 || (pos >= 0 && pos != p)) {
          sema_error(st->s, x->loc,
                     "'%s' reads itself along more than one rank ('%s' and '%s'); a "
                     "recurrence runs along exactly one",
                     name, st->vars[along >= 0 ? along : pos].name, var);
          return NULL;
        }
        along = p;
        offsets[r] = off;
        if (-off > max_offset)
          max_offset = -off;
        break;
      }
    }
    if (along < 0) {
      sema_error(st->s, x->loc,
                 "'%s' reads the element it defines; a recurrence reads itself at a negative "
                 "constant offset along one rank",
                 name);
      return NULL;
    }
    pos = along;
  }
  canonicalize_self_reads(st, pos, offsets);
  Recurrence *rec = arena_alloc(st->s->arena, sizeof *rec);
  rec->pos = pos;
  rec->max_offset = max_offset;
  return rec;
}

/* ---- implicit reductions ----------------------------------------------------- */

static const char *construct_name(const Expr *x) {
  switch (x->kind) {
  case EX_CALL:
    return func_name(x->func);
  case EX_SELECT:
    return "select";
  default:
    return reduce_name(x->reduce);
  }
}

/* One expression tree numbered in pre-order, with each variable's first and
 * last use. A variable's sum site, the smallest subexpression holding every
 * use, is then found by climbing from its first use until the subtree
 * reaches its last, instead of asking each subtree on the way down whether it
 * uses the variable (which was the statement's size times its depth, for
 * every summed variable). */
typedef struct Tree {
  Expr **node;               /* by number */
  int *parent;               /* -1 at the root */
  int *end;                  /* the last number in the node's subtree */
  int *construct;            /* the nearest call, select or reduction above the node, or -1 */
  int *first_use, *last_use; /* per variable; -1 if unused */
  int *site_head;            /* per node: its first sum, as an index into site_vars, or -1 */
  int n;
} Tree;

static int count_nodes(const Expr *x) {
  int n = 1;
  for (int i = 0; i < x->nargs; i++)
    n += count_nodes(x->arg[i]);
  return n;
}

static void note_use(Tree *t, int var, int at) {
  if (t->first_use[var] < 0)
    t->first_use[var] = at;
  t->last_use[var] = at;
}

static void note_index_uses(Tree *t, const Index *ix, int at) {
  if (!ix)
    return;
  if (ix->kind == IX_VAR)
    note_use(t, ix->var, at);
  note_index_uses(t, ix->lhs, at);
  note_index_uses(t, ix->rhs, at);
}

static bool is_construct(const Expr *x) {
  return x->kind == EX_CALL || x->kind == EX_SELECT || x->kind == EX_REDUCE;
}

static void number_tree(Tree *t, Expr *x, int parent, int construct) {
  int at = t->n++;
  t->node[at] = x;
  t->parent[at] = parent;
  t->construct[at] = construct;
  t->site_head[at] = -1;
  if (x->kind == EX_INDEX)
    note_use(t, x->var, at);
  if (x->kind == EX_READ)
    for (int p = 0; p < x->tensor->rank; p++)
      note_index_uses(t, x->index[p], at);
  for (int i = 0; i < x->nargs; i++)
    number_tree(t, x->arg[i], at, is_construct(x) ? at : construct);
  t->end[at] = t->n - 1;
}

static Tree *make_tree(Stmt *st, Expr *root) {
  Arena *a = st->s->arena;
  Tree *t = arena_alloc(a, sizeof *t);
  int n = count_nodes(root);
  t->node = arena_alloc(a, sizeof *t->node * n);
  t->parent = arena_alloc(a, sizeof *t->parent * n);
  t->end = arena_alloc(a, sizeof *t->end * n);
  t->construct = arena_alloc(a, sizeof *t->construct * n);
  t->site_head = arena_alloc(a, sizeof *t->site_head * n);
  t->first_use = arena_alloc(a, sizeof *t->first_use * (st->nvars + 1));
  t->last_use = arena_alloc(a, sizeof *t->last_use * (st->nvars + 1));
  for (int v = 0; v < st->nvars; v++)
    t->first_use[v] = t->last_use[v] = -1;
  number_tree(t, root, -1, -1);
  return t;
}

/* The node where the sum over `var` goes, or -1 after reporting that it
 * falls inside an argument of a function, select or explicit reduction,
 * where its place is ambiguous. */
static int sum_site(Stmt *st, const Tree *t, int var) {
  int at = t->first_use[var];
  while (t->end[at] < t->last_use[var])
    at = t->parent[at];
  int inside = t->construct[at];
  if (inside < 0)
    return at;
  const char *what = construct_name(t->node[inside]);
  const char *name = st->vars[var].name;
  sema_error(st->s, t->node[at]->loc,
             "ambiguous implicit sum over '%s' inside %s(...); write sum(%s: ...) where the "
             "sum belongs",
             name, what, name);
  return -1;
}

/* Wraps each site in a sum node, innermost first (a post-order walk that
 * numbers the nodes as number_tree did). site_next chains the sums of one
 * node in the order of the variables. */
static void wrap_sums(Stmt *st, const Tree *t, Expr **slot, int *counter, const int *site_vars,
                      const int *site_next) {
  Expr *x = *slot;
  int at = (*counter)++;
  for (int i = 0; i < x->nargs; i++)
    wrap_sums(st, t, &x->arg[i], counter, site_vars, site_next);
  int n = 0;
  for (int i = t->site_head[at]; i >= 0; i = site_next[i])
    n++;
  if (n == 0)
    return;
  Expr *r = new_expr(st, EX_REDUCE, x->loc);
  r->reduce = RED_SUM;
  r->implicit = true;
  r->rvars = arena_alloc(st->s->arena, sizeof *r->rvars * n);
  for (int i = t->site_head[at]; i >= 0; i = site_next[i])
    r->rvars[r->nrvars++] = site_vars[i];
  r->nargs = 1;
  r->arg[0] = x;
  *slot = r;
}

static bool place_implicit_sums(Stmt *st, Expr **root) {
  if (st->nfree == 0)
    return true;
  Tree *t = make_tree(st, *root);
  int *sites = arena_alloc(st->s->arena, sizeof *sites * (st->nfree + 1));
  int *site_vars = arena_alloc(st->s->arena, sizeof *site_vars * (st->nfree + 1));
  int *site_next = arena_alloc(st->s->arena, sizeof *site_next * (st->nfree + 1));
  int nsites = 0;
  bool ok = true;
  for (int i = 0; i < st->nfree; i++) {
    int var = st->free_vars[i].var;
    if (t->first_use[var] < 0)
      continue;
    int site = sum_site(st, t, var);
    if (site < 0) {
      ok = false;
      continue;
    }
    sites[nsites] = site;
    site_vars[nsites++] = var;
  }
  if (!ok || nsites == 0)
    return ok;
  /* Chained back to front, so that each node's chain is in variable order. */
  for (int i = nsites - 1; i >= 0; i--) {
    site_next[i] = t->site_head[sites[i]];
    t->site_head[sites[i]] = i;
  }
  int counter = 0;
  wrap_sums(st, t, root, &counter, site_vars, site_next);
  return true;
}

/* ---- index ranges ------------------------------------------------------------ */

/* The variables of ix, each once, in the order they first appear. */
static void collect_index_vars(const Index *ix, bool *seen, int *vars, int *n) {
  if (!ix)
    return;
  if (ix->kind == IX_VAR && !seen[ix->var]) {
    seen[ix->var] = true;
    vars[(*n)++] = ix->var;
  }
  collect_index_vars(ix->lhs, seen, vars, n);
  collect_index_vars(ix->rhs, seen, vars, n);
}

/* The index as written in a dump, its names cut, and itself cut to
 * EXPR_SHOWN bytes ending in "...": a malloc'ed string. */
static char *index_text(Stmt *st, const Index *ix) {
  enum { EXPR_SHOWN = 120 };
  Einsum names = {.vars = st->vars, .nvars = st->nvars}; /* all print_index reads */
  char *raw = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&raw, &len);
  if (!f) {
    fprintf(stderr, "einc: out of memory\n");
    abort();
  }
  print_index(&names, ix, f);
  fclose(f);
  char *text = sema_shorten_names(raw);
  free(raw);
  if (strlen(text) > EXPR_SHOWN)
    strcpy(text + EXPR_SHOWN - 3, "...");
  return text;
}

/* "i runs over 0..3, j runs over 0..7", for at most the first 4 variables. */
static const char *format_ranges(Stmt *st, const Index *ix) {
  enum { SHOWN = 4, SIZE = 512 };
  char *buf = arena_alloc(st->s->arena, SIZE);
  size_t size = SIZE;
  bool *seen = arena_alloc(st->s->arena, sizeof *seen * (st->nvars + 1));
  int *vars = arena_alloc(st->s->arena, sizeof *vars * (st->nvars + 1));
  int n = 0;
  collect_index_vars(ix, seen, vars, &n);
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < n && i < SHOWN && used < size; i++) {
    const IndexVar *v = &st->vars[vars[i]];
    /* One byte more than a message shows, so that sema_error still cuts the
     * name and adds its "...", and four entries fit in buf. */
    used += (size_t)snprintf(buf + used, size - used, "%s%.*s runs over 0..%lld", i > 0 ? ", " : "",
                             (int)SEMA_NAME_SHOWN + 1, v->name, (long long)(v->extent - 1));
  }
  if (n > SHOWN && used < size)
    snprintf(buf + used, size - used, ", ...");
  return buf;
}

/* Interval arithmetic over the variables' full ranges must stay inside 64
 * bits: then every later pass computes index values and bounds exactly
 * (index_bounds in cascade.h), and no wrapped index looks in range. */
static bool check_read(Stmt *st, const Expr *read, const int64_t *lo, const int64_t *hi) {
  bool ok = true;
  for (int p = 0; p < read->tensor->rank; p++) {
    int64_t a, b;
    if (index_bounds(read->index[p], lo, hi, &a, &b))
      continue;
    char *text = index_text(st, read->index[p]);
    sema_error(st->s, read->loc, "index '%s' can leave the 64-bit integer range (%s)", text,
               format_ranges(st, read->index[p]));
    free(text);
    ok = false;
  }
  return ok;
}

/* The walk keeps its frame small: expressions nest 10 000 deep. */
static bool check_read_ranges(Stmt *st, const Expr *x, const int64_t *lo, const int64_t *hi) {
  bool ok = x->kind != EX_READ || check_read(st, x, lo, hi);
  for (int i = 0; i < x->nargs; i++)
    ok &= check_read_ranges(st, x->arg[i], lo, hi);
  return ok;
}

static bool check_index_ranges(Stmt *st, const Expr *rhs, const Expr *init) {
  int64_t *lo = arena_alloc(st->s->arena, sizeof *lo * (st->nvars + 1));
  int64_t *hi = arena_alloc(st->s->arena, sizeof *hi * (st->nvars + 1));
  for (int v = 0; v < st->nvars; v++)
    hi[v] = st->vars[v].extent - 1;
  bool ok = check_read_ranges(st, rhs, lo, hi);
  if (init)
    ok &= check_read_ranges(st, init, lo, hi);
  return ok;
}

/* ---- the statement ------------------------------------------------------------ */

/* Finds the output tensor (declared, or created here) and binds the
 * left-hand variables. */
static bool bind_lhs(Stmt *st) {
  Sema *s = st->s;
  const AstExpr *lhs = st->ast->lhs;
  SymTensor *sym = sema_find_tensor(s, lhs->name);
  int n = ast_count(lhs->args);
  if (sema_find_let(s, lhs->name)) {
    sema_error(s, lhs->loc, "cannot assign to let constant '%s'", lhs->name);
    return false;
  }
  if (sema_is_call_name(s, lhs->name)) {
    sema_error(s, lhs->loc, "'%s' is the name of a function and cannot name a tensor or constant",
               lhs->name);
    return false;
  }
  if (sym && (sym->t->role == ROLE_INPUT || sym->t->role == ROLE_PARAM)) {
    sema_error(s, lhs->loc, "cannot assign to %s '%s'", role_name(sym->t->role), lhs->name);
    return false;
  }
  if (sym && (sym->t->def >= 0 || sym->failed_def)) {
    const AstStmt *first = sema_first_assignment(s, lhs->name);
    sema_error(s, lhs->loc, "'%s' is assigned twice; the first assignment is at %d:%d", lhs->name,
               first->loc.line, first->loc.col);
    return false;
  }
  if (sym && n != sym->t->rank) {
    sema_error(s, lhs->loc, "'%s' has %d dimension%s but is assigned with %d ind%s", lhs->name,
               sym->t->rank, sym->t->rank == 1 ? "" : "s", n, n == 1 ? "ex" : "ices");
    sym->failed_def = true;
    return false;
  }
  if (!sym && !sema_check_not_index(s, lhs->name, lhs->loc))
    return false;
  st->out_is_new = sym == NULL;
  if (!sym)
    sym = sema_add_tensor(s, lhs->name, ROLE_INTERMEDIATE, n, lhs->loc, false);
  st->out = sym;

  bool ok = true;
  for (const AstExpr *a = lhs->args; a; a = a->next) {
    if (a->kind != AX_NAME || sema_find_let(s, a->name) || sema_find_tensor(s, a->name) ||
        sema_is_call_name(s, a->name)) {
      sema_error(s, a->loc, "each index of the left-hand side must be an index variable");
      ok = false;
      continue;
    }
    if (symtab_get(&st->lhs_names, a->name) >= 0) {
      sema_error(s, a->loc, "index variable '%s' appears twice on the left-hand side", a->name);
      ok = false;
    }
    int v = new_var(st, a->name, a->loc);
    if (symtab_get(&st->lhs_names, a->name) < 0)
      symtab_put(&st->lhs_names, a->name, v);
    push_binding(st, a->name, v);
  }
  st->nlhs = st->nvars;
  if (!ok) {
    sym->failed_def = true; /* assigned here, if wrongly: later reads need no message */
    return false;
  }
  if (sym->broken)
    fail(st); /* its declaration's error explains; its shape would mislead */
  if (!st->out_is_new) {
    int i = 0;
    for (const AstExpr *a = lhs->args; a; a = a->next, i++)
      note_extent(st, i, sym->t->dims[i], a->loc, sym->t->name);
  }
  return true;
}

static bool check_init(Stmt *st, Expr *init, Recurrence *rec) {
  if (!rec) {
    sema_error(st->s, st->ast->init->loc, "'init' is allowed only on a recurrence");
    return false;
  }
  if (expr_uses(init, rec->pos)) { /* left-hand variable i has id i */
    sema_error(st->s, st->ast->init->loc,
               "the init of '%s' cannot use the recurrence variable '%s'", st->out->t->name,
               st->vars[rec->pos].name);
    return false;
  }
  return true;
}

static Einsum *analyze(Stmt *st) {
  Sema *s = st->s;
  const AstStmt *ast = st->ast;
  int errors_before = s->diag->nerrors;
  if (!bind_lhs(st))
    return NULL;

  Expr *rhs = build_value(st, ast->rhs);
  int self_in_rhs = st->nself;
  Expr *init = ast->init ? build_value(st, ast->init) : NULL;
  if (st->nself > self_in_rhs) {
    sema_error(s, ast->init->loc, "the init of '%s' cannot read '%s' itself", st->out->t->name,
               st->out->t->name);
    fail(st);
  }
  if (!rhs || (ast->init && !init) || st->failed || s->diag->nerrors > errors_before) {
    st->out->failed_def = true;
    return NULL;
  }

  infer_extents(st);
  Recurrence *rec = st->nself ? check_recurrence(st) : NULL;
  bool ok = !st->failed && s->diag->nerrors == errors_before;
  if (ok && !check_index_ranges(st, rhs, init))
    ok = false;
  if (ok && init && !check_init(st, init, rec))
    ok = false;
  if (ok && !place_implicit_sums(st, &rhs))
    ok = false;
  if (ok && init && !place_implicit_sums(st, &init))
    ok = false;
  if (!ok) {
    st->out->failed_def = true;
    return NULL;
  }

  Tensor *t = st->out->t;
  if (st->out_is_new) {
    for (int i = 0; i < st->nlhs; i++)
      t->dims[i] = st->vars[i].extent;
    if (!sema_check_element_count(s, t, ast->loc)) {
      st->out->failed_def = true;
      return NULL;
    }
  }
  Einsum *e = arena_alloc(s->arena, sizeof *e);
  e->loc = ast->loc;
  e->out = t;
  e->lhs = arena_alloc(s->arena, sizeof *e->lhs * (st->nlhs ? st->nlhs : 1));
  for (int i = 0; i < st->nlhs; i++)
    e->lhs[i] = i;
  e->vars = st->vars;
  e->nvars = st->nvars;
  e->rhs = rhs;
  if (rec)
    rec->init = init;
  e->rec = rec;
  t->def = s->neinsums;
  return e;
}

Einsum *sema_einsum(Sema *s, const AstStmt *ast) {
  Stmt st = {.s = s, .ast = ast};
  symtab_init(&st.visible, s->arena);
  symtab_init(&st.lhs_names, s->arena);
  symtab_init(&st.index_mentions, s->arena);
  Einsum *e = analyze(&st);
  sema_note_index_names(s, st.vars, st.nvars);
  return e;
}
