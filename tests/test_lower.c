/* Unit tests of lower_program's options (contraction epilogues, cache-tiled
 * micro-kernels with packing): each program is lowered, JIT-compiled and run,
 * and its outputs are compared with values computed here in double
 * precision; the Loop IR's shape shows which path was taken. Also: the
 * trivial lowering (--fusion none) keeps its shape. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/llvm/cpu.h"
#include "frontend/frontend.h"
#include "passes/tile_cpu.h"
#include "tests/testutil.h"

static const LowerOptions trivial = {false, false, 0};
static const LowerOptions epilogue_only = {true, false, 0};
static const LowerOptions tiling_only = {false, true, 0};
static const LowerOptions both = {true, true, 0};
/* The micro-kernel einc uses on AVX-512 hosts: two 16-float vectors wide. */
static const LowerOptions both_wide = {true, true, TILE_CPU_COLS_WIDE};

typedef struct Prog {
  Arena arena;
  Cascade *c;
  LoopProgram *p;
  float **bufs; /* one per tensor, by id */
} Prog;

/* Compiles text, lowers it with opt, fills every input and param with a
 * deterministic pattern in [lo, hi). */
static void prog_init(Prog *g, const char *text, const LowerOptions *opt, double lo, double hi) {
  arena_init(&g->arena);
  Diag d;
  diag_init(&d, stderr);
  g->c = frontend_compile_text("t.ein", text, strlen(text), NULL, 0, &g->arena, &d);
  ck_assert_ptr_nonnull(g->c);
  g->p = lower_program(g->c, opt, &g->arena);
  g->bufs = calloc((size_t)g->c->ntensors, sizeof *g->bufs);
  for (int i = 0; i < g->c->ntensors; i++) {
    int64_t n = g->p->buffers[i]->elements;
    g->bufs[i] = aligned_alloc(64, (size_t)cpu_aligned_bytes(n));
    ck_assert_ptr_nonnull(g->bufs[i]);
    for (int64_t j = 0; j < n; j++) /* a spread that no tiling aligns with */
      g->bufs[i][j] = (float)(lo + (hi - lo) * (double)((j * 7919 + i * 104729) % 1000) / 1000.0);
  }
}

static void prog_run(Prog *g) {
  char *error = NULL;
  CpuJit *jit = cpu_jit(g->p, "t", NULL, &error);
  ck_assert_msg(jit != NULL, "%s", error ? error : "");
  cpu_jit_entry(jit)(g->bufs);
  cpu_jit_free(jit);
}

static void prog_free(Prog *g) {
  for (int i = 0; i < g->c->ntensors; i++)
    free(g->bufs[i]);
  free(g->bufs);
  arena_free(&g->arena);
}

static float *buf(const Prog *g, const char *name) {
  Tensor *t = cascade_find_tensor(g->c, name);
  ck_assert_ptr_nonnull(t);
  return g->bufs[t->id];
}

static const Kernel *kernel(const Prog *g, const char *name) {
  for (int i = 0; i < g->p->nkernels; i++)
    if (strcmp(g->p->kernels[i]->name, name) == 0)
      return g->p->kernels[i];
  ck_abort_msg("no kernel %s", name);
  return NULL;
}

static char *listing(const LoopProgram *p) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  ck_assert_ptr_nonnull(f);
  print_loop(p, f);
  fclose(f);
  return text;
}

static void expect_close(const char *what, int64_t at, double got, double want) {
  double tol = 1e-5 * fmax(1.0, fabs(want)) + 1e-4 * fabs(want);
  ck_assert_msg(fabs(got - want) <= tol, "%s[%lld] = %.9g, expected %.9g", what, (long long)at, got,
                want);
}

/* ---- matmul through the tiled micro-kernels ---- */

static void check_matmul(int M, int K, int N, const LowerOptions *opt) {
  char text[256];
  snprintf(text, sizeof text,
           "input A[%d, %d]\nparam B[%d, %d]\noutput C[%d, %d]\nC[m, n] = A[m, k] * B[k, n]\n", M,
           K, K, N, M, N);
  Prog g;
  prog_init(&g, text, opt, -1.0, 1.0);
  prog_run(&g);
  const float *A = buf(&g, "A"), *B = buf(&g, "B"), *C = buf(&g, "C");
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++) {
      double want = 0;
      for (int k = 0; k < K; k++)
        want += (double)A[m * K + k] * B[k * N + n];
      expect_close("C", m * N + n, C[m * N + n], want);
    }
  prog_free(&g);
}

/* Rows, columns and k all leave tails: 13 = 2 blocks of 6 + 1, 37 = 2 of
 * 16 + 5, 300 = 2 tiles of 128 + 44. */
START_TEST(test_matmul_tails) {
  check_matmul(13, 300, 37, &both);
  check_matmul(13, 300, 37, &tiling_only);
  check_matmul(13, 300, 37, &both_wide);
}
END_TEST

/* Two column tiles (512 + 88: the second 5 blocks + 8 columns), k one tile
 * plus a tail of 2, 7 rows = one block + 1. */
START_TEST(test_matmul_column_tiles) {
  check_matmul(7, 130, 600, &both);
  check_matmul(7, 130, 600, &both_wide);
}
END_TEST

/* Too small for one 6 x 16 block: the trivial nest, still correct. */
START_TEST(test_matmul_small) {
  check_matmul(5, 9, 40, &both);
  check_matmul(20, 9, 8, &both);
}
END_TEST

START_TEST(test_matmul_tiled_shape) {
  Prog g;
  prog_init(&g,
            "input A[13, 300]\nparam B[300, 600]\noutput C[13, 600]\n"
            "C[m, n] = A[m, k] * B[k, n]\n",
            &both, 0, 1);
  const Kernel *k = kernel(&g, "C");
  ck_assert_int_eq(k->nlocals, 1); /* the packed tile of B */
  ck_assert_int_eq(k->locals[0]->level, MEM_LOCAL);
  ck_assert_int_eq(k->ntemps, TILE_CPU_ROWS * TILE_CPU_COLS);
  char *text = listing(g.p);
  ck_assert_msg(strstr(text, "buffer local B_packed[32, 128, 16]"), "%s", text);
  ck_assert_msg(strstr(text, "for n_tile in 0..37 step 32:"), "%s", text);
  ck_assert_msg(strstr(text, "for k_tile in 0..300 step 128:"), "%s", text);
  ck_assert_msg(strstr(text, "for k in k_tile..min(k_tile + 128, 300):  # not vectorized along"),
                "%s", text);
  free(text);
  prog_free(&g);
}
END_TEST

/* ---- contraction with epilogue ---- */

static const char epilogue_text[] = "input  x[9, 35]\n"
                                    "input  a[9, 20]\n"
                                    "param  w[20, 35]\n"
                                    "param  b[35]\n"
                                    "output y[9, 35]\n"
                                    "y[l, d] = silu(x[l, d] + sum(e: a[l, e] * w[e, d]) + b[d])\n";

static double silu(double v) { return v / (1.0 + exp(-v)); }

static void check_epilogue(const LowerOptions *opt) {
  Prog g;
  prog_init(&g, epilogue_text, opt, -1.0, 1.0);
  prog_run(&g);
  const float *x = buf(&g, "x"), *a = buf(&g, "a"), *w = buf(&g, "w"), *b = buf(&g, "b");
  const float *y = buf(&g, "y");
  for (int l = 0; l < 9; l++)
    for (int d = 0; d < 35; d++) {
      double s = 0;
      for (int e = 0; e < 20; e++)
        s += (double)a[l * 20 + e] * w[e * 35 + d];
      expect_close("y", l * 35 + d, y[l * 35 + d], silu(x[l * 35 + d] + s + b[d]));
    }
  prog_free(&g);
}

START_TEST(test_epilogue_values) {
  check_epilogue(&trivial);
  check_epilogue(&epilogue_only);
  check_epilogue(&both);
}
END_TEST

/* The epilogue path: no scalar temporary, the output set to 0, accumulated,
 * then rewritten by a nest that reads it back. The trivial path keeps one
 * temporary per output element. */
START_TEST(test_epilogue_shape) {
  Prog g;
  prog_init(&g, epilogue_text, &epilogue_only, 0, 1);
  const Kernel *k = kernel(&g, "y");
  ck_assert_int_eq(k->ntemps, 0);
  char *text = listing(g.p);
  ck_assert_msg(strstr(text, "      y[l, d] = 0\n"), "%s", text);
  ck_assert_msg(strstr(text, " += "), "%s", text);
  ck_assert_msg(strstr(text, "      y[l, d] = silu(((x[l, d] + y[l, d]) + b[d]))\n"), "%s", text);
  free(text);
  prog_free(&g);

  prog_init(&g, epilogue_text, &trivial, 0, 1);
  ck_assert_int_eq(kernel(&g, "y")->ntemps, 1);
  prog_free(&g);
}
END_TEST

/* Two reductions, or one nested in another: the scalar path. */
START_TEST(test_epilogue_not_taken) {
  Prog g;
  prog_init(&g,
            "input a[4, 6]\ninput c[4, 6]\noutput y[4]\n"
            "y[i] = sum(j: a[i, j]) * max(j: c[i, j])\n",
            &both, -1, 1);
  ck_assert_int_eq(kernel(&g, "y")->ntemps, 2);
  prog_run(&g);
  const float *a = buf(&g, "a"), *c = buf(&g, "c"), *y = buf(&g, "y");
  for (int i = 0; i < 4; i++) {
    double s = 0, m = -INFINITY;
    for (int j = 0; j < 6; j++) {
      s += a[i * 6 + j];
      m = fmax(m, c[i * 6 + j]);
    }
    expect_close("y", i, y[i], s * m);
  }
  prog_free(&g);
}
END_TEST

/* max, min and prod reductions under an epilogue, on the tiled micro-kernel
 * (the update of the temporaries is the reduction's own) and without it. */
static void check_reduction_epilogue(const char *op, const LowerOptions *opt) {
  enum { I = 14, K = 6, J = 35 };
  char text[512];
  snprintf(text, sizeof text,
           "input a[%d, %d]\nparam b[%d, %d]\nparam c[%d]\noutput y[%d, %d]\n"
           "y[i, j] = 2 * %s(k: a[i, k] * b[k, j]) - c[j]\n",
           I, K, K, J, J, I, J, op);
  Prog g;
  prog_init(&g, text, opt, 0.5, 1.5);
  ck_assert_int_eq(kernel(&g, "y")->ntemps, opt->cache_tiling ? TILE_CPU_ROWS * TILE_CPU_COLS : 0);
  prog_run(&g);
  const float *a = buf(&g, "a"), *b = buf(&g, "b"), *c = buf(&g, "c"), *y = buf(&g, "y");
  for (int i = 0; i < I; i++)
    for (int j = 0; j < J; j++) {
      double r = strcmp(op, "max") == 0 ? -INFINITY : strcmp(op, "min") == 0 ? INFINITY : 1.0;
      for (int k = 0; k < K; k++) {
        double v = (double)a[i * K + k] * b[k * J + j];
        r = strcmp(op, "max") == 0 ? fmax(r, v) : strcmp(op, "min") == 0 ? fmin(r, v) : r * v;
      }
      expect_close(op, i * J + j, y[i * J + j], 2 * r - c[j]);
    }
  prog_free(&g);
}

START_TEST(test_reduction_epilogues) {
  const char *ops[] = {"max", "min", "prod"};
  for (int i = 0; i < 3; i++) {
    check_reduction_epilogue(ops[i], &epilogue_only);
    check_reduction_epilogue(ops[i], &both);
  }
}
END_TEST

/* ---- the trivial lowering keeps its shape ---- */

/* The Loop IR verifier accepts every lowering and names what a broken one
 * breaks: a store index over a variable no loop binds, a temporary past the
 * kernel's count. */
START_TEST(test_loop_verify) {
  const char *text = "input a[6, 5]\ninput b[5, 7]\noutput c[6, 7]\n"
                     "c[i, j] = 1 + sum(k: a[i, k] * b[k, j])\n";
  const LowerOptions *opts[] = {&trivial, &epilogue_only, &tiling_only, &both};
  for (int o = 0; o < 4; o++) {
    Prog g;
    prog_init(&g, text, opts[o], 0, 1);
    char *msg = NULL;
    size_t len;
    FILE *f = open_memstream(&msg, &len);
    Diag d;
    diag_init(&d, f);
    ck_assert(loop_verify(g.p, &d));
    /* The outermost loop now binds another variable: its body's indices
     * use one that nothing binds. */
    Kernel *k = g.p->kernels[0];
    LNode *outer = k->body;
    while (outer && outer->kind != LN_LOOP)
      outer = outer->next;
    ck_assert_ptr_nonnull(outer);
    int saved = outer->var;
    outer->var = k->nvars - 1 == saved ? 0 : k->nvars - 1;
    ck_assert(!loop_verify(g.p, &d));
    outer->var = saved;
    fclose(f);
    ck_assert_msg(strstr(msg, "t.ein:4:1: error: IR verifier: kernel 'c': ") == msg, "%s", msg);
    free(msg);
    prog_free(&g);
  }
}
END_TEST

START_TEST(test_trivial_unchanged) {
  Prog g;
  prog_init(&g, "input A[8, 8]\nparam B[8, 8]\noutput C[8, 8]\nC[m, n] = A[m, k] * B[k, n]\n",
            &trivial, 0, 1);
  char *text = listing(g.p);
  ck_assert_str_eq(
      text,
      "# einc loop IR (trivial mapping)\n\n"
      "buffer dram A[8, 8] input\n"
      "buffer dram B[8, 8] param\n"
      "buffer dram C[8, 8] output\n\n"
      "kernel C:\n"
      "  for m in 0..8:\n"
      "    for n in 0..8:\n"
      "      C[m, n] = 0\n"
      "  for m in 0..2:\n"
      "    for k in 0..2:\n"
      "      for n in 0..8:\n"
      "        C[4 * m + 0, n] += ((((A[4 * m + 0, 4 * k + 0] * B[4 * k + 0, n]) + "
      "(A[4 * m + 0, 4 * k + 1] * B[4 * k + 1, n])) + (A[4 * m + 0, 4 * k + 2] * B[4 * k + 2, "
      "n])) + (A[4 * m + 0, 4 * k + 3] * B[4 * k + 3, n]))\n"
      "        C[4 * m + 1, n] += ((((A[4 * m + 1, 4 * k + 0] * B[4 * k + 0, n]) + "
      "(A[4 * m + 1, 4 * k + 1] * B[4 * k + 1, n])) + (A[4 * m + 1, 4 * k + 2] * B[4 * k + 2, "
      "n])) + (A[4 * m + 1, 4 * k + 3] * B[4 * k + 3, n]))\n"
      "        C[4 * m + 2, n] += ((((A[4 * m + 2, 4 * k + 0] * B[4 * k + 0, n]) + "
      "(A[4 * m + 2, 4 * k + 1] * B[4 * k + 1, n])) + (A[4 * m + 2, 4 * k + 2] * B[4 * k + 2, "
      "n])) + (A[4 * m + 2, 4 * k + 3] * B[4 * k + 3, n]))\n"
      "        C[4 * m + 3, n] += ((((A[4 * m + 3, 4 * k + 0] * B[4 * k + 0, n]) + "
      "(A[4 * m + 3, 4 * k + 1] * B[4 * k + 1, n])) + (A[4 * m + 3, 4 * k + 2] * B[4 * k + 2, "
      "n])) + (A[4 * m + 3, 4 * k + 3] * B[4 * k + 3, n]))\n");
  free(text);
  prog_free(&g);

  /* A function of a reduction: one temporary per output element. */
  prog_init(&g, epilogue_text, &trivial, 0, 1);
  text = listing(g.p);
  ck_assert_msg(strstr(text, "      t0 = 0\n      for e in 0..20:\n"), "%s", text);
  free(text);
  prog_free(&g);
}
END_TEST

static Suite *lower_suite(void) {
  Suite *s = suite_create("lower");
  TCase *tc = tcase_create("tiling");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_matmul_tails);
  tcase_add_test(tc, test_matmul_column_tiles);
  tcase_add_test(tc, test_matmul_small);
  tcase_add_test(tc, test_matmul_tiled_shape);
  suite_add_tcase(s, tc);
  tc = tcase_create("epilogue");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_epilogue_values);
  tcase_add_test(tc, test_epilogue_shape);
  tcase_add_test(tc, test_epilogue_not_taken);
  tcase_add_test(tc, test_reduction_epilogues);
  suite_add_tcase(s, tc);
  tc = tcase_create("trivial");
  tcase_add_test(tc, test_trivial_unchanged);
  tcase_add_test(tc, test_loop_verify);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suites(lower_suite(), NULL); }
