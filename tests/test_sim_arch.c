/* Architecture files: the default file is the built-in machine, and every
 * kind of mistake is an error with the file's line number. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/arch.h"
#include "tests/sim/simtest.h"
#include "tests/testutil.h"

/* arch/default.yaml, whole (malloc'ed): the text the edits start from. */
static char *default_text(void) {
  char *text = read_whole_file(simtest_path("arch/default.yaml"), NULL);
  ck_assert_msg(text != NULL, "cannot read arch/default.yaml");
  return text;
}

START_TEST(default_file_is_builtin) {
  Arch file, builtin;
  char msg[400];
  ck_assert_msg(arch_load(&file, simtest_path("arch/default.yaml"), msg, sizeof msg), "%s", msg);
  arch_default(&builtin);
  ck_assert_str_eq(file.name, builtin.name);
  ck_assert_uint_eq(arch_hash(&file), arch_hash(&builtin));
  ck_assert_uint_eq(file.mx_rows, 16);
  ck_assert_uint_eq(file.buf_bytes, 262144);
  ck_assert_double_eq(file.e_mac, 4.6);
  ck_assert_uint_eq(arch_buffer_words(&file), 65536);
  ck_assert_uint_eq(arch_bank_words(&file), 16384);
  Arch small = simtest_small_arch();
  ck_assert_uint_ne(arch_hash(&small), arch_hash(&builtin));
}
END_TEST

/* Replaces the first occurrence of `from` in the default file by `to`, parses
 * it, and checks the error message. */
static void expect_error(const char *from, const char *to, const char *want) {
  char *text = default_text();
  const char *at = strstr(text, from);
  ck_assert_msg(at != NULL, "'%s' not in the default file", from);
  char *edited = str_printf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  Arch a;
  char msg[400];
  ck_assert_msg(!arch_parse(&a, "a.yaml", edited, strlen(edited), msg, sizeof msg),
                "accepted %s -> %s", from, to);
  ck_assert_msg(strstr(msg, want), "message '%s' lacks '%s'", msg, want);
  free(edited);
  free(text);
}

/* The line (1-based) on which `needle` appears in the default file. */
static int line_of(const char *needle) {
  char *text = default_text();
  const char *at = strstr(text, needle);
  ck_assert_ptr_nonnull(at);
  int line = 1;
  for (const char *p = text; p < at; p++)
    line += *p == '\n';
  free(text);
  return line;
}

START_TEST(errors_name_the_line) {
  char want[200];
  snprintf(want, sizeof want, "a.yaml:%d: unknown key 'matrix.rowz'", line_of("  rows: 16"));
  expect_error("  rows: 16", "  rowz: 16", want);
  snprintf(want, sizeof want, "a.yaml:%d: 'matrix.rows' = 0 is out of range (1..1024)",
           line_of("  rows: 16"));
  expect_error("  rows: 16", "  rows: 0", want);
  snprintf(want, sizeof want,
           "a.yaml:%d: 'matrix.cols' must be a non-negative integer, got "
           "'sixteen'",
           line_of("  cols: 16"));
  expect_error("  cols: 16", "  cols: sixteen", want);
  expect_error("  cols: 16", "  cols: \"16\"", "'matrix.cols' must be an integer, not a string");
  expect_error("  cols: 16", "  cols: -3", "must be a non-negative integer, got '-3'");
  expect_error("  cols: 16", "  cols: 1.5", "must be a non-negative integer, got '1.5'");
  expect_error("  cols: 16", "  cols: [16]", "'matrix.cols' must be a scalar, found a list");
  expect_error("  cols: 16", "  cols: 16\n  cols: 16", "duplicate key 'matrix.cols'");
  expect_error("clock_ghz: 1.0", "clock_ghz: fast", "'clock_ghz' must be a finite number");
  expect_error("clock_ghz: 1.0", "clock_ghz: .inf", "'clock_ghz' must be a finite number");
  expect_error("clock_ghz: 1.0", "clock_ghz: 1e9", "'clock_ghz' = 1e+09 is out of range");
  expect_error("  bytes_per_cycle: 32", "  bytes_per_cycle: 0", "out of range");
  expect_error("  bytes: 262144", "  bytes: 262145", "must be a multiple of 4 * buffer.banks");
  expect_error("  bytes: 262144", "  bytes: 99999999999999999999999", "non-negative integer");
  snprintf(want, sizeof want, "a.yaml:%d: missing key 'matrix.rows'", line_of("matrix:"));
  expect_error("  rows: 16\n", "", want);
  expect_error("name: einc-default", "", "missing key 'name'");
  expect_error("matrix:", "matrix: 3\nmatrixx:", "'matrix' must be a mapping of keys");
  expect_error("name: einc-default", "name: [a]", "'name' must be a string");
  expect_error("name: einc-default", "name: einc-default\n  bad: indent", "a.yaml:");
  expect_error("tokens:", "tokens: &t\n  depth: 1\nt2: *t\ntokens:", "unknown key 't2'");
}
END_TEST

START_TEST(whole_file_errors) {
  Arch a;
  char msg[400];
  ck_assert(!arch_parse(&a, "e.yaml", "", 0, msg, sizeof msg));
  ck_assert_msg(strstr(msg, "e.yaml:"), "%s", msg);
  ck_assert(!arch_parse(&a, "e.yaml", "- 1\n- 2\n", 8, msg, sizeof msg));
  ck_assert_msg(strstr(msg, "expected a mapping of sections, found a list"), "%s", msg);
  const char *two = "name: x\n---\nname: y\n";
  ck_assert(!arch_parse(&a, "e.yaml", two, strlen(two), msg, sizeof msg));
  ck_assert_msg(strstr(msg, "e.yaml:"), "%s", msg);
  const char *bad = "name: x\nmatrix: {rows: 4\n";
  ck_assert(!arch_parse(&a, "e.yaml", bad, strlen(bad), msg, sizeof msg));
  ck_assert_msg(strstr(msg, "e.yaml:"), "%s", msg);
  ck_assert(!arch_load(&a, "/nonexistent.yaml", msg, sizeof msg));
  ck_assert(strstr(msg, "cannot open"));
  /* A duplicate section. */
  char *text = default_text();
  char *twice = str_printf("%s\ntokens:\n  depth: 4\n", text);
  ck_assert(!arch_parse(&a, "e.yaml", twice, strlen(twice), msg, sizeof msg));
  ck_assert_msg(strstr(msg, "duplicate section 'tokens'"), "%s", msg);
  free(twice);
  free(text);
}
END_TEST

int main(void) {
  Suite *s = suite_create("arch");
  TCase *tc = tcase_create("arch");
  tcase_add_test(tc, default_file_is_builtin);
  tcase_add_test(tc, errors_name_the_line);
  tcase_add_test(tc, whole_file_errors);
  suite_add_tcase(s, tc);
  return run_suites(s, NULL);
}
