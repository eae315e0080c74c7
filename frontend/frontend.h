/* The frontend: .ein text in, a verified Cascade IR out (or errors). */
#ifndef EINC_FRONTEND_H
#define EINC_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "frontend/ast.h"
#include "ir/cascade.h"

/* A -D NAME=VALUE override of a let constant. */
typedef struct Define {
  const char *name;
  int64_t value;
} Define;

/* Semantic analysis of a parsed program. NULL if any error was reported. */
Cascade *sema_analyze(const AstProgram *prog, const char *file, const Define *defs, int ndefs,
                      Arena *arena, Diag *diag);

/* Parse and analyze text[0..len). NULL if any error was reported. */
Cascade *frontend_compile_text(const char *file, const char *text, size_t len, const Define *defs,
                               int ndefs, Arena *arena, Diag *diag);

/* The same for a file on disk; an unreadable file is an error too. */
Cascade *frontend_compile_file(const char *path, const Define *defs, int ndefs, Arena *arena,
                               Diag *diag);

#endif
