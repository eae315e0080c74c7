/* einasm: the accelerator's assembler and disassembler (docs/isa.md). */
#include "config.h"

#include "runtime/arch.h"
#include "runtime/asm.h"
#include "runtime/cli.h"
#include "runtime/ebin.h"
#include "runtime/isa.h"
#include "runtime/outfile.h"
#include "runtime/sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: einasm asm IN.s -o OUT.ebin [--arch ARCH.yaml] [--no-check]\n"
    "       einasm disasm IN.ebin [-o OUT.s]\n"
    "       einasm opcodes     (the opcode table, as Markdown)\n"
    "       einasm fields      (the instruction formats, as Markdown)\n"
    "       einasm arch [ARCH.yaml]   (the architecture parameters and hash, as Markdown)\n"
    "\n"
    "asm: assembles the text form into a binary for the architecture (default: built-in),\n"
    "     and checks it against that architecture unless --no-check.\n"
    "disasm: prints a binary as text that assembles back to the same bytes.\n"
    "Exit status: 0 success, 1 rejected input, 2 bad command line.\n";

/* The long options without a short form (values past any character). */
enum { OPT_ARCH = 256, OPT_NO_CHECK };

static const struct option long_options[] = {
    {"arch", required_argument, NULL, OPT_ARCH},
    {"no-check", no_argument, NULL, OPT_NO_CHECK},
    {NULL, 0, NULL, 0},
};

/* '-': operands come back in command-line order as option 1, so errors are
 * reported in the order the arguments were given; ':': a missing value comes
 * back as ':' instead of getopt printing its own message. */
static const char short_options[] = "-:o:";

typedef struct Options {
  const char *cmd, *in, *out, *arch_path;
  bool check; /* false: --no-check */
} Options;

static int bad_usage(const char *what) {
  fprintf(stderr, "einasm: %s\n%s", what, usage);
  return 2;
}

static int set_input(Options *o, const char *path) {
  if (o->in)
    return bad_usage("more than one input given");
  o->in = path;
  return -1;
}

/* Applies what cli_next_option returned: c, read from arg, with value v.
 * Returns -1 to go on, else the exit status (2: a bad command line). */
static int apply_option(void *tool, int c, const char *arg, const char *v) {
  Options *o = tool;
  switch (c) {
  case 1:
    return set_input(o, v);
  case 'o':
    o->out = v;
    return -1;
  case OPT_ARCH:
    o->arch_path = v;
    return -1;
  case OPT_NO_CHECK:
    o->check = false;
    return -1;
  case ':':
    return bad_usage("an option needs a value");
  default:
    /* Without the usage text, as before the options were parsed by getopt. */
    fprintf(stderr, "einasm: unknown option '%s'\n", arg);
    return 2;
  }
}

/* Fills *o from the command line: the command, then its options and input,
 * all read before the command is looked at. Returns -1 to go on, else the
 * exit status (0 after --help or --version). */
static int parse_args(int argc, char **argv, Options *o) {
  *o = (Options){.check = true};
  if (argc < 2)
    return bad_usage("no command given");
  o->cmd = argv[1];
  if (strcmp(o->cmd, "--help") == 0 || strcmp(o->cmd, "-h") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  if (strcmp(o->cmd, "--version") == 0) {
    printf("einasm (einc) %s\n", PACKAGE_VERSION);
    return 0;
  }
  /* The command is argv[0] to getopt, which starts after it. */
  argc--, argv++;
  return cli_parse(argc, argv, short_options, long_options, apply_option, o);
}

static void print_opcodes(FILE *f) {
  size_t n;
  const IsaOp *ops = isa_ops(&n);
  fprintf(f, "| opcode | mnemonic | unit | format | semantics |\n|---|---|---|---|---|\n");
  for (size_t i = 0; i < n; i++)
    fprintf(f, "| 0x%02x | `%s` | %s | %s | %s%s |\n", ops[i].opcode, ops[i].mnemonic,
            isa_unit_name(ops[i].unit), isa_format_name(ops[i].format), ops[i].doc,
            ops[i].special ? " (special-function stage)" : "");
}

static void print_fields(FILE *f) {
  for (int fmt = FMT_DMA; fmt < FMT_COUNT; fmt++) {
    size_t n;
    const IsaFieldId *ids = isa_format_fields((IsaFormat)fmt, &n);
    fprintf(f, "\nFormat %s:\n\n| field | word | bits | meaning |\n|---|---|---|---|\n",
            isa_format_name((IsaFormat)fmt));
    for (size_t i = 0; i < n; i++) {
      const IsaField *fd = isa_field(ids[i]);
      fprintf(f, "| `%s` | w%u | %u..%u | %s |\n", fd->name, fd->word, fd->shift,
              fd->shift + fd->width - 1, fd->doc);
    }
  }
}

/* The architecture of --arch, else of `einasm arch ARCH.yaml`, else the
 * built-in one. */
static bool load_arch(const Options *o, Arch *arch) {
  char msg[600];
  const char *path = o->arch_path ? o->arch_path : strcmp(o->cmd, "arch") == 0 ? o->in : NULL;
  if (!path) {
    arch_default(arch);
    return true;
  }
  if (arch_load(arch, path, msg, sizeof msg))
    return true;
  fprintf(stderr, "einasm: %s\n", msg);
  return false;
}

static int print_arch(const Arch *arch) {
  printf("architecture '%s', hash %016llx\n\n", arch->name, (unsigned long long)arch_hash(arch));
  arch_print_table(arch, stdout);
  return 0;
}

static int assemble(const Options *o, const Arch *arch) {
  char msg[600];
  if (!o->in || !o->out)
    return bad_usage("asm needs IN.s and -o OUT.ebin");
  Ebin b;
  if (!asm_assemble_file(o->in, arch_hash(arch), &b, msg, sizeof msg)) {
    fprintf(stderr, "einasm: %s\n", msg);
    return 1;
  }
  if (o->check && !sim_check(&b, arch, msg, sizeof msg)) {
    fprintf(stderr, "einasm: %s: %s\n", o->in, msg);
    ebin_free(&b);
    return 1;
  }
  bool ok = ebin_write(&b, o->out, msg, sizeof msg);
  ebin_free(&b);
  if (!ok) {
    fprintf(stderr, "einasm: %s\n", msg);
    return 1;
  }
  return 0;
}

static int disassemble(const Options *o) {
  char msg[600];
  if (!o->in)
    return bad_usage("disasm needs IN.ebin");
  Ebin b;
  if (!ebin_read(o->in, &b, msg, sizeof msg)) {
    fprintf(stderr, "einasm: %s\n", msg);
    return 1;
  }
  OutFile of;
  FILE *f = outfile_open(&of, o->out ? o->out : "-");
  if (f)
    asm_disassemble(&b, f);
  ebin_free(&b);
  if (!f || !outfile_commit(&of)) {
    fprintf(stderr, "einasm: cannot write %s: %s\n", o->out ? o->out : "standard output",
            strerror(errno));
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  Options o;
  int status = parse_args(argc, argv, &o);
  if (status >= 0)
    return status;
  if (strcmp(o.cmd, "opcodes") == 0) {
    print_opcodes(stdout);
    return 0;
  }
  if (strcmp(o.cmd, "fields") == 0) {
    print_fields(stdout);
    return 0;
  }
  /* Loaded for every other command, the unknown ones too: a bad --arch is
   * reported first. */
  Arch arch;
  if (!load_arch(&o, &arch))
    return 1;
  if (strcmp(o.cmd, "arch") == 0)
    return print_arch(&arch);
  if (strcmp(o.cmd, "asm") == 0)
    return assemble(&o, &arch);
  if (strcmp(o.cmd, "disasm") == 0)
    return disassemble(&o);
  fprintf(stderr, "einasm: unknown command '%s'\n%s", o.cmd, usage);
  return 2;
}
