/* Helpers for the simulator's tests: the small test architecture, assembling
 * a program from text, and running it. */
#ifndef EINC_SIMTEST_H
#define EINC_SIMTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/arch.h"
#include "runtime/ebin.h"
#include "runtime/sim.h"
#include "tests/testutil.h"

typedef struct Suite Suite;

/* Path of a file under the source tree. The result is a static buffer. */
const char *simtest_path(const char *relative);
/* tests/sim/small.yaml (asserts that it loads). */
Arch simtest_small_arch(void);
/* Assembles text for the arch and checks it against it (asserts success). */
Ebin simtest_assemble(const char *text, const Arch *arch);

typedef struct SimRun {
  Sim *sim;
  SimStats stats;
  bool ok;
  char msg[600];
} SimRun;

/* Creates the simulator; the caller may fill tensors with simtest_set, then
 * calls simtest_go. */
SimRun *simtest_start(const Ebin *bin, const Arch *arch, bool functional);
void simtest_set(SimRun *r, const Ebin *bin, const char *tensor, const float *values);
bool simtest_go(SimRun *r);
float *simtest_get(SimRun *r, const Ebin *bin, const char *tensor);
void simtest_end(SimRun *r);

#endif
