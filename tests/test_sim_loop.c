/* The `loop` instruction (docs/isa.md, "Loops"): looped programs run as
 * their unrolled forms do (outputs, cycles, statistics, traces; functional
 * and timing-only), nested loops and rings, the assembler's and the
 * checker's messages, the disassembly round trip, and corrupt loop headers.
 * The unrolled forms come from the test's own expansion, written from the
 * manual's compositional definition, independently of runtime/loop.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/asm.h"
#include "runtime/ebin.h"
#include "runtime/isa.h"
#include "runtime/loop.h"
#include "runtime/sim.h"
#include "tests/sim/simtest.h"
#include "tests/testutil.h"

/* ---- programs ---- */

/* Y = X W over four 4x4 tiles of X, each in its own buffer slot: the
 * manual's example. */
static const char *gemm_loop =
    ".tensor X input [4, 4, 4]\n"
    ".tensor W param [4, 4]\n"
    ".tensor Y output [4, 4, 4]\n"
    ".data W 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
    "dma.ld dram=W sram=0 n0=16\n"
    "loop count=4 body=3\n"
    "  dma.ld dram=X sram=16 n0=16 signal=mx\n"
    "  mm wait=ld m=4 k=4 n=4 a=16 lda=4 b=0 ldb=4 c=80 ldc=4 signal=st\n"
    "  dma.st wait=mx dram=Y sram=80 n0=16\n"
    "  # copy 1\n"
    "  dma.ld dram=X+64 sram=32 n0=16 signal=mx\n"
    "  mm wait=ld m=4 k=4 n=4 a=32 lda=4 b=0 ldb=4 c=96 ldc=4 signal=st\n"
    "  dma.st wait=mx dram=Y+64 sram=96 n0=16\n";

/* The same, unrolled by hand. */
static const char *gemm_unrolled =
    ".tensor X input [4, 4, 4]\n"
    ".tensor W param [4, 4]\n"
    ".tensor Y output [4, 4, 4]\n"
    ".data W 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
    "dma.ld dram=W sram=0 n0=16\n"
    "dma.ld dram=X sram=16 n0=16 signal=mx\n"
    "mm wait=ld m=4 k=4 n=4 a=16 lda=4 b=0 ldb=4 c=80 ldc=4 signal=st\n"
    "dma.st wait=mx dram=Y sram=80 n0=16\n"
    "dma.ld dram=X+64 sram=32 n0=16 signal=mx\n"
    "mm wait=ld m=4 k=4 n=4 a=32 lda=4 b=0 ldb=4 c=96 ldc=4 signal=st\n"
    "dma.st wait=mx dram=Y+64 sram=96 n0=16\n"
    "dma.ld dram=X+128 sram=48 n0=16 signal=mx\n"
    "mm wait=ld m=4 k=4 n=4 a=48 lda=4 b=0 ldb=4 c=112 ldc=4 signal=st\n"
    "dma.st wait=mx dram=Y+128 sram=112 n0=16\n"
    "dma.ld dram=X+192 sram=64 n0=16 signal=mx\n"
    "mm wait=ld m=4 k=4 n=4 a=64 lda=4 b=0 ldb=4 c=128 ldc=4 signal=st\n"
    "dma.st wait=mx dram=Y+192 sram=128 n0=16\n";

/* Two m-tiles of Y = X W, each summed over four k-chunks: loops two deep,
 * with the first and last chunk peeled (acc and the tokens differ there). */
static const char *gemm_nested =
    ".tensor X input [2, 4, 16]\n"
    ".tensor W param [16, 4]\n"
    ".tensor Y output [2, 4, 4]\n"
    "loop count=2 body=10\n"
    "  loop count=4 body=1\n"
    "    dma.ld dram=X sram=0 n0=4 n1=4 ds1=16 ss1=4\n"
    "    dma.ld dram=X+16 sram=16 n0=4 n1=4 ds1=16 ss1=4\n"
    "  dma.ld dram=W sram=512 n0=64 signal=mx\n"
    "  mm wait=ld m=4 k=4 n=4 a=0 lda=4 b=512 ldb=4 c=768 ldc=4\n"
    "  loop count=2 body=1\n"
    "    mm acc=1 m=4 k=4 n=4 a=16 lda=4 b=528 ldb=4 c=768 ldc=4\n"
    "    mm acc=1 m=4 k=4 n=4 a=32 lda=4 b=544 ldb=4 c=768 ldc=4\n"
    "  mm acc=1 m=4 k=4 n=4 a=48 lda=4 b=560 ldb=4 c=768 ldc=4 signal=st\n"
    "  dma.st wait=mx dram=Y sram=768 n0=16\n"
    "  # copy 1: m = 1\n"
    "  loop count=4 body=1\n"
    "    dma.ld dram=X+256 sram=64 n0=4 n1=4 ds1=16 ss1=4\n"
    "    dma.ld dram=X+272 sram=80 n0=4 n1=4 ds1=16 ss1=4\n"
    "  dma.ld dram=W sram=576 n0=64 signal=mx\n"
    "  mm wait=ld m=4 k=4 n=4 a=64 lda=4 b=576 ldb=4 c=784 ldc=4\n"
    "  loop count=2 body=1\n"
    "    mm acc=1 m=4 k=4 n=4 a=80 lda=4 b=592 ldb=4 c=784 ldc=4\n"
    "    mm acc=1 m=4 k=4 n=4 a=96 lda=4 b=608 ldb=4 c=784 ldc=4\n"
    "  mm acc=1 m=4 k=4 n=4 a=112 lda=4 b=624 ldb=4 c=784 ldc=4 signal=st\n"
    "  dma.st wait=mx dram=Y+64 sram=784 n0=16\n";

/* Y = 2 X over six tiles of 16 words through a ring of three 16-word slots
 * at 64..111, two per tile (input 2t mod 3, output 2t+1 mod 3). Tile 0 is
 * peeled: each load waits for the store before it, which frees the slot it
 * is about to fill. */
static const char *ring_pipeline =
    ".tensor X input [6, 16]\n"
    ".tensor Y output [6, 16]\n"
    "dma.ld dram=X sram=64 n0=16 signal=vec\n"
    "v.mul wait=ld rows=1 cols=16 d=80 dcs=1 a=64 acs=1 immb=1 imm=2 signal=st\n"
    "dma.st wait=vec dram=Y sram=80 n0=16 signal=ld\n"
    "loop count=5 body=3 rb=64 rs=48\n"
    "  dma.ld wait=st dram=X+64 sram=96 n0=16 signal=vec\n"
    "  v.mul wait=ld rows=1 cols=16 d=64 dcs=1 a=96 acs=1 immb=1 imm=2 signal=st\n"
    "  dma.st wait=vec dram=Y+64 sram=64 n0=16 signal=ld\n"
    "  dma.ld wait=st dram=X+128 sram=80 n0=16 signal=vec\n"
    "  v.mul wait=ld rows=1 cols=16 d=96 dcs=1 a=80 acs=1 immb=1 imm=2 signal=st\n"
    "  dma.st wait=vec dram=Y+128 sram=96 n0=16 signal=ld\n";

/* Seven tiles as one peeled and three groups of two, the ring shared by the
 * two loops: a group moves the slots by 4 (1 mod 3), a tile by 2. */
static const char *ring_nested =
    ".tensor X input [7, 16]\n"
    ".tensor Y output [7, 16]\n"
    "dma.ld dram=X sram=64 n0=16 signal=vec\n"
    "v.relu wait=ld rows=1 cols=16 d=80 dcs=1 a=64 acs=1 signal=st\n"
    "dma.st wait=vec dram=Y sram=80 n0=16 signal=ld\n"
    "loop count=3 body=7 rb=64 rs=48\n"
    "  loop count=2 body=3 rb=64 rs=48\n"
    "    dma.ld wait=st dram=X+64 sram=96 n0=16 signal=vec\n"
    "    v.relu wait=ld rows=1 cols=16 d=64 dcs=1 a=96 acs=1 signal=st\n"
    "    dma.st wait=vec dram=Y+64 sram=64 n0=16 signal=ld\n"
    "    dma.ld wait=st dram=X+128 sram=80 n0=16 signal=vec\n"
    "    v.relu wait=ld rows=1 cols=16 d=96 dcs=1 a=80 acs=1 signal=st\n"
    "    dma.st wait=vec dram=Y+128 sram=96 n0=16 signal=ld\n"
    "  loop count=2 body=3 rb=64 rs=48\n"
    "    dma.ld wait=st dram=X+192 sram=80 n0=16 signal=vec\n"
    "    v.relu wait=ld rows=1 cols=16 d=96 dcs=1 a=80 acs=1 signal=st\n"
    "    dma.st wait=vec dram=Y+192 sram=96 n0=16 signal=ld\n"
    "    dma.ld wait=st dram=X+256 sram=64 n0=16 signal=vec\n"
    "    v.relu wait=ld rows=1 cols=16 d=80 dcs=1 a=64 acs=1 signal=st\n"
    "    dma.st wait=vec dram=Y+256 sram=80 n0=16 signal=ld\n";

/* A scan over four tiles of two time steps, the state h in place: the
 * first tile is peeled (zero=1). */
static const char *scan_tiles =
    ".tensor A input [8, 4]\n"
    ".tensor B input [8, 4]\n"
    ".tensor Y output [8, 4]\n"
    "dma.ld dram=A sram=0 n0=32\n"
    "dma.ld dram=B sram=32 n0=32 signal=scan\n"
    "scan wait=ld zero=1 t=2 c=4 a=0 ars=4 b=32 brs=4 y=64 yrs=4 h=200\n"
    "loop count=3 body=1\n"
    "  scan t=2 c=4 a=8 ars=4 b=40 brs=4 y=72 yrs=4 h=200\n"
    "  scan t=2 c=4 a=16 ars=4 b=48 brs=4 y=80 yrs=4 h=200\n"
    "scan t=1 c=4 a=0 b=0 y=400 h=300 signal=st\n" /* orders the store */
    "dma.st wait=scan dram=Y sram=64 n0=32\n";

/* ---- an independent expansion ---- */

static bool is_loop(const uint32_t *w) { return isa_get(w, FLD_OPCODE) == ISA_OP_LOOP; }

/* Field f in iteration i, from its values in copy 0 and copy 1. */
static uint32_t stepped(IsaFieldId f, uint32_t f0, uint32_t f1, uint64_t i, uint32_t rb,
                        uint32_t rs) {
  bool ring = rs && isa_field_addr_kind(f) == ADDR_BUFFER && f0 >= rb && f0 - rb < rs;
  if (!ring)
    return (uint32_t)((int64_t)f0 + (int64_t)i * ((int64_t)f1 - (int64_t)f0));
  uint64_t delta = ((int64_t)f1 - f0 + rs) % rs;
  return (uint32_t)(rb + (f0 - rb + i * delta) % rs);
}

/* Appends the expansion of code[0, n) to out: iteration i of a loop is its
 * copy 0 with every address field inside (nested loops' copies included)
 * stepped i times, then the nested loops expand. */
static void unroll(const uint32_t *code, size_t n, Ebin *out) {
  for (size_t x = 0; x < n;) {
    const uint32_t *w = code + x * ISA_WORDS;
    if (!is_loop(w)) {
      ebin_add_instr(out, w);
      x++;
      continue;
    }
    uint32_t count = isa_get(w, FLD_L_COUNT), k = isa_get(w, FLD_L_BODY);
    uint32_t rb = isa_get(w, FLD_L_RB), rs = isa_get(w, FLD_L_RS);
    uint32_t *copy = malloc((size_t)k * ISA_BYTES);
    for (uint64_t i = 0; i < count; i++) {
      for (size_t j = 0; j < k; j++) {
        const uint32_t *a = w + (1 + j) * ISA_WORDS, *b = w + (1 + k + j) * ISA_WORDS;
        uint32_t *c = copy + j * ISA_WORDS;
        memcpy(c, a, ISA_BYTES);
        if (is_loop(a))
          continue;
        size_t na;
        const IsaOp *op = isa_op_by_opcode(isa_get(a, FLD_OPCODE));
        const IsaFieldId *ids = isa_format_addr_fields(op->format, &na);
        for (size_t f = 0; f < na; f++)
          isa_set(c, ids[f], stepped(ids[f], isa_get(a, ids[f]), isa_get(b, ids[f]), i, rb, rs));
      }
      unroll(copy, k, out);
    }
    free(copy);
    x += 1 + 2 * (size_t)k;
  }
}

static Ebin unrolled_copy(const Ebin *b) {
  Ebin u;
  char msg[300];
  ebin_init(&u, b->arch_hash);
  for (size_t i = 0; i < b->tensor_count; i++) {
    const EbinTensor *t = &b->tensors[i];
    ck_assert_msg(ebin_add_tensor(&u, t->name, (EbinRole)t->role, t->rank, t->dims, t->dram_offset,
                                  t->data, msg, sizeof msg),
                  "%s", msg);
  }
  unroll(b->code, b->instr_count, &u);
  return u;
}

/* ---- running and comparing ---- */

typedef struct Outcome {
  SimStats stats;
  float *outputs; /* every output tensor, in table order */
  size_t n_outputs;
  char *trace;
} Outcome;

static void fill_inputs(SimRun *r, const Ebin *b) {
  for (size_t i = 0; i < b->tensor_count; i++) {
    const EbinTensor *t = &b->tensors[i];
    if (t->role != EBIN_ROLE_INPUT && !(t->role == EBIN_ROLE_PARAM && !t->data))
      continue;
    uint64_t n = ebin_tensor_elems(t);
    float *v = malloc(n * sizeof *v);
    for (uint64_t k = 0; k < n; k++)
      v[k] = (float)((int)((k * 7 + i * 3) % 11) - 5) * 0.25f;
    simtest_set(r, b, t->name, v);
    free(v);
  }
}

static Outcome run(const Ebin *b, const Arch *arch, bool functional) {
  Outcome o = {0};
  size_t trace_len;
  FILE *trace = open_memstream(&o.trace, &trace_len);
  SimOptions opt = {functional, trace, false};
  SimRun r = {0};
  r.sim = sim_new(b, arch, &opt);
  if (functional)
    fill_inputs(&r, b);
  ck_assert_msg(sim_run(r.sim, &r.stats, r.msg, sizeof r.msg), "%s", r.msg);
  fclose(trace);
  o.stats = r.stats;
  for (size_t i = 0; functional && i < b->tensor_count; i++) {
    const EbinTensor *t = &b->tensors[i];
    if (t->role != EBIN_ROLE_OUTPUT)
      continue;
    uint64_t n = ebin_tensor_elems(t);
    o.outputs = realloc(o.outputs, (o.n_outputs + n) * sizeof(float));
    memcpy(o.outputs + o.n_outputs, sim_tensor_data(r.sim, t), n * sizeof(float));
    o.n_outputs += n;
  }
  sim_free(r.sim);
  return o;
}

/* The trace without the "static" arguments a looped run adds. */
static void strip_static(char *s) {
  char *out = s;
  for (char *p = s; *p;) {
    if (strncmp(p, ",\"static\":", 10) == 0) {
      p += 10;
      while (*p >= '0' && *p <= '9')
        p++;
      continue;
    }
    *out++ = *p++;
  }
  *out = '\0';
}

static void outcome_free(Outcome *o) {
  free(o->outputs);
  free(o->trace);
}

/* The looped program and its unrolled form agree in both modes; returns
 * the functional statistics. */
static SimStats same_as_unrolled(const Ebin *looped, const Ebin *flat, const Arch *arch) {
  SimStats functional_stats = {0};
  for (int functional = 1; functional >= 0; functional--) {
    Outcome a = run(looped, arch, functional), b = run(flat, arch, functional);
    ck_assert_uint_eq(a.stats.instrs, flat->instr_count);
    ck_assert_msg(memcmp(&a.stats, &b.stats, sizeof a.stats) == 0,
                  "statistics differ (functional=%d): cycles %llu vs %llu", functional,
                  (unsigned long long)a.stats.cycles, (unsigned long long)b.stats.cycles);
    ck_assert_uint_eq(a.n_outputs, b.n_outputs);
    if (a.n_outputs)
      ck_assert_mem_eq(a.outputs, b.outputs, a.n_outputs * sizeof(float));
    strip_static(a.trace);
    ck_assert_str_eq(a.trace, b.trace);
    if (functional)
      functional_stats = a.stats;
    outcome_free(&a);
    outcome_free(&b);
  }
  return functional_stats;
}

static void expect_same_as_unrolled(const char *text, size_t static_count, size_t dynamic) {
  Arch arch = simtest_small_arch();
  Ebin b = simtest_assemble(text, &arch);
  ck_assert_uint_eq(b.instr_count, static_count);
  Ebin flat = unrolled_copy(&b);
  ck_assert_uint_eq(flat.instr_count, dynamic);
  char msg[600];
  ck_assert_msg(sim_check(&flat, &arch, msg, sizeof msg), "%s", msg);
  same_as_unrolled(&b, &flat, &arch);
  ebin_free(&flat);
  ebin_free(&b);
}

/* Runs a checked program functionally on the test inputs; the output
 * tensor `name` must equal want (n values). */
static void expect_output(const char *text, const char *name, const float *want, size_t n) {
  Arch arch = simtest_small_arch();
  Ebin b = simtest_assemble(text, &arch);
  SimRun *r = simtest_start(&b, &arch, true);
  fill_inputs(r, &b);
  ck_assert_msg(simtest_go(r), "%s", r->msg);
  const float *got = simtest_get(r, &b, name);
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(got[i] == want[i], "%s[%zu] = %g, expected %g", name, i, got[i], want[i]);
  simtest_end(r);
  ebin_free(&b);
}

/* The values fill_inputs gives tensor number `index` (inputs, and params
 * without embedded data). */
static float input_value(size_t index, uint64_t k) {
  return (float)((int)((k * 7 + index * 3) % 11) - 5) * 0.25f;
}

START_TEST(loop_runs_as_its_hand_unrolled_form) {
  Arch arch = simtest_small_arch();
  Ebin looped = simtest_assemble(gemm_loop, &arch);
  Ebin hand = simtest_assemble(gemm_unrolled, &arch);
  Ebin mine = unrolled_copy(&looped);
  ck_assert_uint_eq(looped.instr_count, 8);
  ck_assert_uint_eq(mine.instr_count, hand.instr_count);
  ck_assert_mem_eq(mine.code, hand.code, hand.instr_count * ISA_BYTES);
  SimStats st = same_as_unrolled(&looped, &hand, &arch);
  ck_assert_uint_eq(st.instrs, 13);
  ck_assert_uint_eq(st.unit[UNIT_MATRIX].instrs, 4);
  ck_assert_uint_eq(st.macs, 4 * 64);
  /* Y = X W, worked out here. */
  float y[64];
  for (int t = 0; t < 4; t++)
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) {
        float s = 0;
        for (int p = 0; p < 4; p++)
          s += input_value(0, (uint64_t)(16 * t + 4 * i + p)) * (float)(4 * p + j + 1);
        y[16 * t + 4 * i + j] = s;
      }
  expect_output(gemm_loop, "Y", y, 64);
  ebin_free(&mine);
  ebin_free(&hand);
  ebin_free(&looped);
}
END_TEST

START_TEST(nested_loops) {
  expect_same_as_unrolled(gemm_nested, 21, 20);
  /* The chunks accumulate onto C in order, as one long sum. */
  float y[32];
  for (int m = 0; m < 2; m++)
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) {
        float s = 0;
        for (int p = 0; p < 16; p++)
          s += input_value(0, (uint64_t)(64 * m + 16 * i + p)) *
               input_value(1, (uint64_t)(4 * p + j));
        y[16 * m + 4 * i + j] = s;
      }
  expect_output(gemm_nested, "Y", y, 32);
}
END_TEST

START_TEST(ring_rotation) {
  expect_same_as_unrolled(ring_pipeline, 10, 18);
  float y[96];
  for (int k = 0; k < 96; k++)
    y[k] = 2 * input_value(0, (uint64_t)k);
  expect_output(ring_pipeline, "Y", y, 96);
  /* The slots rotate: tile 3 reads slot 2*3 mod 3 = 0 and writes slot 1. */
  Arch arch = simtest_small_arch();
  Ebin b = simtest_assemble(ring_pipeline, &arch);
  Ebin flat = unrolled_copy(&b);
  const uint32_t *ld3 = flat.code + 9 * ISA_WORDS, *mul3 = flat.code + 10 * ISA_WORDS;
  ck_assert_uint_eq(isa_get(ld3, FLD_DMA_SRAM), 64);
  ck_assert_uint_eq(isa_get(mul3, FLD_V_A), 64);
  ck_assert_uint_eq(isa_get(mul3, FLD_V_D), 80);
  ebin_free(&flat);
  ebin_free(&b);
}
END_TEST

/* A causal halo: iteration i loads X's first i+1 rows into the bottom of a
 * 4-row tile (lo1 = 3 - i, rows above zero-filled), as a convolution's
 * first steps along time do; the valid window steps with the loop. */
static const char halo_pipeline[] =
    ".tensor X input [4, 4]\n.tensor Y output [4, 4, 4]\n"
    "loop count=4 body=2\n"
    "dma.ld signal=st dram=X sram=0 n0=4 n1=4 ds1=4 ss1=4 lo1=3 hi1=4\n"
    "dma.st wait=ld dram=Y sram=0 n0=16\n"
    "dma.ld signal=st dram=X sram=16 n0=4 n1=4 ds1=4 ss1=4 lo1=2 hi1=4\n"
    "dma.st wait=ld dram=Y+64 sram=16 n0=16\n";

START_TEST(valid_window_steps) {
  expect_same_as_unrolled(halo_pipeline, 5, 8);
  float y[64];
  for (int i = 0; i < 4; i++)
    for (int r = 0; r < 4; r++)
      for (int c = 0; c < 4; c++)
        y[16 * i + 4 * r + c] =
            r >= 3 - i ? input_value(0, (uint64_t)(4 * (r - (3 - i)) + c)) : 0.0f;
  expect_output(halo_pipeline, "Y", y, 64);
}
END_TEST

START_TEST(ring_shared_by_nested_loops) {
  expect_same_as_unrolled(ring_nested, 18, 21);
  float y[112];
  for (int k = 0; k < 112; k++) {
    float x = input_value(0, (uint64_t)k);
    y[k] = x > 0 ? x : 0;
  }
  expect_output(ring_nested, "Y", y, 112);
}
END_TEST

START_TEST(scan_over_tiles) {
  expect_same_as_unrolled(scan_tiles, 8, 8);
  float y[32], h[4] = {0};
  for (int t = 0; t < 8; t++)
    for (int c = 0; c < 4; c++) {
      h[c] = input_value(0, (uint64_t)(4 * t + c)) * h[c] + input_value(1, (uint64_t)(4 * t + c));
      y[4 * t + c] = h[c];
    }
  expect_output(scan_tiles, "Y", y, 32);
}
END_TEST

/* A long loop: the expansion does not grow the binary, and the statistics
 * count every iteration. */
START_TEST(long_loop_is_small_and_counts_every_iteration) {
  char text[1000];
  snprintf(text, sizeof text,
           ".tensor Y output [16]\n"
           "loop count=100000 body=1\n"
           "  v.fill rows=1 cols=16 d=0 dcs=1 imm=1\n"
           "  v.fill rows=1 cols=16 d=0 dcs=1 imm=1\n"
           "v.add rows=1 cols=16 d=0 dcs=1 a=0 acs=1 immb=1 imm=1 signal=st\n"
           "dma.st wait=vec dram=Y sram=0 n0=16\n");
  Arch arch = simtest_small_arch();
  Ebin b = simtest_assemble(text, &arch);
  ck_assert_uint_eq(b.instr_count, 5);
  SimRun *r = simtest_start(&b, &arch, true);
  ck_assert_msg(simtest_go(r), "%s", r->msg);
  ck_assert_uint_eq(r->stats.instrs, 100002);
  ck_assert_uint_eq(r->stats.unit[UNIT_VECTOR].instrs, 100001);
  ck_assert_uint_eq(r->stats.unit[UNIT_VECTOR].busy, 4 * 100001);
  ck_assert_float_eq(simtest_get(r, &b, "Y")[15], 2.0f);
  simtest_end(r);
  ebin_free(&b);
}
END_TEST

/* A looped program that fails at run time fails as its unrolled form does,
 * with the same message: instruction numbers are those of the expansion. */
static void expect_same_failure(const char *text, const char *want) {
  Arch arch = simtest_small_arch();
  Ebin b = simtest_assemble(text, &arch);
  Ebin flat = unrolled_copy(&b);
  SimRun *looped = simtest_start(&b, &arch, true), *unrolled = simtest_start(&flat, &arch, true);
  ck_assert(!simtest_go(looped));
  ck_assert(!simtest_go(unrolled));
  ck_assert_str_eq(looped->msg, unrolled->msg);
  ck_assert_msg(strstr(looped->msg, want), "message '%s' lacks '%s'", looped->msg, want);
  simtest_end(looped);
  simtest_end(unrolled);
  ebin_free(&flat);
  ebin_free(&b);
}

START_TEST(races_and_deadlocks_name_expanded_instructions) {
  /* The ring pipeline without the store-to-load tokens: a load refills a
   * slot that an earlier store may still be reading. */
  const char *racy = ".tensor X input [6, 16]\n"
                     ".tensor Y output [6, 16]\n"
                     "dma.ld dram=X sram=64 n0=16 signal=vec\n"
                     "v.mul wait=ld rows=1 cols=16 d=80 dcs=1 a=64 acs=1 immb=1 imm=2 signal=st\n"
                     "dma.st wait=vec dram=Y sram=80 n0=16\n"
                     "loop count=5 body=3 rb=64 rs=48\n"
                     "  dma.ld dram=X+64 sram=96 n0=16 signal=vec\n"
                     "  v.mul wait=ld rows=1 cols=16 d=64 dcs=1 a=96 acs=1 immb=1 imm=2 signal=st\n"
                     "  dma.st wait=vec dram=Y+64 sram=64 n0=16\n"
                     "  dma.ld dram=X+128 sram=80 n0=16 signal=vec\n"
                     "  v.mul wait=ld rows=1 cols=16 d=96 dcs=1 a=80 acs=1 immb=1 imm=2 signal=st\n"
                     "  dma.st wait=vec dram=Y+128 sram=96 n0=16\n";
  expect_same_failure(racy, "race: instruction ");
  /* A store in the loop that waits for a token nobody sends after the first
   * iteration. */
  const char *stuck = ".tensor Y output [4, 16]\n"
                      "v.fill rows=1 cols=16 d=0 dcs=1 imm=1 signal=st\n"
                      "loop count=4 body=1\n"
                      "  dma.st wait=vec dram=Y sram=0 n0=16\n"
                      "  dma.st wait=vec dram=Y+64 sram=0 n0=16\n";
  expect_same_failure(stuck, "deadlock: no queue can issue; st instruction 2 (dma.st) waits for "
                             "a token from vec;");
}
END_TEST

/* ---- messages ---- */

static void expect_asm_error(const char *text, const char *want) {
  Ebin b;
  char msg[600];
  ck_assert_msg(!asm_assemble("t.s", text, strlen(text), 0, &b, msg, sizeof msg), "accepted: %s",
                text);
  ck_assert_str_eq(msg, want);
}

START_TEST(assembler_errors) {
  const char *v = "v.fill rows=1 cols=1 d=0 imm=1\n";
  char text[2000];
  /* hi = 0 means the whole extent: not a value a window steps through. */
  expect_asm_error(".tensor X input [4, 4]\nloop count=2 body=1\n"
                   "dma.ld dram=X sram=0 n0=4 n1=4 ds1=4 ss1=4 lo1=0 hi1=0\n"
                   "dma.ld dram=X sram=0 n0=4 n1=4 ds1=4 ss1=4 lo1=0 hi1=2\n",
                   "t.s:3: dma.ld: field 'hi1' steps through 0 in its loops, which means the "
                   "whole extent; write the extent instead");
  snprintf(text, sizeof text, "loop count=2 body=2\n%s%s%s", v, v, v);
  expect_asm_error(text, "t.s:1: loop: its two copies of the body (2 x 2 instructions) run past "
                         "the end of the program (4 instructions)");
  snprintf(text, sizeof text, "loop count=2 body=3\n%sloop count=2 body=2\n%s%s%s%s%s%s", v, v, v,
           v, v, v, v);
  expect_asm_error(text, "t.s:3: loop: its two copies of the body (2 x 2 instructions) run past "
                         "the end of copy 0 of the loop at instruction 0");
  expect_asm_error("loop count=1 body=1\nv.fill rows=1 cols=1 d=0 imm=1\n",
                   "t.s:1: loop: count is 1; a loop runs at least 2 iterations");
  expect_asm_error("loop count=2 body=0\n",
                   "t.s:1: loop: body is 0; a loop repeats at least 1 instruction");
  expect_asm_error("loop count=2 body=1 wait=ld\n", "t.s:1: loop has no field 'wait'");
  expect_asm_error("loop count=2 body=1 rb=5\n", "t.s:1: loop: rb is 5 but rs is 0 (no ring)");
  expect_asm_error("loop count=2 body=1 rb=4294967295 rs=2\n",
                   "t.s:1: loop: the ring [4294967295, 4294967297) passes the 32-bit address "
                   "space");
  expect_asm_error("loop count=2 body=1\nmm m=2 k=1 n=1\nmm m=4 k=1 n=1\n",
                   "t.s:3: mm: field 'm' is 4 here but 2 in instruction 1, its counterpart in copy "
                   "0 of the loop at instruction 0 (only address fields may differ between the "
                   "copies)");
  expect_asm_error("loop count=2 body=1\nmm m=2 k=1 n=1\nmm m=2 k=1 n=1 signal=st\n",
                   "t.s:3: mm: field 'signal' is 2 here but 0 in instruction 1, its counterpart in "
                   "copy 0 of the loop at instruction 0 (only address fields may differ between "
                   "the copies)");
  expect_asm_error("loop count=2 body=1\nmm m=2 k=1 n=1\nv.fill rows=1 cols=1 d=0 imm=1\n",
                   "t.s:3: v.fill: its counterpart in copy 0 of the loop at instruction 0, "
                   "instruction 1, is mm (the copies of a body hold the same instructions)");
  snprintf(text, sizeof text,
           "loop count=2 body=3\nloop count=2 body=1\n%s%sloop count=3 body=1\n%s%s", v, v, v, v);
  expect_asm_error(text, "t.s:5: loop: this nested loop differs from instruction 1, its "
                         "counterpart in copy 0 of the loop at instruction 0 (nested loops are "
                         "the same in both copies)");
  snprintf(text, sizeof text,
           "loop count=2 body=3 rb=0 rs=64\nloop count=2 body=1 rb=0 rs=32\n%s%s"
           "loop count=2 body=1 rb=0 rs=32\n%s%s",
           v, v, v, v);
  expect_asm_error(text, "t.s:2: loop: its ring [0, 32) is not the ring [0, 64) of the loop at "
                         "instruction 0; nested loops share one ring");
  /* Steps that depend on the inner iteration: d is 0, 1 | 10, 12. */
  expect_asm_error("loop count=2 body=3\nloop count=2 body=1\n"
                   "v.fill rows=1 cols=1 d=0 imm=1\nv.fill rows=1 cols=1 d=1 imm=1\n"
                   "loop count=2 body=1\n"
                   "v.fill rows=1 cols=1 d=10 imm=1\nv.fill rows=1 cols=1 d=12 imm=1\n",
                   "t.s:7: v.fill: field 'd' is 12, but the steps of its loops from instruction 2 "
                   "give 11 (an address steps by the same amount in every copy of the loops "
                   "around and inside it)");
  expect_asm_error("loop count=2 body=1 rb=16 rs=16\n"
                   "v.fill rows=1 cols=1 d=20 imm=1\nv.fill rows=1 cols=1 d=40 imm=1\n",
                   "t.s:3: v.fill: field 'd' is 40, outside the ring [16, 32) that holds its "
                   "value 20 in instruction 1, the same instruction in copy 0 (ring addresses "
                   "stay in the ring)");
  expect_asm_error("loop count=2 body=3\nloop count=2 body=1 rb=16 rs=16\n"
                   "v.fill rows=1 cols=1 d=20 imm=1\nv.fill rows=1 cols=1 d=24 imm=1\n"
                   "loop count=2 body=1 rb=16 rs=16\n"
                   "v.fill rows=1 cols=1 d=21 imm=1\nv.fill rows=1 cols=1 d=25 imm=1\n",
                   "t.s:3: v.fill: field 'd' lies in the ring [16, 32) but steps in the loop at "
                   "instruction 0, which has no ring");
  expect_asm_error("loop count=4 body=1\n"
                   "v.fill rows=1 cols=1 d=10 imm=1\nv.fill rows=1 cols=1 d=5 imm=1\n",
                   "t.s:2: v.fill: field 'd' steps below 0 in its loops (to -5)");
  expect_asm_error("loop count=3 body=1\n"
                   "v.fill rows=1 cols=1 d=4000000000 imm=1\n"
                   "v.fill rows=1 cols=1 d=4200000000 imm=1\n",
                   "t.s:2: v.fill: field 'd' steps past 2^32-1 in its loops (to 4400000000)");
  expect_asm_error(".tensor X input [16]\nloop count=2 body=1\n"
                   "dma.ld dram=X sram=0 n0=1\ndma.ld dram=X+2 sram=0 n0=1\n",
                   "t.s:3: dma.ld: field 'dram' steps by 2 bytes in the loop at instruction 0, "
                   "not a multiple of 4");
  expect_asm_error("loop count=3 body=1 rb=16 rs=16\n"
                   "v.fill rows=1 cols=1 d=0 imm=1\nv.fill rows=1 cols=1 d=8 imm=1\n",
                   "t.s:2: v.fill: field 'd' takes values 0..16, which enter the ring [16, 32) "
                   "without starting in it");
  expect_asm_error("loop count=4294967295 body=1\n"
                   "v.fill rows=1 cols=1 d=0 imm=1\nv.fill rows=1 cols=1 d=0 imm=1\n",
                   "t.s:1: loop: the program expands to more than 2^31 instructions, the "
                   "simulator's limit");
}
END_TEST

/* Nine nested loops: the ninth is one too deep. Built as binary code, since
 * the text would be long. */
START_TEST(nesting_is_limited) {
  /* loop_k has body b_k = 1 + 2 b_{k+1} (its inner loop, twice), the
   * innermost body is one instruction. */
  enum { DEPTH = 9 };
  size_t body[DEPTH + 1];
  body[DEPTH] = 0;
  body[DEPTH - 1] = 1;
  for (int d = DEPTH - 2; d >= 0; d--)
    body[d] = 1 + 2 * body[d + 1];
  size_t n = 1 + 2 * body[0];
  uint32_t *code = calloc(n, ISA_BYTES);
  /* Filled from a stack of (depth, place) to visit. */
  struct {
    int d;
    size_t at;
  } todo[4096];
  size_t sp = 0;
  todo[sp].d = 0;
  todo[sp++].at = 0;
  while (sp) {
    int d = todo[--sp].d;
    size_t at = todo[sp].at;
    uint32_t *w = code + at * ISA_WORDS;
    if (d == DEPTH) {
      isa_set(w, FLD_OPCODE, 0x68); /* v.fill */
      isa_set(w, FLD_V_ROWS, 1);
      isa_set(w, FLD_V_COLS, 1);
      continue;
    }
    isa_set(w, FLD_OPCODE, ISA_OP_LOOP);
    isa_set(w, FLD_L_COUNT, 2);
    isa_set(w, FLD_L_BODY, (uint32_t)body[d]);
    ck_assert_uint_lt(sp + 2, 4096);
    todo[sp].d = d + 1;
    todo[sp++].at = at + 1;
    todo[sp].d = d + 1;
    todo[sp++].at = at + 1 + body[d];
  }
  LoopTable t;
  LoopError e;
  ck_assert(!loop_check(code, n, &t, &e));
  ck_assert_str_eq(e.msg, "loop: loops nest deeper than 8");
  ck_assert_uint_eq(e.at, 8);
  /* Eight deep is fine: drop the outermost loop (its copy 0 is 8 deep). */
  ck_assert_msg(loop_check(code + ISA_WORDS, body[0], &t, &e), "%s", e.msg);
  ck_assert_uint_eq(t.dynamic, 256);
  loop_table_free(&t);
  free(code);
}
END_TEST

static void expect_check_error(const char *text, const char *want) {
  Arch arch = simtest_small_arch();
  Ebin b;
  char msg[600];
  ck_assert_msg(asm_assemble("t.s", text, strlen(text), arch_hash(&arch), &b, msg, sizeof msg),
                "%s", msg);
  ck_assert_msg(!sim_check(&b, &arch, msg, sizeof msg), "accepted: %s", text);
  ck_assert_str_eq(msg, want);
  ebin_free(&b);
}

START_TEST(checker_errors) {
  expect_check_error("loop count=2 body=1 rb=1000 rs=100\n"
                     "v.fill rows=1 cols=1 d=1000 imm=1\nv.fill rows=1 cols=1 d=1001 imm=1\n",
                     "instruction 0: loop: the ring [1000, 1100) passes the end of the 1024-word "
                     "buffer");
  expect_check_error("loop count=4 body=1\n"
                     "v.fill rows=1 cols=16 d=900 dcs=1 imm=1\n"
                     "v.fill rows=1 cols=16 d=940 dcs=1 imm=1\n",
                     "instruction 1 (repeated by the loop at instruction 0, at its largest "
                     "addresses): v.fill: operand d spans buffer words 1020..1035, beyond the "
                     "1024-word buffer");
  expect_check_error(".tensor A input [4]\n.tensor B input [4] @128\nloop count=2 body=1\n"
                     "dma.ld dram=B sram=0 n0=4\ndma.ld dram=112 sram=0 n0=4\n",
                     "instruction 1 (repeated by the loop at instruction 0, at its smallest "
                     "addresses): dma.ld: DRAM address 112 is not inside any tensor");
  expect_check_error(".tensor A input [16]\n.tensor B input [16] @64\nloop count=2 body=1\n"
                     "dma.ld dram=A sram=0 n0=4\ndma.ld dram=A+64 sram=0 n0=4\n",
                     "instruction 1 (repeated by the loop at instruction 0): dma.ld: its DRAM "
                     "address steps from 0 in tensor 'A' to 64 in tensor 'B'; every iteration "
                     "must stay in one tensor");
  expect_check_error("loop count=3 body=1\n"
                     "scan t=1 c=4 a=0 b=0 y=100 h=96\n"
                     "scan t=1 c=4 a=0 b=0 y=96 h=96\n",
                     "instruction 1 (repeated by the loop at instruction 0): scan: the output y "
                     "and the state h may overlap in some iteration (y spans words 92..103 over "
                     "the loop, h 96..99)");
  expect_check_error(".tensor X input [4, 4]\nloop count=3 body=1\n"
                     "dma.ld dram=X sram=0 n0=4 n1=4 ds1=4 ss1=4 lo1=1 hi1=2\n"
                     "dma.ld dram=X sram=0 n0=4 n1=4 ds1=4 ss1=4 lo1=2 hi1=2\n",
                     "instruction 1 (repeated by the loop at instruction 0): the valid window of "
                     "dimension 1 may close in some iteration (lo1 up to 3, hi1 down to 2)");
  /* Sliding y and h together keeps them apart. */
  Arch arch = simtest_small_arch();
  Ebin b = simtest_assemble("loop count=3 body=1\n"
                            "scan t=1 c=4 a=0 b=0 y=100 h=104\n"
                            "scan t=1 c=4 a=0 b=0 y=96 h=100\n",
                            &arch);
  ebin_free(&b);
}
END_TEST

/* ---- text round trip ---- */

START_TEST(disassembly_reassembles_to_the_same_bytes) {
  const char *programs[] = {gemm_loop, gemm_nested, ring_pipeline, ring_nested, scan_tiles};
  Arch arch = simtest_small_arch();
  for (size_t p = 0; p < sizeof programs / sizeof programs[0]; p++) {
    Ebin b = simtest_assemble(programs[p], &arch);
    char *text = NULL;
    size_t text_len = 0;
    FILE *f = open_memstream(&text, &text_len);
    asm_disassemble(&b, f);
    fclose(f);
    Ebin c;
    char msg[600];
    ck_assert_msg(asm_assemble("dis.s", text, text_len, b.arch_hash, &c, msg, sizeof msg), "%s\n%s",
                  msg, text);
    uint8_t *x, *y;
    size_t xl, yl;
    ck_assert(ebin_serialize(&b, &x, &xl, msg, sizeof msg));
    ck_assert(ebin_serialize(&c, &y, &yl, msg, sizeof msg));
    ck_assert_uint_eq(xl, yl);
    ck_assert_mem_eq(x, y, xl);
    if (programs[p] == gemm_nested) {
      ck_assert_msg(strstr(text, ", 21 instructions, 20 once the loops are expanded\n"), "%s",
                    text);
      ck_assert_msg(strstr(text, "\nloop count=2 body=10  # 0\n"
                                 "  loop count=4 body=1  # 1\n"
                                 "    dma.ld dram=X sram=0 n0=4 n1=4 ds1=16 ss1=4  # 2\n"
                                 "    # copy 1 of the loop at 1\n"
                                 "    dma.ld dram=X+16 sram=16 n0=4 n1=4 ds1=16 ss1=4  # 3\n"),
                    "%s", text);
      ck_assert_msg(strstr(text, "  # copy 1 of the loop at 0\n  loop count=4 body=1  # 11\n"),
                    "%s", text);
    }
    if (programs[p] == ring_pipeline)
      ck_assert_msg(strstr(text, "\nloop count=5 body=3 rb=64 rs=48  # 3\n"), "%s", text);
    free(x);
    free(y);
    free(text);
    ebin_free(&c);
    ebin_free(&b);
  }
}
END_TEST

/* ---- corrupt binaries ---- */

/* Parses, checks and (when the expansion is small) runs an image; the first
 * message, or NULL when everything passed. */
static const char *load_and_run(const uint8_t *img, size_t len, const Arch *arch) {
  static char msg[700];
  Ebin b;
  if (!ebin_parse(img, len, &b, msg, sizeof msg))
    return msg;
  const char *result = NULL;
  LoopTable t;
  LoopError e;
  if (!sim_check(&b, arch, msg, sizeof msg)) {
    result = msg;
  } else if (loop_table_build(b.code, b.instr_count, &t, &e)) {
    if (t.dynamic <= 4096)
      for (int functional = 1; functional >= 0 && !result; functional--) {
        SimOptions opt = {functional == 1, NULL, false};
        Sim *s = sim_new(&b, arch, &opt);
        SimStats st;
        if (!sim_run(s, &st, msg, sizeof msg))
          result = msg;
        sim_free(s);
      }
    loop_table_free(&t);
  }
  ebin_free(&b);
  return result;
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* The nested GEMM's image, with word `word` of instruction `instr` set. */
static const char *corrupt(const uint8_t *good, size_t len, size_t instr, unsigned word,
                           uint32_t value, const Arch *arch) {
  uint8_t *img = malloc(len);
  memcpy(img, good, len);
  size_t code = (size_t)get32(good + 48); /* code_offset, low word */
  put32(img + code + instr * ISA_BYTES + 4 * word, value);
  const char *msg = load_and_run(img, len, arch);
  free(img);
  return msg;
}

static void expect_corrupt(const uint8_t *good, size_t len, size_t instr, unsigned word,
                           uint32_t value, const Arch *arch, const char *want) {
  const char *msg = corrupt(good, len, instr, word, value, arch);
  ck_assert_msg(msg != NULL, "accepted word %u of instruction %zu = %u", word, instr, value);
  ck_assert_msg(strstr(msg, want), "message '%s' lacks '%s'", msg, want);
}

START_TEST(corrupt_loop_headers_are_rejected) {
  Arch arch = simtest_small_arch();
  Ebin b = simtest_assemble(gemm_nested, &arch);
  uint8_t *good;
  size_t len;
  char msg[300];
  ck_assert(ebin_serialize(&b, &good, &len, msg, sizeof msg));
  ck_assert_ptr_null(load_and_run(good, len, &arch));
  /* Instruction 0 is the outer loop, 1 and 11 the inner ones. */
  expect_corrupt(good, len, 0, 0, ISA_OP_LOOP | 1u << 8, &arch,
                 "instruction 0: loop: a loop has no wait or signal");
  expect_corrupt(good, len, 0, 1, 1, &arch, "instruction 0: loop: count is 1");
  expect_corrupt(good, len, 0, 1, 0, &arch, "instruction 0: loop: count is 0");
  expect_corrupt(good, len, 0, 2, 0, &arch, "instruction 0: loop: body is 0");
  expect_corrupt(good, len, 0, 2, 11, &arch,
                 "instruction 0: loop: its two copies of the body (2 x 11 instructions) run past "
                 "the end of the program (21 instructions)");
  expect_corrupt(good, len, 0, 2, 0xffffffffu, &arch, "run past the end of the program");
  expect_corrupt(good, len, 0, 3, 7, &arch, "instruction 0: loop: rb is 7 but rs is 0");
  expect_corrupt(good, len, 0, 5, 1, &arch, "instruction 0: loop: reserved bits set in word 5");
  expect_corrupt(good, len, 0, 15, 1, &arch, "instruction 0: loop: reserved bits set in word 15");
  expect_corrupt(good, len, 0, 1, 0x80000000u, &arch, "expands to more than 2^31 instructions");
  expect_corrupt(good, len, 1, 2, 5, &arch,
                 "instruction 1: loop: its two copies of the body (2 x 5 instructions) run past "
                 "the end of copy 0 of the loop at instruction 0");
  expect_corrupt(good, len, 11, 1, 5, &arch,
                 "instruction 11: loop: this nested loop differs from instruction 1");
  expect_corrupt(good, len, 1, 4, 64, &arch, "instruction 11: loop: this nested loop differs");
  /* A copy that is not an instruction of the same kind, or not a step. */
  expect_corrupt(good, len, 12, 0, 0x02, &arch,
                 "instruction 12: dma.st: its counterpart in copy 0 of the loop at instruction 0, "
                 "instruction 2, is dma.ld");
  expect_corrupt(good, len, 13, 2, 20, &arch,
                 "instruction 13: dma.ld: field 'sram' is 20, but the steps of its loops from "
                 "instruction 2 give 80");
  ebin_free(&b);
  free(good);
  /* A ring that no longer fits in the buffer. */
  b = simtest_assemble(ring_pipeline, &arch);
  ck_assert(ebin_serialize(&b, &good, &len, msg, sizeof msg));
  expect_corrupt(good, len, 3, 4, 2000, &arch,
                 "instruction 3: loop: the ring [64, 2064) passes the end of the 1024-word buffer");
  ebin_free(&b);
  free(good);
}
END_TEST

START_TEST(every_bit_flip_of_a_looped_binary_is_safe) {
  Arch arch = simtest_small_arch();
  Ebin b = simtest_assemble(ring_nested, &arch);
  uint8_t *good, *img;
  size_t len;
  char msg[300];
  ck_assert(ebin_serialize(&b, &good, &len, msg, sizeof msg));
  img = malloc(len);
  size_t accepted = 0;
  for (size_t bit = 0; bit < len * 8; bit++) {
    memcpy(img, good, len);
    img[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    accepted += load_and_run(img, len, &arch) == NULL;
  }
  ck_assert_uint_gt(accepted, 0);
  ck_assert_uint_lt(accepted, len * 8);
  free(img);
  free(good);
  ebin_free(&b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("sim_loop");
  TCase *tc = tcase_create("loop");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, loop_runs_as_its_hand_unrolled_form);
  tcase_add_test(tc, nested_loops);
  tcase_add_test(tc, ring_rotation);
  tcase_add_test(tc, valid_window_steps);
  tcase_add_test(tc, ring_shared_by_nested_loops);
  tcase_add_test(tc, scan_over_tiles);
  tcase_add_test(tc, long_loop_is_small_and_counts_every_iteration);
  tcase_add_test(tc, races_and_deadlocks_name_expanded_instructions);
  tcase_add_test(tc, assembler_errors);
  tcase_add_test(tc, nesting_is_limited);
  tcase_add_test(tc, checker_errors);
  tcase_add_test(tc, disassembly_reassembles_to_the_same_bytes);
  tcase_add_test(tc, corrupt_loop_headers_are_rejected);
  tcase_add_test(tc, every_bit_flip_of_a_looped_binary_is_safe);
  suite_add_tcase(s, tc);
  return run_suites(s, NULL);
}
