/* einc: the compiler driver. It parses the command line (cli.md), runs the
 * frontend and the pass pipeline, and hands the result to a printer or a
 * backend. Exit status: 0 success, 1 a program or input was rejected,
 * 2 a bad command line. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "driver/driver.h"
#include "ir/loop.h"
#include "passes/passes.h"
#include "runtime/arch.h"
#include "runtime/outfile.h"

static const char usage_text[] =
    "usage: einc COMMAND MODEL.ein [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  dump MODEL.ein [--after PASS] [--format text|dot|json] [-o FILE] [-D NAME=VALUE]...\n"
    "      print the Cascade IR after PASS (default: the whole pipeline); the text\n"
    "      form is a .ein program that einc reads back\n"
    "  run MODEL.ein [--target cpu|accel] [-D NAME=VALUE]... [--input NAME=FILE.npy]...\n"
    "      [--seed N] [--outdir DIR]\n"
    "      compile and run; write every output as DIR/NAME.npy; inputs not given are\n"
    "      seeded pseudo-random values (--target accel: not yet implemented)\n"
    "  compile MODEL.ein --target cpu -o OUT.o|OUT.s|OUT.ll [--name C_NAME]\n"
    "      native code and a C header OUT.h\n"
    "  compile MODEL.ein --target accel [--arch ARCH.yaml] -o MODEL.ebin\n"
    "      accelerator microcode (not yet implemented; --arch is checked already)\n"
    "  check MODEL.ein [--rtol R] [--atol A]                      (not yet implemented)\n"
    "\n"
    "options:\n"
    "  -D NAME=VALUE   override the let constant NAME (an integer)\n"
    "  --help          show this help\n"
    "  --version       show the version\n"
    "\n"
    "exit status: 0 success, 1 program or input rejected, 2 bad command line\n";

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "einc: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'einc --help'.\n");
  return EXIT_USAGE;
}

/* NAME=VALUE with an integer VALUE. */
static bool parse_define(const char *text, Define *out) {
  const char *eq = strchr(text, '=');
  if (!eq || eq == text)
    return false;
  for (const char *p = text; p < eq; p++) {
    unsigned char c = (unsigned char)*p;
    if (!(c == '_' || isalpha(c) || (p > text && isdigit(c))))
      return false;
  }
  char *end;
  errno = 0;
  long long v = strtoll(eq + 1, &end, 10);
  if (errno || end == eq + 1 || *end)
    return false;
  size_t n = (size_t)(eq - text);
  char *name = malloc(n + 1);
  memcpy(name, text, n);
  name[n] = '\0';
  out->name = name;
  out->value = v;
  return true;
}

/* The value of an option written "--opt VALUE" or "--opt=VALUE". */
static const char *option_value(int argc, char **argv, int *i, const char *opt) {
  size_t n = strlen(opt);
  if (strncmp(argv[*i], opt, n) == 0 && argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (strcmp(argv[*i], opt) == 0 && *i + 1 < argc)
    return argv[++*i];
  return NULL;
}

static bool is_option(const char *arg, const char *opt) {
  size_t n = strlen(opt);
  return strncmp(arg, opt, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static int parse_args(int argc, char **argv, Options *o) {
  o->command = argv[1];
  o->defs = calloc((size_t)argc, sizeof *o->defs);
  o->inputs = calloc((size_t)argc, sizeof *o->inputs);
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v;
    if (strncmp(a, "-D", 2) == 0) {
      const char *text = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
      if (!text || !parse_define(text, &o->defs[o->ndefs]))
        return usage_error("bad -D '%s': expected NAME=INTEGER", text ? text : "");
      o->ndefs++;
    } else if (is_option(a, "--format")) {
      if (!(v = option_value(argc, argv, &i, "--format")))
        return usage_error("%s needs a value", a);
      if (strcmp(v, "text") && strcmp(v, "dot") && strcmp(v, "json"))
        return usage_error("unknown format '%s': expected text, dot or json", v);
      o->format = v;
    } else if (is_option(a, "--target")) {
      if (!(v = option_value(argc, argv, &i, "--target")))
        return usage_error("%s needs a value", a);
      if (strcmp(v, "cpu") && strcmp(v, "accel"))
        return usage_error("unknown target '%s': expected cpu or accel", v);
      o->target = v;
    } else if (is_option(a, "--input")) {
      if (!(v = option_value(argc, argv, &i, "--input")))
        return usage_error("%s needs NAME=FILE.npy", a);
      const char *eq = strchr(v, '=');
      if (!eq || eq == v || !eq[1])
        return usage_error("bad --input '%s': expected NAME=FILE.npy", v);
      o->inputs[o->ninputs].name = strndup(v, (size_t)(eq - v));
      o->inputs[o->ninputs++].path = eq + 1;
    } else if (is_option(a, "--seed")) {
      char *end;
      if (!(v = option_value(argc, argv, &i, "--seed")))
        return usage_error("%s needs a value", a);
      errno = 0;
      o->seed = strtoull(v, &end, 10);
      if (errno || end == v || *end || v[0] == '-')
        return usage_error("bad --seed '%s': expected a non-negative integer", v);
    } else if (is_option(a, "--outdir")) {
      if (!(v = option_value(argc, argv, &i, "--outdir")))
        return usage_error("%s needs a directory", a);
      o->outdir = v;
    } else if (is_option(a, "--arch")) {
      if (!(v = option_value(argc, argv, &i, "--arch")))
        return usage_error("%s needs ARCH.yaml", a);
      o->arch = v;
    } else if (is_option(a, "--name")) {
      if (!(v = option_value(argc, argv, &i, "--name")))
        return usage_error("%s needs a value", a);
      o->name = v;
    } else if (is_option(a, "--after")) {
      if (!(v = option_value(argc, argv, &i, "--after")))
        return usage_error("%s needs a value", a);
      o->after = v;
    } else if (strcmp(a, "-o") == 0 || is_option(a, "--output")) {
      if (!(v = a[1] == 'o' ? (i + 1 < argc ? argv[++i] : NULL)
                            : option_value(argc, argv, &i, "--output")))
        return usage_error("%s needs a file name", a);
      o->output = v;
    } else if (a[0] == '-' && a[1] != '\0') {
      return usage_error("unknown option '%s'", a);
    } else if (!o->model) {
      o->model = a;
    } else {
      return usage_error("unexpected argument '%s'", a);
    }
  }
  if (!o->model)
    return usage_error("%s needs a MODEL.ein file", o->command);
  return 0;
}

static void list_passes(FILE *out) {
  fprintf(out, "passes:");
  for (int i = 0; i < pass_count; i++)
    fprintf(out, " %s", pass_table[i].name);
  fprintf(out, "\n");
}

Cascade *load_model(const Options *o, Arena *arena) {
  const Pass *after = o->after ? find_pass(o->after) : NULL;
  Diag diag;
  diag_init(&diag, stderr);
  Cascade *c = frontend_compile_file(o->model, o->defs, o->ndefs, arena, &diag);
  if (c && !run_passes(c, after, arena, &diag))
    return NULL;
  return c;
}

const char *entry_name(const Options *o, Arena *arena) {
  if (o->name)
    return o->name;
  const char *base = strrchr(o->model, '/');
  base = base ? base + 1 : o->model;
  size_t n = strcspn(base, ".");
  char *name = arena_alloc(arena, n + 2);
  size_t j = 0;
  if (n == 0 || isdigit((unsigned char)base[0]))
    name[j++] = '_';
  for (size_t i = 0; i < n; i++)
    name[j++] = isalnum((unsigned char)base[i]) ? base[i] : '_';
  name[j] = '\0';
  return name;
}

static int cmd_dump(const Options *o) {
  const Pass *after = NULL;
  if (o->after && !(after = find_pass(o->after))) {
    fprintf(stderr, "einc: unknown pass '%s'; ", o->after);
    list_passes(stderr);
    return EXIT_USAGE;
  }
  if (after && after->lowers && o->format && strcmp(o->format, "text") != 0) {
    fprintf(stderr, "einc: the Loop IR after '%s' prints only as text\n", after->name);
    return EXIT_USAGE;
  }
  Arena arena;
  arena_init(&arena);
  int status = EXIT_REJECTED;
  Cascade *c = load_model(o, &arena);
  if (c) {
    OutFile out;
    const char *path = o->output ? o->output : "-";
    FILE *f = outfile_open(&out, path);
    if (f) {
      if (after && after->lowers)
        print_loop(lower_trivial(c, &arena), f);
      else if (!o->format || strcmp(o->format, "text") == 0)
        print_text(c, f);
      else if (strcmp(o->format, "dot") == 0)
        print_dot(c, f);
      else
        print_json(c, f);
      if (outfile_commit(&out))
        status = 0;
    }
    if (status != 0)
      fprintf(stderr, "einc: cannot write %s: %s\n", o->output ? o->output : "standard output",
              strerror(errno));
  }
  arena_free(&arena);
  return status;
}

/* An architecture file is checked as soon as it is named, so that its
 * errors (with line numbers) come before any other work. */
static bool arch_file_ok(const char *path) {
  Arch arch;
  char msg[1024];
  if (arch_load(&arch, path, msg, sizeof msg))
    return true;
  fprintf(stderr, "einc: %s\n", msg);
  return false;
}

static int not_yet(const Options *o, const char *issue) {
  fprintf(stderr, "einc: '%s' is not implemented yet (%s)\n", o->command, issue);
  return EXIT_REJECTED;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage_text, stderr);
    return EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("einc %s (LLVM %s)\n", PACKAGE_VERSION, EINC_LLVM_VERSION);
    return 0;
  }
  static const char *const commands[] = {"dump", "run", "compile", "check"};
  bool known = false;
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    known |= strcmp(argv[1], commands[i]) == 0;
  if (!known)
    return usage_error("unknown command '%s'", argv[1]);
  for (int i = 2; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0) {
      fputs(usage_text, stdout);
      return 0;
    }

  Options o = {.command = argv[1], .target = "cpu", .outdir = "."};
  int status;
  if (strcmp(o.command, "check") == 0)
    status = not_yet(&o, "it needs the accelerator backend, issue #5");
  else if ((status = parse_args(argc, argv, &o)) != 0)
    ;
  else if (o.arch && strcmp(o.target, "accel") != 0)
    status = usage_error("--arch applies only to --target accel%s", "");
  else if (o.arch && !arch_file_ok(o.arch))
    status = EXIT_REJECTED;
  else if (strcmp(o.command, "dump") == 0)
    status = cmd_dump(&o);
  else if (strcmp(o.target, "accel") == 0)
    status = not_yet(&o, "--target accel needs the accelerator backend, issue #5");
  else if (strcmp(o.command, "run") == 0)
    status = cmd_run(&o);
  else
    status = cmd_compile(&o);
  for (int i = 0; i < o.ndefs; i++)
    free((char *)o.defs[i].name);
  free(o.defs);
  for (int i = 0; i < o.ninputs; i++)
    free((char *)o.inputs[i].name);
  free(o.inputs);
  return status;
}
