/* The accelerator's instruction set: units, instruction formats, fields and the
 * opcode table. One table drives the assembler, the disassembler, the decoder,
 * the simulator and the manual (docs/isa.md), so they cannot drift apart. */
#ifndef EINC_ISA_H
#define EINC_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every instruction is 16 little-endian 32-bit words (64 bytes). */
#define ISA_WORDS 16
#define ISA_BYTES (ISA_WORDS * 4)

/* Units, each with its own in-order queue. Token masks use bit (1 << unit). */
typedef enum IsaUnit {
  UNIT_LOAD = 0, /* DMA engine, DRAM -> buffer */
  UNIT_STORE,    /* DMA engine, buffer -> DRAM */
  UNIT_MATRIX,   /* rows x cols MAC array */
  UNIT_VECTOR,   /* lanes, with the special-function stage */
  UNIT_SCAN,     /* linear recurrence h = a*h + b */
  UNIT_COUNT,
  /* The `loop` instruction belongs to no unit: the dispatcher expands it. */
  UNIT_NONE = UNIT_COUNT
} IsaUnit;

typedef enum IsaFormat { FMT_DMA, FMT_MM, FMT_VEC, FMT_SCAN, FMT_LOOP, FMT_COUNT } IsaFormat;

typedef enum IsaFieldKind {
  FK_UINT,  /* unsigned integer */
  FK_F32,   /* IEEE binary32 bits, written as a float in assembly */
  FK_UNITS, /* token mask: comma-separated unit names */
  FK_FLAG   /* one bit, 0 or 1 */
} IsaFieldKind;

typedef struct IsaField {
  const char *name; /* assembly keyword: name=value */
  unsigned word;    /* 0..15 */
  unsigned shift;   /* lowest bit within the word */
  unsigned width;   /* bits */
  IsaFieldKind kind;
  const char *doc; /* one line for the manual */
  uint32_t dflt;   /* value when the assembly omits the field */
} IsaField;

/* Semantic classes: what the simulator does with an opcode. */
typedef enum IsaKind {
  K_LOAD,
  K_STORE,
  K_MATMUL,
  K_UNARY,  /* d = f(a) */
  K_BINARY, /* d = f(a, b) or f(a, imm) */
  K_SELECT, /* d = a != 0 ? b : c */
  K_REDUCE, /* d[r] = reduce over columns of a[r, :] */
  K_FILL,   /* d = imm */
  K_SCAN,
  K_LOOP /* repeats the instructions after it (runtime/loop.h) */
} IsaKind;

/* Elementwise functions and reductions (the `func` of an opcode). */
typedef enum IsaFunc {
  F_NONE = 0,
  /* unary */
  F_COPY,
  F_NEG,
  F_ABS,
  F_RELU,
  F_EXP,
  F_LOG,
  F_SQRT,
  F_RSQRT,
  F_RECIP,
  F_SIGMOID,
  F_SILU,
  F_SOFTPLUS,
  F_TANH,
  F_SIN,
  F_COS,
  F_GELU,
  F_NOT,
  /* binary */
  F_ADD,
  F_SUB,
  F_MUL,
  F_DIV,
  F_MAX,
  F_MIN,
  F_POW,
  F_LT,
  F_LE,
  F_GT,
  F_GE,
  F_EQ,
  F_NE,
  F_AND,
  F_OR,
  /* reductions */
  F_RSUM,
  F_RMAX,
  F_RMIN,
  F_RPROD
} IsaFunc;

typedef struct IsaOp {
  uint8_t opcode;
  const char *mnemonic;
  IsaUnit unit;
  IsaFormat format;
  IsaKind kind;
  IsaFunc func;
  bool special; /* runs on the special-function stage (slower, costlier) */
  const char *doc;
} IsaOp;

/* Field indices into isa_fields(); the common header comes first. */
typedef enum IsaFieldId {
  FLD_OPCODE,
  FLD_WAIT,
  FLD_SIGNAL,
  /* DMA */
  FLD_DMA_DRAM,
  FLD_DMA_SRAM,
  FLD_DMA_N0,
  FLD_DMA_N1,
  FLD_DMA_N2,
  FLD_DMA_N3,
  FLD_DMA_DS1,
  FLD_DMA_DS2,
  FLD_DMA_DS3,
  FLD_DMA_SS1,
  FLD_DMA_SS2,
  FLD_DMA_SS3,
  FLD_DMA_LO0,
  FLD_DMA_HI0,
  FLD_DMA_LO1,
  FLD_DMA_HI1,
  /* matrix */
  FLD_MM_ACC,
  FLD_MM_TA,
  FLD_MM_TB,
  FLD_MM_M,
  FLD_MM_K,
  FLD_MM_N,
  FLD_MM_A,
  FLD_MM_LDA,
  FLD_MM_B,
  FLD_MM_LDB,
  FLD_MM_C,
  FLD_MM_LDC,
  /* vector */
  FLD_V_IMMF,
  FLD_V_ACC,
  FLD_V_IMM,
  FLD_V_ROWS,
  FLD_V_COLS,
  FLD_V_D,
  FLD_V_DRS,
  FLD_V_DCS,
  FLD_V_A,
  FLD_V_ARS,
  FLD_V_ACS,
  FLD_V_B,
  FLD_V_BRS,
  FLD_V_BCS,
  FLD_V_C,
  FLD_V_CRS,
  FLD_V_CCS,
  /* scan */
  FLD_S_INIT,
  FLD_S_T,
  FLD_S_C,
  FLD_S_A,
  FLD_S_ARS,
  FLD_S_B,
  FLD_S_BRS,
  FLD_S_Y,
  FLD_S_YRS,
  FLD_S_H,
  /* loop */
  FLD_L_COUNT,
  FLD_L_BODY,
  FLD_L_RB,
  FLD_L_RS,
  FLD_COUNT
} IsaFieldId;

/* The opcode of `loop`. */
#define ISA_OP_LOOP 0x78

/* What a loop does to a field of the instructions it repeats (docs/isa.md,
 * "Loops"): address fields step from one iteration to the next, buffer
 * addresses may wrap in the loop's ring; every other field is the same in
 * every iteration. */
typedef enum IsaAddrKind {
  ADDR_NONE,   /* not an address: identical in both copies of a loop body */
  ADDR_DRAM,   /* a DRAM byte address: steps, never wraps */
  ADDR_BUFFER, /* a buffer word address: steps, and wraps inside a ring */
  ADDR_WINDOW, /* a bound of a DMA's valid window (lo0 hi0 lo1 hi1): steps, never wraps */
} IsaAddrKind;

const IsaField *isa_field(IsaFieldId id);
/* The fields an instruction of this format has, header included, in order. */
const IsaFieldId *isa_format_fields(IsaFormat fmt, size_t *count);
const char *isa_format_name(IsaFormat fmt);

const IsaOp *isa_ops(size_t *count);
/* NULL when the opcode is not defined. */
const IsaOp *isa_op_by_opcode(unsigned opcode);
const IsaOp *isa_op_by_mnemonic(const char *mnemonic);

/* How loops treat the field (ADDR_NONE for every field of a loop header). */
IsaAddrKind isa_field_addr_kind(IsaFieldId id);
/* The address fields of a format, in field order; *count may be 0. */
const IsaFieldId *isa_format_addr_fields(IsaFormat fmt, size_t *count);

const char *isa_unit_name(IsaUnit u); /* "ld", "st", "mx", "vec", "scan"; "-" for UNIT_NONE */
const char *isa_unit_long_name(IsaUnit u);
int isa_unit_by_name(const char *name); /* -1 if unknown */

uint32_t isa_get(const uint32_t *words, IsaFieldId id);
void isa_set(uint32_t *words, IsaFieldId id, uint32_t value);
/* Largest value the field can hold. */
uint32_t isa_field_max(IsaFieldId id);
/* Whether the opcode uses the field (unused fields must be zero). */
bool isa_op_uses_field(const IsaOp *op, IsaFieldId id);

/* Checks one instruction's encoding on its own (no architecture): a defined
 * opcode, reserved bits zero, token masks naming other units only. On failure
 * writes a message (without the instruction index) to msg. */
bool isa_check_encoding(const uint32_t *words, char *msg, size_t msg_size);

#endif
