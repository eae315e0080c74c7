/* einc check: the model on the accelerator, on the CPU in f32 and (by
 * default) on the CPU in f64, all with the same inputs, in memory. Against
 * the f64 reference each element of the accelerator must be about as close
 * as the f32 CPU is (check_rule.h): both targets round in fp32, and the
 * reference tells how much rounding the program itself amplifies there.
 * --reference f32 keeps the older comparison with the f32 CPU: element by
 * element, |accel - cpu| <= atol*scale + rtol*|cpu| with scale = max(1,
 * max|cpu|), the golden tests' rule. One line per output and a verdict on
 * standard output; exit 1 when one is out. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/check_rule.h"
#include "driver/driver.h"

typedef struct Compare {
  double scale; /* max(1, max|cpu|): atol is relative to it */
  double max_abs, max_rel;
  int64_t worst;      /* the element with the largest error over its tolerance */
  double worst_ratio; /* that error over that tolerance */
  double worst_abs;   /* its error: among equal ratios (zero tolerances) the largest wins */
  bool ok;
} Compare;

/* |a - b|, where equal non-finite values (both NaN, the same infinity) are
 * 0 apart and any other pair with a non-finite side is infinitely far. */
static double distance(float a, float b) {
  if ((isnan(a) && isnan(b)) || a == b)
    return 0;
  if (!isfinite(a) || !isfinite(b))
    return INFINITY;
  return fabs((double)a - (double)b);
}

/* max(1, the largest finite |cpu|). */
static double output_scale(const float *cpu, int64_t n) {
  double scale = 1;
  for (int64_t i = 0; i < n; i++)
    if (isfinite(cpu[i]))
      scale = fmax(scale, fabs((double)cpu[i]));
  return scale;
}

static Compare compare(const float *cpu, const float *acc, int64_t n, double rtol, double atol) {
  Compare r = {output_scale(cpu, n), 0, 0, 0, -1, 0, true};
  atol *= r.scale;
  for (int64_t i = 0; i < n; i++) {
    double d = distance(cpu[i], acc[i]);
    double ref = fabs((double)cpu[i]);
    double allowed = atol + rtol * ref; /* NaN when cpu is NaN: then d is 0 or inf */
    double rel = d == 0 ? 0 : isfinite(ref) && ref > 0 ? d / ref : INFINITY;
    double ratio = d == 0 ? 0 : allowed > 0 ? d / allowed : INFINITY;
    r.ok &= d == 0 || d <= allowed;
    r.max_abs = fmax(r.max_abs, d);
    r.max_rel = fmax(r.max_rel, rel);
    if (ratio > r.worst_ratio || (ratio == r.worst_ratio && d > r.worst_abs))
      r.worst = i, r.worst_ratio = ratio, r.worst_abs = d;
  }
  return r;
}

/* "3, 7": the multi-index of flat element i of t. */
static void format_index(const Tensor *t, int64_t i, char *out, size_t cap) {
  int64_t *idx = calloc((size_t)t->rank + 1, sizeof *idx);
  for (int d = t->rank - 1; d >= 0; d--) {
    idx[d] = i % t->dims[d];
    i /= t->dims[d];
  }
  size_t len = 0;
  for (int d = 0; d < t->rank && len < cap; d++)
    len += (size_t)snprintf(out + len, cap - len, "%s%lld", d ? ", " : "", (long long)idx[d]);
  free(idx);
}

/* glibc prints a negative NaN as "-nan"; the sign of a NaN means nothing. */
static void format_value(float v, char *out, size_t cap) {
  if (isnan(v))
    snprintf(out, cap, "nan");
  else
    snprintf(out, cap, "%.7g", (double)v);
}

/* A float64 value with the digits that tell it from its binary32 neighbours. */
static void format_double(double v, char *out, size_t cap) {
  if (isnan(v))
    snprintf(out, cap, "nan");
  else
    snprintf(out, cap, "%.10g", v);
}

static bool report_output(const Options *o, const Tensor *t, const float *cpu, const float *acc) {
  int64_t n = tensor_elements(t);
  Compare r = compare(cpu, acc, n, o->rtol, o->atol);
  char where[512], cv[32], av[32];
  where[0] = '\0';
  if (n > 0)
    format_index(t, r.worst, where, sizeof where);
  format_value(n ? cpu[r.worst] : 0, cv, sizeof cv);
  format_value(n ? acc[r.worst] : 0, av, sizeof av);
  printf("%s: max abs err %.1e, max rel err %.1e, worst at [%s] (cpu %s, accel %s), tolerance "
         "|d| <= atol*%.3g + rtol*|cpu| (atol %g, rtol %g): %s\n",
         t->name, r.max_abs, r.max_rel, where, cv, av, r.scale, o->atol, o->rtol,
         r.ok ? "ok" : "FAILED");
  return r.ok;
}

/* "at [3, 7]", or "nowhere" for no element (every error 0). */
static void place_text(const Tensor *t, int64_t i, char *out, size_t cap) {
  if (i < 0) {
    snprintf(out, cap, "nowhere");
    return;
  }
  char where[480];
  where[0] = '\0';
  format_index(t, i, where, sizeof where);
  snprintf(out, cap, "at [%s]", where);
}

/* "y: cpu max err A (R of scale S) at [..]; accel max err ... ; worst at
 * [..] (f64 .., cpu .., accel .., X of its allowance): ok". */
static bool report_output_f64(const Options *o, const Tensor *t, const double *ref,
                              const float *cpu, const float *acc) {
  int64_t n = tensor_elements(t);
  CheckRule rule = check_default_rule();
  rule.atol = o->atol;
  rule.rtol = o->rtol;
  CheckResult r = check_against_f64(ref, cpu, acc, n, &rule);
  char cpu_at[512], acc_at[512], worst_at[512], rv[40], cv[32], av[32], slack[96] = "";
  place_text(t, r.cpu.where, cpu_at, sizeof cpu_at);
  place_text(t, r.accel.where, acc_at, sizeof acc_at);
  place_text(t, n ? r.worst : -1, worst_at, sizeof worst_at);
  format_double(n ? ref[r.worst] : 0, rv, sizeof rv);
  format_value(n ? cpu[r.worst] : 0, cv, sizeof cv);
  format_value(n ? acc[r.worst] : 0, av, sizeof av);
  if (o->atol > 0 || o->rtol > 0)
    snprintf(slack, sizeof slack, " (with atol %g, rtol %g)", o->atol, o->rtol);
  printf("%s: cpu max err %.1e (%.1e of scale %.3g) %s; accel max err %.1e (%.1e) %s; "
         "worst %s (f64 %s, cpu %s, accel %s, %.2g of its allowance%s): ",
         t->name, r.cpu.abs, r.cpu.abs / r.scale, r.scale, cpu_at, r.accel.abs,
         r.accel.abs / r.scale, acc_at, worst_at, rv, cv, av, r.worst_ratio, slack);
  if (r.failed)
    printf("FAILED (%lld of %lld elements)\n", (long long)r.failed, (long long)n);
  else
    printf("ok\n");
  return r.failed == 0;
}

/* Each output of the accelerator's cascade c against the reference's
 * tensor of the same name in ref (cpu in f32, ref64 in f64 or NULL). */
static int report(const Options *o, const Cascade *c, float **acc, const Cascade *ref, float **cpu,
                  float **ref64) {
  int n = 0, bad = 0;
  for (int i = 0; i < c->ntensors; i++)
    if (c->tensors[i]->role == ROLE_OUTPUT) {
      n++;
      const Tensor *r = cascade_find_tensor(ref, c->tensors[i]->name);
      if (ref64)
        bad += !report_output_f64(o, c->tensors[i], (const double *)(const void *)ref64[r->id],
                                  cpu[r->id], acc[i]);
      else
        bad += !report_output(o, c->tensors[i], cpu[r->id], acc[i]);
    }
  if (bad == 0)
    printf("check: all %d output%s within tolerance\n", n, n == 1 ? "" : "s");
  else
    printf("check: %d of %d output%s out of tolerance\n", bad, n, n == 1 ? "" : "s");
  fflush(stdout);
  return bad ? EXIT_REJECTED : 0;
}

/* The CPU's inputs and params are the accelerator's, embedded params
 * included (accel_execute copied those back), matched by name: the two
 * cascades number their tensors differently once fusion removes some. */
static void copy_inputs(const Cascade *c, float **from, const Cascade *ref, float **to) {
  for (int i = 0; i < c->ntensors; i++) {
    const Tensor *t = c->tensors[i];
    if (t->role == ROLE_INPUT || t->role == ROLE_PARAM)
      memcpy(to[cascade_find_tensor(ref, t->name)->id], from[i],
             (size_t)tensor_elements(t) * sizeof(float));
  }
}

/* The same, widened to the f64 reference's doubles. */
static void widen_inputs(const Cascade *c, float **from, const Cascade *ref, float **to) {
  for (int i = 0; i < c->ntensors; i++) {
    const Tensor *t = c->tensors[i];
    if (t->role != ROLE_INPUT && t->role != ROLE_PARAM)
      continue;
    double *d = (double *)(void *)to[cascade_find_tensor(ref, t->name)->id];
    for (int64_t j = 0; j < tensor_elements(t); j++)
      d[j] = from[i][j];
  }
}

/* Only the outputs are compared: the intermediates' memory goes back
 * before the next target runs (at real sizes the f64 reference's scan
 * states alone take hundreds of MB). */
static void free_intermediates(const Cascade *c, float **bufs) {
  for (int i = 0; i < c->ntensors; i++)
    if (c->tensors[i]->role == ROLE_INTERMEDIATE) {
      free(bufs[i]);
      bufs[i] = NULL;
    }
}

/* The reference p run in f64 on the accelerator's inputs; NULL after a
 * message. */
static float **run_f64(const Options *o, const LoopProgram *p, const Cascade *c, float **acc,
                       Arena *arena) {
  const Cascade *ref = p->cascade;
  float **bufs = alloc_tensors(ref, true, CPU_F64);
  CpuTimes times;
  double run_s;
  if (!bufs)
    return NULL;
  widen_inputs(c, acc, ref, bufs);
  if (cpu_execute(p, entry_name(o, arena), CPU_F64, bufs, &times, &run_s)) {
    free_intermediates(ref, bufs);
    return bufs;
  }
  free_tensors(ref, bufs);
  return NULL;
}

/* The reference: the model read again and compiled for the CPU under the
 * trivial mapping, whatever --fusion and --mapping ask of the accelerator,
 * so that it moves neither with the mapping under test nor with what the
 * accelerator's fuse pass did to its own cascade. */
static const LoopProgram *cpu_reference(const Options *o, Compilation *accel) {
  Options plain = *o;
  plain.fusion = FUSION_NONE;
  plain.mapping_path = NULL;
  Cascade *ref = frontend_compile_file(o->model, o->defs, o->ndefs, accel->arena, accel->diag);
  if (!ref || !check_target(ref, "cpu"))
    return NULL;
  Compilation cc = compilation_for(&plain, ref, TARGET_CPU, accel->arena, accel->diag);
  return pipeline_run(&cc, NULL) ? cc.loops : NULL;
}

static int check_cascade(const Options *o, Compilation *cc) {
  const Cascade *c = cc->cascade;
  Arena *arena = cc->arena;
  if (!check_target(c, "cpu") || !check_inputs(o, c))
    return EXIT_REJECTED;
  const LoopProgram *p = cpu_reference(o, cc);
  AccelProgram ap;
  if (!p || !accel_build(o, cc, &ap))
    return EXIT_REJECTED;
  const Cascade *ref = p->cascade;
  float **acc = alloc_tensors(c, false, CPU_F32), **cpu = NULL, **ref64 = NULL;
  SimStats st;
  CpuTimes times;
  double run_s;
  int status = EXIT_REJECTED;
  if (acc && fill_inputs(o, c, acc, CPU_F32) && accel_execute(o, c, &ap.bin, acc, &st) &&
      report_stats(o, &st) && (cpu = alloc_tensors(ref, true, CPU_F32)) != NULL) {
    copy_inputs(c, acc, ref, cpu);
    bool cpu_ran = cpu_execute(p, entry_name(o, arena), CPU_F32, cpu, &times, &run_s);
    if (cpu_ran)
      free_intermediates(ref, cpu);
    if (cpu_ran && (o->reference_f32 || (ref64 = run_f64(o, p, c, acc, arena)) != NULL))
      status = report(o, c, acc, ref, cpu, ref64);
  }
  if (ref64)
    free_tensors(ref, ref64);
  free_tensors(ref, cpu);
  free_tensors(c, acc);
  accel_free(&ap);
  return status;
}

int cmd_check(const Options *o) { return with_model(o, check_cascade); }
