/* make bench, CPU rows: for each workload at a realistic size, the JIT's
 * compile time, and its run time against the same cascade written as plain C
 * loops compiled by gcc -O3 -march=native, measured side by side in one run
 * (runs alternate) as medians; for the matmul, OpenBLAS sgemm too. Then the
 * options of lower_program against the trivial lowering: the matmul at
 * 1024^3 and 2048^3 against one-thread sgemm, and a contraction with an
 * epilogue (mamba-130m's out_proj with its residual).
 * Timings are printed, never asserted. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/llvm/cpu.h"
#include "frontend/frontend.h"
#include "passes/tile_cpu.h"
#include "ref_loops.h"
#include "runtime/rng.h"

enum { RUNS = 5, COMPILES = 3 };

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct Bench {
  const Cascade *c;
  float **jit; /* one buffer per tensor, for the JIT code */
  float **ref; /* the same for the reference loops */
} Bench;

static float *tensor(const Bench *b, float **set, const char *name) {
  Tensor *t = cascade_find_tensor(b->c, name);
  if (!t) {
    fprintf(stderr, "bench: no tensor '%s'\n", name);
    exit(1);
  }
  return set[t->id];
}

static int dim(const Bench *b, const char *name, int d) {
  return (int)cascade_find_tensor(b->c, name)->dims[d];
}

static void run_matmul(const Bench *b, float **s) {
  ref_matmul(tensor(b, s, "A"), tensor(b, s, "B"), tensor(b, s, "C"), dim(b, "A", 0),
             dim(b, "A", 1), dim(b, "B", 1));
}

static void run_softmax(const Bench *b, float **s) {
  ref_softmax(tensor(b, s, "x"), tensor(b, s, "y"), tensor(b, s, "mx"), tensor(b, s, "e"),
              tensor(b, s, "den"), dim(b, "x", 0), dim(b, "x", 1));
}

static void run_rmsnorm(const Bench *b, float **s) {
  ref_rmsnorm(tensor(b, s, "x"), tensor(b, s, "w"), tensor(b, s, "y"), tensor(b, s, "ms"),
              tensor(b, s, "inv"), dim(b, "x", 0), dim(b, "x", 1));
}

static void run_mamba(const Bench *b, float **s) {
  ref_mamba_scan(tensor(b, s, "u"), tensor(b, s, "dt"), tensor(b, s, "Bm"), tensor(b, s, "Cm"),
                 tensor(b, s, "A"), tensor(b, s, "Dskip"), tensor(b, s, "y"), tensor(b, s, "dA"),
                 tensor(b, s, "dBu"), tensor(b, s, "h"), dim(b, "u", 0), dim(b, "u", 1),
                 dim(b, "A", 1));
}

typedef struct Workload {
  const char *name;
  const char *model;
  const char *size;
  Define defs[3];
  int ndefs;
  void (*ref)(const Bench *b, float **set);
  double flops; /* for the matmul's GFLOPS */
} Workload;

static const Workload workloads[] = {
    {"matmul",
     "examples/matmul.ein",
     "512x512x512",
     {{"M", 512}, {"K", 512}, {"N", 512}},
     3,
     run_matmul,
     2.0 * 512 * 512 * 512},
    {"softmax", "examples/softmax.ein", "2048x768", {{"R", 2048}, {"C", 768}}, 2, run_softmax, 0},
    {"rmsnorm", "examples/rmsnorm.ein", "2048x768", {{"T", 2048}, {"D", 768}}, 2, run_rmsnorm, 0},
    {"mamba_scan",
     "examples/mamba_scan.ein",
     "L=2048 E=1536 N=16",
     {{"L", 2048}, {"E", 1536}, {"N", 16}},
     3,
     run_mamba,
     0},
};

/* The seeded inputs of einc run (runtime/rng.h), halved into [-0.5, 0.5):
 * sane for every workload (the scan's exp(dt*A) stays near 1, so nothing
 * overflows or goes denormal). */
static void fill(float *p, int64_t n, const char *name) {
  rng_fill(p, (size_t)n, 0, name);
  for (int64_t i = 0; i < n; i++)
    p[i] *= 0.5f;
}

/* Buffers as the generated code's workspace lays them out: 64-byte aligned. */
static float **alloc_set(const LoopProgram *p) {
  const Cascade *c = p->cascade;
  float **set = calloc((size_t)c->ntensors, sizeof *set);
  for (int i = 0; i < c->ntensors; i++) {
    int64_t n = tensor_elements(c->tensors[i]);
    set[i] = aligned_alloc(64, (size_t)cpu_aligned_bytes(p->buffers[i]->elements));
    if (c->tensors[i]->role == ROLE_INPUT || c->tensors[i]->role == ROLE_PARAM)
      fill(set[i], n, c->tensors[i]->name);
    else
      memset(set[i], 0, (size_t)n * 4);
  }
  return set;
}

static void free_set(const Cascade *c, float **set) {
  for (int i = 0; i < c->ntensors; i++)
    free(set[i]);
  free(set);
}

/* The largest difference over outputs, relative to the output's magnitude. */
static double max_rel_diff(const Cascade *c, float **a, float **b) {
  double worst = 0;
  for (int i = 0; i < c->ntensors; i++) {
    if (c->tensors[i]->role != ROLE_OUTPUT)
      continue;
    int64_t n = tensor_elements(c->tensors[i]);
    double scale = 1e-30, diff = 0;
    for (int64_t j = 0; j < n; j++) {
      scale = fmax(scale, fabs(b[i][j]));
      diff = fmax(diff, fabs((double)a[i][j] - b[i][j]));
    }
    worst = fmax(worst, diff / scale);
  }
  return worst;
}

static bool bench_one(const Workload *w, const char *srcdir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", srcdir, w->model);
  Arena arena;
  arena_init(&arena);
  Diag diag;
  diag_init(&diag, stderr);
  Cascade *c = frontend_compile_file(path, w->defs, w->ndefs, &arena, &diag);
  if (!c)
    return false;
  LoopProgram *p = lower_trivial(c, &arena);
  double compile[COMPILES];
  CpuJit *jit = NULL;
  for (int i = 0; i < COMPILES; i++) {
    char *error = NULL;
    double t0 = now_s();
    CpuJit *j = cpu_jit(p, w->name, NULL, &error);
    compile[i] = now_s() - t0;
    if (!j) {
      fprintf(stderr, "bench: %s: %s\n", w->name, error);
      free(error);
      return false;
    }
    if (jit)
      cpu_jit_free(jit);
    jit = j;
  }
  CpuRunFn run = cpu_jit_entry(jit);
  Bench b = {c, alloc_set(p), alloc_set(p)};
  double t_jit[RUNS], t_ref[RUNS], t_blas[RUNS];
  /* One warm-up each, then alternate so both see the same machine state. */
  run(b.jit);
  w->ref(&b, b.ref);
  for (int i = 0; i < RUNS; i++) {
    double t0 = now_s();
    run(b.jit);
    double t1 = now_s();
    w->ref(&b, b.ref);
    double t2 = now_s();
    t_jit[i] = t1 - t0;
    t_ref[i] = t2 - t1;
  }
  double diff = max_rel_diff(c, b.jit, b.ref);
  double jit_ms = 1e3 * median(t_jit, RUNS), ref_ms = 1e3 * median(t_ref, RUNS);
  printf("| %-10s | %-18s | %10.1f | %9.2f | %9.2f | %8.2f | %.1e |", w->name, w->size,
         1e3 * median(compile, COMPILES), jit_ms, ref_ms, ref_ms / jit_ms, diff);
  if (w->flops > 0) {
    float *A = tensor(&b, b.ref, "A"), *B = tensor(&b, b.ref, "B"), *C = tensor(&b, b.ref, "C");
    int M = dim(&b, "A", 0), K = dim(&b, "A", 1), N = dim(&b, "B", 1);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, A, K, B, N, 0, C, N);
    for (int i = 0; i < RUNS; i++) {
      double t0 = now_s();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, A, K, B, N, 0, C, N);
      t_blas[i] = now_s() - t0;
    }
    double blas_ms = 1e3 * median(t_blas, RUNS);
    printf(" einc %.1f GFLOPS = %.0f%% of OpenBLAS sgemm (%.1f GFLOPS, %.2f ms)",
           w->flops / jit_ms * 1e-6, 100.0 * blas_ms / jit_ms, w->flops / blas_ms * 1e-6, blas_ms);
  }
  printf("\n");
  fflush(stdout);
  free_set(c, b.jit);
  free_set(c, b.ref);
  cpu_jit_free(jit);
  arena_free(&arena);
  return true;
}

/* ---- lower_program's options against the trivial lowering ---- */

typedef struct Variant {
  const char *label;
  LowerOptions opt;
  CpuJit *jit;
  float **set;
  double t[RUNS];
} Variant;

static bool variant_setup(Variant *v, const Cascade *c, Arena *arena) {
  LoopProgram *p = lower_program(c, &v->opt, arena);
  char *error = NULL;
  v->jit = cpu_jit(p, "bench", NULL, &error);
  if (!v->jit) {
    fprintf(stderr, "bench: %s: %s\n", v->label, error);
    free(error);
    return false;
  }
  v->set = alloc_set(p);
  return true;
}

static void variant_free(Variant *v, const Cascade *c) {
  if (v->set)
    free_set(c, v->set);
  cpu_jit_free(v->jit);
}

/* Runs every variant `runs` times, alternating, after one warm-up each; and
 * sgemm too when matmul_n > 0 (C = A B, n x n x n, in its own buffers). */
static void time_variants(Variant *v, int nv, int runs, int matmul_n, const Cascade *c,
                          double *blas_ms) {
  float *A = NULL, *B = NULL, *C = NULL;
  double t_blas[RUNS];
  if (matmul_n > 0) {
    A = tensor(&(Bench){c, v[0].set, NULL}, v[0].set, "A");
    B = tensor(&(Bench){c, v[0].set, NULL}, v[0].set, "B");
    C = malloc(sizeof *C * (size_t)matmul_n * (size_t)matmul_n);
  }
  for (int r = -1; r < runs; r++) {
    for (int i = 0; i < nv; i++) {
      double t0 = now_s();
      cpu_jit_entry(v[i].jit)(v[i].set);
      if (r >= 0)
        v[i].t[r] = now_s() - t0;
    }
    if (matmul_n > 0) {
      int n = matmul_n;
      double t0 = now_s();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, A, n, B, n, 0, C, n);
      if (r >= 0)
        t_blas[r] = now_s() - t0;
    }
  }
  if (matmul_n > 0) {
    *blas_ms = 1e3 * median(t_blas, runs);
    free(C);
  }
}

/* The micro-kernel's columns einc uses on this host (driver/einc.c). */
static int host_block_cols(void) {
  return cpu_host_vector_floats() == 16 ? TILE_CPU_COLS_WIDE : TILE_CPU_COLS;
}

static bool bench_tiled_matmul(const char *srcdir, int n) {
  char path[4096], size[32];
  snprintf(path, sizeof path, "%s/examples/matmul.ein", srcdir);
  snprintf(size, sizeof size, "%dx%dx%d", n, n, n);
  Define defs[3] = {{"M", n}, {"K", n}, {"N", n}};
  Arena arena;
  arena_init(&arena);
  Diag diag;
  diag_init(&diag, stderr);
  Cascade *c = frontend_compile_file(path, defs, 3, &arena, &diag);
  if (!c)
    return false;
  Variant v[2] = {{"trivial", {false, false, 0}, NULL, NULL, {0}},
                  {"tiled", {true, true, host_block_cols()}, NULL, NULL, {0}}};
  bool ok = variant_setup(&v[0], c, &arena) && variant_setup(&v[1], c, &arena);
  if (ok) {
    double blas_ms, flops = 2.0 * n * n * n;
    time_variants(v, 2, RUNS, n, c, &blas_ms);
    double ms[2] = {1e3 * median(v[0].t, RUNS), 1e3 * median(v[1].t, RUNS)};
    printf("| %-14s | %8.1f %5.1f | %8.1f %5.1f | %8.1f %5.1f | %5.0f%% | %5.0f%% | %.1e |\n", size,
           ms[0], flops / ms[0] * 1e-6, ms[1], flops / ms[1] * 1e-6, blas_ms,
           flops / blas_ms * 1e-6, 100.0 * blas_ms / ms[0], 100.0 * blas_ms / ms[1],
           max_rel_diff(c, v[1].set, v[0].set));
    fflush(stdout);
  }
  variant_free(&v[0], c);
  variant_free(&v[1], c);
  arena_free(&arena);
  return ok;
}

/* mamba-130m's out_proj with the residual: L=2048, E=1536 (d_inner), D=768. */
static const char out_proj_source[] = "let L = 2048, E = 1536, D = 768\n"
                                      "input  x[L, D]\n"
                                      "input  yg[L, E]\n"
                                      "param  W_out[E, D]\n"
                                      "output y[L, D]\n"
                                      "y[l, d] = x[l, d] + yg[l, e] * W_out[e, d]\n";

static bool bench_epilogue(void) {
  enum { EPILOGUE_RUNS = 3 }; /* the trivial lowering takes seconds per run */
  Arena arena;
  arena_init(&arena);
  Diag diag;
  diag_init(&diag, stderr);
  Cascade *c = frontend_compile_text("out_proj.ein", out_proj_source, sizeof out_proj_source - 1,
                                     NULL, 0, &arena, &diag);
  if (!c)
    return false;
  Variant v[3] = {{"trivial", {false, false, 0}, NULL, NULL, {0}},
                  {"epilogue", {true, false, 0}, NULL, NULL, {0}},
                  {"epilogue + tiling", {true, true, host_block_cols()}, NULL, NULL, {0}}};
  bool ok = true;
  for (int i = 0; i < 3 && ok; i++)
    ok = variant_setup(&v[i], c, &arena);
  if (ok) {
    time_variants(v, 3, EPILOGUE_RUNS, 0, c, NULL);
    double base = 1e3 * median(v[0].t, EPILOGUE_RUNS);
    for (int i = 0; i < 3; i++) {
      double ms = 1e3 * median(v[i].t, EPILOGUE_RUNS);
      printf("| %-17s | %9.1f | %7.1f | %7.2fx | %.1e |\n", v[i].label, ms,
             2.0 * 2048 * 1536 * 768 / ms * 1e-6, base / ms, max_rel_diff(c, v[i].set, v[0].set));
    }
    fflush(stdout);
  }
  for (int i = 0; i < 3; i++)
    variant_free(&v[i], c);
  arena_free(&arena);
  return ok;
}

static bool bench_lower_options(const char *srcdir, const char *only) {
  bool ok = true;
  if (!only || strcmp(only, "matmul-tiled") == 0) {
    openblas_set_num_threads(1);
    printf("\nMatmul, lower_program (epilogue + cache tiling) against the trivial lowering\n"
           "and OpenBLAS sgemm on one thread; ms and GFLOPS, medians of %d alternating runs;\n"
           "'%% sgemm' = sgemm time / einc time; 'diff' = tiled against trivial.\n\n",
           RUNS);
    printf("| size           | trivial ms  GF | tiled ms    GF | sgemm ms    GF | triv.  | tiled  "
           "| diff    |\n"
           "|----------------|----------------|----------------|----------------|--------|--------"
           "|---------|\n");
    ok &= bench_tiled_matmul(srcdir, 1024);
    ok &= bench_tiled_matmul(srcdir, 2048);
  }
  if (!only || strcmp(only, "epilogue") == 0) {
    printf("\nContraction with epilogue: y[l, d] = x[l, d] + yg[l, e] * W_out[e, d],\n"
           "L=2048 E=1536 D=768 (mamba-130m out_proj); medians of 3 alternating runs;\n"
           "'diff' = max |v - trivial| / max |trivial|.\n\n"
           "| lowering          | ms        | GFLOPS  | speedup  | diff    |\n"
           "|-------------------|-----------|---------|----------|---------|\n");
    ok &= bench_epilogue();
  }
  return ok;
}

int main(int argc, char **argv) {
  const char *srcdir = argc > 1 ? argv[1] : ".";
  const char *only = argc > 2 ? argv[2] : NULL;
  printf("CPU backend: LLVM JIT (default<O3>, host CPU) vs the same cascade as C loops\n"
         "built with gcc -O3 -march=native; medians of %d alternating runs, compile time\n"
         "median of %d; 'diff' = max |jit - ref| / max |ref| over outputs.\n"
         "OpenBLAS threads: %s (OPENBLAS_NUM_THREADS); the JIT code is single-threaded.\n\n",
         RUNS, COMPILES,
         getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "its default");
  printf("| workload   | size               | compile ms | einc ms   | gcc ms    | gcc/einc | diff "
         "   |\n"
         "|------------|--------------------|------------|-----------|-----------|----------|------"
         "---|\n");
  bool ok = true;
  for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
    if (!only || strcmp(only, workloads[i].name) == 0)
      ok &= bench_one(&workloads[i], srcdir);
  ok &= bench_lower_options(srcdir, only);
  return ok ? 0 : 1;
}
