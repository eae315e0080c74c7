/* Accelerator binaries (.ebin, docs/ebin.md): build one in memory, write it,
 * and read one back with every field, offset and size checked before use. */
#ifndef EINC_EBIN_H
#define EINC_EBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/isa.h"

#define EBIN_VERSION 1
#define EBIN_HEADER_BYTES 64
#define EBIN_TENSOR_BYTES 128
#define EBIN_NAME_BYTES 64
/* A tensor entry holds up to EBIN_ENTRY_DIMS dims itself; a larger rank, up
 * to EBIN_MAX_RANK (as many as a .npy file holds, NPY_MAX_RANK), keeps its
 * dims in a shape blob the entry points to (flag EBIN_FLAG_SHAPE). */
#define EBIN_ENTRY_DIMS 8
#define EBIN_MAX_RANK 16
#define EBIN_FLAG_DATA 1u  /* embedded data follows */
#define EBIN_FLAG_SHAPE 2u /* the dims are in a shape blob */
#define EBIN_ALIGN 64
#define EBIN_MAX_TENSORS 65536
#define EBIN_MAX_INSTRS (UINT64_C(1) << 26)
#define EBIN_MAX_DRAM (UINT64_C(1) << 40)
#define EBIN_DTYPE_F32 1

typedef enum EbinRole {
  EBIN_ROLE_INPUT = 1,  /* given by the user (or seeded random) */
  EBIN_ROLE_PARAM = 2,  /* weights: embedded in the binary, else given or seeded */
  EBIN_ROLE_OUTPUT = 3, /* written out after the run */
  EBIN_ROLE_SCRATCH = 4 /* DRAM space for intermediates */
} EbinRole;

typedef struct EbinTensor {
  char name[EBIN_NAME_BYTES];
  uint32_t dtype; /* EBIN_DTYPE_F32 */
  uint32_t role;  /* EbinRole */
  uint32_t rank;  /* 0..EBIN_MAX_RANK; 0 is a scalar */
  uint32_t dims[EBIN_MAX_RANK];
  uint64_t dram_offset; /* bytes, EBIN_ALIGN-aligned */
  float *data;          /* embedded values (params only), or NULL */
} EbinTensor;

typedef struct Ebin {
  uint64_t arch_hash;
  uint64_t dram_bytes; /* size of the DRAM image */
  size_t tensor_count, tensor_cap;
  EbinTensor *tensors;
  size_t instr_count, instr_cap;
  uint32_t *code; /* instr_count * ISA_WORDS words */
} Ebin;

void ebin_init(Ebin *b, uint64_t arch_hash);
void ebin_free(Ebin *b);

/* Elements of a tensor (product of dims; 1 for a scalar). */
uint64_t ebin_tensor_elems(const EbinTensor *t);
const EbinTensor *ebin_find_tensor(const Ebin *b, const char *name);

/* Adds a tensor placed at the next free aligned DRAM offset (or at `at` when
 * at != UINT64_MAX). `data` (copied; params only) may be NULL. Returns false
 * with a message for a bad name, duplicate, rank (at most EBIN_MAX_RANK),
 * dims or placement. */
bool ebin_add_tensor(Ebin *b, const char *name, EbinRole role, uint32_t rank, const uint32_t *dims,
                     uint64_t at, const float *data, char *msg, size_t msg_size);
void ebin_add_instr(Ebin *b, const uint32_t *words);

/* The file image: header, tensor table, the shape blobs of tensors of rank
 * above EBIN_ENTRY_DIMS, instructions, embedded data. */
bool ebin_serialize(const Ebin *b, uint8_t **out, size_t *out_len, char *msg, size_t msg_size);
bool ebin_write(const Ebin *b, const char *path, char *msg, size_t msg_size);

/* Parses and checks a file image: structure, every field and offset, and each
 * instruction's encoding. Does not need the architecture. */
bool ebin_parse(const uint8_t *data, size_t len, Ebin *b, char *msg, size_t msg_size);
bool ebin_read(const char *path, Ebin *b, char *msg, size_t msg_size);

const char *ebin_role_name(uint32_t role);
int ebin_role_by_name(const char *name); /* -1 if unknown */
bool ebin_valid_name(const char *name);

#endif
