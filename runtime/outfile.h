/* Output files are written to a temporary name beside the target and renamed
 * into place only when complete, so a failed run never leaves half a file. */
#ifndef EINC_OUTFILE_H
#define EINC_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

typedef struct OutFile {
  FILE *f;
  char *path; /* NULL when writing to standard output ("-") */
  char *tmp;
} OutFile;

/* Opens a temporary file beside `path` ("-" is standard output). On failure
 * prints "einc: cannot write PATH: REASON" and returns NULL. */
FILE *outfile_open(OutFile *o, const char *path);
/* Flushes, closes and renames into place; false (with a message) on error. */
bool outfile_commit(OutFile *o);
/* Closes and removes the temporary file. */
void outfile_abort(OutFile *o);

#endif
