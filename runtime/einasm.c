/* einasm: the accelerator's assembler and disassembler (docs/isa.md). */
#include "config.h"

#include "runtime/arch.h"
#include "runtime/asm.h"
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

static int bad_usage(const char *what) {
  fprintf(stderr, "einasm: %s\n%s", what, usage);
  return 2;
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
  for (int fmt = FMT_DMA; fmt <= FMT_SCAN; fmt++) {
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

int main(int argc, char **argv) {
  if (argc < 2)
    return bad_usage("no command given");
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0) {
    printf("einasm (einc) %s\n", PACKAGE_VERSION);
    return 0;
  }
  const char *in = NULL, *out = NULL, *arch_path = NULL;
  bool check = true;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--arch") == 0) {
      if (i + 1 >= argc)
        return bad_usage("an option needs a value");
      if (strcmp(argv[i], "-o") == 0)
        out = argv[++i];
      else
        arch_path = argv[++i];
    } else if (strcmp(argv[i], "--no-check") == 0) {
      check = false;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "einasm: unknown option '%s'\n", argv[i]);
      return 2;
    } else if (in) {
      return bad_usage("more than one input given");
    } else {
      in = argv[i];
    }
  }
  char msg[600];
  Arch arch;
  if (strcmp(cmd, "opcodes") == 0) {
    print_opcodes(stdout);
    return 0;
  }
  if (strcmp(cmd, "fields") == 0) {
    print_fields(stdout);
    return 0;
  }
  if (arch_path || (strcmp(cmd, "arch") == 0 && in)) {
    if (!arch_load(&arch, arch_path ? arch_path : in, msg, sizeof msg)) {
      fprintf(stderr, "einasm: %s\n", msg);
      return 1;
    }
  } else {
    arch_default(&arch);
  }
  if (strcmp(cmd, "arch") == 0) {
    printf("architecture '%s', hash %016llx\n\n", arch.name, (unsigned long long)arch_hash(&arch));
    arch_print_table(&arch, stdout);
    return 0;
  }
  if (strcmp(cmd, "asm") == 0) {
    if (!in || !out)
      return bad_usage("asm needs IN.s and -o OUT.ebin");
    Ebin b;
    if (!asm_assemble_file(in, arch_hash(&arch), &b, msg, sizeof msg)) {
      fprintf(stderr, "einasm: %s\n", msg);
      return 1;
    }
    if (check && !sim_check(&b, &arch, msg, sizeof msg)) {
      fprintf(stderr, "einasm: %s: %s\n", in, msg);
      ebin_free(&b);
      return 1;
    }
    bool ok = ebin_write(&b, out, msg, sizeof msg);
    ebin_free(&b);
    if (!ok) {
      fprintf(stderr, "einasm: %s\n", msg);
      return 1;
    }
    return 0;
  }
  if (strcmp(cmd, "disasm") == 0) {
    if (!in)
      return bad_usage("disasm needs IN.ebin");
    Ebin b;
    if (!ebin_read(in, &b, msg, sizeof msg)) {
      fprintf(stderr, "einasm: %s\n", msg);
      return 1;
    }
    OutFile of;
    FILE *f = outfile_open(&of, out ? out : "-");
    if (f)
      asm_disassemble(&b, f);
    ebin_free(&b);
    if (!f || !outfile_commit(&of)) {
      fprintf(stderr, "einasm: cannot write %s: %s\n", out ? out : "standard output",
              strerror(errno));
      return 1;
    }
    return 0;
  }
  fprintf(stderr, "einasm: unknown command '%s'\n%s", cmd, usage);
  return 2;
}
