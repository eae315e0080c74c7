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
  st->scope[st->nscope++] = (Binding){name, var};
}

static int lookup_var(Stmt *st, const char *name) {
  for (int i = st->nscope - 1; i >= 0; i--)
    if (strcmp(st->scope[i].name, name) == 0)
      return st->scope[i].var;
  for (int i = 0; i < st->nfree; i++)
    if (strcmp(st->free_vars[i].name, name) == 0)
      return st->free_vars[i].var;
  return -1;
}

/* A variable that is neither on the left nor bound: summed implicitly. */
static int free_var(Stmt *st, const char *name, SrcLoc loc) {
  int v = lookup_var(st, name);
  if (v >= 0)
    return v;
  v = new_var(st, name, loc);
  st->free_vars =
      arena_reserve(st->s->arena, st->free_vars, st->nfree, &st->cap_free, sizeof *st->free_vars);
  st->free_vars[st->nfree++] = (Binding){name, v};
  return v;
}

static void note_extent(Stmt *st, int var, int64_t extent, SrcLoc loc, const char *tensor) {
  if (extent < 1) /* the tensor's shape is unknown after an earlier error */
    return;
  st->uses = arena_reserve(st->s->arena, st->uses, st->nuses, &st->cap_uses, sizeof *st->uses);
  st->uses[st->nuses++] = (ExtentUse){var, extent, loc, tensor};
}

/* Does the identifier appear anywhere in the statement as an index or a bound
 * variable? Then a bare use of it is that index variable's value. */
static bool mentions_as_index(const AstExpr *e, const char *name, bool in_index) {
  for (; e; e = e->next) {
    if (e->kind == AX_NAME && in_index && strcmp(e->name, name) == 0)
      return true;
    if (e->kind == AX_ACCESS && mentions_as_index(e->args, name, true))
      return true;
    if (e->kind == AX_CALL && mentions_as_index(e->bound, name, true))
      return true;
    if ((e->kind == AX_CALL || e->kind == AX_UNARY || e->kind == AX_BINARY) &&
        mentions_as_index(e->args, name, in_index))
      return true;
  }
  return false;
}

static bool statement_mentions_index(const Stmt *st, const char *name) {
  const AstStmt *a = st->ast;
  return mentions_as_index(a->lhs->args, name, true) || mentions_as_index(a->rhs, name, false) ||
         mentions_as_index(a->init, name, false);
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
  if (sema_find_tensor(s, e->name) || sema_is_call_name(e->name)) {
    diag_error(s->diag, e->loc, "'%s' is a %s and cannot be an index variable", e->name,
               sema_find_tensor(s, e->name) ? "tensor" : "function");
    return NULL;
  }
  Index *ix = new_index(st, IX_VAR);
  ix->var = free_var(st, e->name, e->loc);
  return ix;
}

static Index *build_index(Stmt *st, const AstExpr *e) {
  Diag *d = st->s->diag;
  switch (e->kind) {
  case AX_NUM:
    if (!e->is_int) {
      diag_error(d, e->loc, "an index must be an integer expression, got %g", e->num);
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
      diag_error(d, e->loc, "integer overflow in index expression");
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
      diag_error(d, e->loc, "an index may %s only by a positive constant",
                 k == IX_DIV ? "divide" : "take '%'");
      return NULL;
    }
    if (k == IX_MUL && a->kind != IX_CONST && b->kind != IX_CONST) {
      diag_error(d, e->loc, "an index must be affine: one side of '*' must be a constant");
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
        diag_error(d, e->loc, "integer overflow in index expression");
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
  diag_error(d, e->loc,
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
    diag_error(st->s->diag, e->loc,
               "a condition cannot be used as a value; write select(COND, a, b)");
    return NULL;
  }
  return x;
}

static Expr *build_cond(Stmt *st, const AstExpr *e) {
  Expr *x = build(st, e);
  if (x && !expr_is_condition(x)) {
    diag_error(st->s->diag, e->loc, "expected a condition (a comparison such as j <= i) here");
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
    diag_error(s->diag, loc, "'%s' is used before it is defined at %d:%d", t->name, def->loc.line,
               def->loc.col);
  else
    diag_error(s->diag, loc, "'%s' is read but never assigned", t->name);
  return false;
}

static Expr *build_read(Stmt *st, const AstExpr *e) {
  Sema *s = st->s;
  SymTensor *sym = sema_find_tensor(s, e->name);
  if (!sym) {
    const SrcLoc *later = sema_later_declaration(s, e->name, e->loc, false);
    const AstStmt *def = sema_first_assignment(s, e->name);
    if (sema_find_let(s, e->name))
      diag_error(s->diag, e->loc, "'%s' is a let constant, not a tensor", e->name);
    else if (later)
      diag_error(s->diag, e->loc, "'%s' is used before its declaration at %d:%d", e->name,
                 later->line, later->col);
    else if (def)
      diag_error(s->diag, e->loc, "'%s' is used before it is defined at %d:%d", e->name,
                 def->loc.line, def->loc.col);
    else
      diag_error(s->diag, e->loc, "unknown tensor '%s'", e->name);
    return NULL;
  }
  if (!check_readable(st, sym, e->loc))
    return NULL;
  if (sym->broken) /* its declaration's error explains; its shape would mislead */
    fail(st);
  Tensor *t = sym->t;
  int n = ast_count(e->args);
  if (n != t->rank) {
    diag_error(s->diag, e->loc, "'%s' has %d dimension%s but is read with %d ind%s", t->name,
               t->rank, t->rank == 1 ? "" : "s", n, n == 1 ? "ex" : "ices");
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
  if (sema_is_call_name(e->name))
    diag_error(s->diag, e->loc, "'%s' is a function; call it as %s(...)", e->name, e->name);
  else
    diag_error(s->diag, e->loc, "unknown name '%s'", e->name);
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
  Diag *d = st->s->diag;
  int n = ast_count(e->bound);
  Expr *x = new_expr(st, EX_REDUCE, e->loc);
  x->reduce = op;
  x->rvars = arena_alloc(st->s->arena, sizeof *x->rvars * n);
  x->nrvars = n;
  x->nargs = 1;
  if (ast_count(e->args) != 1) {
    diag_error(d, e->loc, "%s(VARS: EXPR) takes one expression after ':'", e->name);
    return NULL;
  }
  int saved = st->nscope;
  bool ok = true;
  int i = 0;
  for (const AstExpr *b = e->bound; b; b = b->next, i++) {
    if (b->kind != AX_NAME || sema_find_let(st->s, b->name) || sema_find_tensor(st->s, b->name) ||
        sema_is_call_name(b->name)) {
      diag_error(d, b->loc, "%s binds index variables; this is not a free variable name", e->name);
      ok = false;
      continue;
    }
    for (int j = 0; j < st->nlhs; j++)
      if (strcmp(st->vars[j].name, b->name) == 0) {
        diag_error(d, b->loc, "'%s' is an index of the left-hand side and cannot be reduced",
                   b->name);
        ok = false;
      }
    x->rvars[i] = new_var(st, b->name, b->loc);
    push_binding(st, b->name, x->rvars[i]);
  }
  x->arg[0] = build_value(st, e->args);
  st->nscope = saved;
  return ok && x->arg[0] ? x : NULL;
}

static Expr *build_call(Stmt *st, const AstExpr *e) {
  Diag *d = st->s->diag;
  ReduceOp red;
  Func f;
  int n = ast_count(e->args);
  if (e->has_colon) {
    if (find_reduce(e->name, &red))
      return build_reduce(st, e, red);
    diag_error(d, e->loc, "only sum, max, min and prod bind variables with ':'");
    return NULL;
  }
  if (strcmp(e->name, "select") == 0) {
    if (n != 3) {
      diag_error(d, e->loc, "select takes 3 arguments (condition, then, else), got %d", n);
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
      diag_error(d, e->loc, "%s needs its variables: %s(k: EXPR)", e->name, e->name);
    else if (sema_find_tensor(st->s, e->name))
      diag_error(d, e->loc, "'%s' is a tensor; read it with brackets: %s[...]", e->name, e->name);
    else
      diag_error(d, e->loc, "unknown function '%s'", e->name);
    return NULL;
  }
  if (n != func_arity(f)) {
    diag_error(d, e->loc, "%s takes %d argument%s, got %d", e->name, func_arity(f),
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
    diag_error(st->s->diag, e->loc, "'%%' is allowed only in indices and let constants");
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

static void infer_extents(Stmt *st) {
  Diag *d = st->s->diag;
  for (int v = 0; v < st->nvars; v++) {
    const ExtentUse *first = NULL;
    for (int i = 0; i < st->nuses; i++) {
      const ExtentUse *u = &st->uses[i];
      if (u->var != v)
        continue;
      if (!first) {
        first = u;
        st->vars[v].extent = u->extent;
      } else if (u->extent != first->extent) {
        diag_error(d, u->loc,
                   "extent conflict for index '%s': %lld from '%s' at %d:%d but %lld from '%s' "
                   "here",
                   st->vars[v].name, (long long)first->extent, first->tensor, first->loc.line,
                   first->loc.col, (long long)u->extent, u->tensor);
        fail(st);
        break;
      }
    }
    if (!first) {
      if (st->out_is_new && v < st->nlhs)
        diag_error(d, st->vars[v].loc,
                   "cannot infer the extent of index '%s': it never stands alone as an index of "
                   "a declared tensor; declare the left-hand tensor (tensor %s[...])",
                   st->vars[v].name, st->out->t->name);
      else
        diag_error(d, st->vars[v].loc,
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

/* How position p of a self-read relates to the left-hand variable there. */
static SelfIndex classify_self_index(Stmt *st, const Index *ix, int lhs_var, int64_t *offset) {
  int64_t *coef = arena_alloc(st->s->arena, sizeof *coef * st->nvars);
  int64_t c = 0;
  bool overflow = false;
  if (!affine_form(ix, coef, 1, &c, &overflow))
    return overflow ? SELF_OVERFLOW : SELF_OTHER;
  if (coef[lhs_var] != 1)
    return SELF_OTHER;
  for (int v = 0; v < st->nvars; v++)
    if (v != lhs_var && coef[v] != 0)
      return SELF_NONCONST;
  if (c == INT64_MIN) /* its distance, -c, does not fit */
    return SELF_OVERFLOW;
  *offset = c;
  return c == 0 ? SELF_SAME : SELF_OFFSET;
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
  Diag *d = st->s->diag;
  const char *name = st->out->t->name;
  int pos = -1;
  int64_t max_offset = 0;
  int64_t *offsets = arena_alloc(st->s->arena, sizeof *offsets * st->nself);
  for (int r = 0; r < st->nself; r++) {
    const Expr *x = st->self_reads[r];
    int along = -1;
    for (int p = 0; p < st->nlhs; p++) {
      int64_t off = 0;
      const char *var = st->vars[p].name;
      switch (classify_self_index(st, x->index[p], p, &off)) {
      case SELF_SAME:
        continue;
      case SELF_NONCONST:
        diag_error(d, x->loc, "the recurrence offset of '%s' along '%s' must be a constant", name,
                   var);
        return NULL;
      case SELF_OVERFLOW:
        diag_error(d, x->loc, "integer overflow in the index of '%s' along '%s'", name, var);
        return NULL;
      case SELF_OTHER:
        diag_error(d, x->loc,
                   "'%s' reads itself at an index that is not '%s' plus a constant; a recurrence "
                   "reads itself as %s[..., %s-k, ...]",
                   name, var, name, var);
        return NULL;
      case SELF_OFFSET:
        if (off > 0) {
          diag_error(d, x->loc,
                     "'%s' reads itself at offset +%lld along '%s'; a recurrence offset must be "
                     "negative",
                     name, (long long)off, var);
          return NULL;
        }
        if (along >= 0 || (pos >= 0 && pos != p)) {
          diag_error(d, x->loc,
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
      diag_error(d, x->loc,
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

/* The smallest subexpression holding every use of `var`: walk down while a
 * single operand holds them all. Passing into an argument of a function,
 * select or explicit reduction makes the sum's place ambiguous. */
static const Expr *sum_site(Stmt *st, const Expr *root, int var) {
  const Expr *x = root, *inside = NULL;
  for (;;) {
    int holder = -1, count = 0;
    for (int i = 0; i < x->nargs; i++)
      if (expr_uses(x->arg[i], var)) {
        holder = i;
        count++;
      }
    if (count != 1)
      break;
    if (x->kind == EX_CALL || x->kind == EX_SELECT || x->kind == EX_REDUCE)
      inside = x;
    x = x->arg[holder];
  }
  if (inside) {
    const char *what = construct_name(inside);
    const char *name = st->vars[var].name;
    diag_error(st->s->diag, x->loc,
               "ambiguous implicit sum over '%s' inside %s(...); write sum(%s: ...) where the "
               "sum belongs",
               name, what, name);
    return NULL;
  }
  return x;
}

/* Wraps each site in a sum node, innermost first (a post-order walk). */
static void wrap_sums(Stmt *st, Expr **slot, const Expr **sites, const int *site_vars, int nsites) {
  Expr *x = *slot;
  for (int i = 0; i < x->nargs; i++)
    wrap_sums(st, &x->arg[i], sites, site_vars, nsites);
  int n = 0;
  for (int i = 0; i < nsites; i++)
    n += sites[i] == x;
  if (n == 0)
    return;
  Expr *r = new_expr(st, EX_REDUCE, x->loc);
  r->reduce = RED_SUM;
  r->implicit = true;
  r->rvars = arena_alloc(st->s->arena, sizeof *r->rvars * n);
  for (int i = 0; i < nsites; i++)
    if (sites[i] == x)
      r->rvars[r->nrvars++] = site_vars[i];
  r->nargs = 1;
  r->arg[0] = x;
  *slot = r;
}

static bool place_implicit_sums(Stmt *st, Expr **root) {
  const Expr **sites = arena_alloc(st->s->arena, sizeof *sites * (st->nfree + 1));
  int *site_vars = arena_alloc(st->s->arena, sizeof *site_vars * (st->nfree + 1));
  int nsites = 0;
  bool ok = true;
  for (int i = 0; i < st->nfree; i++) {
    int var = st->free_vars[i].var;
    if (!expr_uses(*root, var))
      continue;
    const Expr *site = sum_site(st, *root, var);
    if (!site) {
      ok = false;
      continue;
    }
    sites[nsites] = site;
    site_vars[nsites++] = var;
  }
  if (ok && nsites)
    wrap_sums(st, root, sites, site_vars, nsites);
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
    diag_error(s->diag, lhs->loc, "cannot assign to let constant '%s'", lhs->name);
    return false;
  }
  if (sema_is_call_name(lhs->name)) {
    diag_error(s->diag, lhs->loc,
               "'%s' is the name of a function and cannot name a tensor or constant", lhs->name);
    return false;
  }
  if (sym && (sym->t->role == ROLE_INPUT || sym->t->role == ROLE_PARAM)) {
    diag_error(s->diag, lhs->loc, "cannot assign to %s '%s'", role_name(sym->t->role), lhs->name);
    return false;
  }
  if (sym && (sym->t->def >= 0 || sym->failed_def)) {
    const AstStmt *first = sema_first_assignment(s, lhs->name);
    diag_error(s->diag, lhs->loc, "'%s' is assigned twice; the first assignment is at %d:%d",
               lhs->name, first->loc.line, first->loc.col);
    return false;
  }
  if (sym && n != sym->t->rank) {
    diag_error(s->diag, lhs->loc, "'%s' has %d dimension%s but is assigned with %d ind%s",
               lhs->name, sym->t->rank, sym->t->rank == 1 ? "" : "s", n, n == 1 ? "ex" : "ices");
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
        sema_is_call_name(a->name)) {
      diag_error(s->diag, a->loc, "each index of the left-hand side must be an index variable");
      ok = false;
      continue;
    }
    for (int j = 0; j < st->nvars; j++)
      if (strcmp(st->vars[j].name, a->name) == 0) {
        diag_error(s->diag, a->loc, "index variable '%s' appears twice on the left-hand side",
                   a->name);
        ok = false;
      }
    int v = new_var(st, a->name, a->loc);
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
  Diag *d = st->s->diag;
  if (!rec) {
    diag_error(d, st->ast->init->loc, "'init' is allowed only on a recurrence");
    return false;
  }
  if (expr_uses(init, rec->pos)) { /* left-hand variable i has id i */
    diag_error(d, st->ast->init->loc, "the init of '%s' cannot use the recurrence variable '%s'",
               st->out->t->name, st->vars[rec->pos].name);
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
    diag_error(s->diag, ast->init->loc, "the init of '%s' cannot read '%s' itself",
               st->out->t->name, st->out->t->name);
    fail(st);
  }
  if (!rhs || (ast->init && !init) || st->failed || s->diag->nerrors > errors_before) {
    st->out->failed_def = true;
    return NULL;
  }

  infer_extents(st);
  Recurrence *rec = st->nself ? check_recurrence(st) : NULL;
  bool ok = !st->failed && s->diag->nerrors == errors_before;
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
  if (st->out_is_new)
    for (int i = 0; i < st->nlhs; i++)
      t->dims[i] = st->vars[i].extent;
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
  Einsum *e = analyze(&st);
  sema_note_index_names(s, st.vars, st.nvars);
  return e;
}
