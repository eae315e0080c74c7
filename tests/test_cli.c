/* End-to-end tests of the einc command: every error class of tests/errors/
 * (exact standard error, exit status 1, nothing on standard output), and the
 * command line itself (help, version, usage errors, -o).
 *
 * $EINC is the einc binary and $SRCDIR the top source directory; einc runs
 * with the working directory at $SRCDIR so that message paths read
 * tests/errors/NAME.ein whatever the build directory is. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testutil.h"

static const char *einc_path(void) {
  const char *p = getenv("EINC");
  return p && *p ? p : "./einc";
}

typedef struct Run {
  int status; /* exit status, or 128 + signal */
  char *out, *err;
} Run;

static void run_free(Run *r) {
  free(r->out);
  free(r->err);
}

static char *temp_dir(void) {
  const char *base = getenv("TMPDIR");
  char *templ = str_printf("%s/einc-test-XXXXXX", base && *base ? base : "/tmp");
  ck_assert_msg(mkdtemp(templ) != NULL, "mkdtemp %s: %s", templ, strerror(errno));
  return templ;
}

static void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
      continue;
    char *p = str_printf("%s/%s", dir, ent->d_name);
    unlink(p);
    free(p);
  }
  closedir(d);
  rmdir(dir);
}

/* Runs einc with args (NULL-terminated) in directory cwd, capturing both
 * output streams. */
static Run run_einc(const char *cwd, const char *const *args) {
  char *dir = temp_dir();
  char *out_path = str_printf("%s/stdout", dir);
  char *err_path = str_printf("%s/stderr", dir);
  const char *argv[32];
  int argc = 0;
  argv[argc++] = einc_path();
  for (; *args; args++) {
    ck_assert_int_lt(argc, 31);
    argv[argc++] = *args;
  }
  argv[argc] = NULL;

  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || chdir(cwd) != 0)
      _exit(126);
    execv(argv[0], (char *const *)argv);
    dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int wstatus;
  ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
  Run r;
  r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  r.out = read_whole_file(out_path, NULL);
  r.err = read_whole_file(err_path, NULL);
  ck_assert_ptr_nonnull(r.out);
  ck_assert_ptr_nonnull(r.err);
  ck_assert_msg(r.status != 127 && r.status != 126, "cannot run %s: %s", argv[0], r.err);
  free(out_path);
  free(err_path);
  remove_dir(dir);
  free(dir);
  return r;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static bool starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- tests/errors --------------------------------------------------------- */

typedef struct ErrorCase {
  const char *name;     /* tests/errors/NAME.ein and NAME.err */
  const char *extra[4]; /* more arguments after the file */
} ErrorCase;

/* One per error class; tests/errors holds exactly these .ein files (and
 * missing.err for the file that does not exist). */
static const ErrorCase error_cases[] = {
    {"syntax_error", {NULL}},
    {"unknown_tensor", {NULL}},
    {"unknown_function", {NULL}},
    {"extent_conflict", {NULL}},
    {"extent_conflict_lhs", {NULL}},
    {"extent_unknown", {NULL}},
    {"wrong_rank_read", {NULL}},
    {"wrong_rank_assign", {NULL}},
    {"ambiguous_call", {NULL}},
    {"ambiguous_select", {NULL}},
    {"ambiguous_reduction", {NULL}},
    {"double_assignment", {NULL}},
    {"use_before_definition", {NULL}},
    {"output_never_assigned", {NULL}},
    {"tensor_never_assigned", {NULL}},
    {"let_division_by_zero", {NULL}},
    {"let_modulo_by_zero", {NULL}},
    {"let_unknown_constant", {NULL}},
    {"let_not_integer", {NULL}},
    {"recurrence_positive_offset", {NULL}},
    {"recurrence_zero_offset", {NULL}},
    {"recurrence_nonconstant_offset", {NULL}},
    {"recurrence_two_ranks", {NULL}},
    {"init_without_recurrence", {NULL}},
    {"init_uses_recurrence_var", {NULL}},
    {"stray_character", {NULL}},
    {"eof_open_bracket", {NULL}},
    {"eof_trailing_operator", {NULL}},
    {"binary", {NULL}},
    {"several_errors", {NULL}},
    {"several_errors_semantic", {NULL}},
    {"define_unknown", {"-D", "Q=3", NULL}},
    {"missing", {NULL}},
};

enum { NERROR_CASES = sizeof error_cases / sizeof error_cases[0] };

START_TEST(test_error_fixture) {
  const ErrorCase *k = &error_cases[_i];
  char *rel = str_printf("tests/errors/%s.ein", k->name);
  char *want_path = str_printf("%s/tests/errors/%s.err", test_srcdir(), k->name);
  size_t want_len = 0;
  char *want = read_whole_file(want_path, &want_len);
  ck_assert_msg(want != NULL, "cannot read %s", want_path);
  ck_assert_msg(want_len > 0 && want[want_len - 1] == '\n', "%s: expectation is empty", k->name);

  const char *args[8] = {"dump", rel};
  int n = 2;
  for (int i = 0; k->extra[i]; i++)
    args[n++] = k->extra[i];
  args[n] = NULL;
  Run r = run_einc(test_srcdir(), args);
  ck_assert_msg(r.status == 1, "%s: exit status %d, stderr:\n%s", k->name, r.status, r.err);
  ck_assert_msg(r.out[0] == '\0', "%s: standard output is not empty:\n%s", k->name, r.out);
  ck_assert_msg(strcmp(r.err, want) == 0, "%s: standard error is\n%s\nbut %s says\n%s", k->name,
                r.err, want_path, want);
  run_free(&r);
  free(want);
  free(want_path);
  free(rel);
}
END_TEST

static bool is_error_case(const char *name) {
  for (int i = 0; i < NERROR_CASES; i++)
    if (strcmp(error_cases[i].name, name) == 0)
      return true;
  return false;
}

START_TEST(test_error_fixtures_listed) {
  /* Every fixture is run above: none is forgotten in the table. */
  char *dir = str_printf("%s/tests/errors", test_srcdir());
  int n;
  char **names = list_files(dir, ".ein", &n);
  ck_assert_msg(names != NULL, "cannot list %s", dir);
  ck_assert_int_eq(n, NERROR_CASES - 1); /* all but missing.ein */
  for (int i = 0; i < n; i++) {
    names[i][strlen(names[i]) - 4] = '\0';
    ck_assert_msg(is_error_case(names[i]), "tests/errors/%s.ein is not in error_cases", names[i]);
  }
  free_names(names);
  names = list_files(dir, ".err", &n);
  ck_assert_int_eq(n, NERROR_CASES);
  free_names(names);
  char *missing = str_printf("%s/missing.ein", dir);
  ck_assert_int_ne(access(missing, F_OK), 0);
  free(missing);
  free(dir);
}
END_TEST

START_TEST(test_several_errors_reported) {
  /* The multi-error fixtures really hold several errors. */
  static const char *const names[] = {"several_errors", "several_errors_semantic"};
  for (int i = 0; i < 2; i++) {
    char *path = str_printf("%s/tests/errors/%s.err", test_srcdir(), names[i]);
    char *text = read_whole_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_ge(count_char(text, '\n'), 3);
    free(text);
    free(path);
  }
}
END_TEST

/* ---- the command line ------------------------------------------------------- */

START_TEST(test_help) {
  static const char *const forms[] = {"--help", "-h", "help"};
  for (int i = 0; i < 3; i++) {
    Run r = run_einc(".", ARGS(forms[i]));
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(starts_with(r.out, "usage: einc COMMAND MODEL.ein"), "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "dump MODEL.ein"));
    ck_assert_str_eq(r.err, "");
    run_free(&r);
  }
  Run r = run_einc(".", ARGS("dump", "--help"));
  ck_assert_int_eq(r.status, 0);
  ck_assert(starts_with(r.out, "usage: einc"));
  run_free(&r);
}
END_TEST

START_TEST(test_version) {
  Run r = run_einc(".", ARGS("--version"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_msg(starts_with(r.out, "einc 0."), "%s", r.out);
  ck_assert_int_eq(count_char(r.out, '\n'), 1);
  ck_assert_str_eq(r.err, "");
  run_free(&r);
}
END_TEST

START_TEST(test_no_arguments) {
  Run r = run_einc(".", ARGS("dump", "--format", "text"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_str_eq(r.err, "einc: dump needs a MODEL.ein file\nTry 'einc --help'.\n");
  run_free(&r);
  const char *const none[] = {NULL};
  r = run_einc(".", none);
  ck_assert_int_eq(r.status, 2);
  ck_assert_str_eq(r.out, "");
  ck_assert(starts_with(r.err, "usage: einc"));
  run_free(&r);
}
END_TEST

START_TEST(test_unknown_command) {
  Run r = run_einc(".", ARGS("frobnicate", "x.ein"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, "einc: unknown command 'frobnicate'\nTry 'einc --help'.\n");
  run_free(&r);
}
END_TEST

START_TEST(test_unknown_option) {
  Run r = run_einc(test_srcdir(), ARGS("dump", "examples/matmul.ein", "--frob"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, "einc: unknown option '--frob'\nTry 'einc --help'.\n");
  run_free(&r);
}
END_TEST

START_TEST(test_bad_define) {
  static const char *const bad[] = {"L",    "=3",   "L=",    "L=x",
                                    "L=3x", "1L=3", "L-1=3", "L=99999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    Run r = run_einc(test_srcdir(), ARGS("dump", "examples/matmul.ein", "-D", bad[i]));
    ck_assert_msg(r.status == 2, "-D %s: status %d", bad[i], r.status);
    ck_assert_str_eq(r.out, "");
    char *want =
        str_printf("einc: bad -D '%s': expected NAME=INTEGER\nTry 'einc --help'.\n", bad[i]);
    ck_assert_str_eq(r.err, want);
    free(want);
    run_free(&r);
  }
  Run r = run_einc(test_srcdir(), ARGS("dump", "examples/matmul.ein", "-D"));
  ck_assert_int_eq(r.status, 2);
  run_free(&r);
}
END_TEST

START_TEST(test_other_usage_errors) {
  static const struct {
    const char *args[6];
    const char *err;
  } cases[] = {
      {{"dump", "examples/matmul.ein", "--format", "xml", NULL},
       "einc: unknown format 'xml': expected text, dot or json\nTry 'einc --help'.\n"},
      {{"dump", "examples/matmul.ein", "--format", NULL},
       "einc: --format needs a value\nTry 'einc --help'.\n"},
      {{"dump", "examples/matmul.ein", "-o", NULL},
       "einc: -o needs a file name\nTry 'einc --help'.\n"},
      {{"dump", "examples/matmul.ein", "examples/softmax.ein", NULL},
       "einc: unexpected argument 'examples/softmax.ein'\nTry 'einc --help'.\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    Run r = run_einc(test_srcdir(), cases[i].args);
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err, cases[i].err);
    run_free(&r);
  }
  Run r = run_einc(test_srcdir(), ARGS("dump", "examples/matmul.ein", "--after", "nope"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_msg(starts_with(r.err, "einc: unknown pass 'nope'; passes: parse"), "%s", r.err);
  run_free(&r);
}
END_TEST

START_TEST(test_arch_option) {
  /* --arch is checked when named (errors carry the file's line), and it
   * belongs to --target accel only. */
  char *dir = temp_dir();
  char *good = str_printf("%s/arch/default.yaml", test_srcdir());
  char *bad = str_printf("%s/bad.yaml", dir);
  FILE *f = fopen(bad, "w");
  ck_assert_ptr_nonnull(f);
  fputs("# an architecture file with a misspelt key\nmystery: 3\n", f);
  fclose(f);
  const char *with_good[] = {"compile", "m.ein", "--target", "accel", "--arch",
                             good,      "-o",    "m.ebin",   NULL};
  Run r = run_einc(dir, with_good);
  ck_assert_int_eq(r.status, 1);
  ck_assert_msg(starts_with(r.err, "einc: 'compile' is not implemented yet"), "%s", r.err);
  run_free(&r);
  const char *with_bad[] = {"compile", "m.ein", "--target", "accel", "--arch",
                            bad,       "-o",    "m.ebin",   NULL};
  r = run_einc(dir, with_bad);
  ck_assert_int_eq(r.status, 1);
  char *want = str_printf("einc: %s:2: unknown key 'mystery'", bad);
  ck_assert_msg(starts_with(r.err, want), "%s", r.err);
  free(want);
  run_free(&r);
  const char *on_cpu[] = {"run", "m.ein", "--arch", good, NULL};
  r = run_einc(dir, on_cpu);
  ck_assert_int_eq(r.status, 2);
  ck_assert_str_eq(r.err, "einc: --arch applies only to --target accel\nTry 'einc --help'.\n");
  run_free(&r);
  remove_dir(dir);
  free(dir);
  free(good);
  free(bad);
}
END_TEST

START_TEST(test_not_implemented) {
  /* What is not there yet says so (exit 1) and writes nothing. */
  static const struct {
    const char *args[8];
    const char *err;
  } cases[] = {
      {{"run", "x.ein", "--target", "accel", NULL}, "einc: 'run' is not implemented yet"},
      {{"compile", "x.ein", "--target", "accel", "-o", "x.ebin"},
       "einc: 'compile' is not implemented yet"},
      {{"check", "x.ein", NULL}, "einc: 'check' is not implemented yet"},
  };
  char *dir = temp_dir();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    Run r = run_einc(dir, cases[i].args);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    ck_assert_msg(starts_with(r.err, cases[i].err), "%s", r.err);
    run_free(&r);
  }
  int n;
  char **names = list_files(dir, "", &n);
  ck_assert_int_eq(n, 2);
  free_names(names);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_run_missing_model) {
  char *dir = temp_dir();
  Run r = run_einc(dir, ARGS("run", "x.ein"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, "x.ein: error: cannot open: No such file or directory\n");
  run_free(&r);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_dump_text) {
  Run r = run_einc(test_srcdir(), ARGS("dump", "examples/matmul.ein"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.err, "");
  ck_assert_ptr_nonnull(strstr(r.out, "\nlet M = 64, K = 48, N = 32\n"));
  ck_assert_ptr_nonnull(strstr(r.out, "\nC[m, n] = sum(k: A[m, k] * B[k, n])\n"));
  run_free(&r);
}
END_TEST

START_TEST(test_dump_define) {
  Run r = run_einc(test_srcdir(), ARGS("dump", "examples/matmul.ein", "-D", "M=3", "-DN=5"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.err, "");
  ck_assert_ptr_nonnull(strstr(r.out, "\nlet M = 3, K = 48, N = 5\n"));
  ck_assert_ptr_nonnull(strstr(r.out, "\noutput C[3, 5]\n"));
  run_free(&r);
}
END_TEST

START_TEST(test_dump_json_and_dot) {
  Run r = run_einc(test_srcdir(), ARGS("dump", "--format", "json", "examples/mamba_scan.ein"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.err, "");
  ck_assert_msg(r.out[0] == '{', "%.40s", r.out);
  ck_assert_ptr_nonnull(strstr(r.out, "\"Dskip\""));
  run_free(&r);
  r = run_einc(test_srcdir(), ARGS("dump", "examples/mamba_scan.ein", "--format=dot"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_msg(starts_with(r.out, "digraph"), "%.40s", r.out);
  run_free(&r);
}
END_TEST

START_TEST(test_dump_output_file) {
  char *dir = temp_dir();
  char *model = str_printf("%s/examples/softmax.ein", test_srcdir());
  char *out = str_printf("%s/softmax.txt", dir);
  Run r = run_einc(".", ARGS("dump", model, "-o", out));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, "");
  run_free(&r);
  char *written = read_whole_file(out, NULL);
  ck_assert_msg(written != NULL, "%s was not written", out);
  r = run_einc(".", ARGS("dump", model));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(written, r.out);
  run_free(&r);
  /* Exactly one file: no temporary left beside it. */
  int n;
  char **names = list_files(dir, "", &n);
  ck_assert_int_eq(n, 3); /* ".", "..", softmax.txt */
  free_names(names);
  free(written);
  free(out);
  free(model);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_failed_dump_writes_nothing) {
  char *dir = temp_dir();
  char *model = str_printf("%s/tests/errors/several_errors_semantic.ein", test_srcdir());
  char *out = str_printf("%s/out.txt", dir);
  Run r = run_einc(".", ARGS("dump", model, "-o", out));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert(r.err[0] != '\0');
  run_free(&r);
  ck_assert_int_ne(access(out, F_OK), 0);
  int n;
  char **names = list_files(dir, "", &n);
  ck_assert_msg(n == 2, "%d entries in %s after a failed dump", n, dir); /* "." and ".." */
  free_names(names);

  /* An existing file is left as it was. */
  FILE *f = fopen(out, "w");
  fputs("old\n", f);
  fclose(f);
  r = run_einc(".", ARGS("dump", model, "--output", out));
  ck_assert_int_eq(r.status, 1);
  run_free(&r);
  char *kept = read_whole_file(out, NULL);
  ck_assert_str_eq(kept, "old\n");
  free(kept);
  names = list_files(dir, "", &n);
  ck_assert_int_eq(n, 3);
  free_names(names);

  free(out);
  free(model);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_dump_of_dump) {
  /* cli.md: the text form is re-readable; einc dump of a dump is the same. */
  char *dir = temp_dir();
  char *model = str_printf("%s/examples/mamba1_layer.ein", test_srcdir());
  char *first = str_printf("%s/first.ein", dir);
  Run r = run_einc(".", ARGS("dump", model, "-o", first));
  ck_assert_int_eq(r.status, 0);
  run_free(&r);
  Run a = run_einc(".", ARGS("dump", first));
  ck_assert_int_eq(a.status, 0);
  char *text = read_whole_file(first, NULL);
  ck_assert_str_eq(a.out, text);
  run_free(&a);
  free(text);
  free(first);
  free(model);
  remove_dir(dir);
  free(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("cli");
  TCase *tc = tcase_create("errors");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_error_fixture, 0, NERROR_CASES);
  tcase_add_test(tc, test_error_fixtures_listed);
  tcase_add_test(tc, test_several_errors_reported);
  suite_add_tcase(s, tc);
  tc = tcase_create("command line");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_help);
  tcase_add_test(tc, test_version);
  tcase_add_test(tc, test_no_arguments);
  tcase_add_test(tc, test_unknown_command);
  tcase_add_test(tc, test_unknown_option);
  tcase_add_test(tc, test_bad_define);
  tcase_add_test(tc, test_other_usage_errors);
  tcase_add_test(tc, test_not_implemented);
  tcase_add_test(tc, test_arch_option);
  tcase_add_test(tc, test_run_missing_model);
  tcase_add_test(tc, test_dump_text);
  tcase_add_test(tc, test_dump_define);
  tcase_add_test(tc, test_dump_json_and_dot);
  tcase_add_test(tc, test_dump_output_file);
  tcase_add_test(tc, test_failed_dump_writes_nothing);
  tcase_add_test(tc, test_dump_of_dump);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
