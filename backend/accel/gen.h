/* The accelerator generator's shared state (internal to backend/accel).
 *
 * Instructions are emitted in program order. Every buffer region and every
 * DRAM tensor carries a Hazard: the last instruction that wrote it and the
 * last reader on each unit. emit() turns the hazards an instruction meets
 * into dependency tokens (docs/accel-backend.md, "Tokens"). */
#ifndef EINC_ACCEL_GEN_H
#define EINC_ACCEL_GEN_H

#include "backend/accel/accel.h"
#include "runtime/isa.h"

/* Instruction indices, -1 for none. Units complete in order (docs/isa.md),
 * so the newest access per unit stands for all of that unit's older ones. */
typedef struct Hazard {
  int64_t writer[UNIT_COUNT]; /* the last write (one unit), or merged writes */
  int64_t reader[UNIT_COUNT]; /* the last reader per unit since then */
} Hazard;

/* Instruction indices in increasing order. */
typedef struct IndexList {
  int64_t *at;
  size_t n, cap;
} IndexList;

/* A value on chip: a rows x cols grid at addr + r*rs + k*cs. A broadcast
 * axis has extent 1 and stride 0. */
typedef struct Region {
  int slot; /* owning slot, or -1 for a constant-pool word (pool word addr) */
  uint32_t addr, rs, cs;
  uint32_t nr, nc;
} Region;

typedef struct Slot {
  uint32_t addr;
  bool busy;
  bool pinned; /* holds a reused load (Memo): not freed, not written in place */
  Hazard hz;
} Slot;

typedef struct PoolWord {
  float value;
  bool used;
  uint64_t epoch; /* the tile that last used it */
  Hazard hz;
} PoolWord;

/* The axes of the current tile: a variable on an axis runs over [lo, lo+n);
 * every other bound variable has a fixed value. */
typedef struct Axis {
  int var; /* -1: no variable on this axis (extent 1) */
  int64_t lo, n;
} Axis;

typedef struct Ctx {
  const Einsum *e;
  const int64_t *shape; /* per variable: the mapping's partitioning (0: whole) */
  int64_t *val;         /* per variable: value when fixed */
  bool *fixed;          /* per variable */
  Axis row, col;        /* rows and columns of every region in this context */
} Ctx;

/* Where one Einsum's instructions start and the ring its tile slots form
 * (rs = 0: none), for rolling them into loops (roll.c). */
typedef struct AccelRollSegment {
  size_t start;
  uint32_t rb, rs;
} AccelRollSegment;

typedef struct Gen {
  const LoopProgram *lp;
  const Arch *arch;
  AccelProgram *out;
  Diag *diag;
  Ebin *bin;
  uint64_t *dram;     /* per cascade tensor: DRAM byte offset */
  Hazard *tensor_hz;  /* per cascade tensor */
  uint64_t iota_dram; /* the 0, 1, 2, ... table, UINT64_MAX until needed */
  int64_t iota_len;
  Hazard iota_hz;
  /* tokens: last_sig[u][v] is the newest instruction of u that signals v */
  int64_t last_sig[UNIT_COUNT][UNIT_COUNT];
  uint8_t *unit_of;
  size_t unit_cap;
  IndexList unit_instrs[UNIT_COUNT];           /* each unit's instructions */
  IndexList consumers[UNIT_COUNT][UNIT_COUNT]; /* who pops each u->v token */
  /* the buffer: the constant pool at the bottom, then slots for tiles */
  Slot *slots;
  int nslots;
  Hazard background; /* of buffer words no current slot covers */
  uint32_t slot_words;
  int *free_fifo; /* free slots, least recently freed first */
  int free_head, free_count;
  PoolWord *pool;
  uint32_t tile_words; /* above the pool */
  uint32_t npool, pool_next;
  const Einsum *einsum; /* the one being generated, for messages */
  /* A scan read out by the Einsum being generated (a fused group's
   * readout), computed in its tiles: its states, one row of nc words per
   * value of the ranks the reader sums it over, live while the reader's
   * time tiles go by. */
  const Einsum *scan;
  const Einsum *final_state; /* F[c...] = scan[T-1, c...], stored from the states */
  SrcLoc map_loc;            /* the Einsum's mapping, for messages about it */
  bool *on_chip;             /* per tensor: never stored, so not placed in DRAM */
  Region scan_states;
  bool have_states;
  /* Loads of the read-out scan's step that do not change with the summed
   * ranks, kept for the tile instead of loaded again for every value. */
  struct Memo *memo; /* dma.c */
  int nmemo, memo_cap;
  const bool *memo_stepped; /* per variable of the scan: a summed rank */
  int cur_note;
  uint64_t epoch;              /* bumped with every note: one per tile */
  AccelRollSegment *roll_segs; /* one per slots_setup, in program order */
  size_t nroll, roll_cap;
  bool failed;
} Gen;

/* The constant pool's words and the words above it for tiles. */
void accel_buffer_layout(const Arch *a, uint32_t *pool_words, uint32_t *tile_words);

/* An access of the instruction being emitted. */
typedef struct Access {
  Hazard *hz;
  bool write;
} Access;

/* emit.c */
/* realloc, or the message "einc: out of memory" and exit 1. */
void *gen_xrealloc(void *p, size_t n);
void hazard_clear(Hazard *h);
Hazard *region_hazard(Gen *g, const Region *r);
int64_t emit(Gen *g, uint32_t *w, const Access *acc, int nacc);
void gen_note(Gen *g, const char *fmt, ...);
bool slots_setup(Gen *g, int nslots, uint64_t cap);
bool region_alloc(Gen *g, uint32_t nr, uint32_t nc, Region *r);
void region_free(Gen *g, const Region *r);
bool pool_const(Gen *g, float value, Region *r);
void gen_internal(Gen *g, const char *what);
/* Refuses the program for the instruction limit at the current Einsum;
 * at_least, when not 0, is the count it would need. */
void gen_too_long(Gen *g, uint64_t at_least);

/* roll.c: folds runs of p's instructions that repeat with constant
 * address steps into loops, segment by segment (segs in program order);
 * the expanded program is the one emitted. Keeps the emitted program when
 * arch's checker would not take the rolled one. */
void accel_roll(AccelProgram *p, const Arch *arch, const AccelRollSegment *segs, size_t nsegs);

/* dma.c: affine accesses, loads and stores */
typedef struct Affine {
  int64_t c, a, b; /* c + a*row + b*col, row/col relative to the axes' lo */
} Affine;
bool index_affine(const Index *ix, const Ctx *x, Affine *out);
/* Loads tensor t at `index` over the context's grid into a new region. */
bool load_read(Gen *g, const Ctx *x, const Tensor *t, Index **index, Region *out);
/* The iota table slice lo..lo+n-1 along the axis of variable var. */
bool load_iota(Gen *g, const Ctx *x, int var, Region *out);
/* A load the read-out scan reuses: the tensor and its affine access over
 * the tile identify it. */
typedef struct Memo {
  const Tensor *t;
  Affine *aff; /* t->rank of them, malloc'ed */
  Region r;
} Memo;
/* The reused loads of the current tile: dropped at its end. */
void memo_clear(Gen *g);
/* Stores region r to tensor t at its left-hand access (every index in range). */
void store_tile(Gen *g, const Ctx *x, const Tensor *t, const int *lhs, const Region *r);

/* einsum.c */
bool gen_einsum(Gen *g, const Kernel *k, const EinsumMap *em, const Einsum *scan);
/* The scan's tile for the reader's read `read` of it over context x. */
bool gen_scan_read(Gen *g, const Ctx *x, const Expr *read, Region *out);

/* eval.c */
bool eval_expr(Gen *g, Ctx *x, const Expr *ex, Region *out);
void vec_op(Gen *g, uint8_t opcode, const Region *d, const Region *a, const Region *b,
            const Region *c, bool use_imm, float imm, uint32_t rows, uint32_t cols);
int regions_needed(const Expr *ex);

#endif
