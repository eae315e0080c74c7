/* Semantic analysis: the parse tree becomes the Cascade IR.
 *
 * Statements are checked in order, because order is meaning here: a tensor
 * is read only after the statement that defines it. Each Einsum goes through
 * the same steps: bind the left-hand variables, build the expression tree
 * (resolving every name), infer extents, place implicit reductions, and
 * recognize a recurrence. Errors are reported and analysis goes on with the
 * next statement, so one run shows every independent problem. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"
#include "frontend/sema.h"

/* ---- names ---------------------------------------------------------------- */

static const char *const reserved_calls[] = {"select", "sum", "prod"};

/* Names of functions and reductions cannot name tensors, constants or indices. */
bool sema_is_call_name(const char *name) {
  for (int f = 0; f < FN_COUNT; f++)
    if (strcmp(name, func_name(f)) == 0)
      return true;
  for (size_t i = 0; i < sizeof reserved_calls / sizeof reserved_calls[0]; i++)
    if (strcmp(name, reserved_calls[i]) == 0)
      return true;
  return false;
}

LetConst *sema_find_let(Sema *s, const char *name) {
  for (int i = 0; i < s->nlets; i++)
    if (strcmp(s->lets[i].name, name) == 0)
      return &s->lets[i];
  return NULL;
}

SymTensor *sema_find_tensor(Sema *s, const char *name) {
  for (int i = 0; i < s->ntensors; i++)
    if (strcmp(s->tensors[i].t->name, name) == 0)
      return &s->tensors[i];
  return NULL;
}

static SrcLoc let_loc(Sema *s, const LetConst *l) { return s->let_locs[l - s->lets]; }

const SrcLoc *sema_later_declaration(Sema *s, const char *name, SrcLoc use, bool lets_only) {
  for (int i = 0; i < s->ndeclared; i++) {
    const AstStmt *st = s->declared[i];
    if (st->kind == AS_DECL && !lets_only && strcmp(st->name, name) == 0 &&
        srcloc_before(use, st->name_loc))
      return &st->name_loc;
    if (st->kind == AS_LET)
      for (const AstLet *l = st->lets; l; l = l->next)
        if (strcmp(l->name, name) == 0 && srcloc_before(use, l->loc))
          return &l->loc;
  }
  return NULL;
}

void sema_note_index_names(Sema *s, const IndexVar *vars, int nvars) {
  for (int v = 0; v < nvars; v++) {
    bool known = false;
    for (int i = 0; i < s->nindex_names && !known; i++)
      known = strcmp(s->index_names[i].name, vars[v].name) == 0;
    if (known)
      continue;
    s->index_names = arena_reserve(s->arena, s->index_names, s->nindex_names, &s->cap_index_names,
                                   sizeof *s->index_names);
    s->index_names[s->nindex_names++] = vars[v];
  }
}

bool sema_check_not_index(Sema *s, const char *name, SrcLoc loc) {
  for (int i = 0; i < s->nindex_names; i++)
    if (strcmp(s->index_names[i].name, name) == 0) {
      SrcLoc prev = s->index_names[i].loc;
      diag_error(s->diag, loc,
                 "'%s' is already used as an index variable at %d:%d; a name is declared once",
                 name, prev.line, prev.col);
      return false;
    }
  return true;
}

/* A new name for a constant or tensor: unique, and not a function's. */
static bool check_new_name(Sema *s, const char *name, SrcLoc loc) {
  if (sema_is_call_name(name)) {
    diag_error(s->diag, loc, "'%s' is the name of a function and cannot name a tensor or constant",
               name);
    return false;
  }
  LetConst *l = sema_find_let(s, name);
  if (l) {
    SrcLoc prev = let_loc(s, l);
    diag_error(s->diag, loc, "'%s' is already declared as a let constant at %d:%d", name, prev.line,
               prev.col);
    return false;
  }
  SymTensor *t = sema_find_tensor(s, name);
  if (t) {
    diag_error(s->diag, loc, "'%s' is already declared at %d:%d", name, t->t->loc.line,
               t->t->loc.col);
    return false;
  }
  return sema_check_not_index(s, name, loc);
}

/* ---- integer constant expressions (let values, dimensions, index folding) -- */

bool sema_eval_int(Sema *s, const AstExpr *e, int64_t *out) {
  int64_t a, b;
  switch (e->kind) {
  case AX_NUM:
    if (!e->is_int) {
      diag_error(s->diag, e->loc, "expected an integer, got %g", e->num);
      return false;
    }
    *out = e->ival;
    return true;
  case AX_NAME: {
    LetConst *l = sema_find_let(s, e->name);
    if (l) {
      *out = l->value;
      return true;
    }
    const SrcLoc *later = sema_later_declaration(s, e->name, e->loc, true);
    if (sema_find_tensor(s, e->name))
      diag_error(s->diag, e->loc,
                 "'%s' is a tensor; a constant expression uses integers and let constants",
                 e->name);
    else if (later)
      diag_error(s->diag, e->loc, "'%s' is used before its declaration at %d:%d", e->name,
                 later->line, later->col);
    else
      diag_error(s->diag, e->loc, "unknown constant '%s'", e->name);
    return false;
  }
  case AX_UNARY:
    if (e->op != AOP_NEG)
      break;
    if (!sema_eval_int(s, e->args, &a))
      return false;
    if (a == INT64_MIN) {
      diag_error(s->diag, e->loc, "integer overflow in constant expression");
      return false;
    }
    *out = -a;
    return true;
  case AX_BINARY:
    if (e->op < AOP_ADD || e->op > AOP_MOD)
      break;
    if (!sema_eval_int(s, e->args, &a) | !sema_eval_int(s, e->args->next, &b))
      return false;
    bool overflow = false;
    switch (e->op) {
    case AOP_ADD:
      overflow = __builtin_add_overflow(a, b, out);
      break;
    case AOP_SUB:
      overflow = __builtin_sub_overflow(a, b, out);
      break;
    case AOP_MUL:
      overflow = __builtin_mul_overflow(a, b, out);
      break;
    case AOP_DIV:
    case AOP_MOD:
      if (b == 0) {
        diag_error(s->diag, e->loc, "%s by zero in constant expression",
                   e->op == AOP_DIV ? "division" : "modulo");
        return false;
      }
      if (a == INT64_MIN && b == -1) {
        overflow = true;
        break;
      }
      *out = e->op == AOP_DIV ? floor_div(a, b) : floor_mod(a, b);
      break;
    default:
      break;
    }
    if (overflow) {
      diag_error(s->diag, e->loc, "integer overflow in constant expression");
      return false;
    }
    return true;
  default:
    break;
  }
  diag_error(s->diag, e->loc,
             "a constant expression uses only integers, let constants and + - * / %%");
  return false;
}

/* ---- declarations ---------------------------------------------------------- */

/* The last -D of the name wins, as with a compiler's -D; every one is used. */
static const Define *find_define(Sema *s, const char *name) {
  const Define *d = NULL;
  for (int i = 0; i < s->ndefs; i++)
    if (strcmp(s->defs[i].name, name) == 0) {
      d = &s->defs[i];
      s->define_used[i] = true;
    }
  return d;
}

static void analyze_let(Sema *s, const AstStmt *st) {
  for (const AstLet *l = st->lets; l; l = l->next) {
    if (!check_new_name(s, l->name, l->loc))
      continue;
    int64_t value;
    bool ok = sema_eval_int(s, l->value, &value);
    const Define *d = find_define(s, l->name);
    if (d) {
      value = d->value;
      ok = true;
    }
    if (!ok)
      value = 1; /* keep going with a harmless value; the error is reported */
    s->lets = arena_reserve(s->arena, s->lets, s->nlets, &s->cap_lets, sizeof *s->lets);
    s->let_locs =
        arena_reserve(s->arena, s->let_locs, s->nlets, &s->cap_let_locs, sizeof *s->let_locs);
    s->let_locs[s->nlets] = l->loc;
    s->lets[s->nlets++] = (LetConst){l->name, value, d != NULL};
  }
}

static bool parse_dtype(const char *name, DType *out) {
  static const DType all[] = {DTYPE_F32, DTYPE_F16, DTYPE_BF16, DTYPE_I8, DTYPE_I32};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (strcmp(name, dtype_name(all[i])) == 0) {
      *out = all[i];
      return true;
    }
  return false;
}

SymTensor *sema_add_tensor(Sema *s, const char *name, Role role, int rank, SrcLoc loc,
                           bool declared) {
  s->tensors =
      arena_reserve(s->arena, s->tensors, s->ntensors, &s->cap_tensors, sizeof *s->tensors);
  Tensor *t = arena_alloc(s->arena, sizeof *t);
  t->id = s->ntensors;
  t->name = name;
  t->role = role;
  t->dtype = DTYPE_F32;
  t->rank = rank;
  t->dims = arena_alloc(s->arena, sizeof *t->dims * (rank ? rank : 1));
  t->declared = declared;
  t->loc = loc;
  t->def = -1;
  SymTensor *sym = &s->tensors[s->ntensors++];
  *sym = (SymTensor){.t = t};
  return sym;
}

static void analyze_decl(Sema *s, const AstStmt *st) {
  if (!check_new_name(s, st->name, st->name_loc))
    return;
  int rank = ast_count(st->dims);
  SymTensor *sym = sema_add_tensor(s, st->name, (Role)st->role, rank, st->name_loc, true);
  Tensor *t = sym->t;
  int i = 0;
  for (const AstExpr *d = st->dims; d; d = d->next, i++) {
    int64_t v;
    if (!sema_eval_int(s, d, &v)) {
      t->dims[i] = 1;
      sym->broken = true;
      continue;
    }
    if (v < 1) {
      diag_error(s->diag, d->loc, "dimension %d of '%s' must be at least 1, got %lld", i + 1,
                 t->name, (long long)v);
      v = 1;
      sym->broken = true;
    }
    t->dims[i] = v;
  }
  if (st->type && !parse_dtype(st->type, &t->dtype))
    diag_error(s->diag, st->type_loc, "unknown type '%s'; expected f32, f16, bf16, i8 or i32",
               st->type);
}

/* ---- the whole program ----------------------------------------------------- */

/* Where each left-hand name is assigned, so that a read before its statement
 * can say "used before it is defined" rather than "unknown". */
static void collect_assignments(Sema *s, const AstProgram *prog) {
  int n = 0;
  for (const AstStmt *st = prog->first; st; st = st->next)
    n++;
  s->assigned = arena_alloc(s->arena, sizeof *s->assigned * (n ? n : 1));
  s->declared = arena_alloc(s->arena, sizeof *s->declared * (n ? n : 1));
  for (const AstStmt *st = prog->first; st; st = st->next)
    if (st->kind == AS_EINSUM)
      s->assigned[s->nassigned++] = st;
    else
      s->declared[s->ndeclared++] = st;
}

const AstStmt *sema_first_assignment(Sema *s, const char *name) {
  for (int i = 0; i < s->nassigned; i++)
    if (strcmp(s->assigned[i]->lhs->name, name) == 0)
      return s->assigned[i];
  return NULL;
}

static void add_einsum(Sema *s, Einsum *e) {
  s->einsums =
      arena_reserve(s->arena, s->einsums, s->neinsums, &s->cap_einsums, sizeof *s->einsums);
  e->id = s->neinsums;
  s->einsums[s->neinsums++] = e;
}

/* Outputs, and intermediates declared with `tensor`, need their statement. */
static void check_outputs_assigned(Sema *s) {
  for (int i = 0; i < s->ntensors; i++) {
    Tensor *t = s->tensors[i].t;
    if (t->def >= 0 || s->tensors[i].failed_def)
      continue;
    if (t->role == ROLE_OUTPUT)
      diag_error(s->diag, t->loc, "output '%s' is never assigned", t->name);
    else if (t->role == ROLE_INTERMEDIATE && t->declared)
      diag_error(s->diag, t->loc, "tensor '%s' is declared but never assigned", t->name);
  }
}

static void check_defines_used(Sema *s, const char *file) {
  for (int i = 0; i < s->ndefs; i++)
    if (!s->define_used[i])
      diag_error(s->diag, (SrcLoc){file, 0, 0}, "-D %s: the program has no let constant '%s'",
                 s->defs[i].name, s->defs[i].name);
}

Cascade *sema_analyze(const AstProgram *prog, const char *file, const Define *defs, int ndefs,
                      Arena *arena, Diag *diag) {
  Sema s = {.arena = arena, .diag = diag, .defs = defs, .ndefs = ndefs};
  int errors_before = diag->nerrors;
  s.define_used = arena_alloc(arena, sizeof *s.define_used * (ndefs ? ndefs : 1));
  collect_assignments(&s, prog);
  for (const AstStmt *st = prog->first; st; st = st->next) {
    if (diag->stopped)
      break;
    switch (st->kind) {
    case AS_LET:
      analyze_let(&s, st);
      break;
    case AS_DECL:
      analyze_decl(&s, st);
      break;
    case AS_EINSUM: {
      Einsum *e = sema_einsum(&s, st);
      if (e)
        add_einsum(&s, e);
      break;
    }
    }
  }
  check_outputs_assigned(&s);
  check_defines_used(&s, file);
  if (diag->nerrors > errors_before)
    return NULL;

  Cascade *c = arena_alloc(arena, sizeof *c);
  c->file = file;
  c->ntensors = s.ntensors;
  c->tensors = arena_alloc(arena, sizeof *c->tensors * (s.ntensors ? s.ntensors : 1));
  for (int i = 0; i < s.ntensors; i++)
    c->tensors[i] = s.tensors[i].t;
  c->neinsums = s.neinsums;
  c->einsums = s.einsums;
  c->lets = s.lets;
  c->nlets = s.nlets;
  return c;
}
