/* The golden tolerance, shared by the tests that compare einc's outputs
 * with NumPy's fixtures: |got - expected| <= GOLDEN_ATOL * max(1,
 * max|expected|) + GOLDEN_RTOL * |expected| (binary32 arithmetic,
 * reassociated sums and a few-ulp exp/log, against float64 NumPy). */
#ifndef EINC_GOLDEN_COMPARE_H
#define EINC_GOLDEN_COMPARE_H

#include <stdint.h>

#define GOLDEN_RTOL 1e-4
#define GOLDEN_ATOL 1e-5

/* The .npy file got_path against count expected values; what names the
 * comparison in a failure. */
void golden_compare(const char *what, const char *got_path, const float *expected, uint64_t count);
/* got_path against expected_path: the same shape, then golden_compare. */
void golden_compare_files(const char *what, const char *expected_path, const char *got_path);
/* A float64 got_path against expected_path, of the same shape, by the same
 * tolerance: einc's float64 run computes from the program's binary32
 * constants (as the float32 code does), and some fixtures (softmax) are
 * NumPy's float32, so the two agree only to about binary32 precision. */
void golden_compare_f64_files(const char *what, const char *expected_path, const char *got_path);

#endif
