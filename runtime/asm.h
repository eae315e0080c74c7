/* The text form of accelerator programs (docs/isa.md, "Assembly"): an
 * assembler to an in-memory binary and a disassembler back to text that
 * reassembles to the same bytes. */
#ifndef EINC_ASM_H
#define EINC_ASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "runtime/ebin.h"

/* Assembles `text` (named `name` in messages "NAME:LINE: ...") into out,
 * recording arch_hash. Checks syntax, fields, encodings and the loops'
 * structure and copies (loop_check), not addresses against an architecture
 * (sim_check does that). */
bool asm_assemble(const char *name, const char *text, size_t len, uint64_t arch_hash, Ebin *out,
                  char *msg, size_t msg_size);
/* The same from a file ("-" is standard input). */
bool asm_assemble_file(const char *path, uint64_t arch_hash, Ebin *out, char *msg, size_t msg_size);

/* One instruction as text; DRAM addresses are named by the tensor that holds
 * them when b is given. */
void asm_format_instr(const uint32_t *words, const Ebin *b, char *out, size_t cap);
void asm_disassemble(const Ebin *b, FILE *f);
/* The comment line, tensors and embedded data of a disassembly. */
void asm_disassemble_header(const Ebin *b, FILE *f);

#endif
