/* End-to-end tests of the einc command: every error class of tests/errors/
 * (exact standard error, exit status 1, nothing on standard output), and the
 * command line itself (help, version, usage errors, -o).
 *
 * $EINC is the einc binary and $SRCDIR the top source directory; einc runs
 * with the working directory at $SRCDIR so that message paths read
 * tests/errors/NAME.ein whatever the build directory is. einsim and einasm
 * are found beside einc ($EINSIM and $EINASM override that).
 *
 * The --target accel tests: usage errors, the backend's refusals (one
 * function, test_accel_backend_rejects, holds what depends on the backend's
 * wording), and the accelerator against the CPU. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/npy.h"
#include "tests/testutil.h"

/* $VAR, else the program `name` in einc's directory (malloc'ed). */
static char *tool_path(const char *var, const char *name) {
  const char *p = getenv(var);
  if (p && *p)
    return strdup(p);
  const char *einc = test_einc();
  const char *slash = strrchr(einc, '/');
  int dir = slash ? (int)(slash - einc) : 1;
  return str_printf("%.*s/%s", dir, slash ? einc : ".", name);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* einc with args in cwd exits with status, writes nothing on standard
 * output and exactly err on standard error. */
static void expect_failure(const char *cwd, const char *const *args, int status, const char *err) {
  Run r = run_einc(cwd, args);
  ck_assert_msg(r.status == status, "einc %s %s: exit status %d, stderr:\n%s", args[0],
                args[1] ? args[1] : "", r.status, r.err);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, err);
  run_free(&r);
}

/* Entries of dir, "." and ".." included. */
static int count_entries(const char *dir) {
  int n;
  char **names = list_files(dir, "", &n);
  ck_assert_ptr_nonnull(names);
  free_names(names);
  return n;
}

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
    ck_assert_ptr_nonnull(strstr(r.out, "check MODEL.ein [--reference f64|f32] [--rtol R]"));
    ck_assert_ptr_nonnull(strstr(r.out, "disasm MODEL.ein|PROG.ebin"));
    ck_assert_ptr_nonnull(strstr(r.out, "--target accel [--arch ARCH.yaml] [--fusion none|auto]"));
    ck_assert_ptr_nonnull(strstr(r.out, "the compiler's default mapping"));
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
  /* After a command too, as --help (cli.md: every program answers both). */
  Run after = run_einc(".", ARGS("run", "model.ein", "--seed", "3", "--version"));
  ck_assert_int_eq(after.status, 0);
  ck_assert_str_eq(after.out, r.out);
  ck_assert_str_eq(after.err, "");
  run_free(&after);
  run_free(&r);
}
END_TEST

START_TEST(test_no_arguments) {
  expect_failure(".", ARGS("dump", "--format", "text"), 2,
                 "einc: dump needs a MODEL.ein file\nTry 'einc --help'.\n");
  const char *const none[] = {NULL};
  Run r = run_einc(".", none);
  ck_assert_int_eq(r.status, 2);
  ck_assert_str_eq(r.out, "");
  ck_assert(starts_with(r.err, "usage: einc"));
  run_free(&r);
}
END_TEST

START_TEST(test_unknown_command) {
  expect_failure(".", ARGS("frobnicate", "x.ein"), 2,
                 "einc: unknown command 'frobnicate'\nTry 'einc --help'.\n");
}
END_TEST

START_TEST(test_unknown_option) {
  expect_failure(test_srcdir(), ARGS("dump", "examples/matmul.ein", "--frob"), 2,
                 "einc: unknown option '--frob'\nTry 'einc --help'.\n");
}
END_TEST

START_TEST(test_bad_define) {
  static const char *const bad[] = {"L",    "=3",   "L=",    "L=x",
                                    "L=3x", "1L=3", "L-1=3", "L=99999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *want =
        str_printf("einc: bad -D '%s': expected NAME=INTEGER\nTry 'einc --help'.\n", bad[i]);
    expect_failure(test_srcdir(), ARGS("dump", "examples/matmul.ein", "-D", bad[i]), 2, want);
    free(want);
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
       "einc: unknown format 'xml': expected text, dot, json or mapping\nTry 'einc --help'.\n"},
      {{"dump", "examples/matmul.ein", "--format", NULL},
       "einc: --format needs a value\nTry 'einc --help'.\n"},
      {{"dump", "examples/matmul.ein", "-o", NULL},
       "einc: -o needs a file name\nTry 'einc --help'.\n"},
      {{"dump", "examples/matmul.ein", "examples/softmax.ein", NULL},
       "einc: unexpected argument 'examples/softmax.ein'\nTry 'einc --help'.\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    expect_failure(test_srcdir(), cases[i].args, 2, cases[i].err);
  Run r = run_einc(test_srcdir(), ARGS("dump", "examples/matmul.ein", "--after", "nope"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_msg(starts_with(r.err, "einc: unknown pass 'nope'; passes: parse"), "%s", r.err);
  run_free(&r);
}
END_TEST

START_TEST(test_option_spellings) {
  /* Exit 2 and the exact message, before any work (x.ein does not exist):
   * every option's missing value, --opt=VALUE as --opt VALUE, long options
   * spelled in full only, a value that looks like an option taken as the
   * value, options before the model, the first error in argument order. */
  static const struct {
    const char *args[7];
    const char *err;
  } cases[] = {
      {{"dump", "x.ein", "-D", NULL}, "bad -D '': expected NAME=INTEGER"},
      {{"run", "x.ein", "--target", NULL}, "--target needs a value"},
      {{"run", "x.ein", "--input", NULL}, "--input needs NAME=FILE.npy"},
      {{"check", "x.ein", "--seed", NULL}, "--seed needs a value"},
      {{"run", "x.ein", "--outdir", NULL}, "--outdir needs a directory"},
      {{"disasm", "x.ein", "--arch", NULL}, "--arch needs ARCH.yaml"},
      {{"compile", "x.ein", "--name", NULL}, "--name needs a value"},
      {{"dump", "x.ein", "--after", NULL}, "--after needs a value"},
      {{"dump", "x.ein", "--output", NULL}, "--output needs a file name"},
      {{"check", "x.ein", "--stats", NULL}, "--stats needs FILE.json"},
      {{"check", "x.ein", "--rtol", NULL}, "--rtol needs a number"},
      {{"check", "x.ein", "--atol", NULL}, "--atol needs a number"},
      {{"run", "x.ein", "--target=gpu", NULL}, "unknown target 'gpu': expected cpu or accel"},
      {{"run", "x.ein", "--input=x", NULL}, "bad --input 'x': expected NAME=FILE.npy"},
      {{"run", "x.ein", "--input", "=f.npy", NULL}, "bad --input '=f.npy': expected NAME=FILE.npy"},
      {{"check", "x.ein", "--seed=-1", NULL}, "bad --seed '-1': expected a non-negative integer"},
      {{"run", "x.ein", "--seed", "99999999999999999999", NULL},
       "bad --seed '99999999999999999999': expected a non-negative integer"},
      {{"dump", "x.ein", "--format=", NULL},
       "unknown format '': expected text, dot, json or mapping"},
      {{"dump", "x.ein", "--fusion=max", NULL}, "unknown fusion 'max': expected none or auto"},
      {{"check", "x.ein", "--reference=f16", NULL}, "unknown reference 'f16': expected f64 or f32"},
      {{"check", "x.ein", "--outdir=o", NULL}, "--outdir does not apply to check"},
      {{"check", "x.ein", "--output=f", NULL}, "-o does not apply to check"},
      {{"dump", "x.ein", "--verbose", NULL}, "--verbose does not apply to dump"},
      {{"run", "x.ein", "--arch=a.yaml", NULL}, "--arch applies only to --target accel"},
      {{"run", "x.ein", "--stats=-", NULL}, "--stats applies only to --target accel"},
      {{"disasm", "x.ebin", "--fusion=none", NULL},
       "-D, --fusion and --mapping apply to a model, not to the binary x.ebin"},
      {{"dump", "x.ein", "--form", "text", NULL}, "unknown option '--form'"},
      {{"dump", "x.ein", "--form=text", NULL}, "unknown option '--form=text'"},
      {{"run", "x.ein", "--verb", NULL}, "unknown option '--verb'"},
      {{"check", "x.ein", "--verbose=1", NULL}, "unknown option '--verbose=1'"},
      {{"check", "x.ein", "--s", "1", NULL}, "unknown option '--s'"},
      {{"dump", "x.ein", "---format", "text", NULL}, "unknown option '---format'"},
      {{"dump", "x.ein", "-x", NULL}, "unknown option '-x'"},
      {{"dump", "x.ein", "-ofile", NULL}, "unknown option '-ofile'"},
      {{"dump", "x.ein", "-outdir", "o", NULL}, "unknown option '-outdir'"},
      {{"dump", "x.ein", "--format", "--after", NULL},
       "unknown format '--after': expected text, dot, json or mapping"},
      {{"dump", "x.ein", "-D", "--seed", NULL}, "bad -D '--seed': expected NAME=INTEGER"},
      {{"dump", "--format", "xml", "x.ein", NULL},
       "unknown format 'xml': expected text, dot, json or mapping"},
      {{"dump", "x.ein", "--frob", "--format", "xml", NULL}, "unknown option '--frob'"},
      {{"dump", "x.ein", "y.ein", "--format", "xml", NULL}, "unexpected argument 'y.ein'"},
      {{"run", "x.ein", "--seed", "1", "--seed=x", NULL},
       "bad --seed 'x': expected a non-negative integer"},
  };
  char *dir = temp_dir();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *want = str_printf("einc: %s\nTry 'einc --help'.\n", cases[i].err);
    expect_failure(dir, cases[i].args, 2, want);
    free(want);
  }
  /* --help anywhere after the command wins over a bad option. */
  Run r = run_einc(dir, ARGS("dump", "x.ein", "--frob", "--help"));
  ck_assert_int_eq(r.status, 0);
  ck_assert(starts_with(r.out, "usage: einc"));
  run_free(&r);
  ck_assert_int_eq(count_entries(dir), 2);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_double_dash) {
  /* "--" ends the options: what follows is the model, even when it starts
   * with '-'. */
  char *dir = temp_dir();
  char *model = str_printf("%s/-m.ein", dir);
  FILE *f = fopen(model, "w");
  ck_assert_ptr_nonnull(f);
  fputs("input x[2]\noutput y[2]\ny[i] = x[i] * 2\n", f);
  ck_assert_int_eq(fclose(f), 0);
  Run r = run_einc(dir, ARGS("dump", "--format", "text", "--", "-m.ein"));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_str_eq(r.err, "");
  ck_assert_ptr_nonnull(strstr(r.out, "\noutput y[2]\n"));
  run_free(&r);
  expect_failure(dir, ARGS("dump", "-m.ein"), 2,
                 "einc: unknown option '-m.ein'\nTry 'einc --help'.\n");
  expect_failure(dir, ARGS("dump", "x.ein", "--", "--seed"), 2,
                 "einc: unexpected argument '--seed'\nTry 'einc --help'.\n");
  expect_failure(dir, ARGS("dump", "--", "x.ein", "y.ein"), 2,
                 "einc: unexpected argument 'y.ein'\nTry 'einc --help'.\n");
  free(model);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_after_only_for_dump) {
  /* Stopping the pipeline early left run and compile without the program
   * they need (they crashed): --after is dump's. */
  char *dir = temp_dir();
  expect_failure(dir, ARGS("run", "x.ein", "--after", "parse"), 2,
                 "einc: --after does not apply to run\nTry 'einc --help'.\n");
  expect_failure(dir, ARGS("compile", "x.ein", "--target", "accel", "--after=map", "-o", "m.ebin"),
                 2, "einc: --after does not apply to compile\nTry 'einc --help'.\n");
  ck_assert_int_eq(count_entries(dir), 2);
  remove_dir(dir);
  free(dir);
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
  char *model = str_printf("%s/examples/matmul.ein", test_srcdir());
  const char *with_good[] = {"compile", model, "--target", "accel", "--arch",
                             good,      "-o",  "m.ebin",   NULL};
  Run r = run_einc(dir, with_good);
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_str_eq(r.err, "");
  run_free(&r);
  const char *with_bad[] = {"compile", "m.ein", "--target", "accel", "--arch",
                            bad,       "-o",    "m.ebin",   NULL};
  r = run_einc(dir, with_bad);
  ck_assert_int_eq(r.status, 1);
  char *want = str_printf("einc: %s:2: unknown key 'mystery'", bad);
  ck_assert_msg(starts_with(r.err, want), "%s", r.err);
  free(want);
  run_free(&r);
  expect_failure(dir, ARGS("run", "m.ein", "--arch", good), 2,
                 "einc: --arch applies only to --target accel\nTry 'einc --help'.\n");
  remove_dir(dir);
  free(dir);
  free(model);
  free(good);
  free(bad);
}
END_TEST

START_TEST(test_run_missing_model) {
  char *dir = temp_dir();
  expect_failure(dir, ARGS("run", "x.ein"), 1,
                 "x.ein: error: cannot open: No such file or directory\n");
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
  ck_assert_int_eq(count_entries(dir), 3); /* ".", "..", softmax.txt */
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
  int n = count_entries(dir);
  ck_assert_msg(n == 2, "%d entries in %s after a failed dump", n, dir); /* "." and ".." */

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
  ck_assert_int_eq(count_entries(dir), 3);

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

/* ---- --target accel, check, disasm ------------------------------------------ */

static NpyArray read_npy(const char *path) {
  NpyArray a;
  char msg[512];
  ck_assert_msg(npy_read(path, &a, msg, sizeof msg), "%s", msg);
  return a;
}

/* The same shape, and every element within atol + rtol*|b| of b's. */
static void assert_close(const char *path_a, const char *path_b, double rtol, double atol) {
  NpyArray a = read_npy(path_a), b = read_npy(path_b);
  ck_assert_uint_eq(a.rank, b.rank);
  for (uint32_t d = 0; d < a.rank; d++)
    ck_assert_uint_eq(a.dims[d], b.dims[d]);
  for (uint64_t i = 0; i < a.count; i++) {
    double d = fabs((double)a.data[i] - (double)b.data[i]);
    ck_assert_msg(d <= atol + rtol * fabs((double)b.data[i]), "element %llu: %.9g vs %.9g",
                  (unsigned long long)i, (double)a.data[i], (double)b.data[i]);
  }
  npy_free(&a);
  npy_free(&b);
}

/* The whole of path equals the whole of other. */
static void assert_same_file(const char *path, const char *other) {
  size_t n1, n2;
  char *b1 = read_whole_file(path, &n1), *b2 = read_whole_file(other, &n2);
  ck_assert_msg(b1 && b2 && n1 == n2 && memcmp(b1, b2, n1) == 0, "%s and %s differ", path, other);
  free(b1);
  free(b2);
}

START_TEST(test_accel_usage_errors) {
  /* Exit 2, the exact message, nothing on standard output, before any work
   * (the model x.ein does not exist). */
  static const struct {
    const char *args[8];
    const char *err;
  } cases[] = {
      {{"run", "x.ein", "--target", "accel", "--fusion", "max", NULL},
       "einc: unknown fusion 'max': expected none or auto\n"},
      {{"compile", "x.ein", "--target", "accel", "--fusion", NULL},
       "einc: --fusion needs none or auto\n"},
      {{"run", "x.ein", "--mapping", NULL}, "einc: --mapping needs FILE.yaml\n"},
      {{"dump", "x.ein", "--fusion", "all", NULL},
       "einc: unknown fusion 'all': expected none or auto\n"},
      {{"run", "x.ein", "--stats", "s.json", NULL},
       "einc: --stats applies only to --target accel\n"},
      {{"check", "x.ein", "--rtol", "-1", NULL},
       "einc: bad --rtol '-1': expected a non-negative number\n"},
      {{"check", "x.ein", "--rtol", "tight", NULL},
       "einc: bad --rtol 'tight': expected a non-negative number\n"},
      {{"check", "x.ein", "--rtol=1e-3x", NULL},
       "einc: bad --rtol '1e-3x': expected a non-negative number\n"},
      {{"check", "x.ein", "--atol", "nan", NULL},
       "einc: bad --atol 'nan': expected a non-negative number\n"},
      {{"check", "x.ein", "--atol", "inf", NULL},
       "einc: bad --atol 'inf': expected a non-negative number\n"},
      {{"run", "x.ein", "--rtol", "0.1", NULL}, "einc: --rtol does not apply to run\n"},
      {{"check", "x.ein", "--target", "cpu", NULL}, "einc: --target does not apply to check\n"},
      {{"check", "x.ein", "--outdir", "o", NULL}, "einc: --outdir does not apply to check\n"},
      {{"run", "x.ein", "--precision", "f16", NULL},
       "einc: unknown precision 'f16': expected f32 or f64\n"},
      {{"run", "x.ein", "--precision", NULL}, "einc: --precision needs f32 or f64\n"},
      {{"run", "x.ein", "--target", "accel", "--precision", "f64", NULL},
       "einc: --precision applies only to --target cpu\n"},
      {{"check", "x.ein", "--precision", "f64", NULL},
       "einc: --precision does not apply to check\n"},
      {{"compile", "x.ein", "--precision=f64", NULL},
       "einc: --precision does not apply to compile\n"},
      {{"run", "x.ein", "--seed-scale", "0", NULL},
       "einc: bad --seed-scale '0': expected a positive number\n"},
      {{"check", "x.ein", "--seed-scale", "-2", NULL},
       "einc: bad --seed-scale '-2': expected a positive number\n"},
      {{"run", "x.ein", "--seed-scale=inf", NULL},
       "einc: bad --seed-scale 'inf': expected a positive number\n"},
      {{"run", "x.ein", "--seed-scale", "half", NULL},
       "einc: bad --seed-scale 'half': expected a positive number\n"},
      {{"check", "x.ein", "--seed-scale", NULL}, "einc: --seed-scale needs a number\n"},
      {{"dump", "x.ein", "--seed-scale", "2", NULL}, "einc: --seed-scale does not apply to dump\n"},
      {{"check", "x.ein", "--reference", "f16", NULL},
       "einc: unknown reference 'f16': expected f64 or f32\n"},
      {{"check", "x.ein", "--reference", NULL}, "einc: --reference needs f64 or f32\n"},
      {{"run", "x.ein", "--reference", "f32", NULL}, "einc: --reference does not apply to run\n"},
      {{"disasm", "x.ebin", "-D", "M=3", NULL},
       "einc: -D, --fusion and --mapping apply to a model, not to the binary x.ebin\n"},
      {{"disasm", "x.ebin", "--mapping", "m.yaml", NULL},
       "einc: -D, --fusion and --mapping apply to a model, not to the binary x.ebin\n"},
  };
  char *dir = temp_dir();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *want = str_printf("%sTry 'einc --help'.\n", cases[i].err);
    expect_failure(dir, cases[i].args, 2, want);
    free(want);
  }
  /* compile's own -o rules (no "Try" line, as for --target cpu). */
  expect_failure(dir, ARGS("compile", "x.ein", "--target", "accel"), 2,
                 "einc: compile needs -o MODEL.ebin\n");
  expect_failure(dir, ARGS("compile", "x.ein", "--target", "accel", "-o", "x.o"), 2,
                 "einc: --target accel writes an accelerator binary: use -o NAME.ebin, not "
                 "'x.o'\n");
  ck_assert_int_eq(count_entries(dir), 2);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_accel_missing_arch) {
  /* A missing --arch file is a rejected input (exit 1), reported before the
   * model is read, and nothing is written. */
  char *dir = temp_dir();
  char *model = str_printf("%s/examples/matmul.ein", test_srcdir());
  const char *const cmds[][9] = {
      {"compile", model, "--target", "accel", "--arch", "none.yaml", "-o", "m.ebin", NULL},
      {"run", model, "--target", "accel", "--arch", "none.yaml", NULL},
      {"check", model, "--arch", "none.yaml", NULL},
      {"disasm", model, "--arch", "none.yaml", "-o", "m.s", NULL},
  };
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    expect_failure(dir, cmds[i], 1, "einc: none.yaml: cannot open: No such file or directory\n");
  ck_assert_int_eq(count_entries(dir), 2);
  free(model);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_accel_backend_rejects) {
  /* What the accelerator backend refuses (here: tensors larger than the
   * architecture's DRAM) fails every accel command with the backend's
   * message at the model (exit 1), writes no file and leaves an existing
   * one as it was. The wording after "error: " is the backend's (today
   * "'A' (40000000000 bytes) does not fit in DRAM: ..." at A's declaration). */
  char *dir = temp_dir();
  char *model = str_printf("%s/examples/matmul.ein", test_srcdir());
  char *want = str_printf("%s:", model);
  const char *const cmds[][11] = {
      {"compile", model, "--target", "accel", "-D", "M=100000", "-D", "K=100000", "-o", "m.ebin",
       NULL},
      {"run", model, "--target", "accel", "-D", "M=100000", "-D", "K=100000", NULL},
      {"check", model, "-D", "M=100000", "-D", "K=100000", NULL},
      {"disasm", model, "-D", "M=100000", "-D", "K=100000", "-o", "m.s", NULL},
  };
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    Run r = run_einc(dir, cmds[i]);
    ck_assert_msg(r.status == 1, "%s: status %d", cmds[i][0], r.status);
    ck_assert_str_eq(r.out, "");
    ck_assert_msg(starts_with(r.err, want), "%s: %s", cmds[i][0], r.err);
    ck_assert_msg(strstr(r.err, ": error: ") && strstr(r.err, "DRAM"), "%s", r.err);
    ck_assert_int_eq(count_char(r.err, '\n'), 1);
    run_free(&r);
  }
  ck_assert_int_eq(count_entries(dir), 2);

  char *old = str_printf("%s/m.ebin", dir);
  FILE *f = fopen(old, "w");
  fputs("old\n", f);
  fclose(f);
  Run r = run_einc(dir, cmds[0]);
  ck_assert_int_eq(r.status, 1);
  run_free(&r);
  char *kept = read_whole_file(old, NULL);
  ck_assert_str_eq(kept, "old\n");
  ck_assert_int_eq(count_entries(dir), 3);
  free(kept);
  free(old);
  free(want);
  free(model);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_accel_rejects_bad_model) {
  /* A model with errors fails as under dump: its messages (the fixture's,
   * which test_error_fixture holds dump to), exit 1, no file. */
  char *dir = temp_dir();
  char *want_path = str_printf("%s/tests/errors/syntax_error.err", test_srcdir());
  char *want = read_whole_file(want_path, NULL);
  ck_assert_ptr_nonnull(want);
  const char *model = "tests/errors/syntax_error.ein";
  char *out = str_printf("%s/m.ebin", dir);
  expect_failure(test_srcdir(), ARGS("compile", model, "--target", "accel", "-o", out), 1, want);
  expect_failure(test_srcdir(), ARGS("run", model, "--target", "accel", "--outdir", dir), 1, want);
  expect_failure(test_srcdir(), ARGS("check", model), 1, want);
  ck_assert_int_eq(count_entries(dir), 2);
  free(out);
  free(want);
  free(want_path);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_run_accel_matches_cpu) {
  /* The same seeded inputs on both targets: the outputs agree within check's
   * default tolerance, and --target accel says nothing by default. */
  char *dir = temp_dir();
  char *acc = str_printf("%s/accel", dir), *cpu = str_printf("%s/cpu", dir);
  ck_assert_int_eq(mkdir(acc, 0700), 0);
  ck_assert_int_eq(mkdir(cpu, 0700), 0);
  Run r = run_einc(test_srcdir(),
                   ARGS("run", "examples/matmul.ein", "--target", "accel", "--outdir", acc));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, "");
  run_free(&r);
  r = run_einc(test_srcdir(), ARGS("run", "examples/matmul.ein", "--outdir", cpu));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  ck_assert_int_eq(count_entries(acc), 3); /* C.npy only */
  char *a = str_printf("%s/C.npy", acc), *c = str_printf("%s/C.npy", cpu);
  assert_close(a, c, 1e-4, 1e-5);
  free(a);
  free(c);
  remove_dir(acc);
  remove_dir(cpu);
  remove_dir(dir);
  free(acc);
  free(cpu);
  free(dir);
}
END_TEST

START_TEST(test_run_accel_stats) {
  /* --stats writes the figures and prints the summary; --verbose the
   * summary only; --fusion none is accepted. */
  char *dir = temp_dir();
  char *stats = str_printf("%s/s.json", dir);
  Run r = run_einc(test_srcdir(), ARGS("run", "examples/softmax.ein", "--target", "accel",
                                       "--fusion", "none", "--outdir", dir, "--stats", stats));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_str_eq(r.out, "");
  ck_assert_msg(strstr(r.err, " cycles ") != NULL, "%s", r.err);
  run_free(&r);
  char *json = read_whole_file(stats, NULL);
  ck_assert_ptr_nonnull(json);
  ck_assert_msg(json[0] == '{' && strstr(json, "\"cycles\":") && strstr(json, "\"energy_pj\":"),
                "%s", json);
  free(json);
  ck_assert_int_eq(count_entries(dir), 4); /* y.npy, s.json */
  r = run_einc(test_srcdir(), ARGS("run", "examples/softmax.ein", "--target", "accel", "--outdir",
                                   dir, "--verbose"));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_msg(strstr(r.err, " cycles ") != NULL, "%s", r.err);
  ck_assert_ptr_nonnull(strstr(r.err, "einc: accel: compiled "));
  run_free(&r);
  free(stats);
  remove_dir(dir);
  free(dir);
}
END_TEST

static bool has_line_suffix(const char *line, const char *suffix) {
  const char *end = strchr(line, '\n');
  size_t n = end ? (size_t)(end - line) : strlen(line), m = strlen(suffix);
  return n >= m && strncmp(line + n - m, suffix, m) == 0;
}

/* An output whose values reach the thousands: atol scales with them, so
 * fp32 rounding in another summation order is not a failure (absolute atol
 * failed Mamba-1 on seeded inputs with both targets within 1e-6 of float64
 * relative to the output's scale). */
START_TEST(test_check_scales_atol) {
  Run r = run_einc(test_srcdir(), ARGS("check", "examples/mamba1_layer.ein", "--reference", "f32"));
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  ck_assert_ptr_nonnull(strstr(r.out, "tolerance |d| <= atol*5.24e+04 + rtol*|cpu|"));
  run_free(&r);
}
END_TEST

START_TEST(test_check_softmax) {
  Run r = run_einc(test_srcdir(), ARGS("check", "examples/softmax.ein", "--reference", "f32"));
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  ck_assert_str_eq(r.err, "");
  ck_assert_int_eq(count_char(r.out, '\n'), 2);
  ck_assert_msg(starts_with(r.out, "y: max abs err "), "%s", r.out);
  ck_assert_ptr_nonnull(strstr(r.out, ", max rel err "));
  ck_assert_ptr_nonnull(strstr(r.out, ", worst at ["));
  ck_assert_ptr_nonnull(strstr(r.out, "] (cpu "));
  ck_assert_ptr_nonnull(strstr(r.out, ", accel "));
  ck_assert_msg(has_line_suffix(r.out, "), tolerance |d| <= atol*1 + rtol*|cpu| (atol 1e-05, rtol "
                                       "0.0001): ok"),
                "%s", r.out);
  ck_assert_str_eq(strchr(r.out, '\n') + 1, "check: all 1 output within tolerance\n");
  run_free(&r);
  /* The tolerances given are the ones printed. */
  r = run_einc(test_srcdir(), ARGS("check", "examples/softmax.ein", "--rtol", "0.01", "--atol=0",
                                   "--seed", "9", "--reference=f32"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_msg(has_line_suffix(r.out, "(atol 0, rtol 0.01): ok"), "%s", r.out);
  run_free(&r);
}
END_TEST

START_TEST(test_check_out_of_tolerance) {
  /* With no tolerance at all, hyena's long sums (summed in another order on
   * each target) differ: exit 1, FAILED, and the count. */
  Run r = run_einc(test_srcdir(), ARGS("check", "examples/hyena.ein", "--rtol", "0", "--atol", "0",
                                       "--reference", "f32"));
  ck_assert_msg(r.status == 1, "%s%s", r.out, r.err);
  ck_assert_str_eq(r.err, "");
  ck_assert_msg(starts_with(r.out, "y: max abs err "), "%s", r.out);
  ck_assert_msg(has_line_suffix(r.out, "(atol 0, rtol 0): FAILED"), "%s", r.out);
  ck_assert_str_eq(strchr(r.out, '\n') + 1, "check: 1 of 1 output out of tolerance\n");
  run_free(&r);
  /* --input is checked as under run. */
  expect_failure(test_srcdir(), ARGS("check", "examples/matmul.ein", "--input", "nope=x.npy"), 1,
                 "einc: --input nope=x.npy: examples/matmul.ein has no input or param 'nope'\n");
}
END_TEST

/* The default comparison, against the cpu's float64 reference: each f32
 * target's worst error, where, and the accelerator's closest call. */
START_TEST(test_check_f64_reference) {
  Run r = run_einc(test_srcdir(), ARGS("check", "examples/softmax.ein"));
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  ck_assert_str_eq(r.err, "");
  ck_assert_int_eq(count_char(r.out, '\n'), 2);
  ck_assert_msg(starts_with(r.out, "y: cpu max err "), "%s", r.out);
  ck_assert_ptr_nonnull(strstr(r.out, " of scale "));
  ck_assert_ptr_nonnull(strstr(r.out, "; accel max err "));
  ck_assert_ptr_nonnull(strstr(r.out, "; worst at ["));
  ck_assert_ptr_nonnull(strstr(r.out, "] (f64 "));
  ck_assert_ptr_nonnull(strstr(r.out, " of its allowance): ok\n"));
  ck_assert_str_eq(strchr(r.out, '\n') + 1, "check: all 1 output within tolerance\n");
  run_free(&r);
  /* hyena's long sums, which differ with no tolerance at all, are as close
   * to float64 on the accelerator as on the cpu; --rtol and --atol are
   * extra slack and are printed. */
  r = run_einc(test_srcdir(), ARGS("check", "examples/hyena.ein"));
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  run_free(&r);
  r = run_einc(test_srcdir(), ARGS("check", "examples/hyena.ein", "--rtol", "1e-3"));
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  ck_assert_msg(strstr(r.out, " of its allowance (with atol 0, rtol 0.001)): ok\n"), "%s", r.out);
  run_free(&r);
  /* --seed-scale 0.5 halves the seeded values: the output's scale moves. */
  r = run_einc(test_srcdir(), ARGS("check", "examples/mamba1_layer.ein", "--seed-scale", "0.5"));
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  ck_assert_msg(!strstr(r.out, "of scale 5.24e+04"), "%s", r.out);
  run_free(&r);
}
END_TEST

/* The whole of a .npy file as float64 (both '<f4' and '<f8' read). */
static NpyArray64 read_npy64(const char *path) {
  NpyArray64 a;
  char msg[512];
  ck_assert_msg(npy_read_shape_f64(path, 2, (const uint32_t[]){64, 32}, &a, msg, sizeof msg), "%s",
                msg);
  return a;
}

START_TEST(test_run_precision_f64) {
  /* --precision f64 writes float64 outputs (which the f32 reader refuses),
   * within fp32 rounding of the f32 run's; --input takes '<f4' files
   * (widened) and '<f8' files. */
  char *dir = temp_dir();
  char *d32 = str_printf("%s/f32", dir), *d64 = str_printf("%s/f64", dir),
       *d64b = str_printf("%s/f64b", dir);
  ck_assert_int_eq(mkdir(d32, 0700), 0);
  ck_assert_int_eq(mkdir(d64, 0700), 0);
  ck_assert_int_eq(mkdir(d64b, 0700), 0);
  Run r = run_einc(test_srcdir(), ARGS("run", "examples/matmul.ein", "--outdir", d32));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  r = run_einc(test_srcdir(),
               ARGS("run", "examples/matmul.ein", "--precision", "f64", "--outdir", d64));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_msg(starts_with(r.err, "einc: cpu (f64): compiled in "), "%s", r.err);
  run_free(&r);
  char *c32 = str_printf("%s/C.npy", d32), *c64 = str_printf("%s/C.npy", d64);
  NpyArray bad;
  char msg[512];
  ck_assert(!npy_read(c64, &bad, msg, sizeof msg));
  ck_assert_msg(strstr(msg, "dtype '<f8' is not supported"), "%s", msg);
  NpyArray64 a = read_npy64(c32), b = read_npy64(c64);
  bool differs = false;
  for (uint64_t i = 0; i < a.count; i++) {
    ck_assert_msg(fabs(a.data[i] - b.data[i]) <= 1e-5 * (1 + fabs(b.data[i])), "%g vs %g",
                  a.data[i], b.data[i]);
    differs |= a.data[i] != b.data[i];
  }
  ck_assert_msg(differs, "the f64 run gave exactly the f32 values");
  npy_free_f64(&a);
  /* C itself as an input: float64 accepted in f64, refused in f32. */
  char *model = str_printf("%s/id.ein", dir);
  FILE *f = fopen(model, "w");
  fputs("input x[64, 32]\noutput y[64, 32]\ny[i, j] = x[i, j] * 1\n", f);
  fclose(f);
  char *in = str_printf("x=%s", c64);
  r = run_einc(dir, ARGS("run", model, "--precision", "f64", "--input", in, "--outdir", d64b));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  char *y64 = str_printf("%s/y.npy", d64b);
  NpyArray64 y = read_npy64(y64);
  for (uint64_t i = 0; i < y.count; i++)
    ck_assert(y.data[i] == b.data[i]);
  npy_free_f64(&y);
  npy_free_f64(&b);
  char *want = str_printf("einc: --input x: %s: dtype '<f8' is not supported (only '<f4', "
                          "little-endian float32)\n",
                          c64);
  expect_failure(dir, ARGS("run", model, "--input", in, "--outdir", d64b), 1, want);
  free(want);
  free(y64);
  free(in);
  free(model);
  free(c32);
  free(c64);
  remove_dir(d32);
  remove_dir(d64);
  remove_dir(d64b);
  remove_dir(dir);
  free(d32);
  free(d64);
  free(d64b);
  free(dir);
}
END_TEST

START_TEST(test_seed_scale) {
  /* Seeded values in [-2, 2): twice the default ones, exactly, so the
   * matmul's products are four times as large, exactly. */
  char *dir = temp_dir();
  char *d1 = str_printf("%s/s1", dir), *d2 = str_printf("%s/s2", dir);
  ck_assert_int_eq(mkdir(d1, 0700), 0);
  ck_assert_int_eq(mkdir(d2, 0700), 0);
  Run r = run_einc(test_srcdir(), ARGS("run", "examples/matmul.ein", "--outdir", d1));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  r = run_einc(test_srcdir(), ARGS("run", "examples/matmul.ein", "--target", "accel",
                                   "--seed-scale", "2", "--outdir", d2));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  r = run_einc(test_srcdir(), ARGS("run", "examples/matmul.ein", "--seed-scale=2", "--outdir", d2));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  char *c1 = str_printf("%s/C.npy", d1), *c2 = str_printf("%s/C.npy", d2);
  NpyArray a = read_npy(c1), b = read_npy(c2);
  ck_assert_uint_eq(a.count, b.count);
  for (uint64_t i = 0; i < a.count; i++)
    ck_assert_msg(4 * a.data[i] == b.data[i], "%g vs %g", (double)a.data[i], (double)b.data[i]);
  npy_free(&a);
  npy_free(&b);
  free(c1);
  free(c2);
  remove_dir(d1);
  remove_dir(d2);
  remove_dir(dir);
  free(d1);
  free(d2);
  free(dir);
}
END_TEST

START_TEST(test_compile_accel_runs_on_einsim) {
  /* einc compile --target accel writes one .ebin that einsim runs, giving
   * what einc run --target accel gives (same simulator, same inputs). */
  char *dir = temp_dir();
  char *bin = str_printf("%s/m.ebin", dir), *sim_out = str_printf("%s/sim", dir),
       *run_out = str_printf("%s/run", dir);
  Run r = run_einc(test_srcdir(), ARGS("compile", "examples/matmul.ein", "--target", "accel",
                                       "--fusion", "none", "-o", bin));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, "");
  run_free(&r);
  ck_assert_int_eq(count_entries(dir), 3); /* no temporary left */
  char *einsim = tool_path("EINSIM", "einsim");
  r = run_program(einsim, dir, ARGS(bin, "--outdir", sim_out, "--seed", "5", "--quiet"));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  ck_assert_int_eq(mkdir(run_out, 0700), 0);
  r = run_einc(test_srcdir(), ARGS("run", "examples/matmul.ein", "--target", "accel", "--fusion",
                                   "none", "--seed", "5", "--outdir", run_out));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  char *a = str_printf("%s/C.npy", sim_out), *b = str_printf("%s/C.npy", run_out);
  assert_same_file(a, b);
  free(a);
  free(b);
  free(einsim);
  remove_dir(sim_out);
  remove_dir(run_out);
  free(sim_out);
  free(run_out);
  free(bin);
  remove_dir(dir);
  free(dir);
}
END_TEST

/* Issue 14: tensors of more than 8 dimensions on the accelerator, as a user
 * runs them. einc run --target accel gives the cpu's numbers in the
 * program's shapes; the binary einc compile writes runs on einsim to the
 * same files, and takes --input files of the program's shapes (its tensor
 * table keeps every shape of up to 16 dimensions). */
static const struct {
  const char *text, *output;
  const char *inputs[2]; /* inputs given as files to einsim and einc */
  uint32_t rank;         /* the output's */
} high_rank_programs[] = {
    {"input x0[4, 3, 2]\ninput x1[2, 3, 2, 2, 4, 2, 3, 2, 4]\noutput out[3, 2]\n"
     "out[e, f] = x0[g, a, h] * x1[c, d, b, c, g, h, e, f, g]\n",
     "out",
     {"x0", "x1"},
     2},
    {"input x[2, 3, 1, 2, 1, 2, 1, 3, 1, 2, 1, 2]\ninput w[3, 2]\n"
     "output y[2, 2, 1, 2, 1, 3, 1, 2, 1, 2, 1, 3]\n"
     "y[a, b, c, d, e, f, g, h, i, j, k, l] = x[a, l, c, b, e, d, g, f, i, h, k, j] * w[f, j] + "
     "x[b, f, c, a, e, j, g, l, k, h, i, d]\n",
     "y",
     {"x", "w"},
     12},
};

/* DIR/NAME.npy holding 0.5, 1, 1.5, ... in the shape of NAME in the model
 * text (its "input NAME[...]" line). */
static char *write_input_like(const char *dir, const char *text, const char *name) {
  char *decl = str_printf("input %s[", name);
  const char *p = strstr(text, decl);
  ck_assert_ptr_nonnull(p);
  p += strlen(decl);
  uint64_t dims[NPY_MAX_RANK], n = 1;
  uint32_t rank = 0;
  while (*p != ']') {
    char *end;
    dims[rank] = strtoull(p, &end, 10);
    n *= dims[rank++];
    p = end + (*end == ',' ? 2 : 0);
  }
  float *v = malloc(n * sizeof *v);
  for (uint64_t i = 0; i < n; i++)
    v[i] = 0.5f * (float)(i % 97 + 1);
  char *path = str_printf("%s/%s.npy", dir, name), msg[256];
  ck_assert_msg(npy_write(path, rank, dims, v, msg, sizeof msg), "%s", msg);
  free(v);
  free(decl);
  return path;
}

START_TEST(test_high_rank_on_accel) {
  const char *text = high_rank_programs[_i].text, *y = high_rank_programs[_i].output;
  char *dir = temp_dir();
  char *model = str_printf("%s/m.ein", dir), *bin = str_printf("%s/m.ebin", dir);
  FILE *f = fopen(model, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
  const char *sub[] = {"cpu", "acc", "sim", "acc_in", "sim_in"};
  char *out[5], *file[5];
  for (int i = 0; i < 5; i++) {
    out[i] = str_printf("%s/%s", dir, sub[i]);
    file[i] = str_printf("%s/%s.npy", out[i], y);
    if (i != 2 && i != 4)
      ck_assert_int_eq(mkdir(out[i], 0700), 0);
  }
  Run r = run_einc(dir, ARGS("run", model, "--seed", "7", "--outdir", out[0]));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  r = run_einc(dir, ARGS("run", model, "--target", "accel", "--seed", "7", "--outdir", out[1]));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_str_eq(r.err, "");
  run_free(&r);
  assert_close(file[1], file[0], 1e-4, 1e-5); /* and the same shape */
  NpyArray a = read_npy(file[1]);
  ck_assert_uint_eq(a.rank, high_rank_programs[_i].rank);
  npy_free(&a);
  r = run_einc(dir, ARGS("compile", model, "--target", "accel", "-o", bin));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  char *einsim = tool_path("EINSIM", "einsim");
  r = run_program(einsim, dir, ARGS(bin, "--outdir", out[2], "--seed", "7", "--quiet"));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  assert_same_file(file[2], file[1]);
  /* Inputs from files of the program's shapes, on both. */
  char *in0 = write_input_like(dir, text, high_rank_programs[_i].inputs[0]);
  char *in1 = write_input_like(dir, text, high_rank_programs[_i].inputs[1]);
  char *arg0 = str_printf("%s=%s", high_rank_programs[_i].inputs[0], in0);
  char *arg1 = str_printf("%s=%s", high_rank_programs[_i].inputs[1], in1);
  r = run_program(einsim, dir,
                  ARGS(bin, "--outdir", out[4], "--input", arg0, "--input", arg1, "--quiet"));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  r = run_einc(dir, ARGS("run", model, "--target", "accel", "--input", arg0, "--input", arg1,
                         "--outdir", out[3]));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  assert_same_file(file[4], file[3]);
  for (int i = 4; i >= 0; i--) {
    remove_dir(out[i]);
    free(out[i]);
    free(file[i]);
  }
  free(arg0);
  free(arg1);
  free(in0);
  free(in1);
  free(einsim);
  free(bin);
  free(model);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_rank_seventeen_output_on_accel) {
  /* The binary keeps 16 dimensions (a .npy file's most) and merges the
   * leading ones of a larger rank: fine in memory (check), refused for an
   * output einsim would write in another shape. */
  char *dir = temp_dir();
  char *model = str_printf("%s/m.ein", dir);
  FILE *f = fopen(model, "w");
  ck_assert_ptr_nonnull(f);
  fputs("input x[2, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 3]\n"
        "output y[2, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 3]\n"
        "y[a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q] = "
        "x[a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q] * 2\n",
        f);
  ck_assert_int_eq(fclose(f), 0);
  expect_failure(dir, ARGS("compile", model, "--target", "accel", "-o", "m.ebin"), 1,
                 "einc: output 'y' has rank 17; einsim writes each output of the binary as a .npy "
                 "file, which holds at most 16 dimensions\n");
  ck_assert_int_eq(count_entries(dir), 3); /* m.ein only */
  Run r = run_einc(dir, ARGS("check", model));
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  run_free(&r);
  free(model);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_disasm) {
  /* The listing of a model reassembles to the binary compile writes; a
   * binary (by name or by magic) disassembles to the same text as einasm's. */
  char *dir = temp_dir();
  char *model = str_printf("%s/examples/softmax.ein", test_srcdir());
  char *einasm = tool_path("EINASM", "einasm");
  char *bin = str_printf("%s/m.ebin", dir), *again = str_printf("%s/again.ebin", dir);
  char *renamed = str_printf("%s/m.bin", dir);
  char *arch = str_printf("%s/arch/default.yaml", test_srcdir());
  Run r = run_einc(dir, ARGS("compile", model, "--target", "accel", "-o", "m.ebin"));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  r = run_einc(dir, ARGS("disasm", model, "-o", "m.s"));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, "");
  run_free(&r);
  r = run_program(einasm, dir, ARGS("asm", "m.s", "-o", "again.ebin"));
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  assert_same_file(bin, again);

  Run want = run_program(einasm, dir, ARGS("disasm", "m.ebin"));
  ck_assert_int_eq(want.status, 0);
  r = run_einc(dir, ARGS("disasm", "m.ebin"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, want.out);
  run_free(&r);
  ck_assert_int_eq(rename(bin, renamed), 0);
  r = run_einc(dir, ARGS("disasm", "m.bin", "--arch", arch)); /* by its magic */
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, want.out);
  run_free(&r);
  run_free(&want);
  r = run_einc(dir, ARGS("disasm", "none.ebin"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_msg(starts_with(r.err, "einc: none.ebin: cannot open"), "%s", r.err);
  run_free(&r);
  free(arch);
  free(renamed);
  free(again);
  free(bin);
  free(einasm);
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
  tcase_add_test(tc, test_option_spellings);
  tcase_add_test(tc, test_double_dash);
  tcase_add_test(tc, test_after_only_for_dump);
  tcase_add_test(tc, test_arch_option);
  tcase_add_test(tc, test_run_missing_model);
  tcase_add_test(tc, test_dump_text);
  tcase_add_test(tc, test_dump_define);
  tcase_add_test(tc, test_dump_json_and_dot);
  tcase_add_test(tc, test_dump_output_file);
  tcase_add_test(tc, test_failed_dump_writes_nothing);
  tcase_add_test(tc, test_dump_of_dump);
  suite_add_tcase(s, tc);
  tc = tcase_create("accel");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_accel_usage_errors);
  tcase_add_test(tc, test_accel_missing_arch);
  tcase_add_test(tc, test_accel_backend_rejects);
  tcase_add_test(tc, test_accel_rejects_bad_model);
  tcase_add_test(tc, test_run_accel_matches_cpu);
  tcase_add_test(tc, test_run_accel_stats);
  tcase_add_test(tc, test_check_softmax);
  tcase_add_test(tc, test_check_scales_atol);
  tcase_add_test(tc, test_check_out_of_tolerance);
  tcase_add_test(tc, test_check_f64_reference);
  tcase_add_test(tc, test_run_precision_f64);
  tcase_add_test(tc, test_seed_scale);
  tcase_add_test(tc, test_compile_accel_runs_on_einsim);
  tcase_add_loop_test(tc, test_high_rank_on_accel, 0, 2);
  tcase_add_test(tc, test_rank_seventeen_output_on_accel);
  tcase_add_test(tc, test_disasm);
  suite_add_tcase(s, tc);
  return run_suites(s, NULL);
}
