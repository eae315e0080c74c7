/* Hardware loops: structure, the architecture-free checks, the address
 * model and the per-unit expansion (runtime/loop.h, docs/isa.md "Loops"). */
#include "runtime/loop.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values beyond this are "out of range" whatever they are exactly. */
#define FAR (INT64_C(1) << 40)

static const uint32_t *instr_at(const uint32_t *code, size_t x) { return code + x * ISA_WORDS; }

static bool is_loop(const uint32_t *words) { return isa_get(words, FLD_OPCODE) == ISA_OP_LOOP; }

#if defined(__GNUC__)
static bool fail(LoopError *e, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#endif

static bool fail(LoopError *e, size_t at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  e->at = at;
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  return false;
}

/* ---- the loop table ---- */

/* A loop being read: where its copies end, and what copy 0 expands to. */
typedef struct OpenLoop {
  size_t index; /* in the table */
  uint64_t copy1, end;
  uint64_t dynamic;
  uint8_t units;
} OpenLoop;

static uint64_t add_capped(uint64_t a, uint64_t b) {
  uint64_t s = a + b;
  return s > LOOP_MAX_DYNAMIC + 1 ? LOOP_MAX_DYNAMIC + 1 : s;
}

static void push_loop(LoopTable *t, const LoopInfo *info) {
  if (t->count == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 8;
    LoopInfo *bigger = realloc(t->loops, t->cap * sizeof *bigger);
    if (!bigger)
      abort();
    t->loops = bigger;
  }
  t->loops[t->count++] = *info;
}

static bool too_long(LoopError *e, size_t at) {
  return fail(e, at,
              "loop: the program expands to more than 2^31 instructions, the simulator's "
              "limit");
}

/* Closes the innermost open loop: it adds count iterations to the copy that
 * holds it, when that copy runs (copy 0 of the enclosing loop, or the top). */
static bool close_loop(LoopTable *t, OpenLoop *open, unsigned *depth, LoopError *e) {
  OpenLoop *o = &open[--*depth];
  LoopInfo *l = &t->loops[o->index];
  l->per_iter = o->dynamic;
  l->units = o->units;
  uint64_t total = (uint64_t)l->count * o->dynamic; /* < 2^32 * (2^31 + 2) */
  if (*depth == 0) {
    t->dynamic = add_capped(t->dynamic, total);
    return t->dynamic <= LOOP_MAX_DYNAMIC || too_long(e, l->header);
  }
  OpenLoop *parent = &open[*depth - 1];
  if (l->header < parent->copy1) {
    parent->dynamic = add_capped(parent->dynamic, total);
    parent->units |= o->units;
  }
  return true;
}

/* Opens the loop at x, whose copies must fit in the program or the
 * enclosing copy. */
static bool open_loop(const uint32_t *code, size_t n, size_t x, LoopTable *t, OpenLoop *open,
                      unsigned *depth, LoopError *e) {
  const uint32_t *w = instr_at(code, x);
  LoopInfo l = {x,
                isa_get(w, FLD_L_COUNT),
                isa_get(w, FLD_L_BODY),
                isa_get(w, FLD_L_RB),
                isa_get(w, FLD_L_RS),
                0,
                0};
  uint64_t copy1 = x + 1 + (uint64_t)l.body, end = copy1 + l.body;
  if (*depth == 0 && end > n)
    return fail(e, x,
                "loop: its two copies of the body (2 x %u instructions) run past the end of the "
                "program (%zu instructions)",
                l.body, n);
  if (*depth > 0) {
    const OpenLoop *p = &open[*depth - 1];
    uint64_t limit = x < p->copy1 ? p->copy1 : p->end;
    if (end > limit)
      return fail(e, x,
                  "loop: its two copies of the body (2 x %u instructions) run past the end of "
                  "copy %d of the loop at instruction %zu",
                  l.body, x < p->copy1 ? 0 : 1, t->loops[p->index].header);
  }
  if (*depth == LOOP_MAX_DEPTH)
    return fail(e, x, "loop: loops nest deeper than %d", LOOP_MAX_DEPTH);
  push_loop(t, &l);
  open[(*depth)++] = (OpenLoop){t->count - 1, copy1, end, 0, 0};
  return true;
}

/* An instruction of copy 0 (or of the top level) is one dynamic instruction
 * per iteration; copy 1 only gives the steps. */
static void count_instr(LoopTable *t, OpenLoop *open, unsigned depth, size_t x, unsigned unit) {
  if (depth == 0) {
    t->dynamic++;
    return;
  }
  OpenLoop *o = &open[depth - 1];
  if (x < o->copy1) {
    o->dynamic++;
    o->units |= (uint8_t)(1u << unit);
  }
}

bool loop_table_build(const uint32_t *code, size_t n, LoopTable *t, LoopError *e) {
  memset(t, 0, sizeof *t);
  t->unit_of = malloc(n ? n : 1);
  if (!t->unit_of)
    abort();
  OpenLoop open[LOOP_MAX_DEPTH];
  unsigned depth = 0;
  for (size_t x = 0; x <= n; x++) {
    while (depth > 0 && x >= open[depth - 1].end)
      if (!close_loop(t, open, &depth, e))
        goto failed;
    if (x == n)
      break;
    if (t->dynamic > LOOP_MAX_DYNAMIC) {
      too_long(e, t->count ? t->loops[t->count - 1].header : x);
      goto failed;
    }
    const IsaOp *op = isa_op_by_opcode(isa_get(instr_at(code, x), FLD_OPCODE));
    if (!op) {
      fail(e, x, "unknown opcode 0x%02x", isa_get(instr_at(code, x), FLD_OPCODE));
      goto failed;
    }
    t->unit_of[x] = op->kind == K_LOOP ? LOOP_HEADER : (uint8_t)op->unit;
    if (op->kind == K_LOOP) {
      if (!open_loop(code, n, x, t, open, &depth, e))
        goto failed;
    } else {
      count_instr(t, open, depth, x, op->unit);
    }
  }
  return true;
failed:
  loop_table_free(t);
  return false;
}

void loop_table_free(LoopTable *t) {
  free(t->loops);
  free(t->unit_of);
  memset(t, 0, sizeof *t);
}

const LoopInfo *loop_find(const LoopTable *t, size_t header) {
  size_t lo = 0, hi = t->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t->loops[mid].header < header)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < t->count && t->loops[lo].header == header ? &t->loops[lo] : NULL;
}

/* ---- paths ---- */

static uint64_t copy1_of(const LoopInfo *l) { return l->header + 1 + (uint64_t)l->body; }
static uint64_t end_of(const LoopInfo *l) { return copy1_of(l) + l->body; }

void loop_walk_init(LoopWalk *w, const LoopTable *t) {
  memset(w, 0, sizeof *w);
  w->t = t;
  w->pending = SIZE_MAX;
}

const LoopPath *loop_walk_at(LoopWalk *w, size_t x) {
  LoopPath *p = &w->path;
  if (w->pending != SIZE_MAX && p->depth < LOOP_MAX_DEPTH)
    p->loop[p->depth++] = &w->t->loops[w->pending];
  w->pending = SIZE_MAX;
  while (p->depth > 0 && x >= end_of(p->loop[p->depth - 1]))
    p->depth--;
  for (unsigned l = 0; l < p->depth; l++)
    p->copy1[l] = x >= copy1_of(p->loop[l]);
  if (w->next < w->t->count && w->t->loops[w->next].header == x)
    w->pending = w->next++;
  return p;
}

size_t loop_primary(const LoopPath *p, size_t x) {
  for (unsigned l = 0; l < p->depth; l++)
    if (p->copy1[l])
      x -= p->loop[l]->body;
  return x;
}

void loop_path_ring(const LoopPath *p, uint32_t *rb, uint32_t *rs) {
  *rb = *rs = 0;
  for (unsigned l = 0; l < p->depth; l++)
    if (p->loop[l]->rs) {
      *rb = p->loop[l]->rb;
      *rs = p->loop[l]->rs;
    }
}

/* ---- the address model ---- */

static bool in_ring(uint32_t v, uint32_t rb, uint32_t rs) { return v >= rb && v - rb < rs; }

/* (v - base) mod rs, for two values of a ring. */
static int64_t ring_step(uint32_t v, uint32_t base, uint32_t rs) {
  int64_t d = (int64_t)v - base;
  return d < 0 ? d + rs : d;
}

void loop_field_model(const uint32_t *code, size_t primary, const LoopPath *p, IsaFieldId id,
                      LoopField *f) {
  memset(f, 0, sizeof *f);
  f->id = id;
  f->kind = isa_field_addr_kind(id);
  f->base = isa_get(instr_at(code, primary), id);
  loop_path_ring(p, &f->rb, &f->rs);
  f->ring = f->kind == ADDR_BUFFER && f->rs != 0 && in_ring(f->base, f->rb, f->rs);
  for (unsigned l = 0; l < p->depth; l++) {
    uint32_t v = isa_get(instr_at(code, primary + p->loop[l]->body), id);
    f->step[l] = f->ring ? (in_ring(v, f->rb, f->rs) ? ring_step(v, f->base, f->rs) : 0)
                         : (int64_t)v - f->base;
  }
}

/* (n - 1) * step, or +-FAR when that is far out of range. */
static int64_t span(uint32_t n, int64_t step) {
  uint64_t mag = step < 0 ? (uint64_t)-step : (uint64_t)step;
  uint64_t prod = mag && (uint64_t)(n - 1) > (uint64_t)FAR / mag ? (uint64_t)FAR : (n - 1) * mag;
  return step < 0 ? -(int64_t)prod : (int64_t)prod;
}

static uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t r = a % b;
    a = b;
    b = r;
  }
  return a;
}

void loop_field_range(const LoopField *f, const LoopPath *p, int64_t *lo, int64_t *hi) {
  *lo = *hi = f->base;
  if (f->ring) {
    uint64_t g = f->rs;
    for (unsigned l = 0; l < p->depth; l++)
      if (f->step[l])
        g = gcd(g, (uint64_t)f->step[l]);
    if (g == f->rs)
      return;
    int64_t r = (int64_t)((f->base - f->rb) % g);
    *lo = f->rb + r;
    *hi = (int64_t)f->rb + f->rs - (int64_t)g + r;
    return;
  }
  for (unsigned l = 0; l < p->depth; l++) {
    int64_t s = span(p->loop[l]->count, f->step[l]);
    if (s < 0)
      *lo += s;
    else
      *hi += s;
  }
}

/* The value the model gives a copy: iteration 1 of the loops where the copy
 * is copy 1, iteration 0 elsewhere. */
static int64_t model_at_copy(const LoopField *f, const LoopPath *p) {
  int64_t v = f->ring ? (int64_t)(f->base - f->rb) : (int64_t)f->base;
  for (unsigned l = 0; l < p->depth; l++)
    if (p->copy1[l])
      v += f->step[l];
  return f->ring ? f->rb + v % f->rs : v;
}

/* ---- the checks of loop_check ---- */

/* The innermost loop of the path in whose copy 1 the instruction lies. */
static unsigned innermost_copy1(const LoopPath *p) {
  unsigned l = p->depth;
  while (l > 0 && !p->copy1[l - 1])
    l--;
  return l - 1;
}

static bool check_ring_agrees(const uint32_t *code, size_t x, const LoopPath *p, LoopError *e) {
  uint32_t rb = isa_get(instr_at(code, x), FLD_L_RB), rs = isa_get(instr_at(code, x), FLD_L_RS);
  for (unsigned l = 0; rs && l < p->depth; l++) {
    const LoopInfo *o = p->loop[l];
    if (o->rs && (o->rb != rb || o->rs != rs))
      return fail(e, x,
                  "loop: its ring [%u, %llu) is not the ring [%u, %llu) of the loop at "
                  "instruction %zu; nested loops share one ring",
                  rb, (unsigned long long)rb + rs, o->rb, (unsigned long long)o->rb + o->rs,
                  o->header);
  }
  return true;
}

/* A nested loop header in copy 1 of a loop: the same as in copy 0. */
static bool check_nested_header(const uint32_t *code, size_t x, const LoopPath *p, LoopError *e) {
  const LoopInfo *l = p->loop[innermost_copy1(p)];
  size_t c = x - l->body;
  if (memcmp(instr_at(code, x), instr_at(code, c), ISA_BYTES) != 0)
    return fail(e, x,
                "loop: this nested loop differs from instruction %zu, its counterpart in copy 0 "
                "of the loop at instruction %zu (nested loops are the same in both copies)",
                c, l->header);
  return true;
}

/* The fields that are not addresses are the same in a copy and its
 * counterpart in copy 0. */
static bool check_same_fields(const uint32_t *code, size_t x, const LoopPath *p, LoopError *e) {
  const LoopInfo *l = p->loop[innermost_copy1(p)];
  size_t c = x - l->body;
  const uint32_t *w = instr_at(code, x), *w0 = instr_at(code, c);
  const IsaOp *op = isa_op_by_opcode(isa_get(w, FLD_OPCODE));
  const IsaOp *op0 = isa_op_by_opcode(isa_get(w0, FLD_OPCODE));
  if (op != op0)
    return fail(e, x,
                "%s: its counterpart in copy 0 of the loop at instruction %zu, instruction %zu, "
                "is %s (the copies of a body hold the same instructions)",
                op->mnemonic, l->header, c, op0->mnemonic);
  size_t nf;
  const IsaFieldId *ids = isa_format_fields(op->format, &nf);
  for (size_t k = 1; k < nf; k++) {
    if (isa_field_addr_kind(ids[k]) != ADDR_NONE || isa_get(w, ids[k]) == isa_get(w0, ids[k]))
      continue;
    return fail(e, x,
                "%s: field '%s' is %u here but %u in instruction %zu, its counterpart in copy 0 "
                "of the loop at instruction %zu (only address fields may differ between the "
                "copies)",
                op->mnemonic, isa_field(ids[k])->name, isa_get(w, ids[k]), isa_get(w0, ids[k]), c,
                l->header);
  }
  return true;
}

/* A copy's address fields are what one step per loop gives them. */
static bool check_copy_addresses(const uint32_t *code, size_t x, const LoopPath *p, LoopError *e) {
  size_t primary = loop_primary(p, x);
  const uint32_t *w = instr_at(code, x);
  const IsaOp *op = isa_op_by_opcode(isa_get(w, FLD_OPCODE));
  size_t na;
  const IsaFieldId *ids = isa_format_addr_fields(op->format, &na);
  for (size_t k = 0; k < na; k++) {
    LoopField f;
    loop_field_model(code, primary, p, ids[k], &f);
    uint32_t v = isa_get(w, ids[k]);
    const char *name = isa_field(ids[k])->name;
    if (f.ring && !in_ring(v, f.rb, f.rs))
      return fail(e, x,
                  "%s: field '%s' is %u, outside the ring [%u, %llu) that holds its value %u in "
                  "instruction %zu, the same instruction in copy 0 (ring addresses stay in the "
                  "ring)",
                  op->mnemonic, name, v, f.rb, (unsigned long long)f.rb + f.rs, f.base, primary);
    int64_t want = model_at_copy(&f, p);
    if (v != want)
      return fail(e, x,
                  "%s: field '%s' is %u, but the steps of its loops from instruction %zu give "
                  "%lld (an address steps by the same amount in every copy of the loops around "
                  "and inside it)",
                  op->mnemonic, name, v, primary, (long long)want);
  }
  return true;
}

/* A ring field moves only in loops that have the ring. */
static bool check_ring_moves(const LoopField *f, const LoopPath *p, size_t x, const char *mn,
                             LoopError *e) {
  for (unsigned l = 0; l < p->depth; l++)
    if (f->step[l] && p->loop[l]->rs == 0)
      return fail(e, x,
                  "%s: field '%s' lies in the ring [%u, %llu) but steps in the loop at "
                  "instruction %zu, which has no ring",
                  mn, isa_field(f->id)->name, f->rb, (unsigned long long)f->rb + f->rs,
                  p->loop[l]->header);
  return true;
}

/* Every value of the field fits in 32 bits; DRAM addresses step by whole
 * words; a buffer field outside the ring never enters it. */
static bool check_field_range(const LoopField *f, const LoopPath *p, size_t x, const char *mn,
                              LoopError *e) {
  const char *name = isa_field(f->id)->name;
  int64_t lo, hi;
  loop_field_range(f, p, &lo, &hi);
  if (lo < 0)
    return fail(e, x, "%s: field '%s' steps below 0 in its loops (to %lld)", mn, name,
                (long long)lo);
  if (hi > UINT32_MAX)
    return fail(e, x, "%s: field '%s' steps past 2^32-1 in its loops (to %lld)", mn, name,
                (long long)hi);
  unsigned width = isa_field(f->id)->width;
  if (width < 32 && hi >= (int64_t)1 << width)
    return fail(e, x, "%s: field '%s' steps past %lld, the most its %u bits hold (to %lld)", mn,
                name, (long long)(((int64_t)1 << width) - 1), width, (long long)hi);
  bool steps = false;
  for (unsigned l = 0; l < p->depth; l++)
    steps |= f->step[l] != 0;
  /* hi0 = 0 or hi1 = 0 means the whole extent: it cannot be a point on a
   * line of stepped values. */
  if (steps && lo == 0 && (f->id == FLD_DMA_HI0 || f->id == FLD_DMA_HI1))
    return fail(e, x,
                "%s: field '%s' steps through 0 in its loops, which means the whole extent; "
                "write the extent instead",
                mn, name);
  for (unsigned l = 0; f->kind == ADDR_DRAM && l < p->depth; l++)
    if (f->step[l] % 4 != 0)
      return fail(e, x,
                  "%s: field 'dram' steps by %lld bytes in the loop at instruction %zu, not a "
                  "multiple of 4",
                  mn, (long long)f->step[l], p->loop[l]->header);
  if (f->kind == ADDR_BUFFER && !f->ring && f->rs && lo < (int64_t)f->rb + f->rs && hi >= f->rb)
    return fail(e, x,
                "%s: field '%s' takes values %lld..%lld, which enter the ring [%u, %llu) without "
                "starting in it",
                mn, name, (long long)lo, (long long)hi, f->rb, (unsigned long long)f->rb + f->rs);
  return true;
}

static bool check_primary(const uint32_t *code, size_t x, const LoopPath *p, LoopError *e) {
  const IsaOp *op = isa_op_by_opcode(isa_get(instr_at(code, x), FLD_OPCODE));
  size_t na;
  const IsaFieldId *ids = isa_format_addr_fields(op->format, &na);
  for (size_t k = 0; k < na; k++) {
    if (!isa_op_uses_field(op, ids[k]))
      continue;
    LoopField f;
    loop_field_model(code, x, p, ids[k], &f);
    if ((f.ring && !check_ring_moves(&f, p, x, op->mnemonic, e)) ||
        !check_field_range(&f, p, x, op->mnemonic, e))
      return false;
  }
  return true;
}

static bool check_instr(const uint32_t *code, size_t x, const LoopPath *p, LoopError *e) {
  bool header = is_loop(instr_at(code, x));
  bool primary = loop_primary(p, x) == x;
  if (header)
    return check_ring_agrees(code, x, p, e) && (primary || check_nested_header(code, x, p, e));
  if (primary)
    return check_primary(code, x, p, e);
  return check_same_fields(code, x, p, e) && check_copy_addresses(code, x, p, e);
}

bool loop_check(const uint32_t *code, size_t n, LoopTable *t, LoopError *e) {
  if (!loop_table_build(code, n, t, e))
    return false;
  LoopWalk w;
  loop_walk_init(&w, t);
  for (size_t x = 0; x < n; x++) {
    const LoopPath *p = loop_walk_at(&w, x);
    if (p->depth > 0 && !check_instr(code, x, p, e)) {
      loop_table_free(t);
      return false;
    }
  }
  return true;
}

/* ---- expansion ---- */

void loop_cursor_init(LoopCursor *c, const uint32_t *code, size_t n, const LoopTable *t,
                      unsigned unit) {
  memset(c, 0, sizeof *c);
  c->code = code;
  c->n = n;
  c->t = t;
  c->unit = unit;
}

/* Past the end of copy 0 of the innermost loop: the next iteration, or past
 * the loop after its last. */
static void end_of_copy0(LoopCursor *c) {
  while (c->depth > 0) {
    unsigned d = c->depth - 1;
    const LoopInfo *l = c->loop[d];
    if (c->pos != copy1_of(l))
      return;
    if (++c->iter[d] < l->count) {
      c->pos = l->header + 1;
      return;
    }
    c->pos = (size_t)end_of(l);
    c->depth--;
  }
}

/* The words of the primary instruction at c->pos with this iteration's
 * addresses (the model loop_check has checked). */
static void substitute(const LoopCursor *c, const IsaOp *op, uint32_t *w) {
  memcpy(w, instr_at(c->code, c->pos), ISA_BYTES);
  if (c->depth == 0)
    return;
  uint32_t rb = 0, rs = 0;
  for (unsigned l = 0; l < c->depth; l++)
    if (c->loop[l]->rs) {
      rb = c->loop[l]->rb;
      rs = c->loop[l]->rs;
    }
  size_t na;
  const IsaFieldId *ids = isa_format_addr_fields(op->format, &na);
  for (size_t k = 0; k < na; k++) {
    uint32_t base = isa_get(w, ids[k]);
    bool ring = rs && isa_field_addr_kind(ids[k]) == ADDR_BUFFER && in_ring(base, rb, rs);
    uint64_t off = ring ? base - rb : 0;
    int64_t v = base;
    for (unsigned l = 0; l < c->depth; l++) {
      if (c->iter[l] == 0)
        continue;
      uint32_t v1 = isa_get(instr_at(c->code, c->pos + c->loop[l]->body), ids[k]);
      if (ring)
        off = (off + c->iter[l] * (uint64_t)ring_step(v1, base, rs)) % rs;
      else
        v += (int64_t)c->iter[l] * ((int64_t)v1 - base);
    }
    isa_set(w, ids[k], ring ? (uint32_t)(rb + off) : (uint32_t)v);
  }
}

/* Moves the cursor over other units' instructions; true when it stops at an
 * instruction of its unit or a loop header, false at the end of the copy 0
 * it is in (or of the program). */
static bool skip_other_units(LoopCursor *c) {
  size_t limit = c->depth ? (size_t)copy1_of(c->loop[c->depth - 1]) : c->n;
  const uint8_t *unit_of = c->t->unit_of;
  size_t p = c->pos;
  while (p < limit && unit_of[p] != c->unit && unit_of[p] != LOOP_HEADER)
    p++;
  c->dyn += p - c->pos;
  c->pos = p;
  return p < limit;
}

bool loop_cursor_next(LoopCursor *c, size_t *static_index, uint64_t *dyn_index,
                      uint32_t words[ISA_WORDS]) {
  for (;;) {
    end_of_copy0(c);
    if (!skip_other_units(c)) {
      if (c->depth == 0)
        return false;
      continue; /* end_of_copy0 starts the next iteration */
    }
    uint8_t unit = c->t->unit_of[c->pos];
    if (unit == LOOP_HEADER) {
      const LoopInfo *l = loop_find(c->t, c->pos);
      if (!(l->units >> c->unit & 1)) {
        /* Nothing for this unit: skip the whole loop. */
        c->dyn += (uint64_t)l->count * l->per_iter;
        c->pos = (size_t)end_of(l);
        continue;
      }
      c->loop[c->depth] = l;
      c->iter[c->depth++] = 0;
      c->pos++;
      continue;
    }
    *static_index = c->pos;
    *dyn_index = c->dyn;
    substitute(c, isa_op_by_opcode(isa_get(instr_at(c->code, c->pos), FLD_OPCODE)), words);
    c->pos++;
    c->dyn++;
    return true;
  }
}
