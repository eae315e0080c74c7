/* The mapping: how the algorithm runs, kept beside it (DESIGN.md). The
 * Cascade IR says what is computed; the mapping says, per Einsum, how its
 * ranks are partitioned into tiles, in which order the loops run, which
 * ranks a tile spans on chip, and whether its loads are double buffered;
 * and, per cascade, which Einsums are fused into one group.
 *
 * The vocabulary is TeAAL's (Nayak et al., MICRO 2023): a rank `l`
 * partitioned by uniform_shape(T) becomes `l1` (which tile) over `l0`
 * (where in the tile, extent T); `loop-order` lists the ranks outermost
 * first; `spacetime` splits them into the ranks a tile spans at once
 * (space) and the loops that step through tiles (time). Fusion groups
 * follow Stream's `fused_groups` (Symons et al., 2024). The file form is
 * docs/mapping.md; print_mapping writes it and mapping_read reads it back. */
#ifndef EINC_MAPPING_H
#define EINC_MAPPING_H

#include "ir/cascade.h"

/* What --fusion asked for: the unfused baseline or the compiler's choice. */
typedef enum { FUSION_NONE, FUSION_AUTO } Fusion;

/* A rank in a loop order: variable `var` whole (RANK_WHOLE) or one of the
 * two ranks its partitioning makes. */
typedef enum { RANK_WHOLE, RANK_OUTER, RANK_INNER } RankPart;

typedef struct LoopRank {
  int var;
  RankPart part; /* RANK_OUTER is var1, RANK_INNER var0 */
} LoopRank;

typedef struct PendingShape {
  const char *name;
  int64_t shape;
  SrcLoc loc;
} PendingShape;

typedef struct EinsumMap {
  const Einsum *einsum;
  SrcLoc loc;       /* where a mapping file set its tiles; the Einsum's own otherwise */
  SrcLoc order_loc; /* its loop-order (else spacetime) in the file; loc otherwise */
  /* What a mapping file set, which the passes leave as it is: its tiles
   * (any of partitioning, loop-order, spacetime: what the file does not
   * say of them is the trivial mapping's), double-buffer, epilogue. */
  bool given_tiles, given_buffer, given_epilogue;
  /* Per variable of the Einsum: the shape of its inner rank, 0 when the
   * rank is not partitioned. A reduced rank's shape is the chunk a
   * reduction or contraction takes at once. */
  int64_t *shape;
  int nshape; /* the variables shape has room for */
  /* Partitionings the file gives for variables the Einsum does not have
   * yet: the reduced variables of a producer the fuse pass will inline into
   * it (the printed mapping of a fused program names them). The fuse pass
   * resolves them, and refuses the ones that remain unknown. */
  struct PendingShape *pending;
  int npending;
  /* The left-hand ranks, outermost first: time loops, then the space ranks
   * (a partitioned space rank appears as var1 among the time loops and as
   * var0 among the space ranks). */
  LoopRank *order;
  int norder;
  /* The ranks one tile spans on chip, rows then columns (at most two):
   * their variables; the accelerator's matrix and vector instructions work
   * on such rows x cols tiles. */
  int space[2];
  int nspace;
  /* Twice the tile slots, so that the next tile loads while this one
   * computes. */
  bool double_buffer;
  /* The CPU computes a contraction under elementwise work (bias, residual,
   * activation) into its output first, then applies the rest to each
   * element (passes/epilogue.c). */
  bool epilogue;
} EinsumMap;

/* Einsums computed together: every member but the last is an elementwise
 * producer that the fuse pass computes inside the later members that read
 * it, or a scan that the last member reads (`readout`), so that it never
 * reaches DRAM (passes/fuse.c). */
typedef struct FusedGroup {
  const Einsum **members; /* in program order */
  int n;
  SrcLoc loc;
  /* Set by the fuse pass: a member that is a scan (a recurrence
   * h[t] = A*h[t-1] + B) read only by the group's last member. The
   * accelerator computes it inside that reader's tiles, its state on chip,
   * its values never stored; the CPU computes it as it is. */
  const Einsum *readout;
  /* Set with readout: an Einsum F[c...] = h[T-1, c...] outside the group
   * that takes the scan's final state, which the accelerator stores from
   * the states on chip instead of computing F. */
  const Einsum *final_state;
} FusedGroup;

typedef struct Mapping {
  const Cascade *cascade;
  const char *file;   /* the mapping file it was read from, or NULL */
  EinsumMap *einsums; /* einsums[i] maps cascade->einsums[i] */
  int neinsums;
  /* Every Einsum of the program as written in exactly one, in program
   * order; the fuse pass keeps them as written while it removes the
   * producers it inlines from the cascade. */
  FusedGroup *groups;
  int ngroups;
  bool groups_given; /* the mapping file has fused_groups */
} Mapping;

/* The trivial mapping: every Einsum its own group, nothing partitioned, no
 * loop order beyond the left-hand ranks in order, no space ranks. */
Mapping *mapping_trivial(const Cascade *c, Arena *arena);
/* Sets em's order to the time loops `time` (outermost first) followed by
 * its space ranks; every left-hand rank appears once. */
void mapping_set_order(EinsumMap *em, const LoopRank *time, int ntime, Arena *arena);
/* The variable of an Einsum's left-hand side named `name`, or a rank name
 * `name1`/`name0` of a partitioned one; -1 if none. */
int mapping_find_var(const Einsum *e, const char *name, RankPart *part);
/* "l", "l1" or "l0" */
const char *mapping_rank_name(const Einsum *e, LoopRank r, Arena *arena);
/* Whether variable var is one of em's space ranks. */
bool mapping_is_space(const EinsumMap *em, int var);

/* The mapping in the file form of docs/mapping.md: mapping_read reads it
 * back to the same mapping. */
void print_mapping(const Mapping *m, FILE *out);

/* Reads a mapping file for c; on error reports "FILE:LINE:COL: error: ..."
 * naming the key and returns NULL. What the file sets is `given` (see
 * EinsumMap); the rest is left to the passes. */
Mapping *mapping_read(const char *path, const Cascade *c, Arena *arena, Diag *diag);
Mapping *mapping_parse(const char *name, const char *text, size_t len, const Cascade *c,
                       Arena *arena, Diag *diag);

#endif
