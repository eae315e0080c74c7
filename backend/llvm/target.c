/* The host target: TargetMachine, the O3 pipeline, and files on disk. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "backend/llvm/cpu.h"
#include "config.h"
#include "runtime/outfile.h"

int64_t cpu_element_bytes(CpuPrecision precision) { return precision == CPU_F64 ? 8 : 4; }

int64_t cpu_aligned_bytes_in(int64_t elements, CpuPrecision precision) {
  return (elements * cpu_element_bytes(precision) + 63) / 64 * 64;
}

int64_t cpu_aligned_bytes(int64_t elements) { return cpu_aligned_bytes_in(elements, CPU_F32); }

int64_t cpu_workspace_bytes(const LoopProgram *p) {
  int64_t n = 0;
  for (int i = 0; i < p->nbuffers; i++)
    if (p->buffers[i]->role == ROLE_INTERMEDIATE)
      n += cpu_aligned_bytes(p->buffers[i]->elements);
  return n;
}

bool cpu_check_sizes(const Cascade *c, Diag *d) {
  const int64_t max_elements = CPU_MAX_BYTES / 4 - 16; /* room for the rounding to 64 */
  int64_t workspace = 0;
  bool ok = true;
  for (int i = 0; i < c->ntensors; i++) {
    const Tensor *t = c->tensors[i];
    int64_t n = tensor_elements(t);
    if (n > max_elements) {
      diag_error(d, t->loc,
                 "'%s' has %lld elements of 4 bytes: more than the %lld bytes (2^47, a 64-bit "
                 "host's user address space) that the cpu target can address",
                 t->name, (long long)n, (long long)CPU_MAX_BYTES);
      ok = false;
      continue;
    }
    if (t->role != ROLE_INTERMEDIATE)
      continue;
    workspace += cpu_aligned_bytes(n); /* each term is below 2^47: no overflow */
    if (workspace > CPU_MAX_BYTES) {
      diag_error(d, t->loc,
                 "the intermediates up to '%s' need %lld bytes of workspace: more than the %lld "
                 "bytes (2^47) that the cpu target can address",
                 t->name, (long long)workspace, (long long)CPU_MAX_BYTES);
      return false;
    }
  }
  return ok;
}

static char *copy_message(const char *prefix, char *llvm_msg) {
  size_t n = strlen(prefix) + (llvm_msg ? strlen(llvm_msg) : 0) + 3;
  char *s = malloc(n);
  snprintf(s, n, "%s%s%s", prefix, llvm_msg ? ": " : "", llvm_msg ? llvm_msg : "");
  if (llvm_msg)
    LLVMDisposeMessage(llvm_msg);
  return s;
}

char *cpu_error_message(const char *prefix, LLVMErrorRef err) {
  char *msg = LLVMGetErrorMessage(err);
  size_t n = strlen(prefix) + strlen(msg) + 3;
  char *s = malloc(n);
  snprintf(s, n, "%s: %s", prefix, msg);
  LLVMDisposeErrorMessage(msg);
  return s;
}

LLVMTargetMachineRef cpu_host_machine(char **error) {
  static bool initialized;
  char *triple = LLVMGetDefaultTargetTriple();
  if (!initialized) {
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
#ifdef HAVE_LIBMVEC
    /* Let the vectorizer call glibc's vector exp/log/sin/cos (libmvec)
     * instead of taking vectors apart for scalar calls: 1.7x on the scan's
     * exp (bench). It is a global LLVM option, set once. */
    if (strncmp(triple, "x86_64", 6) == 0) {
      const char *args[] = {"einc", "-vector-library=LIBMVEC-X86"};
      LLVMParseCommandLineOptions(2, args, NULL);
    }
#endif
    initialized = true;
  }
  LLVMTargetRef target;
  char *msg = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
    *error = copy_message("no LLVM target for this host", msg);
    LLVMDisposeMessage(triple);
    return NULL;
  }
  char *cpu = LLVMGetHostCPUName();
  char *features = LLVMGetHostCPUFeatures();
  /* PIC so that the object links into position-independent executables. */
  LLVMTargetMachineRef tm =
      LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelAggressive,
                              LLVMRelocPIC, LLVMCodeModelDefault);
  LLVMDisposeMessage(triple);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
  if (!tm)
    *error = copy_message("cannot create an LLVM target machine for this host", NULL);
  return tm;
}

bool cpu_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, char **error) {
  char *triple = LLVMGetTargetMachineTriple(tm);
  LLVMSetTarget(mod, triple);
  LLVMDisposeMessage(triple);
  LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(tm);
  LLVMSetModuleDataLayout(mod, layout);
  LLVMDisposeTargetData(layout);
  char *msg = NULL;
  if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
    *error = copy_message("internal error: invalid LLVM IR", msg);
    return false;
  }
  LLVMDisposeMessage(msg);
  LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
  LLVMPassBuilderOptionsSetLoopVectorization(opts, 1);
  LLVMPassBuilderOptionsSetSLPVectorization(opts, 1);
  LLVMPassBuilderOptionsSetLoopUnrolling(opts, 1);
  LLVMErrorRef err = LLVMRunPasses(mod, "default<O3>", tm, opts);
  LLVMDisposePassBuilderOptions(opts);
  if (err) {
    *error = cpu_error_message("LLVM optimization failed", err);
    return false;
  }
  return true;
}

static bool write_header(const LoopProgram *p, const char *name, const char *path) {
  OutFile out;
  FILE *f = outfile_open(&out, path);
  if (!f)
    return false;
  fprintf(f,
          "/* Generated by einc from %s: native code for this CPU.\n"
          "   Link the object with -lm%s. */\n",
          p->cascade->file,
#ifdef HAVE_LIBMVEC
          " -lmvec"
#else
          ""
#endif
  );
  fprintf(f, "#ifndef EINC_%s_H\n#define EINC_%s_H\n\n", name, name);
  fprintf(f,
          "/* Intermediates live in a caller-provided workspace of this many bytes,\n"
          "   64-byte aligned (aligned_alloc(64, %s_WORKSPACE_BYTES)). */\n",
          name);
  fprintf(f, "#define %s_WORKSPACE_BYTES %lldu\n\n", name, (long long)cpu_workspace_bytes(p));
  fprintf(f, "/* Dense row-major float32 arrays:\n");
  for (int i = 0; i < p->nbuffers; i++) {
    const LBuffer *b = p->buffers[i];
    fprintf(f, " *   %-6s %s[", b->role == ROLE_INTERMEDIATE ? "(ws)" : role_name(b->role),
            b->name);
    for (int d = 0; d < b->rank; d++)
      fprintf(f, "%s%lld", d ? "][" : "", (long long)b->dims[d]);
    fprintf(f, "]\n");
  }
  fprintf(f, " */\nvoid %s(", name);
  for (int i = 0; i < p->nbuffers; i++) {
    const LBuffer *b = p->buffers[i];
    if (b->role == ROLE_INTERMEDIATE)
      continue;
    fprintf(f, "%sfloat *%s, ", b->role == ROLE_OUTPUT ? "" : "const ", b->name);
  }
  fprintf(f, "void *workspace);\n\n");
  fprintf(f,
          "/* The same with one pointer per tensor, intermediates included, in the\n"
          "   order of the listing above. */\nvoid %s_run(float **tensors);\n\n",
          name);
  fprintf(f, "#endif\n");
  return outfile_commit(&out);
}

bool cpu_emit(const LoopProgram *p, const char *name, CpuEmitKind kind, const char *path,
              const char *header_path, char **error) {
  LLVMTargetMachineRef tm = cpu_host_machine(error);
  if (!tm)
    return false;
  LLVMContextRef ctx = LLVMContextCreate();
  LLVMModuleRef mod = cpu_codegen(p, name, ctx);
  bool ok = cpu_optimize(mod, tm, error);
  if (ok) {
    if (kind == CPU_EMIT_LLVM_IR) {
      char *text = LLVMPrintModuleToString(mod);
      ok = outfile_write_all(path, text, strlen(text));
      LLVMDisposeMessage(text);
    } else {
      LLVMMemoryBufferRef buf = NULL;
      char *msg = NULL;
      if (LLVMTargetMachineEmitToMemoryBuffer(
              tm, mod, kind == CPU_EMIT_OBJECT ? LLVMObjectFile : LLVMAssemblyFile, &msg, &buf)) {
        *error = copy_message("LLVM code generation failed", msg);
        ok = false;
      } else {
        ok = outfile_write_all(path, LLVMGetBufferStart(buf), LLVMGetBufferSize(buf));
        LLVMDisposeMemoryBuffer(buf);
      }
    }
    if (ok && header_path)
      ok = write_header(p, name, header_path);
    if (!ok && !*error) {
      char what[4200];
      snprintf(what, sizeof what, "cannot write %s: %s", path, strerror(errno));
      *error = copy_message(what, NULL);
    }
  }
  LLVMDisposeModule(mod);
  LLVMContextDispose(ctx);
  LLVMDisposeTargetMachine(tm);
  return ok;
}

int cpu_host_vector_floats(void) {
  char *features = LLVMGetHostCPUFeatures();
  bool avx512 = features && strstr(features, "+avx512f") != NULL;
  LLVMDisposeMessage(features);
  return avx512 ? 16 : 8;
}
