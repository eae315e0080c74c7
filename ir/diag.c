#include "ir/diag.h"

#include <stdarg.h>

bool srcloc_before(SrcLoc a, SrcLoc b) {
  return a.line < b.line || (a.line == b.line && a.col < b.col);
}

void diag_init(Diag *d, FILE *out) {
  d->out = out;
  d->nerrors = 0;
  d->max_errors = 20;
  d->stopped = false;
}

void diag_error(Diag *d, SrcLoc loc, const char *fmt, ...) {
  d->nerrors++;
  if (d->stopped)
    return;
  if (d->nerrors > d->max_errors) {
    fprintf(d->out, "%s: error: too many errors (%d); stopping\n", loc.file, d->max_errors);
    d->stopped = true;
    return;
  }
  if (loc.line > 0)
    fprintf(d->out, "%s:%d:%d: error: ", loc.file, loc.line, loc.col);
  else /* about the file as a whole */
    fprintf(d->out, "%s: error: ", loc.file);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(d->out, fmt, ap);
  va_end(ap);
  fputc('\n', d->out);
}
