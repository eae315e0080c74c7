/* libFuzzer harness for the whole .ein pipeline: arbitrary bytes as a program
 * through the frontend, the printers (text, DOT, JSON, the Loop IR listing),
 * the text dump's round trip, the trivial lowering, the accelerator backend
 * on arch/small.yaml, and CPU code generation into an in-memory LLVM module
 * that is verified (not optimized, not run). Build and run: fuzz/run.sh ein.
 *
 * It aborts (a finding) on
 *   - a rejection (frontend, accelerator or cpu size check) with no message,
 *     and an acceptance that printed one;
 *   - a message not shaped "fuzz.ein:LINE:COL: error: TEXT\n" with LINE and
 *     COL inside the input (or one past its end), TEXT non-empty, no control
 *     characters; the one exception is Diag's own
 *     "fuzz.ein: error: too many errors (N); stopping";
 *   - a message containing "internal error";
 *   - a text dump that the frontend does not read back without a message, or
 *     whose own dump differs (print -> parse -> print);
 *   - an accelerator binary that einc itself would call an internal error:
 *     another architecture hash, refused by sim_check, missing a tensor of
 *     the model, more instructions than the limit, or a listing that does
 *     not reassemble to the same code (binaries of at most 4096
 *     instructions and 65536 embedded values, EIN_FUZZ_LISTING_MAX, to keep
 *     executions fast);
 *   - a negative cpu workspace size, and a module LLVMVerifyModule rejects.
 * An input may carry a mapping file after a line "%%mapping"; the
 * accelerator stage then compiles under it (--fusion auto otherwise), and
 * its messages may also be "fuzz.map:LINE:COL: error: TEXT" inside it.
 * Sanitizer reports abort by themselves (-fno-sanitize-recover).
 *
 * Tensors that are not f32 stop before the backends, as the driver's
 * check_target does. The accelerator's instruction limit is lowered from
 * 2^24 to 2^15 (every example fits; mamba2_ssd, the largest, needs 18072 on
 * small.yaml) so that an execution stays in milliseconds; EIN_FUZZ_INSTRS
 * overrides it. EIN_FUZZ_ARCH names another architecture file. With
 * EIN_FUZZ_TIMES set, the time spent in each stage is printed to stderr
 * every 10000 inputs and at exit (to find the slow stage); EIN_FUZZ_SLOW
 * and EIN_FUZZ_RSS save the inputs that are slow or raise the peak RSS;
 * EIN_FUZZ_VERBOSE prints each stage's outcome and messages.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>

#include "backend/accel/accel.h"
#include "backend/llvm/cpu.h"
#include "frontend/frontend.h"
#include "ir/cascade.h"
#include "ir/diag.h"
#include "ir/loop.h"
#include "passes/passes.h"
#include "runtime/arch.h"
#include "runtime/asm.h"
#include "runtime/ebin.h"
#include "runtime/sim.h"

#ifndef EIN_FUZZ_ARCH
#define EIN_FUZZ_ARCH "arch/small.yaml"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char file_name[] = "fuzz.ein";
/* An input may end with a mapping file after a line "%%mapping": the
 * accelerator stage reads it as --mapping would, under this name. */
static const char map_name[] = "fuzz.map";
static const char map_mark[] = "\n%%mapping\n";
static const char dump_name[] = "dump.ein";

/* ---- stage timing (EIN_FUZZ_TIMES) ---- */

enum {
  ST_FRONTEND,
  ST_PRINT,
  ST_REREAD,
  ST_LOWER,
  ST_LOOP_PRINT,
  ST_ACCEL,
  ST_ACCEL_CHECK,
  ST_ACCEL_LISTING,
  ST_CPU_CODEGEN,
  ST_CPU_VERIFY,
  ST_COUNT
};
static const char *const stage_names[ST_COUNT] = {
    "frontend",    "print text/dot/json", "re-read dump", "lower_trivial",
    "print_loop",  "accel_compile",       "sim_check",    "listing round trip",
    "cpu_codegen", "LLVMVerifyModule"};
static bool timing;
static double stage_s[ST_COUNT], stage_max_s[ST_COUNT];
static unsigned long long execs;
/* EIN_FUZZ_SLOW=SECONDS: an input whose slowest stage takes longer is saved
 * as slow-STAGE-N.ein; EIN_FUZZ_RSS=MB: one that raises the peak RSS by more
 * is saved as rss-N.ein (both in the working directory). */
static double slow_s = -1, input_max_s;
/* EIN_FUZZ_VERBOSE: each stage's outcome and messages on stderr (triage). */
static bool verbose;
static int input_slow_stage;
static long rss_step_kb = -1, rss_peak_kb;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double stage_start;
static void begin(void) {
  if (timing)
    stage_start = now_s();
}
static void end(int stage) {
  if (!timing)
    return;
  double d = now_s() - stage_start;
  if (d > input_max_s) {
    input_max_s = d;
    input_slow_stage = stage;
  }
  stage_s[stage] += d;
  if (d > stage_max_s[stage])
    stage_max_s[stage] = d;
}

static void print_times(void) {
  double total = 0;
  for (int i = 0; i < ST_COUNT; i++)
    total += stage_s[i];
  fprintf(stderr, "fuzz_ein: %llu inputs, %.1f s in the pipeline\n", execs, total);
  for (int i = 0; i < ST_COUNT; i++)
    fprintf(stderr, "  %-20s %8.2f s %5.1f%%  slowest %.3f s\n", stage_names[i], stage_s[i],
            total > 0 ? 100 * stage_s[i] / total : 0.0, stage_max_s[i]);
}

static long peak_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static void save_input(const char *kind, const uint8_t *data, size_t size, const char *why) {
  static int n;
  char path[128];
  snprintf(path, sizeof path, "%s-%d.ein", kind, ++n);
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(data, 1, size, f);
    fclose(f);
  }
  fprintf(stderr, "fuzz_ein: saved %s: %s\n", path, why);
}

/* ---- findings ---- */

/* The input is in the crash file libFuzzer writes; say what went wrong. */
static void finding(const char *what, const char *detail, size_t detail_len) {
  fprintf(stderr, "fuzz_ein: %s\n", what);
  if (detail) {
    if (detail_len > 4000)
      detail_len = 4000;
    fprintf(stderr, "---\n%.*s\n---\n", (int)detail_len, detail);
  }
  abort();
}

/* ---- a memory stream ---- */

typedef struct Mem {
  char *buf;
  size_t len;
  FILE *f;
} Mem;

static FILE *mem_open(Mem *m) {
  m->buf = NULL;
  m->len = 0;
  m->f = open_memstream(&m->buf, &m->len);
  if (!m->f)
    abort();
  return m->f;
}

/* Flushes; the text stays readable in m->buf[0..m->len) until mem_close. */
static void mem_flush(Mem *m) { fflush(m->f); }

static void mem_close(Mem *m) {
  fclose(m->f);
  free(m->buf);
}

/* ---- the shape of messages ---- */

typedef struct Source {
  const char *text;
  size_t len;
  size_t nlines;      /* lines, counting a last one without '\n' */
  size_t *line_start; /* byte offset of each line's start, nlines + 1 entries */
} Source;

static void source_init(Source *s, const char *text, size_t len) {
  s->text = text;
  s->len = len;
  size_t n = 1;
  for (size_t i = 0; i < len; i++)
    n += text[i] == '\n';
  s->nlines = n;
  s->line_start = malloc((n + 1) * sizeof *s->line_start);
  size_t k = 0;
  s->line_start[k++] = 0;
  for (size_t i = 0; i < len; i++)
    if (text[i] == '\n')
      s->line_start[k++] = i + 1;
  s->line_start[k] = len + 1; /* as if a '\n' followed the end */
}

/* Bytes in line (1-based) before its '\n'. */
static size_t source_line_len(const Source *s, size_t line) {
  return s->line_start[line] - s->line_start[line - 1] - 1;
}

static bool parse_uint(const char **p, const char *end, unsigned long long *v) {
  const char *q = *p;
  *v = 0;
  if (q == end || *q < '0' || *q > '9')
    return false;
  while (q < end && *q >= '0' && *q <= '9') {
    if (*v > 100000000000ULL)
      return false;
    *v = *v * 10 + (unsigned long long)(*q - '0');
    q++;
  }
  *p = q;
  return true;
}

static bool has_prefix(const char *p, const char *end, const char *prefix) {
  size_t n = strlen(prefix);
  return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* Every message line in msg[0..len) against the contract; aborts on the
 * first that breaks it. */
static Source map_src; /* the input's mapping part, when it has one */
static bool have_map;

static void check_messages(const char *stage, const char *msg, size_t len, const Source *prog) {
  if (verbose)
    fprintf(stderr, "fuzz_ein: %s refused:\n%.*s", stage, (int)len, msg);
  const char *p = msg, *end = msg + len;
  if (len > 0 && msg[len - 1] != '\n')
    finding("a message does not end in a newline", msg, len);
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *q = p;
    char why[200];
    why[0] = '\0';
    for (const char *c = p; c < nl; c++)
      if ((unsigned char)*c < 0x20 || *c == 0x7f) {
        snprintf(why, sizeof why, "%s: a control character 0x%02X in a message", stage,
                 (unsigned char)*c);
        finding(why, msg, len);
      }
    /* Internal errors are "einc: internal error ..." lines; the words may
     * also appear quoted from the input (an unknown key of a mapping). */
    if (has_prefix(p, nl, "einc: internal error")) {
      snprintf(why, sizeof why, "%s: an internal error", stage);
      finding(why, msg, len);
    }
    const char *name = file_name;
    const Source *src = prog;
    if (have_map && has_prefix(q, nl, map_name) && q[strlen(map_name)] == ':') {
      name = map_name;
      src = &map_src;
    }
    if (!has_prefix(q, nl, name) || q[strlen(name)] != ':') {
      snprintf(why, sizeof why, "%s: a message that does not start with '%s:'", stage, name);
      finding(why, msg, len);
    }
    q += strlen(name) + 1;
    if (has_prefix(q, nl, " error: too many errors (")) {
      p = nl + 1;
      continue;
    }
    unsigned long long line, col;
    if (!parse_uint(&q, nl, &line) || q == nl || *q++ != ':' || !parse_uint(&q, nl, &col) ||
        !has_prefix(q, nl, ": error: ") || nl - q <= 9 || q[9] == ' ') {
      snprintf(why, sizeof why, "%s: a message not shaped 'FILE:LINE:COL: error: TEXT'", stage);
      finding(why, msg, len);
    }
    if (line < 1 || line > src->nlines || col < 1 || col > source_line_len(src, line) + 1) {
      snprintf(why, sizeof why, "%s: a message at %llu:%llu, outside the input (%zu lines)", stage,
               line, col, src->nlines);
      finding(why, msg, len);
    }
    p = nl + 1;
  }
}

/* ---- the stages ---- */

static Arch arch;
static uint64_t arch_hash_value;
static size_t listing_max = 4096;

static void setup(void) {
  timing = getenv("EIN_FUZZ_TIMES") != NULL;
  if (timing)
    atexit(print_times);
  verbose = getenv("EIN_FUZZ_VERBOSE") != NULL;
  if (getenv("EIN_FUZZ_SLOW")) {
    slow_s = strtod(getenv("EIN_FUZZ_SLOW"), NULL);
    timing = true;
  }
  if (getenv("EIN_FUZZ_RSS")) {
    rss_step_kb = strtol(getenv("EIN_FUZZ_RSS"), NULL, 0) * 1024;
    rss_peak_kb = peak_rss_kb();
  }
  const char *path = getenv("EIN_FUZZ_ARCH");
  if (!path)
    path = EIN_FUZZ_ARCH;
  char msg[700];
  if (!arch_load(&arch, path, msg, sizeof msg)) {
    fprintf(stderr, "fuzz_ein: cannot load the architecture: %s\n", msg);
    exit(2);
  }
  arch_hash_value = arch_hash(&arch);
  const char *limit = getenv("EIN_FUZZ_INSTRS");
  accel_instr_limit = limit ? (size_t)strtoull(limit, NULL, 0) : (size_t)1 << 15;
  const char *lmax = getenv("EIN_FUZZ_LISTING_MAX");
  if (lmax)
    listing_max = (size_t)strtoull(lmax, NULL, 0);
}

/* The printers; the text dump is returned (malloc'ed) for the round trip. */
static char *print_all(const Cascade *c, size_t *text_len) {
  Mem m;
  print_dot(c, mem_open(&m));
  mem_close(&m);
  print_json(c, mem_open(&m));
  mem_close(&m);
  print_text(c, mem_open(&m));
  fclose(m.f);
  *text_len = m.len;
  return m.buf;
}

static void reread(const char *text, size_t len) {
  Arena arena;
  arena_init(&arena);
  Mem m;
  Diag diag;
  diag_init(&diag, mem_open(&m));
  Cascade *c = frontend_compile_text(dump_name, text, len, NULL, 0, &arena, &diag);
  mem_flush(&m);
  if (!c || m.len > 0 || diag.nerrors > 0) {
    fprintf(stderr, "fuzz_ein: the frontend's messages on the dump:\n%.*s", (int)m.len, m.buf);
    finding("the text dump does not read back", text, len);
  }
  size_t len2;
  char *text2 = print_all(c, &len2);
  if (len2 != len || memcmp(text, text2, len) != 0) {
    fprintf(stderr, "fuzz_ein: the dump of the dump:\n%.*s\n", (int)len2, text2);
    finding("print -> parse -> print changes the text", text, len);
  }
  free(text2);
  mem_close(&m);
  arena_free(&arena);
}

/* What einc's driver reports as an internal error about a binary. */
static void check_binary(const Cascade *c, const AccelProgram *ap) {
  const Ebin *b = &ap->bin;
  char msg[700];
  if (b->arch_hash != arch_hash_value)
    finding("accel: the binary records another architecture", NULL, 0);
  if (b->instr_count > accel_instr_limit)
    finding("accel: more instructions than accel_instr_limit", NULL, 0);
  if (!sim_check(b, &arch, msg, sizeof msg))
    finding("accel: sim_check refuses the binary", msg, strlen(msg));
  for (int i = 0; i < c->ntensors; i++) {
    const Tensor *t = c->tensors[i];
    if (t->role == ROLE_INTERMEDIATE)
      continue;
    const EbinTensor *et = ebin_find_tensor(b, t->name);
    bool ok =
        et && (t->role == ROLE_OUTPUT ? et->role == EBIN_ROLE_OUTPUT
                                      : et->role == EBIN_ROLE_INPUT || et->role == EBIN_ROLE_PARAM);
    if (!ok || ebin_tensor_elems(et) != (uint64_t)tensor_elements(t))
      finding("accel: the binary has no matching tensor for one of the model's", t->name,
              strlen(t->name));
  }
  end(ST_ACCEL_CHECK);
  /* The listing reassembles to the same code (tests/test_accel.c does this
   * for one example). Under the fuzzer's instrumentation the assembler takes
   * about 30 us an instruction, 80% of an execution on the large examples,
   * so only binaries up to listing_max instructions (and 16 times as many
   * embedded values) take the round trip. */
  uint64_t data_words = 0; /* embedded values (params, the index table): .data lines */
  for (size_t i = 0; i < b->tensor_count; i++)
    if (b->tensors[i].data)
      data_words += ebin_tensor_elems(&b->tensors[i]);
  if (b->instr_count > listing_max || data_words > 16 * listing_max)
    return;
  begin();
  Mem m;
  accel_print(ap, mem_open(&m));
  mem_flush(&m);
  Ebin back;
  if (!asm_assemble("listing", m.buf, m.len, arch_hash_value, &back, msg, sizeof msg))
    finding("accel: the listing does not reassemble", msg, strlen(msg));
  if (back.instr_count != b->instr_count || back.tensor_count != b->tensor_count ||
      (b->instr_count > 0 && memcmp(back.code, b->code, b->instr_count * ISA_BYTES) != 0))
    finding("accel: the listing reassembles to other code", m.buf, m.len);
  ebin_free(&back);
  mem_close(&m);
  end(ST_ACCEL_LISTING);
}

static void accel_stage(Cascade *c, Arena *arena, const Source *src) {
  Mem m;
  Diag diag;
  diag_init(&diag, mem_open(&m));
  AccelProgram ap;
  begin();
  Compilation cc = {.cascade = c,
                    .target = TARGET_ACCEL,
                    .arch = &arch,
                    .fusion = FUSION_AUTO,
                    .mapping_path = have_map ? map_name : NULL,
                    .mapping_text = have_map ? map_src.text : NULL,
                    .mapping_len = have_map ? map_src.len : 0,
                    .arena = arena,
                    .diag = &diag};
  bool ok = pipeline_run(&cc, NULL) && accel_compile(cc.loops, cc.mapping, &arch, &ap, &diag);
  end(ST_ACCEL);
  mem_flush(&m);
  if (!ok) {
    if (m.len == 0)
      finding("accel: accel_compile refused the program without a message", NULL, 0);
    check_messages("accel", m.buf, m.len, src);
  } else {
    if (m.len > 0)
      finding("accel: accel_compile succeeded but printed a message", m.buf, m.len);
    if (verbose)
      fprintf(stderr, "fuzz_ein: accel: %zu instructions, %llu DRAM bytes\n", ap.bin.instr_count,
              (unsigned long long)ap.bin.dram_bytes);
    begin();
    check_binary(c, &ap);
    accel_free(&ap);
  }
  mem_close(&m);
}

static void cpu_stage(const Cascade *c, const LoopProgram *p, const Source *src) {
#ifdef CPU_MAX_BYTES
  /* The driver's check_target: tensors and workspace the host can address. */
  Mem m;
  Diag diag;
  diag_init(&diag, mem_open(&m));
  bool ok = cpu_check_sizes(c, &diag);
  mem_flush(&m);
  if (!ok) {
    if (m.len == 0)
      finding("cpu: cpu_check_sizes refused the program without a message", NULL, 0);
    check_messages("cpu", m.buf, m.len, src);
  } else if (m.len > 0) {
    finding("cpu: cpu_check_sizes passed but printed a message", m.buf, m.len);
  }
  mem_close(&m);
  if (!ok)
    return;
#else
  (void)c;
  (void)src;
#endif
  if (cpu_workspace_bytes(p) < 0)
    finding("cpu: a negative workspace size", NULL, 0);
  begin();
  LLVMContextRef ctx = LLVMContextCreate();
  LLVMModuleRef mod = cpu_codegen(p, "fuzz", ctx);
  end(ST_CPU_CODEGEN);
  begin();
  char *vmsg = NULL;
  if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &vmsg)) {
    char *ir = LLVMPrintModuleToString(mod);
    fprintf(stderr, "fuzz_ein: the module:\n%.*s\n", 20000, ir);
    finding("cpu: LLVMVerifyModule rejects the module", vmsg, vmsg ? strlen(vmsg) : 0);
  }
  LLVMDisposeMessage(vmsg);
  end(ST_CPU_VERIFY);
  if (verbose)
    fprintf(stderr, "fuzz_ein: cpu: module verified, workspace %lld bytes\n",
            (long long)cpu_workspace_bytes(p));
  LLVMDisposeModule(mod);
  LLVMContextDispose(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool ready;
  if (!ready) {
    setup();
    ready = true;
  }
  execs++;
  if (timing && execs % 10000 == 0)
    print_times();
  const char *text = (const char *)data;
  const char *mark = memmem(text, size, map_mark, sizeof map_mark - 1);
  have_map = mark != NULL;
  size_t prog_size = size;
  if (have_map) {
    const char *m = mark + sizeof map_mark - 1;
    source_init(&map_src, m, size - (size_t)(m - text));
    prog_size = (size_t)(mark - text) + 1; /* the program keeps its last newline */
  }
  Source src;
  source_init(&src, text, prog_size);
  Arena arena;
  arena_init(&arena);
  Mem m;
  Diag diag;
  diag_init(&diag, mem_open(&m));

  begin();
  Cascade *c = frontend_compile_text(file_name, text, prog_size, NULL, 0, &arena, &diag);
  end(ST_FRONTEND);
  mem_flush(&m);
  if (!c) {
    if (m.len == 0)
      finding("frontend: rejected the program without a message", NULL, 0);
    check_messages("frontend", m.buf, m.len, &src);
    goto done;
  }
  if (m.len > 0 || diag.nerrors > 0)
    finding("frontend: accepted the program but printed a message", m.buf, m.len);

  begin();
  size_t dump_len;
  char *dump = print_all(c, &dump_len);
  end(ST_PRINT);
  begin();
  reread(dump, dump_len);
  end(ST_REREAD);
  free(dump);

  begin();
  LoopProgram *p = lower_trivial(c, &arena);
  end(ST_LOWER);
  begin();
  Mem lm;
  print_loop(p, mem_open(&lm));
  mem_close(&lm);
  end(ST_LOOP_PRINT);

  if (verbose)
    fprintf(stderr, "fuzz_ein: frontend accepted %d tensors, %d Einsums; dump re-read\n",
            c->ntensors, c->neinsums);
  bool f32 = true;
  for (int i = 0; i < c->ntensors; i++)
    f32 &= c->tensors[i]->dtype == DTYPE_F32;
  if (f32) {
    accel_stage(c, &arena, &src);
    cpu_stage(c, p, &src);
  }

done:
  mem_close(&m);
  arena_free(&arena);
  free(src.line_start);
  if (have_map)
    free(map_src.line_start);
  have_map = false;
  if (slow_s >= 0 && input_max_s > slow_s) {
    char why[100];
    snprintf(why, sizeof why, "%.2f s in %s", input_max_s, stage_names[input_slow_stage]);
    char kind[64];
    snprintf(kind, sizeof kind, "slow-%s", stage_names[input_slow_stage]);
    for (char *k = kind; *k; k++)
      if (*k == ' ' || *k == '/' || *k == '+')
        *k = '_';
    save_input(kind, data, size, why);
  }
  input_max_s = 0;
  if (rss_step_kb >= 0) {
    long rss = peak_rss_kb();
    if (rss - rss_peak_kb > rss_step_kb) {
      char why[100];
      snprintf(why, sizeof why, "peak RSS %ld MB -> %ld MB", rss_peak_kb / 1024, rss / 1024);
      save_input("rss", data, size, why);
    }
    if (rss > rss_peak_kb)
      rss_peak_kb = rss;
  }
  return 0;
}
