/* Unit tests of einc check's rule against the float64 reference
 * (driver/check_rule.h), on small arrays built here: a correct output
 * passes; one small element wrong by far more than fp32 allows but far less
 * than the output's scale fails (the older rule, atol*scale + rtol*|cpu|,
 * passes it); a large element off by a thousand ulp fails; an accelerator
 * a few times worse than the cpu passes, ten times worse where the cpu is
 * at its worst fails; non-finite values; --atol and --rtol as extra slack. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "driver/check_rule.h"
#include "tests/testutil.h"

enum { N = 4096 };

/* A reference with values over six decades, up to 1000 at element 0 and a
 * few near zero, and the two f32 results: the cpu rounds each value to
 * binary32 and is off by up to 1 ulp more; the accelerator by up to 2 ulp,
 * in another pattern. */
typedef struct Case {
  double ref[N];
  float cpu[N], acc[N];
} Case;

static float ulps_away(double v, int ulps) {
  float f = (float)v;
  for (int k = 0; k < abs(ulps); k++)
    f = nextafterf(f, ulps > 0 ? INFINITY : -INFINITY);
  return f;
}

static Case *correct_case(void) {
  Case *c = malloc(sizeof *c);
  ck_assert_ptr_nonnull(c);
  uint64_t state = 12345;
  for (int i = 0; i < N; i++) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    double u = (double)(state >> 11) / 9007199254740992.0; /* [0, 1) */
    double magnitude = pow(10, 3 - 6 * u);
    c->ref[i] = (i % 2 ? -magnitude : magnitude) * (1 + 1e-9 * (double)i);
    c->cpu[i] = ulps_away(c->ref[i], (int)(state >> 60) % 3 - 1);
    c->acc[i] = ulps_away(c->ref[i], (int)(state >> 56) % 5 - 2);
  }
  c->ref[0] = 1000.0000123;
  c->cpu[0] = (float)c->ref[0];
  c->acc[0] = ulps_away(c->ref[0], 2);
  c->ref[1] = 0, c->cpu[1] = 0, c->acc[1] = 0;
  return c;
}

static CheckResult judge(const Case *c) {
  CheckRule rule = check_default_rule();
  return check_against_f64(c->ref, c->cpu, c->acc, N, &rule);
}

/* The golden tests' rule, einc check --reference f32's defaults. */
static bool old_rule_passes(const float *cpu, const float *acc, int n) {
  double scale = 1;
  for (int i = 0; i < n; i++)
    scale = fmax(scale, fabs((double)cpu[i]));
  for (int i = 0; i < n; i++)
    if (fabs((double)acc[i] - (double)cpu[i]) > 1e-5 * scale + 1e-4 * fabs((double)cpu[i]))
      return false;
  return true;
}

START_TEST(test_ulp32) {
  ck_assert_double_eq(check_ulp32(1), ldexp(1, -23));
  ck_assert_double_eq(check_ulp32(1.9999), ldexp(1, -23));
  ck_assert_double_eq(check_ulp32(-2), ldexp(1, -22));
  ck_assert_double_eq(check_ulp32(1000), ldexp(1, -14));
  ck_assert_double_eq(check_ulp32(0), ldexp(1, -149));
  ck_assert_double_eq(check_ulp32(FLT_MIN / 4), ldexp(1, -149));
  ck_assert_double_eq(check_ulp32(FLT_MIN), ldexp(1, -149));
  ck_assert(isinf(check_ulp32(INFINITY)));
  ck_assert(isinf(check_ulp32(1e39)));
}
END_TEST

START_TEST(test_correct_output_passes) {
  Case *c = correct_case();
  CheckResult r = judge(c);
  ck_assert_int_eq(r.failed, 0);
  ck_assert_double_eq(r.scale, 1000.0000123);
  ck_assert(r.worst_ratio <= 1);
  ck_assert(r.cpu.abs > 0 && r.accel.abs > 0);
  ck_assert(r.accel.abs <= 2.5 * check_ulp32(1000));
  free(c);
}
END_TEST

START_TEST(test_small_element_wrong_fails) {
  /* An element of 0.5 off by 0.01: 2% of itself, a hundred thousand ulp,
   * but only 1e-5 of the output's scale, which the older rule allows. */
  Case *c = correct_case();
  int at = 7;
  c->ref[at] = 0.5;
  c->cpu[at] = 0.5f;
  c->acc[at] = 0.51f;
  ck_assert(old_rule_passes(c->cpu, c->acc, N));
  CheckResult r = judge(c);
  ck_assert_int_eq(r.failed, 1);
  ck_assert_int_eq(r.worst, at);
  ck_assert_int_eq(r.accel.where, at);
  ck_assert(r.worst_ratio > 10);
  free(c);
}
END_TEST

START_TEST(test_large_element_1000_ulp_fails) {
  Case *c = correct_case();
  c->acc[0] = ulps_away(c->ref[0], 1000);
  CheckResult r = judge(c);
  ck_assert_int_eq(r.failed, 1);
  ck_assert_int_eq(r.worst, 0);
  ck_assert(r.worst_ratio > 10);
  /* 30 ulp the other way still fails: above 4*cpu + 16 ulp + 2*noise + 1. */
  c->acc[0] = ulps_away(c->ref[0], -30);
  r = judge(c);
  ck_assert_int_eq(r.failed, 1);
  free(c);
}
END_TEST

START_TEST(test_accel_as_bad_as_cpu_passes) {
  /* Where the program amplifies rounding (a long scan, a cancelling sum)
   * the cpu is off by hundreds of ulp; the accelerator may be too, a few
   * times more, and the same error anywhere else in the output. */
  Case *c = correct_case();
  c->cpu[0] = ulps_away(c->ref[0], 300);
  c->acc[0] = ulps_away(c->ref[0], -900);
  c->acc[3] = (float)(c->ref[3] + 500 * check_ulp32(1000));
  CheckResult r = judge(c);
  ck_assert_msg(r.failed == 0, "%lld failed, worst %lld at %g", (long long)r.failed,
                (long long)r.worst, r.worst_ratio);
  ck_assert_int_eq(r.cpu.where, 0);
  /* Ten times the cpu's worst error, where the cpu is at its worst, fails. */
  c->acc[0] = ulps_away(c->ref[0], -3000);
  r = judge(c);
  ck_assert_int_eq(r.failed, 1);
  ck_assert_int_eq(r.worst, 0);
  free(c);
}
END_TEST

START_TEST(test_non_finite) {
  double ref[4] = {NAN, INFINITY, 1, 2};
  float cpu[4] = {NAN, INFINITY, NAN, 2};
  float acc[4] = {NAN, INFINITY, 1, 2};
  CheckRule rule = check_default_rule();
  CheckResult r = check_against_f64(ref, cpu, acc, 4, &rule);
  ck_assert_int_eq(r.failed, 0); /* a cpu gone NaN where acc matches ref */
  ck_assert(isinf(r.cpu.abs));
  ck_assert_int_eq(r.cpu.where, 2);
  acc[0] = 0;         /* a number where both say NaN */
  acc[1] = -INFINITY; /* the other infinity */
  acc[3] = NAN;       /* NaN where both say 2 */
  r = check_against_f64(ref, cpu, acc, 4, &rule);
  ck_assert_int_eq(r.failed, 3);
  ck_assert(isinf(r.worst_ratio));
  ck_assert(isinf(r.accel.abs));
}
END_TEST

START_TEST(test_slack) {
  /* --atol and --rtol widen the rule: 0.01 off at 0.5 passes with an atol
   * of 1e-5 of the scale (1000), or an rtol of 2%. */
  Case *c = correct_case();
  c->ref[7] = 0.5, c->cpu[7] = 0.5f, c->acc[7] = 0.51f;
  CheckRule rule = check_default_rule();
  rule.atol = 1.1e-5;
  ck_assert_int_eq(check_against_f64(c->ref, c->cpu, c->acc, N, &rule).failed, 0);
  rule.atol = 0;
  rule.rtol = 0.021;
  ck_assert_int_eq(check_against_f64(c->ref, c->cpu, c->acc, N, &rule).failed, 0);
  rule.rtol = 0.01;
  ck_assert_int_eq(check_against_f64(c->ref, c->cpu, c->acc, N, &rule).failed, 1);
  free(c);
}
END_TEST

START_TEST(test_empty_and_exact) {
  CheckRule rule = check_default_rule();
  CheckResult r = check_against_f64(NULL, NULL, NULL, 0, &rule);
  ck_assert_int_eq(r.failed, 0);
  ck_assert_double_eq(r.scale, 1);
  ck_assert_int_eq(r.cpu.where, -1);
  double ref[3] = {0, 0, 0};
  float same[3] = {0, 0, 0}, off[3] = {0, 1e-30f, 0};
  r = check_against_f64(ref, same, same, 3, &rule);
  ck_assert_int_eq(r.failed, 0);
  ck_assert_int_eq(r.accel.where, -1);
  /* All zero, the cpu exact: the accelerator may be 1 ulp of the scale
   * (1 here) off, so 1e-30 passes, and 1e-6 does not. */
  r = check_against_f64(ref, same, off, 3, &rule);
  ck_assert_int_eq(r.failed, 0);
  off[1] = 1e-6f;
  r = check_against_f64(ref, same, off, 3, &rule);
  ck_assert_int_eq(r.failed, 1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("check_rule");
  TCase *tc = tcase_create("rule");
  tcase_add_test(tc, test_ulp32);
  tcase_add_test(tc, test_correct_output_passes);
  tcase_add_test(tc, test_small_element_wrong_fails);
  tcase_add_test(tc, test_large_element_1000_ulp_fails);
  tcase_add_test(tc, test_accel_as_bad_as_cpu_passes);
  tcase_add_test(tc, test_non_finite);
  tcase_add_test(tc, test_slack);
  tcase_add_test(tc, test_empty_and_exact);
  suite_add_tcase(s, tc);
  return run_suites(s, NULL);
}
