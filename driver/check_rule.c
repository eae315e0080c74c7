/* The float64 judgement of einc check (check_rule.h). */
#include "driver/check_rule.h"

#include <float.h>
#include <math.h>

/* See docs/cli-notes.md for how these were chosen. */
CheckRule check_default_rule(void) {
  return (CheckRule){
      .cpu_factor = 4, .ulps = 16, .noise_factor = 2, .scale_ulps = 1, .atol = 0, .rtol = 0};
}

double check_ulp32(double x) {
  x = fabs(x);
  if (!isfinite(x) || x > FLT_MAX)
    return INFINITY;
  if (x < FLT_MIN)
    return ldexp(1, -149);
  int e;
  frexp(x, &e); /* x = m * 2^e, m in [0.5, 1): x in [2^(e-1), 2^e) */
  return ldexp(1, e - 24);
}

static double output_scale(const double *ref, int64_t n) {
  double scale = 0;
  for (int64_t i = 0; i < n; i++)
    if (isfinite(ref[i]))
      scale = fmax(scale, fabs(ref[i]));
  return scale > 0 ? scale : 1;
}

/* Equal non-finite values (both NaN, the same infinity) are 0 apart; any
 * other pair with a non-finite side is infinitely far. */
static double f32_distance(float a, float b) {
  if ((isnan(a) && isnan(b)) || a == b)
    return 0;
  if (!isfinite(a) || !isfinite(b))
    return INFINITY;
  return fabs((double)a - (double)b);
}

/* |x - ref|, or for a non-finite side how far x is from ref rounded to
 * binary32 (0 for the same non-finite value). */
static double error_of(float x, double ref) {
  if (isfinite(x) && isfinite(ref))
    return fabs((double)x - ref);
  return f32_distance((float)ref, x);
}

/* max |cpu - ref| over the elements where both are finite. */
static double cpu_finite_noise(const double *ref, const float *cpu, int64_t n) {
  double noise = 0;
  for (int64_t i = 0; i < n; i++)
    if (isfinite(ref[i]) && isfinite(cpu[i]))
      noise = fmax(noise, fabs((double)cpu[i] - ref[i]));
  return noise;
}

static void note_worst(CheckWorst *w, double err, int64_t i) {
  if (err > w->abs)
    w->abs = err, w->where = i;
}

CheckResult check_against_f64(const double *ref, const float *cpu, const float *acc, int64_t n,
                              const CheckRule *rule) {
  CheckResult r = {.scale = output_scale(ref, n), .cpu = {0, -1}, .accel = {0, -1}, .worst = 0};
  for (int64_t i = 0; i < n; i++) {
    note_worst(&r.cpu, error_of(cpu[i], ref[i]), i);
    note_worst(&r.accel, error_of(acc[i], ref[i]), i);
  }
  /* The cpu's worst error counts only where it is finite. */
  double noise = isfinite(r.cpu.abs) ? r.cpu.abs : cpu_finite_noise(ref, cpu, n);
  double floor =
      rule->noise_factor * noise + rule->scale_ulps * check_ulp32(r.scale) + rule->atol * r.scale;
  for (int64_t i = 0; i < n; i++) {
    double e_cpu = error_of(cpu[i], ref[i]), e_acc = error_of(acc[i], ref[i]);
    bool ok;
    double ratio;
    if (isfinite(ref[i]) && isfinite(acc[i])) {
      /* A cpu gone non-finite earns no share: acc is held to ref alone. */
      double cpu_share = isfinite(cpu[i]) ? rule->cpu_factor * e_cpu : 0;
      double allowed =
          cpu_share + rule->ulps * check_ulp32(ref[i]) + floor + rule->rtol * fabs(ref[i]);
      ok = e_acc <= allowed;
      ratio = e_acc == 0 ? 0 : allowed > 0 ? e_acc / allowed : INFINITY;
    } else {
      ok = e_acc == 0 || f32_distance(cpu[i], acc[i]) == 0;
      ratio = ok ? 0 : INFINITY;
    }
    r.failed += !ok;
    if (ratio > r.worst_ratio)
      r.worst = i, r.worst_ratio = ratio;
  }
  return r;
}
