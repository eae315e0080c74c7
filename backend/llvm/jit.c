/* In-memory compilation with ORC's LLJIT, for `einc run --target cpu`. */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>

#include "backend/llvm/cpu.h"
#include "config.h"

struct CpuJit {
  LLVMOrcLLJITRef jit;
  CpuRunFn entry;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

CpuJit *cpu_jit(const LoopProgram *p, const char *name, CpuTimes *times, char **error) {
  return cpu_jit_in(p, name, CPU_F32, times, error);
}

CpuJit *cpu_jit_in(const LoopProgram *p, const char *name, CpuPrecision precision, CpuTimes *times,
                   char **error) {
  CpuTimes t = {0};
  double t0 = now_s();
  LLVMTargetMachineRef tm = cpu_host_machine(error);
  if (!tm)
    return NULL;
  LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
  LLVMContextRef ctx = LLVMOrcThreadSafeContextGetContext(tsc);
  LLVMModuleRef mod = cpu_codegen_in(p, name, precision, ctx);
  double t1 = now_s();
  t.codegen_s = t1 - t0;
  if (!cpu_optimize(mod, tm, error)) {
    LLVMDisposeModule(mod);
    LLVMOrcDisposeThreadSafeContext(tsc);
    LLVMDisposeTargetMachine(tm);
    return NULL;
  }
  double t2 = now_s();
  t.optimize_s = t2 - t1;

  /* The JIT compiles for the same host machine (it takes ownership of tm). */
  LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
  LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(
      builder, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm));
  CpuJit *j = calloc(1, sizeof *j);
  LLVMErrorRef err = LLVMOrcCreateLLJIT(&j->jit, builder);
  if (err) {
    *error = cpu_error_message("cannot create the JIT", err);
    LLVMDisposeModule(mod);
    LLVMOrcDisposeThreadSafeContext(tsc);
    free(j);
    return NULL;
  }
#ifdef HAVE_LIBMVEC
  /* Vectorized calls go to libmvec; load it so the process search finds it. */
  static void *mvec;
  if (!mvec)
    mvec = dlopen("libmvec.so.1", RTLD_NOW | RTLD_GLOBAL);
#endif
  /* Calls to libm (expf, log1pf, tanhf) resolve to this process's symbols. */
  LLVMOrcDefinitionGeneratorRef gen;
  err = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
      &gen, LLVMOrcLLJITGetGlobalPrefix(j->jit), NULL, NULL);
  if (!err) {
    LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(j->jit);
    LLVMOrcJITDylibAddGenerator(jd, gen);
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
    err = LLVMOrcLLJITAddLLVMIRModule(j->jit, jd, tsm);
    if (err)
      LLVMOrcDisposeThreadSafeModule(tsm);
  } else {
    LLVMDisposeModule(mod);
  }
  LLVMOrcDisposeThreadSafeContext(tsc);
  char sym[300];
  snprintf(sym, sizeof sym, "%s_run", name);
  LLVMOrcExecutorAddress addr = 0;
  if (!err)
    err = LLVMOrcLLJITLookup(j->jit, &addr, sym);
  if (err) {
    *error = cpu_error_message("JIT compilation failed", err);
    cpu_jit_free(j);
    return NULL;
  }
  j->entry = (CpuRunFn)(uintptr_t)addr;
  t.jit_s = now_s() - t2;
  if (times)
    *times = t;
  return j;
}

CpuRunFn cpu_jit_entry(CpuJit *j) { return j->entry; }

void cpu_jit_free(CpuJit *j) {
  if (!j)
    return;
  if (j->jit)
    LLVMOrcDisposeLLJIT(j->jit);
  free(j);
}
