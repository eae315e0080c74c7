/* einc: the compiler driver. It parses the command line (cli.md), runs the
 * frontend and the pass pipeline, and hands the result to a printer or a
 * backend. Exit status: 0 success, 1 a program or input was rejected,
 * 2 a bad command line. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "driver/driver.h"
#include "ir/loop.h"
#include "passes/passes.h"
#include "passes/tile_cpu.h"
#include "runtime/arch.h"
#include "runtime/cli.h"
#include "runtime/outfile.h"

static const char usage_text[] =
    "usage: einc COMMAND MODEL.ein [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  dump MODEL.ein [--after PASS] [--format text|dot|json|mapping] [-o FILE]\n"
    "      [-D NAME=VALUE]... [--target cpu|accel] [--arch ARCH.yaml] [--fusion none|auto]\n"
    "      [--mapping FILE.yaml]\n"
    "      print the IR after PASS (default: the whole pipeline, as the Cascade IR);\n"
    "      the text form is a .ein program that einc reads back, with the mapping in\n"
    "      comments from the map pass on; --format mapping prints the mapping alone,\n"
    "      as a file that --mapping reads back\n"
    "  run MODEL.ein [--target cpu|accel] [-D NAME=VALUE]... [--input NAME=FILE.npy]...\n"
    "      [--seed N] [--seed-scale S] [--outdir DIR] [--fusion none|auto]\n"
    "      [--mapping FILE.yaml]\n"
    "      compile and run in memory; write every output as DIR/NAME.npy; inputs not\n"
    "      given are seeded pseudo-random values in [-S, S), the same on both targets.\n"
    "      --target cpu also takes [--precision f32|f64]: f64 runs the program in\n"
    "      double precision and writes float64 outputs (the reference check uses).\n"
    "      --target accel runs on the bundled simulator and also takes\n"
    "      [--arch ARCH.yaml] [--stats FILE.json] [--verbose]\n"
    "  compile MODEL.ein --target cpu -o OUT.o|OUT.s|OUT.ll [--name C_NAME]\n"
    "      [--fusion none|auto] [--mapping FILE.yaml]\n"
    "      native code and a C header OUT.h\n"
    "  compile MODEL.ein --target accel [--arch ARCH.yaml] [--fusion none|auto]\n"
    "      [--mapping FILE.yaml] -o MODEL.ebin\n"
    "      an accelerator binary for einsim\n"
    "  check MODEL.ein [--reference f64|f32] [--rtol R] [--atol A] [--arch ARCH.yaml]\n"
    "      [--fusion none|auto] [--mapping FILE.yaml] [-D NAME=VALUE]...\n"
    "      [--input NAME=FILE.npy]... [--seed N] [--seed-scale S] [--stats FILE.json]\n"
    "      [--verbose]\n"
    "      run the accelerator, the cpu in f32 and the cpu in f64 on the same inputs;\n"
    "      each element of the accelerator must be about as close to f64 as the\n"
    "      cpu's: |accel - f64| <= 4*|cpu - f64| + 16 ulp + 2*max|cpu - f64| + 1 ulp\n"
    "      of the output's largest value (docs/cli-notes.md); --rtol, --atol add\n"
    "      slack (default 0). --reference f32: |accel - cpu| <= atol*max(1, max|cpu|)\n"
    "      + rtol*|cpu| (default rtol 1e-4, atol 1e-5). One line per output; exit 1\n"
    "      when one is out of tolerance\n"
    "  disasm MODEL.ein|PROG.ebin [--arch ARCH.yaml] [--fusion none|auto]\n"
    "      [--mapping FILE.yaml] [-D NAME=VALUE]... [-o FILE]\n"
    "      the accelerator program as einasm text: a model is compiled and listed with\n"
    "      a comment per Einsum and tile; a binary (named .ebin, or starting with the\n"
    "      .ebin magic) is disassembled as it is\n"
    "\n"
    "options:\n"
    "  -D NAME=VALUE       override the let constant NAME (an integer)\n"
    "  --arch ARCH.yaml    the accelerator's architecture (default: the built-in one,\n"
    "                      the same as arch/default.yaml)\n"
    "  --fusion none|auto  none: every Einsum on its own, through DRAM (the unfused\n"
    "                      baseline); auto (default): the compiler's default mapping\n"
    "                      (docs/mapping.md), on both targets\n"
    "  --mapping FILE.yaml a hand-written mapping (docs/mapping.md); what it does not\n"
    "                      say is left to --fusion\n"
    "  --stats FILE.json   the simulator's figures as JSON, and its summary on\n"
    "                      standard error ('-' is standard output)\n"
    "  --verbose           the simulator's summary on standard error\n"
    "  --help              show this help\n"
    "  --version           show the version\n"
    "\n"
    "exit status: 0 success, 1 program or input rejected (check: an output out of\n"
    "tolerance), 2 bad command line\n";

/* The commands, as bits for the options that apply to them. */
enum { CMD_DUMP = 1, CMD_RUN = 2, CMD_COMPILE = 4, CMD_CHECK = 8, CMD_DISASM = 16 };
enum { CMD_OLD = CMD_DUMP | CMD_RUN | CMD_COMPILE, CMD_ALL = 31 };

static int cmd_dump(const Options *o);

typedef struct Command {
  const char *name;
  unsigned bit;
  int (*run)(const Options *o);
} Command;

static const Command commands[] = {{"dump", CMD_DUMP, cmd_dump},
                                   {"run", CMD_RUN, cmd_run},
                                   {"compile", CMD_COMPILE, cmd_compile},
                                   {"check", CMD_CHECK, cmd_check},
                                   {"disasm", CMD_DISASM, cmd_disasm}};

static const Command *find_command(const char *name) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static unsigned command_bit(const char *name) {
  const Command *c = find_command(name);
  return c ? c->bit : 0;
}

typedef enum {
  OPT_D,
  OPT_FORMAT,
  OPT_TARGET,
  OPT_INPUT,
  OPT_SEED,
  OPT_OUTDIR,
  OPT_ARCH,
  OPT_NAME,
  OPT_AFTER,
  OPT_OUTPUT,
  OPT_FUSION,
  OPT_STATS,
  OPT_VERBOSE,
  OPT_RTOL,
  OPT_ATOL,
  OPT_MAPPING,
  OPT_PRECISION,
  OPT_SEED_SCALE,
  OPT_REFERENCE,
  OPT_COUNT
} OptId;

/* Where each option applies, and what the message for a missing value says
 * it needs. The first commands accept their old options whatever they mean
 * to them (as before); the new options and the new commands are strict.
 * accel: only with --target accel (implied by check and disasm). */
static const struct {
  const char *name;
  unsigned commands;
  bool accel;
  const char *needs;
} option_rules[OPT_COUNT] = {
    [OPT_D] = {"-D", CMD_ALL, false, NULL},
    [OPT_FORMAT] = {"--format", CMD_OLD, false, "a value"},
    [OPT_TARGET] = {"--target", CMD_OLD, false, "a value"},
    [OPT_INPUT] = {"--input", CMD_OLD | CMD_CHECK, false, "NAME=FILE.npy"},
    [OPT_SEED] = {"--seed", CMD_OLD | CMD_CHECK, false, "a value"},
    [OPT_OUTDIR] = {"--outdir", CMD_OLD, false, "a directory"},
    [OPT_ARCH] = {"--arch", CMD_ALL, true, "ARCH.yaml"},
    [OPT_NAME] = {"--name", CMD_OLD, false, "a value"},
    /* Not run and compile: stopping their pipeline early crashed them. */
    [OPT_AFTER] = {"--after", CMD_DUMP, false, "a value"},
    [OPT_OUTPUT] = {"-o", CMD_OLD | CMD_DISASM, false, "a file name"},
    [OPT_FUSION] = {"--fusion", CMD_ALL, false, "none or auto"},
    [OPT_STATS] = {"--stats", CMD_RUN | CMD_CHECK, true, "FILE.json"},
    [OPT_VERBOSE] = {"--verbose", CMD_RUN | CMD_CHECK, false, NULL},
    [OPT_RTOL] = {"--rtol", CMD_CHECK, false, "a number"},
    [OPT_ATOL] = {"--atol", CMD_CHECK, false, "a number"},
    [OPT_MAPPING] = {"--mapping", CMD_ALL, false, "FILE.yaml"},
    [OPT_PRECISION] = {"--precision", CMD_RUN, false, "f32 or f64"},
    [OPT_SEED_SCALE] = {"--seed-scale", CMD_RUN | CMD_CHECK, false, "a number"},
    [OPT_REFERENCE] = {"--reference", CMD_CHECK, false, "f64 or f32"},
};

/* getopt_long returns a long option as LONG_OPTION + its OptId (past any
 * character), -D and -o (and --output) as their letter. */
enum { LONG_OPTION = 256 };

static const struct option long_options[] = {
    {"format", required_argument, NULL, LONG_OPTION + OPT_FORMAT},
    {"target", required_argument, NULL, LONG_OPTION + OPT_TARGET},
    {"input", required_argument, NULL, LONG_OPTION + OPT_INPUT},
    {"seed", required_argument, NULL, LONG_OPTION + OPT_SEED},
    {"outdir", required_argument, NULL, LONG_OPTION + OPT_OUTDIR},
    {"arch", required_argument, NULL, LONG_OPTION + OPT_ARCH},
    {"name", required_argument, NULL, LONG_OPTION + OPT_NAME},
    {"after", required_argument, NULL, LONG_OPTION + OPT_AFTER},
    {"output", required_argument, NULL, 'o'},
    {"fusion", required_argument, NULL, LONG_OPTION + OPT_FUSION},
    {"stats", required_argument, NULL, LONG_OPTION + OPT_STATS},
    {"verbose", no_argument, NULL, LONG_OPTION + OPT_VERBOSE},
    {"rtol", required_argument, NULL, LONG_OPTION + OPT_RTOL},
    {"atol", required_argument, NULL, LONG_OPTION + OPT_ATOL},
    {"mapping", required_argument, NULL, LONG_OPTION + OPT_MAPPING},
    {"precision", required_argument, NULL, LONG_OPTION + OPT_PRECISION},
    {"seed-scale", required_argument, NULL, LONG_OPTION + OPT_SEED_SCALE},
    {"reference", required_argument, NULL, LONG_OPTION + OPT_REFERENCE},
    {NULL, 0, NULL, 0},
};

/* '-': operands come back in command-line order as option 1, so errors are
 * reported in the order the arguments were given; ':': a missing value comes
 * back as ':' instead of getopt printing its own message. */
static const char short_options[] = "-:D:o:";

/* The option getopt_long's value c stands for. */
static OptId option_id(int c) {
  if (c == 'D')
    return OPT_D;
  if (c == 'o')
    return OPT_OUTPUT;
  return (OptId)(c - LONG_OPTION);
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int
usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "einc: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry 'einc --help'.\n");
  va_end(ap);
  return EXIT_USAGE;
}

/* cli_next_option, and -o only as a word of its own: getopt would read
 * -outdir as -o utdir. */
static int next_option(int argc, char **argv, const char **arg) {
  int c = cli_next_option(argc, argv, short_options, long_options, arg);
  if (c == 'o' && strncmp(*arg, "--", 2) != 0 && strcmp(*arg, "-o") != 0)
    return '?';
  return c;
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

/* A tolerance: a finite number, not negative. */
static bool parse_tolerance(const char *v, double *out) {
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (errno || end == v || *end || !isfinite(d) || d < 0)
    return false;
  *out = d;
  return true;
}

/* A seed scale: a finite number above 0. */
static bool parse_seed_scale(const char *v, double *out) {
  return parse_tolerance(v, out) && *out > 0;
}

static int bad_define(const char *text) {
  return usage_error("bad -D '%s': expected NAME=INTEGER", text);
}

/* -D NAME=VALUE or -DNAME=VALUE. */
static int add_define(Options *o, const char *text) {
  if (!parse_define(text, &o->defs[o->ndefs]))
    return bad_define(text);
  o->ndefs++;
  return 0;
}

static int add_input(Options *o, const char *v) {
  const char *eq = strchr(v, '=');
  if (!eq || eq == v || !eq[1])
    return usage_error("bad --input '%s': expected NAME=FILE.npy", v);
  o->inputs[o->ninputs].name = strndup(v, (size_t)(eq - v));
  o->inputs[o->ninputs++].path = eq + 1;
  return 0;
}

static int set_seed(Options *o, const char *v) {
  char *end;
  errno = 0;
  o->seed = strtoull(v, &end, 10);
  if (errno || end == v || *end || v[0] == '-')
    return usage_error("bad --seed '%s': expected a non-negative integer", v);
  return 0;
}

/* Records option id with its value v (NULL for --verbose) in o; 0, or a
 * usage error's status. */
static int set_option(Options *o, OptId id, const char *v) {
  switch (id) {
  case OPT_D:
    return add_define(o, v);
  case OPT_VERBOSE:
    o->verbose = true;
    return 0;
  case OPT_FORMAT:
    if (strcmp(v, "text") && strcmp(v, "dot") && strcmp(v, "json") && strcmp(v, "mapping"))
      return usage_error("unknown format '%s': expected text, dot, json or mapping", v);
    o->format = v;
    return 0;
  case OPT_TARGET:
    if (strcmp(v, "cpu") && strcmp(v, "accel"))
      return usage_error("unknown target '%s': expected cpu or accel", v);
    o->target = v;
    return 0;
  case OPT_FUSION:
    if (strcmp(v, "none") && strcmp(v, "auto"))
      return usage_error("unknown fusion '%s': expected none or auto", v);
    o->fusion = strcmp(v, "none") == 0 ? FUSION_NONE : FUSION_AUTO;
    return 0;
  case OPT_RTOL:
  case OPT_ATOL:
    if (!parse_tolerance(v, id == OPT_RTOL ? &o->rtol : &o->atol))
      return usage_error("bad %s '%s': expected a non-negative number", option_rules[id].name, v);
    return 0;
  case OPT_PRECISION:
    if (strcmp(v, "f32") && strcmp(v, "f64"))
      return usage_error("unknown precision '%s': expected f32 or f64", v);
    o->precision = strcmp(v, "f64") == 0 ? CPU_F64 : CPU_F32;
    return 0;
  case OPT_REFERENCE:
    if (strcmp(v, "f32") && strcmp(v, "f64"))
      return usage_error("unknown reference '%s': expected f64 or f32", v);
    o->reference_f32 = strcmp(v, "f32") == 0;
    return 0;
  case OPT_SEED_SCALE:
    if (!parse_seed_scale(v, &o->seed_scale))
      return usage_error("bad --seed-scale '%s': expected a positive number", v);
    return 0;
  case OPT_INPUT:
    return add_input(o, v);
  case OPT_SEED:
    return set_seed(o, v);
  default:
    break;
  }
  const char **slot[OPT_COUNT] = {
      [OPT_OUTDIR] = &o->outdir,       [OPT_ARCH] = &o->arch_path, [OPT_NAME] = &o->name,
      [OPT_AFTER] = &o->after,         [OPT_OUTPUT] = &o->output,  [OPT_STATS] = &o->stats,
      [OPT_MAPPING] = &o->mapping_path};
  *slot[id] = v;
  return 0;
}

/* The message for option id, written arg, given last without its value. */
static int missing_value(const char *arg, OptId id) {
  if (id == OPT_D)
    return bad_define(""); /* as for an empty NAME=VALUE */
  return usage_error("%s needs %s", arg, option_rules[id].needs);
}

static int set_model(Options *o, const char *path) {
  if (o->model)
    return usage_error("unexpected argument '%s'", path);
  o->model = path;
  return 0;
}

/* Applies what next_option returned: c, read from arg, with value v; *seen
 * gets the option's bit. 0 to go on, else a usage error's status. */
static int apply_option(Options *o, unsigned *seen, int c, const char *arg, const char *v) {
  switch (c) {
  case 1:
    return set_model(o, v);
  case ':':
    return missing_value(arg, option_id(optopt));
  case '?':
    return usage_error("unknown option '%s'", arg);
  default:
    *seen |= 1u << option_id(c);
    return set_option(o, option_id(c), v);
  }
}

/* Fills *o from the arguments after the command, *seen with a bit per
 * option given (o's lists are for free_options whatever the outcome); 0, or
 * a usage error's status. */
static int parse_args(int argc, char **argv, Options *o, unsigned *seen) {
  o->defs = calloc((size_t)argc, sizeof *o->defs);
  o->inputs = calloc((size_t)argc, sizeof *o->inputs);
  opterr = 0;
  optind = 2; /* past the command */
  const char *arg;
  int c, status;
  while ((c = next_option(argc, argv, &arg)) != -1)
    if ((status = apply_option(o, seen, c, arg, optarg)) != 0)
      return status;
  /* After "--" every argument is an operand. */
  for (; optind < argc; optind++)
    if ((status = set_model(o, argv[optind])) != 0)
      return status;
  if (!o->model)
    return usage_error("%s needs a MODEL.ein file", o->command);
  return 0;
}

/* Options that do not apply to the command, or need --target accel. check
 * and disasm are accelerator commands: their target is accel. */
static int check_applicable(Options *o, unsigned seen) {
  unsigned cmd = command_bit(o->command);
  if (cmd & (CMD_CHECK | CMD_DISASM))
    o->target = "accel";
  for (int id = 0; id < OPT_COUNT; id++)
    if ((seen >> id & 1) && !(option_rules[id].commands & cmd))
      return usage_error("%s does not apply to %s", option_rules[id].name, o->command);
  for (int id = 0; id < OPT_COUNT; id++)
    if ((seen >> id & 1) && option_rules[id].accel && strcmp(o->target, "accel") != 0)
      return usage_error("%s applies only to --target accel", option_rules[id].name);
  if ((seen >> OPT_PRECISION & 1) && strcmp(o->target, "cpu") != 0)
    return usage_error("--precision applies only to --target cpu");
  return 0;
}

/* Against the float64 reference --rtol and --atol are extra slack, none
 * unless given; the defaults are those of the f32 comparison. */
static void tolerance_defaults(Options *o, unsigned seen) {
  if (o->reference_f32)
    return;
  if (!(seen >> OPT_RTOL & 1))
    o->rtol = 0;
  if (!(seen >> OPT_ATOL & 1))
    o->atol = 0;
}

/* What the command needs of its options, before any work is done. */
static int check_usage(Options *o, unsigned seen) {
  int status = check_applicable(o, seen);
  tolerance_defaults(o, seen);
  if (status == 0 && strcmp(o->command, "compile") == 0)
    status = compile_usage(o);
  if (status == 0 && strcmp(o->command, "disasm") == 0 && is_binary_file(o->model) &&
      (seen & (1u << OPT_D | 1u << OPT_FUSION | 1u << OPT_MAPPING)))
    status =
        usage_error("-D, --fusion and --mapping apply to a model, not to the binary %s", o->model);
  return status;
}

static void list_passes(FILE *out) {
  fprintf(out, "passes:");
  for (int i = 0; i < pass_count; i++)
    fprintf(out, " %s", pass_table[i].name);
  fprintf(out, "\n");
}

/* --after PASS, or NULL for the whole pipeline (also for an unknown name,
 * which only dump refuses). */
static const Pass *after_pass(const Options *o) { return o->after ? find_pass(o->after) : NULL; }

Compilation compilation_for(const Options *o, Cascade *c, Target target, Arena *arena, Diag *diag) {
  /* Two vectors of columns in the CPU's micro-kernel. */
  int cols = target == TARGET_CPU && cpu_host_vector_floats() == 16 ? TILE_CPU_COLS_WIDE : 0;
  return (Compilation){.cascade = c,
                       .target = target,
                       .arch = &o->arch,
                       .fusion = o->fusion,
                       .mapping_path = o->mapping_path,
                       .cpu_block_cols = cols,
                       .arena = arena,
                       .diag = diag};
}

int with_model(const Options *o, ModelWork work) {
  Arena arena;
  arena_init(&arena);
  Diag diag;
  diag_init(&diag, stderr);
  Cascade *c = frontend_compile_file(o->model, o->defs, o->ndefs, &arena, &diag);
  int status = EXIT_REJECTED;
  if (c) {
    Compilation cc = compilation_for(o, c, is_accel(o) ? TARGET_ACCEL : TARGET_CPU, &arena, &diag);
    if (pipeline_run(&cc, after_pass(o)))
      status = work(o, &cc);
  }
  arena_free(&arena);
  return status;
}

bool is_accel(const Options *o) { return strcmp(o->target, "accel") == 0; }

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

int print_to(const Options *o, void (*print)(const void *what, FILE *f), const void *what) {
  const char *path = o->output ? o->output : "-";
  OutFile out;
  FILE *f = outfile_open(&out, path);
  if (f)
    print(what, f);
  if (!f || !outfile_commit(&out)) {
    fprintf(stderr, "einc: cannot write %s: %s\n", o->output ? o->output : "standard output",
            strerror(errno));
    return EXIT_REJECTED;
  }
  return 0;
}

/* The mapping as comment lines, so that the text form stays a program. */
static void print_mapping_comments(const Mapping *m, FILE *f) {
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  if (!mem)
    return;
  print_mapping(m, mem);
  fclose(mem);
  fputs("\n", f);
  for (char *line = text; line && *line;) {
    char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    fprintf(f, "#%s%.*s\n", n ? " " : "", (int)n, line);
    line = end ? end + 1 : line + n;
  }
  free(text);
}

typedef struct Dump {
  const Options *o;
  const Compilation *cc;
} Dump;

/* Without --after: the Cascade IR after the whole pipeline. With it: the
 * Loop IR once there is one, else the Cascade IR, and the mapping once
 * there is one. */
static void print_dump(const void *what, FILE *f) {
  const Dump *d = what;
  const char *format = d->o->format ? d->o->format : "text";
  const Compilation *cc = d->cc;
  if (strcmp(format, "mapping") == 0) {
    print_mapping(cc->mapping, f);
    return;
  }
  if (d->o->after && cc->loops)
    print_loop(cc->loops, f);
  else if (strcmp(format, "text") == 0)
    print_text(cc->cascade, f);
  else if (strcmp(format, "dot") == 0)
    print_dot(cc->cascade, f);
  else
    print_json(cc->cascade, f);
  if (d->o->after && cc->mapping && strcmp(format, "text") == 0)
    print_mapping_comments(cc->mapping, f);
}

static int dump_model(const Options *o, Compilation *cc) {
  Dump d = {o, cc};
  if (d.o->format && strcmp(d.o->format, "mapping") == 0 && !cc->mapping) {
    fprintf(stderr, "einc: there is no mapping yet after '%s'\n", o->after);
    return EXIT_USAGE;
  }
  if (o->after && cc->loops && d.o->format && strcmp(d.o->format, "text") != 0 &&
      strcmp(d.o->format, "mapping") != 0) {
    fprintf(stderr, "einc: the Loop IR after '%s' prints only as text\n", o->after);
    return EXIT_USAGE;
  }
  return print_to(o, print_dump, &d);
}

static int cmd_dump(const Options *o) {
  const Pass *after = after_pass(o);
  if (o->after && !after) {
    fprintf(stderr, "einc: unknown pass '%s'; ", o->after);
    list_passes(stderr);
    return EXIT_USAGE;
  }
  return with_model(o, dump_model);
}

/* The architecture is read once the command line is known good, so that
 * its errors (with line numbers) come before any other work. */
static bool load_arch(Options *o) {
  if (!o->arch_path) {
    arch_default(&o->arch);
    return true;
  }
  char msg[1024];
  if (arch_load(&o->arch, o->arch_path, msg, sizeof msg))
    return true;
  fprintf(stderr, "einc: %s\n", msg);
  return false;
}

static void free_options(Options *o) {
  for (int i = 0; i < o->ndefs; i++)
    free((char *)o->defs[i].name);
  free(o->defs);
  for (int i = 0; i < o->ninputs; i++)
    free((char *)o->inputs[i].name);
  free(o->inputs);
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
  if (!command_bit(argv[1]))
    return usage_error("unknown command '%s'", argv[1]);
  /* --help and --version answer after a command too (cli.md: every program
   * answers both), as a word of their own. */
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0) {
      fputs(usage_text, stdout);
      return 0;
    }
    if (strcmp(argv[i], "--version") == 0) {
      printf("einc %s (LLVM %s)\n", PACKAGE_VERSION, EINC_LLVM_VERSION);
      return 0;
    }
  }

  Options o = {.command = argv[1],
               .target = "cpu",
               .outdir = ".",
               .fusion = FUSION_AUTO,
               .rtol = 1e-4,
               .atol = 1e-5,
               .precision = CPU_F32,
               .seed_scale = 1};
  unsigned seen = 0;
  int status = parse_args(argc, argv, &o, &seen);
  if (status == 0)
    status = check_usage(&o, seen);
  if (status == 0)
    status = load_arch(&o) ? find_command(o.command)->run(&o) : EXIT_REJECTED;
  free_options(&o);
  return status;
}
