/* Rolling the emitted program into hardware loops (docs/isa.md, "Loops";
 * docs/accel-backend.md, "Loops"). The generator emits every instruction of
 * every tile; afterwards, runs of items (instructions, or loops already
 * rolled) that repeat with constant address steps become one `loop` and its
 * first two iterations. The expanded stream is exactly the emitted one, so
 * tokens, timing and results do not change; only the binary shrinks.
 *
 * Within one Einsum the tile slots form a ring: the generator hands slots
 * out least recently freed first, so while every slot takes its turn a
 * tile's slot moves by a constant step modulo the slots' extent, which a
 * ring field expresses (a slot kept across other allocations, such as an
 * accumulator, breaks that: docs/accel-backend.md). Loops never cross from
 * one Einsum's slots to the next's. Passes repeat, each rolling the loops
 * of the pass before into outer loops (a tile loop around a reduction's
 * chunk loop). */
#include "backend/accel/gen.h"
#include "runtime/loop.h"
#include "runtime/sim.h"

#include <stdlib.h>
#include <string.h>

/* How far back a repeat is looked for, in items, and how many items with
 * the same shape are tried as its start: enough for a tile's instructions,
 * bounded so that rolling stays linear in the program. Measured: 4 tries
 * instead of 12 left the examples at their test sizes with 344,729 static
 * instructions instead of 302,050 (tests/test_accel.c), for a Mamba-1 block
 * at L=2048 that compiles in 0.48 s instead of 0.83 s. */
enum { ROLL_MAX_PERIOD = 192, ROLL_MAX_TRIES = 12, ROLL_PASSES = LOOP_MAX_DEPTH };

/* Instructions with the note each one shows in listings. */
typedef struct Code {
  uint32_t *w;
  uint32_t *note;
  size_t n, cap;
} Code;

/* A run of static instructions of a Code: one instruction or one loop with
 * its two copies. */
typedef struct Item {
  size_t at, len;
  uint64_t shape; /* a hash of every word that must match, addresses left out */
} Item;

typedef struct Ring {
  uint32_t rb, rs;
} Ring;

static void code_push(Code *c, const uint32_t *w, uint32_t note) {
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 4096;
    c->w = gen_xrealloc(c->w, c->cap * ISA_WORDS * sizeof *c->w);
    c->note = gen_xrealloc(c->note, c->cap * sizeof *c->note);
  }
  memcpy(c->w + c->n * ISA_WORDS, w, ISA_WORDS * sizeof *w);
  c->note[c->n++] = note;
}

/* Per opcode and word: which kind of address the word holds (ADDR_NONE:
 * the word must be the same in every iteration). Address fields fill whole
 * words. Filled by accel_roll. */
static IsaAddrKind addr_kind_of[256][ISA_WORDS];
static bool is_scan[256];

static void fill_address_kinds(void) {
  memset(addr_kind_of, 0, sizeof addr_kind_of);
  memset(is_scan, 0, sizeof is_scan);
  size_t nops;
  const IsaOp *ops = isa_ops(&nops);
  for (size_t o = 0; o < nops; o++) {
    is_scan[ops[o].opcode] = ops[o].kind == K_SCAN;
    size_t count;
    const IsaFieldId *fields = isa_format_fields(ops[o].format, &count);
    for (size_t i = 0; i < count; i++) {
      IsaAddrKind k = isa_field_addr_kind(fields[i]);
      if (k != ADDR_NONE)
        addr_kind_of[ops[o].opcode][isa_field(fields[i])->word] = k;
    }
  }
}

static const IsaAddrKind *address_words(const uint32_t *w) {
  return addr_kind_of[isa_get(w, FLD_OPCODE) & 0xff];
}

static bool in_ring(const Ring *r, uint32_t v) { return r->rs && v >= r->rb && v - r->rb < r->rs; }

/* The step from address a to address b of this kind, or false when no loop
 * can take one to the other: a ring address stays in the ring (its step
 * taken modulo the ring), a buffer address outside it never moves. */
static bool address_step(const Ring *r, IsaAddrKind k, uint32_t a, uint32_t b, int64_t *step) {
  if (k == ADDR_DRAM || k == ADDR_WINDOW) {
    *step = (int64_t)b - (int64_t)a;
    return true;
  }
  if (in_ring(r, a) != in_ring(r, b))
    return false;
  if (!in_ring(r, a)) {
    *step = 0;
    return a == b;
  }
  *step = ((int64_t)b - (int64_t)a + r->rs) % r->rs;
  return true;
}

static uint64_t shape_of(const Code *c, size_t at, size_t len) {
  uint64_t h = 1469598103934665603ull;
  for (size_t x = at; x < at + len; x++) {
    const uint32_t *w = c->w + x * ISA_WORDS;
    const IsaAddrKind *kind = address_words(w);
    for (int i = 0; i < ISA_WORDS; i++) {
      h ^= kind[i] == ADDR_NONE ? w[i] : 0x5bd1e995u;
      h *= 1099511628211ull;
    }
  }
  return h;
}

/* The address steps from item a to item b (the same shape), in word
 * order: appended to steps[] or, with `known`, compared with the steps
 * already there (b must then be a moved by them). False when no loop takes
 * a to b. A scan's output and state must move together: the checker holds
 * the ranges they sweep apart otherwise, which a rotating slot pool breaks. */
static bool item_steps(const Code *c, const Ring *r, const Item *a, const Item *b, bool known,
                       int64_t *steps, size_t *n) {
  if (a->len != b->len || a->shape != b->shape)
    return false;
  unsigned y_word = isa_field(FLD_S_Y)->word, h_word = isa_field(FLD_S_H)->word;
  for (size_t x = 0; x < a->len; x++) {
    const uint32_t *wa = c->w + (a->at + x) * ISA_WORDS, *wb = c->w + (b->at + x) * ISA_WORDS;
    const IsaAddrKind *kind = address_words(wa);
    int64_t y_step = 0, h_step = 0;
    for (int i = 0; i < ISA_WORDS; i++) {
      if (kind[i] == ADDR_NONE) {
        if (wa[i] != wb[i])
          return false;
        continue;
      }
      int64_t step;
      if (!address_step(r, kind[i], wa[i], wb[i], &step) || (known && step != steps[*n]))
        return false;
      steps[(*n)++] = step;
      if ((unsigned)i == y_word)
        y_step = step;
      if ((unsigned)i == h_word)
        h_step = step;
    }
    if (y_step != h_step && is_scan[isa_get(wa, FLD_OPCODE) & 0xff])
      return false;
  }
  return true;
}

/* The best loop starting at item i of items[0..n): its period in items and
 * iterations (0 when none saves instructions). */
static void best_loop(const Code *c, const Ring *r, const Item *items, const size_t *next_same,
                      size_t n, size_t i, int64_t **scratch, size_t *scratch_cap, size_t *period,
                      size_t *iters) {
  *period = *iters = 0;
  int64_t best_saving = 0;
  int tries = 0;
  for (size_t j = next_same[i]; j < n && j - i <= ROLL_MAX_PERIOD && tries < ROLL_MAX_TRIES;
       j = next_same[j]) {
    tries++;
    size_t p = j - i;
    if (i + 2 * p > n)
      break;
    /* The shapes first: cheaper than the steps, and most candidates fail. */
    bool same = true;
    for (size_t q = 1; q < p && same; q++)
      same = items[i + q].shape == items[j + q].shape;
    if (!same)
      continue;
    size_t words = 0;
    for (size_t q = 0; q < p; q++)
      words += items[i + q].len;
    if (words * ISA_WORDS > *scratch_cap) {
      *scratch_cap = 2 * words * ISA_WORDS;
      *scratch = gen_xrealloc(*scratch, *scratch_cap * sizeof **scratch);
    }
    size_t ns = 0;
    bool ok = true;
    for (size_t q = 0; q < p && ok; q++)
      ok = item_steps(c, r, &items[i + q], &items[j + q], false, *scratch, &ns);
    if (!ok)
      continue;
    size_t count = 2;
    while (i + (count + 1) * p <= n && count < UINT32_MAX) {
      size_t k = 0;
      bool follows = true;
      for (size_t q = 0; q < p && follows; q++)
        follows = item_steps(c, r, &items[i + (count - 1) * p + q], &items[i + count * p + q], true,
                             *scratch, &k);
      if (!follows)
        break;
      count++;
    }
    /* count iterations of `words` instructions become a header and two copies. */
    int64_t saving = (int64_t)((count - 2) * words) - 1;
    if (saving > best_saving) {
      best_saving = saving;
      *period = p;
      *iters = count;
    }
  }
}

/* One pass over the items of one Einsum's instructions, [from, to) of in:
 * appends the rolled instructions to out and their items to *out_items. */
/* next[i]: the next item after i with the same shape (n: none), found with
 * a hash table of the last index seen per shape. */
static size_t *next_same_shape(const Item *items, size_t n) {
  size_t *next = gen_xrealloc(NULL, (n + 1) * sizeof *next);
  size_t cap = 64;
  while (cap < 2 * n)
    cap *= 2;
  size_t *slot = gen_xrealloc(NULL, cap * sizeof *slot); /* index + 1, 0 empty */
  memset(slot, 0, cap * sizeof *slot);
  for (size_t i = n; i-- > 0;) {
    size_t h = (size_t)(items[i].shape ^ items[i].shape >> 29) & (cap - 1);
    while (slot[h] && items[slot[h] - 1].shape != items[i].shape)
      h = (h + 1) & (cap - 1);
    next[i] = slot[h] ? slot[h] - 1 : n;
    slot[h] = i + 1;
  }
  free(slot);
  return next;
}

static void roll_pass(const Code *in, const Ring *r, const Item *items, size_t n, Code *out,
                      Item **out_items, size_t *nout, size_t *out_cap) {
  int64_t *scratch = NULL;
  size_t scratch_cap = 0;
  size_t *next_same = next_same_shape(items, n);
  for (size_t i = 0; i < n;) {
    size_t period, iters;
    best_loop(in, r, items, next_same, n, i, &scratch, &scratch_cap, &period, &iters);
    size_t at = out->n, take = period ? 2 * period : 1;
    if (period) {
      size_t body = 0;
      for (size_t q = 0; q < period; q++)
        body += items[i + q].len;
      uint32_t h[ISA_WORDS] = {0};
      isa_set(h, FLD_OPCODE, ISA_OP_LOOP);
      isa_set(h, FLD_L_COUNT, (uint32_t)iters);
      isa_set(h, FLD_L_BODY, (uint32_t)body);
      isa_set(h, FLD_L_RB, r->rs ? r->rb : 0);
      isa_set(h, FLD_L_RS, r->rs);
      code_push(out, h, in->note[items[i].at]);
    }
    for (size_t q = 0; q < take; q++)
      for (size_t x = items[i + q].at; x < items[i + q].at + items[i + q].len; x++)
        code_push(out, in->w + x * ISA_WORDS, in->note[x]);
    if (*nout == *out_cap) {
      *out_cap = *out_cap ? 2 * *out_cap : 1024;
      *out_items = gen_xrealloc(*out_items, *out_cap * sizeof **out_items);
    }
    (*out_items)[(*nout)++] = (Item){at, out->n - at, shape_of(out, at, out->n - at)};
    i += period ? period * iters : 1;
  }
  free(next_same);
  free(scratch);
}

void accel_roll(AccelProgram *p, const Arch *arch, const AccelRollSegment *segs, size_t nsegs) {
  Ebin *b = &p->bin;
  if (b->instr_count == 0)
    return;
  fill_address_kinds();
  Code cur = {0};
  for (size_t x = 0; x < b->instr_count; x++)
    code_push(&cur, b->code + x * ISA_WORDS, p->note_of ? p->note_of[x] : 0);
  /* Items per segment, one instruction each to begin with. */
  size_t *seg_at = calloc(nsegs + 2, sizeof *seg_at), nseg = 0;
  Ring *rings = calloc(nsegs + 2, sizeof *rings);
  Item *items = gen_xrealloc(NULL, cur.n * sizeof *items);
  for (size_t x = 0; x < cur.n; x++)
    items[x] = (Item){x, 1, shape_of(&cur, x, 1)};
  seg_at[nseg] = 0;
  rings[nseg++] = (Ring){0, 0};
  for (size_t s = 0; s < nsegs; s++) {
    size_t start = segs[s].start < cur.n ? segs[s].start : cur.n;
    if (start == seg_at[nseg - 1]) {
      rings[nseg - 1] = (Ring){segs[s].rb, segs[s].rs};
      continue;
    }
    seg_at[nseg] = start;
    rings[nseg++] = (Ring){segs[s].rb, segs[s].rs};
  }
  seg_at[nseg] = cur.n;
  for (int pass = 0; pass < ROLL_PASSES; pass++) {
    Code next = {0};
    Item *next_items = NULL;
    size_t nnext = 0, next_cap = 0;
    size_t *next_seg_at = calloc(nseg + 1, sizeof *next_seg_at);
    for (size_t s = 0; s < nseg; s++) {
      next_seg_at[s] = nnext;
      roll_pass(&cur, &rings[s], items + seg_at[s], seg_at[s + 1] - seg_at[s], &next, &next_items,
                &nnext, &next_cap);
    }
    next_seg_at[nseg] = nnext;
    bool changed = next.n != cur.n;
    free(cur.w);
    free(cur.note);
    free(items);
    free(seg_at);
    cur = next;
    items = next_items;
    seg_at = next_seg_at;
    if (!changed)
      break;
  }
  /* The rolled program replaces the emitted one if the machine takes it:
   * the checker's bounds on a loop's addresses are conservative (a ring
   * address is taken to reach every slot of its class), and a program that
   * rolls too far stays as emitted. */
  size_t emitted_count = b->instr_count;
  uint32_t *emitted = b->code;
  b->code = cur.w;
  b->instr_count = b->instr_cap = cur.n;
  char msg[512];
  if (cur.n < emitted_count && sim_check(b, arch, msg, sizeof msg)) {
    free(emitted);
    cur.w = NULL;
    if (p->note_of) {
      free(p->note_of);
      p->note_of = cur.note;
      p->note_of_cap = cur.n;
      cur.note = NULL;
    }
  } else {
    b->code = emitted;
    b->instr_count = b->instr_cap = emitted_count;
  }
  free(cur.w);
  free(cur.note);
  free(items);
  free(seg_at);
  free(rings);
}
