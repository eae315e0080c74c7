/* einc check's judgement of one output against the float64 reference: a
 * pure function of the three arrays, kept apart from the driver so that
 * tests/test_check.c can test it directly. The rule and why it is so are in
 * docs/cli-notes.md ("einc check"). */
#ifndef EINC_CHECK_RULE_H
#define EINC_CHECK_RULE_H

#include <stdbool.h>
#include <stdint.h>

/* An element of the accelerator's output passes when
 *   |acc - ref| <= cpu_factor * |cpu - ref| + ulps * ulp(|ref|)
 *                  + noise_factor * max_j |cpu_j - ref_j| + scale_ulps * ulp(scale)
 *                  + atol * scale + rtol * |ref|
 * with ref the float64 reference, cpu the CPU's float32 result, ulp() the
 * spacing of binary32 at that magnitude, max_j over the output's elements
 * (the cpu's own worst error: the rounding noise this program reaches) and
 * scale the output's largest finite |ref|. atol and rtol are the user's
 * extra slack (0 by default). */
typedef struct CheckRule {
  double cpu_factor, ulps, noise_factor, scale_ulps;
  double atol, rtol;
} CheckRule;

/* The rule einc check uses (atol and rtol 0). */
CheckRule check_default_rule(void);

/* The worst error of one f32 target against the reference. */
typedef struct CheckWorst {
  double abs;    /* max |x - ref| (infinite for a non-finite mismatch) */
  int64_t where; /* its element; -1 when every element is exact */
} CheckWorst;

typedef struct CheckResult {
  double scale;          /* max finite |ref|, 1 when there is none or it is 0 */
  CheckWorst cpu, accel; /* against the reference */
  int64_t worst;         /* the element whose error is largest against its allowance */
  double worst_ratio;    /* that error over that allowance (0 when exact) */
  int64_t failed;        /* elements beyond their allowance */
} CheckResult;

/* The spacing of binary32 numbers at magnitude |x|: 2^(e-23) for |x| in
 * [2^e, 2^(e+1)), 2^-149 below the normal range, infinite beyond FLT_MAX. */
double check_ulp32(double x);

/* Judges n elements. Where ref or acc is not finite the element passes only
 * when acc is what cpu is or what ref is in binary32 (both NaN, or the same
 * infinity); where only cpu is not finite, acc is held to ref without the
 * cpu's share. */
CheckResult check_against_f64(const double *ref, const float *cpu, const float *acc, int64_t n,
                              const CheckRule *rule);

#endif
