/* The accelerator backend's entry points: DRAM placement of every tensor,
 * one generator run per Einsum, and the annotated listing. */
#include "backend/accel/gen.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/asm.h"
#include "runtime/npy.h"

/* Every shape a .npy file holds fits the binary's tensor table. */
_Static_assert(EBIN_MAX_RANK >= NPY_MAX_RANK, "the binary holds fewer dimensions than .npy");

size_t accel_instr_limit = (size_t)1 << 24;
bool accel_roll_loops = true;

static EbinRole ebin_role(Role r) {
  switch (r) {
  case ROLE_INPUT:
    return EBIN_ROLE_INPUT;
  case ROLE_PARAM:
    return EBIN_ROLE_PARAM;
  case ROLE_OUTPUT:
    return EBIN_ROLE_OUTPUT;
  default:
    return EBIN_ROLE_SCRATCH;
  }
}

/* DRAM a binary may use: the architecture's, within the DMA's 32-bit byte
 * addresses. */
#define DRAM_LIMIT_WHY "dram.capacity_bytes, and at most 4 GiB for the DMA's addresses"
static uint64_t dram_limit(const Arch *arch) {
  return arch->dram_capacity < UINT32_MAX ? arch->dram_capacity : UINT32_MAX;
}

/* Whether `elements` floats fit after the tensors placed so far (at the
 * next aligned offset, as ebin_add_tensor puts them); *need is the DRAM
 * they would take in all, UINT64_MAX past 2^64. */
static bool dram_room(const Gen *g, uint64_t elements, uint64_t *need) {
  uint64_t at = (g->bin->dram_bytes + EBIN_ALIGN - 1) / EBIN_ALIGN * EBIN_ALIGN, bytes;
  if (__builtin_mul_overflow(elements, 4, &bytes) || __builtin_add_overflow(at, bytes, need))
    *need = UINT64_MAX;
  return *need <= dram_limit(g->arch);
}

/* The shape the binary records for t (which fits in DRAM, so in 2^30
 * elements): its own up to EBIN_MAX_RANK dimensions, else its leading
 * dimensions merged into one so that EBIN_MAX_RANK remain. Row-major
 * offsets are the same either way, and the DMA addresses elements by the
 * program's own strides (dma.c), never by this shape: it is only what
 * einsim reads --input files and writes outputs by, and what listings
 * show. Every shape a .npy file holds is kept; an output of a larger rank
 * has no .npy file on either target, and einc compile refuses it
 * (driver/compile.c) rather than write one of another shape. */
static uint32_t binary_shape(const Tensor *t, uint32_t *dims) {
  int merged = t->rank > EBIN_MAX_RANK ? t->rank - EBIN_MAX_RANK + 1 : 1;
  int d = 0;
  uint64_t first = 1;
  for (; d < merged && d < t->rank; d++)
    first *= (uint64_t)t->dims[d];
  uint32_t n = 0;
  if (t->rank > 0)
    dims[n++] = (uint32_t)first;
  for (; d < t->rank; d++)
    dims[n++] = (uint32_t)t->dims[d];
  return n;
}

static bool place_tensors(Gen *g) {
  const Cascade *c = g->lp->cascade;
  char msg[300];
  for (int i = 0; i < c->ntensors; i++) {
    const Tensor *t = c->tensors[i];
    uint32_t dims[EBIN_MAX_RANK];
    g->dram[i] = UINT64_MAX;
    hazard_clear(&g->tensor_hz[i]);
    if (g->on_chip[i])
      continue;
    for (int d = 0; d < t->rank; d++) {
      if (t->dims[d] > UINT32_MAX) {
        diag_error(g->diag, t->loc,
                   "'%s' has a dimension of %lld; the accelerator takes at most %u", t->name,
                   (long long)t->dims[d], UINT32_MAX);
        return false;
      }
    }
    uint64_t elements = (uint64_t)tensor_elements(t), need;
    if (!dram_room(g, elements, &need)) {
      char size[64];
      if (elements <= UINT64_MAX / 4)
        snprintf(size, sizeof size, "%llu bytes", (unsigned long long)elements * 4);
      else
        snprintf(size, sizeof size, "%llu elements of 4 bytes", (unsigned long long)elements);
      char total[64] = "more than 2^64";
      if (need != UINT64_MAX)
        snprintf(total, sizeof total, "%llu", (unsigned long long)need);
      diag_error(g->diag, t->loc,
                 "'%s' (%s) does not fit in DRAM: the tensors up to it need %s bytes, more than "
                 "the %llu the architecture has (%s)",
                 t->name, size, total, (unsigned long long)dram_limit(g->arch), DRAM_LIMIT_WHY);
      return false;
    }
    uint32_t rank = binary_shape(t, dims);
    if (!ebin_add_tensor(g->bin, t->name, ebin_role(t->role), rank, dims, UINT64_MAX, NULL, msg,
                         sizeof msg)) {
      diag_error(g->diag, t->loc, "%s", msg);
      return false;
    }
    g->dram[i] = g->bin->tensors[g->bin->tensor_count - 1].dram_offset;
    hazard_clear(&g->tensor_hz[i]);
  }
  /* The 0, 1, 2, ... table that index values are loaded from. */
  int64_t longest = 0;
  bool need = false;
  int need_at = 0; /* the first Einsum that reads an index value */
  for (int i = 0; i < c->neinsums; i++) {
    const Einsum *e = c->einsums[i];
    bool reads = expr_any(e->rhs, expr_is_index_value) ||
                 (e->rec && expr_any(e->rec->init, expr_is_index_value));
    if (reads && !need)
      need_at = i;
    need |= reads;
    for (int v = 0; v < e->nvars; v++)
      if (e->vars[v].extent > longest)
        longest = e->vars[v].extent;
  }
  hazard_clear(&g->iota_hz);
  uint64_t room;
  if (need && !dram_room(g, (uint64_t)longest, &room)) {
    diag_error(g->diag, c->einsums[need_at]->loc,
               "the table of index values this Einsum reads (%lld values, %llu bytes) does not "
               "fit in DRAM beside the tensors' %llu bytes: the architecture has %llu (%s)",
               (long long)longest, (unsigned long long)longest * 4,
               (unsigned long long)g->bin->dram_bytes, (unsigned long long)dram_limit(g->arch),
               DRAM_LIMIT_WHY);
    return false;
  }
  if (need) {
    /* Placed now, filled once the program is known to fit (fill_iota): the
     * table is as long as the longest rank, and a refusal should cost
     * nothing. */
    uint32_t n = (uint32_t)longest;
    if (!ebin_add_tensor(g->bin, "iota.table", EBIN_ROLE_PARAM, 1, &n, UINT64_MAX, NULL, msg,
                         sizeof msg)) {
      gen_internal(g, msg);
      return false;
    }
    g->iota_dram = g->bin->tensors[g->bin->tensor_count - 1].dram_offset;
    g->iota_len = longest;
  }
  return true;
}

/* The values 0, 1, 2, ... of the index-value table, if there is one
 * (place_tensors puts it last). */
static void fill_iota(Gen *g) {
  if (g->iota_dram == UINT64_MAX)
    return;
  EbinTensor *t = &g->bin->tensors[g->bin->tensor_count - 1];
  t->data = malloc((size_t)g->iota_len * sizeof *t->data);
  if (!t->data)
    abort();
  for (int64_t i = 0; i < g->iota_len; i++)
    t->data[i] = (float)i;
}

void accel_buffer_layout(const Arch *a, uint32_t *pool_words, uint32_t *tile_words) {
  uint64_t words = arch_buffer_words(a);
  if (words > UINT32_MAX)
    words = UINT32_MAX;
  uint32_t pool = (uint32_t)(words / 16 < 64 ? words / 16 : 64);
  if (pool == 0)
    pool = 1;
  *pool_words = pool;
  *tile_words = (uint32_t)words - pool;
}

uint32_t accel_pool_words(const Arch *a) {
  uint32_t pool, tiles;
  accel_buffer_layout(a, &pool, &tiles);
  return pool;
}

bool accel_compile(const LoopProgram *p, const Mapping *m, const Arch *arch, AccelProgram *out,
                   Diag *diag) {
  memset(out, 0, sizeof *out);
  ebin_init(&out->bin, arch_hash(arch));
  Gen g = {0};
  g.lp = p;
  g.arch = arch;
  g.out = out;
  g.diag = diag;
  g.bin = &out->bin;
  int nt = p->cascade->ntensors;
  g.dram = calloc((size_t)nt + 1, sizeof *g.dram);
  g.tensor_hz = calloc((size_t)nt + 1, sizeof *g.tensor_hz);
  g.iota_dram = UINT64_MAX;
  g.on_chip = calloc((size_t)nt + 1, sizeof *g.on_chip);
  hazard_clear(&g.background);
  for (int u = 0; u < UNIT_COUNT; u++)
    for (int v = 0; v < UNIT_COUNT; v++)
      g.last_sig[u][v] = -1;
  accel_buffer_layout(arch, &g.npool, &g.tile_words);
  g.pool = calloc(g.npool, sizeof *g.pool);
  for (uint32_t i = 0; i < g.npool; i++)
    hazard_clear(&g.pool[i].hz);
  const Einsum **scan_of = calloc((size_t)p->nkernels + 1, sizeof *scan_of);
  const Einsum **final_of = calloc((size_t)p->nkernels + 1, sizeof *final_of);
  bool *stored_by_readout = calloc((size_t)p->nkernels + 1, sizeof *stored_by_readout);
  for (int i = 0; i < m->ngroups; i++) {
    const FusedGroup *fg = &m->groups[i];
    if (fg->readout) {
      int y = fg->members[fg->n - 1]->id;
      scan_of[y] = fg->readout;
      final_of[y] = fg->final_state;
      g.on_chip[fg->readout->out->id] = true;
      if (fg->final_state)
        stored_by_readout[fg->final_state->id] = true;
    }
  }
  bool ok = place_tensors(&g);
  for (int i = 0; ok && i < p->nkernels; i++)
    if (!g.on_chip[p->kernels[i]->einsum->out->id] && !stored_by_readout[i]) {
      g.final_state = final_of[i];
      ok = gen_einsum(&g, p->kernels[i], &m->einsums[i], scan_of[i]);
    }
  free(scan_of);
  free(final_of);
  free(stored_by_readout);
  free(g.on_chip);
  if (ok && !g.failed)
    fill_iota(&g);
  if (ok && !g.failed && accel_roll_loops)
    accel_roll(out, arch, g.roll_segs, g.nroll);
  free(g.roll_segs);
  free(g.dram);
  free(g.tensor_hz);
  free(g.unit_of);
  for (int u = 0; u < UNIT_COUNT; u++) {
    free(g.unit_instrs[u].at);
    for (int v = 0; v < UNIT_COUNT; v++)
      free(g.consumers[u][v].at);
  }
  free(g.slots);
  free(g.free_fifo);
  free(g.pool);
  if (!ok || g.failed) {
    accel_free(out);
    return false;
  }
  return true;
}

void accel_free(AccelProgram *p) {
  ebin_free(&p->bin);
  for (size_t i = 0; i < p->nnotes; i++)
    free(p->notes[i]);
  free(p->notes);
  free(p->note_of);
  memset(p, 0, sizeof *p);
}

void accel_print(const AccelProgram *p, FILE *out) {
  const Ebin *b = &p->bin;
  asm_disassemble_header(b, out);
  int64_t last = -1;
  char line[1024];
  for (size_t i = 0; i < b->instr_count; i++) {
    if (p->note_of && (int64_t)p->note_of[i] != last && p->note_of[i] < p->nnotes) {
      last = p->note_of[i];
      fprintf(out, "# %s\n", p->notes[last]);
    }
    asm_format_instr(b->code + i * ISA_WORDS, b, line, sizeof line);
    fprintf(out, "%s  # %zu\n", line, i);
  }
}
