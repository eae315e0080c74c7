/* Semantic analysis: the parse tree becomes the Cascade IR.
 *
 * Statements are checked in order, because order is meaning here: a tensor
 * is read only after the statement that defines it. Each Einsum goes through
 * the same steps: bind the left-hand variables, build the expression tree
 * (resolving every name), infer extents, place implicit reductions, and
 * recognize a recurrence. Errors are reported and analysis goes on with the
 * next statement, so one run shows every independent problem. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"
#include "frontend/sema.h"

/* ---- messages -------------------------------------------------------------- */

static bool is_name_char(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char *sema_shorten_names(const char *text) {
  size_t len = strlen(text);
  /* A cut name of 65 or 66 bytes grows by at most 2: twice the room is plenty. */
  char *out = malloc(2 * len + 1);
  if (!out) {
    fprintf(stderr, "einc: out of memory\n");
    abort();
  }
  size_t n = 0;
  for (size_t i = 0; i < len;) {
    size_t run = 0;
    while (i + run < len && is_name_char(text[i + run]))
      run++;
    if (run > SEMA_NAME_SHOWN) {
      memcpy(out + n, text + i, SEMA_NAME_SHOWN);
      memcpy(out + n + SEMA_NAME_SHOWN, "...", 3);
      n += SEMA_NAME_SHOWN + 3;
      i += run;
    } else if (run > 0) {
      memcpy(out + n, text + i, run);
      n += run;
      i += run;
    } else {
      out[n++] = text[i++];
    }
  }
  out[n] = '\0';
  return out;
}

void sema_error(Sema *s, SrcLoc loc, const char *fmt, ...) {
  if (s->diag->stopped) { /* counted, not shown: no need to format it */
    diag_error(s->diag, loc, "%s", "");
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *text = malloc((size_t)len + 1);
  if (!text) {
    fprintf(stderr, "einc: out of memory\n");
    abort();
  }
  va_start(ap, fmt);
  vsnprintf(text, (size_t)len + 1, fmt, ap);
  va_end(ap);
  char *shown = sema_shorten_names(text);
  diag_error(s->diag, loc, "%s", shown);
  free(shown);
  free(text);
}

/* ---- names ---------------------------------------------------------------- */

static const char *const reserved_calls[] = {"select", "sum", "prod"};

static void init_call_names(Sema *s) {
  symtab_init(&s->call_names, s->arena);
  for (int f = 0; f < FN_COUNT; f++)
    symtab_put(&s->call_names, func_name(f), 1);
  for (size_t i = 0; i < sizeof reserved_calls / sizeof reserved_calls[0]; i++)
    symtab_put(&s->call_names, reserved_calls[i], 1);
}

/* Names of functions and reductions cannot name tensors, constants or indices. */
bool sema_is_call_name(const Sema *s, const char *name) {
  return symtab_get(&s->call_names, name) >= 0;
}

LetConst *sema_find_let(Sema *s, const char *name) {
  int i = symtab_get(&s->let_names, name);
  return i >= 0 ? &s->lets[i] : NULL;
}

SymTensor *sema_find_tensor(Sema *s, const char *name) {
  int i = symtab_get(&s->tensor_names, name);
  return i >= 0 ? &s->tensors[i] : NULL;
}

static SrcLoc let_loc(Sema *s, const LetConst *l) { return s->let_locs[l - s->lets]; }

const SrcLoc *sema_later_declaration(Sema *s, const char *name, SrcLoc use, bool lets_only) {
  for (int i = symtab_get(&s->first_decl, name); i >= 0; i = s->decl_sites[i].next) {
    const DeclSite *d = &s->decl_sites[i];
    if ((d->is_let || !lets_only) && srcloc_before(use, d->loc))
      return &d->loc;
  }
  return NULL;
}

void sema_note_index_names(Sema *s, const IndexVar *vars, int nvars) {
  for (int v = 0; v < nvars; v++) {
    if (symtab_get(&s->index_name_table, vars[v].name) >= 0)
      continue;
    s->index_names = arena_reserve(s->arena, s->index_names, s->nindex_names, &s->cap_index_names,
                                   sizeof *s->index_names);
    symtab_put(&s->index_name_table, vars[v].name, s->nindex_names);
    s->index_names[s->nindex_names++] = vars[v];
  }
}

bool sema_check_not_index(Sema *s, const char *name, SrcLoc loc) {
  int i = symtab_get(&s->index_name_table, name);
  if (i < 0)
    return true;
  SrcLoc prev = s->index_names[i].loc;
  sema_error(s, loc, "'%s' is already used as an index variable at %d:%d; a name is declared once",
             name, prev.line, prev.col);
  return false;
}

/* A new name for a constant or tensor: unique, and not a function's. */
static bool check_new_name(Sema *s, const char *name, SrcLoc loc) {
  if (sema_is_call_name(s, name)) {
    sema_error(s, loc, "'%s' is the name of a function and cannot name a tensor or constant", name);
    return false;
  }
  LetConst *l = sema_find_let(s, name);
  if (l) {
    SrcLoc prev = let_loc(s, l);
    sema_error(s, loc, "'%s' is already declared as a let constant at %d:%d", name, prev.line,
               prev.col);
    return false;
  }
  SymTensor *t = sema_find_tensor(s, name);
  if (t) {
    sema_error(s, loc, "'%s' is already declared at %d:%d", name, t->t->loc.line, t->t->loc.col);
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
      sema_error(s, e->loc, "expected an integer, got %g", e->num);
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
      sema_error(s, e->loc,
                 "'%s' is a tensor; a constant expression uses integers and let constants",
                 e->name);
    else if (later)
      sema_error(s, e->loc, "'%s' is used before its declaration at %d:%d", e->name, later->line,
                 later->col);
    else
      sema_error(s, e->loc, "unknown constant '%s'", e->name);
    return false;
  }
  case AX_UNARY:
    if (e->op != AOP_NEG)
      break;
    if (!sema_eval_int(s, e->args, &a))
      return false;
    if (a == INT64_MIN) {
      sema_error(s, e->loc, "integer overflow in constant expression");
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
        sema_error(s, e->loc, "%s by zero in constant expression",
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
      sema_error(s, e->loc, "integer overflow in constant expression");
      return false;
    }
    return true;
  default:
    break;
  }
  sema_error(s, e->loc, "a constant expression uses only integers, let constants and + - * / %%");
  return false;
}

/* ---- declarations ---------------------------------------------------------- */

/* The last -D of a name wins, as with a compiler's -D; using it uses every
 * -D of that name (check_defines_used). */
static void index_defines(Sema *s) {
  symtab_init(&s->define_names, s->arena);
  for (int i = 0; i < s->ndefs; i++)
    symtab_put(&s->define_names, s->defs[i].name, i);
}

static const Define *find_define(Sema *s, const char *name) {
  int i = symtab_get(&s->define_names, name);
  if (i < 0)
    return NULL;
  s->define_used[i] = true;
  return &s->defs[i];
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
    symtab_put(&s->let_names, l->name, s->nlets);
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
  symtab_put(&s->tensor_names, name, s->ntensors);
  SymTensor *sym = &s->tensors[s->ntensors++];
  *sym = (SymTensor){.t = t};
  return sym;
}

/* "4294967296 x 4294967296"; past 8 dimensions, the first 8 and the count. */
static void format_dims(const Tensor *t, char *buf, size_t size) {
  enum { SHOWN = 8 };
  size_t n = 0;
  buf[0] = '\0';
  for (int i = 0; i < t->rank && i < SHOWN; i++)
    n += (size_t)snprintf(buf + n, size - n, "%s%lld", i > 0 ? " x " : "", (long long)t->dims[i]);
  if (t->rank > SHOWN)
    snprintf(buf + n, size - n, " x ... (%d dimensions)", t->rank);
}

/* Every later pass counts elements (and strides) in 64 bits without
 * checking (tensor_elements), so a count that overflows stops here. */
bool sema_check_element_count(Sema *s, const Tensor *t, SrcLoc loc) {
  int64_t n;
  if (tensor_count_elements(t, &n))
    return true;
  char dims[256];
  format_dims(t, dims, sizeof dims);
  sema_error(s, loc, "'%s' has %s elements: more than a 64-bit count holds", t->name, dims);
  return false;
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
      sema_error(s, d->loc, "dimension %d of '%s' must be at least 1, got %lld", i + 1, t->name,
                 (long long)v);
      v = 1;
      sym->broken = true;
    }
    t->dims[i] = v;
  }
  if (!sym->broken && !sema_check_element_count(s, t, st->name_loc))
    sym->broken = true;
  if (st->type && !parse_dtype(st->type, &t->dtype))
    sema_error(s, st->type_loc, "unknown type '%s'; expected f32, f16, bf16, i8 or i32", st->type);
}

/* ---- the whole program ----------------------------------------------------- */

/* Where each left-hand name is assigned, so that a read before its statement
 * can say "used before it is defined" rather than "unknown". */
static void collect_assignments(Sema *s, const AstProgram *prog) {
  int n = 0;
  for (const AstStmt *st = prog->first; st; st = st->next)
    n++;
  s->assigned = arena_alloc(s->arena, sizeof *s->assigned * (n ? n : 1));
  symtab_init(&s->first_assigned, s->arena);
  for (const AstStmt *st = prog->first; st; st = st->next) {
    if (st->kind != AS_EINSUM)
      continue;
    if (symtab_get(&s->first_assigned, st->lhs->name) < 0)
      symtab_put(&s->first_assigned, st->lhs->name, s->nassigned);
    s->assigned[s->nassigned++] = st;
  }
}

const AstStmt *sema_first_assignment(Sema *s, const char *name) {
  int i = symtab_get(&s->first_assigned, name);
  return i >= 0 ? s->assigned[i] : NULL;
}

static int count_decl_sites(const AstProgram *prog) {
  int n = 0;
  for (const AstStmt *st = prog->first; st; st = st->next)
    if (st->kind == AS_DECL)
      n++;
    else if (st->kind == AS_LET)
      for (const AstLet *l = st->lets; l; l = l->next)
        n++;
  return n;
}

/* Where each let and tensor name is declared, so that a use before it can
 * say "used before its declaration". */
static void collect_declarations(Sema *s, const AstProgram *prog) {
  int n = count_decl_sites(prog);
  s->decl_sites = arena_alloc(s->arena, sizeof *s->decl_sites * (n ? n : 1));
  const char **names = arena_alloc(s->arena, sizeof *names * (n ? n : 1));
  int i = 0;
  for (const AstStmt *st = prog->first; st; st = st->next)
    if (st->kind == AS_DECL) {
      names[i] = st->name;
      s->decl_sites[i++] = (DeclSite){st->name_loc, false, -1};
    } else if (st->kind == AS_LET) {
      for (const AstLet *l = st->lets; l; l = l->next) {
        names[i] = l->name;
        s->decl_sites[i++] = (DeclSite){l->loc, true, -1};
      }
    }
  /* Chained back to front, so that each name's chain runs in text order. */
  symtab_init(&s->first_decl, s->arena);
  for (i = n - 1; i >= 0; i--) {
    s->decl_sites[i].next = symtab_get(&s->first_decl, names[i]);
    symtab_put(&s->first_decl, names[i], i);
  }
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
      sema_error(s, t->loc, "output '%s' is never assigned", t->name);
    else if (t->role == ROLE_INTERMEDIATE && t->declared)
      sema_error(s, t->loc, "tensor '%s' is declared but never assigned", t->name);
  }
}

static void check_defines_used(Sema *s, const char *file) {
  for (int i = 0; i < s->ndefs; i++)
    if (!s->define_used[symtab_get(&s->define_names, s->defs[i].name)])
      sema_error(s, (SrcLoc){file, 0, 0}, "-D %s: the program has no let constant '%s'",
                 s->defs[i].name, s->defs[i].name);
}

Cascade *sema_analyze(const AstProgram *prog, const char *file, const Define *defs, int ndefs,
                      Arena *arena, Diag *diag) {
  Sema s = {.arena = arena, .diag = diag, .defs = defs, .ndefs = ndefs};
  int errors_before = diag->nerrors;
  s.define_used = arena_alloc(arena, sizeof *s.define_used * (ndefs ? ndefs : 1));
  index_defines(&s);
  init_call_names(&s);
  symtab_init(&s.let_names, arena);
  symtab_init(&s.tensor_names, arena);
  symtab_init(&s.index_name_table, arena);
  collect_assignments(&s, prog);
  collect_declarations(&s, prog);
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
