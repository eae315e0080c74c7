/* Diagnostics: every message about a program is "FILE:LINE:COL: error: TEXT",
 * written at once to the sink (stderr, or a memory stream in the tests). */
#ifndef EINC_DIAG_H
#define EINC_DIAG_H

#include <stdbool.h>
#include <stdio.h>

typedef struct SrcLoc {
  const char *file;
  int line, col; /* 1-based; col counts bytes */
} SrcLoc;

/* Whether a comes earlier in the file than b. */
bool srcloc_before(SrcLoc a, SrcLoc b);

typedef struct Diag {
  FILE *out;
  int nerrors;
  int max_errors; /* after this many, report "too many errors" and go quiet */
  bool stopped;
} Diag;

void diag_init(Diag *d, FILE *out);
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void diag_error(Diag *d, SrcLoc loc, const char *fmt, ...);

#endif
