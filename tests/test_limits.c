/* Integers at the edges of 64 bits, end to end (issue 12's programs): huge
 * index coefficients, element counts and byte sizes that overflow, and the
 * targets' limits. Each program either gives the right numbers on both
 * targets or is refused with one located message and exit 1; never a
 * signal, an internal error, or a file written. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/npy.h"
#include "tests/testutil.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Writes text as DIR/NAME (malloc'ed path). */
static char *write_file(const char *dir, const char *name, const char *text) {
  char *path = str_printf("%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

/* DIR/x.npy holding 1, 2, ..., rows * cols, as [rows, cols] (or [cols]
 * when rows is 0). */
static char *write_iota(const char *dir, int rows, int cols) {
  char *path = str_printf("%s/x.npy", dir);
  float vals[16];
  int n = (rows ? rows : 1) * cols;
  ck_assert_int_le(n, 16);
  for (int i = 0; i < n; i++)
    vals[i] = (float)(i + 1);
  uint64_t dims[2] = {(uint64_t)rows, (uint64_t)cols};
  char msg[256];
  ck_assert_msg(npy_write(path, rows ? 2 : 1, rows ? dims : dims + 1, vals, msg, sizeof msg), "%s",
                msg);
  return path;
}

/* Runs the model on `target` with x = 1, 2, ... (shape as write_iota's)
 * and checks the output y. */
static void expect_y(const char *model_text, int xrows, int xcols, const char *target,
                     const float *want, int n) {
  char *dir = temp_dir();
  char *model = write_file(dir, "m.ein", model_text);
  char *x = write_iota(dir, xrows, xcols);
  char *input = str_printf("x=%s", x);
  Run r = run_einc(dir, ARGS("run", model, "--target", target, "--input", input));
  ck_assert_msg(r.status == 0, "%s: status %d: %s", target, r.status, r.err);
  char *y = str_printf("%s/y.npy", dir);
  NpyArray a;
  char msg[256];
  ck_assert_msg(npy_read(y, &a, msg, sizeof msg), "%s", msg);
  ck_assert_int_eq((int)a.count, n);
  for (int i = 0; i < n; i++)
    ck_assert_msg(a.data[i] == want[i], "%s: y[%d] = %g, want %g", target, i, a.data[i], want[i]);
  npy_free(&a);
  run_free(&r);
  remove_dir(dir);
  free(y);
  free(input);
  free(x);
  free(model);
  free(dir);
}

/* einc CMD m.ein ARGS... on model_text exits 1 with exactly
 * "DIR/m.ein:WANT\n" on standard error (one message) and writes nothing. */
static void expect_refusal(const char *model_text, const char *const *args, const char *want) {
  char *dir = temp_dir();
  char *model = write_file(dir, "m.ein", model_text);
  const char *argv[16];
  int argc = 0;
  argv[argc++] = args[0];
  argv[argc++] = model;
  for (const char *const *a = args + 1; *a; a++)
    argv[argc++] = *a;
  argv[argc] = NULL;
  Run r = run_einc(dir, argv);
  char *expected = str_printf("%s:%s\n", model, want);
  ck_assert_msg(r.status == 1, "einc %s: status %d: %s", args[0], r.status, r.err);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, expected);
  int n;
  char **names = list_files(dir, "", &n);
  ck_assert_int_eq(n, 3); /* ".", ".." and m.ein: nothing written */
  free_names(names);
  free(expected);
  run_free(&r);
  remove_dir(dir);
  free(model);
  free(dir);
}

/* Issue 12, 1-3: an index that can leave the 64-bit range, and an element
 * count past 2^63, are refused by the frontend for every command and
 * target (the CPU crashed and the accelerator gave wrong numbers). */
START_TEST(test_overflow_refused_everywhere) {
  const char *programs[][2] = {
      {"input x[4]\noutput y[4]\ny[i] = x[i * -6148914691236517205]\n",
       "3:8: error: index 'i * -6148914691236517205' can leave the 64-bit integer range (i runs "
       "over 0..3)"},
      {"input x[5]\noutput y[5]\ny[i] = x[i * 4611686018427387904]\n",
       "3:8: error: index 'i * 4611686018427387904' can leave the 64-bit integer range (i runs "
       "over 0..4)"},
      {"output y[4294967296, 4294967296]\ny[i, j] = 1\n",
       "1:8: error: 'y' has 4294967296 x 4294967296 elements: more than a 64-bit count holds"},
  };
  for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
    expect_refusal(programs[i][0], ARGS("run"), programs[i][1]);
    expect_refusal(programs[i][0], ARGS("run", "--target", "accel"), programs[i][1]);
    expect_refusal(programs[i][0], ARGS("compile", "--target", "cpu", "-o", "m.o"), programs[i][1]);
    expect_refusal(programs[i][0], ARGS("dump"), programs[i][1]);
  }
}
END_TEST

/* An index whose range fits in 64 bits however large: reads past the
 * tensor give 0, on both targets (the accelerator's DMA clips the box in
 * 128-bit arithmetic, the CPU keeps the check). */
START_TEST(test_huge_coefficient_in_range) {
  const char *one = "input x[4]\noutput y[4]\ny[i] = x[i * 3074457345618258602]\n";
  const float want1[] = {1, 0, 0, 0};
  const char *neg = "input x[4]\noutput y[4]\ny[i] = x[3 - i * 3074457345618258602]\n";
  const float want2[] = {4, 0, 0, 0};
  /* Both tile axes: a box whose row stride overflows before clipping. */
  const char *box = "input x[4]\noutput y[4, 4]\ny[i, j] = x[i * 3074457345618258601 + j]\n";
  const float want3[] = {1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  /* A row stride of 2^61 * 4 elements: past 64 bits (it overflowed). */
  const char *rows = "input x[4, 4]\noutput y[4, 4]\ny[i, j] = x[i * 2305843009213693952, j]\n";
  const char *targets[] = {"cpu", "accel"};
  for (int t = 0; t < 2; t++) {
    expect_y(one, 0, 4, targets[t], want1, 4);
    expect_y(neg, 0, 4, targets[t], want2, 4);
    expect_y(box, 0, 4, targets[t], want3, 16);
    expect_y(rows, 4, 4, targets[t], want3, 16);
  }
}
END_TEST

START_TEST(test_element_count_beyond_address_space) {
  /* 2^62 elements: the count fits, the bytes do not fit the host. */
  const char *big = "output y[2147483648, 2147483648]\ny[i, j] = 1\n";
  const char *msg =
      "1:8: error: 'y' has 4611686018427387904 elements of 4 bytes: more than the "
      "140737488355328 bytes (2^47, a 64-bit host's user address space) that the cpu target "
      "can address";
  expect_refusal(big, ARGS("run"), msg);
  expect_refusal(big, ARGS("compile", "--target", "cpu", "-o", "m.o"), msg);
  expect_refusal(
      big, ARGS("run", "--target", "accel"),
      "1:8: error: 'y' (4611686018427387904 elements of 4 bytes) does not fit in DRAM: the "
      "tensors up to it need more than 2^64 bytes, more than the 1073741824 the "
      "architecture has (dram.capacity_bytes, and at most 4 GiB for the DMA's "
      "addresses)");
}
END_TEST

START_TEST(test_recurrence_at_int64_max) {
  /* Issue 12, 4: the loop cuts of an offset read near INT64_MAX. */
  const char *rec = "output y[9223372036854775807]\ny[i] = y[i - 2]\n";
  expect_refusal(rec, ARGS("compile", "--target", "cpu", "-o", "m.ll"),
                 "1:8: error: 'y' has 9223372036854775807 elements of 4 bytes: more than the "
                 "140737488355328 bytes (2^47, a 64-bit host's user address space) that the cpu "
                 "target can address");
  expect_refusal(rec, ARGS("compile", "--target", "accel", "-o", "m.ebin"),
                 "1:8: error: 'y' has a dimension of 9223372036854775807; the accelerator takes "
                 "at most 4294967295");
}
END_TEST

START_TEST(test_workspace_header_never_negative) {
  /* Issue 12, 5: refused instead of a header with a wrapped size. */
  const char *text = "let N = 2305843009213693952\ninput x[N]\ntensor t[N]\nt[i] = x[i]\n"
                     "output y[N]\ny[i] = t[i]\n";
  char *dir = temp_dir();
  char *model = write_file(dir, "m.ein", text);
  /* --fusion none keeps t, which auto would compute inside y. */
  Run r = run_einc(dir, ARGS("compile", model, "--target", "cpu", "--fusion", "none", "-o", "m.o"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_int_eq(count_char(r.err, '\n'), 3); /* x, t and y */
  ck_assert_ptr_nonnull(strstr(r.err, "m.ein:3:8: error: 't' has 2305843009213693952 elements"));
  int n;
  char **names = list_files(dir, "", &n);
  ck_assert_int_eq(n, 3);
  free_names(names);
  run_free(&r);
  remove_dir(dir);
  free(model);
  free(dir);
}
END_TEST

START_TEST(test_index_table_checked_for_dram) {
  /* Issue 12, 6: the 0, 1, 2, ... table counts against DRAM, at once. */
  expect_refusal("output y[200000000]\ny[i] = i\n", ARGS("run", "--target", "accel"),
                 "2:1: error: the table of index values this Einsum reads (200000000 values, "
                 "800000000 bytes) does not fit in DRAM beside the tensors' 800000000 bytes: the "
                 "architecture has 1073741824 (dram.capacity_bytes, and at most 4 GiB for the "
                 "DMA's addresses)");
}
END_TEST

START_TEST(test_instruction_limit_before_the_work) {
  /* Issue 12, 7: refused from the tile count, before emitting (this took
   * seconds and gigabytes when the limit was found by emitting). */
  expect_refusal("let L = 100000000\ninput a[L]\noutput h[L]\nh[l] = a[l] * h[l - 1]\n",
                 ARGS("compile", "--target", "accel", "-o", "m.ebin"),
                 "4:1: error: the Einsum defining 'h' takes the program past 16777216 "
                 "instructions, the most a binary holds (it needs at least 299999999: a store "
                 "and a load per read for every output tile); the instruction stream is "
                 "unrolled, so use smaller sizes (-D)");
}
END_TEST

static Suite *limits_suite(void) {
  Suite *s = suite_create("limits");
  TCase *tc = tcase_create("programs");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_overflow_refused_everywhere);
  tcase_add_test(tc, test_huge_coefficient_in_range);
  tcase_add_test(tc, test_element_count_beyond_address_space);
  tcase_add_test(tc, test_recurrence_at_int64_max);
  tcase_add_test(tc, test_workspace_header_never_negative);
  tcase_add_test(tc, test_index_table_checked_for_dram);
  tcase_add_test(tc, test_instruction_limit_before_the_work);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suites(limits_suite(), NULL); }
