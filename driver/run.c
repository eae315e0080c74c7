/* einc run: compile in memory (LLJIT for --target cpu, the accelerator
 * backend and the simulator for --target accel), fill the inputs from .npy
 * files or the seeded generator, run, and write every output as
 * OUTDIR/NAME.npy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/driver.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bool cpu_execute(const LoopProgram *p, const char *name, CpuPrecision precision, float **bufs,
                 CpuTimes *times, double *run_s) {
  char *error = NULL;
  CpuJit *jit = cpu_jit_in(p, name, precision, times, &error);
  if (!jit) {
    fprintf(stderr, "einc: %s\n", error);
    free(error);
    return false;
  }
  double t0 = now_s();
  cpu_jit_entry(jit)(bufs);
  *run_s = now_s() - t0;
  cpu_jit_free(jit);
  return guards_intact(p->cascade, bufs, precision);
}

static int run_cpu(const Options *o, Compilation *cc) {
  const Cascade *c = cc->cascade;
  if (!check_target(c, "cpu") || !check_inputs(o, c) || !check_outputs_writable(o, c))
    return EXIT_REJECTED;
  float **bufs = alloc_tensors(c, true, o->precision);
  if (!bufs)
    return EXIT_REJECTED;
  int status = EXIT_REJECTED, written = 0;
  CpuTimes times;
  double run_s;
  if (fill_inputs(o, c, bufs, o->precision) &&
      cpu_execute(cc->loops, entry_name(o, cc->arena), o->precision, bufs, &times, &run_s) &&
      write_outputs(o, c, bufs, o->precision, &written)) {
    fprintf(stderr, "einc: cpu%s: compiled in %.1f ms, ran in %.3f ms; wrote %d output%s to %s\n",
            o->precision == CPU_F64 ? " (f64)" : "",
            1e3 * (times.codegen_s + times.optimize_s + times.jit_s), 1e3 * run_s, written,
            written == 1 ? "" : "s", o->outdir);
    status = 0;
  }
  free_tensors(c, bufs);
  return status;
}

/* Quiet by default (tests compare standard error); --verbose says what ran. */
static int run_accel(const Options *o, Compilation *cc) {
  const Cascade *c = cc->cascade;
  if (!check_target(c, "accel") || !check_inputs(o, c) || !check_outputs_writable(o, c))
    return EXIT_REJECTED;
  double t0 = now_s();
  AccelProgram ap;
  if (!accel_build(o, cc, &ap))
    return EXIT_REJECTED;
  double compile_s = now_s() - t0;
  float **bufs = alloc_tensors(c, false, CPU_F32);
  int status = EXIT_REJECTED, written = 0;
  SimStats st;
  if (bufs && fill_inputs(o, c, bufs, CPU_F32) && accel_execute(o, c, &ap.bin, bufs, &st) &&
      write_outputs(o, c, bufs, CPU_F32, &written) && report_stats(o, &st)) {
    if (o->verbose)
      fprintf(stderr,
              "einc: accel: compiled %llu instructions in %.1f ms; wrote %d output%s to %s\n",
              (unsigned long long)ap.bin.instr_count, 1e3 * compile_s, written,
              written == 1 ? "" : "s", o->outdir);
    status = 0;
  }
  free_tensors(c, bufs);
  accel_free(&ap);
  return status;
}

int cmd_run(const Options *o) { return with_model(o, is_accel(o) ? run_accel : run_cpu); }
