/* Helpers for the simulator's tests. */
#include "tests/sim/simtest.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/asm.h"

const char *simtest_path(const char *relative) {
  static char buf[4096];
  snprintf(buf, sizeof buf, "%s/%s", EINC_SRCDIR, relative);
  return buf;
}

Arch simtest_small_arch(void) {
  Arch a;
  char msg[400];
  bool ok = arch_load(&a, simtest_path("tests/sim/small.yaml"), msg, sizeof msg);
  ck_assert_msg(ok, "%s", msg);
  return a;
}

Ebin simtest_assemble(const char *text, const Arch *arch) {
  Ebin b;
  char msg[600];
  bool ok = asm_assemble("test.s", text, strlen(text), arch_hash(arch), &b, msg, sizeof msg);
  ck_assert_msg(ok, "%s", msg);
  ok = sim_check(&b, arch, msg, sizeof msg);
  ck_assert_msg(ok, "%s", msg);
  return b;
}

SimRun *simtest_start(const Ebin *bin, const Arch *arch, bool functional) {
  SimRun *r = calloc(1, sizeof *r);
  SimOptions opt = {functional, NULL, false};
  r->sim = sim_new(bin, arch, &opt);
  return r;
}

void simtest_set(SimRun *r, const Ebin *bin, const char *tensor, const float *values) {
  const EbinTensor *t = ebin_find_tensor(bin, tensor);
  ck_assert_ptr_nonnull(t);
  memcpy(sim_tensor_data(r->sim, t), values, ebin_tensor_elems(t) * sizeof(float));
}

bool simtest_go(SimRun *r) {
  r->ok = sim_run(r->sim, &r->stats, r->msg, sizeof r->msg);
  return r->ok;
}

float *simtest_get(SimRun *r, const Ebin *bin, const char *tensor) {
  const EbinTensor *t = ebin_find_tensor(bin, tensor);
  ck_assert_ptr_nonnull(t);
  return sim_tensor_data(r->sim, t);
}

void simtest_end(SimRun *r) {
  sim_free(r->sim);
  free(r);
}
