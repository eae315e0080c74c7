/* Tests of the frontend: the scanner and parser, semantic analysis (every
 * rule of the language spec, valid and invalid), the text printer's round
 * trip over every example and spec program, and the Loop IR that lowering
 * makes of a recurrence's init.
 *
 * Programs are compiled in memory with frontend_compile_text; diagnostics go
 * to a memory stream so that messages are checked exactly. The IR is checked
 * through its text form (with comments and blank lines removed: the "body")
 * and, where the text cannot show it, through the Cascade structs. */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frontend/frontend.h"
#include "ir/cascade.h"
#include "ir/loop.h"
#include "tests/testutil.h"

/* ---- compiling in memory ------------------------------------------------- */

typedef struct Compiled {
  Arena arena;
  Cascade *c;
  char *errors; /* what the diagnostics printed */
  size_t errors_len;
  int nerrors;
} Compiled;

static void compile_full(Compiled *r, const char *file, const char *text, size_t len,
                         const Define *defs, int ndefs) {
  arena_init(&r->arena);
  r->errors = NULL;
  r->errors_len = 0;
  FILE *f = open_memstream(&r->errors, &r->errors_len);
  ck_assert_ptr_nonnull(f);
  Diag d;
  diag_init(&d, f);
  r->c = frontend_compile_text(file, text, len, defs, ndefs, &r->arena, &d);
  r->nerrors = d.nerrors;
  fclose(f);
}

static void compile(Compiled *r, const char *text) {
  compile_full(r, "t.ein", text, strlen(text), NULL, 0);
}

static void compiled_free(Compiled *r) {
  arena_free(&r->arena);
  free(r->errors);
}

/* Compiling text under the -D values defs is refused with exactly want. */
static void expect_define_errors(const char *text, const Define *defs, int ndefs,
                                 const char *want) {
  Compiled r;
  compile_full(&r, "t.ein", text, strlen(text), defs, ndefs);
  ck_assert_ptr_null(r.c);
  ck_assert_str_eq(r.errors, want);
  compiled_free(&r);
}

typedef void (*Printer)(const Cascade *c, FILE *out);

static char *print_to_string(Printer p, const Cascade *c) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_ptr_nonnull(f);
  p(c, f);
  fclose(f);
  return buf;
}

/* The text form without comments, trailing blanks and blank lines: the
 * declarations and statements, which is what the tests pin down. */
static char *body_of(const Cascade *c) {
  char *text = print_to_string(print_text, c);
  char *out = malloc(strlen(text) + 1);
  size_t n = 0;
  for (char *line = text; *line;) {
    char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char *hash = memchr(line, '#', len);
    size_t keep = hash ? (size_t)(hash - line) : len;
    while (keep > 0 && line[keep - 1] == ' ')
      keep--;
    if (keep > 0) {
      memcpy(out + n, line, keep);
      n += keep;
      out[n++] = '\n';
    }
    line += len + (end != NULL);
  }
  out[n] = '\0';
  free(text);
  return out;
}

/* Compiles text that must be accepted and returns its body. */
static char *body_of_program(const char *name, const char *text) {
  Compiled r;
  compile(&r, text);
  ck_assert_msg(r.c != NULL, "%s: rejected:\n%s", name, r.errors);
  ck_assert_msg(r.errors_len == 0, "%s: accepted with messages:\n%s", name, r.errors);
  char *body = body_of(r.c);
  compiled_free(&r);
  return body;
}

/* A case of the tables below: a program and what it must give, either the
 * body of its IR (valid programs) or its exact diagnostics (invalid ones). */
typedef struct Case {
  const char *name;
  const char *src;
  const char *want;
} Case;

#define NCASES(table) ((int)(sizeof(table) / sizeof(table)[0]))

static void check_valid(const Case *k) {
  char *body = body_of_program(k->name, k->src);
  ck_assert_msg(strcmp(body, k->want) == 0, "%s: got\n%s\nwant\n%s", k->name, body, k->want);
  free(body);
}

static void check_invalid(const Case *k) {
  Compiled r;
  compile(&r, k->src);
  ck_assert_msg(r.c == NULL, "%s: accepted an invalid program", k->name);
  ck_assert_msg(strcmp(r.errors, k->want) == 0, "%s: got\n%s\nwant\n%s", k->name, r.errors,
                k->want);
  ck_assert_int_eq(r.nerrors, count_char(k->want, '\n'));
  compiled_free(&r);
}

/* ---- looking into the Cascade -------------------------------------------- */

static const Einsum *einsum_of(const Cascade *c, const char *out) {
  for (int i = 0; i < c->neinsums; i++)
    if (strcmp(c->einsums[i]->out->name, out) == 0)
      return c->einsums[i];
  ck_abort_msg("no statement defines '%s'", out);
  return NULL;
}

static int var_of(const Einsum *e, const char *name) {
  for (int v = 0; v < e->nvars; v++)
    if (strcmp(e->vars[v].name, name) == 0)
      return v;
  ck_abort_msg("no variable '%s'", name);
  return -1;
}

static bool is_read_of(const Expr *x, const char *tensor) {
  return x->kind == EX_READ && strcmp(x->tensor->name, tensor) == 0;
}

static bool is_binary(const Expr *x, Op op) { return x->kind == EX_BINARY && x->op == op; }
static bool is_unary(const Expr *x, Op op) { return x->kind == EX_UNARY && x->op == op; }

/* The constants of an expression, in the order they are written. */
static void collect_constants(const Expr *x, double *out, int *n, int max) {
  if (x->kind == EX_CONST) {
    ck_assert_int_lt(*n, max);
    out[(*n)++] = x->value;
    return;
  }
  for (int i = 0; i < x->nargs; i++)
    collect_constants(x->arg[i], out, n, max);
}

/* ======================================================================== */
/* Scanner                                                                  */
/* ======================================================================== */

/* Where a statement ends and where it goes on (lexical rules). */
static const Case termination_cases[] = {
    {"newline inside ( and [ continues",
     "input x[4,\n3]\noutput y[4]\ny[i] = sum(j: (x[i, j]\n+ 1)\n)\n",
     "input x[4, 3]\noutput y[4]\ny[i] = sum(j: x[i, j] + 1)\n"},
    {"newline after , continues", "let A = 2,\nB = 3\ninput x[A,\nB]\n",
     "let A = 2, B = 3\ninput x[2, 3]\n"},
    {"newline after = continues", "input x[4]\ny[i] =\nx[i]\n",
     "input x[4]\ntensor y[4]\ny[i] = x[i]\n"},
    {"newline after each binary operator continues",
     "input a\ninput b\ny = a +\nb -\na *\nb /\na\nz = select(a <\nb ||\na <=\nb &&\na >\nb ||\na "
     ">=\nb "
     "||\na ==\nb ||\na !=\nb, 1, 0)\n",
     "input a\ninput b\ntensor y\ntensor z\ny = a + b - a * b / a\n"
     "z = select(a < b || a <= b && a > b || a >= b || a == b || a != b, 1, 0)\n"},
    {"newline after ! and : continues",
     "input a\ninput x[3]\ny = select(!\n(a < 1), 1, 0) + sum(k:\nx[k])\n",
     "input a\ninput x[3]\ntensor y\ny = select(!(a < 1), 1, 0) + sum(k: x[k])\n"},
    {"semicolons separate statements", "input x[4]; output y[4]; y[i] = x[i];; ;\n",
     "input x[4]\noutput y[4]\ny[i] = x[i]\n"},
    {"blank lines and comments",
     "\n\n# a comment\n  // another\ninput x[4] // after\n\n\n# x\noutput y[4]# "
     "touching\n\ny[i] = x[i] # end\n\n",
     "input x[4]\noutput y[4]\ny[i] = x[i]\n"},
    {"last statement without newline", "input x[4]\noutput y[4]\ny[i] = x[i]",
     "input x[4]\noutput y[4]\ny[i] = x[i]\n"},
    {"comment at end of file without newline", "input x[4]\noutput y[4]\ny[i] = x[i] // end",
     "input x[4]\noutput y[4]\ny[i] = x[i]\n"},
    {"CRLF line ends", "input x[4]\r\noutput y[4]\r\ny[i] = x[i]\r\n",
     "input x[4]\noutput y[4]\ny[i] = x[i]\n"},
    {"UTF-8 inside comments", "input x[4] # caf\xc3\xa9 \xe2\x88\x91\noutput y[4]\ny[i] = x[i]\n",
     "input x[4]\noutput y[4]\ny[i] = x[i]\n"},
    {"empty program", "", ""},
    {"only comments", "# nothing\n// here\n", ""},
};

START_TEST(test_termination) { check_valid(&termination_cases[_i]); }
END_TEST

/* Where a statement ends, seen from the errors a wrong guess would give. */
static const Case termination_error_cases[] = {
    {"newline before a binary operator ends the statement", "input x[4]\ny[i] = x[i]\n+ 1\n",
     "t.ein:3:1: error: unexpected '+'\n"},
    {"newline after the left-hand side ends it", "input x[4]\ny[i]\n= x[i]\n",
     "t.ein:2:5: error: unexpected end of line, expecting '='\n"
     "t.ein:3:1: error: unexpected '='\n"},
    {"newline after init ends the statement", "input x[4]\nh[i] = h[i-1] + x[i] init\n0\n",
     "t.ein:2:26: error: unexpected end of line\n"
     "t.ein:3:1: error: unexpected number\n"},
    {"semicolon ends a statement inside brackets", "input x[4]\ny[i] = x[i; z[i] = q[i]\n",
     "t.ein:2:11: error: unexpected ';', expecting ',' or ']'\n"},
};

START_TEST(test_termination_errors) { check_invalid(&termination_error_cases[_i]); }
END_TEST

START_TEST(test_semicolon_recovers_inside_brackets) {
  /* After `x[i;` the next statement on the line is parsed on its own: its
   * own syntax error is reported too. */
  Compiled r;
  compile(&r, "input x[4]\ny[i] = x[i; z[i] = 1 +* 2\n");
  ck_assert_ptr_null(r.c);
  ck_assert_str_eq(r.errors, "t.ein:2:11: error: unexpected ';', expecting ',' or ']'\n"
                             "t.ein:2:23: error: unexpected '*'\n");
  compiled_free(&r);
}
END_TEST

START_TEST(test_numbers) {
  Compiled r;
  compile(&r, "input x\ny = x * 3 + 0.5 + 1e-5 + .5 + 2. + 1E+3 + 2.5e2 + 7e0 + 0.1 + 00012\n");
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  double got[16];
  int n = 0;
  collect_constants(einsum_of(r.c, "y")->rhs, got, &n, 16);
  const double want[] = {3, 0.5, 1e-5, 0.5, 2.0, 1000, 250, 7, 0.1, 12};
  ck_assert_int_eq(n, 10);
  for (int i = 0; i < n; i++)
    ck_assert_msg(got[i] == want[i], "constant %d: got %.17g, want %.17g", i, got[i], want[i]);
  compiled_free(&r);
}
END_TEST

START_TEST(test_numbers_print_exactly) {
  /* Numbers print so that they read back as the same double. */
  char *body = body_of_program(
      "exact", "input x\ny = x * 0.1 + 0.30000000000000004 + 1e-300 + 123456789012 + 2.5e-7\n");
  ck_assert_str_eq(body, "input x\ntensor y\ny = x * 0.1 + 0.30000000000000004 + 1e-300 + "
                         "123456789012 + 2.5e-07\n");
  free(body);
}
END_TEST

START_TEST(test_inf) {
  Compiled r;
  compile(&r, "input x\ny = max(x, -inf) + min(x, inf) + select(x < inf, 1, 0)\n");
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  double got[8];
  int n = 0;
  collect_constants(einsum_of(r.c, "y")->rhs, got, &n, 8);
  ck_assert_int_eq(n, 5);
  ck_assert(isinf(got[0]) && got[0] < 0);
  ck_assert(isinf(got[1]) && got[1] > 0);
  ck_assert(isinf(got[2]) && got[2] > 0);
  char *body = body_of(r.c);
  ck_assert_str_eq(body,
                   "input x\ntensor y\ny = max(x, -inf) + min(x, inf) + select(x < inf, 1, 0)\n");
  free(body);
  compiled_free(&r);
}
END_TEST

START_TEST(test_identifiers) {
  /* Case-sensitive, with digits and underscores; function names may be
   * prefixes of identifiers. */
  char *body =
      body_of_program("identifiers", "input D[2]\ninput d[3]\ninput _x1[2]\ninput exp2[2]\n"
                                     "output sum_[2, 3]\nsum_[i, j] = D[i] * d[j] + _x1[i] * "
                                     "exp2[i]\n");
  ck_assert_str_eq(body, "input D[2]\ninput d[3]\ninput _x1[2]\ninput exp2[2]\noutput sum_[2, 3]\n"
                         "sum_[i, j] = D[i] * d[j] + _x1[i] * exp2[i]\n");
  free(body);
}
END_TEST

static const Case lexical_error_cases[] = {
    {"integer too large", "let A = 99999999999999999999\n",
     "t.ein:1:9: error: integer literal is too large\n"},
    {"float too large", "input x\ny = x * 1e999\n",
     "t.ein:2:9: error: number literal is too large; write inf for infinity\n"},
    {"exponent without digits", "input x\ny = x * 3e\n",
     "t.ein:2:10: error: unexpected identifier, expecting end of line or ';'\n"},
    {"two decimal points", "input x\ny = x * 1.5.2\n",
     "t.ein:2:12: error: unexpected number, expecting end of line or ';'\n"},
    {"keyword let as a tensor name", "input let[3]\n",
     "t.ein:1:7: error: unexpected 'let', expecting identifier\n"},
    {"keyword input as a tensor name", "input x[3]\ninput[i] = x[i]\n",
     "t.ein:2:6: error: unexpected '[', expecting identifier\n"},
    {"keyword inf as a tensor name", "inf[i] = 1\n", "t.ein:1:1: error: unexpected 'inf'\n"},
    {"keyword tensor as an index", "input x[3]\ny[tensor] = x[tensor]\n",
     "t.ein:2:3: error: unexpected 'tensor'\n"},
    {"keyword init as a let name", "let init = 2\n",
     "t.ein:1:5: error: unexpected 'init', expecting identifier\n"},
    {"stray character", "input x[4]\ny[i] = x[i] @ 2\n",
     "t.ein:2:13: error: stray character '@'\n"},
    {"stray characters, one error each", "input x[4] $ ? `\n",
     "t.ein:1:12: error: stray character '$'\n"
     "t.ein:1:14: error: stray character '?'\n"
     "t.ein:1:16: error: stray character '`'\n"},
    {"stray line on its own", "input x[4]\n@\ny[i] = x[i] +* 2\n",
     "t.ein:2:1: error: stray character '@'\n"
     "t.ein:3:14: error: unexpected '*'\n"},
    {"stray control character", "input x[4]\x01\n",
     "t.ein:1:11: error: stray control character 0x01\n"},
    {"stray DEL", "input x[4]\x7f\n", "t.ein:1:11: error: stray control character 0x7F\n"},
    {"high bytes outside comments", "input x[4] \xff\xfe\n",
     "t.ein:1:12: error: stray byte 0xFF in the program text\n"
     "t.ein:1:13: error: stray byte 0xFE in the program text\n"},
    {"UTF-8 outside comments", "input x[4]\ny[i] = x[i] \xc3\x97 2\n",
     "t.ein:2:13: error: stray byte 0xC3 in the program text\n"
     "t.ein:2:14: error: stray byte 0x97 in the program text\n"},
    {"tabs count one column", "input x[4]\n\ty[i] =\tx[i] + q[i]\n",
     "t.ein:2:16: error: unknown tensor 'q'\n"},
    {"carriage returns count one column", "input x[4]\r\n\ry[i] = x[i] + q[i]\r\n",
     "t.ein:2:16: error: unknown tensor 'q'\n"},
};

START_TEST(test_lexical_errors) { check_invalid(&lexical_error_cases[_i]); }
END_TEST

START_TEST(test_nul_byte) {
  static const char text[] = "input x[4]\noutput y[4]\ny[i] = x[i\0] + 1\n q r s )))\n";
  Compiled r;
  compile_full(&r, "t.ein", text, sizeof text - 1, NULL, 0);
  ck_assert_ptr_null(r.c);
  /* One message: the scan stops at the NUL, and the statement it cut short
   * gets no "unexpected end of file" (the file did not end there). */
  ck_assert_str_eq(r.errors,
                   "t.ein:3:11: error: NUL byte in the program text; is this a binary file?\n");
  compiled_free(&r);
}
END_TEST

START_TEST(test_nul_byte_in_comments) {
  /* A comment is program text too: its NUL is the same error as any other. */
  static const char hash[] = "input x[4] # a\0b\noutput y[4]\n";
  static const char slashes[] = "input x[4]\n// a\0b\noutput y[4]\n";
  Compiled r;
  compile_full(&r, "t.ein", hash, sizeof hash - 1, NULL, 0);
  ck_assert_ptr_null(r.c);
  ck_assert_str_eq(r.errors,
                   "t.ein:1:15: error: NUL byte in the program text; is this a binary file?\n");
  compiled_free(&r);
  compile_full(&r, "t.ein", slashes, sizeof slashes - 1, NULL, 0);
  ck_assert_ptr_null(r.c);
  ck_assert_str_eq(r.errors,
                   "t.ein:2:5: error: NUL byte in the program text; is this a binary file?\n");
  compiled_free(&r);
}
END_TEST

START_TEST(test_binary_garbage) {
  static const char text[] = "\x7f"
                             "ELF\x02\x01\x01\xfe\xff\0\0\0\x02input";
  Compiled r;
  compile_full(&r, "a.out", text, sizeof text - 1, NULL, 0);
  ck_assert_ptr_null(r.c);
  ck_assert_str_eq(r.errors, "a.out:1:1: error: stray control character 0x7F\n"
                             "a.out:1:5: error: stray control character 0x02\n"
                             "a.out:1:6: error: stray control character 0x01\n"
                             "a.out:1:7: error: stray control character 0x01\n"
                             "a.out:1:8: error: stray byte 0xFE in the program text\n"
                             "a.out:1:9: error: stray byte 0xFF in the program text\n"
                             "a.out:1:10: error: NUL byte in the program text; is this a binary "
                             "file?\n");
  compiled_free(&r);
}
END_TEST

START_TEST(test_too_many_errors) {
  char text[25 * 2 + 1] = "";
  for (int i = 0; i < 25; i++)
    strcat(text, "]\n");
  Compiled r;
  compile(&r, text);
  ck_assert_ptr_null(r.c);
  ck_assert_int_eq(count_char(r.errors, '\n'), 21);
  ck_assert_msg(strncmp(r.errors, "t.ein:1:1: error: unexpected ']'\n", 33) == 0, "%s", r.errors);
  const char *last =
      "t.ein:20:1: error: unexpected ']'\nt.ein: error: too many errors (20); stopping\n";
  ck_assert_str_eq(r.errors + strlen(r.errors) - strlen(last), last);
  compiled_free(&r);
}
END_TEST

static char *long_chain(int ops) {
  size_t size = 16 + 4 * (size_t)ops;
  char *text = malloc(size);
  strcpy(text, "input x\ny = x");
  char *p = text + strlen(text);
  for (int i = 0; i < ops; i++, p += 4)
    memcpy(p, " + x", 4);
  strcpy(p, "\n");
  return text;
}

START_TEST(test_deep_expressions) {
  /* 10000 nested operations are fine; one more is an error, not a crash
   * (analysis and printing recurse on the tree). */
  char *text = long_chain(9999);
  Compiled r;
  compile(&r, text);
  ck_assert_msg(r.c != NULL, "%.200s", r.errors);
  compiled_free(&r);
  free(text);
  text = long_chain(100000);
  compile(&r, text);
  ck_assert_ptr_null(r.c);
  ck_assert_str_eq(r.errors, "t.ein:2:40003: error: expression is too deep (more than 10000 nested "
                             "operations); split it into several statements\n");
  compiled_free(&r);
  free(text);
}
END_TEST

START_TEST(test_deep_parentheses) {
  enum { N = 20000 };
  char *text = malloc(2 * N + 32);
  strcpy(text, "input x\ny = ");
  size_t n = strlen(text);
  memset(text + n, '(', N);
  text[n + N] = 'x';
  memset(text + n + N + 1, ')', N);
  strcpy(text + n + 2 * N + 1, "\n");
  Compiled r;
  compile(&r, text);
  ck_assert_ptr_null(r.c);
  ck_assert_int_eq(r.nerrors, 1);
  ck_assert_msg(strstr(r.errors, ": error: expression is nested too deeply for the parser; split "
                                 "it into several statements\n") != NULL,
                "%s", r.errors);
  compiled_free(&r);
  free(text);
}
END_TEST

/* ======================================================================== */
/* Parser                                                                   */
/* ======================================================================== */

static const char scalars[] = "input a\ninput b\ninput c\ninput d\ninput e\ninput f\n";

/* Compiles `y = EXPR` over scalars a..f and returns the right-hand side. */
static const Expr *rhs_of(Compiled *r, const char *expr) {
  char *text = str_printf("%sy = %s\n", scalars, expr);
  compile(r, text);
  free(text);
  ck_assert_msg(r->c != NULL, "'%s' rejected:\n%s", expr, r->errors);
  return einsum_of(r->c, "y")->rhs;
}

/* The statement `y = ...` as printed. */
static char *printed(Compiled *r) {
  char *body = body_of(r->c);
  char *line = strstr(body, "\ny = ");
  ck_assert_ptr_nonnull(line);
  char *out = strdup(line + 1);
  free(body);
  out[strlen(out) - 1] = '\0';
  return out;
}

static void check_printed(Compiled *r, const char *want) {
  char *got = printed(r);
  ck_assert_str_eq(got, want);
  free(got);
}

START_TEST(test_subtraction_is_left_associative) {
  Compiled r;
  const Expr *x = rhs_of(&r, "a - b - c");
  ck_assert(is_binary(x, OP_SUB) && is_binary(x->arg[0], OP_SUB) && is_read_of(x->arg[1], "c"));
  ck_assert(is_read_of(x->arg[0]->arg[0], "a") && is_read_of(x->arg[0]->arg[1], "b"));
  check_printed(&r, "y = a - b - c");
  compiled_free(&r);
}
END_TEST

START_TEST(test_parentheses_on_the_right) {
  Compiled r;
  const Expr *x = rhs_of(&r, "a - (b - c)");
  ck_assert(is_binary(x, OP_SUB) && is_read_of(x->arg[0], "a") && is_binary(x->arg[1], OP_SUB));
  check_printed(&r, "y = a - (b - c)");
  compiled_free(&r);
}
END_TEST

START_TEST(test_division_is_left_associative) {
  Compiled r;
  const Expr *x = rhs_of(&r, "a / b / c * d");
  ck_assert(is_binary(x, OP_MUL) && is_binary(x->arg[0], OP_DIV));
  ck_assert(is_binary(x->arg[0]->arg[0], OP_DIV) && is_read_of(x->arg[1], "d"));
  check_printed(&r, "y = a / b / c * d");
  compiled_free(&r);
  x = rhs_of(&r, "a / (b * c)");
  ck_assert(is_binary(x, OP_DIV) && is_binary(x->arg[1], OP_MUL));
  check_printed(&r, "y = a / (b * c)");
  compiled_free(&r);
}
END_TEST

START_TEST(test_unary_minus_binds_tightest) {
  Compiled r;
  const Expr *x = rhs_of(&r, "-a * b");
  ck_assert(is_binary(x, OP_MUL) && is_unary(x->arg[0], OP_NEG) && is_read_of(x->arg[1], "b"));
  check_printed(&r, "y = -a * b");
  compiled_free(&r);
  x = rhs_of(&r, "-(a * b)");
  ck_assert(is_unary(x, OP_NEG) && is_binary(x->arg[0], OP_MUL));
  check_printed(&r, "y = -(a * b)");
  compiled_free(&r);
  x = rhs_of(&r, "- -a");
  ck_assert(is_unary(x, OP_NEG) && is_unary(x->arg[0], OP_NEG));
  check_printed(&r, "y = -(-a)");
  compiled_free(&r);
}
END_TEST

START_TEST(test_minus_number_is_a_number) {
  Compiled r;
  const Expr *x = rhs_of(&r, "-2 * a + - -3");
  ck_assert(is_binary(x, OP_ADD) && is_binary(x->arg[0], OP_MUL));
  ck_assert(x->arg[0]->arg[0]->kind == EX_CONST && x->arg[0]->arg[0]->value == -2);
  ck_assert(x->arg[1]->kind == EX_CONST && x->arg[1]->value == 3);
  check_printed(&r, "y = -2 * a + 3");
  compiled_free(&r);
}
END_TEST

START_TEST(test_multiplication_before_addition) {
  Compiled r;
  const Expr *x = rhs_of(&r, "a + b * c - d / e");
  ck_assert(is_binary(x, OP_SUB) && is_binary(x->arg[0], OP_ADD) && is_binary(x->arg[1], OP_DIV));
  ck_assert(is_binary(x->arg[0]->arg[1], OP_MUL));
  check_printed(&r, "y = a + b * c - d / e");
  compiled_free(&r);
  x = rhs_of(&r, "(a + b) * c");
  ck_assert(is_binary(x, OP_MUL) && is_binary(x->arg[0], OP_ADD));
  check_printed(&r, "y = (a + b) * c");
  compiled_free(&r);
}
END_TEST

START_TEST(test_logic_precedence) {
  Compiled r;
  const Expr *x = rhs_of(&r, "select(a < b && c < d || e < f, 1, 0)");
  ck_assert_int_eq(x->kind, EX_SELECT);
  const Expr *cond = x->arg[0];
  ck_assert(is_binary(cond, OP_OR) && is_binary(cond->arg[0], OP_AND));
  ck_assert(is_binary(cond->arg[0]->arg[0], OP_LT) && is_binary(cond->arg[1], OP_LT));
  check_printed(&r, "y = select(a < b && c < d || e < f, 1, 0)");
  compiled_free(&r);

  x = rhs_of(&r, "select(a < b || c < d && e < f, 1, 0)");
  cond = x->arg[0];
  ck_assert(is_binary(cond, OP_OR) && is_binary(cond->arg[1], OP_AND));
  check_printed(&r, "y = select(a < b || c < d && e < f, 1, 0)");
  compiled_free(&r);

  x = rhs_of(&r, "select((a < b || c < d) && !(e < f), 1, 0)");
  cond = x->arg[0];
  ck_assert(is_binary(cond, OP_AND) && is_binary(cond->arg[0], OP_OR));
  ck_assert(is_unary(cond->arg[1], OP_NOT));
  check_printed(&r, "y = select((a < b || c < d) && !(e < f), 1, 0)");
  compiled_free(&r);
}
END_TEST

START_TEST(test_comparison_below_arithmetic) {
  Compiled r;
  const Expr *x = rhs_of(&r, "select(a + b < c * d, a, -b)");
  const Expr *cond = x->arg[0];
  ck_assert(is_binary(cond, OP_LT) && is_binary(cond->arg[0], OP_ADD));
  ck_assert(is_binary(cond->arg[1], OP_MUL));
  check_printed(&r, "y = select(a + b < c * d, a, -b)");
  compiled_free(&r);
}
END_TEST

START_TEST(test_every_comparison) {
  static const struct {
    const char *op;
    Op want;
  } ops[] = {{"<", OP_LT},  {"<=", OP_LE}, {">", OP_GT},
             {">=", OP_GE}, {"==", OP_EQ}, {"!=", OP_NE}};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    Compiled r;
    char *expr = str_printf("select(a %s b, c, d)", ops[i].op);
    const Expr *x = rhs_of(&r, expr);
    ck_assert_msg(is_binary(x->arg[0], ops[i].want), "%s", ops[i].op);
    char *want = str_printf("y = %s", expr);
    check_printed(&r, want);
    free(want);
    free(expr);
    compiled_free(&r);
  }
}
END_TEST

START_TEST(test_index_precedence) {
  char *body =
      body_of_program("index precedence", "input x[40]\noutput y[4]\n"
                                          "y[i] = x[2 * i + 1] + x[i - (3 - 1)] + x[(i + 1) * "
                                          "2] + x[i * 2 / 4 % 3] + x[-i + 7]\n");
  ck_assert_str_eq(body,
                   "input x[40]\noutput y[4]\ny[i] = x[2 * i + 1] + x[i - 2] + x[(i + 1) * 2] + "
                   "x[i * 2 / 4 % 3] + x[-i + 7]\n");
  free(body);
}
END_TEST

static const Case syntax_error_cases[] = {
    {"two operators", "input x[4]\ny[i] = x[i] +* 2\n", "t.ein:2:14: error: unexpected '*'\n"},
    {"extra bracket", "input x[4]\ny[i] = x[i]]\n",
     "t.ein:2:12: error: unexpected ']', expecting end of line or ';'\n"},
    {"extra parenthesis", "input x[4]\ny[i] = (x[i] + 1))\n",
     "t.ein:2:18: error: unexpected ')', expecting end of line or ';'\n"},
    {"let without a name", "let = 3\n", "t.ein:1:5: error: unexpected '=', expecting identifier\n"},
    {"let without a value", "let A = 1, B\n",
     "t.ein:1:13: error: unexpected end of line, expecting '='\n"},
    {"declaration without a name", "input [4]\n",
     "t.ein:1:7: error: unexpected '[', expecting identifier\n"},
    {"type that is not a name", "input x[4] : 3\n",
     "t.ein:1:14: error: unexpected number, expecting identifier\n"},
    {"two inits", "input x[4]\nh[i] = h[i-1] + x[i] init 0 init 1\n",
     "t.ein:2:29: error: unexpected 'init', expecting end of line or ';'\n"},
    {"call without arguments", "input x\ny = exp() + x\n", "t.ein:2:9: error: unexpected ')'\n"},
    {"reduction without a body", "input x[4]\ny = sum(j: ) + 1\n",
     "t.ein:2:12: error: unexpected ')'\n"},
    {"reduction without variables", "input x[4]\ny = sum(: x[0])\n",
     "t.ein:2:9: error: unexpected ':'\n"},
    {"reduction with two bodies", "input x[4, 3]\ny[i] = sum(j: x[i, j], 2)\n",
     "t.ein:2:22: error: unexpected ','\n"},
    {"statement that is only an expression", "input x[4]\nx[0] + 1\n",
     "t.ein:2:6: error: unexpected '+', expecting '='\n"},
    {"empty index list on a declaration is a scalar; in a call it is not", "input s[]\ny = s()\n",
     "t.ein:2:7: error: unexpected ')'\n"},
};

START_TEST(test_syntax_errors) { check_invalid(&syntax_error_cases[_i]); }
END_TEST

static const Case truncated_cases[] = {
    {"end of file inside ( after a newline", "input x[4]\ny[i] = exp(x[i]\n",
     "t.ein:3:1: error: unexpected end of file, expecting ',' or ':' or ')'\n"},
    {"end of file inside (", "input x[4]\ny[i] = exp(x[i]",
     "t.ein:2:16: error: unexpected end of file, expecting ',' or ':' or ')'\n"},
    {"end of file inside [", "input x[4]\ny[i] = x[i\n",
     "t.ein:3:1: error: unexpected end of file, expecting ',' or ']'\n"},
    {"end of file inside a declaration's [", "input x[4,",
     "t.ein:1:11: error: unexpected end of file\n"},
    {"end of file after an operator", "input x[4]\ny[i] = x[i] +",
     "t.ein:2:14: error: unexpected end of file\n"},
    {"end of file after an operator and a newline", "input x[4]\ny[i] = x[i] *\n\n",
     "t.ein:4:1: error: unexpected end of file\n"},
    {"end of file after an operator and a comment", "input x[4]\ny[i] = x[i] && # more\n",
     "t.ein:3:1: error: unexpected end of file\n"},
    {"end of file after =", "input x[4]\ny[i] =", "t.ein:2:7: error: unexpected end of file\n"},
    {"end of file after a let's comma", "let A = 1,\n",
     "t.ein:2:1: error: unexpected end of file, expecting identifier\n"},
    {"end of file after a type's colon", "input x[4] :\n",
     "t.ein:2:1: error: unexpected end of file, expecting identifier\n"},
    {"end of file after a reduction's colon",
     "input x[4]\ny = sum(i:", "t.ein:2:11: error: unexpected end of file\n"},
};

START_TEST(test_truncated_input) { check_invalid(&truncated_cases[_i]); }
END_TEST

START_TEST(test_error_recovery) {
  /* Independent syntax errors are all reported, each at its place. */
  Compiled r;
  compile(&r, "input x[4]\noutput y[4]\n"
              "a[i] = x[i] +* 2\n"
              "b[i] = x[i]]\n"
              "let = 3\n"
              "y[i] = (x[i] + 1))\n"
              "c[i] = x[i] x[i]\n");
  ck_assert_ptr_null(r.c);
  ck_assert_str_eq(r.errors, "t.ein:3:14: error: unexpected '*'\n"
                             "t.ein:4:12: error: unexpected ']', expecting end of line or ';'\n"
                             "t.ein:5:5: error: unexpected '=', expecting identifier\n"
                             "t.ein:6:18: error: unexpected ')', expecting end of line or ';'\n"
                             "t.ein:7:13: error: unexpected identifier, expecting end of line or "
                             "';'\n");
  ck_assert_int_eq(r.nerrors, 5);
  compiled_free(&r);
}
END_TEST

START_TEST(test_error_recovery_on_one_line) {
  Compiled r;
  compile(&r, "input x[4]; a[i] = 1 +* 1; b[i] = x[i]]; let = 3\n");
  ck_assert_ptr_null(r.c);
  ck_assert_str_eq(r.errors, "t.ein:1:23: error: unexpected '*'\n"
                             "t.ein:1:39: error: unexpected ']', expecting end of line or ';'\n"
                             "t.ein:1:46: error: unexpected '=', expecting identifier\n");
  compiled_free(&r);
}
END_TEST

START_TEST(test_syntax_errors_stop_before_sema) {
  /* The tree has holes after a syntax error: no semantic errors follow. */
  Compiled r;
  compile(&r, "input x[4]\ny[i] = x[i] +* 2\nz[i] = q[i]\n");
  ck_assert_ptr_null(r.c);
  ck_assert_str_eq(r.errors, "t.ein:2:14: error: unexpected '*'\n");
  compiled_free(&r);
}
END_TEST

/* ======================================================================== */
/* Semantic analysis: valid programs                                        */
/* ======================================================================== */

static const Case valid_cases[] = {
    /* let: integers, earlier constants, unary -, + - * / % with parentheses,
     * / and % rounding toward negative infinity. */
    {"let arithmetic and floor rounding",
     "let A = 7, B = -7 / 2, C = -7 % 2, D = 7 / -2, E = 7 % -2, F = (A + 1) * 2 - -3\n"
     "let G = A * 2 % 5, H = -(A - 10) * 3, I = 6 / 3 / 2, J = 2 - 3 - 4\n",
     "let A = 7, B = -4, C = 1, D = -4, E = -1, F = 19, G = 4, H = 9, I = 1, J = -5\n"},
    {"let constants in shapes, indices and values",
     "let N = 4, M = N * 2\ninput x[M]\noutput y[N]\ny[i] = x[i + N] * N + x[M - 1]\n",
     "let N = 4, M = 8\ninput x[8]\noutput y[4]\ny[i] = x[i + 4] * 4 + x[7]\n"},
    /* roles and types */
    {"roles and types",
     "input a[2] : f16\nparam b[2, 3]: bf16\noutput c[2] : i32\ntensor d[2] : i8\ninput e[2] : "
     "f32\n"
     "d[i] = a[i] + b[i, 0]\nc[i] = d[i] * e[i]\n",
     "input a[2] : f16\nparam b[2, 3] : bf16\noutput c[2] : i32\ntensor d[2] : i8\ninput e[2]\n"
     "d[i] = a[i] + b[i, 0]\nc[i] = d[i] * e[i]\n"},
    {"scalars written s and s[]",
     "input s\ninput t[] : f16\noutput y\ny = s + t[] * 2\nz[] = y[] - s\n",
     "input s\ninput t : f16\noutput y\ntensor z\ny = s + t * 2\nz = y - s\n"},
    {"scalar broadcast into a tensor", "input s\ninput x[3]\noutput y[3]\ny[i] = x[i] * s\n",
     "input s\ninput x[3]\noutput y[3]\ny[i] = x[i] * s\n"},
    {"names are case-sensitive", "input D[2]\ninput d[3]\noutput y[2, 3]\ny[i, j] = D[i] * d[j]\n",
     "input D[2]\ninput d[3]\noutput y[2, 3]\ny[i, j] = D[i] * d[j]\n"},
    /* statements in order, single assignment */
    {"a cascade in order",
     "input x[4]\noutput z[4]\ntensor y[4]\ny[i] = x[i] * 2\nw[i] = y[i] + 1\nz[i] = w[i] * y[i]\n",
     "input x[4]\noutput z[4]\ntensor y[4]\ntensor w[4]\ny[i] = x[i] * 2\nw[i] = y[i] + 1\n"
     "z[i] = w[i] * y[i]\n"},
    /* extents */
    {"undeclared tensor takes its shape from its variables",
     "input x[4, 3]\ninput W[3, 5]\nt[l, e] = x[l, d] * W[d, e]\n",
     "input x[4, 3]\ninput W[3, 5]\ntensor t[4, 5]\nt[l, e] = sum(d: x[l, d] * W[d, e])\n"},
    {"declared left side gives extents",
     "input x[8]\noutput y[4]\ny[i] = x[2 * i] + x[2 * i + 1]\n",
     "input x[8]\noutput y[4]\ny[i] = x[2 * i] + x[2 * i + 1]\n"},
    {"left-hand variable absent on the right broadcasts",
     "input x[4]\noutput y[4, 3]\ny[i, j] = x[i]\n",
     "input x[4]\noutput y[4, 3]\ny[i, j] = x[i]\n"},
    {"a constant right side broadcasts", "output y[2, 3]\ny[i, j] = 1.5\n",
     "output y[2, 3]\ny[i, j] = 1.5\n"},
    {"declared intermediate for a variable that never stands alone",
     "let L = 8, E = 2, K = 3\ninput x[L, E]\nparam w[E, K]\ntensor xc[L, E]\n"
     "xc[l, e] = sum(k: x[l - k, e] * w[e, k])\n",
     "let L = 8, E = 2, K = 3\ninput x[8, 2]\nparam w[2, 3]\ntensor xc[8, 2]\n"
     "xc[l, e] = sum(k: x[l - k, e] * w[e, k])\n"},
    /* index expressions */
    {"affine indices, floor / and % by constants",
     "let Q = 4\ninput x[8, 3]\ninput v[8]\noutput y[2, 4, 3]\noutput z[8]\n"
     "y[c, q, h] = x[c*Q+q, h]\nz[i] = v[i/4] + v[i%4] + v[2*i+1] + v[Q-1] + v[-i + 7] + v[(i - 9) "
     "/ "
     "2]\n",
     "let Q = 4\ninput x[8, 3]\ninput v[8]\noutput y[2, 4, 3]\noutput z[8]\n"
     "y[c, q, h] = x[c * 4 + q, h]\nz[i] = v[i / 4] + v[i % 4] + v[2 * i + 1] + v[3] + v[-i + 7] + "
     "v[(i - 9) / 2]\n"},
    {"constant indices fold with floor rounding",
     "input v[8]\noutput y\ny = v[-7 / 2 + 8] + v[-7 % 2] + v[2 * 3 - 1] + v[-(2)]\n",
     "input v[8]\noutput y\ny = v[4] + v[1] + v[5] + v[-2]\n"},
    /* value expressions */
    {"index variables as values",
     "let N = 4\ninput x[N]\noutput X[N]\nX[k] = sum(n: x[n] * cos(3.14159265 * k * n / N))\n",
     "let N = 4\ninput x[4]\noutput X[4]\nX[k] = sum(n: x[n] * cos(3.14159265 * k * n / 4))\n"},
    {"a bare name: let constant, then scalar tensor, then index variable",
     "let N = 4\ninput s\ninput x[N]\noutput y[N]\ny[k] = x[k] * N + s + k\n",
     "let N = 4\ninput s\ninput x[4]\noutput y[4]\ny[k] = x[k] * 4 + s + k\n"},
    {"every function",
     "input x[2]\noutput y[2]\ny[i] = exp(x[i]) + log(x[i]) + sqrt(x[i]) + rsqrt(x[i]) + "
     "sigmoid(x[i]) + silu(x[i]) + softplus(x[i]) + tanh(x[i]) + relu(x[i]) + sin(x[i]) + "
     "cos(x[i]) + gelu(x[i]) + abs(x[i]) + max(x[i], 0) + min(x[i], 1) + pow(x[i], 2)\n",
     "input x[2]\noutput y[2]\ny[i] = exp(x[i]) + log(x[i]) + sqrt(x[i]) + rsqrt(x[i]) + "
     "sigmoid(x[i]) + silu(x[i]) + softplus(x[i]) + tanh(x[i]) + relu(x[i]) + sin(x[i]) + "
     "cos(x[i]) + gelu(x[i]) + abs(x[i]) + max(x[i], 0) + min(x[i], 1) + pow(x[i], 2)\n"},
    {"select with a causal mask",
     "input s[4, 4]\noutput p[4, 4]\np[i, j] = select(j <= i, s[i, j], -inf)\n",
     "input s[4, 4]\noutput p[4, 4]\np[i, j] = select(j <= i, s[i, j], -inf)\n"},
    {"select with every comparison and logic",
     "input x[4, 4]\noutput y[4, 4]\n"
     "y[i, j] = select(j <= i && i != 0 || !(j == 1) && i < 3 && j > 0 && i >= j, x[i, j], 0)\n",
     "input x[4, 4]\noutput y[4, 4]\n"
     "y[i, j] = select(j <= i && i != 0 || !(j == 1) && i < 3 && j > 0 && i >= j, x[i, j], 0)\n"},
    {"select comparing values",
     "input x[4]\noutput y[4]\ny[i] = select(x[i] > 0, x[i], 0.01 * x[i])\n",
     "input x[4]\noutput y[4]\ny[i] = select(x[i] > 0, x[i], 0.01 * x[i])\n"},
    /* explicit reductions */
    {"explicit reductions",
     "input x[4, 3, 2]\noutput y[4]\n"
     "y[i] = sum(j, k: x[i, j, k]) + prod(a: x[i, a, 0]) + min(b: x[i, 0, b]) + max(c: x[i, c, "
     "1])\n",
     "input x[4, 3, 2]\noutput y[4]\n"
     "y[i] = sum(j, k: x[i, j, k]) + prod(a: x[i, a, 0]) + min(b: x[i, 0, b]) + max(c: x[i, c, "
     "1])\n"},
    {"nested explicit reductions",
     "input x[4, 3, 2]\noutput y[4]\ny[i] = max(j: sum(k: x[i, j, k]))\n",
     "input x[4, 3, 2]\noutput y[4]\ny[i] = max(j: sum(k: x[i, j, k]))\n"},
    {"sibling reductions may bind the same name",
     "input x[4, 3]\noutput y[4]\ny[i] = sum(j: x[i, j]) / max(j: x[i, j])\n",
     "input x[4, 3]\noutput y[4]\ny[i] = sum(j: x[i, j]) / max(j: x[i, j])\n"},
    {"a name bound explicitly and summed implicitly elsewhere",
     "input x[4, 3]\noutput y[4]\ny[i] = exp(sum(k: x[i, k])) + x[i, k]\n",
     "input x[4, 3]\noutput y[4]\ny[i] = exp(sum(k: x[i, k])) + sum(k: x[i, k])\n"},
    /* implicit reductions */
    {"implicit sum around the smallest subexpression",
     "input x[4, 3]\ninput W[3, 5]\ninput b[5]\nt[l, e] = x[l, d] * W[d, e] + b[e]\n",
     "input x[4, 3]\ninput W[3, 5]\ninput b[5]\ntensor t[4, 5]\n"
     "t[l, e] = sum(d: x[l, d] * W[d, e]) + b[e]\n"},
    {"implicit sums sharing one site", "input x[4, 3, 2]\ny[i] = x[i, j, k] + 1\n",
     "input x[4, 3, 2]\ntensor y[4]\ny[i] = sum(j, k: x[i, j, k]) + 1\n"},
    {"nested implicit sums, innermost first",
     "input x[4, 3]\ninput w[3, 2]\ninput v[2]\ny[i] = x[i, j] * (w[j, k] * v[k])\n",
     "input x[4, 3]\ninput w[3, 2]\ninput v[2]\ntensor y[4]\n"
     "y[i] = sum(j: x[i, j] * sum(k: w[j, k] * v[k]))\n"},
    {"independent implicit sums", "input x[4, 3]\ny[i] = x[i, k] * x[i, k] + x[i, j] * 2\n",
     "input x[4, 3]\ntensor y[4]\ny[i] = sum(k: x[i, k] * x[i, k]) + sum(j: x[i, j]) * 2\n"},
    {"implicit sum around a whole call", "input x[4, 3]\ninput w[3]\ny[i] = max(x[i, k], w[k])\n",
     "input x[4, 3]\ninput w[3]\ntensor y[4]\ny[i] = sum(k: max(x[i, k], w[k]))\n"},
    {"implicit sum around a whole select", "input x[4, 4]\ny[i] = select(k <= i, x[i, k], 0)\n",
     "input x[4, 4]\ntensor y[4]\ny[i] = sum(k: select(k <= i, x[i, k], 0))\n"},
    {"implicit sum of a variable used as a value", "input x[4, 3]\ny[i] = x[i, k] * k\n",
     "input x[4, 3]\ntensor y[4]\ny[i] = sum(k: x[i, k] * k)\n"},
    {"implicit sum to a scalar", "input x[3]\ny = x[k]\n",
     "input x[3]\ntensor y\ny = sum(k: x[k])\n"},
    {"implicit sum of an expression inside an explicit one",
     "input x[4, 3]\ninput w[3]\ny[i] = sum(j: x[i, j] * w[k]) * w[k]\n",
     "input x[4, 3]\ninput w[3]\ntensor y[4]\ny[i] = sum(k: sum(j: x[i, j] * w[k]) * w[k])\n"},
    {"implicit sum with unary minus", "input x[4, 3]\ninput w[3]\ny[i] = -x[i, k] * w[k]\n",
     "input x[4, 3]\ninput w[3]\ntensor y[4]\ny[i] = sum(k: -x[i, k] * w[k])\n"},
    /* recurrences */
    {"recurrence with init",
     "let L = 8, E = 2, N = 3\ninput a[L, E, N]\ninput b[L, E, N]\ninput h0[E, N]\n"
     "h[l, e, n] = a[l, e, n] * h[l-1, e, n] + b[l, e, n] init h0[e, n]\n",
     "let L = 8, E = 2, N = 3\ninput a[8, 2, 3]\ninput b[8, 2, 3]\ninput h0[2, 3]\n"
     "tensor h[8, 2, 3]\nh[l, e, n] = a[l, e, n] * h[l - 1, e, n] + b[l, e, n] init h0[e, n]\n"},
    {"recurrence at several offsets",
     "input c[8]\noutput f[8]\nf[l] = 0.5 * f[l-1] + 0.25 * f[l-2] + c[l]\n",
     "input c[8]\noutput f[8]\nf[l] = 0.5 * f[l - 1] + 0.25 * f[l - 2] + c[l]\n"},
    {"recurrence along the second rank with a let offset",
     "let K = 3\ninput c[8, 3]\ninput h0[3]\nh[j, l] = h[j, l - K] + c[l, j] init h0[j]\n",
     "let K = 3\ninput c[8, 3]\ninput h0[3]\ntensor h[3, 8]\nh[j, l] = h[j, l - 3] + c[l, j] init "
     "h0[j]\n"},
    {"recurrence offsets written other ways",
     "input x[8]\nh[l] = h[l + -1] + h[-2 + l] + h[2 * l - l - 3] + x[l]\n",
     "input x[8]\ntensor h[8]\nh[l] = h[l - 1] + h[l - 2] + h[l - 3] + x[l]\n"},
    {"recurrence on a declared tensor",
     "input x[8, 3]\noutput h[8, 3]\nh[l, e] = 0.9 * h[l - 1, e] + x[l, e]\n",
     "input x[8, 3]\noutput h[8, 3]\nh[l, e] = 0.9 * h[l - 1, e] + x[l, e]\n"},
    {"recurrence with an implicit sum in init",
     "input x[8, 3]\ninput w[3, 2]\ninput v[2]\nh[l, e] = h[l - 1, e] + x[l, e] init w[e, k] * "
     "v[k]\n",
     "input x[8, 3]\ninput w[3, 2]\ninput v[2]\ntensor h[8, 3]\n"
     "h[l, e] = h[l - 1, e] + x[l, e] init sum(k: w[e, k] * v[k])\n"},
    {"init using another left-hand variable as a value",
     "input c[8, 3]\ntensor h[8, 3]\nh[l, j] = h[l - 1, j] + c[l, j] init j\n",
     "input c[8, 3]\ntensor h[8, 3]\nh[l, j] = h[l - 1, j] + c[l, j] init j\n"},
    {"a recurrence read inside a function and a select",
     "input x[8]\noutput h[8]\nh[l] = tanh(h[l - 1]) + select(l > 0, h[l - 1], 1) + x[l]\n",
     "input x[8]\noutput h[8]\nh[l] = tanh(h[l - 1]) + select(l > 0, h[l - 1], 1) + x[l]\n"},
    {"a bound variable hides a free one of its name, which is seen again after",
     "input x[4, 3]\ninput w[5]\noutput y[4]\ny[i] = x[i, k] * sum(k: w[k]) + x[i, k] * 2\n",
     "input x[4, 3]\ninput w[5]\noutput y[4]\ny[i] = sum(k: x[i, k] * sum(k: w[k]) + x[i, k] * "
     "2)\n"},
    /* 64-bit counts and index ranges (issue 12): the largest that fit */
    {"the largest element counts",
     "input x[3037000499, 3037000499]\ninput z[9223372036854775807]\n",
     "input x[3037000499, 3037000499]\ninput z[9223372036854775807]\n"},
    {"an index that reaches the edge of the 64-bit range",
     "input x[4]\noutput y[4]\ny[i] = x[i * 3074457345618258602] + x[i - 9223372036854775805]\n",
     "input x[4]\noutput y[4]\ny[i] = x[i * 3074457345618258602] + x[i - 9223372036854775805]\n"},
    {"a self-read's range is checked in its canonical form",
     "input x[4]\nh[l] = h[l + 9223372036854775807 - 9223372036854775807 - 1] + x[l]\n",
     "input x[4]\ntensor h[4]\nh[l] = h[l - 1] + x[l]\n"},
};

START_TEST(test_valid) { check_valid(&valid_cases[_i]); }
END_TEST

/* ---- the Cascade structs behind the text --------------------------------- */

START_TEST(test_tensors) {
  Compiled r;
  compile(&r, "let N = 4\ninput a[N, 2] : f16\nparam w[2]\noutput y[N]\ntensor t[N]\n"
              "t[i] = a[i, j] * w[j]\nu[i] = t[i] * 2\ny[i] = u[i] + 1\n");
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  const Cascade *c = r.c;
  ck_assert_int_eq(c->ntensors, 5);
  static const struct {
    const char *name;
    Role role;
    DType dtype;
    int rank;
    int64_t dim0;
    bool declared;
    int def;
    int line;
  } want[] = {
      {"a", ROLE_INPUT, DTYPE_F16, 2, 4, true, -1, 2},
      {"w", ROLE_PARAM, DTYPE_F32, 1, 2, true, -1, 3},
      {"y", ROLE_OUTPUT, DTYPE_F32, 1, 4, true, 2, 4},
      {"t", ROLE_INTERMEDIATE, DTYPE_F32, 1, 4, true, 0, 5},
      {"u", ROLE_INTERMEDIATE, DTYPE_F32, 1, 4, false, 1, 7},
  };
  for (int i = 0; i < 5; i++) {
    const Tensor *t = c->tensors[i];
    ck_assert_str_eq(t->name, want[i].name);
    ck_assert_int_eq(t->id, i);
    ck_assert_int_eq(t->role, want[i].role);
    ck_assert_int_eq(t->dtype, want[i].dtype);
    ck_assert_int_eq(t->rank, want[i].rank);
    ck_assert_int_eq(t->dims[0], want[i].dim0);
    ck_assert_int_eq(t->declared, want[i].declared);
    ck_assert_int_eq(t->def, want[i].def);
    ck_assert_int_eq(t->loc.line, want[i].line);
  }
  ck_assert_int_eq(c->tensors[0]->dims[1], 2);
  ck_assert_int_eq(c->neinsums, 3);
  ck_assert_int_eq(c->nlets, 1);
  ck_assert_str_eq(c->lets[0].name, "N");
  ck_assert_int_eq(c->lets[0].value, 4);
  ck_assert(!c->lets[0].overridden);
  compiled_free(&r);
}
END_TEST

START_TEST(test_extents_and_variables) {
  Compiled r;
  compile(&r, "input x[4, 3]\ninput W[3, 5]\nt[l, e] = x[l, d] * W[d, e]\n");
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  const Einsum *e = einsum_of(r.c, "t");
  ck_assert_int_eq(e->nvars, 3);
  ck_assert_int_eq(e->vars[var_of(e, "l")].extent, 4);
  ck_assert_int_eq(e->vars[var_of(e, "d")].extent, 3);
  ck_assert_int_eq(e->vars[var_of(e, "e")].extent, 5);
  ck_assert_int_eq(e->lhs[0], var_of(e, "l"));
  ck_assert_int_eq(e->lhs[1], var_of(e, "e"));
  ck_assert_int_eq(e->out->dims[0], 4);
  ck_assert_int_eq(e->out->dims[1], 5);
  ck_assert_ptr_null(e->rec);
  /* The sum over d is implicit and encloses the product. */
  const Expr *x = e->rhs;
  ck_assert_int_eq(x->kind, EX_REDUCE);
  ck_assert(x->implicit);
  ck_assert_int_eq(x->reduce, RED_SUM);
  ck_assert_int_eq(x->nrvars, 1);
  ck_assert_int_eq(x->rvars[0], var_of(e, "d"));
  ck_assert(is_binary(x->arg[0], OP_MUL));
  compiled_free(&r);
}
END_TEST

START_TEST(test_explicit_reduction_struct) {
  Compiled r;
  compile(&r, "input x[4, 3, 2]\noutput y[4]\ny[i] = prod(j, k: x[i, j, k])\n");
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  const Einsum *e = einsum_of(r.c, "y");
  const Expr *x = e->rhs;
  ck_assert_int_eq(x->kind, EX_REDUCE);
  ck_assert(!x->implicit);
  ck_assert_int_eq(x->reduce, RED_PROD);
  ck_assert_int_eq(x->nrvars, 2);
  ck_assert_str_eq(e->vars[x->rvars[0]].name, "j");
  ck_assert_str_eq(e->vars[x->rvars[1]].name, "k");
  ck_assert_int_eq(e->vars[x->rvars[0]].extent, 3);
  ck_assert_int_eq(e->vars[x->rvars[1]].extent, 2);
  ck_assert(is_read_of(x->arg[0], "x"));
  compiled_free(&r);
}
END_TEST

START_TEST(test_variable_as_value_struct) {
  Compiled r;
  compile(&r, "let N = 4\ninput x[N]\noutput y[N]\ny[k] = x[k] * k + N\n");
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  const Einsum *e = einsum_of(r.c, "y");
  const Expr *x = e->rhs;
  ck_assert(is_binary(x, OP_ADD) && is_binary(x->arg[0], OP_MUL));
  ck_assert_int_eq(x->arg[0]->arg[1]->kind, EX_INDEX);
  ck_assert_int_eq(x->arg[0]->arg[1]->var, var_of(e, "k"));
  ck_assert_int_eq(x->arg[1]->kind, EX_CONST);
  ck_assert(x->arg[1]->value == 4);
  compiled_free(&r);
}
END_TEST

START_TEST(test_recurrence_struct) {
  Compiled r;
  compile(&r,
          "input c[8, 3]\ninput h0[3]\nh[j, l] = h[j, l - 3] + 0.5 * h[j, l - 1] + c[l, j] init "
          "h0[j]\ng[l] = g[l - 1] + c[l, 0]\n");
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  const Einsum *e = einsum_of(r.c, "h");
  ck_assert_ptr_nonnull(e->rec);
  ck_assert_int_eq(e->rec->pos, 1);
  ck_assert_int_eq(recurrence_var(e), var_of(e, "l"));
  ck_assert_int_eq(e->rec->max_offset, 3);
  ck_assert_ptr_nonnull(e->rec->init);
  ck_assert(is_read_of(e->rec->init, "h0"));
  ck_assert_int_eq(e->out->dims[0], 3);
  ck_assert_int_eq(e->out->dims[1], 8);
  /* Self-reads are in the IR's canonical form: the variable, or var - k. */
  const Expr *first = e->rhs->arg[0]->arg[0];
  ck_assert(is_read_of(first, "h"));
  ck_assert_int_eq(first->index[0]->kind, IX_VAR);
  ck_assert_int_eq(first->index[1]->kind, IX_SUB);
  ck_assert_int_eq(first->index[1]->lhs->kind, IX_VAR);
  ck_assert_int_eq(first->index[1]->rhs->value, 3);

  const Einsum *g = einsum_of(r.c, "g");
  ck_assert_ptr_nonnull(g->rec);
  ck_assert_int_eq(g->rec->pos, 0);
  ck_assert_int_eq(g->rec->max_offset, 1);
  ck_assert_ptr_null(g->rec->init); /* reads before index 0 are 0 */
  compiled_free(&r);
}
END_TEST

START_TEST(test_canonical_self_reads) {
  Compiled r;
  compile(&r, "input x[8, 2]\nh[l, e] = h[-1 + l, e + 0] + h[2 * l - l - 2, 0 + e] + x[l, e]\n");
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  const Einsum *e = einsum_of(r.c, "h");
  ck_assert_int_eq(e->rec->max_offset, 2);
  const Expr *reads[2] = {e->rhs->arg[0]->arg[0], e->rhs->arg[0]->arg[1]};
  for (int i = 0; i < 2; i++) {
    ck_assert(is_read_of(reads[i], "h"));
    ck_assert_int_eq(reads[i]->index[0]->kind, IX_SUB);
    ck_assert_int_eq(reads[i]->index[0]->lhs->var, var_of(e, "l"));
    ck_assert_int_eq(reads[i]->index[0]->rhs->value, i + 1);
    ck_assert_int_eq(reads[i]->index[1]->kind, IX_VAR);
    ck_assert_int_eq(reads[i]->index[1]->var, var_of(e, "e"));
  }
  compiled_free(&r);
}
END_TEST

/* -D NAME=VALUE replaces a let; later constants use the new value. */
START_TEST(test_define_overrides_let) {
  const char *text =
      "let L = 4, M = L * 2\nlet K = M + 1\ninput x[M]\noutput y[L]\ny[i] = x[2 * i] * K\n";
  Define defs[] = {{"L", 3}};
  Compiled r;
  compile_full(&r, "t.ein", text, strlen(text), defs, 1);
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  ck_assert_int_eq(r.c->nlets, 3);
  ck_assert_int_eq(r.c->lets[0].value, 3);
  ck_assert(r.c->lets[0].overridden);
  ck_assert_int_eq(r.c->lets[1].value, 6);
  ck_assert(!r.c->lets[1].overridden);
  ck_assert_int_eq(r.c->lets[2].value, 7);
  char *body = body_of(r.c);
  ck_assert_str_eq(body, "let L = 3, M = 6, K = 7\ninput x[6]\noutput y[3]\ny[i] = x[2 * i] * 7\n");
  free(body);
  compiled_free(&r);
}
END_TEST

START_TEST(test_define_of_a_later_constant) {
  const char *text = "let L = 4, M = L * 2\ninput x[M]\n";
  Define defs[] = {{"M", 5}};
  Compiled r;
  compile_full(&r, "t.ein", text, strlen(text), defs, 1);
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  ck_assert_int_eq(r.c->lets[0].value, 4);
  ck_assert_int_eq(r.c->lets[1].value, 5);
  ck_assert_int_eq(r.c->tensors[0]->dims[0], 5);
  compiled_free(&r);
}
END_TEST

START_TEST(test_define_given_twice_last_wins) {
  const char *text = "let L = 4\ninput x[L]\n";
  Define defs[] = {{"L", 3}, {"L", 5}};
  Compiled r;
  compile_full(&r, "t.ein", text, strlen(text), defs, 2);
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  ck_assert_int_eq(r.c->lets[0].value, 5);
  ck_assert_int_eq(r.c->tensors[0]->dims[0], 5);
  compiled_free(&r);
}
END_TEST

START_TEST(test_define_unknown_name) {
  const char *text = "let L = 4\ninput x[L]\n";
  Define defs[] = {{"Q", 3}, {"L", 2}, {"R", 1}};
  expect_define_errors(text, defs, 3,
                       "t.ein: error: -D Q: the program has no let constant 'Q'\n"
                       "t.ein: error: -D R: the program has no let constant 'R'\n");
}
END_TEST

START_TEST(test_define_still_checks_the_expression) {
  /* language-notes.md: -D replaces the value; its own expression is still checked. */
  const char *text = "let L = 4 / 0\ninput x[L]\n";
  Define defs[] = {{"L", 2}};
  expect_define_errors(text, defs, 1,
                       "t.ein:1:11: error: division by zero in constant expression\n");
}
END_TEST

START_TEST(test_define_to_a_bad_dimension) {
  const char *text = "let L = 4\ninput x[L]\noutput y[L]\ny[i] = x[i]\n";
  Define defs[] = {{"L", 0}};
  /* One error per declaration; the statement over them adds none. */
  expect_define_errors(text, defs, 1,
                       "t.ein:2:9: error: dimension 1 of 'x' must be at least 1, got 0\n"
                       "t.ein:3:10: error: dimension 1 of 'y' must be at least 1, got 0\n");
}
END_TEST

/* A -D that makes a shape's element count overflow is refused like a
 * written one (issue 12), and so is an index it makes overflow. */
START_TEST(test_define_to_an_overflowing_shape) {
  const char *text = "let N = 4\ninput x[N, N]\noutput y[N]\ny[i] = x[i, 0] + x[N * i, 0]\n";
  Define defs[] = {{"N", 4294967296}};
  expect_define_errors(text, defs, 1,
                       "t.ein:2:7: error: 'x' has 4294967296 x 4294967296 elements: more "
                       "than a 64-bit count holds\n");
  text = "let N = 4\ninput x[N]\noutput y[N]\ny[i] = x[N * i]\n";
  defs[0].value = 3037000501;
  expect_define_errors(text, defs, 1,
                       "t.ein:4:8: error: index '3037000501 * i' can leave the 64-bit "
                       "integer range (i runs over 0..3037000500)\n");
}
END_TEST

/* ======================================================================== */
/* Semantic analysis: invalid programs, with exact messages                 */
/* ======================================================================== */

static const Case invalid_cases[] = {
    /* let */
    {"let division by zero", "let A = 4 / 0\n",
     "t.ein:1:11: error: division by zero in constant expression\n"},
    {"let modulo by zero", "let N = 2\nlet A = 4 % (N - 2)\n",
     "t.ein:2:11: error: modulo by zero in constant expression\n"},
    {"let unknown constant", "let A = B + 1\n", "t.ein:1:9: error: unknown constant 'B'\n"},
    {"let uses a later constant", "let A = B + 1, B = 2\n",
     "t.ein:1:9: error: 'B' is used before its declaration at 1:16\n"},
    {"let not an integer", "let A = 2.5\n", "t.ein:1:9: error: expected an integer, got 2.5\n"},
    {"let of a tensor", "input x[2]\nlet A = x\n",
     "t.ein:2:9: error: 'x' is a tensor; a constant expression uses integers and let constants\n"},
    {"let with a call", "let A = exp(2)\n",
     "t.ein:1:9: error: a constant expression uses only integers, let constants and + - * / %\n"},
    {"let with a comparison", "let A = 1 < 2\n",
     "t.ein:1:11: error: a constant expression uses only integers, let constants and + - * / %\n"},
    {"let overflow", "let A = 9223372036854775807 + 1\n",
     "t.ein:1:29: error: integer overflow in constant expression\n"},
    {"let declared twice", "let A = 1\nlet A = 2\n",
     "t.ein:2:5: error: 'A' is already declared as a let constant at 1:5\n"},
    {"let named like a function", "let exp = 2\n",
     "t.ein:1:5: error: 'exp' is the name of a function and cannot name a tensor or constant\n"},
    {"let named like a reduction", "let prod = 2\n",
     "t.ein:1:5: error: 'prod' is the name of a function and cannot name a tensor or constant\n"},
    {"let named like a tensor", "input x[2]\nlet x = 2\n",
     "t.ein:2:5: error: 'x' is already declared at 1:7\n"},
    {"let after an index variable of that name", "input x[4]\ny[i] = x[i]\nlet i = 2\n",
     "t.ein:3:5: error: 'i' is already used as an index variable at 2:3; a name is declared "
     "once\n"},
    {"assignment to a let", "let N = 2\nN = 3\n",
     "t.ein:2:1: error: cannot assign to let constant 'N'\n"},
    /* declarations */
    {"dimension zero", "input x[0]\n",
     "t.ein:1:9: error: dimension 1 of 'x' must be at least 1, got 0\n"},
    {"negative dimension", "let N = 2\ninput x[3, N - 3]\n",
     "t.ein:2:14: error: dimension 2 of 'x' must be at least 1, got -1\n"},
    {"dimension that is not a constant", "input x[Q]\noutput y[4]\ny[i] = x[i]\n",
     "t.ein:1:9: error: unknown constant 'Q'\n"},
    {"dimension that is a float", "input x[2.0]\n",
     "t.ein:1:9: error: expected an integer, got 2\n"},
    {"unknown type", "input x[2] : f64\n",
     "t.ein:1:14: error: unknown type 'f64'; expected f32, f16, bf16, i8 or i32\n"},
    {"declared twice", "input x[2]\nparam x[3]\n",
     "t.ein:2:7: error: 'x' is already declared at 1:7\n"},
    {"declared after a statement defined it", "input x[2]\ny[i] = x[i]\noutput y[2]\n",
     "t.ein:3:8: error: 'y' is already declared at 2:1\n"},
    {"tensor named like a let", "let A = 2\ninput A[2]\n",
     "t.ein:2:7: error: 'A' is already declared as a let constant at 1:5\n"},
    {"tensor named like a function", "tensor select[2]\n",
     "t.ein:1:8: error: 'select' is the name of a function and cannot name a tensor or constant\n"},
    {"statement defining a function name", "input x[4]\nsum[i] = x[i]\n",
     "t.ein:2:1: error: 'sum' is the name of a function and cannot name a tensor or constant\n"},
    {"tensor after an index variable of that name", "input x[4]\ny[w] = x[w]\ninput w[3]\n",
     "t.ein:3:7: error: 'w' is already used as an index variable at 2:3; a name is declared "
     "once\n"},
    {"statement defining an earlier index variable's name",
     "input x[4]\ny[i] = x[i]\ni[j] = x[j]\n",
     "t.ein:3:1: error: 'i' is already used as an index variable at 2:3; a name is declared "
     "once\n"},
    /* index variables and the left-hand side */
    {"index variable named like a tensor", "input x[4]\ninput w[4]\ny[i] = x[w]\n",
     "t.ein:3:10: error: 'w' is a tensor and cannot be an index variable\n"},
    {"index variable named like a function", "input x[4]\ny[i] = x[exp]\n",
     "t.ein:2:10: error: 'exp' is a function and cannot be an index variable\n"},
    {"left-hand index that is an expression", "input x[4]\ny[i + 1] = x[i]\n",
     "t.ein:2:5: error: each index of the left-hand side must be an index variable\n"},
    {"left-hand index that is a let", "let K = 2\ninput x[4]\ny[i, K] = x[i]\n",
     "t.ein:3:6: error: each index of the left-hand side must be an index variable\n"},
    {"left-hand variable twice", "input x[4]\ny[i, i] = x[i]\n",
     "t.ein:2:6: error: index variable 'i' appears twice on the left-hand side\n"},
    {"a statement with a left-hand error still defines its tensor",
     "input x[4]\ny[i, i] = x[i]\nz[i] = y[i, 0]\n",
     "t.ein:2:6: error: index variable 'i' appears twice on the left-hand side\n"},
    /* single assignment and order */
    {"assigned twice", "input x[4]\ny[i] = x[i]\ny[i] = 2 * x[i]\n",
     "t.ein:3:1: error: 'y' is assigned twice; the first assignment is at 2:1\n"},
    {"assignment to an input", "input x[4]\nx[i] = 1\n",
     "t.ein:2:1: error: cannot assign to input 'x'\n"},
    {"assignment to a param", "param w[4]\nw[i] = 1\n",
     "t.ein:2:1: error: cannot assign to param 'w'\n"},
    {"use before definition", "input x[4]\ny[i] = z[i]\nz[i] = x[i]\n",
     "t.ein:2:8: error: 'z' is used before it is defined at 3:1\n"},
    {"use of a declared tensor before its definition",
     "input x[4]\ntensor z[4]\ny[i] = z[i]\nz[i] = x[i]\n",
     "t.ein:3:8: error: 'z' is used before it is defined at 4:1\n"},
    {"use before declaration", "input x[4]\ny[i] = x[i] * s\ninput s\n",
     "t.ein:2:15: error: 's' is used before its declaration at 3:7\n"},
    {"read of a tensor never assigned", "input x[4]\ntensor t[4]\ny[i] = t[i] + x[i]\n",
     "t.ein:3:8: error: 't' is read but never assigned\n"
     "t.ein:2:8: error: tensor 't' is declared but never assigned\n"},
    {"output never assigned", "input x[4]\noutput y[4]\nz[i] = x[i]\n",
     "t.ein:2:8: error: output 'y' is never assigned\n"},
    {"declared tensor never assigned", "input x[4]\ntensor t[4]\noutput y[4]\ny[i] = x[i]\n",
     "t.ein:2:8: error: tensor 't' is declared but never assigned\n"},
    {"output whose statement has an error", "input x[4]\noutput y[4]\ny[i] = x[i] + q[i]\n",
     "t.ein:3:15: error: unknown tensor 'q'\n"},
    /* names in expressions */
    {"unknown tensor", "input x[4]\ny[i] = z[i]\n", "t.ein:2:8: error: unknown tensor 'z'\n"},
    {"unknown name", "input x[4]\ny[i] = x[i] + q\n", "t.ein:2:15: error: unknown name 'q'\n"},
    {"index variables are local to their statement", "input x[4]\ny[i] = x[i]\nz = i\n",
     "t.ein:3:5: error: unknown name 'i'\n"},
    {"unknown function", "input x[4]\ny[i] = foo(x[i])\n",
     "t.ein:2:8: error: unknown function 'foo'\n"},
    {"function without a call", "input x[4]\ny[i] = x[i] + exp\n",
     "t.ein:2:15: error: 'exp' is a function; call it as exp(...)\n"},
    {"tensor called like a function", "input x[4]\ny[i] = x(i)\n",
     "t.ein:2:8: error: 'x' is a tensor; read it with brackets: x[...]\n"},
    {"let read like a tensor", "let N = 4\ninput x[4]\ny[i] = x[i] + N[i]\n",
     "t.ein:3:15: error: 'N' is a let constant, not a tensor\n"},
    {"reduction without variables", "input x[4, 3]\ny[i] = sum(x[i, j])\n",
     "t.ein:2:8: error: sum needs its variables: sum(k: EXPR)\n"},
    {"function with variables", "input x[4, 3]\ny[i] = exp(j: x[i, j])\n",
     "t.ein:2:8: error: only sum, max, min and prod bind variables with ':'\n"},
    {"reduction binding a constant", "let K = 2\ninput x[4, 3]\ny[i] = sum(K: x[i, 0])\n",
     "t.ein:3:12: error: sum binds index variables; this is not a free variable name\n"},
    {"reduction binding a left-hand variable", "input x[4, 3]\ny[i] = sum(i: x[i, 0])\n",
     "t.ein:2:12: error: 'i' is an index of the left-hand side and cannot be reduced\n"},
    {"function arity", "input x[4]\ny[i] = exp(x[i], 1) + max(x[i]) + pow(x[i], 2, 3)\n",
     "t.ein:2:8: error: exp takes 1 argument, got 2\n"
     "t.ein:2:23: error: max takes 2 arguments, got 1\n"
     "t.ein:2:35: error: pow takes 2 arguments, got 3\n"},
    {"select arity", "input x[4]\ny[i] = select(x[i] < 1, 3)\n",
     "t.ein:2:8: error: select takes 3 arguments (condition, then, else), got 2\n"},
    {"condition as a value", "input x[4]\ny[i] = x[i] + x[i] < 1\n",
     "t.ein:2:20: error: a condition cannot be used as a value; write select(COND, a, b)\n"},
    {"value as a condition", "input x[4]\ny[i] = select(x[i], 1, 2)\n",
     "t.ein:2:15: error: expected a condition (a comparison such as j <= i) here\n"},
    {"! binds tighter than a comparison", "input x[4]\ny[i] = select(!x[i] < 1, 1, 2)\n",
     "t.ein:2:16: error: expected a condition (a comparison such as j <= i) here\n"},
    {"&& of values", "input x[4]\ny[i] = select(x[i] && 1, 1, 2)\n",
     "t.ein:2:15: error: expected a condition (a comparison such as j <= i) here\n"
     "t.ein:2:23: error: expected a condition (a comparison such as j <= i) here\n"},
    {"% in a value", "input x[4]\ny[i] = x[i] % 2\n",
     "t.ein:2:13: error: '%' is allowed only in indices and let constants\n"},
    /* extents */
    {"extent conflict on the right", "input x[4]\ninput w[5]\ny[i] = x[i] * w[i]\n",
     "t.ein:3:17: error: extent conflict for index 'i': 4 from 'x' at 3:10 but 5 from 'w' here\n"},
    {"extent conflict with the declared left side", "input x[4]\noutput y[3]\ny[i] = x[i]\n",
     "t.ein:3:10: error: extent conflict for index 'i': 3 from 'y' at 3:3 but 4 from 'x' here\n"},
    {"extent conflict of a summed variable", "input x[4, 3]\ninput w[2]\ny[i] = x[i, k] * w[k]\n",
     "t.ein:3:20: error: extent conflict for index 'k': 3 from 'x' at 3:13 but 2 from 'w' here\n"},
    {"extent conflict with a recurrence's declared tensor",
     "input c[8, 3]\ntensor h[8, 4]\nh[l, j] = h[l - 1, j] + c[l, j]\n",
     "t.ein:3:30: error: extent conflict for index 'j': 4 from 'h' at 3:6 but 3 from 'c' here\n"},
    {"no extent for a left-hand variable", "input x[8]\nz[i] = x[2*i]\n",
     "t.ein:2:3: error: cannot infer the extent of index 'i': it never stands alone as an index of "
     "a "
     "declared tensor; declare the left-hand tensor (tensor z[...])\n"},
    {"no extent for a broadcast variable", "input x[4]\nz[i, j] = x[i]\n",
     "t.ein:2:6: error: cannot infer the extent of index 'j': it never stands alone as an index of "
     "a "
     "declared tensor; declare the left-hand tensor (tensor z[...])\n"},
    {"a recurrence's self-read gives no extent", "input x[4, 3]\nh[l, j] = h[l - 1, j] + x[l, k]\n",
     "t.ein:2:6: error: cannot infer the extent of index 'j': it never stands alone as an index of "
     "a "
     "declared tensor; declare the left-hand tensor (tensor h[...])\n"},
    {"no extent for a summed variable", "input x[8]\noutput y[4]\ny[i] = x[2*i] + x[k+1]\n",
     "t.ein:3:19: error: cannot infer the extent of index 'k': it never stands alone as an index "
     "of a "
     "tensor\n"},
    {"no extent for a reduction variable", "input x[4]\noutput y[4]\ny[i] = x[i] + sum(k: k)\n",
     "t.ein:3:19: error: cannot infer the extent of index 'k': it never stands alone as an index "
     "of a "
     "tensor\n"},
    /* index expressions */
    {"index not affine", "input x[8]\noutput y[8]\ny[i] = x[i*i]\n",
     "t.ein:3:11: error: an index must be affine: one side of '*' must be a constant\n"},
    {"index divided by a variable", "input x[8, 2]\noutput y[8, 2]\ny[i, j] = x[i / j, j]\n",
     "t.ein:3:15: error: an index may divide only by a positive constant\n"},
    {"index divided by zero", "input x[8]\noutput y[8]\ny[i] = x[i / 0]\n",
     "t.ein:3:12: error: an index may divide only by a positive constant\n"},
    {"index modulo a negative number", "input x[8]\noutput y[8]\ny[i] = x[i % -2]\n",
     "t.ein:3:12: error: an index may take '%' only by a positive constant\n"},
    {"index that is a float", "input x[8]\noutput y[8]\ny[i] = x[1.5] + x[i]\n",
     "t.ein:3:10: error: an index must be an integer expression, got 1.5\n"},
    {"index with a call", "input x[8]\noutput y[8]\ny[i] = x[exp(i)]\n",
     "t.ein:3:10: error: an index may use only index variables, integers, let constants and + - * "
     "/ "
     "%\n"},
    {"index constant overflow", "input x[4]\ny[i] = x[i] + x[9223372036854775807 + 1]\n",
     "t.ein:2:37: error: integer overflow in index expression\n"},
    {"index negation overflow", "input x[4]\ny[i] = x[i] + x[-(-9223372036854775807 - 1)]\n",
     "t.ein:2:17: error: integer overflow in index expression\n"},
    /* rank */
    {"read with too many indices", "input x[4]\ny[i] = x[i, j]\n",
     "t.ein:2:8: error: 'x' has 1 dimension but is read with 2 indices\n"},
    {"read with too few indices", "input x[4, 3]\noutput y[4]\ny[i] = x[i]\n",
     "t.ein:3:8: error: 'x' has 2 dimensions but is read with 1 index\n"},
    {"tensor read as a bare name", "input x[4]\ny[i] = x\n",
     "t.ein:2:8: error: 'x' has 1 dimension but is read with 0 indices\n"},
    {"scalar read with an index", "input s\ny = s[0]\n",
     "t.ein:2:5: error: 's' has 0 dimensions but is read with 1 index\n"},
    {"assigned with too many indices", "input x[4]\noutput y[4]\ny[i, j] = x[i]\n",
     "t.ein:3:1: error: 'y' has 1 dimension but is assigned with 2 indices\n"},
    {"assigned with too few indices", "input x[4, 3]\noutput y[4, 3]\ny[i] = x[i, 0]\n",
     "t.ein:3:1: error: 'y' has 2 dimensions but is assigned with 1 index\n"},
    /* ambiguous implicit sums */
    {"implicit sum inside a function", "input x[4, 3]\ny[i] = exp(x[i, k])\n",
     "t.ein:2:12: error: ambiguous implicit sum over 'k' inside exp(...); write sum(k: ...) where "
     "the sum belongs\n"},
    {"implicit sum inside one argument of max", "input x[4, 3]\ny[i] = max(x[i, k] * 2, 0)\n",
     "t.ein:2:12: error: ambiguous implicit sum over 'k' inside max(...); write sum(k: ...) where "
     "the sum belongs\n"},
    {"implicit sum inside select", "input x[4, 3]\ny[i] = select(i < 2, x[i, k], 0)\n",
     "t.ein:2:22: error: ambiguous implicit sum over 'k' inside select(...); write sum(k: ...) "
     "where "
     "the sum belongs\n"},
    {"implicit sum inside an explicit reduction",
     "input x[4, 3]\ninput w[5]\ny[i] = max(j: x[i, j] * "
     "w[k])\n",
     "t.ein:3:25: error: ambiguous implicit sum over 'k' inside max(...); write sum(k: ...) where "
     "the sum belongs\n"},
    {"implicit sum inside a nested call",
     "input x[4, 3]\ninput w[3]\ny[i] = abs(2 * exp(x[i, k] * "
     "w[k]))\n",
     "t.ein:3:28: error: ambiguous implicit sum over 'k' inside exp(...); write sum(k: ...) where "
     "the sum belongs\n"},
    {"implicit sum inside init",
     "input x[8, 3]\ninput w[3, 2]\nh[l, e] = h[l - 1, e] + x[l, e] init "
     "exp(w[e, k])\n",
     "t.ein:3:42: error: ambiguous implicit sum over 'k' inside exp(...); write sum(k: ...) where "
     "the sum belongs\n"},
    /* recurrences */
    {"zero self-offset", "input x[4]\nh[l] = h[l] + x[l]\n",
     "t.ein:2:8: error: 'h' reads the element it defines; a recurrence reads itself at a negative "
     "constant offset along one rank\n"},
    {"zero self-offset written as a sum", "input x[4]\nh[l] = h[l - 1 + 1] + x[l]\n",
     "t.ein:2:8: error: 'h' reads the element it defines; a recurrence reads itself at a negative "
     "constant offset along one rank\n"},
    {"positive self-offset", "input x[4]\nh[l] = h[l + 1] + x[l]\n",
     "t.ein:2:8: error: 'h' reads itself at offset +1 along 'l'; a recurrence offset must be "
     "negative\n"},
    {"non-constant self-offset", "input x[4, 3]\nh[l, j] = h[l - j, j] + x[l, j]\n",
     "t.ein:2:11: error: the recurrence offset of 'h' along 'l' must be a constant\n"},
    {"self-offsets along two ranks in one read",
     "input x[4, 3]\nh[l, j] = h[l - 1, j - 1] + x[l, j]\n",
     "t.ein:2:11: error: 'h' reads itself along more than one rank ('l' and 'j'); a recurrence "
     "runs "
     "along exactly one\n"},
    {"self-offsets along two ranks in two reads",
     "input x[4, 3]\nh[l, j] = h[l - 1, j] + h[l, j - 1] + x[l, j]\n",
     "t.ein:2:25: error: 'h' reads itself along more than one rank ('l' and 'j'); a recurrence "
     "runs "
     "along exactly one\n"},
    {"self-read with a constant index", "input x[4, 3]\nh[l, j] = h[l - 1, 0] + x[l, j]\n",
     "t.ein:2:11: error: 'h' reads itself at an index that is not 'j' plus a constant; a "
     "recurrence "
     "reads itself as h[..., j-k, ...]\n"},
    {"self-read with a scaled variable", "input x[4, 3]\nh[l, j] = h[2 * l - 1, j] + x[l, j]\n",
     "t.ein:2:11: error: 'h' reads itself at an index that is not 'l' plus a constant; a "
     "recurrence "
     "reads itself as h[..., l-k, ...]\n"},
    {"self-read with division", "input x[4, 3]\nh[l, j] = h[l / 2, j] + x[l, j]\n",
     "t.ein:2:11: error: 'h' reads itself at an index that is not 'l' plus a constant; a "
     "recurrence "
     "reads itself as h[..., l-k, ...]\n"},
    {"self-read with swapped variables", "input x[4, 4]\nh[l, j] = h[j - 1, l] + x[l, j]\n",
     "t.ein:2:11: error: 'h' reads itself at an index that is not 'l' plus a constant; a "
     "recurrence "
     "reads itself as h[..., l-k, ...]\n"},
    {"self-offset overflow",
     "input x[4]\nh[l] = h[l - 4611686018427387904 - 4611686018427387904] + "
     "x[l]\n",
     "t.ein:2:8: error: integer overflow in the index of 'h' along 'l'\n"},
    /* 64-bit counts and index ranges (issue 12) */
    {"index that wraps around 2^64",
     "input x[4]\noutput y[4]\ny[i] = x[i * -6148914691236517205]\n",
     "t.ein:3:8: error: index 'i * -6148914691236517205' can leave the 64-bit integer range (i "
     "runs over 0..3)\n"},
    {"index product that overflows", "input x[5]\noutput y[5]\ny[i] = x[i * 4611686018427387904]\n",
     "t.ein:3:8: error: index 'i * 4611686018427387904' can leave the 64-bit integer range (i runs "
     "over 0..4)\n"},
    {"index sum that overflows", "input x[4]\noutput y[4]\ny[i] = x[i + 9223372036854775806]\n",
     "t.ein:3:8: error: index 'i + 9223372036854775806' can leave the 64-bit integer range (i runs "
     "over 0..3)\n"},
    {"index difference that overflows",
     "input x[4]\noutput y[4]\ny[i] = x[i - 9223372036854775806 - 3]\n",
     "t.ein:3:8: error: index 'i - 9223372036854775806 - 3' can leave the 64-bit integer range (i "
     "runs over 0..3)\n"},
    {"index over two variables that overflows",
     "input x[4, 3]\noutput y[4]\ny[i] = x[i * 4611686018427387904 + k, k]\n",
     "t.ein:3:8: error: index 'i * 4611686018427387904 + k' can leave the 64-bit integer range (i "
     "runs over 0..3, k runs over 0..2)\n"},
    {"two indices of one read that overflow",
     "input x[4, 4]\noutput y[4]\ny[i] = x[i * 4611686018427387904, -i - 9223372036854775806]\n",
     "t.ein:3:8: error: index 'i * 4611686018427387904' can leave the 64-bit integer range (i runs "
     "over 0..3)\n"
     "t.ein:3:8: error: index '-i - 9223372036854775806' can leave the 64-bit integer range (i "
     "runs "
     "over 0..3)\n"},
    {"index in init that overflows",
     "input c[8, 3]\nh[l, e] = h[l - 1, e] + c[l, e] init c[0, e * 4611686018427387904]\n",
     "t.ein:2:38: error: index 'e * 4611686018427387904' can leave the 64-bit integer range (e "
     "runs "
     "over 0..2)\n"},
    {"element count that overflows", "output y[4294967296, 4294967296]\ny[i, j] = 1\n",
     "t.ein:1:8: error: 'y' has 4294967296 x 4294967296 elements: more than a 64-bit count "
     "holds\n"},
    {"element count of an inferred tensor that overflows",
     "input a[4294967296]\ninput b[4294967296]\nt[i, j] = a[i] * b[j]\noutput y\ny = t[0, 0]\n",
     "t.ein:3:1: error: 't' has 4294967296 x 4294967296 elements: more than a 64-bit count "
     "holds\n"},
    {"element count over many dimensions",
     "input x[2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, "
     "2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, "
     "2, 2, 2, 2, 2]\n",
     "t.ein:1:7: error: 'x' has 2 x 2 x 2 x 2 x 2 x 2 x 2 x 2 x ... (64 dimensions) elements: more "
     "than a 64-bit count holds\n"},
    {"init without a recurrence", "input x[4]\ny[l] = x[l] init 1\n",
     "t.ein:2:18: error: 'init' is allowed only on a recurrence\n"},
    {"init using the recurrence variable", "input x[4]\nh[l] = h[l - 1] + x[l] init l\n",
     "t.ein:2:29: error: the init of 'h' cannot use the recurrence variable 'l'\n"},
    {"init reading the recurrence variable",
     "input c[8, 3]\nh[l, j] = h[l - 1, j] + c[l, j] init "
     "c[l, j]\n",
     "t.ein:2:38: error: the init of 'h' cannot use the recurrence variable 'l'\n"},
    {"init reading the tensor itself",
     "input c[8, 3]\nh[l, j] = h[l - 1, j] + c[l, j] init h[0, j]\n",
     "t.ein:2:38: error: the init of 'h' cannot read 'h' itself\n"},
    /* several independent errors, each reported */
    {"independent semantic errors",
     "input x[4]\ninput w[5]\na[i] = q[i]\nb[i] = x[i] * w[i]\nc[i] = foo(x[i])\nd[i] = x[i, i]\n"
     "e[i] = x[i] + e[i]\nf[i] = x[i] init 0\n",
     "t.ein:3:8: error: unknown tensor 'q'\n"
     "t.ein:4:17: error: extent conflict for index 'i': 4 from 'x' at 4:10 but 5 from 'w' here\n"
     "t.ein:5:8: error: unknown function 'foo'\n"
     "t.ein:6:8: error: 'x' has 1 dimension but is read with 2 indices\n"
     "t.ein:7:15: error: 'e' reads the element it defines; a recurrence reads itself at a negative "
     "constant offset along one rank\n"
     "t.ein:8:18: error: 'init' is allowed only on a recurrence\n"},
};

START_TEST(test_invalid) { check_invalid(&invalid_cases[_i]); }
END_TEST

START_TEST(test_errors_do_not_cascade) {
  /* A failed statement is still the definition of its tensor: later reads
   * of it add no messages, and neither does a bad declaration's shape. */
  Compiled r;
  compile(&r, "input x[4]\ninput bad[Q]\noutput y[4]\nt[i] = x[i] + q[i]\ny[i] = t[i] + bad[i]\n"
              "z[i] = bad[i] * 2\n");
  ck_assert_ptr_null(r.c);
  ck_assert_str_eq(r.errors, "t.ein:2:11: error: unknown constant 'Q'\n"
                             "t.ein:4:15: error: unknown tensor 'q'\n");
  compiled_free(&r);
}
END_TEST

/* A name may be as long as the file; a message shows its first 64 bytes. */
enum { LONG_NAME = 1 << 20 };

static char *long_name(char c) {
  char *name = malloc(LONG_NAME + 1);
  memset(name, c, LONG_NAME);
  name[LONG_NAME] = '\0';
  return name;
}

static void check_errors_of(const char *text, const Define *defs, int ndefs, const char *want) {
  Compiled r;
  compile_full(&r, "t.ein", text, strlen(text), defs, ndefs);
  ck_assert_ptr_null(r.c);
  ck_assert_msg(strcmp(r.errors, want) == 0, "got\n%.400s\nwant\n%s", r.errors, want);
  compiled_free(&r);
}

START_TEST(test_long_names_are_cut) {
  char *q = long_name('q'), *k = long_name('k');
  char q64[65], k64[65];
  memcpy(q64, q, 64);
  memcpy(k64, k, 64);
  q64[64] = k64[64] = '\0';

  char *text = str_printf("input x[4]\noutput y[4]\ny[i] = x[i] + %s[i]\n", q);
  char *want = str_printf("t.ein:3:15: error: unknown tensor '%s...'\n", q64);
  check_errors_of(text, NULL, 0, want);
  free(text);
  free(want);

  text = str_printf("input %s[2]\ninput %s[3]\n", q, q);
  want = str_printf("t.ein:2:7: error: '%s...' is already declared at 1:7\n", q64);
  check_errors_of(text, NULL, 0, want);
  free(text);
  free(want);

  /* In an index expression, and in the list of the variables' ranges. */
  text =
      str_printf("input x[4]\noutput y[4, 2]\ny[i, %s] = x[i * 4611686018427387904 + %s]\n", k, k);
  want = str_printf("t.ein:3:%d: error: index 'i * 4611686018427387904 + %s...' can leave the "
                    "64-bit integer range (i runs over 0..3, %s... runs over 0..1)\n",
                    LONG_NAME + 10, k64, k64);
  check_errors_of(text, NULL, 0, want);
  free(text);
  free(want);

  /* A -D name comes from the command line, and is cut the same way. */
  Define defs[] = {{q, 1}};
  want = str_printf("t.ein: error: -D %s...: the program has no let constant '%s...'\n", q64, q64);
  check_errors_of("input x[4]\n", defs, 1, want);
  free(want);
  free(q);
  free(k);
}
END_TEST

/* ======================================================================== */
/* Scale: analysis is linear in the program's size (issue 12)               */
/* ======================================================================== */

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Appends to a growing malloc'ed string (the tests' programs are large). */
typedef struct Text {
  char *buf;
  size_t len, cap;
} Text;

static void text_add(Text *t, const char *s) {
  size_t n = strlen(s);
  if (t->len + n + 1 > t->cap) {
    t->cap = 2 * (t->len + n + 1);
    t->buf = realloc(t->buf, t->cap);
    ck_assert_ptr_nonnull(t->buf);
  }
  memcpy(t->buf + t->len, s, n + 1);
  t->len += n;
}

enum { SCALE_STATEMENTS = 50000 };

/* t1[i] = t0[i] + 1, ..., the last one an output. */
static char *einsum_chain(int n) {
  Text t = {0};
  char line[96];
  snprintf(line, sizeof line, "let N = 8\ninput t0[N]\noutput t%d[N]\n", n);
  text_add(&t, line);
  for (int k = 1; k <= n; k++) {
    snprintf(line, sizeof line, "t%d[i] = t%d[i] + 1\n", k, k - 1);
    text_add(&t, line);
  }
  return t.buf;
}

/* let a1 = a0 + 1, one statement each, or all in one (one_statement). */
static char *let_chain(int n, bool one_statement) {
  Text t = {0};
  char line[96];
  text_add(&t, "let a0 = 1");
  for (int k = 1; k <= n; k++) {
    snprintf(line, sizeof line, "%sa%d = a%d + 1", one_statement ? ", " : "\nlet ", k, k - 1);
    text_add(&t, line);
  }
  snprintf(line, sizeof line, "\ninput x[a%d]\noutput y[a%d]\ny[i] = x[i]\n", n, n);
  text_add(&t, line);
  return t.buf;
}

/* One statement with many summed variables: x[k0, k1, ...] over x[1, 1, ...]. */
static char *many_variables(int n) {
  Text t = {0};
  char item[32];
  text_add(&t, "input x[1");
  for (int k = 1; k < n; k++)
    text_add(&t, ", 1");
  text_add(&t, "]\noutput y\ny = x[k0");
  for (int k = 1; k < n; k++) {
    snprintf(item, sizeof item, ", k%d", k);
    text_add(&t, item);
  }
  text_add(&t, "]\n");
  return t.buf;
}

/* Compiles (analysis and the verifier) and prints every form. Quadratic
 * lookups (and the parser's append to a let list) took 46 s on the chain,
 * 12 s on the lets, 16 s on the one-statement lets and 17 s on the many
 * variables; linear, each takes well under a second, and 10 s leaves room
 * for sanitizers and a busy machine. */
static void check_fast(const char *what, char *text) {
  double start = seconds_now();
  Compiled r;
  compile(&r, text);
  ck_assert_msg(r.c != NULL, "%s rejected:\n%.400s", what, r.errors);
  free(print_to_string(print_text, r.c));
  free(print_to_string(print_dot, r.c));
  free(print_to_string(print_json, r.c));
  compiled_free(&r);
  free(text);
  double took = seconds_now() - start;
  ck_assert_msg(took < 10, "%s took %.2f s", what, took);
}

START_TEST(test_einsum_chain_is_linear) {
  check_fast("a chain of 50000 Einsums", einsum_chain(SCALE_STATEMENTS));
}
END_TEST

START_TEST(test_let_chain_is_linear) {
  check_fast("a chain of 50000 lets", let_chain(SCALE_STATEMENTS, false));
}
END_TEST

START_TEST(test_one_long_let_is_linear) {
  check_fast("one let of 50000 constants", let_chain(SCALE_STATEMENTS, true));
}
END_TEST

START_TEST(test_many_variables_are_linear) {
  check_fast("one statement of 60000 variables", many_variables(60000));
}
END_TEST

/* ======================================================================== */
/* Printers: round trip over every example and spec program                 */
/* ======================================================================== */

typedef struct ProgramFile {
  char *path;
} ProgramFile;

static ProgramFile *programs;
static int nprograms, nexamples, nspec;

static void add_programs(const char *dir, int *count) {
  char *path = str_printf("%s/%s", test_srcdir(), dir);
  int n;
  char **names = list_files(path, ".ein", &n);
  for (int i = 0; i < n; i++) {
    programs = realloc(programs, sizeof *programs * (size_t)(nprograms + 1));
    programs[nprograms++].path = str_printf("%s/%s", path, names[i]);
  }
  *count = n;
  free_names(names);
  free(path);
}

static void free_programs(void) {
  for (int i = 0; i < nprograms; i++)
    free(programs[i].path);
  free(programs);
}

START_TEST(test_program_files_found) {
  /* The round trip below is only as good as the list it runs over. */
  ck_assert_msg(nexamples >= 10, "found %d examples under %s/examples", nexamples, test_srcdir());
  ck_assert_msg(nspec >= 14, "found %d spec programs under %s/tests/programs", nspec,
                test_srcdir());
}
END_TEST

START_TEST(test_round_trip) {
  const char *path = programs[_i].path;
  Arena arena;
  arena_init(&arena);
  char *errors = NULL;
  size_t errors_len = 0;
  FILE *ef = open_memstream(&errors, &errors_len);
  Diag d;
  diag_init(&d, ef);
  Cascade *c1 = frontend_compile_file(path, NULL, 0, &arena, &d);
  fflush(ef);
  ck_assert_msg(c1 != NULL, "%s rejected:\n%s", path, errors);
  char *text1 = print_to_string(print_text, c1);

  Cascade *c2 = frontend_compile_text(path, text1, strlen(text1), NULL, 0, &arena, &d);
  fflush(ef);
  ck_assert_msg(c2 != NULL, "the dump of %s does not read back:\n%s\n%s", path, errors, text1);
  char *text2 = print_to_string(print_text, c2);
  ck_assert_msg(strcmp(text1, text2) == 0, "%s: dump of the dump differs:\n%s\n---\n%s", path,
                text1, text2);

  ck_assert_int_eq(c2->ntensors, c1->ntensors);
  ck_assert_int_eq(c2->neinsums, c1->neinsums);
  ck_assert_int_eq(c2->nlets, c1->nlets);
  for (int i = 0; i < c1->neinsums; i++)
    ck_assert_int_eq(c2->einsums[i]->rec != NULL, c1->einsums[i]->rec != NULL);

  char *dot = print_to_string(print_dot, c1);
  ck_assert_msg(strncmp(dot, "digraph", 7) == 0, "%s: DOT starts with: %.40s", path, dot);
  ck_assert_msg(strlen(dot) > 20 && dot[strlen(dot) - 1] == '\n', "%s: DOT: %s", path, dot);
  char *json = print_to_string(print_json, c1);
  ck_assert_msg(json[0] == '{', "%s: JSON starts with: %.40s", path, json);
  ck_assert_msg(strstr(json, "\"tensors\"") != NULL, "%s: JSON has no tensors: %s", path, json);

  fclose(ef);
  ck_assert_msg(errors_len == 0, "%s: messages: %s", path, errors);
  free(errors);
  free(text1);
  free(text2);
  free(dot);
  free(json);
  arena_free(&arena);
}
END_TEST

/* The dump of a program compiled with -D reads back (without -D) the same. */
START_TEST(test_round_trip_with_define) {
  const char *text = "let L = 4, M = L * 2\ninput x[M]\noutput y[L]\ny[i] = x[2 * i] * M\n";
  Define defs[] = {{"L", 3}};
  Compiled r;
  compile_full(&r, "t.ein", text, strlen(text), defs, 1);
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  char *text1 = print_to_string(print_text, r.c);
  Compiled again;
  compile_full(&again, "t.ein", text1, strlen(text1), NULL, 0);
  ck_assert_msg(again.c != NULL, "%s\n%s", again.errors, text1);
  char *text2 = print_to_string(print_text, again.c);
  ck_assert_str_eq(text1, text2);
  free(text1);
  free(text2);
  compiled_free(&again);
  compiled_free(&r);
}
END_TEST

/* ======================================================================== */
/* Lowering                                                                 */
/* ======================================================================== */

/* A recurrence's init is lowered once: its reduction runs once per element,
 * shared by every self-read, not once per read. */
START_TEST(test_lower_init_once) {
  Compiled r;
  compile(&r, "input x[8, 3]\ninput w[3, 4]\ninput v[4]\noutput h[8, 3]\n"
              "h[l, e] = 0.5 * h[l - 1, e] + 0.25 * h[l - 2, e] + x[l, e] init w[e, k] * v[k]\n");
  ck_assert_msg(r.c != NULL, "%s", r.errors);
  LoopProgram *p = lower_trivial(r.c, &r.arena);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  ck_assert_ptr_nonnull(f);
  print_loop(p, f);
  fclose(f);
  ck_assert_str_eq(text,
                   "# einc loop IR (trivial mapping)\n\n"
                   "buffer dram x[8, 3] input\n"
                   "buffer dram w[3, 4] input\n"
                   "buffer dram v[4] input\n"
                   "buffer dram h[8, 3] output\n\n"
                   "kernel h:\n"
                   "  for l in 0..8:\n"
                   "    for e in 0..3:\n"
                   "      t0 = 0\n"
                   "      for k in 0..4:\n"
                   "        t0 += (w[e, k] * v[k])\n"
                   "      h[l, e] = (((0.5 * h[l - 1, e] ?: t0) + (0.25 * h[l - 2, e] ?: t0)) "
                   "+ x[l, e])\n");
  free(text);
  compiled_free(&r);
}
END_TEST

/* ======================================================================== */

static Suite *scanner_suite(void) {
  Suite *s = suite_create("scanner");
  TCase *tc = tcase_create("termination");
  tcase_add_loop_test(tc, test_termination, 0, NCASES(termination_cases));
  tcase_add_loop_test(tc, test_termination_errors, 0, NCASES(termination_error_cases));
  tcase_add_test(tc, test_semicolon_recovers_inside_brackets);
  suite_add_tcase(s, tc);
  tc = tcase_create("tokens");
  tcase_add_test(tc, test_numbers);
  tcase_add_test(tc, test_numbers_print_exactly);
  tcase_add_test(tc, test_inf);
  tcase_add_test(tc, test_identifiers);
  tcase_add_loop_test(tc, test_lexical_errors, 0, NCASES(lexical_error_cases));
  tcase_add_test(tc, test_nul_byte);
  tcase_add_test(tc, test_nul_byte_in_comments);
  tcase_add_test(tc, test_binary_garbage);
  tcase_add_test(tc, test_too_many_errors);
  tcase_add_test(tc, test_deep_expressions);
  tcase_add_test(tc, test_deep_parentheses);
  suite_add_tcase(s, tc);
  return s;
}

static Suite *parser_suite(void) {
  Suite *s = suite_create("parser");
  TCase *tc = tcase_create("precedence");
  tcase_add_test(tc, test_subtraction_is_left_associative);
  tcase_add_test(tc, test_parentheses_on_the_right);
  tcase_add_test(tc, test_division_is_left_associative);
  tcase_add_test(tc, test_unary_minus_binds_tightest);
  tcase_add_test(tc, test_minus_number_is_a_number);
  tcase_add_test(tc, test_multiplication_before_addition);
  tcase_add_test(tc, test_logic_precedence);
  tcase_add_test(tc, test_comparison_below_arithmetic);
  tcase_add_test(tc, test_every_comparison);
  tcase_add_test(tc, test_index_precedence);
  suite_add_tcase(s, tc);
  tc = tcase_create("errors");
  tcase_add_loop_test(tc, test_syntax_errors, 0, NCASES(syntax_error_cases));
  tcase_add_loop_test(tc, test_truncated_input, 0, NCASES(truncated_cases));
  tcase_add_test(tc, test_error_recovery);
  tcase_add_test(tc, test_error_recovery_on_one_line);
  tcase_add_test(tc, test_syntax_errors_stop_before_sema);
  suite_add_tcase(s, tc);
  return s;
}

static Suite *sema_suite(void) {
  Suite *s = suite_create("sema");
  TCase *tc = tcase_create("valid");
  tcase_add_loop_test(tc, test_valid, 0, NCASES(valid_cases));
  tcase_add_test(tc, test_tensors);
  tcase_add_test(tc, test_extents_and_variables);
  tcase_add_test(tc, test_explicit_reduction_struct);
  tcase_add_test(tc, test_variable_as_value_struct);
  tcase_add_test(tc, test_recurrence_struct);
  tcase_add_test(tc, test_canonical_self_reads);
  suite_add_tcase(s, tc);
  tc = tcase_create("defines");
  tcase_add_test(tc, test_define_overrides_let);
  tcase_add_test(tc, test_define_of_a_later_constant);
  tcase_add_test(tc, test_define_given_twice_last_wins);
  tcase_add_test(tc, test_define_unknown_name);
  tcase_add_test(tc, test_define_still_checks_the_expression);
  tcase_add_test(tc, test_define_to_a_bad_dimension);
  tcase_add_test(tc, test_define_to_an_overflowing_shape);
  suite_add_tcase(s, tc);
  tc = tcase_create("invalid");
  tcase_add_loop_test(tc, test_invalid, 0, NCASES(invalid_cases));
  tcase_add_test(tc, test_errors_do_not_cascade);
  tcase_add_test(tc, test_long_names_are_cut);
  suite_add_tcase(s, tc);
  tc = tcase_create("scale");
  tcase_set_timeout(tc, 120); /* check_fast measures; this only stops a hang */
  tcase_add_test(tc, test_einsum_chain_is_linear);
  tcase_add_test(tc, test_let_chain_is_linear);
  tcase_add_test(tc, test_one_long_let_is_linear);
  tcase_add_test(tc, test_many_variables_are_linear);
  suite_add_tcase(s, tc);
  return s;
}

static Suite *printer_suite(void) {
  Suite *s = suite_create("printers");
  TCase *tc = tcase_create("round trip");
  tcase_add_test(tc, test_program_files_found);
  tcase_add_loop_test(tc, test_round_trip, 0, nprograms);
  tcase_add_test(tc, test_round_trip_with_define);
  suite_add_tcase(s, tc);
  return s;
}

static Suite *lower_suite(void) {
  Suite *s = suite_create("lower");
  TCase *tc = tcase_create("recurrences");
  tcase_add_test(tc, test_lower_init_once);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  add_programs("examples", &nexamples);
  add_programs("tests/programs", &nspec);
  int status = run_suites(scanner_suite(), parser_suite(), sema_suite(), printer_suite(),
                          lower_suite(), NULL);
  free_programs();
  return status;
}
