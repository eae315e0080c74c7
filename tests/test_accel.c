/* Unit tests of the accelerator backend, in memory: small programs that take
 * the DMA's and the generator's less common paths (transposed, descending,
 * divided and two-variable indices, scalar outputs, stepwise recurrences),
 * run on the simulator against C loops, on the default machine and on a
 * tiny one; the compile errors; the listing's round trip; and double
 * buffering in the timing model. Inputs come from the seeded generator the
 * simulator uses (runtime/rng.h), so the references see the same values. */
#define _GNU_SOURCE /* open_memstream */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/accel/accel.h"
#include "frontend/frontend.h"
#include "passes/passes.h"
#include "runtime/asm.h"
#include "runtime/rng.h"
#include "runtime/sim.h"
#include "tests/testutil.h"

static const char small_arch[] = "name: tiny\nclock_ghz: 1.0\n"
                                 "matrix:\n  rows: 8\n  cols: 4\n  latency: 32\n"
                                 "vector:\n  lanes: 8\n  latency: 4\n  special_cycles: 4\n"
                                 "  special_latency: 16\n"
                                 "scan:\n  lanes: 16\n  latency: 4\n"
                                 "buffer:\n  bytes: 1024\n  banks: 4\n"
                                 "dram:\n  bytes_per_cycle: 32\n  burst_bytes: 64\n  latency: 100\n"
                                 "  capacity_bytes: 1073741824\n"
                                 "tokens:\n  depth: 8\n"
                                 "energy:\n  dram_pj_per_byte: 31.2\n  buffer_pj_per_byte: 2.5\n"
                                 "  mac_pj: 4.6\n  vector_op_pj: 0.9\n  special_pj: 15\n"
                                 "  scan_step_pj: 4.6\n";

static void get_arch(Arch *a, bool tiny) {
  char msg[300];
  if (!tiny)
    arch_default(a);
  else
    ck_assert_msg(arch_parse(a, "tiny", small_arch, strlen(small_arch), msg, sizeof msg), "%s",
                  msg);
}

/* The pipeline for the accelerator, then its backend. */
static bool accel_compile_model(Cascade *c, const Arch *arch, Fusion fusion, Arena *arena,
                                Diag *diag, AccelProgram *ap) {
  Compilation cc = {.cascade = c,
                    .target = TARGET_ACCEL,
                    .arch = arch,
                    .fusion = fusion,
                    .arena = arena,
                    .diag = diag};
  return pipeline_run(&cc, NULL) && accel_compile(cc.loops, cc.mapping, arch, ap, diag);
}

/* Compiles `src`; on failure returns false with the diagnostics in *err. */
static bool compile(const char *src, const Arch *arch, AccelProgram *ap, char **err) {
  Arena arena;
  arena_init(&arena);
  size_t len;
  FILE *f = open_memstream(err, &len);
  Diag diag;
  diag_init(&diag, f);
  Cascade *c = frontend_compile_text("t.ein", src, strlen(src), NULL, 0, &arena, &diag);
  ck_assert_ptr_nonnull(c);
  bool ok = accel_compile_model(c, arch, FUSION_NONE, &arena, &diag, ap);
  fclose(f);
  arena_free(&arena);
  return ok;
}

typedef struct AccelRun {
  AccelProgram ap;
  Sim *sim;
  SimStats st;
} AccelRun;

/* Every input and param without embedded data, from seed 0 (as einsim). */
static void seed_inputs(Sim *sim, const Ebin *b) {
  for (size_t i = 0; i < b->tensor_count; i++) {
    const EbinTensor *t = &b->tensors[i];
    if ((t->role == EBIN_ROLE_INPUT || t->role == EBIN_ROLE_PARAM) && !t->data)
      rng_fill(sim_tensor_data(sim, t), ebin_tensor_elems(t), 0, t->name);
  }
}

/* Compiles and runs src on the simulator (seed 0 inputs). */
static void run(const char *src, bool tiny, AccelRun *r) {
  Arch arch;
  get_arch(&arch, tiny);
  char *err = NULL, msg[600];
  ck_assert_msg(compile(src, &arch, &r->ap, &err), "%s", err);
  free(err);
  ck_assert_msg(sim_check(&r->ap.bin, &arch, msg, sizeof msg), "%s", msg);
  SimOptions opt = {true, NULL, false};
  r->sim = sim_new(&r->ap.bin, &arch, &opt);
  seed_inputs(r->sim, &r->ap.bin);
  ck_assert_msg(sim_run(r->sim, &r->st, msg, sizeof msg), "%s", msg);
  ck_assert_uint_eq(r->st.stray_tokens, 0);
}

static const float *tensor(AccelRun *r, const char *name) {
  const EbinTensor *t = ebin_find_tensor(&r->ap.bin, name);
  ck_assert_ptr_nonnull(t);
  return sim_tensor_data(r->sim, t);
}

static void finish(AccelRun *r) {
  sim_free(r->sim);
  accel_free(&r->ap);
}

static float *seeded(const char *name, size_t n) {
  float *v = malloc(n * sizeof *v);
  rng_fill(v, n, 0, name);
  return v;
}

static void expect_near(const float *got, const double *want, size_t n, const char *what) {
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(fabs(got[i] - want[i]) <= 1e-5 + 1e-4 * fabs(want[i]),
                  "%s[%zu] = %.9g, expected %.9g", what, i, got[i], want[i]);
}

/* Transposed, descending, divided and two-variable reads, with padding. */
START_TEST(unusual_indices) {
  const char *src = "let N = 37, M = 23\n"
                    "input x[M, N]\ninput v[N]\n"
                    "output t[N, M]\noutput r[N]\noutput d[N, M]\noutput s[N, M]\n"
                    "t[i, j] = x[j, i]\n"
                    "r[i] = v[N - 1 - i] + v[i - 3]\n"
                    "d[i, j] = v[i / 2] * x[j, i % 5]\n"
                    "s[i, j] = v[i + j - 20] - x[j, i - j]\n";
  AccelRun r;
  run(src, _i, &r);
  enum { N = 37, M = 23 };
  float *x = seeded("x", M * N), *v = seeded("v", N);
  double t[N * M], rr[N], d[N * M], s[N * M];
  for (int i = 0; i < N; i++) {
    rr[i] = v[N - 1 - i] + (i - 3 >= 0 ? v[i - 3] : 0);
    for (int j = 0; j < M; j++) {
      t[i * M + j] = x[j * N + i];
      d[i * M + j] = (double)v[i / 2] * x[j * N + i % 5];
      int k = i + j - 20, c = i - j;
      s[i * M + j] = (k >= 0 && k < N ? v[k] : 0) - (c >= 0 ? x[j * N + c] : 0);
    }
  }
  expect_near(tensor(&r, "t"), t, N * M, "t");
  expect_near(tensor(&r, "r"), rr, N, "r");
  expect_near(tensor(&r, "d"), d, N * M, "d");
  expect_near(tensor(&r, "s"), s, N * M, "s");
  free(x);
  free(v);
  finish(&r);
}
END_TEST

/* Scalar outputs, two-variable reductions, constants on the left, index
 * values on both axes. */
START_TEST(reductions_and_constants) {
  const char *src = "let N = 19, M = 45\n"
                    "input x[N, M]\n"
                    "output total\noutput cmax[M]\noutput e[N, M]\n"
                    "total = sum(i, j: x[i, j])\n"
                    "cmax[j] = max(i: x[i, j])\n"
                    "e[i, j] = select(x[i, j] > 0.25, 1 - x[i, j], 2 / (i + j + 1))\n";
  AccelRun r;
  run(src, _i, &r);
  enum { N = 19, M = 45 };
  float *x = seeded("x", N * M);
  double total = 0, cmax[M], e[N * M];
  for (int j = 0; j < M; j++)
    cmax[j] = -INFINITY;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < M; j++) {
      float v = x[i * M + j];
      total += v;
      cmax[j] = fmax(cmax[j], v);
      e[i * M + j] = v > 0.25f ? 1.0 - v : 2.0 / (i + j + 1);
    }
  expect_near(tensor(&r, "total"), &total, 1, "total");
  expect_near(tensor(&r, "cmax"), cmax, M, "cmax");
  expect_near(tensor(&r, "e"), e, N * M, "e");
  free(x);
  finish(&r);
}
END_TEST

/* Recurrences: on the scan unit (with init, and a prefix sum), and stepwise
 * (two offsets, a nonlinear one). */
START_TEST(recurrences) {
  const char *src = "let T = 41, C = 7\n"
                    "input a[T, C]\ninput b[T, C]\ninput h0[C]\n"
                    "output h[T, C]\noutput p[T]\noutput f[T]\noutput m[T, C]\n"
                    "h[t, c] = a[t, c] * h[t - 1, c] + b[t, c] init h0[c]\n"
                    "p[t] = p[t - 1] + a[t, 0]\n"
                    "f[t] = 0.5 * f[t - 1] + 0.25 * f[t - 2] + b[t, 1]\n"
                    "m[t, c] = max(m[t - 1, c], a[t, c]) init -1\n";
  AccelRun r;
  run(src, _i, &r);
  enum { T = 41, C = 7 };
  float *a = seeded("a", T * C), *b = seeded("b", T * C), *h0 = seeded("h0", C);
  double h[T * C], p[T], f[T], m[T * C];
  for (int t = 0; t < T; t++) {
    p[t] = (t ? p[t - 1] : 0) + a[t * C];
    f[t] = 0.5 * (t >= 1 ? f[t - 1] : 0) + 0.25 * (t >= 2 ? f[t - 2] : 0) + b[t * C + 1];
    for (int c = 0; c < C; c++) {
      h[t * C + c] = a[t * C + c] * (t ? h[(t - 1) * C + c] : h0[c]) + b[t * C + c];
      m[t * C + c] = fmax(t ? m[(t - 1) * C + c] : -1, a[t * C + c]);
    }
  }
  expect_near(tensor(&r, "h"), h, T * C, "h");
  expect_near(tensor(&r, "p"), p, T, "p");
  expect_near(tensor(&r, "f"), f, T, "f");
  expect_near(tensor(&r, "m"), m, T * C, "m");
  free(a);
  free(b);
  free(h0);
  finish(&r);
}
END_TEST

/* Regression: a stepwise recurrence whose loads wait for vector readers of
 * slots many tiles back filled the vector-to-load token queue, and the
 * load of h[l-2] waited behind it for the previous store: einsim deadlocked. */
START_TEST(token_queues_do_not_overflow) {
  AccelRun r;
  run("let L = 10\ninput x[L]\noutput h[L]\nh[l] = h[l-2] * (x[l] + (x[l] + x[l])) + 1\n", _i, &r);
  enum { L = 10 };
  float *x = seeded("x", L);
  double h[L];
  for (int l = 0; l < L; l++)
    h[l] = (l >= 2 ? h[l - 2] : 0) * ((double)x[l] + ((double)x[l] + x[l])) + 1;
  expect_near(tensor(&r, "h"), h, L, "h");
  free(x);
  finish(&r);
}
END_TEST

/* Regression: a scalar Einsum between two others re-cut the buffer into two
 * one-word slots and forgot the hazards of the words past them, so the next
 * Einsum overwrote a tile the first one's store was still reading. */
START_TEST(hazards_survive_small_einsums) {
  AccelRun r;
  run("let B = 2, C = 8\ninput w[B]\noutput y0[C]\noutput y1\noutput y2[B, C]\n"
      "y0[i] = y0[i - 1] + 0.5\ny1 = 3\ny2[i, j] = max(r: w[r] + w[i])\n",
      _i, &r);
  float *w = seeded("w", 2);
  double y0[8], y1 = 3, y2[16];
  for (int i = 0; i < 8; i++)
    y0[i] = 0.5 * (i + 1);
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 8; j++)
      y2[i * 8 + j] = fmax((double)w[0] + w[i], (double)w[1] + w[i]);
  expect_near(tensor(&r, "y0"), y0, 8, "y0");
  expect_near(tensor(&r, "y1"), &y1, 1, "y1");
  expect_near(tensor(&r, "y2"), y2, 16, "y2");
  free(w);
  finish(&r);
}
END_TEST

/* The listing is einasm text that reassembles to the same binary. */
START_TEST(listing_reassembles) {
  char *path = str_printf("%s/examples/mamba1_layer.ein", test_srcdir());
  Arena arena;
  arena_init(&arena);
  Diag diag;
  diag_init(&diag, stderr);
  Cascade *c = frontend_compile_file(path, NULL, 0, &arena, &diag);
  ck_assert_ptr_nonnull(c);
  Arch arch;
  arch_default(&arch);
  AccelProgram ap;
  ck_assert(accel_compile_model(c, &arch, FUSION_NONE, &arena, &diag, &ap));
  char *text;
  size_t len;
  FILE *f = open_memstream(&text, &len);
  accel_print(&ap, f);
  fclose(f);
  ck_assert_ptr_nonnull(strstr(text, "# einsum 2: xc tile l=0..63 e=0..63\n"));
  Ebin back;
  char msg[600];
  ck_assert_msg(asm_assemble("listing", text, len, arch_hash(&arch), &back, msg, sizeof msg), "%s",
                msg);
  ck_assert_uint_eq(back.instr_count, ap.bin.instr_count);
  ck_assert_int_eq(memcmp(back.code, ap.bin.code, ap.bin.instr_count * ISA_BYTES), 0);
  ck_assert_uint_eq(back.tensor_count, ap.bin.tensor_count);
  ebin_free(&back);
  free(text);
  accel_free(&ap);
  arena_free(&arena);
  free(path);
}
END_TEST

START_TEST(dram_overflow_is_an_error) {
  Arch arch;
  arch_default(&arch);
  AccelProgram ap;
  char *err = NULL;
  ck_assert(!compile("input x[268435456]\noutput y[268435456]\ny[i] = x[i]\n", &arch, &ap, &err));
  ck_assert_str_eq(err, "t.ein:2:8: error: 'y' (1073741824 bytes) does not fit in DRAM: the "
                        "tensors up to it need 2147483648 bytes, more than the 1073741824 the "
                        "architecture has (dram.capacity_bytes, and at most 4 GiB for the DMA's "
                        "addresses)\n");
  free(err);
}
END_TEST

START_TEST(too_many_tiles_is_an_error) {
  /* A right-nested sum keeps one more operand live per level. */
  char src[8192];
  int n = snprintf(src, sizeof src, "input x[8]\noutput y[8]\ny[i] = x[i]");
  for (int k = 0; k < 300; k++)
    n += snprintf(src + n, sizeof src - (size_t)n, " + (x[i]");
  for (int k = 0; k < 300; k++)
    n += snprintf(src + n, sizeof src - (size_t)n, ")");
  snprintf(src + n, sizeof src - (size_t)n, "\n");
  Arch arch;
  get_arch(&arch, true);
  AccelProgram ap;
  char *err = NULL;
  ck_assert(!compile(src, &arch, &ap, &err));
  ck_assert_str_eq(err, "t.ein:3:1: error: the Einsum defining 'y' needs 302 on-chip tiles at "
                        "once, but the buffer has only 240 words for tiles (buffer.bytes = "
                        "1024)\n");
  free(err);
}
END_TEST

/* Regression (fuzz/fuzz_ein.c): regions_needed looked at a one-operand
 * node's operand twice per level once it needed more than 2 slots, 2^depth
 * in all: 106 minus signs over a max took more than the fuzzer's 10 s, and
 * 60 abs over a sum would never finish. */
START_TEST(deep_unary_chain_compiles_at_once) {
  Arch arch;
  arch_default(&arch);
  char src[1024];
  int n = snprintf(src, sizeof src, "input x[4]\noutput y[4]\ny[i] = ");
  for (int i = 0; i < 60; i++)
    n += snprintf(src + n, sizeof src - (size_t)n, "abs(");
  n += snprintf(src + n, sizeof src - (size_t)n, "x[i] + 1");
  for (int i = 0; i < 60; i++)
    n += snprintf(src + n, sizeof src - (size_t)n, ")");
  snprintf(src + n, sizeof src - (size_t)n, "\n");
  AccelProgram ap;
  char *err = NULL;
  ck_assert_msg(compile(src, &arch, &ap, &err), "%s", err);
  free(err);
  accel_free(&ap);
}
END_TEST

/* Regression: a program that unrolls past the limit used to run the
 * compiler out of memory (a random program with three nested 70-long
 * reductions was killed); now it stops at the limit with a message. */
START_TEST(instruction_limit_is_an_error) {
  Arch arch;
  arch_default(&arch);
  AccelProgram ap;
  char *err = NULL;
  size_t saved = accel_instr_limit;
  accel_instr_limit = 1000;
  bool ok = compile("let N = 64\ninput x[N, N]\noutput y[N, N]\n"
                    "y[i, j] = sum(a, b: x[a, b] * x[i, j])\n",
                    &arch, &ap, &err);
  accel_instr_limit = saved;
  ck_assert(!ok);
  ck_assert_str_eq(err, "t.ein:4:1: error: the Einsum defining 'y' takes the program past 1000 "
                        "instructions, the most a binary holds; the instruction stream is "
                        "unrolled, so use smaller sizes (-D)\n");
  free(err);
}
END_TEST

/* Double buffering: with many tiles, the loads of one overlap the matrix
 * work of another, so the run is shorter than the two units' busy time. */
START_TEST(loads_overlap_compute) {
  AccelRun r;
  run("let N = 256\ninput a[N, N]\ninput b[N, N]\noutput c[N, N]\n"
      "c[i, j] = a[i, k] * b[k, j]\n",
      false, &r);
  ck_assert_uint_lt(r.st.cycles, r.st.unit[UNIT_LOAD].busy + r.st.unit[UNIT_MATRIX].busy);
  ck_assert_uint_gt(r.st.unit[UNIT_MATRIX].busy, 0);
  finish(&r);
}
END_TEST

/* ---- tensors of any rank (issue 14) ---- */

/* A comma-separated list of n names PREFIX0, PREFIX1, ... (malloc'ed). */
static char *var_list(const char *prefix, int from, int n) {
  char *s = str_printf("%s", "");
  for (int i = from; i < from + n; i++) {
    char *t = str_printf("%s%s%s%d", s, i > from ? ", " : "", prefix, i);
    free(s);
    s = t;
  }
  return s;
}

/* A comma-separated list of the n dims (malloc'ed). */
static char *dim_list(const int64_t *dims, int n) {
  char *s = str_printf("%s", "");
  for (int i = 0; i < n; i++) {
    char *t = str_printf("%s%s%lld", s, i ? ", " : "", (long long)dims[i]);
    free(s);
    s = t;
  }
  return s;
}

/* The binary's entry for `name` has exactly the given shape. */
static void expect_shape(AccelRun *r, const char *name, const int64_t *dims, int rank) {
  const EbinTensor *t = ebin_find_tensor(&r->ap.bin, name);
  ck_assert_ptr_nonnull(t);
  ck_assert_uint_eq(t->rank, (uint32_t)rank);
  for (int d = 0; d < rank; d++)
    ck_assert_msg(t->dims[d] == (uint32_t)dims[d], "%s: dimension %d is %u, expected %lld", name, d,
                  t->dims[d], (long long)dims[d]);
}

/* The example: a read of rank 9 with a rank used twice and one
 * three times, refused as "'x1' has rank 9; the accelerator takes at most
 * 8" before. The binary keeps its shape. */
START_TEST(rank_nine_read) {
  AccelRun r;
  run("input x0[4, 3, 2]\ninput x1[2, 3, 2, 2, 4, 2, 3, 2, 4]\noutput out[3, 2]\n"
      "out[e, f] = x0[g, a, h] * x1[c, d, b, c, g, h, e, f, g]\n",
      _i, &r);
  const int64_t x1_dims[] = {2, 3, 2, 2, 4, 2, 3, 2, 4}, out_dims[] = {3, 2};
  expect_shape(&r, "x1", x1_dims, 9);
  expect_shape(&r, "out", out_dims, 2);
  float *x0 = seeded("x0", 4 * 3 * 2), *x1 = seeded("x1", 2 * 3 * 2 * 2 * 4 * 2 * 3 * 2 * 4);
  double out[3 * 2] = {0};
  for (int e = 0; e < 3; e++)
    for (int f = 0; f < 2; f++)
      for (int a = 0; a < 3; a++)
        for (int b = 0; b < 2; b++)
          for (int c = 0; c < 2; c++)
            for (int d = 0; d < 3; d++)
              for (int g = 0; g < 4; g++)
                for (int h = 0; h < 2; h++) {
                  size_t i1 =
                      (((((((c * 3 + d) * 2 + b) * 2 + c) * 4 + g) * 2 + h) * 3 + e) * 2 + f) * 4 +
                      g;
                  out[e * 2 + f] += (double)x0[(g * 3 + a) * 2 + h] * x1[i1];
                }
  expect_near(tensor(&r, "out"), out, 6, "out");
  free(x0);
  free(x1);
  finish(&r);
}
END_TEST

/* Ranks 12 and 20: an output of rank 12 keeps its shape; an input and an
 * intermediate of rank 20 are recorded with their first five dimensions
 * merged (16 remain), which changes no element's place. */
START_TEST(ranks_twelve_and_twenty) {
  const int64_t xd[20] = {2, 1, 3, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 3};
  const int64_t yd[12] = {3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3};
  char *v20 = var_list("v", 0, 20), *d20 = dim_list(xd, 20), *d12 = dim_list(yd, 12);
  /* y[v2, v5, v6..v13, v17, v19]: the rest summed */
  char *v6_13 = var_list("v", 6, 8), *y_index = str_printf("v2, v5, %s, v17, v19", v6_13);
  char *src = str_printf("input x[%s]\ntensor t[%s]\noutput y[%s]\n"
                         "t[%s] = x[%s] * 2 + 1\ny[%s] = t[%s] * x[%s]\n",
                         d20, d20, d12, v20, v20, y_index, v20, v20);
  AccelRun r;
  run(src, _i, &r);
  int64_t m16[16] = {2 * 1 * 3 * 1 * 1}; /* the first five merged, then the last 15 */
  for (int d = 1; d < 16; d++)
    m16[d] = xd[d + 4];
  expect_shape(&r, "x", m16, 16);
  expect_shape(&r, "t", m16, 16);
  expect_shape(&r, "y", yd, 12);
  enum { NX = 2 * 3 * 2 * 2 * 3 };
  float *x = seeded("x", NX);
  double y[3 * 2 * 2 * 3] = {0};
  /* x's index (v0, v2, v5, v17, v19); y's (v2, v5, v17, v19) */
  for (int v0 = 0; v0 < 2; v0++)
    for (int v2 = 0; v2 < 3; v2++)
      for (int v5 = 0; v5 < 2; v5++)
        for (int v17 = 0; v17 < 2; v17++)
          for (int v19 = 0; v19 < 3; v19++) {
            double xv = x[(((v0 * 3 + v2) * 2 + v5) * 2 + v17) * 3 + v19];
            y[((v2 * 2 + v5) * 2 + v17) * 3 + v19] += (xv * 2 + 1) * xv;
          }
  expect_near(tensor(&r, "y"), y, sizeof y / sizeof y[0], "y");
  free(x);
  finish(&r);
  free(src);
  free(y_index);
  free(v6_13);
  free(d12);
  free(d20);
  free(v20);
}
END_TEST

/* More reduced variables than the 16 the backend stepped (more made it an
 * error): 40, all but three of extent 1. */
START_TEST(forty_reduced_variables) {
  char *rv = var_list("r", 0, 40), *zv = var_list("r", 1, 39);
  int64_t zd[39];
  for (int d = 0; d < 39; d++)
    zd[d] = d < 2 ? 2 : 1;
  char *zdims = dim_list(zd, 39);
  char *src = str_printf("input x[2, 4]\ninput z[%s]\noutput y[4]\n"
                         "y[i] = sum(%s: x[r0, i] * z[%s] + x[r2, i])\n",
                         zdims, rv, zv);
  AccelRun r;
  run(src, _i, &r);
  float *x = seeded("x", 8), *z = seeded("z", 4);
  double y[4] = {0};
  for (int i = 0; i < 4; i++)
    for (int r0 = 0; r0 < 2; r0++)
      for (int r1 = 0; r1 < 2; r1++)
        for (int r2 = 0; r2 < 2; r2++)
          y[i] += (double)x[r0 * 4 + i] * z[r1 * 2 + r2] + x[r2 * 4 + i];
  expect_near(tensor(&r, "y"), y, 4, "y");
  free(x);
  free(z);
  finish(&r);
  free(src);
  free(zdims);
  free(zv);
  free(rv);
}
END_TEST

/* An output of rank 70: the tiling pass orders at most 64 left-hand ranks,
 * and the backend steps the ones it leaves out (v66 has extent 2) instead
 * of failing with "index not computable with every variable fixed". */
START_TEST(rank_seventy_output) {
  int64_t dims[70];
  for (int d = 0; d < 70; d++)
    dims[d] = d == 0 ? 3 : d == 66 ? 2 : d == 69 ? 4 : 1;
  char *v = var_list("v", 0, 70), *ds = dim_list(dims, 70);
  char *src =
      str_printf("input x[%s]\ninput w[4]\noutput y[%s]\ny[%s] = x[%s] * w[v69]\n", ds, ds, v, v);
  AccelRun r;
  run(src, _i, &r);
  float *x = seeded("x", 24), *w = seeded("w", 4);
  double y[24];
  for (int i = 0; i < 24; i++)
    y[i] = (double)x[i] * w[i % 4];
  expect_near(tensor(&r, "y"), y, 24, "y");
  free(x);
  free(w);
  finish(&r);
  free(src);
  free(ds);
  free(v);
}
END_TEST

/* One example compiled with or without rolling into loops, run on seeded
 * inputs: its stats and every output. */
typedef struct ExampleRun {
  AccelProgram ap;
  SimStats st;
  float **outputs;
} ExampleRun;

static void run_example(const char *file, const Arch *arch, Fusion fusion, bool roll,
                        ExampleRun *r) {
  char *path = str_printf("%s/%s", test_srcdir(), file);
  Arena arena;
  arena_init(&arena);
  Diag diag;
  diag_init(&diag, stderr);
  Cascade *c = frontend_compile_file(path, NULL, 0, &arena, &diag);
  ck_assert_ptr_nonnull(c);
  bool saved = accel_roll_loops;
  accel_roll_loops = roll;
  ck_assert_msg(accel_compile_model(c, arch, fusion, &arena, &diag, &r->ap), "%s", file);
  accel_roll_loops = saved;
  char msg[600];
  ck_assert_msg(sim_check(&r->ap.bin, arch, msg, sizeof msg), "%s: %s", file, msg);
  SimOptions opt = {true, NULL, false};
  Sim *sim = sim_new(&r->ap.bin, arch, &opt);
  const Ebin *b = &r->ap.bin;
  seed_inputs(sim, b);
  ck_assert_msg(sim_run(sim, &r->st, msg, sizeof msg), "%s: %s", file, msg);
  r->outputs = calloc(b->tensor_count + 1, sizeof *r->outputs);
  for (size_t i = 0; i < b->tensor_count; i++) {
    const EbinTensor *t = &b->tensors[i];
    if (t->role != EBIN_ROLE_OUTPUT)
      continue;
    size_t n = ebin_tensor_elems(t);
    r->outputs[i] = malloc(n * sizeof(float) + 1);
    memcpy(r->outputs[i], sim_tensor_data(sim, t), n * sizeof(float));
  }
  sim_free(sim);
  arena_free(&arena);
  free(path);
}

static void example_free(ExampleRun *r) {
  for (size_t i = 0; i < r->ap.bin.tensor_count; i++)
    free(r->outputs[i]);
  free(r->outputs);
  accel_free(&r->ap);
}

/* Rolling into loops changes the binary, not the run: every example on
 * both machines, fused and not, gives bit for bit the same outputs and the
 * same cycles, DRAM traffic, expanded instruction count, live data and
 * energy as the emitted form, from no more static instructions. */
START_TEST(rolled_runs_as_emitted) {
  static const char *const files[] = {
      "examples/matmul.ein",      "examples/softmax.ein",        "examples/rmsnorm.ein",
      "examples/conv1d_silu.ein", "examples/mamba_scan.ein",     "examples/mamba1_layer.ein",
      "examples/mamba2_ssd.ein",  "examples/attention.ein",      "examples/hyena.ein",
      "examples/dft.ein",         "examples/mamba1/prefill.ein", "examples/mamba1/step.ein"};
  size_t rolled = 0, emitted = 0;
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++)
    for (int tiny = 0; tiny < 2; tiny++)
      for (int fused = 0; fused < 2; fused++) {
        Arch arch;
        get_arch(&arch, tiny);
        Fusion fusion = fused ? FUSION_AUTO : FUSION_NONE;
        ExampleRun a, b;
        run_example(files[f], &arch, fusion, false, &a);
        run_example(files[f], &arch, fusion, true, &b);
        ck_assert_msg(b.ap.bin.instr_count <= a.ap.bin.instr_count, "%s", files[f]);
        rolled += b.ap.bin.instr_count;
        emitted += a.ap.bin.instr_count;
        ck_assert_msg(a.st.cycles == b.st.cycles,
                      "%s (tiny %d, fused %d): %llu cycles rolled, %llu emitted", files[f], tiny,
                      fused, (unsigned long long)b.st.cycles, (unsigned long long)a.st.cycles);
        ck_assert_uint_eq(a.st.instrs, b.st.instrs);
        ck_assert_uint_eq(a.st.dram_read_transferred, b.st.dram_read_transferred);
        ck_assert_uint_eq(a.st.dram_write_bytes, b.st.dram_write_bytes);
        ck_assert_uint_eq(a.st.peak_live_bytes, b.st.peak_live_bytes);
        ck_assert(a.st.energy_pj == b.st.energy_pj);
        for (size_t i = 0; i < a.ap.bin.tensor_count; i++)
          if (a.outputs[i])
            ck_assert_msg(memcmp(a.outputs[i], b.outputs[i],
                                 ebin_tensor_elems(&a.ap.bin.tensors[i]) * sizeof(float)) == 0,
                          "%s: output %s differs", files[f], a.ap.bin.tensors[i].name);
        example_free(&a);
        example_free(&b);
      }
  fprintf(stderr, "rolled_runs_as_emitted: %zu static instructions rolled, %zu emitted\n", rolled,
          emitted);
  ck_assert_msg(rolled < emitted, "%zu rolled of %zu emitted", rolled, emitted);
}
END_TEST

int main(void) {
  Suite *s = suite_create("accel");
  TCase *tc = tcase_create("programs");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, unusual_indices, 0, 2);
  tcase_add_loop_test(tc, reductions_and_constants, 0, 2);
  tcase_add_loop_test(tc, recurrences, 0, 2);
  tcase_add_loop_test(tc, token_queues_do_not_overflow, 0, 2);
  tcase_add_loop_test(tc, hazards_survive_small_einsums, 0, 2);
  tcase_add_loop_test(tc, rank_nine_read, 0, 2);
  tcase_add_loop_test(tc, ranks_twelve_and_twenty, 0, 2);
  tcase_add_loop_test(tc, forty_reduced_variables, 0, 2);
  tcase_add_loop_test(tc, rank_seventy_output, 0, 2);
  tcase_add_test(tc, listing_reassembles);
  tcase_add_test(tc, dram_overflow_is_an_error);
  tcase_add_test(tc, too_many_tiles_is_an_error);
  tcase_add_test(tc, instruction_limit_is_an_error);
  tcase_add_test(tc, deep_unary_chain_compiles_at_once);
  tcase_add_test(tc, loads_overlap_compute);
  tcase_add_test(tc, rolled_runs_as_emitted);
  suite_add_tcase(s, tc);
  return run_suites(s, NULL);
}
