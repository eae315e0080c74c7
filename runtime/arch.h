/* The accelerator's architecture description: every parameter a user may vary,
 * read from a YAML file (docs/arch.md) or taken from the built-in default,
 * which is the same as arch/default.yaml. */
#ifndef EINC_ARCH_H
#define EINC_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Arch {
  char name[64];
  double clock_ghz;
  /* matrix unit: a rows x cols weight-stationary MAC array */
  uint64_t mx_rows, mx_cols, mx_latency;
  /* vector unit and its special-function stage */
  uint64_t vec_lanes, vec_latency, vec_special_cycles, vec_special_latency;
  /* scan unit */
  uint64_t scan_lanes, scan_latency;
  /* on-chip buffer */
  uint64_t buf_bytes, buf_banks;
  /* DRAM */
  double dram_bytes_per_cycle;
  uint64_t dram_burst_bytes, dram_latency, dram_capacity;
  /* dependency-token queues between units */
  uint64_t token_depth;
  /* energy per action, picojoules */
  double e_dram_byte, e_buf_byte, e_mac, e_vec_op, e_special, e_scan_step;
} Arch;

/* The built-in default architecture. */
void arch_default(Arch *a);

/* Reads an architecture file. On error returns false with "FILE:LINE: MESSAGE"
 * in msg. Every key is required; unknown keys, duplicates, wrong types and
 * values outside the documented ranges are errors. */
bool arch_load(Arch *a, const char *path, char *msg, size_t msg_size);
/* The same, from text in memory; `name` labels messages. */
bool arch_parse(Arch *a, const char *name, const char *text, size_t len, char *msg,
                size_t msg_size);

/* A 64-bit FNV-1a hash of every parameter that affects a binary's meaning or
 * timing (not the name). Binaries record it. */
uint64_t arch_hash(const Arch *a);

/* Buffer words (fp32 elements) and words per bank. */
uint64_t arch_buffer_words(const Arch *a);
uint64_t arch_bank_words(const Arch *a);

/* Writes the parameter table as Markdown (for docs/arch.md) or the default
 * file as YAML. */
void arch_print_table(const Arch *a, void *file);

#endif
