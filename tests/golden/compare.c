#include "tests/golden/compare.h"

#include <check.h>
#include <math.h>

#include "runtime/npy.h"

static void read_npy(const char *path, NpyArray *a) {
  char msg[512];
  ck_assert_msg(npy_read(path, a, msg, sizeof msg), "%s: %s", path, msg);
}

/* max(1, max |expected|): the scale the absolute tolerance is taken of. */
static double scale_of(const float *expected, uint64_t count) {
  double scale = 1.0;
  for (uint64_t i = 0; i < count; i++)
    scale = fmax(scale, fabs(expected[i]));
  return scale;
}

/* Element i of got_path against its expected value, by the golden tolerance. */
static void check_element(const char *what, const char *got_path, uint64_t i, double got,
                          double expected, double scale) {
  double tol = GOLDEN_ATOL * scale + GOLDEN_RTOL * fabs(expected);
  ck_assert_msg(fabs(got - expected) <= tol, "%s: %s[%llu] = %.17g, expected %.9g (tolerance %.3g)",
                what, got_path, (unsigned long long)i, got, expected, tol);
}

void golden_compare(const char *what, const char *got_path, const float *expected, uint64_t count) {
  NpyArray g;
  read_npy(got_path, &g);
  ck_assert_uint_eq(g.count, count);
  double scale = scale_of(expected, count);
  for (uint64_t i = 0; i < count; i++)
    check_element(what, got_path, i, g.data[i], expected[i], scale);
  npy_free(&g);
}

void golden_compare_files(const char *what, const char *expected_path, const char *got_path) {
  NpyArray e, g;
  read_npy(expected_path, &e);
  read_npy(got_path, &g);
  ck_assert_msg(e.rank == g.rank, "%s: %s has rank %u, expected %u", what, got_path, g.rank,
                e.rank);
  for (uint32_t d = 0; d < e.rank; d++)
    ck_assert_msg(e.dims[d] == g.dims[d], "%s: %s has dimension %u of %llu, expected %llu", what,
                  got_path, d, (unsigned long long)g.dims[d], (unsigned long long)e.dims[d]);
  npy_free(&g);
  golden_compare(what, got_path, e.data, e.count);
  npy_free(&e);
}

void golden_compare_f64_files(const char *what, const char *expected_path, const char *got_path) {
  NpyArray e;
  read_npy(expected_path, &e);
  uint32_t dims[NPY_MAX_RANK];
  for (uint32_t d = 0; d < e.rank; d++)
    dims[d] = (uint32_t)e.dims[d];
  NpyArray64 g;
  char msg[512];
  ck_assert_msg(npy_read_shape_f64(got_path, e.rank, dims, &g, msg, sizeof msg), "%s: %s: %s", what,
                got_path, msg);
  double scale = scale_of(e.data, e.count);
  for (uint64_t i = 0; i < e.count; i++)
    check_element(what, got_path, i, g.data[i], e.data[i], scale);
  npy_free_f64(&g);
  npy_free(&e);
}
