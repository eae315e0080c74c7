/* The opcode and field tables of the accelerator (see docs/isa.md). */
#include "runtime/isa.h"

#include <stdio.h>
#include <string.h>

static const IsaField fields[FLD_COUNT] = {
    [FLD_OPCODE] = {"opcode", 0, 0, 8, FK_UINT, "operation code"},
    [FLD_WAIT] = {"wait", 0, 8, 5, FK_UNITS, "pop one token from each named unit before starting"},
    [FLD_SIGNAL] = {"signal", 0, 16, 5, FK_UNITS,
                    "push one token to each named unit on completion"},

    [FLD_DMA_DRAM] = {"dram", 1, 0, 32, FK_UINT, "DRAM byte address of the first valid element"},
    [FLD_DMA_SRAM] = {"sram", 2, 0, 32, FK_UINT, "buffer element address of element (0,0,0,0)"},
    [FLD_DMA_N0] = {"n0", 3, 0, 32, FK_UINT, "extent of dimension 0 (innermost, contiguous)"},
    [FLD_DMA_N1] = {"n1", 4, 0, 32, FK_UINT, "extent of dimension 1", 1},
    [FLD_DMA_N2] = {"n2", 5, 0, 32, FK_UINT, "extent of dimension 2", 1},
    [FLD_DMA_N3] = {"n3", 6, 0, 32, FK_UINT, "extent of dimension 3 (outermost)", 1},
    [FLD_DMA_DS1] = {"ds1", 7, 0, 32, FK_UINT, "DRAM stride of dimension 1, in elements"},
    [FLD_DMA_DS2] = {"ds2", 8, 0, 32, FK_UINT, "DRAM stride of dimension 2, in elements"},
    [FLD_DMA_DS3] = {"ds3", 9, 0, 32, FK_UINT, "DRAM stride of dimension 3, in elements"},
    [FLD_DMA_SS1] = {"ss1", 10, 0, 32, FK_UINT, "buffer stride of dimension 1, in elements"},
    [FLD_DMA_SS2] = {"ss2", 11, 0, 32, FK_UINT, "buffer stride of dimension 2, in elements"},
    [FLD_DMA_SS3] = {"ss3", 12, 0, 32, FK_UINT, "buffer stride of dimension 3, in elements"},
    [FLD_DMA_LO0] = {"lo0", 13, 0, 16, FK_UINT, "first valid index of dimension 0"},
    [FLD_DMA_HI0] = {"hi0", 13, 16, 16, FK_UINT, "end of the valid window of dimension 0 (0: n0)"},
    [FLD_DMA_LO1] = {"lo1", 14, 0, 16, FK_UINT, "first valid index of dimension 1"},
    [FLD_DMA_HI1] = {"hi1", 14, 16, 16, FK_UINT, "end of the valid window of dimension 1 (0: n1)"},

    [FLD_MM_ACC] = {"acc", 0, 24, 1, FK_FLAG, "1: C += A*B; 0: C = A*B"},
    [FLD_MM_TA] = {"ta", 0, 25, 1, FK_FLAG, "1: A is stored transposed, A[m,k] at a + k*lda + m"},
    [FLD_MM_TB] = {"tb", 0, 26, 1, FK_FLAG, "1: B is stored transposed, B[k,n] at b + n*ldb + k"},
    [FLD_MM_M] = {"m", 1, 0, 32, FK_UINT, "rows of A and C"},
    [FLD_MM_K] = {"k", 2, 0, 32, FK_UINT, "contracted extent"},
    [FLD_MM_N] = {"n", 3, 0, 32, FK_UINT, "columns of B and C"},
    [FLD_MM_A] = {"a", 4, 0, 32, FK_UINT, "buffer address of A"},
    [FLD_MM_LDA] = {"lda", 5, 0, 32, FK_UINT, "row stride of A"},
    [FLD_MM_B] = {"b", 6, 0, 32, FK_UINT, "buffer address of B"},
    [FLD_MM_LDB] = {"ldb", 7, 0, 32, FK_UINT, "row stride of B"},
    [FLD_MM_C] = {"c", 8, 0, 32, FK_UINT, "buffer address of C"},
    [FLD_MM_LDC] = {"ldc", 9, 0, 32, FK_UINT, "row stride of C"},

    [FLD_V_IMMF] = {"immb", 0, 24, 1, FK_FLAG, "1: the second operand is the immediate, not b"},
    [FLD_V_ACC] = {"acc", 0, 25, 1, FK_FLAG, "reductions: 1 combines with the old d"},
    [FLD_V_IMM] = {"imm", 1, 0, 32, FK_F32, "immediate operand (binary32)"},
    [FLD_V_ROWS] = {"rows", 2, 0, 32, FK_UINT, "rows of the operation"},
    [FLD_V_COLS] = {"cols", 3, 0, 32, FK_UINT, "columns of the operation (mapped to lanes)"},
    [FLD_V_D] = {"d", 4, 0, 32, FK_UINT, "buffer address of the destination"},
    [FLD_V_DRS] = {"drs", 5, 0, 32, FK_UINT, "row stride of d"},
    [FLD_V_DCS] = {"dcs", 6, 0, 32, FK_UINT, "column stride of d"},
    [FLD_V_A] = {"a", 7, 0, 32, FK_UINT, "buffer address of operand a"},
    [FLD_V_ARS] = {"ars", 8, 0, 32, FK_UINT, "row stride of a (0 broadcasts)"},
    [FLD_V_ACS] = {"acs", 9, 0, 32, FK_UINT, "column stride of a (0 broadcasts)"},
    [FLD_V_B] = {"b", 10, 0, 32, FK_UINT, "buffer address of operand b"},
    [FLD_V_BRS] = {"brs", 11, 0, 32, FK_UINT, "row stride of b"},
    [FLD_V_BCS] = {"bcs", 12, 0, 32, FK_UINT, "column stride of b"},
    [FLD_V_C] = {"c", 13, 0, 32, FK_UINT, "buffer address of operand c"},
    [FLD_V_CRS] = {"crs", 14, 0, 32, FK_UINT, "row stride of c"},
    [FLD_V_CCS] = {"ccs", 15, 0, 32, FK_UINT, "column stride of c"},

    [FLD_S_INIT] = {"zero", 0, 24, 1, FK_FLAG, "1: the state starts at 0 instead of h[]"},
    [FLD_S_T] = {"t", 1, 0, 32, FK_UINT, "time steps"},
    [FLD_S_C] = {"c", 2, 0, 32, FK_UINT, "channels (contiguous, mapped to lanes)"},
    [FLD_S_A] = {"a", 3, 0, 32, FK_UINT, "buffer address of the decay a[t, c]"},
    [FLD_S_ARS] = {"ars", 4, 0, 32, FK_UINT, "time stride of a"},
    [FLD_S_B] = {"b", 5, 0, 32, FK_UINT, "buffer address of the input b[t, c]"},
    [FLD_S_BRS] = {"brs", 6, 0, 32, FK_UINT, "time stride of b"},
    [FLD_S_Y] = {"y", 7, 0, 32, FK_UINT, "buffer address of the output y[t, c] = h after step t"},
    [FLD_S_YRS] = {"yrs", 8, 0, 32, FK_UINT, "time stride of y"},
    [FLD_S_H] = {"h", 9, 0, 32, FK_UINT, "buffer address of the state h[c], read and written"},

    [FLD_L_COUNT] = {"count", 1, 0, 32, FK_UINT, "iterations, at least 2"},
    [FLD_L_BODY] = {"body", 2, 0, 32, FK_UINT,
                    "instructions in one copy of the body, at least 1 (two copies follow)"},
    [FLD_L_RB] = {"rb", 3, 0, 32, FK_UINT, "first buffer word of the ring (0 without a ring)"},
    [FLD_L_RS] = {"rs", 4, 0, 32, FK_UINT, "words in the ring; 0: no ring"},
};

static const IsaFieldId dma_fields[] = {
    FLD_OPCODE,  FLD_WAIT,    FLD_SIGNAL,  FLD_DMA_DRAM, FLD_DMA_SRAM, FLD_DMA_N0,  FLD_DMA_N1,
    FLD_DMA_N2,  FLD_DMA_N3,  FLD_DMA_DS1, FLD_DMA_DS2,  FLD_DMA_DS3,  FLD_DMA_SS1, FLD_DMA_SS2,
    FLD_DMA_SS3, FLD_DMA_LO0, FLD_DMA_HI0, FLD_DMA_LO1,  FLD_DMA_HI1};
static const IsaFieldId mm_fields[] = {FLD_OPCODE, FLD_WAIT, FLD_SIGNAL, FLD_MM_ACC, FLD_MM_TA,
                                       FLD_MM_TB,  FLD_MM_M, FLD_MM_K,   FLD_MM_N,   FLD_MM_A,
                                       FLD_MM_LDA, FLD_MM_B, FLD_MM_LDB, FLD_MM_C,   FLD_MM_LDC};
static const IsaFieldId vec_fields[] = {FLD_OPCODE, FLD_WAIT,   FLD_SIGNAL, FLD_V_IMMF, FLD_V_ACC,
                                        FLD_V_IMM,  FLD_V_ROWS, FLD_V_COLS, FLD_V_D,    FLD_V_DRS,
                                        FLD_V_DCS,  FLD_V_A,    FLD_V_ARS,  FLD_V_ACS,  FLD_V_B,
                                        FLD_V_BRS,  FLD_V_BCS,  FLD_V_C,    FLD_V_CRS,  FLD_V_CCS};
static const IsaFieldId scan_fields[] = {FLD_OPCODE, FLD_WAIT,  FLD_SIGNAL, FLD_S_INIT, FLD_S_T,
                                         FLD_S_C,    FLD_S_A,   FLD_S_ARS,  FLD_S_B,    FLD_S_BRS,
                                         FLD_S_Y,    FLD_S_YRS, FLD_S_H};
/* No wait or signal: the instructions a loop repeats carry the tokens. */
static const IsaFieldId loop_fields[] = {FLD_OPCODE, FLD_L_COUNT, FLD_L_BODY, FLD_L_RB, FLD_L_RS};

/* The fields a loop steps (docs/isa.md, "Loops"), per format. */
static const IsaFieldId dma_addr[] = {FLD_DMA_DRAM, FLD_DMA_SRAM, FLD_DMA_LO0,
                                      FLD_DMA_HI0,  FLD_DMA_LO1,  FLD_DMA_HI1};
static const IsaFieldId mm_addr[] = {FLD_MM_A, FLD_MM_B, FLD_MM_C};
static const IsaFieldId vec_addr[] = {FLD_V_D, FLD_V_A, FLD_V_B, FLD_V_C};
static const IsaFieldId scan_addr[] = {FLD_S_A, FLD_S_B, FLD_S_Y, FLD_S_H};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

const IsaField *isa_field(IsaFieldId id) { return &fields[id]; }

const IsaFieldId *isa_format_fields(IsaFormat fmt, size_t *count) {
  switch (fmt) {
  case FMT_DMA:
    *count = N_OF(dma_fields);
    return dma_fields;
  case FMT_MM:
    *count = N_OF(mm_fields);
    return mm_fields;
  case FMT_VEC:
    *count = N_OF(vec_fields);
    return vec_fields;
  case FMT_SCAN:
    *count = N_OF(scan_fields);
    return scan_fields;
  case FMT_LOOP:
  case FMT_COUNT:
    break;
  }
  *count = N_OF(loop_fields);
  return loop_fields;
}

const IsaFieldId *isa_format_addr_fields(IsaFormat fmt, size_t *count) {
  switch (fmt) {
  case FMT_DMA:
    *count = N_OF(dma_addr);
    return dma_addr;
  case FMT_MM:
    *count = N_OF(mm_addr);
    return mm_addr;
  case FMT_VEC:
    *count = N_OF(vec_addr);
    return vec_addr;
  case FMT_SCAN:
    *count = N_OF(scan_addr);
    return scan_addr;
  case FMT_LOOP:
  case FMT_COUNT:
    break;
  }
  *count = 0;
  return NULL;
}

IsaAddrKind isa_field_addr_kind(IsaFieldId id) {
  switch (id) {
  case FLD_DMA_DRAM:
    return ADDR_DRAM;
  case FLD_DMA_SRAM:
  case FLD_MM_A:
  case FLD_MM_B:
  case FLD_MM_C:
  case FLD_V_D:
  case FLD_V_A:
  case FLD_V_B:
  case FLD_V_C:
  case FLD_S_A:
  case FLD_S_B:
  case FLD_S_Y:
  case FLD_S_H:
    return ADDR_BUFFER;
  case FLD_DMA_LO0:
  case FLD_DMA_HI0:
  case FLD_DMA_LO1:
  case FLD_DMA_HI1:
    return ADDR_WINDOW;
  default:
    return ADDR_NONE;
  }
}

const char *isa_format_name(IsaFormat fmt) {
  static const char *names[] = {"DMA", "MM", "VEC", "SCAN", "LOOP"};
  return fmt < FMT_COUNT ? names[fmt] : "?";
}

/* The opcode table. The numbering groups opcodes by unit; gaps are reserved. */
static const IsaOp ops[] = {
    {0x01, "dma.ld", UNIT_LOAD, FMT_DMA, K_LOAD, F_NONE, false,
     "load a strided 4-D box from DRAM into the buffer, zero-filling outside the valid window"},
    {0x02, "dma.st", UNIT_STORE, FMT_DMA, K_STORE, F_NONE, false,
     "store the valid window of a strided 4-D box from the buffer to DRAM"},
    {0x10, "mm", UNIT_MATRIX, FMT_MM, K_MATMUL, F_NONE, false,
     "C[m,n] (+)= sum over k of A[m,k] * B[k,n]"},

    {0x20, "v.copy", UNIT_VECTOR, FMT_VEC, K_UNARY, F_COPY, false, "d = a"},
    {0x21, "v.neg", UNIT_VECTOR, FMT_VEC, K_UNARY, F_NEG, false, "d = -a"},
    {0x22, "v.abs", UNIT_VECTOR, FMT_VEC, K_UNARY, F_ABS, false, "d = |a|"},
    {0x23, "v.relu", UNIT_VECTOR, FMT_VEC, K_UNARY, F_RELU, false, "d = max(a, 0)"},
    {0x24, "v.not", UNIT_VECTOR, FMT_VEC, K_UNARY, F_NOT, false, "d = (a == 0) ? 1 : 0"},
    {0x28, "v.exp", UNIT_VECTOR, FMT_VEC, K_UNARY, F_EXP, true, "d = exp(a)"},
    {0x29, "v.log", UNIT_VECTOR, FMT_VEC, K_UNARY, F_LOG, true, "d = log(a)"},
    {0x2a, "v.sqrt", UNIT_VECTOR, FMT_VEC, K_UNARY, F_SQRT, true, "d = sqrt(a)"},
    {0x2b, "v.rsqrt", UNIT_VECTOR, FMT_VEC, K_UNARY, F_RSQRT, true, "d = 1 / sqrt(a)"},
    {0x2c, "v.recip", UNIT_VECTOR, FMT_VEC, K_UNARY, F_RECIP, true, "d = 1 / a"},
    {0x2d, "v.sigmoid", UNIT_VECTOR, FMT_VEC, K_UNARY, F_SIGMOID, true, "d = 1 / (1 + exp(-a))"},
    {0x2e, "v.silu", UNIT_VECTOR, FMT_VEC, K_UNARY, F_SILU, true, "d = a * sigmoid(a)"},
    {0x2f, "v.softplus", UNIT_VECTOR, FMT_VEC, K_UNARY, F_SOFTPLUS, true,
     "d = log(1 + exp(a)), without overflow"},
    {0x30, "v.tanh", UNIT_VECTOR, FMT_VEC, K_UNARY, F_TANH, true, "d = tanh(a)"},
    {0x31, "v.sin", UNIT_VECTOR, FMT_VEC, K_UNARY, F_SIN, true, "d = sin(a)"},
    {0x32, "v.cos", UNIT_VECTOR, FMT_VEC, K_UNARY, F_COS, true, "d = cos(a)"},
    {0x33, "v.gelu", UNIT_VECTOR, FMT_VEC, K_UNARY, F_GELU, true,
     "d = 0.5*a*(1 + tanh(0.7978845608*(a + 0.044715*a^3)))"},

    {0x40, "v.add", UNIT_VECTOR, FMT_VEC, K_BINARY, F_ADD, false, "d = a + b"},
    {0x41, "v.sub", UNIT_VECTOR, FMT_VEC, K_BINARY, F_SUB, false, "d = a - b"},
    {0x42, "v.mul", UNIT_VECTOR, FMT_VEC, K_BINARY, F_MUL, false, "d = a * b"},
    {0x43, "v.max", UNIT_VECTOR, FMT_VEC, K_BINARY, F_MAX, false, "d = max(a, b)"},
    {0x44, "v.min", UNIT_VECTOR, FMT_VEC, K_BINARY, F_MIN, false, "d = min(a, b)"},
    {0x45, "v.lt", UNIT_VECTOR, FMT_VEC, K_BINARY, F_LT, false, "d = (a < b) ? 1 : 0"},
    {0x46, "v.le", UNIT_VECTOR, FMT_VEC, K_BINARY, F_LE, false, "d = (a <= b) ? 1 : 0"},
    {0x47, "v.gt", UNIT_VECTOR, FMT_VEC, K_BINARY, F_GT, false, "d = (a > b) ? 1 : 0"},
    {0x48, "v.ge", UNIT_VECTOR, FMT_VEC, K_BINARY, F_GE, false, "d = (a >= b) ? 1 : 0"},
    {0x49, "v.eq", UNIT_VECTOR, FMT_VEC, K_BINARY, F_EQ, false, "d = (a == b) ? 1 : 0"},
    {0x4a, "v.ne", UNIT_VECTOR, FMT_VEC, K_BINARY, F_NE, false, "d = (a != b) ? 1 : 0"},
    {0x4b, "v.and", UNIT_VECTOR, FMT_VEC, K_BINARY, F_AND, false, "d = (a != 0 && b != 0) ? 1 : 0"},
    {0x4c, "v.or", UNIT_VECTOR, FMT_VEC, K_BINARY, F_OR, false, "d = (a != 0 || b != 0) ? 1 : 0"},
    {0x50, "v.div", UNIT_VECTOR, FMT_VEC, K_BINARY, F_DIV, true, "d = a / b"},
    {0x51, "v.pow", UNIT_VECTOR, FMT_VEC, K_BINARY, F_POW, true, "d = pow(a, b)"},

    {0x58, "v.sel", UNIT_VECTOR, FMT_VEC, K_SELECT, F_NONE, false,
     "d = (a != 0) ? b : c (only the chosen value is read into d)"},
    {0x60, "v.rsum", UNIT_VECTOR, FMT_VEC, K_REDUCE, F_RSUM, false,
     "d[r] = sum over columns of a[r, :] (acc: d[r] += ...)"},
    {0x61, "v.rmax", UNIT_VECTOR, FMT_VEC, K_REDUCE, F_RMAX, false,
     "d[r] = max over columns of a[r, :] (acc: max with d[r])"},
    {0x62, "v.rmin", UNIT_VECTOR, FMT_VEC, K_REDUCE, F_RMIN, false,
     "d[r] = min over columns of a[r, :] (acc: min with d[r])"},
    {0x63, "v.rprod", UNIT_VECTOR, FMT_VEC, K_REDUCE, F_RPROD, false,
     "d[r] = product over columns of a[r, :] (acc: d[r] *= ...)"},
    {0x68, "v.fill", UNIT_VECTOR, FMT_VEC, K_FILL, F_NONE, false, "d = imm"},

    {0x70, "scan", UNIT_SCAN, FMT_SCAN, K_SCAN, F_NONE, false,
     "for t in 0..T-1: h[c] = a[t,c]*h[c] + b[t,c]; y[t,c] = h[c]"},

    {ISA_OP_LOOP, "loop", UNIT_NONE, FMT_LOOP, K_LOOP, F_NONE, false,
     "run the body `count` times: iteration i is copy 0 with each address field stepped i times "
     "by its difference in copy 1 (expanded by the dispatcher, no cycles)"},
};

const IsaOp *isa_ops(size_t *count) {
  *count = N_OF(ops);
  return ops;
}

const IsaOp *isa_op_by_opcode(unsigned opcode) {
  /* A direct table, filled on first use: decode is on the simulator's hot path. */
  static const IsaOp *by_opcode[256];
  static bool filled;
  if (!filled) {
    for (size_t i = 0; i < N_OF(ops); i++)
      by_opcode[ops[i].opcode] = &ops[i];
    filled = true;
  }
  return opcode < 256 ? by_opcode[opcode] : NULL;
}

const IsaOp *isa_op_by_mnemonic(const char *mnemonic) {
  for (size_t i = 0; i < N_OF(ops); i++)
    if (strcmp(ops[i].mnemonic, mnemonic) == 0)
      return &ops[i];
  return NULL;
}

static const char *unit_names[UNIT_COUNT] = {"ld", "st", "mx", "vec", "scan"};
static const char *unit_long_names[UNIT_COUNT] = {"load", "store", "matrix", "vector", "scan"};

const char *isa_unit_name(IsaUnit u) { return u < UNIT_COUNT ? unit_names[u] : "-"; }
const char *isa_unit_long_name(IsaUnit u) {
  return u < UNIT_COUNT ? unit_long_names[u] : "dispatcher";
}

int isa_unit_by_name(const char *name) {
  for (int u = 0; u < UNIT_COUNT; u++)
    if (strcmp(unit_names[u], name) == 0)
      return u;
  return -1;
}

uint32_t isa_field_max(IsaFieldId id) {
  unsigned w = fields[id].width;
  return w >= 32 ? UINT32_MAX : (UINT32_C(1) << w) - 1;
}

uint32_t isa_get(const uint32_t *words, IsaFieldId id) {
  const IsaField *f = &fields[id];
  return (words[f->word] >> f->shift) & isa_field_max(id);
}

void isa_set(uint32_t *words, IsaFieldId id, uint32_t value) {
  const IsaField *f = &fields[id];
  uint32_t mask = isa_field_max(id);
  words[f->word] = (words[f->word] & ~(mask << f->shift)) | ((value & mask) << f->shift);
}

bool isa_op_uses_field(const IsaOp *op, IsaFieldId id) {
  switch (id) {
  case FLD_V_IMMF:
    return op->kind == K_BINARY;
  case FLD_V_ACC:
    return op->kind == K_REDUCE;
  case FLD_V_IMM:
    return op->kind == K_BINARY || op->kind == K_FILL;
  case FLD_V_DCS:
    return op->kind != K_REDUCE;
  case FLD_V_A:
  case FLD_V_ARS:
  case FLD_V_ACS:
    return op->kind != K_FILL;
  case FLD_V_B:
  case FLD_V_BRS:
  case FLD_V_BCS:
    return op->kind == K_BINARY || op->kind == K_SELECT;
  case FLD_V_C:
  case FLD_V_CRS:
  case FLD_V_CCS:
    return op->kind == K_SELECT;
  default:
    return true;
  }
}

/* A loop header on its own: the fields that need neither the rest of the
 * program nor the architecture (runtime/loop.h checks the structure). */
static bool check_loop_header(const uint32_t *words, char *msg, size_t msg_size) {
  if ((isa_get(words, FLD_WAIT) | isa_get(words, FLD_SIGNAL)) != 0) {
    snprintf(msg, msg_size,
             "loop: a loop has no wait or signal (the instructions it repeats carry the tokens)");
    return false;
  }
  uint32_t count = isa_get(words, FLD_L_COUNT), body = isa_get(words, FLD_L_BODY);
  uint64_t rb = isa_get(words, FLD_L_RB), rs = isa_get(words, FLD_L_RS);
  if (count < 2) {
    snprintf(msg, msg_size, "loop: count is %u; a loop runs at least 2 iterations", count);
    return false;
  }
  if (body == 0) {
    snprintf(msg, msg_size, "loop: body is 0; a loop repeats at least 1 instruction");
    return false;
  }
  if (rs == 0 && rb != 0) {
    snprintf(msg, msg_size, "loop: rb is %llu but rs is 0 (no ring)", (unsigned long long)rb);
    return false;
  }
  if (rb + rs > (UINT64_C(1) << 32)) {
    snprintf(msg, msg_size, "loop: the ring [%llu, %llu) passes the 32-bit address space",
             (unsigned long long)rb, (unsigned long long)(rb + rs));
    return false;
  }
  return true;
}

bool isa_check_encoding(const uint32_t *words, char *msg, size_t msg_size) {
  unsigned opcode = isa_get(words, FLD_OPCODE);
  const IsaOp *op = isa_op_by_opcode(opcode);
  if (!op) {
    snprintf(msg, msg_size, "unknown opcode 0x%02x", opcode);
    return false;
  }
  if (op->kind == K_LOOP && !check_loop_header(words, msg, msg_size))
    return false;
  uint32_t used[ISA_WORDS] = {0};
  size_t n;
  const IsaFieldId *ids = isa_format_fields(op->format, &n);
  for (size_t i = 0; i < n; i++) {
    if (!isa_op_uses_field(op, ids[i])) {
      if (isa_get(words, ids[i]) != 0) {
        snprintf(msg, msg_size, "%s: field '%s' is not used by this opcode and must be 0",
                 op->mnemonic, fields[ids[i]].name);
        return false;
      }
      continue;
    }
    used[fields[ids[i]].word] |= isa_field_max(ids[i]) << fields[ids[i]].shift;
  }
  for (unsigned w = 0; w < ISA_WORDS; w++) {
    uint32_t stray = words[w] & ~used[w];
    if (stray) {
      snprintf(msg, msg_size, "%s: reserved bits set in word %u (0x%08x)", op->mnemonic, w, stray);
      return false;
    }
  }
  if (op->kind == K_BINARY && !isa_get(words, FLD_V_IMMF) && isa_get(words, FLD_V_IMM) != 0) {
    snprintf(msg, msg_size, "%s: imm is set but immb is 0", op->mnemonic);
    return false;
  }
  if (op->kind == K_BINARY && isa_get(words, FLD_V_IMMF) &&
      (isa_get(words, FLD_V_B) | isa_get(words, FLD_V_BRS) | isa_get(words, FLD_V_BCS)) != 0) {
    snprintf(msg, msg_size, "%s: operand b is set but immb is 1", op->mnemonic);
    return false;
  }
  if (op->unit == UNIT_NONE)
    return true;
  uint32_t self = UINT32_C(1) << op->unit;
  if (isa_get(words, FLD_WAIT) & self) {
    snprintf(msg, msg_size, "%s: waits for a token from its own unit (%s)", op->mnemonic,
             unit_names[op->unit]);
    return false;
  }
  if (isa_get(words, FLD_SIGNAL) & self) {
    snprintf(msg, msg_size, "%s: signals its own unit (%s)", op->mnemonic, unit_names[op->unit]);
    return false;
  }
  return true;
}
