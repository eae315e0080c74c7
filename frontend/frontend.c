#include "frontend/frontend.h"
#include "runtime/infile.h"

#include <stdlib.h>
#include <string.h>

Cascade *frontend_compile_text(const char *file, const char *text, size_t len, const Define *defs,
                               int ndefs, Arena *arena, Diag *diag) {
  ParseCtx ctx = {.arena = arena, .diag = diag, .file = file};
  int errors_before = diag->nerrors;
  parse_program(&ctx, text, len);
  /* After a syntax error the tree has holes; analyzing it would only add
   * errors that follow from the first. */
  if (diag->nerrors > errors_before)
    return NULL;
  Cascade *c = sema_analyze(&ctx.prog, file, defs, ndefs, arena, diag);
  if (c && !cascade_verify(c, diag))
    return NULL;
  return c;
}

Cascade *frontend_compile_file(const char *path, const Define *defs, int ndefs, Arena *arena,
                               Diag *diag) {
  /* Program files are small; 64 MiB refuses a mistaken path quickly. */
  size_t len = 0;
  char why[300];
  char *text = infile_read(path, (size_t)64 << 20, &len, why, sizeof why);
  if (!text) {
    diag_error(diag, (SrcLoc){path, 0, 0}, "%s", why);
    return NULL;
  }
  const char *file = arena_strdup(arena, path);
  Cascade *c = frontend_compile_text(file, text, len, defs, ndefs, arena, diag);
  free(text);
  return c;
}
