/* What the parts of semantic analysis share: sema.c checks declarations and
 * the program as a whole; sema_einsum.c checks one Einsum statement. */
#ifndef EINC_SEMA_H
#define EINC_SEMA_H

#include "frontend/frontend.h"
#include "frontend/symtab.h"

typedef struct SymTensor {
  Tensor *t;
  bool broken;     /* its declaration had an error: don't pile more on it */
  bool failed_def; /* its defining statement had an error */
} SymTensor;

/* Where a name is declared (a let or a tensor declaration), in the order of
 * the text; the sites of one name are chained by `next`. */
typedef struct DeclSite {
  SrcLoc loc;
  bool is_let;
  int next; /* the name's next site, or -1 */
} DeclSite;

/* Every lookup by name goes through a table (symtab.h): analysis stays
 * linear in the size of the program. */
typedef struct Sema {
  Arena *arena;
  Diag *diag;
  const Define *defs;
  int ndefs;
  bool *define_used;
  SymTab define_names; /* -> the last -D of the name */
  SymTab call_names;   /* functions and reductions */
  LetConst *lets;
  SrcLoc *let_locs; /* parallel to lets */
  int nlets, cap_lets, cap_let_locs;
  SymTab let_names; /* -> lets */
  SymTensor *tensors;
  int ntensors, cap_tensors;
  SymTab tensor_names; /* -> tensors */
  Einsum **einsums;
  int neinsums, cap_einsums;
  const AstStmt **assigned; /* every Einsum statement, in order */
  int nassigned;
  SymTab first_assigned; /* left-hand name -> its first statement in assigned */
  DeclSite *decl_sites;  /* every let and declared name, in order */
  SymTab first_decl;     /* name -> its first site in decl_sites */
  IndexVar *index_names; /* every index variable name used so far, first use */
  int nindex_names, cap_index_names;
  SymTab index_name_table; /* -> index_names */
} Sema;

/* A message shows at most this much of a name (then "..."): a name may be as
 * long as the program. */
enum { SEMA_NAME_SHOWN = 64 };

/* diag_error, with every name in the message cut to SEMA_NAME_SHOWN bytes. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void sema_error(Sema *s, SrcLoc loc, const char *fmt, ...);
/* A malloc'ed copy of text with each run of identifier characters longer
 * than SEMA_NAME_SHOWN cut to its first SEMA_NAME_SHOWN bytes and "...". */
char *sema_shorten_names(const char *text);

bool sema_eval_int(Sema *s, const AstExpr *e, int64_t *out);
SymTensor *sema_add_tensor(Sema *s, const char *name, Role role, int rank, SrcLoc loc,
                           bool declared);
SymTensor *sema_find_tensor(Sema *s, const char *name);
/* Refuses (at loc) a tensor whose element count does not fit in 64 bits. */
bool sema_check_element_count(Sema *s, const Tensor *t, SrcLoc loc);
LetConst *sema_find_let(Sema *s, const char *name);
bool sema_is_call_name(const Sema *s, const char *name);
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
