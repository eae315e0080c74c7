/* einc disasm: the accelerator program as einasm text. A model is compiled
 * and printed with the backend's notes (accel_print); a binary is
 * disassembled as it is (asm_disassemble). A file is a binary when its name
 * ends in .ebin or it starts with the .ebin magic; anything else is a model. */
#include <stdio.h>
#include <string.h>

#include "driver/driver.h"
#include "runtime/asm.h"

bool is_binary_file(const char *path) {
  if (has_suffix(path, ".ebin"))
    return true;
  FILE *f = fopen(path, "rb");
  if (!f)
    return false;
  char magic[8];
  bool yes = fread(magic, 1, sizeof magic, f) == sizeof magic && memcmp(magic, "EINCEBIN", 8) == 0;
  fclose(f);
  return yes;
}

static void print_program(const void *ap, FILE *f) { accel_print(ap, f); }
static void print_binary(const void *bin, FILE *f) { asm_disassemble(bin, f); }

/* --arch with a binary asks whether the binary is for that architecture. */
static bool binary_matches_arch(const Options *o, const Ebin *bin) {
  if (!o->arch_path)
    return true;
  if (bin->arch_hash != arch_hash(&o->arch)) {
    fprintf(stderr, "einc: %s: built for architecture %016llx, but %s is %016llx\n", o->model,
            (unsigned long long)bin->arch_hash, o->arch_path,
            (unsigned long long)arch_hash(&o->arch));
    return false;
  }
  char msg[600];
  if (!sim_check(bin, &o->arch, msg, sizeof msg)) {
    fprintf(stderr, "einc: %s: %s\n", o->model, msg);
    return false;
  }
  return true;
}

static int disasm_binary(const Options *o) {
  Ebin bin;
  ebin_init(&bin, 0);
  char msg[600];
  int status = EXIT_REJECTED;
  if (!ebin_read(o->model, &bin, msg, sizeof msg))
    fprintf(stderr, "einc: %s\n", msg);
  else if (binary_matches_arch(o, &bin))
    status = print_to(o, print_binary, &bin);
  ebin_free(&bin);
  return status;
}

static int disasm_cascade(const Options *o, Compilation *cc) {
  AccelProgram ap;
  if (!check_target(cc->cascade, "accel") || !accel_build(o, cc, &ap))
    return EXIT_REJECTED;
  int status = print_to(o, print_program, &ap);
  accel_free(&ap);
  return status;
}

int cmd_disasm(const Options *o) {
  return is_binary_file(o->model) ? disasm_binary(o) : with_model(o, disasm_cascade);
}
