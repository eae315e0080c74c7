/* Shared between the simulator's files; not an API. */
#ifndef EINC_SIM_INTERNAL_H
#define EINC_SIM_INTERNAL_H

#include "runtime/loop.h"
#include "runtime/sim.h"

/* One instruction, checked and with its timing and action counts worked out
 * for the architecture. Word boxes are inclusive [lo, hi] bounding ranges. */
typedef struct Decoded {
  const IsaOp *op;
  uint8_t unit, wait, signal;
  uint64_t busy;        /* cycles the unit (for DMA: the DRAM bus) is occupied */
  uint64_t latency;     /* further cycles until the result is complete */
  uint64_t dram_bytes;  /* useful: the valid elements' bytes */
  uint64_t dram_bursts; /* bursts of dram.burst_bytes the transfer moves */
  uint64_t buf_rd_bytes, buf_wr_bytes;
  uint64_t macs, vec_elems, special_elems, scan_steps;
  uint64_t wr_lo, wr_hi;
  unsigned n_rd;
  uint64_t rd_lo[3], rd_hi[3];
  /* Whether a range is exactly the words touched (a dense tile), not only
   * their bounds: the timing-only race check trusts only those. */
  bool wr_exact, rd_exact[3];
} Decoded;

/* The tensors sorted by DRAM placement, to find the one holding an address. */
typedef struct TensorIndex {
  const EbinTensor **by_offset;
  size_t count;
} TensorIndex;

void tensor_index_build(const Ebin *bin, TensorIndex *ix);
void tensor_index_free(TensorIndex *ix);
/* The tensor whose placement contains the DRAM byte, or NULL. */
const EbinTensor *tensor_index_find(const TensorIndex *ix, uint64_t byte);

/* Checks one instruction against the architecture and the binary's tensors
 * and fills d. msg gets the reason (without the instruction index). The
 * encoding must be valid (isa_check_encoding): sim_check checks it once, so
 * the simulator, which decodes each instruction again as it reaches the head
 * of its queue, does not pay for it on every issue. */
bool sim_decode(const uint32_t *words, const Arch *arch, const TensorIndex *tensors, Decoded *d,
                char *msg, size_t msg_size);

/* The DRAM bursts of dram.burst_bytes that a DMA's valid rows touch (see
 * sim_check.c); rows[] and strides[] are dimensions 1..3 in elements. */
uint64_t sim_dma_bursts(uint64_t dram, uint64_t row_bytes, const uint64_t rows[3],
                        const uint64_t strides[3], uint64_t burst);

typedef struct TokenChannel {
  uint64_t *times; /* ring of push times, capacity = token depth */
  uint64_t head, count;
  uint64_t last_pop;
} TokenChannel;

typedef struct InFlight {
  uint64_t lo, hi, done;
  uint64_t index; /* the instruction (expanded numbering) */
  bool exact;     /* lo..hi is exactly what it writes */
  /* what it reads, for the timing-only race check (exact ranges only) */
  unsigned n_rd;
  uint64_t rd_lo[3], rd_hi[3];
  bool rd_exact[3];
} InFlight;

#define INTERLOCK_DEPTH 4

/* Race detection in one address space: per word, the last writer, the
 * reader that finishes last, and the reader latest in program order since
 * the last write (instruction index + 1; 0 for none, so that untouched
 * calloc'ed pages stay unallocated). */
typedef struct Shadow {
  uint32_t *writer, *reader, *late_reader;
  const char *name; /* for messages: "buffer", "DRAM" */
} Shadow;

struct Sim {
  const Ebin *bin;
  const Arch *arch;
  TensorIndex tensors;
  SimOptions opt;
  /* The dispatcher: each unit's queue is its instructions of the expanded
   * program (loops unrolled), read by a cursor as the queue's head moves, so
   * memory does not grow with the iterations. Instruction indices are
   * dynamic: positions in the expanded program. */
  LoopTable loops;
  uint64_t instrs; /* instructions once the loops are expanded */
  LoopCursor cursor[UNIT_COUNT];
  uint32_t head_words[UNIT_COUNT][ISA_WORDS]; /* the head with this iteration's addresses */
  Decoded head_dec[UNIT_COUNT];               /* each queue's head, decoded when it gets there */
  bool head_ready[UNIT_COUNT], queue_done[UNIT_COUNT];
  uint32_t head_index[UNIT_COUNT]; /* the head's dynamic index */
  size_t head_static[UNIT_COUNT];  /* the instruction of the binary it repeats */
  /* Functional mode: each dynamic instruction's unit and opcode, for the race
   * check and its messages. */
  uint8_t *unit_of, *opcode_of;
  uint64_t free_at[UNIT_COUNT];
  uint64_t last_done[UNIT_COUNT]; /* units complete in order */
  bool blocked_full[UNIT_COUNT];
  InFlight recent[UNIT_COUNT][INTERLOCK_DEPTH];
  unsigned recent_next[UNIT_COUNT];
  TokenChannel ch[UNIT_COUNT][UNIT_COUNT];
  uint64_t dram_free;
  /* functional state */
  float *dram; /* dram_bytes / 4 words */
  float *buf;  /* buffer words */
  uint64_t dram_words, buf_words;
  /* Race detection: each instruction's completion cycle, and the shadows. */
  uint64_t *done_of;
  /* Live data (functional mode): per instruction, when it started, the
   * buffer words it wrote that are still its own, and the completion of the
   * last instruction that read one of them. */
  uint64_t *start_of, *live_words, *last_use;
  Shadow buf_shadow, dram_shadow;
  bool race;
  char race_msg[400];
};

/* Executes one instruction (its words with this iteration's addresses)
 * functionally; `start` and `done` bound its window for race detection
 * (which sets s->race and s->race_msg). */
void sim_exec(Sim *s, const Decoded *d, const uint32_t *words, uint32_t index, uint64_t start,
              uint64_t done);

#endif
