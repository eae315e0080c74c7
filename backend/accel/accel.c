/* Placeholder while the generator is written (replaced in the same issue). */
#include "backend/accel/accel.h"

#include <stdlib.h>
#include <string.h>

bool accel_compile(const LoopProgram *p, const Arch *arch, Fusion fusion, AccelProgram *out,
                   Diag *diag) {
  (void)arch;
  (void)fusion;
  memset(out, 0, sizeof *out);
  SrcLoc loc = {p->cascade->file, 1, 1};
  diag_error(diag, loc, "the accelerator backend is not implemented yet");
  return false;
}

void accel_free(AccelProgram *p) {
  ebin_free(&p->bin);
  for (size_t i = 0; i < p->nnotes; i++)
    free(p->notes[i]);
  free(p->notes);
  free(p->note_of);
  memset(p, 0, sizeof *p);
}

void accel_print(const AccelProgram *p, FILE *out) { (void)p, (void)out; }
