/* The opcode table, the .ebin container, and the assembler/disassembler. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "runtime/asm.h"
#include "runtime/ebin.h"
#include "runtime/isa.h"
#include "runtime/sim.h"
#include "tests/sim/simtest.h"
#include "tests/testutil.h"

START_TEST(opcode_table_is_consistent) {
  size_t n;
  const IsaOp *ops = isa_ops(&n);
  ck_assert_uint_ge(n, 40);
  for (size_t i = 0; i < n; i++) {
    ck_assert_ptr_eq(isa_op_by_opcode(ops[i].opcode), &ops[i]);
    ck_assert_ptr_eq(isa_op_by_mnemonic(ops[i].mnemonic), &ops[i]);
    ck_assert_uint_ne(ops[i].opcode, 0); /* an all-zero word is never valid */
    /* The fields an op uses never share a bit. */
    uint32_t used[ISA_WORDS] = {0};
    size_t nf;
    const IsaFieldId *ids = isa_format_fields(ops[i].format, &nf);
    for (size_t k = 0; k < nf; k++) {
      const IsaField *f = isa_field(ids[k]);
      ck_assert_uint_lt(f->word, ISA_WORDS);
      ck_assert_uint_le(f->shift + f->width, 32);
      uint32_t mask = isa_field_max(ids[k]) << f->shift;
      ck_assert_msg((used[f->word] & mask) == 0, "%s: field %s overlaps", ops[i].mnemonic, f->name);
      used[f->word] |= mask;
      for (size_t j = 0; j < k; j++)
        ck_assert_str_ne(isa_field(ids[j])->name, f->name);
    }
  }
  ck_assert_ptr_null(isa_op_by_opcode(0));
  ck_assert_ptr_null(isa_op_by_opcode(0xff));
  ck_assert_ptr_null(isa_op_by_mnemonic("v.frobnicate"));
  /* The special-function stage runs what the issue lists. */
  const char *special[] = {"v.exp",  "v.log",   "v.softplus", "v.silu", "v.sigmoid",
                           "v.tanh", "v.rsqrt", "v.sqrt",     "v.sin",  "v.cos"};
  for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
    ck_assert(isa_op_by_mnemonic(special[i])->special);
}
END_TEST

START_TEST(manual_lists_every_opcode) {
  char *text = read_whole_file(simtest_path("docs/isa.md"), NULL);
  ck_assert_msg(text != NULL, "docs/isa.md missing");
  size_t n;
  const IsaOp *ops = isa_ops(&n);
  for (size_t i = 0; i < n; i++) {
    char row[64];
    snprintf(row, sizeof row, "| 0x%02x | `%s` |", ops[i].opcode, ops[i].mnemonic);
    ck_assert_msg(strstr(text, row), "docs/isa.md lacks the row '%s'", row);
  }
  for (int id = 0; id < FLD_COUNT; id++) {
    char cell[64];
    snprintf(cell, sizeof cell, "| `%s` | w%u |", isa_field((IsaFieldId)id)->name,
             isa_field((IsaFieldId)id)->word);
    ck_assert_msg(strstr(text, cell), "docs/isa.md lacks the field '%s'", cell);
  }
  free(text);
}
END_TEST

static const char *sample =
    ".tensor X input [4, 8]\n"
    ".tensor W param [8, 4]\n"
    ".tensor Y output [4, 4]\n"
    ".tensor tmp scratch [16] @4096\n"
    ".data W 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 "
    "32\n"
    "dma.ld dram=X sram=0 n0=8 n1=4 ds1=8 ss1=8   # a comment\n"
    "dma.ld dram=W sram=32 n0=32 signal=mx\n"
    "mm wait=ld m=4 k=8 n=4 a=0 lda=8 b=32 ldb=4 c=64 ldc=4 signal=vec\n"
    "v.silu wait=mx rows=4 cols=4 d=64 drs=4 dcs=1 a=64 ars=4 acs=1\n"
    "v.mul rows=4 cols=4 d=64 drs=4 dcs=1 a=64 ars=4 acs=1 immb=1 imm=0.5 signal=st\n"
    "dma.st wait=vec dram=Y sram=64 n0=4 n1=4 ds1=4 ss1=4\n"
    "dma.st dram=tmp+16 sram=64 n0=4\n";

START_TEST(container_round_trip) {
  Arch arch = simtest_small_arch();
  Ebin b = simtest_assemble(sample, &arch);
  ck_assert_uint_eq(b.tensor_count, 4);
  ck_assert_uint_eq(b.instr_count, 7);
  ck_assert_uint_eq(b.tensors[3].dram_offset, 4096);
  ck_assert_uint_eq(b.dram_bytes, 4096 + 64);
  uint8_t *img;
  size_t len;
  char msg[400];
  ck_assert(ebin_serialize(&b, &img, &len, msg, sizeof msg));
  ck_assert_mem_eq(img, "EINCEBIN", 8);
  /* header 64 + 4 tensors * 128 + 7 * 64 code = 1024, then W's data. */
  ck_assert_uint_eq(len, 1024 + 128);
  Ebin c;
  ck_assert_msg(ebin_parse(img, len, &c, msg, sizeof msg), "%s", msg);
  ck_assert_uint_eq(c.arch_hash, arch_hash(&arch));
  ck_assert_uint_eq(c.tensor_count, 4);
  ck_assert_str_eq(c.tensors[1].name, "W");
  ck_assert_uint_eq(c.tensors[1].role, EBIN_ROLE_PARAM);
  ck_assert_float_eq(c.tensors[1].data[31], 32);
  ck_assert_mem_eq(c.code, b.code, b.instr_count * ISA_BYTES);
  uint8_t *img2;
  size_t len2;
  ck_assert(ebin_serialize(&c, &img2, &len2, msg, sizeof msg));
  ck_assert_uint_eq(len, len2);
  ck_assert_mem_eq(img, img2, len);
  free(img);
  free(img2);
  ebin_free(&c);
  ebin_free(&b);
}
END_TEST

START_TEST(disassembly_reassembles_to_the_same_bytes) {
  Arch arch = simtest_small_arch();
  Ebin b = simtest_assemble(sample, &arch);
  char *text = NULL;
  size_t text_len = 0;
  FILE *f = open_memstream(&text, &text_len);
  asm_disassemble(&b, f);
  fclose(f);
  ck_assert_msg(strstr(text, "dma.ld dram=X sram=0 n0=8 n1=4 ds1=8 ss1=8  # 0"), "%s", text);
  ck_assert_msg(strstr(text, "v.mul signal=st immb=1 imm=0.5 rows=4"), "%s", text);
  ck_assert_msg(strstr(text, "dma.st dram=tmp+16 sram=64 n0=4"), "%s", text);
  ck_assert_msg(strstr(text, ".tensor tmp scratch [16] @4096"), "%s", text);
  Ebin c;
  char msg[400];
  ck_assert_msg(asm_assemble("dis.s", text, text_len, b.arch_hash, &c, msg, sizeof msg), "%s\n%s",
                msg, text);
  uint8_t *x, *y;
  size_t xl, yl;
  ck_assert(ebin_serialize(&b, &x, &xl, msg, sizeof msg));
  ck_assert(ebin_serialize(&c, &y, &yl, msg, sizeof msg));
  ck_assert_uint_eq(xl, yl);
  ck_assert_mem_eq(x, y, xl);
  free(x);
  free(y);
  free(text);
  ebin_free(&b);
  ebin_free(&c);
}
END_TEST

static void expect_asm_error(const char *text, const char *want) {
  Ebin b;
  char msg[400];
  ck_assert_msg(!asm_assemble("t.s", text, strlen(text), 0, &b, msg, sizeof msg), "accepted: %s",
                text);
  ck_assert_msg(strstr(msg, want), "message '%s' lacks '%s'", msg, want);
}

START_TEST(assembler_errors) {
  expect_asm_error("mm m=1\nfoo x=1\n", "t.s:2: unknown instruction 'foo'");
  expect_asm_error("mm q=1\n", "t.s:1: mm has no field 'q'");
  expect_asm_error("v.exp imm=1\n", "v.exp has no field 'imm'"); /* unused by unary ops */
  expect_asm_error("mm m=1 m=2\n", "field 'm' given twice");
  expect_asm_error("mm m\n", "expected name=value");
  expect_asm_error("mm m=-1\n", "not an unsigned integer");
  expect_asm_error("mm m=4294967296\n", "does not fit in 32 bits");
  expect_asm_error("mm acc=2\n", "does not fit in 1 bits");
  expect_asm_error("mm wait=mx\n", "waits for a token from its own unit");
  expect_asm_error("mm signal=ld,foo\n", "not a list of units");
  expect_asm_error("v.add immb=1 imm=x\n", "'x' is not a number");
  expect_asm_error("v.add imm=2\n", "imm is set but immb is 0");
  expect_asm_error("v.add immb=1 imm=2 b=3\n", "operand b is set but immb is 1");
  expect_asm_error("dma.ld dram=nope\n", "unknown tensor 'nope'");
  expect_asm_error(".tensor x input [0]\n", "bad dimension");
  expect_asm_error(".tensor x input [2\n", "malformed dimensions");
  expect_asm_error(".tensor x wrong [2]\n", "unknown role 'wrong'");
  expect_asm_error(".tensor 9x input [2]\n", "bad tensor name");
  expect_asm_error(".tensor x input [2]\n.tensor x input [2]\n", "duplicate tensor 'x'");
  expect_asm_error(".tensor x input [32]\n.tensor y input [2] @64\n", "overlaps 'x'");
  expect_asm_error(".tensor x input [2] @3\n", "not 64-aligned");
  expect_asm_error(".tensor x input [2]\n.data x 1 2\n", "'x' is not a param");
  expect_asm_error(".tensor w param [2]\n.data w 1 2 3\n", "more than 2 values");
  expect_asm_error(".tensor w param [2]\n.data w 1\n", "has 1 values, the tensor has 2");
  expect_asm_error(".frob\n", "unknown directive '.frob'");
}
END_TEST

/* Found by fuzz_text: .data for a param declared with 6e9 elements used to
 * allocate all 25 GB up front, which fails under a 2 GiB address-space limit
 * ("out of memory"); memory now follows the values written. ASan reserves
 * far more address space than that, so the limit is set only without it. */
START_TEST(assembler_memory_follows_the_text) {
#ifndef __SANITIZE_ADDRESS__
  struct rlimit limit = {(rlim_t)2 << 30, (rlim_t)2 << 30};
  ck_assert_int_eq(setrlimit(RLIMIT_AS, &limit), 0);
#endif
  expect_asm_error(".tensor W param [4, 1571762345]\n.data W 1 2 3\n",
                   "has 3 values, the tensor has 6287049380");
}
END_TEST

START_TEST(dma_between_tensors_is_rejected) {
  /* A is bytes 0..15, B starts at 128: byte 64 is in no tensor, and a box
   * starting in A may not run into the gap. */
  Arch arch = simtest_small_arch();
  const char *cases[][2] = {
      {"dma.ld dram=64 sram=0 n0=4\n", "DRAM address 64 is not inside any tensor"},
      {"dma.ld dram=A+8 sram=0 n0=4\n", "DRAM bytes 8..23 run past the end of tensor 'A' (16)"},
      {"dma.st dram=B+12 sram=0 n0=2\n", "run past the end of tensor 'B'"},
      {"dma.ld dram=B+12 sram=0 n0=1\n", NULL},
      {"dma.ld dram=A sram=0 n0=2 n1=2 ds1=2\n", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[300];
    snprintf(text, sizeof text, ".tensor A input [4]\n.tensor B input [4] @128\n%s", cases[i][0]);
    Ebin b;
    char msg[400];
    ck_assert(asm_assemble("t.s", text, strlen(text), arch_hash(&arch), &b, msg, sizeof msg));
    bool ok = sim_check(&b, &arch, msg, sizeof msg);
    if (cases[i][1]) {
      ck_assert_msg(!ok, "accepted %s", cases[i][0]);
      ck_assert_msg(strstr(msg, cases[i][1]), "message '%s' lacks '%s'", msg, cases[i][1]);
    } else {
      ck_assert_msg(ok, "%s: %s", cases[i][0], msg);
    }
    ebin_free(&b);
  }
}
END_TEST

/* ---- ranks above 8: the shape blob (issue 14, docs/ebin.md) ---- */

/* Ranks 12, 2 and 9: the entries of X and Y point to shape blobs right
 * after the table; W keeps its dims in its entry. */
static const char *high_rank = ".tensor X input [2, 1, 3, 1, 1, 2, 1, 1, 1, 2, 1, 2]\n"
                               ".tensor W param [4, 2]\n"
                               ".tensor Y output [1, 2, 1, 3, 1, 1, 2, 1, 2]\n"
                               ".data W 1 2 3 4 5 6 7 8\n"
                               "dma.ld dram=X sram=0 n0=48 signal=st\n"
                               "dma.st wait=ld dram=Y sram=0 n0=24\n";

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }
static void set32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static void set64(uint8_t *p, uint64_t v) {
  set32(p, (uint32_t)v);
  set32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t *high_rank_image(size_t *len) {
  Arch arch = simtest_small_arch();
  Ebin b = simtest_assemble(high_rank, &arch);
  uint8_t *img;
  char msg[400];
  ck_assert_msg(ebin_serialize(&b, &img, len, msg, sizeof msg), "%s", msg);
  ebin_free(&b);
  return img;
}

START_TEST(high_rank_round_trip) {
  Arch arch = simtest_small_arch();
  Ebin b = simtest_assemble(high_rank, &arch);
  const uint32_t xd[] = {2, 1, 3, 1, 1, 2, 1, 1, 1, 2, 1, 2}, yd[] = {1, 2, 1, 3, 1, 1, 2, 1, 2};
  uint8_t *img;
  size_t len;
  char msg[400];
  ck_assert(ebin_serialize(&b, &img, &len, msg, sizeof msg));
  /* The layout of docs/ebin.md: X's blob (48 bytes) at 448 right after the
   * 3 entries, Y's (36, padded to 40) at 496, the code at the next
   * multiple of 64 (576), W's data after the code. */
  const uint8_t *x = img + 64, *w = img + 64 + 128, *y = img + 64 + 256;
  ck_assert_uint_eq(le32(x + 72), 12);
  ck_assert_uint_eq(le32(x + 76), 2); /* flag bit 1: a shape blob */
  ck_assert_uint_eq(le64(x + 80), 448);
  for (int k = 88; k < 112; k++)
    ck_assert_uint_eq(x[k], 0);
  for (int d = 0; d < 12; d++)
    ck_assert_uint_eq(le32(img + 448 + 4 * d), xd[d]);
  ck_assert_uint_eq(le32(y + 76), 2);
  ck_assert_uint_eq(le64(y + 80), 496);
  for (int d = 0; d < 9; d++)
    ck_assert_uint_eq(le32(img + 496 + 4 * d), yd[d]);
  ck_assert_uint_eq(le32(w + 76), 1); /* data, dims in the entry */
  ck_assert_uint_eq(le32(w + 80), 4);
  ck_assert_uint_eq(le32(w + 84), 2);
  ck_assert_uint_eq(le64(img + 48), 576);
  ck_assert_uint_eq(len, 576 + 2 * 64 + 64);
  Ebin c;
  ck_assert_msg(ebin_parse(img, len, &c, msg, sizeof msg), "%s", msg);
  ck_assert_uint_eq(c.tensors[0].rank, 12);
  ck_assert_mem_eq(c.tensors[0].dims, xd, sizeof xd);
  ck_assert_uint_eq(c.tensors[2].rank, 9);
  ck_assert_mem_eq(c.tensors[2].dims, yd, sizeof yd);
  ck_assert_uint_eq(ebin_tensor_elems(&c.tensors[0]), 48);
  uint8_t *img2;
  size_t len2;
  ck_assert(ebin_serialize(&c, &img2, &len2, msg, sizeof msg));
  ck_assert_uint_eq(len, len2);
  ck_assert_mem_eq(img, img2, len);
  /* The listing names every dimension and reassembles to the same bytes. */
  char *text = NULL;
  size_t text_len = 0;
  FILE *f = open_memstream(&text, &text_len);
  asm_disassemble(&c, f);
  fclose(f);
  ck_assert_msg(strstr(text, ".tensor X input [2, 1, 3, 1, 1, 2, 1, 1, 1, 2, 1, 2] @0\n"), "%s",
                text);
  Ebin d;
  ck_assert_msg(asm_assemble("dis.s", text, text_len, c.arch_hash, &d, msg, sizeof msg), "%s", msg);
  uint8_t *img3;
  size_t len3;
  ck_assert(ebin_serialize(&d, &img3, &len3, msg, sizeof msg));
  ck_assert_uint_eq(len, len3);
  ck_assert_mem_eq(img, img3, len);
  /* And it runs: Y is X's first 24 values. */
  ck_assert_msg(sim_check(&c, &arch, msg, sizeof msg), "%s", msg);
  float xs[48];
  for (int i = 0; i < 48; i++)
    xs[i] = (float)i;
  SimRun *r = simtest_start(&c, &arch, true);
  simtest_set(r, &c, "X", xs);
  ck_assert_msg(simtest_go(r), "%s", r->msg);
  float *ys = simtest_get(r, &c, "Y");
  for (int i = 0; i < 24; i++)
    ck_assert_float_eq(ys[i], (float)i);
  simtest_end(r);
  free(text);
  free(img);
  free(img2);
  free(img3);
  ebin_free(&b);
  ebin_free(&c);
  ebin_free(&d);
}
END_TEST

START_TEST(rank_limit_is_sixteen) {
  Ebin b;
  ebin_init(&b, 0);
  uint32_t dims[17];
  for (int d = 0; d < 17; d++)
    dims[d] = 1;
  char msg[200];
  ck_assert(ebin_add_tensor(&b, "a", EBIN_ROLE_INPUT, 16, dims, UINT64_MAX, NULL, msg, sizeof msg));
  ck_assert(
      !ebin_add_tensor(&b, "b", EBIN_ROLE_INPUT, 17, dims, UINT64_MAX, NULL, msg, sizeof msg));
  ck_assert_str_eq(msg, "tensor 'b': rank 17 exceeds 16");
  ebin_free(&b);
  expect_asm_error(".tensor x input [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n",
                   "more than 16 dimensions");
}
END_TEST

/* Corrupt entries and blobs of the high-rank image: each is its own
 * message, as docs/ebin.md lists them. */
static void expect_parse_error(const uint8_t *good, size_t len, void (*edit)(uint8_t *),
                               const char *want) {
  uint8_t *img = malloc(len);
  memcpy(img, good, len);
  edit(img);
  Ebin b;
  char msg[400];
  ck_assert_msg(!ebin_parse(img, len, &b, msg, sizeof msg),
                "accepted a binary that should fail "
                "with '%s'",
                want);
  ck_assert_msg(strstr(msg, want), "message '%s' lacks '%s'", msg, want);
  free(img);
}

static uint8_t *entry(uint8_t *p, int i) { return p + 64 + 128 * i; }
static void rank_without_blob(uint8_t *p) { set32(entry(p, 1) + 72, 9); }
static void blob_flag_low_rank(uint8_t *p) { set32(entry(p, 1) + 76, 3); }
static void flag_cleared(uint8_t *p) { set32(entry(p, 0) + 76, 0); }
static void rank_seventeen(uint8_t *p) { set32(entry(p, 0) + 72, 17); }
static void blob_unaligned(uint8_t *p) { set64(entry(p, 0) + 80, 452); }
static void blob_in_header(uint8_t *p) { set64(entry(p, 0) + 80, 8); }
static void blob_beyond_file(uint8_t *p) { set64(entry(p, 0) + 80, 1u << 20); }
static void blob_past_end(uint8_t *p) { set64(entry(p, 0) + 80, 768 - 40); }
/* X's blob moved (its dims with it) into the code, or into W's data. */
static void blob_in_code(uint8_t *p) {
  memcpy(p + 584, p + 448, 48);
  set64(entry(p, 0) + 80, 584);
}
static void blob_in_data(uint8_t *p) {
  memcpy(p + 712, p + 448, 48);
  set64(entry(p, 0) + 80, 712);
}
static void blobs_shared(uint8_t *p) { set64(entry(p, 2) + 80, 448); }
static void blob_junk(uint8_t *p) { entry(p, 0)[100] = 1; }
static void blob_dim_zero(uint8_t *p) { set32(p + 448 + 4 * 5, 0); }
static void blob_huge(uint8_t *p) {
  for (int d = 0; d < 12; d++)
    set32(p + 448 + 4 * d, 0xffffffffu);
}
static void blob_grows(uint8_t *p) { set32(p + 448 + 4 * 3, 2); } /* 96 elements: past its DRAM */

START_TEST(high_rank_corruption_is_rejected) {
  size_t len;
  uint8_t *good = high_rank_image(&len);
  ck_assert_uint_eq(len, 768);
  /* Every cut into a section is rejected; the last 32 bytes are the
   * padding after W's data. */
  for (size_t cut = 0; cut < len - 32; cut++) {
    Ebin b;
    char msg[400];
    ck_assert_msg(!ebin_parse(good, cut, &b, msg, sizeof msg), "accepted a cut at %zu", cut);
  }
  expect_parse_error(good, len, rank_without_blob,
                     "tensor 'W': rank 9 exceeds 8, the dimensions an entry holds, without flag "
                     "bit 1 (a shape blob)");
  expect_parse_error(good, len, blob_flag_low_rank,
                     "tensor 'W': flag bit 1 (a shape blob) with rank 2: the entry holds up to 8 "
                     "dimensions itself");
  expect_parse_error(good, len, flag_cleared, "tensor 'X': rank 12 exceeds 8");
  expect_parse_error(good, len, rank_seventeen, "tensor 'X': rank 17 exceeds 16");
  expect_parse_error(good, len, blob_unaligned,
                     "tensor 'X': shape at 452+48 is unaligned, inside the header or beyond the "
                     "file");
  expect_parse_error(good, len, blob_in_header, "tensor 'X': shape at 8+48 is unaligned, inside");
  expect_parse_error(good, len, blob_beyond_file, "tensor 'X': shape at 1048576+48 is unaligned");
  expect_parse_error(good, len, blob_past_end, "tensor 'X': shape at 728+48 is unaligned");
  expect_parse_error(good, len, blob_in_code, "file: the code overlaps shape of tensor 'X'");
  expect_parse_error(good, len, blob_in_data,
                     "file: data of tensor 'W' overlaps shape of tensor 'X'");
  expect_parse_error(good, len, blobs_shared, "overlaps shape of tensor");
  expect_parse_error(good, len, blob_junk, "tensor 'X': bytes 88..111 must be 0 with a shape blob");
  expect_parse_error(good, len, blob_dim_zero, "tensor 'X': a dimension is 0");
  expect_parse_error(good, len, blob_huge, "tensor 'X': a dimension is 0 or the size exceeds 2^40");
  expect_parse_error(good, len, blob_grows,
                     "tensor 'X': DRAM placement 0+384 is unaligned or beyond");
  free(good);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ebin");
  TCase *tc = tcase_create("ebin");
  tcase_add_test(tc, opcode_table_is_consistent);
  tcase_add_test(tc, manual_lists_every_opcode);
  tcase_add_test(tc, container_round_trip);
  tcase_add_test(tc, disassembly_reassembles_to_the_same_bytes);
  tcase_add_test(tc, assembler_errors);
  tcase_add_test(tc, assembler_memory_follows_the_text);
  tcase_add_test(tc, dma_between_tensors_is_rejected);
  tcase_add_test(tc, high_rank_round_trip);
  tcase_add_test(tc, rank_limit_is_sixteen);
  tcase_add_test(tc, high_rank_corruption_is_rejected);
  suite_add_tcase(s, tc);
  return run_suites(s, NULL);
}
