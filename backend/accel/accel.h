/* The accelerator backend: a lowered program (Loop IR buffers and kernels,
 * one per Einsum) to an .ebin for the machine of docs/isa.md.
 *
 * Under --fusion none every Einsum reads its operands from DRAM and writes
 * its result to DRAM; inside an Einsum the output is tiled so that every
 * live tile fits the on-chip buffer, and loads of the next tile overlap the
 * compute of this one (double buffering through dependency tokens). The
 * mapping rules are in docs/accel-backend.md. */
#ifndef EINC_ACCEL_H
#define EINC_ACCEL_H

#include <stdbool.h>
#include <stdio.h>

#include "ir/loop.h"
#include "runtime/arch.h"
#include "runtime/ebin.h"

typedef enum { FUSION_NONE, FUSION_AUTO } Fusion;

typedef struct AccelProgram {
  Ebin bin;
  /* What each instruction is for ("einsum 3 xc[l,e] tile l=0..15 e=0..63"):
   * note_of[i] indexes notes. */
  char **notes;
  size_t nnotes, notes_cap;
  uint32_t *note_of;
  size_t note_of_cap;
} AccelProgram;

/* The most instructions a program may have: 2^24 (a 1 GiB binary; the
 * container allows 2^26), lowered by tests. Compilation stops with an error
 * as soon as it is passed, before memory runs out: the instruction stream
 * is unrolled, and a deep stepped reduction can need billions. */
extern size_t accel_instr_limit;

/* Compiles p for arch. On failure reports "FILE:LINE:COL: error: ..." at the
 * Einsum that cannot be mapped and returns false; out is then empty. */
bool accel_compile(const LoopProgram *p, const Arch *arch, Fusion fusion, AccelProgram *out,
                   Diag *diag);
void accel_free(AccelProgram *p);

/* The program as einasm text (it reassembles to the same binary), with a
 * comment line naming the Einsum and tile before each group of instructions. */
void accel_print(const AccelProgram *p, FILE *out);

#endif
