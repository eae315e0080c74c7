/* NumPy .npy files of little-endian binary32 in C order ('<f4'), format
 * versions 1.0 and 2.0; the *_f64 functions also binary64 ('<f8'), for the
 * CPU's double-precision reference. Everything else is rejected with a
 * message naming the problem. */
#ifndef EINC_NPY_H
#define EINC_NPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_RANK 16

typedef struct NpyArray {
  uint32_t rank;
  uint64_t dims[NPY_MAX_RANK];
  uint64_t count; /* elements */
  float *data;
} NpyArray;

/* The same as doubles, from '<f4' (widened, exactly) or '<f8' data. */
typedef struct NpyArray64 {
  uint32_t rank;
  uint64_t dims[NPY_MAX_RANK];
  uint64_t count;
  double *data;
} NpyArray64;

/* Parses a file image. On failure msg says why and a is left empty. */
bool npy_parse(const uint8_t *buf, size_t len, NpyArray *a, char *msg, size_t msg_size);
bool npy_read(const char *path, NpyArray *a, char *msg, size_t msg_size);
/* Reads a file and checks it has exactly this shape. */
bool npy_read_shape(const char *path, uint32_t rank, const uint32_t *dims, NpyArray *a, char *msg,
                    size_t msg_size);
void npy_free(NpyArray *a);

/* npy_parse and npy_read_shape for '<f4' or '<f8' data, as doubles. */
bool npy_parse_f64(const uint8_t *buf, size_t len, NpyArray64 *a, char *msg, size_t msg_size);
bool npy_read_shape_f64(const char *path, uint32_t rank, const uint32_t *dims, NpyArray64 *a,
                        char *msg, size_t msg_size);
void npy_free_f64(NpyArray64 *a);

/* Writes an array atomically (runtime/outfile.h), version 1.0 when the header
 * fits, else 2.0. */
bool npy_write(const char *path, uint32_t rank, const uint64_t *dims, const float *data, char *msg,
               size_t msg_size);
/* The file image (malloc'ed) of such an array. */
uint8_t *npy_serialize(uint32_t rank, const uint64_t *dims, const float *data, size_t *len);
/* The same for binary64 data ('<f8'). */
bool npy_write_f64(const char *path, uint32_t rank, const uint64_t *dims, const double *data,
                   char *msg, size_t msg_size);
uint8_t *npy_serialize_f64(uint32_t rank, const uint64_t *dims, const double *data, size_t *len);

#endif
