/* What the einc commands share: the parsed command line and the front half
 * of every command (read, analyze, run the passes). */
#ifndef EINC_DRIVER_H
#define EINC_DRIVER_H

#include <stdint.h>

#include "frontend/frontend.h"

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
  const char *name; /* C name of the generated entry point */
  const char *arch; /* --arch ARCH.yaml, for --target accel */
  uint64_t seed;
  Define *defs;
  int ndefs;
  InputFile *inputs;
  int ninputs;
} Options;

/* The model's Cascade after the frontend and the pass pipeline, or NULL
 * after reporting errors. */
Cascade *load_model(const Options *o, Arena *arena);

/* A C identifier for generated symbols: --name, else the model's file name. */
const char *entry_name(const Options *o, Arena *arena);

int cmd_run(const Options *o);
int cmd_compile(const Options *o);

#endif
