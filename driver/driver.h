/* What the einc commands share: the parsed command line, the front half of
 * every command (read, analyze, run the passes), host copies of a model's
 * tensors, and the two targets' ways of running a model in memory. */
#ifndef EINC_DRIVER_H
#define EINC_DRIVER_H

#include <stdint.h>
#include <stdio.h>

#include "backend/accel/accel.h"
#include "backend/llvm/cpu.h"
#include "frontend/frontend.h"
#include "passes/passes.h"
#include "runtime/arch.h"
#include "runtime/sim.h"

enum { EXIT_REJECTED = 1, EXIT_USAGE = 2 };

typedef struct InputFile {
  const char *name;
  const char *path;
} InputFile;

typedef struct Options {
  const char *command;
  const char *model;
  const char *format;
  const char *after;
  const char *output;
  const char *target; /* "cpu" or "accel" */
  const char *outdir;
  const char *name;      /* C name of the generated entry point */
  const char *arch_path; /* --arch ARCH.yaml, for --target accel */
  Arch arch;             /* loaded from arch_path, else the built-in default */
  Fusion fusion;
  const char *mapping_path; /* --mapping FILE.yaml */
  const char *stats;        /* --stats FILE.json */
  bool verbose;
  double rtol, atol;      /* einc check */
  bool reference_f32;     /* check --reference f32: today's comparison with the f32 cpu */
  CpuPrecision precision; /* run --target cpu --precision */
  uint64_t seed;
  double seed_scale; /* seeded values are uniform in [-seed_scale, seed_scale) */
  Define *defs;
  int ndefs;
  InputFile *inputs;
  int ninputs;
} Options;

/* What a command does with the compiled model; returns the exit status. */
typedef int (*ModelWork)(const Options *o, Compilation *cc);
/* Loads the model and compiles it for o's target (the frontend and the pass
 * pipeline, up to --after) and hands it to work; EXIT_REJECTED after
 * reporting the model's errors. */
int with_model(const Options *o, ModelWork work);
/* A compilation of c for target under o's --fusion, --mapping and --arch. */
Compilation compilation_for(const Options *o, Cascade *c, Target target, Arena *arena, Diag *diag);
bool is_accel(const Options *o);

/* A C identifier for generated symbols: --name, else the model's file name. */
const char *entry_name(const Options *o, Arena *arena);

bool has_suffix(const char *s, const char *suffix);
/* Writes through print to -o FILE (atomically) or standard output; exit
 * status 0, or 1 after saying what could not be written. */
int print_to(const Options *o, void (*print)(const void *what, FILE *f), const void *what);

/* ---- tensors.c: host buffers, one per tensor of the Cascade -------------- */

/* What the target cannot take, said before any work: a dtype other than
 * binary32, and on the cpu tensors beyond its address space. */
bool check_target(const Cascade *c, const char *target);
/* Every output fits a .npy file (at most NPY_MAX_RANK dimensions), and
 * --outdir is a directory: said before the run, not after it. */
bool check_outputs_writable(const Options *o, const Cascade *c);
/* Every --input names an input or param of the model, once. */
bool check_inputs(const Options *o, const Cascade *c);
/* A buffer per tensor (64-byte aligned, zeroed, followed by a guard); with
 * all false, intermediates get none (NULL). NULL after a message. Buffers
 * hold floats, or doubles in CPU_F64 (the table is float ** either way, as
 * the generated code takes it). */
float **alloc_tensors(const Cascade *c, bool all, CpuPrecision precision);
void free_tensors(const Cascade *c, float **bufs);
/* False (after a message) when something wrote past a buffer's end. */
bool guards_intact(const Cascade *c, float **bufs, CpuPrecision precision);
/* Every input and param from its --input file, else the seeded generator
 * (scaled by --seed-scale); in CPU_F64 widened to double (an --input file
 * may then also hold float64). */
bool fill_inputs(const Options *o, const Cascade *c, float **bufs, CpuPrecision precision);
const InputFile *input_for(const Options *o, const char *name);
/* Writes every output as OUTDIR/NAME.npy ('<f4', or '<f8' in CPU_F64);
 * *written counts them. */
bool write_outputs(const Options *o, const Cascade *c, float **bufs, CpuPrecision precision,
                   int *written);

/* ---- the targets, in memory ---------------------------------------------- */

/* JIT-compiles p and runs it on bufs (every tensor, alloc_tensors(c, true)). */
bool cpu_execute(const LoopProgram *p, const char *name, CpuPrecision precision, float **bufs,
                 CpuTimes *times, double *run_s);

/* Compiles the mapped program for o->arch and checks the binary against the
 * architecture; false after reporting. */
bool accel_build(const Options *o, const Compilation *cc, AccelProgram *ap);
/* Runs a binary of c on the simulator: inputs and params come from bufs
 * (except params embedded in the binary and not given by --input, whose
 * values are copied back into bufs); outputs go to bufs. */
bool accel_execute(const Options *o, const Cascade *c, const Ebin *bin, float **bufs,
                   SimStats *stats);
/* --stats FILE.json, and the human summary on standard error with --stats
 * or --verbose. */
bool report_stats(const Options *o, const SimStats *st);

int cmd_run(const Options *o);
int cmd_compile(const Options *o);
int cmd_check(const Options *o);
int cmd_disasm(const Options *o);
/* A .ebin by name or by its magic (else disasm reads a model). */
bool is_binary_file(const char *path);
/* Usage errors of compile (-o and its suffix), found before any work. */
int compile_usage(const Options *o);

#endif
