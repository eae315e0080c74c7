/* The accelerator simulator: checks a binary against an architecture, then
 * runs it through the timing model and (optionally) the fp32 functional model
 * at once. See docs/isa.md for the semantics and the timing rules. */
#ifndef EINC_SIM_H
#define EINC_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "runtime/arch.h"
#include "runtime/ebin.h"
#include "runtime/isa.h"

typedef struct SimUnitStats {
  uint64_t busy;   /* cycles the unit was occupied */
  uint64_t instrs; /* instructions it ran */
} SimUnitStats;

typedef struct SimStats {
  uint64_t cycles;
  uint64_t instrs;
  uint64_t dram_read_bytes, dram_write_bytes; /* useful: the valid elements */
  /* what the DRAM moved: every burst a transfer touched, whole */
  uint64_t dram_read_transferred, dram_write_transferred;
  uint64_t peak_sram_bytes; /* highest buffer byte written, plus one */
  uint64_t peak_live_bytes; /* most bytes of live data at once (functional mode; else 0) */
  uint64_t buffer_bytes;    /* buffer bytes read and written */
  uint64_t macs, vector_elems, special_elems, scan_steps;
  double energy_pj;
  double energy_dram_pj, energy_buffer_pj, energy_mac_pj, energy_vector_pj, energy_special_pj,
      energy_scan_pj;
  SimUnitStats unit[UNIT_COUNT];
  uint64_t stray_tokens; /* pushed but never popped */
} SimStats;

typedef struct SimOptions {
  bool functional; /* false: --timing-only */
  FILE *trace;     /* Chrome trace-event JSON, or NULL */
  bool progress;   /* progress line on stderr for long runs */
} SimOptions;

typedef struct Sim Sim;

/* Checks every instruction of the binary against the architecture: operand
 * boxes inside the buffer, DMA inside one tensor's DRAM placement, extents
 * non-zero and within limits, DRAM image within capacity; loops well formed
 * (loop_check) and every iteration of every instruction they repeat valid,
 * checked at the extremes of its addresses. Does not compare the
 * architecture hash (the caller decides). */
bool sim_check(const Ebin *bin, const Arch *arch, char *msg, size_t msg_size);

/* Creates a simulator for a checked binary. DRAM starts as zeros, with the
 * embedded params copied in. */
Sim *sim_new(const Ebin *bin, const Arch *arch, const SimOptions *opt);
void sim_free(Sim *s);

/* The DRAM words of a tensor (functional mode only; NULL otherwise). */
float *sim_tensor_data(Sim *s, const EbinTensor *t);

/* Runs the program to the end. False with a message on a deadlock or a race
 * between units (functional mode checks every buffer and DRAM word). */
bool sim_run(Sim *s, SimStats *stats, char *msg, size_t msg_size);

/* Writes the figures as JSON / as a human summary. */
void sim_stats_json(const SimStats *st, const Arch *arch, FILE *f);
void sim_stats_summary(const SimStats *st, const Arch *arch, FILE *f);

#endif
