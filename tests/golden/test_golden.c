/* Golden tests of both backends, for every case in tests/golden/cases.txt:
 * - the CPU target: `einc run MODEL --input ... --outdir TMP` must reproduce
 *   each NumPy-computed output in CASE/out/ within
 *       |got - expected| <= ATOL * max(1, max|expected|) + RTOL * |expected|
 *   (RTOL = 1e-4, ATOL = 1e-5: binary32 arithmetic, reassociated sums and
 *   libm/libmvec functions against a float64 reference);
 * - the float64 CPU run (`--precision f64`), the reference einc check uses,
 *   must reproduce them by the same tolerance (it computes from the
 *   program's binary32 constants, and a few fixtures are NumPy's float32);
 * - the accelerator (default machine and arch/small.yaml, fused and not) is
 *   judged by `einc check` on the same inputs: per element against that
 *   float64 run, within a few times the float32 CPU's own error there
 *   (driver/check_rule.c, docs/cli-notes.md).
 * Also: bad .npy inputs and shape mismatches are rejected with a message and
 * exit 1. */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/npy.h"
#include "tests/golden/compare.h"
#include "tests/testutil.h"

typedef struct Case {
  char name[64];
  char model[256];
} Case;

static Case cases[64];
static int ncases;

static void load_cases(void) {
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/golden/cases.txt", test_srcdir());
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(1);
  }
  char line[512];
  while (fgets(line, sizeof line, f) && ncases < 64) {
    if (line[0] == '#')
      continue;
    if (sscanf(line, "%63s %255s", cases[ncases].name, cases[ncases].model) == 2)
      ncases++;
  }
  fclose(f);
}

/* Runs a shell command; returns its exit status (-1 if it did not exit). */
static int run(const char *cmd) {
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *make_tmpdir(void) {
  char *dir = make_temp_dir("einc-golden");
  ck_assert_ptr_nonnull(dir);
  return dir;
}

/* `einc VERB MODEL EXTRA` with every input of case c, writing into tmp
 * (run's --outdir) and its standard output and error into tmp/log. */
static int run_einc_case(const Case *c, const char *verb, const char *extra, const char *tmp) {
  const char *src = test_srcdir();
  char in_dir[4096];
  snprintf(in_dir, sizeof in_dir, "%s/tests/golden/%s/in", src, c->name);
  int n;
  char **inputs = list_files(in_dir, ".npy", &n);
  ck_assert_int_gt(n, 0);
  size_t cap = 8192 + (size_t)n * 4300;
  char *cmd = malloc(cap);
  int len = snprintf(cmd, cap, "'%s' %s '%s/%s' %s", test_einc(), verb, src, c->model, extra);
  if (strcmp(verb, "run") == 0)
    len += snprintf(cmd + len, cap - (size_t)len, " --outdir '%s'", tmp);
  for (int i = 0; i < n; i++) {
    inputs[i][strlen(inputs[i]) - 4] = '\0'; /* the tensor's name */
    len += snprintf(cmd + len, cap - (size_t)len, " --input '%s=%s/%s.npy'", inputs[i], in_dir,
                    inputs[i]);
  }
  free_names(inputs);
  snprintf(cmd + len, cap - (size_t)len, " >'%s/log' 2>&1", tmp);
  int status = run(cmd);
  free(cmd);
  return status;
}

static void assert_ran(const Case *c, const char *verb, const char *extra, const char *tmp,
                       int status) {
  if (status == 0)
    return;
  char log[4200];
  snprintf(log, sizeof log, "%s/log", tmp);
  char *out = read_whole_file(log, NULL);
  ck_assert_msg(0, "%s: einc %s %s: exit status %d:\n%s", c->name, verb, extra, status,
                out ? out : "");
}

/* Runs case c with `einc run ... EXTRA` and compares every output with
 * NumPy's by the golden tolerance (float64 outputs when EXTRA has
 * --precision f64). */
static void run_case(const Case *c, const char *extra) {
  char *tmp = make_tmpdir();
  assert_ran(c, "run", extra, tmp, run_einc_case(c, "run", extra, tmp));
  bool f64 = strstr(extra, "--precision f64") != NULL;
  char out_dir[4096];
  snprintf(out_dir, sizeof out_dir, "%s/tests/golden/%s/out", test_srcdir(), c->name);
  int n;
  char **outputs = list_files(out_dir, ".npy", &n);
  ck_assert_int_gt(n, 0);
  for (int i = 0; i < n; i++) {
    char e[8448], g[8448];
    snprintf(e, sizeof e, "%s/%s", out_dir, outputs[i]);
    snprintf(g, sizeof g, "%s/%s", tmp, outputs[i]);
    if (f64)
      golden_compare_f64_files(c->name, e, g);
    else
      golden_compare_files(c->name, e, g);
  }
  free_names(outputs);
  remove_dir(tmp);
  free(tmp);
}

/* The accelerator on case c's inputs, judged as einc check judges it: per
 * element against einc's float64 run (which golden_f64 compares with NumPy's),
 * within a few times the float32 CPU's own error there. */
static void check_case(const Case *c, const char *extra) {
  char *tmp = make_tmpdir();
  assert_ran(c, "check", extra, tmp, run_einc_case(c, "check", extra, tmp));
  remove_dir(tmp);
  free(tmp);
}

START_TEST(golden_case) { run_case(&cases[_i], ""); }
END_TEST

/* The float64 reference that einc check judges the accelerator against. */
START_TEST(golden_f64) { run_case(&cases[_i], "--target cpu --precision f64"); }
END_TEST

/* The accelerator on the same inputs, on the default machine and on a tiny
 * one (arch/small.yaml: 4 KiB buffer, 8x4 array) that forces tiling. */
START_TEST(golden_accel) { check_case(&cases[_i], ""); }
END_TEST

START_TEST(golden_accel_small) {
  char extra[4200];
  snprintf(extra, sizeof extra, "--arch '%s/arch/small.yaml'", test_srcdir());
  check_case(&cases[_i], extra);
}
END_TEST

/* The trivial mapping (no fusion, no epilogue) on both targets: the default
 * runs above use --fusion auto. */
START_TEST(golden_unfused) {
  run_case(&cases[_i], "--fusion none");
  check_case(&cases[_i], "--fusion none");
  char extra[4200];
  snprintf(extra, sizeof extra, "--fusion none --arch '%s/arch/small.yaml'", test_srcdir());
  check_case(&cases[_i], extra);
}
END_TEST

/* einc run with one input replaced; returns the exit status, stderr in *err. */
static int run_matmul_with(const char *input_arg, char **err) {
  const char *src = test_srcdir();
  char *tmp = make_tmpdir();
  char cmd[16384];
  snprintf(cmd, sizeof cmd,
           "'%s' run '%s/examples/matmul.ein' --outdir '%s' %s 2>'%s/stderr' >/dev/null",
           test_einc(), src, tmp, input_arg, tmp);
  int status = run(cmd);
  char path[4200];
  snprintf(path, sizeof path, "%s/stderr", tmp);
  *err = read_whole_file(path, NULL);
  ck_assert_msg(*err != NULL, "cannot read %s", path);
  /* Nothing may be left behind by a rejected run. */
  snprintf(path, sizeof path, "%s/C.npy", tmp);
  if (status != 0)
    ck_assert_msg(access(path, F_OK) != 0, "a rejected run wrote %s", path);
  remove_dir(tmp);
  free(tmp);
  return status;
}

static char *write_temp_file(const void *data, size_t n) {
  char *path = strdup("/tmp/einc-npy-XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
  close(fd);
  return path;
}

START_TEST(rejects_shape_mismatch) {
  /* B is declared [48, 32]; give it A's [64, 48]. */
  char arg[4300], *err;
  snprintf(arg, sizeof arg, "--input B=%s/tests/golden/matmul/in/A.npy", test_srcdir());
  ck_assert_int_eq(run_matmul_with(arg, &err), 1);
  char want[4400];
  snprintf(want, sizeof want,
           "einc: --input B: %s: shape (64, 48) does not match the expected (48, 32)\n",
           arg + strlen("--input B="));
  ck_assert_str_eq(err, want);
  free(err);
}
END_TEST

START_TEST(rejects_bad_npy_files) {
  /* Start from a valid [48, 32] file and break it three ways. */
  uint64_t dims[2] = {48, 32};
  float *zeros = calloc(48 * 32, sizeof *zeros);
  size_t len;
  uint8_t *valid = npy_serialize(2, dims, zeros, &len);
  uint8_t *wrong_dtype = malloc(len);
  memcpy(wrong_dtype, valid, len);
  char *descr = memmem(wrong_dtype, len, "<f4", 3);
  ck_assert_ptr_nonnull(descr);
  descr[2] = '8';
  static const char garbage[] = "this is not a numpy file at all";
  const struct {
    const void *data;
    size_t n;
  } bad[] = {{garbage, sizeof garbage - 1}, {valid, len - 100}, {wrong_dtype, len}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *path = write_temp_file(bad[i].data, bad[i].n);
    char arg[4300], *err;
    snprintf(arg, sizeof arg, "--input B=%s", path);
    ck_assert_int_eq(run_matmul_with(arg, &err), 1);
    char want[4300];
    snprintf(want, sizeof want, "einc: --input B: %s: ", path);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "case %zu: %s", i, err);
    free(err);
    unlink(path);
    free(path);
  }
  free(valid);
  free(wrong_dtype);
  free(zeros);
  /* A (sparse) 5 GiB file is refused from its size, before any reading. */
  char *path = write_temp_file("x", 1);
  ck_assert_int_eq(truncate(path, (off_t)5 << 30), 0);
  char arg[4300], *err;
  snprintf(arg, sizeof arg, "--input B=%s", path);
  ck_assert_int_eq(run_matmul_with(arg, &err), 1);
  char want[4300];
  snprintf(want, sizeof want, "einc: --input B: %s: larger than 4096 MiB\n", path);
  ck_assert_str_eq(err, want);
  free(err);
  unlink(path);
  free(path);
}
END_TEST

START_TEST(rejects_unknown_input_and_missing_file) {
  char *err, expected[4300];
  ck_assert_int_eq(run_matmul_with("--input nope=x.npy", &err), 1);
  snprintf(expected, sizeof expected,
           "einc: --input nope=x.npy: %s/examples/matmul.ein has no input or param 'nope'\n",
           test_srcdir());
  ck_assert_str_eq(err, expected);
  free(err);
  /* The last --outdir wins; one that is not a directory is said before the
   * run (it was said after, as a write error). */
  ck_assert_int_eq(run_matmul_with("--outdir /nonexistent/dir", &err), 1);
  ck_assert_str_eq(err, "einc: --outdir /nonexistent/dir: No such file or directory\n");
  free(err);
  char *file_dir = str_printf("%s/examples/matmul.ein", test_srcdir());
  char *arg = str_printf("--outdir '%s'", file_dir);
  ck_assert_int_eq(run_matmul_with(arg, &err), 1);
  char *want = str_printf("einc: --outdir %s: not a directory\n", file_dir);
  ck_assert_str_eq(err, want);
  free(want);
  free(arg);
  free(file_dir);
  free(err);
  ck_assert_int_eq(run_matmul_with("--input A=/nonexistent/A.npy", &err), 1);
  ck_assert_str_eq(err,
                   "einc: --input A: /nonexistent/A.npy: cannot open: No such file or directory\n");
  free(err);
}
END_TEST

START_TEST(seeded_inputs_are_deterministic) {
  /* Same seed, same outputs; another seed, other outputs. */
  const char *src = test_srcdir();
  char *dirs[3];
  const char *seeds[3] = {"7", "7", "8"};
  for (int i = 0; i < 3; i++) {
    dirs[i] = make_tmpdir();
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' run '%s/examples/softmax.ein' --seed %s --outdir '%s' 2>/dev/null", test_einc(),
             src, seeds[i], dirs[i]);
    ck_assert_int_eq(run(cmd), 0);
  }
  NpyArray a[3];
  char msg[512];
  for (int i = 0; i < 3; i++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/y.npy", dirs[i]);
    ck_assert_msg(npy_read(path, &a[i], msg, sizeof msg), "%s", msg);
  }
  ck_assert_int_eq(memcmp(a[0].data, a[1].data, a[0].count * 4), 0);
  ck_assert_int_ne(memcmp(a[0].data, a[2].data, a[0].count * 4), 0);
  for (int i = 0; i < 3; i++) {
    npy_free(&a[i]);
    remove_dir(dirs[i]);
    free(dirs[i]);
  }
}
END_TEST

/* einc compile --target cpu: the object links into a C program through the
 * generated header, and computes the matmul of the header's convention. */
static const char driver_c[] =
    "#include <math.h>\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include \"mm.h\"\n"
    "int main(void) {\n"
    "  static float A[64 * 48], B[48 * 32], C[64 * 32];\n"
    "  for (int i = 0; i < 64 * 48; i++) A[i] = sinf((float)i);\n"
    "  for (int i = 0; i < 48 * 32; i++) B[i] = cosf(0.3f * (float)i);\n"
    "  void *ws = aligned_alloc(64, mm_WORKSPACE_BYTES + 64);\n"
    "  mm(A, B, C, ws);\n"
    "  double worst = 0;\n"
    "  for (int m = 0; m < 64; m++)\n"
    "    for (int n = 0; n < 32; n++) {\n"
    "      double s = 0;\n"
    "      for (int k = 0; k < 48; k++) s += (double)A[m * 48 + k] * B[k * 32 + n];\n"
    "      worst = fmax(worst, fabs(s - C[m * 32 + n]));\n"
    "    }\n"
    "  printf(\"%.3g\\n\", worst);\n"
    "  free(ws);\n"
    "  return worst < 1e-4 ? 0 : 3;\n"
    "}\n";

START_TEST(compiled_object_links_into_c) {
  char *tmp = make_tmpdir();
  char cmd[16384], path[4200];
  snprintf(cmd, sizeof cmd,
           "'%s' compile '%s/examples/matmul.ein' --target cpu --name mm -o '%s/mm.o'", test_einc(),
           test_srcdir(), tmp);
  ck_assert_int_eq(run(cmd), 0);
  snprintf(path, sizeof path, "%s/main.c", tmp);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(driver_c, f);
  fclose(f);
  snprintf(cmd, sizeof cmd,
           "cd '%s' && cc -std=c11 -O1 -o main main.c mm.o -lm -lmvec && ./main > result.txt", tmp);
  ck_assert_int_eq(run(cmd), 0);
  snprintf(path, sizeof path, "%s/mm.h", tmp);
  char *text = read_whole_file(path, NULL);
  ck_assert_msg(text != NULL, "cannot read %s", path);
  ck_assert_ptr_nonnull(
      strstr(text, "void mm(const float *A, const float *B, float *C, void *workspace);"));
  ck_assert_ptr_nonnull(strstr(text, "void mm_run(float **tensors);"));
  free(text);
  remove_dir(tmp);
  free(tmp);
}
END_TEST

START_TEST(compile_writes_ll_and_s) {
  char *tmp = make_tmpdir();
  char cmd[16384];
  snprintf(cmd, sizeof cmd,
           "'%s' compile '%s/examples/softmax.ein' --target cpu -o '%s/sm.ll' && "
           "grep -q '^define void @softmax_run(ptr' '%s/sm.ll' && "
           "'%s' compile '%s/examples/softmax.ein' --target cpu -o '%s/sm.s' && "
           "grep -q 'softmax_run:' '%s/sm.s' && test -f '%s/sm.h'",
           test_einc(), test_srcdir(), tmp, tmp, test_einc(), test_srcdir(), tmp, tmp, tmp);
  ck_assert_int_eq(run(cmd), 0);
  /* An unknown suffix is a usage error, and nothing is written. */
  snprintf(cmd, sizeof cmd,
           "'%s' compile '%s/examples/softmax.ein' --target cpu -o '%s/sm.exe' 2>/dev/null",
           test_einc(), test_srcdir(), tmp);
  ck_assert_int_eq(run(cmd), 2);
  int n;
  char **names = list_files(tmp, "", &n);
  ck_assert_int_eq(n, 5); /* ".", "..", sm.ll, sm.s and sm.h only */
  free_names(names);
  remove_dir(tmp);
  free(tmp);
}
END_TEST

int main(void) {
  load_cases();
  Suite *s = suite_create("golden");
  TCase *tc = tcase_create("cases");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, golden_case, 0, ncases);
  tcase_add_loop_test(tc, golden_f64, 0, ncases);
  tcase_add_loop_test(tc, golden_accel, 0, ncases);
  tcase_add_loop_test(tc, golden_accel_small, 0, ncases);
  tcase_add_loop_test(tc, golden_unfused, 0, ncases);
  suite_add_tcase(s, tc);
  TCase *bad = tcase_create("bad inputs");
  tcase_set_timeout(bad, 60);
  tcase_add_test(bad, rejects_shape_mismatch);
  tcase_add_test(bad, rejects_bad_npy_files);
  tcase_add_test(bad, rejects_unknown_input_and_missing_file);
  tcase_add_test(bad, seeded_inputs_are_deterministic);
  suite_add_tcase(s, bad);
  TCase *compile = tcase_create("compile");
  tcase_set_timeout(compile, 120);
  tcase_add_test(compile, compiled_object_links_into_c);
  tcase_add_test(compile, compile_writes_ll_and_s);
  suite_add_tcase(s, compile);
  return run_suites(s, NULL);
}
