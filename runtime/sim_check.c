/* Decoding an instruction for an architecture: every field is checked here,
 * once, so that execution needs no checks (docs/isa.md, "Errors"). */
#include "runtime/loop.h"
#include "runtime/sim_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Saturating arithmetic: UINT64_MAX stands for "too large". */
static uint64_t mul_sat(uint64_t a, uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a)
    return UINT64_MAX;
  return a * b;
}
static uint64_t add_sat(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
static uint64_t ceil_div(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

/* The last word of a box addr + (rows-1)*rs + (cols-1)*cs. */
static uint64_t box_end(uint64_t addr, uint64_t rows, uint64_t rs, uint64_t cols, uint64_t cs) {
  return add_sat(add_sat(addr, mul_sat(rows - 1, rs)), mul_sat(cols - 1, cs));
}

static bool in_buffer(const Arch *arch, const char *what, uint64_t lo, uint64_t hi, char *msg,
                      size_t msg_size, const char *mn) {
  uint64_t words = arch_buffer_words(arch);
  if (hi >= words) {
    if (hi == UINT64_MAX)
      snprintf(msg, msg_size, "%s: operand %s extends past the buffer (address overflow)", mn,
               what);
    else
      snprintf(msg, msg_size,
               "%s: operand %s spans buffer words %llu..%llu, beyond the %llu-word "
               "buffer",
               mn, what, (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)words);
    return false;
  }
  return true;
}

static void add_read(Decoded *d, uint64_t lo, uint64_t hi, bool exact) {
  d->rd_lo[d->n_rd] = lo;
  d->rd_hi[d->n_rd] = hi;
  d->rd_exact[d->n_rd] = exact;
  d->n_rd++;
}

/* Whether a rows x cols box at strides rs, cs touches every word between
 * its first and last: a dense tile, row- or column-major. */
static bool box_exact(uint64_t rows, uint64_t rs, uint64_t cols, uint64_t cs) {
  if (rows == 1)
    return cols == 1 || cs == 1;
  if (cols == 1)
    return rs == 1;
  return (cs == 1 && rs == cols) || (rs == 1 && cs == rows);
}

/* The DRAM bursts a transfer touches: its rows (`row_bytes` contiguous bytes
 * each, in the order i1 fastest, then i2, i3, with element strides) are cut
 * into aligned bursts of `burst` bytes, and a burst is fetched once when
 * consecutive rows share it, as a DMA engine merges adjacent requests. A
 * gather of single words therefore pays a whole burst per word. */
uint64_t sim_dma_bursts(uint64_t dram, uint64_t row_bytes, const uint64_t rows[3],
                        const uint64_t strides[3], uint64_t burst) {
  /* A box whose rows follow each other is one span (the common dense tile):
   * the count below without visiting every row. */
  uint64_t span = row_bytes;
  bool dense = true;
  for (int d = 0; d < 3 && dense; d++) {
    dense = rows[d] == 1 || strides[d] * 4 == span;
    span *= rows[d];
  }
  if (dense)
    return (dram + span - 1) / burst - dram / burst + 1;
  uint64_t total = 0, last = UINT64_MAX;
  for (uint64_t i3 = 0; i3 < rows[2]; i3++)
    for (uint64_t i2 = 0; i2 < rows[1]; i2++) {
      uint64_t base = dram + 4 * (i2 * strides[1] + i3 * strides[2]);
      for (uint64_t i1 = 0; i1 < rows[0]; i1++) {
        uint64_t at = base + 4 * i1 * strides[0];
        uint64_t first = at / burst, end = (at + row_bytes - 1) / burst;
        total += end - first + (first == last ? 0 : 1);
        last = end;
      }
    }
  return total;
}

static bool decode_dma(const uint32_t *w, const Arch *arch, const TensorIndex *tensors, Decoded *d,
                       char *msg, size_t msg_size) {
  const char *mn = d->op->mnemonic;
  uint64_t n[4] = {isa_get(w, FLD_DMA_N0), isa_get(w, FLD_DMA_N1), isa_get(w, FLD_DMA_N2),
                   isa_get(w, FLD_DMA_N3)};
  for (int i = 0; i < 4; i++) {
    if (n[i] == 0) {
      snprintf(msg, msg_size, "%s: extent n%d is 0 (use 1 for an unused dimension)", mn, i);
      return false;
    }
  }
  uint64_t elems = mul_sat(mul_sat(n[0], n[1]), mul_sat(n[2], n[3]));
  if (elems > arch_buffer_words(arch)) {
    snprintf(msg, msg_size, "%s: moves %llu elements, more than the buffer holds", mn,
             (unsigned long long)elems);
    return false;
  }
  uint64_t lo0 = isa_get(w, FLD_DMA_LO0), hi0 = isa_get(w, FLD_DMA_HI0);
  uint64_t lo1 = isa_get(w, FLD_DMA_LO1), hi1 = isa_get(w, FLD_DMA_HI1);
  if (hi0 == 0)
    hi0 = n[0];
  if (hi1 == 0)
    hi1 = n[1];
  if (lo0 > hi0 || hi0 > n[0] || lo1 > hi1 || hi1 > n[1]) {
    snprintf(msg, msg_size,
             "%s: valid window [%llu,%llu) x [%llu,%llu) is not inside the box "
             "%llu x %llu",
             mn, (unsigned long long)lo0, (unsigned long long)hi0, (unsigned long long)lo1,
             (unsigned long long)hi1, (unsigned long long)n[0], (unsigned long long)n[1]);
    return false;
  }
  uint64_t ss1 = isa_get(w, FLD_DMA_SS1), ss2 = isa_get(w, FLD_DMA_SS2),
           ss3 = isa_get(w, FLD_DMA_SS3);
  uint64_t sram = isa_get(w, FLD_DMA_SRAM);
  uint64_t sram_hi = add_sat(add_sat(box_end(sram, n[1], ss1, n[0], 1), mul_sat(n[2] - 1, ss2)),
                             mul_sat(n[3] - 1, ss3));
  if (!in_buffer(arch, "sram", sram, sram_hi, msg, msg_size, mn))
    return false;

  uint64_t valid = (hi0 - lo0) * (hi1 - lo1) * n[2] * n[3];
  uint64_t dram = isa_get(w, FLD_DMA_DRAM);
  if (dram % 4 != 0) {
    snprintf(msg, msg_size, "%s: DRAM address %llu is not 4-byte aligned", mn,
             (unsigned long long)dram);
    return false;
  }
  if (valid > 0) {
    uint64_t ds1 = isa_get(w, FLD_DMA_DS1), ds2 = isa_get(w, FLD_DMA_DS2),
             ds3 = isa_get(w, FLD_DMA_DS3);
    uint64_t last =
        add_sat(add_sat(box_end(0, hi1 - lo1, ds1, hi0 - lo0, 1), mul_sat(n[2] - 1, ds2)),
                mul_sat(n[3] - 1, ds3));
    uint64_t end = add_sat(dram, add_sat(mul_sat(last, 4), 4)); /* one past the last byte */
    const EbinTensor *home = tensor_index_find(tensors, dram);
    if (!home) {
      snprintf(msg, msg_size, "%s: DRAM address %llu is not inside any tensor", mn,
               (unsigned long long)dram);
      return false;
    }
    uint64_t home_end = home->dram_offset + ebin_tensor_elems(home) * 4;
    if (end > home_end) {
      snprintf(msg, msg_size, "%s: DRAM bytes %llu..%llu run past the end of tensor '%s' (%llu)",
               mn, (unsigned long long)dram, (unsigned long long)(end - 1), home->name,
               (unsigned long long)home_end);
      return false;
    }
  }
  d->dram_bytes = valid * 4;
  if (valid > 0) {
    uint64_t rows[3] = {hi1 - lo1, n[2], n[3]};
    uint64_t strides[3] = {isa_get(w, FLD_DMA_DS1), isa_get(w, FLD_DMA_DS2),
                           isa_get(w, FLD_DMA_DS3)};
    d->dram_bursts = sim_dma_bursts(dram, (hi0 - lo0) * 4, rows, strides, arch->dram_burst_bytes);
  }
  d->busy = valid ? (uint64_t)ceil((double)(d->dram_bursts * arch->dram_burst_bytes) /
                                       arch->dram_bytes_per_cycle -
                                   1e-9)
                  : 1;
  if (d->busy == 0)
    d->busy = 1;
  d->latency = valid ? arch->dram_latency : 0;
  bool exact = (n[1] == 1 || ss1 == n[0]) && (n[2] == 1 || ss2 == n[0] * n[1]) &&
               (n[3] == 1 || ss3 == n[0] * n[1] * n[2]);
  if (d->op->kind == K_LOAD) {
    d->wr_lo = sram;
    d->wr_hi = sram_hi;
    d->wr_exact = exact;
    d->buf_wr_bytes = elems * 4;
  } else {
    /* A store reads only its valid window: exact when that is the box. */
    add_read(d, sram, sram_hi, exact && valid == elems);
    d->buf_rd_bytes = valid * 4;
  }
  return true;
}

static bool decode_mm(const uint32_t *w, const Arch *arch, Decoded *d, char *msg, size_t msg_size) {
  const char *mn = d->op->mnemonic;
  uint64_t m = isa_get(w, FLD_MM_M), k = isa_get(w, FLD_MM_K), n = isa_get(w, FLD_MM_N);
  uint64_t words = arch_buffer_words(arch);
  if (m == 0 || k == 0 || n == 0) {
    snprintf(msg, msg_size, "%s: m, k and n must be at least 1 (m=%llu k=%llu n=%llu)", mn,
             (unsigned long long)m, (unsigned long long)k, (unsigned long long)n);
    return false;
  }
  if (mul_sat(m, k) > words || mul_sat(k, n) > words || mul_sat(m, n) > words) {
    snprintf(msg, msg_size, "%s: an operand of %llux%llux%llu is larger than the buffer", mn,
             (unsigned long long)m, (unsigned long long)k, (unsigned long long)n);
    return false;
  }
  uint64_t a = isa_get(w, FLD_MM_A), lda = isa_get(w, FLD_MM_LDA);
  uint64_t b = isa_get(w, FLD_MM_B), ldb = isa_get(w, FLD_MM_LDB);
  uint64_t c = isa_get(w, FLD_MM_C), ldc = isa_get(w, FLD_MM_LDC);
  bool ta = isa_get(w, FLD_MM_TA), tb = isa_get(w, FLD_MM_TB), acc = isa_get(w, FLD_MM_ACC);
  uint64_t a_hi = ta ? box_end(a, k, lda, m, 1) : box_end(a, m, lda, k, 1);
  uint64_t b_hi = tb ? box_end(b, n, ldb, k, 1) : box_end(b, k, ldb, n, 1);
  uint64_t c_hi = box_end(c, m, ldc, n, 1);
  if (!in_buffer(arch, "a", a, a_hi, msg, msg_size, mn) ||
      !in_buffer(arch, "b", b, b_hi, msg, msg_size, mn) ||
      !in_buffer(arch, "c", c, c_hi, msg, msg_size, mn))
    return false;
  add_read(d, a, a_hi, ta ? box_exact(k, lda, m, 1) : box_exact(m, lda, k, 1));
  add_read(d, b, b_hi, tb ? box_exact(n, ldb, k, 1) : box_exact(k, ldb, n, 1));
  if (acc)
    add_read(d, c, c_hi, box_exact(m, ldc, n, 1));
  d->wr_lo = c;
  d->wr_hi = c_hi;
  d->wr_exact = box_exact(m, ldc, n, 1);
  uint64_t col_passes = ceil_div(n, arch->mx_cols);
  uint64_t passes = ceil_div(k, arch->mx_rows) * col_passes;
  d->busy = passes * (m > arch->mx_rows ? m : arch->mx_rows);
  d->latency = arch->mx_latency;
  d->macs = m * k * n;
  d->buf_rd_bytes = 4 * (m * k * col_passes + k * n + (acc ? m * n : 0));
  d->buf_wr_bytes = 4 * m * n;
  return true;
}

static bool decode_vec(const uint32_t *w, const Arch *arch, Decoded *d, char *msg,
                       size_t msg_size) {
  const IsaOp *op = d->op;
  const char *mn = op->mnemonic;
  uint64_t rows = isa_get(w, FLD_V_ROWS), cols = isa_get(w, FLD_V_COLS);
  if (rows == 0 || cols == 0) {
    snprintf(msg, msg_size, "%s: rows and cols must be at least 1", mn);
    return false;
  }
  uint64_t elems = mul_sat(rows, cols);
  if (elems > arch_buffer_words(arch)) {
    snprintf(msg, msg_size, "%s: %llu elements, more than the buffer holds", mn,
             (unsigned long long)elems);
    return false;
  }
  uint64_t dst = isa_get(w, FLD_V_D);
  uint64_t d_hi = op->kind == K_REDUCE
                      ? box_end(dst, rows, isa_get(w, FLD_V_DRS), 1, 0)
                      : box_end(dst, rows, isa_get(w, FLD_V_DRS), cols, isa_get(w, FLD_V_DCS));
  if (!in_buffer(arch, "d", dst, d_hi, msg, msg_size, mn))
    return false;
  d->wr_lo = dst;
  d->wr_hi = d_hi;
  d->wr_exact = op->kind == K_REDUCE
                    ? box_exact(rows, isa_get(w, FLD_V_DRS), 1, 0)
                    : box_exact(rows, isa_get(w, FLD_V_DRS), cols, isa_get(w, FLD_V_DCS));
  static const IsaFieldId src[3][3] = {{FLD_V_A, FLD_V_ARS, FLD_V_ACS},
                                       {FLD_V_B, FLD_V_BRS, FLD_V_BCS},
                                       {FLD_V_C, FLD_V_CRS, FLD_V_CCS}};
  static const char *src_name[3] = {"a", "b", "c"};
  unsigned nsrc = 0;
  switch (op->kind) {
  case K_UNARY:
  case K_REDUCE:
    nsrc = 1;
    break;
  case K_BINARY:
    nsrc = isa_get(w, FLD_V_IMMF) ? 1 : 2;
    break;
  case K_SELECT:
    nsrc = 3;
    break;
  default:
    nsrc = 0;
  }
  uint64_t banks[3];
  for (unsigned i = 0; i < nsrc; i++) {
    uint64_t lo = isa_get(w, src[i][0]);
    uint64_t hi = box_end(lo, rows, isa_get(w, src[i][1]), cols, isa_get(w, src[i][2]));
    if (!in_buffer(arch, src_name[i], lo, hi, msg, msg_size, mn))
      return false;
    add_read(d, lo, hi, box_exact(rows, isa_get(w, src[i][1]), cols, isa_get(w, src[i][2])));
    banks[i] = lo / arch_bank_words(arch);
  }
  bool acc = op->kind == K_REDUCE && isa_get(w, FLD_V_ACC);
  if (acc)
    add_read(d, dst, d_hi, d->wr_exact); /* the old d; fits: at most 3 reads otherwise unused */
  bool conflict = false;
  for (unsigned i = 0; i < nsrc; i++)
    for (unsigned j = i + 1; j < nsrc; j++)
      conflict |= banks[i] == banks[j];
  uint64_t beats = rows * ceil_div(cols, arch->vec_lanes);
  if (op->special) {
    d->busy = beats * arch->vec_special_cycles;
    d->latency = arch->vec_special_latency;
    d->special_elems = elems;
  } else {
    d->busy = beats;
    d->latency = arch->vec_latency;
    d->vec_elems = elems;
  }
  if (conflict)
    d->busy *= 2;
  uint64_t out = op->kind == K_REDUCE ? rows : elems;
  d->buf_rd_bytes = 4 * (nsrc * elems + (acc ? rows : 0));
  d->buf_wr_bytes = 4 * out;
  return true;
}

static bool decode_scan(const uint32_t *w, const Arch *arch, Decoded *d, char *msg,
                        size_t msg_size) {
  const char *mn = d->op->mnemonic;
  uint64_t t = isa_get(w, FLD_S_T), c = isa_get(w, FLD_S_C);
  if (t == 0 || c == 0) {
    snprintf(msg, msg_size, "%s: t and c must be at least 1", mn);
    return false;
  }
  if (mul_sat(t, c) > arch_buffer_words(arch)) {
    snprintf(msg, msg_size, "%s: %llux%llu steps, more than the buffer holds", mn,
             (unsigned long long)t, (unsigned long long)c);
    return false;
  }
  uint64_t a = isa_get(w, FLD_S_A), b = isa_get(w, FLD_S_B), y = isa_get(w, FLD_S_Y),
           h = isa_get(w, FLD_S_H);
  uint64_t a_hi = box_end(a, t, isa_get(w, FLD_S_ARS), c, 1);
  uint64_t b_hi = box_end(b, t, isa_get(w, FLD_S_BRS), c, 1);
  uint64_t y_hi = box_end(y, t, isa_get(w, FLD_S_YRS), c, 1);
  uint64_t h_hi = box_end(h, 1, 0, c, 1);
  if (!in_buffer(arch, "a", a, a_hi, msg, msg_size, mn) ||
      !in_buffer(arch, "b", b, b_hi, msg, msg_size, mn) ||
      !in_buffer(arch, "y", y, y_hi, msg, msg_size, mn) ||
      !in_buffer(arch, "h", h, h_hi, msg, msg_size, mn))
    return false;
  if (!(y_hi < h || h_hi < y)) {
    snprintf(msg, msg_size, "%s: the output y and the state h overlap", mn);
    return false;
  }
  add_read(d, a, a_hi, box_exact(t, isa_get(w, FLD_S_ARS), c, 1));
  add_read(d, b, b_hi, box_exact(t, isa_get(w, FLD_S_BRS), c, 1));
  if (!isa_get(w, FLD_S_INIT))
    add_read(d, h, h_hi, true);
  /* y and h are written; the write box covers both (exact only when they
   * abut). */
  d->wr_lo = y < h ? y : h;
  d->wr_hi = y_hi > h_hi ? y_hi : h_hi;
  d->wr_exact = box_exact(t, isa_get(w, FLD_S_YRS), c, 1) && (y_hi + 1 == h || h_hi + 1 == y);
  uint64_t groups = ceil_div(c, arch->scan_lanes);
  d->busy = t * (groups > arch->scan_latency ? groups : arch->scan_latency);
  d->latency = 0;
  d->scan_steps = t * c;
  d->buf_rd_bytes = 4 * (2 * t * c + (isa_get(w, FLD_S_INIT) ? 0 : c));
  d->buf_wr_bytes = 4 * (t * c + c);
  return true;
}

static int by_offset_cmp(const void *a, const void *b) {
  const EbinTensor *const *x = a, *const *y = b;
  return (*x)->dram_offset < (*y)->dram_offset ? -1 : (*x)->dram_offset > (*y)->dram_offset;
}

void tensor_index_build(const Ebin *bin, TensorIndex *ix) {
  ix->count = bin->tensor_count;
  ix->by_offset = calloc(ix->count + 1, sizeof *ix->by_offset);
  if (!ix->by_offset)
    abort();
  for (size_t i = 0; i < ix->count; i++)
    ix->by_offset[i] = &bin->tensors[i];
  qsort(ix->by_offset, ix->count, sizeof *ix->by_offset, by_offset_cmp);
}

void tensor_index_free(TensorIndex *ix) {
  free(ix->by_offset);
  ix->by_offset = NULL;
  ix->count = 0;
}

const EbinTensor *tensor_index_find(const TensorIndex *ix, uint64_t byte) {
  /* The last tensor starting at or before the byte (placements are disjoint). */
  size_t lo = 0, hi = ix->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (ix->by_offset[mid]->dram_offset <= byte)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return NULL;
  const EbinTensor *t = ix->by_offset[lo - 1];
  return byte < t->dram_offset + ebin_tensor_elems(t) * 4 ? t : NULL;
}

bool sim_decode(const uint32_t *words, const Arch *arch, const TensorIndex *tensors, Decoded *d,
                char *msg, size_t msg_size) {
  memset(d, 0, sizeof *d);
  d->op = isa_op_by_opcode(isa_get(words, FLD_OPCODE));
  d->unit = (uint8_t)d->op->unit;
  d->wait = (uint8_t)isa_get(words, FLD_WAIT);
  d->signal = (uint8_t)isa_get(words, FLD_SIGNAL);
  d->wr_lo = 1;
  d->wr_hi = 0; /* empty until set */
  switch (d->op->format) {
  case FMT_DMA:
    return decode_dma(words, arch, tensors, d, msg, msg_size);
  case FMT_MM:
    return decode_mm(words, arch, d, msg, msg_size);
  case FMT_VEC:
    return decode_vec(words, arch, d, msg, msg_size);
  case FMT_SCAN:
    return decode_scan(words, arch, d, msg, msg_size);
  case FMT_LOOP:
  case FMT_COUNT:
    break;
  }
  snprintf(msg, msg_size, "%s: not an instruction of a unit (the dispatcher expands it)",
           d->op->mnemonic);
  return false;
}

/* A loop's ring lies in the buffer. */
static bool check_ring(const uint32_t *w, const Arch *arch, char *msg, size_t msg_size) {
  uint64_t rb = isa_get(w, FLD_L_RB), rs = isa_get(w, FLD_L_RS);
  uint64_t words = arch_buffer_words(arch);
  if (rs && rb + rs > words) {
    snprintf(msg, msg_size, "loop: the ring [%llu, %llu) passes the end of the %llu-word buffer",
             (unsigned long long)rb, (unsigned long long)(rb + rs), (unsigned long long)words);
    return false;
  }
  return true;
}

/* The instruction with every address field at its smallest (or largest)
 * value over the iterations of its loops. Operands grow upwards from their
 * address, so these two decide whether every iteration is in range. A DMA's
 * valid window is at its widest in both (every lo at its smallest, every hi
 * at its largest), which moves the most DRAM bytes from the address. */
static void extreme_words(const uint32_t *code, size_t x, const LoopPath *p, bool largest,
                          uint32_t *out) {
  memcpy(out, code + x * ISA_WORDS, ISA_BYTES);
  const IsaOp *op = isa_op_by_opcode(isa_get(out, FLD_OPCODE));
  size_t na;
  const IsaFieldId *ids = isa_format_addr_fields(op->format, &na);
  for (size_t k = 0; k < na; k++) {
    LoopField f;
    int64_t lo, hi;
    loop_field_model(code, x, p, ids[k], &f);
    loop_field_range(&f, p, &lo, &hi);
    bool high = largest;
    if (f.kind == ADDR_WINDOW)
      high = ids[k] == FLD_DMA_HI0 || ids[k] == FLD_DMA_HI1;
    isa_set(out, ids[k], (uint32_t)(high ? hi : lo));
  }
}

/* A stepped valid window never closes past empty: in every iteration each
 * lo is at most its hi (checked with the largest lo against the smallest
 * hi, which is conservative when both step). */
static bool check_window_open(const uint32_t *code, size_t x, const LoopPath *p, char *msg,
                              size_t msg_size) {
  static const IsaFieldId bounds[2][2] = {{FLD_DMA_LO0, FLD_DMA_HI0}, {FLD_DMA_LO1, FLD_DMA_HI1}};
  const uint32_t *w = code + x * ISA_WORDS;
  for (int d = 0; d < 2; d++) {
    LoopField lo_f, hi_f;
    int64_t lo_min, lo_max, hi_min, hi_max;
    loop_field_model(code, x, p, bounds[d][0], &lo_f);
    loop_field_model(code, x, p, bounds[d][1], &hi_f);
    loop_field_range(&lo_f, p, &lo_min, &lo_max);
    loop_field_range(&hi_f, p, &hi_min, &hi_max);
    if (hi_max == 0) /* the whole extent in every iteration */
      hi_min = isa_get(w, d == 0 ? FLD_DMA_N0 : FLD_DMA_N1);
    if (lo_max > hi_min) {
      snprintf(msg, msg_size,
               "the valid window of dimension %d may close in some iteration (lo%d up to %lld, "
               "hi%d down to %lld)",
               d, d, (long long)lo_max, d, (long long)hi_min);
      return false;
    }
  }
  return true;
}

/* Every iteration's DRAM range lies in one tensor: the first and the last
 * do, and it is the same one (the ranges in between lie between them). */
static bool check_dma_one_tensor(const uint32_t *lo_w, const uint32_t *hi_w,
                                 const TensorIndex *tensors, const Decoded *d, char *msg,
                                 size_t msg_size) {
  if (d->dram_bytes == 0)
    return true;
  uint32_t lo = isa_get(lo_w, FLD_DMA_DRAM), hi = isa_get(hi_w, FLD_DMA_DRAM);
  const EbinTensor *a = tensor_index_find(tensors, lo), *b = tensor_index_find(tensors, hi);
  if (a == b)
    return true;
  snprintf(msg, msg_size,
           "%s: its DRAM address steps from %u in tensor '%s' to %u in tensor '%s'; every "
           "iteration must stay in one tensor",
           d->op->mnemonic, lo, a->name, hi, b->name);
  return false;
}

/* A scan's y and h never overlap: where both step alike (outside a ring)
 * the two extremes show it, else the words they sweep must be disjoint. */
static bool check_scan_apart(const uint32_t *code, size_t x, const LoopPath *p, char *msg,
                             size_t msg_size) {
  const uint32_t *w = code + x * ISA_WORDS;
  LoopField y, h;
  loop_field_model(code, x, p, FLD_S_Y, &y);
  loop_field_model(code, x, p, FLD_S_H, &h);
  if (!y.ring && !h.ring && memcmp(y.step, h.step, sizeof y.step) == 0)
    return true;
  uint64_t t = isa_get(w, FLD_S_T), c = isa_get(w, FLD_S_C);
  int64_t ylo, yhi, hlo, hhi;
  loop_field_range(&y, p, &ylo, &yhi);
  loop_field_range(&h, p, &hlo, &hhi);
  yhi = (int64_t)box_end((uint64_t)yhi, t, isa_get(w, FLD_S_YRS), c, 1);
  hhi += (int64_t)c - 1;
  if (yhi < hlo || hhi < ylo)
    return true;
  snprintf(msg, msg_size,
           "scan: the output y and the state h may overlap in some iteration (y spans words "
           "%lld..%lld over the loop, h %lld..%lld)",
           (long long)ylo, (long long)yhi, (long long)hlo, (long long)hhi);
  return false;
}

/* An instruction its loops repeat: every iteration decodes. */
static bool check_looped(const uint32_t *code, size_t x, const LoopPath *p, const Arch *arch,
                         const TensorIndex *tensors, char *msg, size_t msg_size) {
  uint32_t lo_w[ISA_WORDS], hi_w[ISA_WORDS];
  extreme_words(code, x, p, false, lo_w);
  extreme_words(code, x, p, true, hi_w);
  size_t header = p->loop[p->depth - 1]->header;
  char why[300];
  Decoded d;
  int n = snprintf(msg, msg_size, "instruction %zu (repeated by the loop at instruction %zu", x,
                   header);
  size_t used = n < 0 ? 0 : (size_t)n < msg_size ? (size_t)n : msg_size - 1;
  if (!sim_decode(lo_w, arch, tensors, &d, why, sizeof why)) {
    snprintf(msg + used, msg_size - used, ", at its smallest addresses): %s", why);
    return false;
  }
  if (!sim_decode(hi_w, arch, tensors, &d, why, sizeof why)) {
    snprintf(msg + used, msg_size - used, ", at its largest addresses): %s", why);
    return false;
  }
  bool ok = true;
  if (d.op->format == FMT_DMA)
    ok = check_window_open(code, x, p, why, sizeof why) &&
         check_dma_one_tensor(lo_w, hi_w, tensors, &d, why, sizeof why);
  if (d.op->format == FMT_SCAN)
    ok = check_scan_apart(code, x, p, why, sizeof why);
  if (!ok)
    snprintf(msg + used, msg_size - used, "): %s", why);
  return ok;
}

/* Checks one static instruction against the architecture: outside loops it
 * decodes; in one, copy 0 stands for every iteration (copy 1 only gives the
 * steps, which loop_check has checked). */
static bool check_instr(const Ebin *bin, size_t i, const LoopPath *p, const Arch *arch,
                        const TensorIndex *tensors, char *msg, size_t msg_size) {
  const uint32_t *words = bin->code + i * ISA_WORDS;
  char why[300];
  Decoded d;
  bool ok = true;
  if (isa_get(words, FLD_OPCODE) == ISA_OP_LOOP)
    ok = check_ring(words, arch, why, sizeof why);
  else if (p->depth == 0)
    ok = sim_decode(words, arch, tensors, &d, why, sizeof why);
  else if (loop_primary(p, i) == i)
    return check_looped(bin->code, i, p, arch, tensors, msg, msg_size);
  if (!ok)
    snprintf(msg, msg_size, "instruction %zu: %s", i, why);
  return ok;
}

static bool check_encodings(const Ebin *bin, char *msg, size_t msg_size) {
  for (size_t i = 0; i < bin->instr_count; i++) {
    char why[300];
    if (!isa_check_encoding(bin->code + i * ISA_WORDS, why, sizeof why)) {
      snprintf(msg, msg_size, "instruction %zu: %s", i, why);
      return false;
    }
  }
  return true;
}

bool sim_check(const Ebin *bin, const Arch *arch, char *msg, size_t msg_size) {
  if (bin->dram_bytes > arch->dram_capacity) {
    snprintf(msg, msg_size,
             "the binary's DRAM image (%llu bytes) exceeds the architecture's "
             "dram.capacity_bytes (%llu)",
             (unsigned long long)bin->dram_bytes, (unsigned long long)arch->dram_capacity);
    return false;
  }
  if (!check_encodings(bin, msg, msg_size))
    return false;
  LoopTable loops;
  LoopError e;
  if (!loop_check(bin->code, bin->instr_count, &loops, &e)) {
    snprintf(msg, msg_size, "instruction %zu: %s", e.at, e.msg);
    return false;
  }
  TensorIndex tensors;
  tensor_index_build(bin, &tensors);
  LoopWalk walk;
  loop_walk_init(&walk, &loops);
  bool ok = true;
  for (size_t i = 0; ok && i < bin->instr_count; i++)
    ok = check_instr(bin, i, loop_walk_at(&walk, i), arch, &tensors, msg, msg_size);
  tensor_index_free(&tensors);
  loop_table_free(&loops);
  return ok;
}
