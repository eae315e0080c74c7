/* Hardware loops (docs/isa.md, "Loops"). A `loop` instruction is followed by
 * two copies of its body, iterations 0 and 1; iteration i is copy 0 with every
 * address field stepped i times by its difference between the copies (and
 * wrapped in the loop's ring, for buffer addresses inside it). This module
 * finds the loop nests of a program, checks what needs no architecture (the
 * structure, the copies, the address fields' ranges), models each address
 * field as a base plus a step per enclosing loop, and expands a program one
 * unit at a time for the simulator's dispatcher. */
#ifndef EINC_RUNTIME_LOOP_H
#define EINC_RUNTIME_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/isa.h"

#define LOOP_MAX_DEPTH 8
/* The simulator numbers dynamic instructions with 32-bit indices. */
#define LOOP_MAX_DYNAMIC (UINT64_C(1) << 31)

typedef struct LoopInfo {
  size_t header; /* static index of the loop instruction */
  uint32_t count, body, rb, rs;
  uint8_t units;     /* bit u: the body has instructions of unit u */
  uint64_t per_iter; /* dynamic instructions one iteration expands to */
} LoopInfo;

/* LoopTable.unit_of of a loop header. */
#define LOOP_HEADER 0xff

typedef struct LoopTable {
  LoopInfo *loops; /* in program order (by header) */
  size_t count, cap;
  uint64_t dynamic; /* instructions the whole program expands to */
  /* Per static instruction: its unit, or LOOP_HEADER; the expansion cursors
   * skip other units' instructions by scanning it. */
  uint8_t *unit_of;
} LoopTable;

typedef struct LoopError {
  size_t at; /* the static instruction the message is about */
  char msg[400];
} LoopError;

/* Finds the loops of a program whose encodings are valid
 * (isa_check_encoding): every loop's two copies inside the program or the
 * enclosing copy, nesting at most LOOP_MAX_DEPTH deep, at most
 * LOOP_MAX_DYNAMIC instructions once expanded. */
bool loop_table_build(const uint32_t *code, size_t n, LoopTable *t, LoopError *e);
void loop_table_free(LoopTable *t);
/* The loop whose header is at static index `header`, or NULL. */
const LoopInfo *loop_find(const LoopTable *t, size_t header);

/* The loops around one static instruction, outermost first, and in which
 * copy of each it lies. */
typedef struct LoopPath {
  unsigned depth;
  const LoopInfo *loop[LOOP_MAX_DEPTH];
  bool copy1[LOOP_MAX_DEPTH];
} LoopPath;

/* Visits the static instructions in order: loop_walk_at(w, x) for x = 0, 1,
 * 2, ... gives the path of x (a loop header is not on its own path). */
typedef struct LoopWalk {
  const LoopTable *t;
  size_t next;    /* the next loop of t to meet */
  size_t pending; /* a loop met at the last instruction, entered at the next; SIZE_MAX: none */
  LoopPath path;
} LoopWalk;

void loop_walk_init(LoopWalk *w, const LoopTable *t);
const LoopPath *loop_walk_at(LoopWalk *w, size_t x);
/* The instruction that the one at x repeats: its counterpart in copy 0 of
 * every loop of the path (x itself when it is in copy 0 of all of them). */
size_t loop_primary(const LoopPath *p, size_t x);
/* The ring of the path's loops (they share one), rs = 0 without one. */
void loop_path_ring(const LoopPath *p, uint32_t *rb, uint32_t *rs);

/* An address field of an instruction in copy 0 of every loop of its path:
 * iteration (i_1 .. i_depth) gives base + sum i_l * step[l], or, in a ring,
 * rb + ((base - rb) + sum i_l * step[l]) mod rs. */
typedef struct LoopField {
  IsaFieldId id;
  IsaAddrKind kind;
  uint32_t base;
  int64_t step[LOOP_MAX_DEPTH]; /* in a ring: 0 .. rs-1 */
  bool ring;
  uint32_t rb, rs;
} LoopField;

void loop_field_model(const uint32_t *code, size_t primary, const LoopPath *p, IsaFieldId id,
                      LoopField *f);
/* The smallest and largest value the field takes; a ring field is taken to
 * reach every value of its class (base - rb) mod gcd(rs, steps). Values out
 * of 0..2^32-1 are possible (the field is then out of range). */
void loop_field_range(const LoopField *f, const LoopPath *p, int64_t *lo, int64_t *hi);

/* What needs no architecture: loop_table_build, then for every instruction
 * inside a loop, that its copies differ only in address fields (nested loop
 * headers not at all), that each address field's copies agree with one step
 * per loop, that ring fields stay in the ring and move only in loops that
 * have it and other buffer fields stay out of it, that every value fits in
 * 32 bits and that DRAM addresses step by multiples of 4. */
bool loop_check(const uint32_t *code, size_t n, LoopTable *t, LoopError *e);

/* One unit's instructions of the expanded program, in program order. */
typedef struct LoopCursor {
  const uint32_t *code;
  size_t n;
  const LoopTable *t;
  unsigned unit;
  size_t pos;   /* the next static instruction to look at */
  uint64_t dyn; /* the dynamic index of the instruction at pos */
  unsigned depth;
  const LoopInfo *loop[LOOP_MAX_DEPTH];
  uint64_t iter[LOOP_MAX_DEPTH];
} LoopCursor;

void loop_cursor_init(LoopCursor *c, const uint32_t *code, size_t n, const LoopTable *t,
                      unsigned unit);
/* The unit's next instruction: its static and dynamic index and its words
 * with this iteration's addresses. False after the last. The program must
 * have passed loop_check. */
bool loop_cursor_next(LoopCursor *c, size_t *static_index, uint64_t *dyn_index,
                      uint32_t words[ISA_WORDS]);

#endif
