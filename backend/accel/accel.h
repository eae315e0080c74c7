/* The accelerator backend: a lowered program (Loop IR buffers and kernels,
 * one per Einsum) and its mapping to an .ebin for the machine of
 * docs/isa.md.
 *
 * The mapping (ir/mapping.h, chosen by the passes or written by hand) says
 * which ranks a tile spans, how large tiles and reduction chunks are, the
 * order of the tile loops and whether loads are double buffered; the
 * backend carries it out: every Einsum reads its operands from DRAM and
 * writes its result to DRAM, a tile at a time, and loads of the next tile
 * overlap the compute of this one (dependency tokens). The rules are in
 * docs/accel-backend.md. */
#ifndef EINC_ACCEL_H
#define EINC_ACCEL_H

#include <stdbool.h>
#include <stdio.h>

#include "ir/loop.h"
#include "ir/mapping.h"
#include "runtime/arch.h"
#include "runtime/ebin.h"

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
/* Whether the emitted instructions are rolled into hardware loops (true;
 * tests compare with the unrolled form, which runs the same). */
extern bool accel_roll_loops;

/* Compiles p under mapping m for arch. On failure reports "FILE:LINE:COL:
 * error: ..." at the Einsum that cannot be mapped as m says and returns
 * false; out is then empty. */
bool accel_compile(const LoopProgram *p, const Mapping *m, const Arch *arch, AccelProgram *out,
                   Diag *diag);

/* ---- what the tiling pass sizes tiles by (passes/tile.c) ---- */

/* The most rows or columns a tile or a reduction chunk may have. */
enum { ACCEL_MAX_EXTENT = 32768 };

typedef enum { ACCEL_PLAIN, ACCEL_SCAN, ACCEL_STEPWISE } AccelMode;
/* How the backend runs e: a recurrence h[t] = A*h[t-1] + B on the scan unit
 * (*A, *B set; *A NULL for h[t-1] + B), any other recurrence one time step
 * at a time, everything else as independent tiles. */
AccelMode accel_mode(const Einsum *e, const Expr **A, const Expr **B);
/* The tiles e holds on chip at once (operands, results, a scan's state)
 * under mapping em (its space ranks decide whether a contraction goes to
 * the matrix unit; NULL: the bound that holds for any). */
int accel_live_tiles(const Einsum *e, AccelMode mode, const EinsumMap *em);
/* The tiles reader y holds when it reads out the scan h (a fused group):
 * its own, the scan's, the scan's states and the loads kept for a tile. */
int accel_readout_live_tiles(const Einsum *y, const Einsum *h);
/* The words of one tile slot for e when `live` tiles (accel_live_tiles, or
 * more for a fused group) share the buffer above the constant pool, twice
 * that many with double buffering; no larger than e's whole iteration
 * space. 0 when they do not fit. */
uint32_t accel_slot_words(const Arch *a, const Einsum *e, int live, bool double_buffer);
/* Whether the reduction r runs on the matrix unit when row_var is on a
 * tile's rows and col_var on its columns (-1: none). */
bool accel_is_contraction(const Einsum *e, const Expr *r, int row_var, int col_var);
/* The words of buffer the constant pool takes at its bottom. */
uint32_t accel_pool_words(const Arch *a);
void accel_free(AccelProgram *p);

/* The program as einasm text (it reassembles to the same binary), with a
 * comment line naming the Einsum and tile before each group of instructions. */
void accel_print(const AccelProgram *p, FILE *out);

#endif
