/* The functional model: each instruction's fp32 semantics, run when the
 * timing model issues it, and the race detector that makes that order safe:
 * every buffer and DRAM word remembers which instruction last wrote it (and
 * until when) and which read it, so an access by another unit inside that
 * window is reported as a missing dependency token. */
#include "runtime/sfu.h"
#include "runtime/sim_internal.h"

#include <string.h>

typedef struct Ctx {
  Sim *s;
  const Decoded *d;
  uint32_t index;
  uint64_t start, done;
  uint8_t unit;
} Ctx;

/* Reports (once) that this instruction's access to a word conflicts with
 * instruction `other` of another unit, which uses it until it completes. */
static void race(Ctx *c, const char *access, const char *space, uint64_t word, uint32_t other) {
  if (c->s->race)
    return;
  const IsaOp *me = c->d->op;
  const IsaOp *them = isa_op_by_opcode(c->s->opcode_of[other]);
  snprintf(
      c->s->race_msg, sizeof c->s->race_msg,
      "race: instruction %u (%s, %s unit) %s %s word %llu at cycle %llu, but instruction %u "
      "(%s, %s unit) uses it until cycle %llu; a dependency token between %s and %s is missing",
      c->index, me->mnemonic, isa_unit_name(me->unit), access, space, (unsigned long long)word,
      (unsigned long long)c->start, other, them->mnemonic, isa_unit_name(them->unit),
      (unsigned long long)c->s->done_of[other], isa_unit_name(them->unit), isa_unit_name(me->unit));
  c->s->race = true;
}

/* Reports (once) that this instruction's access to a word comes after that
 * of instruction `later`, which follows it in program order: the two are
 * not ordered by tokens, and this run happened to order them backwards
 * (whether or not their times overlap). */
static void race_order(Ctx *c, const char *access, const char *space, uint64_t word, uint32_t later,
                       const char *did) {
  if (c->s->race)
    return;
  const IsaOp *me = c->d->op;
  const IsaOp *them = isa_op_by_opcode(c->s->opcode_of[later]);
  snprintf(c->s->race_msg, sizeof c->s->race_msg,
           "race: instruction %u (%s, %s unit) %s %s word %llu at cycle %llu, but instruction "
           "%u (%s, %s unit), later in program order, already %s it; a dependency token "
           "between %s and %s is missing",
           c->index, me->mnemonic, isa_unit_name(me->unit), access, space, (unsigned long long)word,
           (unsigned long long)c->start, later, them->mnemonic, isa_unit_name(them->unit), did,
           isa_unit_name(me->unit), isa_unit_name(them->unit));
  c->s->race = true;
}

/* Whether `who` (a shadow entry: instruction index + 1, 0 for none) is an
 * instruction of another unit still in flight when this one starts. */
static bool in_flight_elsewhere(const Ctx *c, uint32_t who) {
  return who && c->s->done_of[who - 1] > c->start && c->s->unit_of[who - 1] != c->unit;
}

/* Shadow bookkeeping for one word. Two checks: against accesses of other
 * units still in flight (a missing token that this run's timing exposed),
 * and against program order (a missing token whatever the timing): a word
 * must not be read after a later instruction wrote it, nor written after a
 * later instruction wrote or read it. Same-unit accesses are in order. */
static void note_read(Ctx *c, const Shadow *sh, uint64_t w) {
  uint32_t wi = sh->writer[w], ri = sh->reader[w], li = sh->late_reader[w];
  if (in_flight_elsewhere(c, wi))
    race(c, "reads", sh->name, w, wi - 1);
  if (wi > c->index + 1)
    race_order(c, "reads", sh->name, w, wi - 1, "wrote");
  if (!ri || c->done >= c->s->done_of[ri - 1])
    sh->reader[w] = c->index + 1;
  if (li < c->index + 1)
    sh->late_reader[w] = c->index + 1;
  if (wi && sh == &c->s->buf_shadow && c->s->last_use[wi - 1] < c->done)
    c->s->last_use[wi - 1] = c->done;
}

static void note_write(Ctx *c, const Shadow *sh, uint64_t w) {
  uint32_t wi = sh->writer[w], ri = sh->reader[w], li = sh->late_reader[w];
  if (in_flight_elsewhere(c, wi))
    race(c, "writes", sh->name, w, wi - 1);
  if (in_flight_elsewhere(c, ri))
    race(c, "overwrites", sh->name, w, ri - 1);
  if (wi > c->index + 1)
    race_order(c, "writes", sh->name, w, wi - 1, "wrote");
  if (li > c->index + 1)
    race_order(c, "overwrites", sh->name, w, li - 1, "read");
  if (sh == &c->s->buf_shadow) {
    /* The word's live range moves to this instruction; when it read the
     * word itself (an accumulation, an in-place update) the range is one. */
    if (wi && wi != c->index + 1 && li == c->index + 1 && c->s->live_words[wi - 1] > 0)
      c->s->live_words[wi - 1]--;
    if (wi != c->index + 1)
      c->s->live_words[c->index]++;
  }
  sh->writer[w] = c->index + 1;
  sh->late_reader[w] = 0;
}

/* Notes every word of a 2-D box in the buffer. */
static void note_box(Ctx *c, bool write, uint64_t addr, uint64_t rows, uint64_t rs, uint64_t cols,
                     uint64_t cs) {
  const Shadow *sh = &c->s->buf_shadow;
  for (uint64_t r = 0; r < rows; r++)
    for (uint64_t k = 0; k < cols; k++) {
      uint64_t w = addr + r * rs + k * cs;
      if (write)
        note_write(c, sh, w);
      else
        note_read(c, sh, w);
    }
}

static void exec_dma(Ctx *c, const uint32_t *w, bool load) {
  Sim *s = c->s;
  uint64_t n0 = isa_get(w, FLD_DMA_N0), n1 = isa_get(w, FLD_DMA_N1), n2 = isa_get(w, FLD_DMA_N2),
           n3 = isa_get(w, FLD_DMA_N3);
  uint64_t ds1 = isa_get(w, FLD_DMA_DS1), ds2 = isa_get(w, FLD_DMA_DS2),
           ds3 = isa_get(w, FLD_DMA_DS3);
  uint64_t ss1 = isa_get(w, FLD_DMA_SS1), ss2 = isa_get(w, FLD_DMA_SS2),
           ss3 = isa_get(w, FLD_DMA_SS3);
  uint64_t lo0 = isa_get(w, FLD_DMA_LO0), hi0 = isa_get(w, FLD_DMA_HI0);
  uint64_t lo1 = isa_get(w, FLD_DMA_LO1), hi1 = isa_get(w, FLD_DMA_HI1);
  if (hi0 == 0)
    hi0 = n0;
  if (hi1 == 0)
    hi1 = n1;
  uint64_t dram = isa_get(w, FLD_DMA_DRAM) / 4, sram = isa_get(w, FLD_DMA_SRAM);
  const Shadow *bsh = &s->buf_shadow, *dsh = &s->dram_shadow;
  for (uint64_t i3 = 0; i3 < n3; i3++)
    for (uint64_t i2 = 0; i2 < n2; i2++)
      for (uint64_t i1 = 0; i1 < n1; i1++) {
        bool row_valid = i1 >= lo1 && i1 < hi1;
        for (uint64_t i0 = 0; i0 < n0; i0++) {
          uint64_t sw = sram + i0 + i1 * ss1 + i2 * ss2 + i3 * ss3;
          bool valid = row_valid && i0 >= lo0 && i0 < hi0;
          uint64_t dw = valid ? dram + (i0 - lo0) + (i1 - lo1) * ds1 + i2 * ds2 + i3 * ds3 : 0;
          if (load) {
            if (valid)
              note_read(c, dsh, dw);
            note_write(c, bsh, sw);
            s->buf[sw] = valid ? s->dram[dw] : 0.0f;
          } else if (valid) {
            note_read(c, bsh, sw);
            note_write(c, dsh, dw);
            s->dram[dw] = s->buf[sw];
          }
        }
      }
}

static void exec_mm(Ctx *c, const uint32_t *w) {
  float *buf = c->s->buf;
  uint64_t m = isa_get(w, FLD_MM_M), k = isa_get(w, FLD_MM_K), n = isa_get(w, FLD_MM_N);
  uint64_t a = isa_get(w, FLD_MM_A), lda = isa_get(w, FLD_MM_LDA);
  uint64_t b = isa_get(w, FLD_MM_B), ldb = isa_get(w, FLD_MM_LDB);
  uint64_t cc = isa_get(w, FLD_MM_C), ldc = isa_get(w, FLD_MM_LDC);
  bool ta = isa_get(w, FLD_MM_TA), tb = isa_get(w, FLD_MM_TB), acc = isa_get(w, FLD_MM_ACC);
  /* Element (i, j) of A is at a + i*ars + j*acs. */
  uint64_t ars = ta ? 1 : lda, acs = ta ? lda : 1;
  uint64_t brs = tb ? 1 : ldb, bcs = tb ? ldb : 1;
  note_box(c, false, a, m, ars, k, acs);
  note_box(c, false, b, k, brs, n, bcs);
  if (acc)
    note_box(c, false, cc, m, ldc, n, 1);
  note_box(c, true, cc, m, ldc, n, 1);
  for (uint64_t i = 0; i < m; i++)
    for (uint64_t j = 0; j < n; j++) {
      float sum = acc ? buf[cc + i * ldc + j] : 0.0f;
      for (uint64_t p = 0; p < k; p++)
        sum += buf[a + i * ars + p * acs] * buf[b + p * brs + j * bcs];
      buf[cc + i * ldc + j] = sum;
    }
}

static void exec_vec(Ctx *c, const uint32_t *w, const IsaOp *op) {
  float *buf = c->s->buf;
  uint64_t rows = isa_get(w, FLD_V_ROWS), cols = isa_get(w, FLD_V_COLS);
  uint64_t d = isa_get(w, FLD_V_D), drs = isa_get(w, FLD_V_DRS), dcs = isa_get(w, FLD_V_DCS);
  uint64_t a = isa_get(w, FLD_V_A), ars = isa_get(w, FLD_V_ARS), acs = isa_get(w, FLD_V_ACS);
  uint64_t b = isa_get(w, FLD_V_B), brs = isa_get(w, FLD_V_BRS), bcs = isa_get(w, FLD_V_BCS);
  uint64_t e = isa_get(w, FLD_V_C), ers = isa_get(w, FLD_V_CRS), ecs = isa_get(w, FLD_V_CCS);
  uint32_t imm_bits = isa_get(w, FLD_V_IMM);
  float imm;
  memcpy(&imm, &imm_bits, 4);
  bool use_imm = isa_get(w, FLD_V_IMMF);
  bool acc = isa_get(w, FLD_V_ACC);

  switch (op->kind) {
  case K_UNARY:
    note_box(c, false, a, rows, ars, cols, acs);
    note_box(c, true, d, rows, drs, cols, dcs);
    for (uint64_t r = 0; r < rows; r++)
      for (uint64_t k = 0; k < cols; k++)
        buf[d + r * drs + k * dcs] = sfu_unary(op->func, buf[a + r * ars + k * acs]);
    break;
  case K_BINARY:
    note_box(c, false, a, rows, ars, cols, acs);
    if (!use_imm)
      note_box(c, false, b, rows, brs, cols, bcs);
    note_box(c, true, d, rows, drs, cols, dcs);
    for (uint64_t r = 0; r < rows; r++)
      for (uint64_t k = 0; k < cols; k++) {
        float y = use_imm ? imm : buf[b + r * brs + k * bcs];
        buf[d + r * drs + k * dcs] = sfu_binary(op->func, buf[a + r * ars + k * acs], y);
      }
    break;
  case K_SELECT:
    note_box(c, false, a, rows, ars, cols, acs);
    note_box(c, false, b, rows, brs, cols, bcs);
    note_box(c, false, e, rows, ers, cols, ecs);
    note_box(c, true, d, rows, drs, cols, dcs);
    for (uint64_t r = 0; r < rows; r++)
      for (uint64_t k = 0; k < cols; k++) {
        bool cond = buf[a + r * ars + k * acs] != 0.0f;
        buf[d + r * drs + k * dcs] = cond ? buf[b + r * brs + k * bcs] : buf[e + r * ers + k * ecs];
      }
    break;
  case K_REDUCE:
    note_box(c, false, a, rows, ars, cols, acs);
    if (acc)
      note_box(c, false, d, rows, drs, 1, 0);
    note_box(c, true, d, rows, drs, 1, 0);
    for (uint64_t r = 0; r < rows; r++) {
      float x = acc ? buf[d + r * drs] : sfu_reduce_identity(op->func);
      for (uint64_t k = 0; k < cols; k++)
        x = sfu_reduce_step(op->func, x, buf[a + r * ars + k * acs]);
      buf[d + r * drs] = x;
    }
    break;
  case K_FILL:
    note_box(c, true, d, rows, drs, cols, dcs);
    for (uint64_t r = 0; r < rows; r++)
      for (uint64_t k = 0; k < cols; k++)
        buf[d + r * drs + k * dcs] = imm;
    break;
  default:
    break;
  }
}

static void exec_scan(Ctx *c, const uint32_t *w) {
  float *buf = c->s->buf;
  uint64_t t = isa_get(w, FLD_S_T), ch = isa_get(w, FLD_S_C);
  uint64_t a = isa_get(w, FLD_S_A), ars = isa_get(w, FLD_S_ARS);
  uint64_t b = isa_get(w, FLD_S_B), brs = isa_get(w, FLD_S_BRS);
  uint64_t y = isa_get(w, FLD_S_Y), yrs = isa_get(w, FLD_S_YRS);
  uint64_t h = isa_get(w, FLD_S_H);
  bool zero = isa_get(w, FLD_S_INIT);
  note_box(c, false, a, t, ars, ch, 1);
  note_box(c, false, b, t, brs, ch, 1);
  if (!zero)
    note_box(c, false, h, 1, 0, ch, 1);
  note_box(c, true, y, t, yrs, ch, 1);
  note_box(c, true, h, 1, 0, ch, 1);
  for (uint64_t k = 0; k < ch; k++) {
    float state = zero ? 0.0f : buf[h + k];
    for (uint64_t i = 0; i < t; i++) {
      state = buf[a + i * ars + k] * state + buf[b + i * brs + k];
      buf[y + i * yrs + k] = state;
    }
    buf[h + k] = state;
  }
}

void sim_exec(Sim *s, const Decoded *d, const uint32_t *w, uint32_t index, uint64_t start,
              uint64_t done) {
  Ctx c = {s, d, index, start, done, d->unit};
  s->start_of[index] = start;
  switch (d->op->format) {
  case FMT_DMA:
    exec_dma(&c, w, d->op->kind == K_LOAD);
    break;
  case FMT_MM:
    exec_mm(&c, w);
    break;
  case FMT_VEC:
    exec_vec(&c, w, d->op);
    break;
  case FMT_SCAN:
    exec_scan(&c, w);
    break;
  case FMT_LOOP: /* expanded by the dispatcher, never executed */
  case FMT_COUNT:
    break;
  }
}
