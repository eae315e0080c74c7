#include "frontend/frontend.h"

#include <errno.h>
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

/* The whole file, or NULL with an error. Program files are small; a limit
 * keeps a mistaken path (a model's weights, /dev/zero) from eating memory. */
static char *read_program_file(const char *path, size_t *len, Diag *diag) {
  enum { MAX_PROGRAM_BYTES = 64 << 20 };
  SrcLoc where = {path, 0, 0};
  FILE *f = fopen(path, "rb");
  if (!f) {
    diag_error(diag, where, "cannot open: %s", strerror(errno));
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (n == cap) {
      if (cap >= MAX_PROGRAM_BYTES) {
        diag_error(diag, where, "file is larger than %d MiB; is this a program?",
                   MAX_PROGRAM_BYTES >> 20);
        free(buf);
        fclose(f);
        return NULL;
      }
      cap *= 2;
      buf = realloc(buf, cap);
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  if (ferror(f)) {
    diag_error(diag, where, "cannot read: %s", strerror(errno));
    free(buf);
    fclose(f);
    return NULL;
  }
  fclose(f);
  *len = n;
  return buf;
}

Cascade *frontend_compile_file(const char *path, const Define *defs, int ndefs, Arena *arena,
                               Diag *diag) {
  size_t len = 0;
  char *text = read_program_file(path, &len, diag);
  if (!text)
    return NULL;
  const char *file = arena_strdup(arena, path);
  Cascade *c = frontend_compile_text(file, text, len, defs, ndefs, arena, diag);
  free(text);
  return c;
}
