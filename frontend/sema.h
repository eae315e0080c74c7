/* What the parts of semantic analysis share: sema.c checks declarations and
 * the program as a whole; sema_einsum.c checks one Einsum statement. */
#ifndef EINC_SEMA_H
#define EINC_SEMA_H

#include "frontend/frontend.h"

typedef struct SymTensor {
  Tensor *t;
  bool broken;     /* its declaration had an error: don't pile more on it */
  bool failed_def; /* its defining statement had an error */
} SymTensor;

typedef struct Sema {
  Arena *arena;
  Diag *diag;
  const Define *defs;
  int ndefs;
  bool *define_used;
  LetConst *lets;
  SrcLoc *let_locs; /* parallel to lets */
  int nlets, cap_lets, cap_let_locs;
  SymTensor *tensors;
  int ntensors, cap_tensors;
  Einsum **einsums;
  int neinsums, cap_einsums;
  const AstStmt **assigned; /* every Einsum statement, in order */
  int nassigned;
  const AstStmt **declared; /* every let and declaration, in order */
  int ndeclared;
  IndexVar *index_names; /* every index variable name used so far, first use */
  int nindex_names, cap_index_names;
} Sema;

bool sema_eval_int(Sema *s, const AstExpr *e, int64_t *out);
SymTensor *sema_add_tensor(Sema *s, const char *name, Role role, int rank, SrcLoc loc,
                           bool declared);
SymTensor *sema_find_tensor(Sema *s, const char *name);
LetConst *sema_find_let(Sema *s, const char *name);
bool sema_is_call_name(const char *name);
const AstStmt *sema_first_assignment(Sema *s, const char *name);
/* Where `name` is declared (as a let if lets_only, else as a let or tensor)
 * after `use`; NULL if it is not, so that a read before it can say so. */
const SrcLoc *sema_later_declaration(Sema *s, const char *name, SrcLoc use, bool lets_only);
/* Remembers the statement's index variable names: a later let or tensor may
 * not take one (the text dump declares every name before the statements). */
void sema_note_index_names(Sema *s, const IndexVar *vars, int nvars);
/* A new tensor or constant may not take a name already used for an index. */
bool sema_check_not_index(Sema *s, const char *name, SrcLoc loc);

/* Analyzes one Einsum statement; NULL after reporting its errors. */
Einsum *sema_einsum(Sema *s, const AstStmt *st);

#endif
