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

/* These print nothing: on failure they return NULL or false with errno set,
 * and the caller says what failed in its own program's voice. */

/* Opens a temporary file beside `path` ("-" is standard output). */
FILE *outfile_open(OutFile *o, const char *path);
/* Flushes, closes and renames into place; false on error (nothing is left). */
bool outfile_commit(OutFile *o);
/* The whole of data[0..len) as the file at path. */
bool outfile_write_all(const char *path, const void *data, size_t len);
/* Closes and removes the temporary file. */
void outfile_abort(OutFile *o);

#endif
