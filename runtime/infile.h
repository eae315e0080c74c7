/* Input files are read whole, with a size limit, so that a mistaken path
 * (a model's weights, /dev/zero) is refused instead of eating memory. The
 * counterpart of outfile.h. */
#ifndef EINC_INFILE_H
#define EINC_INFILE_H

#include <stddef.h>

/* The file at path ("-" is standard input) in a malloc'ed buffer with a NUL
 * after the last byte, its size in *len. NULL on failure, with why in msg
 * (without the path): "cannot open: REASON", "cannot read: REASON" or
 * "larger than N MiB". */
/* Limits used: programs and microcode 64 MiB, architecture files 1 MiB,
 * mapping files 16 MiB,
 * .npy tensors and .ebin binaries 4 GiB. */
char *infile_read(const char *path, size_t max_bytes, size_t *len, char *why, size_t why_size);

#endif
