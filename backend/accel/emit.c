/* Emitting instructions: hazards to dependency tokens, buffer slots, the
 * constant pool, and the notes that say what each instruction is for. */
#include "backend/accel/gen.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void *gen_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    fputs("einc: out of memory\n", stderr);
    exit(1);
  }
  return q;
}

void hazard_clear(Hazard *h) {
  for (int u = 0; u < UNIT_COUNT; u++)
    h->writer[u] = h->reader[u] = -1;
}

static void hazard_merge(Hazard *into, const Hazard *h) {
  for (int u = 0; u < UNIT_COUNT; u++) {
    if (h->writer[u] > into->writer[u])
      into->writer[u] = h->writer[u];
    if (h->reader[u] > into->reader[u])
      into->reader[u] = h->reader[u];
  }
}

Hazard *region_hazard(Gen *g, const Region *r) {
  return r->slot >= 0 ? &g->slots[r->slot].hz : &g->pool[r->addr].hz;
}

void gen_internal(Gen *g, const char *what) {
  if (!g->failed)
    fprintf(g->diag->out, "einc: internal error in the accelerator backend: %s\n", what);
  g->failed = true;
  g->diag->nerrors++;
}

static void list_push(IndexList *l, int64_t v) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 1024;
    l->at = gen_xrealloc(l->at, l->cap * sizeof *l->at);
  }
  l->at[l->n++] = v;
}

/* The first entry greater than v, or -1. */
static int64_t list_after(const IndexList *l, int64_t v) {
  size_t lo = 0, hi = l->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (l->at[mid] <= v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < l->n ? l->at[lo] : -1;
}

/* Makes the instruction being built (index idx, words w, unit v) wait
 * until instruction x is complete. One token per unit pair: a later
 * signaller covers an earlier one because units complete in order; an
 * instruction pops at most one token per unit, so a second need on the same
 * unit moves the signal to the newer producer.
 *
 * Token queues hold tokens.depth tokens. A producer whose token is still
 * queued while `depth` tokens of older producers wait for consumers that
 * come after it in program order could block forever; so no producer may
 * have more than depth-1 such tokens crossing it, and when x would, the
 * signal moves to the first instruction of x's unit past enough of those
 * consumers (it covers x too). Then the earliest instruction not yet issued
 * can always issue: no deadlock. */
static void depend(Gen *g, uint32_t *w, int64_t idx, int v, int64_t x, int64_t *waits_from) {
  if (x < 0)
    return;
  int u = g->unit_of[x];
  if (u == v || g->last_sig[u][v] >= x)
    return;
  if (waits_from[u] >= x)
    return;
  IndexList *cons = &g->consumers[u][v];
  size_t depth = (size_t)g->arch->token_depth;
  if (cons->n >= depth && cons->at[cons->n - depth] > x) {
    int64_t p = list_after(&g->unit_instrs[u], cons->at[cons->n - depth]);
    if (p >= 0 && p < idx)
      x = p;
  }
  uint32_t *code = g->bin->code;
  if (waits_from[u] >= 0) {
    uint32_t *old = code + (size_t)waits_from[u] * ISA_WORDS;
    isa_set(old, FLD_SIGNAL, isa_get(old, FLD_SIGNAL) & ~(1u << v));
  } else {
    list_push(cons, idx);
  }
  uint32_t *xw = code + (size_t)x * ISA_WORDS;
  isa_set(xw, FLD_SIGNAL, isa_get(xw, FLD_SIGNAL) | 1u << v);
  isa_set(w, FLD_WAIT, isa_get(w, FLD_WAIT) | 1u << u);
  waits_from[u] = x;
  g->last_sig[u][v] = x;
}

void gen_too_long(Gen *g, uint64_t at_least) {
  const Einsum *e = g->einsum;
  char why[120] = "";
  if (at_least)
    snprintf(why, sizeof why,
             " (it needs at least %llu: a store and a load per read for every output tile)",
             (unsigned long long)at_least);
  diag_error(g->diag, e->loc,
             "the Einsum defining '%s' takes the program past %zu instructions, the most a "
             "binary holds%s; the instruction stream is unrolled, so use smaller sizes (-D)",
             e->out->name, accel_instr_limit, why);
  g->failed = true;
}

int64_t emit(Gen *g, uint32_t *w, const Access *acc, int nacc) {
  const IsaOp *op = isa_op_by_opcode(isa_get(w, FLD_OPCODE));
  int v = op->unit;
  int64_t idx = (int64_t)g->bin->instr_count;
  if (g->failed)
    return -1;
  if ((size_t)idx >= accel_instr_limit) {
    gen_too_long(g, 0);
    return -1;
  }
  int64_t waits_from[UNIT_COUNT];
  for (int u = 0; u < UNIT_COUNT; u++)
    waits_from[u] = -1;
  for (int i = 0; i < nacc; i++) {
    const Hazard *h = acc[i].hz;
    for (int u = 0; u < UNIT_COUNT; u++) {
      depend(g, w, idx, v, h->writer[u], waits_from);
      if (acc[i].write)
        depend(g, w, idx, v, h->reader[u], waits_from);
    }
  }
  ebin_add_instr(g->bin, w);
  if ((size_t)idx >= g->unit_cap) {
    g->unit_cap = g->unit_cap ? 2 * g->unit_cap : 4096;
    g->unit_of = gen_xrealloc(g->unit_of, g->unit_cap);
  }
  g->unit_of[idx] = (uint8_t)v;
  list_push(&g->unit_instrs[v], idx);
  AccelProgram *p = g->out;
  if ((size_t)idx >= p->note_of_cap) {
    p->note_of_cap = p->note_of_cap ? 2 * p->note_of_cap : 4096;
    p->note_of = gen_xrealloc(p->note_of, p->note_of_cap * sizeof *p->note_of);
  }
  p->note_of[idx] = (uint32_t)g->cur_note;
  for (int i = 0; i < nacc; i++)
    if (!acc[i].write)
      acc[i].hz->reader[v] = idx;
  for (int i = 0; i < nacc; i++)
    if (acc[i].write) {
      hazard_clear(acc[i].hz);
      acc[i].hz->writer[v] = idx;
    }
  return idx;
}

void gen_note(Gen *g, const char *fmt, ...) {
  AccelProgram *p = g->out;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (p->nnotes == p->notes_cap) {
    p->notes_cap = p->notes_cap ? 2 * p->notes_cap : 256;
    p->notes = gen_xrealloc(p->notes, p->notes_cap * sizeof *p->notes);
  }
  size_t len = strlen(buf) + 1;
  p->notes[p->nnotes] = memcpy(gen_xrealloc(NULL, len), buf, len);
  g->epoch++;
  g->cur_note = (int)p->nnotes++;
}

/* Splits the buffer above the pool into n equal slots of at most `cap`
 * words. The hazards of the old slots move to the new ones that overlap. */
bool slots_setup(Gen *g, int n, uint64_t cap) {
  uint32_t words = g->tile_words / (uint32_t)n;
  if (words > cap)
    words = (uint32_t)cap;
  if (words == 0)
    return false;
  /* An old slot past the new ones keeps its hazards in the background,
   * which every later slot inherits (a later Einsum may reach its words). */
  uint64_t end = g->npool + (uint64_t)n * words;
  for (int j = 0; j < g->nslots; j++)
    if (g->slots[j].addr + g->slot_words > end)
      hazard_merge(&g->background, &g->slots[j].hz);
  Slot *slots = calloc((size_t)n, sizeof *slots);
  for (int i = 0; i < n; i++) {
    slots[i].addr = g->npool + (uint32_t)i * words;
    slots[i].hz = g->background;
    for (int j = 0; j < g->nslots; j++) {
      const Slot *o = &g->slots[j];
      if (o->addr < slots[i].addr + words && slots[i].addr < o->addr + g->slot_words)
        hazard_merge(&slots[i].hz, &o->hz);
    }
  }
  free(g->slots);
  g->slots = slots;
  g->nslots = n;
  g->slot_words = words;
  g->free_fifo = gen_xrealloc(g->free_fifo, (size_t)n * sizeof *g->free_fifo);
  for (int i = 0; i < n; i++)
    g->free_fifo[i] = i;
  g->free_head = 0;
  g->free_count = n;
  if (g->nroll == g->roll_cap) {
    g->roll_cap = g->roll_cap ? 2 * g->roll_cap : 64;
    g->roll_segs = gen_xrealloc(g->roll_segs, g->roll_cap * sizeof *g->roll_segs);
  }
  g->roll_segs[g->nroll++] = (AccelRollSegment){g->bin->instr_count, g->npool, (uint32_t)n * words};
  return true;
}

bool region_alloc(Gen *g, uint32_t nr, uint32_t nc, Region *r) {
  if (g->free_count == 0 || (uint64_t)nr * nc > g->slot_words) {
    gen_internal(g, g->free_count == 0 ? "out of buffer slots" : "tile larger than a slot");
    return false;
  }
  int s = g->free_fifo[g->free_head];
  g->free_head = (g->free_head + 1) % g->nslots;
  g->free_count--;
  g->slots[s].busy = true;
  r->slot = s;
  r->addr = g->slots[s].addr;
  r->nr = nr;
  r->nc = nc;
  r->rs = nr > 1 ? nc : 0;
  r->cs = nc > 1 ? 1 : 0;
  return true;
}

void region_free(Gen *g, const Region *r) {
  if (r->slot < 0 || !g->slots[r->slot].busy || g->slots[r->slot].pinned)
    return;
  g->slots[r->slot].busy = false;
  g->free_fifo[(g->free_head + g->free_count) % g->nslots] = r->slot;
  g->free_count++;
}

/* A word holding `value`, filled once and reused while it stays. A word
 * used by the current tile is never evicted (regions are plain values and
 * may still name it); with every word in use the constant takes a slot. */
bool pool_const(Gen *g, float value, Region *r) {
  *r = (Region){-1, 0, 0, 0, 1, 1};
  for (uint32_t i = 0; i < g->npool; i++)
    if (g->pool[i].used && memcmp(&g->pool[i].value, &value, sizeof value) == 0) {
      g->pool[i].epoch = g->epoch;
      r->addr = i;
      return true;
    }
  uint32_t i = 0;
  for (; i < g->npool; i++) {
    uint32_t k = (g->pool_next + i) % g->npool;
    if (!g->pool[k].used || g->pool[k].epoch != g->epoch)
      break;
  }
  if (i == g->npool) {
    if (!region_alloc(g, 1, 1, r))
      return false;
  } else {
    i = (g->pool_next + i) % g->npool;
    g->pool_next = (i + 1) % g->npool;
    g->pool[i] = (PoolWord){value, true, g->epoch, g->pool[i].hz};
    r->addr = i;
  }
  vec_op(g, isa_op_by_mnemonic("v.fill")->opcode, r, NULL, NULL, NULL, true, value, 1, 1);
  return true;
}
