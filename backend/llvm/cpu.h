/* The CPU backend: Loop IR to native code through LLVM.
 *
 * Calling convention of the generated code (also written into the header
 * that `einc compile --target cpu` emits):
 *   void NAME(const float *in..., float *out..., void *workspace);
 *     every input, param and output in declaration order, each a dense
 *     row-major float32 array; `workspace` holds the intermediates and must
 *     have NAME_WORKSPACE_BYTES bytes, 64-byte aligned.
 *   void NAME_run(float **tensors);
 *     one pointer per tensor of the program, in declaration order including
 *     intermediates (the form `einc run` uses).
 * The code is single-threaded and keeps no state between calls. */
#ifndef EINC_CPU_H
#define EINC_CPU_H

#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/TargetMachine.h>

#include "ir/loop.h"

typedef void (*CpuRunFn)(float **tensors);

typedef enum { CPU_EMIT_OBJECT, CPU_EMIT_ASSEMBLY, CPU_EMIT_LLVM_IR } CpuEmitKind;

typedef struct CpuTimes {
  double codegen_s, optimize_s, jit_s;
} CpuTimes;

typedef struct CpuJit CpuJit;

/* The arithmetic and element type of the generated code. F32 is the
 * program's own (every tensor is f32); F64 computes the same Loop IR in
 * double precision, buffers of doubles included, as a reference for the
 * f32 targets (`einc run --precision f64`, `einc check`). The entry points
 * keep their float ** signature: in F64 the pointers point at doubles. */
typedef enum { CPU_F32, CPU_F64 } CpuPrecision;

/* Bytes of one element: 4 or 8. */
int64_t cpu_element_bytes(CpuPrecision precision);

/* The most bytes one buffer, or the workspace, may take: x86-64 and AArch64
 * give user space 47 address bits, so a larger buffer could never be
 * allocated. Below it every element offset and byte size fits in 64 bits. */
#define CPU_MAX_BYTES ((int64_t)1 << 47)

/* Refuses (at the tensor's location) a program whose tensors or workspace
 * exceed CPU_MAX_BYTES. Every other function here assumes it passed. */
bool cpu_check_sizes(const Cascade *c, Diag *d);

/* Bytes of a buffer of `elements` floats rounded up to 64 so that every
 * workspace slice stays cache-line aligned. */
int64_t cpu_aligned_bytes(int64_t elements);
/* The same for elements of this precision. */
int64_t cpu_aligned_bytes_in(int64_t elements, CpuPrecision precision);
int64_t cpu_workspace_bytes(const LoopProgram *p);

/* "PREFIX: MESSAGE" as a malloc'd string; consumes err. */
char *cpu_error_message(const char *prefix, LLVMErrorRef err);

/* Builds the module for `name` (a C identifier) in ctx: f32 code. */
LLVMModuleRef cpu_codegen(const LoopProgram *p, const char *name, LLVMContextRef ctx);
/* The same in the given precision. */
LLVMModuleRef cpu_codegen_in(const LoopProgram *p, const char *name, CpuPrecision precision,
                             LLVMContextRef ctx);

/* A TargetMachine for this host's CPU and features at -O3; NULL with *error
 * (malloc'd) on failure. */
LLVMTargetMachineRef cpu_host_machine(char **error);
/* The floats one vector register of this host holds: 16 with AVX-512, else
 * 8 (what the cache-tiled micro-kernel is sized by, passes/tile_cpu.h). */
int cpu_host_vector_floats(void);

/* Runs the new pass manager's default<O3> pipeline for the host; false with
 * *error (malloc'd) on failure. */
bool cpu_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, char **error);

/* Compiles and links in memory (LLJIT). NULL with *error (malloc'd) on failure. */
CpuJit *cpu_jit(const LoopProgram *p, const char *name, CpuTimes *times, char **error);
/* The same in the given precision. */
CpuJit *cpu_jit_in(const LoopProgram *p, const char *name, CpuPrecision precision, CpuTimes *times,
                   char **error);
CpuRunFn cpu_jit_entry(CpuJit *j);
void cpu_jit_free(CpuJit *j);

/* Writes an object file, assembly or LLVM IR to path (atomically), and a C
 * header beside it when header_path is not NULL. */
bool cpu_emit(const LoopProgram *p, const char *name, CpuEmitKind kind, const char *path,
              const char *header_path, char **error);

#endif
