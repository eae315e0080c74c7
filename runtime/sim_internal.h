/* Shared between the simulator's files; not an API. */
#ifndef EINC_SIM_INTERNAL_H
#define EINC_SIM_INTERNAL_H

#include "runtime/sim.h"

/* One instruction, checked and with its timing and action counts worked out
 * for the architecture. Word boxes are inclusive [lo, hi] bounding ranges. */
typedef struct Decoded {
  const IsaOp *op;
  uint8_t unit, wait, signal;
  uint64_t busy;    /* cycles the unit (for DMA: the DRAM bus) is occupied */
  uint64_t latency; /* further cycles until the result is complete */
  uint64_t dram_bytes;
  uint64_t buf_rd_bytes, buf_wr_bytes;
  uint64_t macs, vec_elems, special_elems, scan_steps;
  uint64_t wr_lo, wr_hi;
  unsigned n_rd;
  uint64_t rd_lo[3], rd_hi[3];
} Decoded;

/* Checks one instruction against the architecture and the binary and fills d.
 * msg gets the reason (without the instruction index) on failure. */
bool sim_decode(const uint32_t *words, const Arch *arch, const Ebin *bin, Decoded *d, char *msg,
                size_t msg_size);

typedef struct TokenChannel {
  uint64_t *times; /* ring of push times, capacity = token depth */
  uint64_t head, count;
  uint64_t last_pop;
} TokenChannel;

typedef struct InFlight {
  uint64_t lo, hi, done;
} InFlight;

#define INTERLOCK_DEPTH 4

struct Sim {
  const Ebin *bin;
  const Arch *arch;
  SimOptions opt;
  Decoded *dec;
  uint32_t *queue[UNIT_COUNT]; /* instruction indices per unit */
  uint64_t qlen[UNIT_COUNT], head[UNIT_COUNT];
  uint64_t free_at[UNIT_COUNT];
  bool blocked_full[UNIT_COUNT];
  InFlight recent[UNIT_COUNT][INTERLOCK_DEPTH];
  unsigned recent_next[UNIT_COUNT];
  TokenChannel ch[UNIT_COUNT][UNIT_COUNT];
  uint64_t dram_free;
  /* functional state */
  float *dram; /* dram_bytes / 4 words */
  float *buf;  /* buffer words */
  uint64_t dram_words, buf_words;
  /* race detection shadows, one entry per word */
  uint64_t *buf_w_done, *buf_r_until, *dram_w_done, *dram_r_until;
  uint32_t *buf_w_instr, *buf_r_instr, *dram_w_instr, *dram_r_instr;
  bool race;
  char race_msg[400];
  bool trace_first;
};

/* Executes one instruction functionally; `start` and `done` bound its window
 * for race detection (which sets s->race and s->race_msg). */
void sim_exec(Sim *s, uint32_t index, uint64_t start, uint64_t done);

#endif
