/* The Mamba-1 block's two programs against each other (examples/mamba1/):
 * one generation step (step.ein) after L-1 tokens must give prefill's last
 * output row and its final conv and SSM states (prefill.ein over L tokens,
 * the NumPy fixture tests/golden/mamba1_prefill/out). The step starts from
 *   - the states after L-1 tokens that gen.py computed in NumPy (the
 *     mamba1_step fixture's inputs), and
 *   - the states einc's own prefill writes over the first L-1 tokens,
 * on the cpu target and the accelerator (default machine and arch/small.yaml).
 * Tolerance as in test_golden.c. gen.py asserts the same identities in
 * float64 for every token. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "runtime/npy.h"
#include "tests/golden/compare.h"
#include "tests/testutil.h"

/* The target options of loop test i: cpu, accel, accel on arch/small.yaml. */
#define NTARGETS 3
static char *target_args(int i) {
  if (i == 0)
    return str_printf("--target cpu");
  if (i == 1)
    return str_printf("--target accel");
  return str_printf("--target accel --arch '%s/arch/small.yaml'", test_srcdir());
}

static char *fixture(const char *case_name, const char *sub, const char *tensor) {
  return str_printf("%s/tests/golden/%s/%s/%s.npy", test_srcdir(), case_name, sub, tensor);
}

static void read_npy(const char *path, NpyArray *a) {
  char msg[512];
  ck_assert_msg(npy_read(path, a, msg, sizeof msg), "%s: %s", path, msg);
}

/* got (a file) against count expected values. */
/* Appends " --input NAME=PATH" to *cmd (malloc'ed, replaced). */
static void add_input(char **cmd, const char *name, const char *path) {
  char *longer = str_printf("%s --input '%s=%s'", *cmd, name, path);
  free(*cmd);
  *cmd = longer;
}

/* The params: every input file of the prefill fixture but hs. */
static void add_params(char **cmd) {
  char *dir = str_printf("%s/tests/golden/mamba1_prefill/in", test_srcdir());
  int n;
  char **names = list_files(dir, ".npy", &n);
  ck_assert_int_gt(n, 1);
  for (int i = 0; i < n; i++) {
    names[i][strlen(names[i]) - 4] = '\0';
    if (strcmp(names[i], "hs") != 0) {
      char *path = str_printf("%s/%s.npy", dir, names[i]);
      add_input(cmd, names[i], path);
      free(path);
    }
  }
  free_names(names);
  free(dir);
}

/* Runs the shell command cmd (taking ownership), failing with its stderr. */
static void run_einc_cmd(char *cmd, const char *tmp) {
  char *full = str_printf("%s 2>'%s/stderr' >/dev/null", cmd, tmp);
  int st = system(full);
  int status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  char *err_path = str_printf("%s/stderr", tmp);
  char *err = status ? read_whole_file(err_path, NULL) : NULL;
  ck_assert_msg(status == 0, "%s\nexit status %d:\n%s", cmd, status, err ? err : "");
  free(err_path);
  free(full);
  free(cmd);
}

/* Runs step.ein with hs and both states from these files into outdir, and
 * checks its outputs against prefill's last row and final states. */
static void step_and_check(int t, const char *hs, const char *conv_state, const char *ssm_state,
                           const char *outdir) {
  char *args = target_args(t);
  char *cmd = str_printf("'%s' run '%s/examples/mamba1/step.ein' %s --outdir '%s'", test_einc(),
                         test_srcdir(), args, outdir);
  add_input(&cmd, "hs", hs);
  add_input(&cmd, "conv_state", conv_state);
  add_input(&cmd, "ssm_state", ssm_state);
  add_params(&cmd);
  run_einc_cmd(cmd, outdir);

  char *path = fixture("mamba1_prefill", "out", "out");
  NpyArray out;
  read_npy(path, &out);
  free(path);
  ck_assert_uint_eq(out.rank, 2);
  uint64_t L = out.dims[0], D = out.dims[1];
  char *got = str_printf("%s/out.npy", outdir);
  golden_compare(args, got, out.data + (L - 1) * D, D);
  free(got);
  npy_free(&out);
  static const char *const states[2][2] = {{"conv_state_new", "conv_state"},
                                           {"ssm_state_new", "ssm_state"}};
  for (int i = 0; i < 2; i++) {
    got = str_printf("%s/%s.npy", outdir, states[i][0]);
    path = fixture("mamba1_prefill", "out", states[i][1]);
    golden_compare_files(args, path, got);
    free(got);
    free(path);
  }
  free(args);
}

/* From the NumPy states after L-1 tokens (the mamba1_step fixture). */
START_TEST(step_from_numpy_states) {
  char *tmp = temp_dir();
  char *hs = fixture("mamba1_step", "in", "hs");
  char *cs = fixture("mamba1_step", "in", "conv_state");
  char *ss = fixture("mamba1_step", "in", "ssm_state");
  step_and_check(_i, hs, cs, ss, tmp);
  free(hs);
  free(cs);
  free(ss);
  remove_dir(tmp);
  free(tmp);
}
END_TEST

/* From einc's own prefill over the first L-1 tokens (-D L=L-1). */
START_TEST(step_after_prefill) {
  char *tmp = temp_dir();
  char *path = fixture("mamba1_prefill", "in", "hs");
  NpyArray hs;
  read_npy(path, &hs);
  free(path);
  ck_assert_uint_eq(hs.rank, 2);
  uint64_t L = hs.dims[0], D = hs.dims[1];
  ck_assert_uint_gt(L, 1);
  char msg[512];
  char *head = str_printf("%s/hs_head.npy", tmp), *last = str_printf("%s/hs_last.npy", tmp);
  uint64_t head_dims[2] = {L - 1, D};
  ck_assert_msg(npy_write(head, 2, head_dims, hs.data, msg, sizeof msg), "%s", msg);
  ck_assert_msg(npy_write(last, 1, &D, hs.data + (L - 1) * D, msg, sizeof msg), "%s", msg);
  npy_free(&hs);

  /* prefill writes its outputs beside the inputs; step's go in a subdirectory. */
  char *args = target_args(_i);
  char *cmd = str_printf("'%s' run '%s/examples/mamba1/prefill.ein' %s -D L=%llu --outdir '%s'",
                         test_einc(), test_srcdir(), args, (unsigned long long)(L - 1), tmp);
  add_input(&cmd, "hs", head);
  add_params(&cmd);
  run_einc_cmd(cmd, tmp);
  free(args);

  char *step_dir = str_printf("%s/step", tmp);
  ck_assert_int_eq(mkdir(step_dir, 0700), 0);
  char *cs = str_printf("%s/conv_state.npy", tmp), *ss = str_printf("%s/ssm_state.npy", tmp);
  step_and_check(_i, last, cs, ss, step_dir);
  remove_dir(step_dir);
  remove_dir(tmp);
  free(step_dir);
  free(cs);
  free(ss);
  free(head);
  free(last);
  free(tmp);
}
END_TEST

int main(void) {
  Suite *s = suite_create("mamba1");
  TCase *tc = tcase_create("prefill and step");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, step_from_numpy_states, 0, NTARGETS);
  tcase_add_loop_test(tc, step_after_prefill, 0, NTARGETS);
  suite_add_tcase(s, tc);
  return run_suites(s, NULL);
}
