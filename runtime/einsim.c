/* einsim: runs an accelerator binary through the timing model and the fp32
 * functional model (docs/isa.md; the command line is ../shared/spec/cli.md). */
#include "config.h"

#include "runtime/arch.h"
#include "runtime/ebin.h"
#include "runtime/npy.h"
#include "runtime/outfile.h"
#include "runtime/rng.h"
#include "runtime/sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: einsim MODEL.ebin [--arch ARCH.yaml] [--input NAME=FILE.npy]... [--seed N]\n"
    "              [--outdir DIR] [--stats FILE.json] [--trace FILE.json] [--timing-only]\n"
    "              [--progress | --no-progress] [--quiet]\n"
    "\n"
    "Runs an accelerator binary functionally (fp32) and through the timing model at once.\n"
    "  --arch FILE       architecture the binary was built for (default: the built-in one,\n"
    "                    the same as arch/default.yaml)\n"
    "  --input NAME=FILE an input or param as a .npy file ('<f4', C order, the tensor's shape);\n"
    "                    others are filled from --seed (default 0), params embedded in the\n"
    "                    binary keep their values\n"
    "  --outdir DIR      where each output tensor is written as NAME.npy (default .)\n"
    "  --stats FILE      the timing model's figures as JSON ('-' is standard output)\n"
    "  --trace FILE      per-instruction timeline, Chrome trace-event JSON (chrome://tracing,\n"
    "                    Perfetto); 1 us on the time axis is 1 cycle\n"
    "  --timing-only     skip the arithmetic and the race check; same figures, no outputs\n"
    "  --progress        progress line on standard error (default: when it is a terminal)\n"
    "  --quiet           no summary on standard error\n"
    "Exit status: 0 success, 1 rejected binary or input, 2 bad command line.\n";

typedef struct InputArg {
  const char *name, *path;
} InputArg;

static int bad_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "einsim: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n%s", usage);
  return 2;
}

int main(int argc, char **argv) {
  const char *binary = NULL, *arch_path = NULL, *outdir = ".", *stats_path = NULL;
  const char *trace_path = NULL;
  uint64_t seed = 0;
  bool timing_only = false, quiet = false;
  int progress = -1;
  InputArg *inputs = calloc((size_t)argc, sizeof *inputs);
  size_t n_inputs = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage, stdout);
      free(inputs);
      return 0;
    } else if (strcmp(a, "--version") == 0) {
      printf("einsim (einc) %s\n", PACKAGE_VERSION);
      free(inputs);
      return 0;
    } else if (strcmp(a, "--timing-only") == 0) {
      timing_only = true;
    } else if (strcmp(a, "--quiet") == 0) {
      quiet = true;
    } else if (strcmp(a, "--progress") == 0) {
      progress = 1;
    } else if (strcmp(a, "--no-progress") == 0) {
      progress = 0;
    } else if (strcmp(a, "--arch") == 0 || strcmp(a, "--input") == 0 ||
               strcmp(a, "--outdir") == 0 || strcmp(a, "--stats") == 0 ||
               strcmp(a, "--trace") == 0 || strcmp(a, "--seed") == 0) {
      if (!has_value) {
        free(inputs);
        return bad_usage("%s needs a value", a);
      }
      const char *v = argv[++i];
      if (strcmp(a, "--arch") == 0)
        arch_path = v;
      else if (strcmp(a, "--outdir") == 0)
        outdir = v;
      else if (strcmp(a, "--stats") == 0)
        stats_path = v;
      else if (strcmp(a, "--trace") == 0)
        trace_path = v;
      else if (strcmp(a, "--seed") == 0) {
        char *end;
        errno = 0;
        seed = strtoull(v, &end, 0);
        if (!*v || *end || errno || *v == '-') {
          free(inputs);
          return bad_usage("--seed needs a non-negative integer, not '%s'", v);
        }
      } else {
        const char *eq = strchr(v, '=');
        if (!eq || eq == v || !eq[1]) {
          free(inputs);
          return bad_usage("--input needs NAME=FILE.npy, not '%s'", v);
        }
        inputs[n_inputs].name = v;
        inputs[n_inputs].path = eq + 1;
        n_inputs++;
      }
    } else if (a[0] == '-' && a[1] != '\0') {
      free(inputs);
      return bad_usage("unknown option '%s'", a);
    } else if (binary) {
      free(inputs);
      return bad_usage("more than one binary given ('%s')", a);
    } else {
      binary = a;
    }
  }
  if (!binary) {
    free(inputs);
    return bad_usage("%s", "no binary given");
  }

  int status = 1;
  char msg[600];
  Arch arch;
  Ebin bin;
  ebin_init(&bin, 0);
  Sim *sim = NULL;
  OutFile trace_file = {0};
  bool trace_open = false;
  if (arch_path) {
    if (!arch_load(&arch, arch_path, msg, sizeof msg)) {
      fprintf(stderr, "einsim: %s\n", msg);
      goto out;
    }
  } else {
    arch_default(&arch);
  }
  if (!ebin_read(binary, &bin, msg, sizeof msg)) {
    fprintf(stderr, "einsim: %s\n", msg);
    goto out;
  }
  if (bin.arch_hash != arch_hash(&arch)) {
    fprintf(stderr,
            "einsim: %s: built for architecture %016llx, but %s is %016llx; give the --arch it "
            "was compiled with\n",
            binary, (unsigned long long)bin.arch_hash,
            arch_path ? arch_path : "the built-in default", (unsigned long long)arch_hash(&arch));
    goto out;
  }
  if (!sim_check(&bin, &arch, msg, sizeof msg)) {
    fprintf(stderr, "einsim: %s: %s\n", binary, msg);
    goto out;
  }
  for (size_t i = 0; i < n_inputs; i++) {
    size_t len = (size_t)(inputs[i].path - 1 - inputs[i].name);
    char name[EBIN_NAME_BYTES + 1];
    snprintf(name, sizeof name, "%.*s", (int)(len < EBIN_NAME_BYTES ? len : EBIN_NAME_BYTES),
             inputs[i].name);
    const EbinTensor *t = len < EBIN_NAME_BYTES ? ebin_find_tensor(&bin, name) : NULL;
    if (!t || (t->role != EBIN_ROLE_INPUT && t->role != EBIN_ROLE_PARAM)) {
      fprintf(stderr, "einsim: --input %s: the binary has no input or param named '%s'\n",
              inputs[i].name, name);
      goto out;
    }
  }

  SimOptions opt = {!timing_only, NULL, progress < 0 ? isatty(2) : progress == 1};
  if (trace_path) {
    opt.trace = outfile_open(&trace_file, trace_path);
    if (!opt.trace) {
      fprintf(stderr, "einsim: cannot write %s: %s\n", trace_path, strerror(errno));
      goto out;
    }
    trace_open = true;
  }
  sim = sim_new(&bin, &arch, &opt);
  if (!timing_only) {
    for (size_t i = 0; i < bin.tensor_count; i++) {
      const EbinTensor *t = &bin.tensors[i];
      if (t->role != EBIN_ROLE_INPUT && t->role != EBIN_ROLE_PARAM)
        continue;
      const char *path = NULL;
      for (size_t k = 0; k < n_inputs; k++)
        if (strncmp(inputs[k].name, t->name, strlen(t->name)) == 0 &&
            inputs[k].name[strlen(t->name)] == '=')
          path = inputs[k].path;
      float *dst = sim_tensor_data(sim, t);
      if (path) {
        NpyArray a;
        if (!npy_read_shape(path, t->rank, t->dims, &a, msg, sizeof msg)) {
          fprintf(stderr, "einsim: --input %s: %s\n", t->name, msg);
          goto out;
        }
        memcpy(dst, a.data, a.count * 4);
        npy_free(&a);
      } else if (!t->data) {
        rng_fill(dst, ebin_tensor_elems(t), seed, t->name);
      }
    }
  }
  SimStats st;
  if (!sim_run(sim, &st, msg, sizeof msg)) {
    fprintf(stderr, "einsim: %s: %s\n", binary, msg);
    goto out;
  }
  if (trace_open) {
    trace_open = false;
    if (!outfile_commit(&trace_file)) {
      fprintf(stderr, "einsim: cannot write %s: %s\n", trace_path, strerror(errno));
      goto out;
    }
  }
  if (st.stray_tokens)
    fprintf(stderr, "einsim: warning: %llu dependency tokens were pushed but never popped\n",
            (unsigned long long)st.stray_tokens);
  if (!timing_only) {
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
      fprintf(stderr, "einsim: cannot create %s: %s\n", outdir, strerror(errno));
      goto out;
    }
    for (size_t i = 0; i < bin.tensor_count; i++) {
      const EbinTensor *t = &bin.tensors[i];
      if (t->role != EBIN_ROLE_OUTPUT)
        continue;
      size_t plen = strlen(outdir) + strlen(t->name) + 8;
      char *path = malloc(plen);
      snprintf(path, plen, "%s/%s.npy", outdir, t->name);
      uint64_t dims[EBIN_MAX_RANK];
      for (uint32_t d = 0; d < t->rank; d++)
        dims[d] = t->dims[d];
      bool ok = npy_write(path, t->rank, dims, sim_tensor_data(sim, t), msg, sizeof msg);
      free(path);
      if (!ok) {
        fprintf(stderr, "einsim: %s\n", msg);
        goto out;
      }
    }
  }
  if (stats_path) {
    OutFile of;
    FILE *f = outfile_open(&of, stats_path);
    if (f)
      sim_stats_json(&st, &arch, f);
    if (!f || !outfile_commit(&of)) {
      fprintf(stderr, "einsim: cannot write %s: %s\n", stats_path, strerror(errno));
      goto out;
    }
  }
  if (!quiet) {
    sim_stats_summary(&st, &arch, stderr);
    if (timing_only)
      fprintf(stderr, "  (timing only: no arithmetic, no race check, no outputs written)\n");
  }
  status = 0;
out:
  if (trace_open)
    outfile_abort(&trace_file);
  sim_free(sim);
  ebin_free(&bin);
  free(inputs);
  return status;
}
