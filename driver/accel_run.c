/* --target accel in memory: the backend's binary, checked against the
 * architecture, run on the simulator (functional model) with the host's
 * inputs, its outputs copied back to the host. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "driver/driver.h"
#include "runtime/outfile.h"

/* A binary that einsim would refuse is a backend bug: say so here, where
 * the model is known, rather than write it. */
static bool binary_fits(const Options *o, const Ebin *bin) {
  uint64_t want = arch_hash(&o->arch);
  if (bin->arch_hash != want) {
    fprintf(stderr,
            "einc: internal error: the accelerator binary records architecture %016llx, not "
            "%016llx\n",
            (unsigned long long)bin->arch_hash, (unsigned long long)want);
    return false;
  }
  char msg[600];
  if (!sim_check(bin, &o->arch, msg, sizeof msg)) {
    fprintf(stderr, "einc: internal error: the accelerator binary does not fit %s: %s\n",
            o->arch_path ? o->arch_path : "the built-in architecture", msg);
    return false;
  }
  return true;
}

bool accel_build(const Options *o, const Compilation *cc, AccelProgram *ap) {
  Diag diag;
  diag_init(&diag, stderr);
  if (!accel_compile(cc->loops, cc->mapping, &o->arch, ap, &diag)) {
    if (diag.nerrors == 0)
      fprintf(stderr, "einc: %s: the accelerator backend failed without a message\n", o->model);
    return false;
  }
  if (!binary_fits(o, &ap->bin)) {
    accel_free(ap);
    return false;
  }
  return true;
}

/* The binary's tensor for an input, param or output of the model: same
 * name, a matching role and as many elements (both are dense, C order). */
static const EbinTensor *binary_tensor(const Ebin *bin, const Tensor *t) {
  const EbinTensor *et = ebin_find_tensor(bin, t->name);
  bool role_ok =
      et && (t->role == ROLE_OUTPUT ? et->role == EBIN_ROLE_OUTPUT
                                    : et->role == EBIN_ROLE_INPUT || et->role == EBIN_ROLE_PARAM);
  if (role_ok && ebin_tensor_elems(et) == (uint64_t)tensor_elements(t))
    return et;
  fprintf(stderr, "einc: internal error: the accelerator binary has no %s '%s' of %lld elements\n",
          t->role == ROLE_OUTPUT ? "output" : "input or param", t->name,
          (long long)tensor_elements(t));
  return NULL;
}

/* Host values into DRAM, except embedded params not given by --input: as
 * in einsim, those keep their values, which the host then learns. */
static bool load_tensors(const Options *o, const Cascade *c, const Ebin *bin, Sim *sim,
                         float **bufs) {
  for (int i = 0; i < c->ntensors; i++) {
    const Tensor *t = c->tensors[i];
    if (t->role != ROLE_INPUT && t->role != ROLE_PARAM)
      continue;
    const EbinTensor *et = binary_tensor(bin, t);
    if (!et)
      return false;
    size_t bytes = (size_t)tensor_elements(t) * sizeof(float);
    if (et->data && !input_for(o, t->name))
      memcpy(bufs[i], sim_tensor_data(sim, et), bytes);
    else
      memcpy(sim_tensor_data(sim, et), bufs[i], bytes);
  }
  return true;
}

static bool store_outputs(const Cascade *c, const Ebin *bin, Sim *sim, float **bufs) {
  for (int i = 0; i < c->ntensors; i++) {
    const Tensor *t = c->tensors[i];
    if (t->role != ROLE_OUTPUT)
      continue;
    const EbinTensor *et = binary_tensor(bin, t);
    if (!et)
      return false;
    memcpy(bufs[i], sim_tensor_data(sim, et), (size_t)tensor_elements(t) * sizeof(float));
  }
  return true;
}

bool accel_execute(const Options *o, const Cascade *c, const Ebin *bin, float **bufs,
                   SimStats *stats) {
  SimOptions opt = {.functional = true, .trace = NULL, .progress = isatty(2)};
  Sim *sim = sim_new(bin, &o->arch, &opt);
  bool ok = load_tensors(o, c, bin, sim, bufs);
  char msg[600];
  if (ok && !sim_run(sim, stats, msg, sizeof msg)) {
    /* A deadlock or a race is the backend's, not the user's. */
    fprintf(stderr, "einc: internal error: %s on the simulator: %s\n", o->model, msg);
    ok = false;
  }
  if (ok && stats->stray_tokens)
    fprintf(stderr, "einc: warning: %llu dependency tokens were pushed but never popped\n",
            (unsigned long long)stats->stray_tokens);
  ok = ok && store_outputs(c, bin, sim, bufs);
  sim_free(sim);
  return ok;
}

bool report_stats(const Options *o, const SimStats *st) {
  if (o->stats) {
    OutFile of;
    FILE *f = outfile_open(&of, o->stats);
    if (f)
      sim_stats_json(st, &o->arch, f);
    if (!f || !outfile_commit(&of)) {
      fprintf(stderr, "einc: cannot write %s: %s\n", o->stats, strerror(errno));
      return false;
    }
  }
  if (o->stats || o->verbose)
    sim_stats_summary(st, &o->arch, stderr);
  return true;
}
