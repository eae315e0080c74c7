/* Host copies of a model's tensors, shared by both targets and by check:
 * the --input checks, filling from .npy files or the seeded generator (the
 * same values on every target), and writing outputs as .npy files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "driver/driver.h"
#include "runtime/npy.h"
#include "runtime/rng.h"

bool check_inputs(const Options *o, const Cascade *c) {
  for (int i = 0; i < o->ninputs; i++) {
    const InputFile *in = &o->inputs[i];
    Tensor *t = cascade_find_tensor(c, in->name);
    if (!t || (t->role != ROLE_INPUT && t->role != ROLE_PARAM)) {
      fprintf(stderr, "einc: --input %s=%s: %s has no input or param '%s'\n", in->name, in->path,
              o->model, in->name);
      return false;
    }
    for (int j = 0; j < i; j++)
      if (strcmp(o->inputs[j].name, in->name) == 0) {
        fprintf(stderr, "einc: --input %s is given twice\n", in->name);
        return false;
      }
  }
  return true;
}

bool check_outputs_writable(const Options *o, const Cascade *c) {
  struct stat st;
  if (stat(o->outdir, &st) != 0) {
    fprintf(stderr, "einc: --outdir %s: %s\n", o->outdir, strerror(errno));
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    fprintf(stderr, "einc: --outdir %s: not a directory\n", o->outdir);
    return false;
  }
  for (int i = 0; i < c->ntensors; i++) {
    const Tensor *t = c->tensors[i];
    if (t->role == ROLE_OUTPUT && t->rank > NPY_MAX_RANK) {
      fprintf(stderr, "einc: output '%s' has rank %d; its .npy file can hold at most %d\n", t->name,
              t->rank, NPY_MAX_RANK);
      return false;
    }
  }
  return true;
}

bool check_target(const Cascade *c, const char *target) {
  for (int i = 0; i < c->ntensors; i++)
    if (c->tensors[i]->dtype != DTYPE_F32) {
      fprintf(stderr, "einc: tensor '%s' is %s; the %s target supports only f32 (not yet %s)\n",
              c->tensors[i]->name, dtype_name(c->tensors[i]->dtype), target,
              dtype_name(c->tensors[i]->dtype));
      return false;
    }
  if (strcmp(target, "cpu") != 0)
    return true; /* the accelerator backend checks its own limits */
  Diag diag;
  diag_init(&diag, stderr);
  return cpu_check_sizes(c, &diag);
}

const InputFile *input_for(const Options *o, const char *name) {
  for (int i = 0; i < o->ninputs; i++)
    if (strcmp(o->inputs[i].name, name) == 0)
      return &o->inputs[i];
  return NULL;
}

/* .npy files hold uint32 dims here; say so rather than truncate. */
static bool npy_dims(const Tensor *t, uint32_t *dims) {
  if (t->rank > NPY_MAX_RANK) {
    fprintf(stderr, "einc: --input %s: rank %d is more than .npy files here hold\n", t->name,
            t->rank);
    return false;
  }
  for (int d = 0; d < t->rank; d++) {
    if (t->dims[d] > UINT32_MAX) {
      fprintf(stderr, "einc: --input %s: dimension %lld is too large\n", t->name,
              (long long)t->dims[d]);
      return false;
    }
    dims[d] = (uint32_t)t->dims[d];
  }
  return true;
}

/* The seeded values of t, scaled by --seed-scale: (float)(v * S) for the
 * generator's v in [-1, 1), exact when S is a power of two. */
static void seeded_values(const Options *o, const Tensor *t, float *buf) {
  size_t n = (size_t)tensor_elements(t);
  rng_fill(buf, n, o->seed, t->name);
  if (o->seed_scale != 1)
    for (size_t i = 0; i < n; i++)
      buf[i] = (float)((double)buf[i] * o->seed_scale);
}

static bool fill_input_f32(const Tensor *t, const InputFile *in, float *buf, const uint32_t *dims) {
  NpyArray a;
  char msg[512];
  if (!npy_read_shape(in->path, (uint32_t)t->rank, dims, &a, msg, sizeof msg)) {
    fprintf(stderr, "einc: --input %s: %s\n", t->name, msg); /* msg names the file */
    return false;
  }
  memcpy(buf, a.data, (size_t)a.count * sizeof(float));
  npy_free(&a);
  return true;
}

/* A float64 buffer takes '<f4' files (widened) and '<f8' files as they are. */
static bool fill_input_f64(const Tensor *t, const InputFile *in, double *buf,
                           const uint32_t *dims) {
  NpyArray64 a;
  char msg[512];
  if (!npy_read_shape_f64(in->path, (uint32_t)t->rank, dims, &a, msg, sizeof msg)) {
    fprintf(stderr, "einc: --input %s: %s\n", t->name, msg);
    return false;
  }
  memcpy(buf, a.data, (size_t)a.count * sizeof(double));
  npy_free_f64(&a);
  return true;
}

/* The seeded values of t widened to double: the f64 reference starts from
 * exactly the binary32 values the f32 targets get. */
static bool seeded_values_f64(const Options *o, const Tensor *t, double *buf) {
  size_t n = (size_t)tensor_elements(t);
  float *tmp = malloc(n ? n * sizeof *tmp : sizeof *tmp);
  if (!tmp) {
    fprintf(stderr, "einc: out of memory for tensor '%s'\n", t->name);
    return false;
  }
  seeded_values(o, t, tmp);
  for (size_t i = 0; i < n; i++)
    buf[i] = tmp[i];
  free(tmp);
  return true;
}

static bool fill_input(const Options *o, const Tensor *t, float *buf, CpuPrecision precision) {
  const InputFile *in = input_for(o, t->name);
  if (!in && precision == CPU_F64)
    return seeded_values_f64(o, t, (double *)(void *)buf);
  if (!in) {
    seeded_values(o, t, buf);
    return true;
  }
  uint32_t dims[NPY_MAX_RANK];
  if (!npy_dims(t, dims))
    return false;
  if (precision == CPU_F64)
    return fill_input_f64(t, in, (double *)(void *)buf, dims);
  return fill_input_f32(t, in, buf, dims);
}

bool fill_inputs(const Options *o, const Cascade *c, float **bufs, CpuPrecision precision) {
  for (int i = 0; i < c->ntensors; i++) {
    const Tensor *t = c->tensors[i];
    if ((t->role == ROLE_INPUT || t->role == ROLE_PARAM) && !fill_input(o, t, bufs[i], precision))
      return false;
  }
  return true;
}

static bool write_output(const Options *o, const Tensor *t, const float *buf,
                         CpuPrecision precision) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.npy", o->outdir, t->name);
  uint64_t dims[NPY_MAX_RANK];
  for (int d = 0; d < t->rank; d++)
    dims[d] = (uint64_t)t->dims[d];
  char msg[512];
  bool ok = precision == CPU_F64 ? npy_write_f64(path, (uint32_t)t->rank, dims,
                                                 (const double *)(const void *)buf, msg, sizeof msg)
                                 : npy_write(path, (uint32_t)t->rank, dims, buf, msg, sizeof msg);
  if (!ok)
    fprintf(stderr, "einc: %s\n", msg);
  return ok;
}

bool write_outputs(const Options *o, const Cascade *c, float **bufs, CpuPrecision precision,
                   int *written) {
  *written = 0;
  for (int i = 0; i < c->ntensors; i++)
    if (c->tensors[i]->role == ROLE_OUTPUT) {
      if (!write_output(o, c->tensors[i], bufs[i], precision))
        return false;
      ++*written;
    }
  return true;
}

/* Each buffer is followed by a guard of known bytes, checked after the run:
 * generated code writing past a tensor is a compiler bug that must not pass
 * unnoticed (ASan does not see into JIT code). */
enum { GUARD_BYTES = 64, GUARD_BYTE = 0xA5 };

static size_t buffer_bytes(const Tensor *t, CpuPrecision precision) {
  return (size_t)cpu_aligned_bytes_in(tensor_elements(t), precision);
}

bool guards_intact(const Cascade *c, float **bufs, CpuPrecision precision) {
  for (int i = 0; i < c->ntensors; i++) {
    if (!bufs[i])
      continue;
    const unsigned char *g =
        (const unsigned char *)bufs[i] + buffer_bytes(c->tensors[i], precision);
    for (int j = 0; j < GUARD_BYTES; j++)
      if (g[j] != GUARD_BYTE) {
        fprintf(stderr, "einc: internal error: the generated code wrote past tensor '%s'\n",
                c->tensors[i]->name);
        return false;
      }
  }
  return true;
}

float **alloc_tensors(const Cascade *c, bool all, CpuPrecision precision) {
  float **bufs = calloc((size_t)c->ntensors + 1, sizeof *bufs);
  for (int i = 0; i < c->ntensors; i++) {
    if (!all && c->tensors[i]->role == ROLE_INTERMEDIATE)
      continue;
    size_t bytes = buffer_bytes(c->tensors[i], precision);
    bufs[i] = aligned_alloc(64, bytes + GUARD_BYTES);
    if (!bufs[i]) {
      fprintf(stderr, "einc: out of memory for tensor '%s' (%zu bytes)\n", c->tensors[i]->name,
              bytes);
      free_tensors(c, bufs);
      return NULL;
    }
    memset(bufs[i], 0, bytes);
    memset((char *)bufs[i] + bytes, GUARD_BYTE, GUARD_BYTES);
  }
  return bufs;
}

void free_tensors(const Cascade *c, float **bufs) {
  for (int i = 0; bufs && i < c->ntensors; i++)
    free(bufs[i]);
  free(bufs);
}
