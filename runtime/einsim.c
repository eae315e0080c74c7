/* einsim: runs an accelerator binary through the timing model and the fp32
 * functional model (docs/isa.md; the command line is ../shared/spec/cli.md). */
#include "config.h"

#include "runtime/arch.h"
#include "runtime/cli.h"
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

/* The long options without a short form (values past any character). */
enum {
  OPT_VERSION = 256,
  OPT_ARCH,
  OPT_INPUT,
  OPT_SEED,
  OPT_OUTDIR,
  OPT_STATS,
  OPT_TRACE,
  OPT_TIMING_ONLY,
  OPT_PROGRESS,
  OPT_NO_PROGRESS,
  OPT_QUIET,
};

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"arch", required_argument, NULL, OPT_ARCH},
    {"input", required_argument, NULL, OPT_INPUT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"outdir", required_argument, NULL, OPT_OUTDIR},
    {"stats", required_argument, NULL, OPT_STATS},
    {"trace", required_argument, NULL, OPT_TRACE},
    {"timing-only", no_argument, NULL, OPT_TIMING_ONLY},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {NULL, 0, NULL, 0},
};

/* '-': operands come back in command-line order as option 1, so errors are
 * reported in the order the arguments were given; ':': a missing value comes
 * back as ':' instead of getopt printing its own message. */
static const char short_options[] = "-:h";

/* --input NAME=FILE: name points at NAME=FILE, path just past the '='. */
typedef struct InputArg {
  const char *name, *path;
} InputArg;

typedef struct Options {
  const char *binary, *arch_path, *outdir, *stats_path, *trace_path;
  uint64_t seed;
  bool timing_only, quiet;
  int progress;     /* 1 --progress, 0 --no-progress, -1 when stderr is a terminal */
  InputArg *inputs; /* in command-line order; room for one per argument */
  size_t n_inputs;
} Options;

static int bad_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "einsim: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n%s", usage);
  return 2;
}

/* Decimal, as einc reads it, so that one seed means the same on both. */
static bool parse_seed(const char *v, uint64_t *seed) {
  char *end;
  errno = 0;
  *seed = strtoull(v, &end, 10);
  return *v && !*end && !errno && *v != '-';
}

/* Records --input NAME=FILE; the name is looked up once the binary is read. */
static bool add_input(Options *o, const char *v) {
  const char *eq = strchr(v, '=');
  if (!eq || eq == v || !eq[1])
    return false;
  o->inputs[o->n_inputs++] = (InputArg){v, eq + 1};
  return true;
}

static int set_binary(Options *o, const char *path) {
  if (o->binary)
    return bad_usage("more than one binary given ('%s')", path);
  o->binary = path;
  return -1;
}

/* Applies what cli_next_option returned: c, read from arg, with value v.
 * Returns -1 to go on, else the exit status: 0 after --help or --version,
 * 2 for a bad command line. */
static int apply_option(void *tool, int c, const char *arg, const char *v) {
  Options *o = tool;
  switch (c) {
  case 'h':
    fputs(usage, stdout);
    return 0;
  case OPT_VERSION:
    printf("einsim (einc) %s\n", PACKAGE_VERSION);
    return 0;
  case 1:
    return set_binary(o, v);
  case ':':
    return bad_usage("%s needs a value", arg);
  case OPT_ARCH:
    o->arch_path = v;
    return -1;
  case OPT_OUTDIR:
    o->outdir = v;
    return -1;
  case OPT_STATS:
    o->stats_path = v;
    return -1;
  case OPT_TRACE:
    o->trace_path = v;
    return -1;
  case OPT_SEED:
    return parse_seed(v, &o->seed) ? -1
                                   : bad_usage("--seed needs a non-negative integer, not '%s'", v);
  case OPT_INPUT:
    return add_input(o, v) ? -1 : bad_usage("--input needs NAME=FILE.npy, not '%s'", v);
  case OPT_TIMING_ONLY:
    o->timing_only = true;
    return -1;
  case OPT_QUIET:
    o->quiet = true;
    return -1;
  case OPT_PROGRESS:
  case OPT_NO_PROGRESS:
    o->progress = c == OPT_PROGRESS;
    return -1;
  default:
    return bad_usage("unknown option '%s'", arg);
  }
}

/* Fills *o from the command line (o->inputs is to be freed whatever the
 * outcome). Returns -1 to go on and run, else the exit status. */
static int parse_args(int argc, char **argv, Options *o) {
  *o = (Options){.outdir = ".", .progress = -1, .inputs = calloc((size_t)argc, sizeof(InputArg))};
  int status = cli_parse(argc, argv, short_options, long_options, apply_option, o);
  if (status >= 0)
    return status;
  if (!o->binary)
    return bad_usage("%s", "no binary given");
  return -1;
}

/* The architecture of --arch, or the built-in one. */
static bool load_arch(const char *path, Arch *arch) {
  char msg[600];
  if (!path) {
    arch_default(arch);
    return true;
  }
  if (arch_load(arch, path, msg, sizeof msg))
    return true;
  fprintf(stderr, "einsim: %s\n", msg);
  return false;
}

/* Reads the binary and checks it was built for arch and keeps within it. */
static bool load_binary(const Options *o, const Arch *arch, Ebin *bin) {
  char msg[600];
  if (!ebin_read(o->binary, bin, msg, sizeof msg)) {
    fprintf(stderr, "einsim: %s\n", msg);
    return false;
  }
  if (bin->arch_hash != arch_hash(arch)) {
    fprintf(stderr,
            "einsim: %s: built for architecture %016llx, but %s is %016llx; give the --arch it "
            "was compiled with\n",
            o->binary, (unsigned long long)bin->arch_hash,
            o->arch_path ? o->arch_path : "the built-in default",
            (unsigned long long)arch_hash(arch));
    return false;
  }
  if (!sim_check(bin, arch, msg, sizeof msg)) {
    fprintf(stderr, "einsim: %s: %s\n", o->binary, msg);
    return false;
  }
  return true;
}

static bool is_input_or_param(const EbinTensor *t) {
  return t->role == EBIN_ROLE_INPUT || t->role == EBIN_ROLE_PARAM;
}

/* Every --input names an input or param of the binary (checked before the
 * run, also with --timing-only, which reads no input files). */
static bool check_input_names(const Options *o, const Ebin *bin) {
  for (size_t i = 0; i < o->n_inputs; i++) {
    size_t len = (size_t)(o->inputs[i].path - 1 - o->inputs[i].name);
    char name[EBIN_NAME_BYTES + 1];
    snprintf(name, sizeof name, "%.*s", (int)(len < EBIN_NAME_BYTES ? len : EBIN_NAME_BYTES),
             o->inputs[i].name);
    const EbinTensor *t = len < EBIN_NAME_BYTES ? ebin_find_tensor(bin, name) : NULL;
    if (!t || !is_input_or_param(t)) {
      fprintf(stderr, "einsim: --input %s: the binary has no input or param named '%s'\n",
              o->inputs[i].name, name);
      return false;
    }
  }
  return true;
}

/* The file of the last --input naming the tensor, or NULL. */
static const char *input_path(const Options *o, const char *tensor) {
  size_t n = strlen(tensor);
  const char *path = NULL;
  for (size_t k = 0; k < o->n_inputs; k++)
    if (strncmp(o->inputs[k].name, tensor, n) == 0 && o->inputs[k].name[n] == '=')
      path = o->inputs[k].path;
  return path;
}

/* Inputs and params from their --input file, else (unless embedded in the
 * binary) from the seed. */
static bool fill_inputs(const Options *o, const Ebin *bin, Sim *sim) {
  char msg[600];
  for (size_t i = 0; i < bin->tensor_count; i++) {
    const EbinTensor *t = &bin->tensors[i];
    if (!is_input_or_param(t))
      continue;
    const char *path = input_path(o, t->name);
    float *dst = sim_tensor_data(sim, t);
    if (path) {
      NpyArray a;
      if (!npy_read_shape(path, t->rank, t->dims, &a, msg, sizeof msg)) {
        fprintf(stderr, "einsim: --input %s: %s\n", t->name, msg);
        return false;
      }
      memcpy(dst, a.data, a.count * 4);
      npy_free(&a);
    } else if (!t->data) {
      rng_fill(dst, ebin_tensor_elems(t), o->seed, t->name);
    }
  }
  return true;
}

/* Each output tensor as OUTDIR/NAME.npy. */
static bool write_outputs(const char *outdir, const Ebin *bin, Sim *sim) {
  char msg[600];
  if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "einsim: cannot create %s: %s\n", outdir, strerror(errno));
    return false;
  }
  for (size_t i = 0; i < bin->tensor_count; i++) {
    const EbinTensor *t = &bin->tensors[i];
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
      return false;
    }
  }
  return true;
}

static bool write_stats(const char *path, const SimStats *st, const Arch *arch) {
  OutFile of;
  FILE *f = outfile_open(&of, path);
  if (f)
    sim_stats_json(st, arch, f);
  if (!f || !outfile_commit(&of)) {
    fprintf(stderr, "einsim: cannot write %s: %s\n", path, strerror(errno));
    return false;
  }
  return true;
}

/* Checks, simulates and writes what the options ask for; the exit status. */
static int run(const Options *o) {
  int status = 1;
  char msg[600];
  Arch arch;
  Ebin bin;
  ebin_init(&bin, 0);
  Sim *sim = NULL;
  OutFile trace_file = {0};
  bool trace_open = false;
  if (!load_arch(o->arch_path, &arch) || !load_binary(o, &arch, &bin) ||
      !check_input_names(o, &bin))
    goto out;
  SimOptions opt = {!o->timing_only, NULL, o->progress < 0 ? isatty(2) : o->progress == 1};
  if (o->trace_path) {
    opt.trace = outfile_open(&trace_file, o->trace_path);
    if (!opt.trace) {
      fprintf(stderr, "einsim: cannot write %s: %s\n", o->trace_path, strerror(errno));
      goto out;
    }
    trace_open = true;
  }
  sim = sim_new(&bin, &arch, &opt);
  if (!o->timing_only && !fill_inputs(o, &bin, sim))
    goto out;
  SimStats st;
  if (!sim_run(sim, &st, msg, sizeof msg)) {
    fprintf(stderr, "einsim: %s: %s\n", o->binary, msg);
    goto out;
  }
  if (trace_open) {
    trace_open = false;
    if (!outfile_commit(&trace_file)) {
      fprintf(stderr, "einsim: cannot write %s: %s\n", o->trace_path, strerror(errno));
      goto out;
    }
  }
  if (st.stray_tokens)
    fprintf(stderr, "einsim: warning: %llu dependency tokens were pushed but never popped\n",
            (unsigned long long)st.stray_tokens);
  if (!o->timing_only && !write_outputs(o->outdir, &bin, sim))
    goto out;
  if (o->stats_path && !write_stats(o->stats_path, &st, &arch))
    goto out;
  if (!o->quiet) {
    sim_stats_summary(&st, &arch, stderr);
    if (o->timing_only)
      fprintf(stderr, "  (timing only: no arithmetic, no race check, no outputs written)\n");
  }
  status = 0;
out:
  if (trace_open)
    outfile_abort(&trace_file);
  sim_free(sim);
  ebin_free(&bin);
  return status;
}

int main(int argc, char **argv) {
  Options o;
  int status = parse_args(argc, argv, &o);
  if (status < 0)
    status = run(&o);
  free(o.inputs);
  return status;
}
