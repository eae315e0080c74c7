/* Corrupt and hostile binaries: each is an error message, never a crash (this
 * suite is also run under ASan/UBSan in the sanitizer build). The tests edit a
 * valid image field by field (offsets as in docs/ebin.md). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/asm.h"
#include "runtime/ebin.h"
#include "runtime/sim.h"
#include "tests/sim/simtest.h"

static Arch arch;
static uint8_t *good;
static size_t good_len;

/* Header 64 bytes; tensor table at 64 (128 bytes each, 3 tensors); code at
 * 448 (64 bytes each); W's data after the code, 64-aligned. */
#define TABLE 64
#define CODE (64 + 3 * 128)

static const char *program = ".tensor X input [4, 4]\n"
                             ".tensor W param [4, 4]\n"
                             ".tensor Y output [4, 4]\n"
                             ".data W 1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1\n"
                             "dma.ld dram=X sram=0 n0=16\n"
                             "dma.ld dram=W sram=16 n0=16 signal=mx\n"
                             "mm wait=ld m=4 k=4 n=4 a=0 lda=4 b=16 ldb=4 c=32 ldc=4 signal=st\n"
                             "dma.st wait=mx dram=Y sram=32 n0=16\n";

static void setup(void) {
  arch = simtest_small_arch();
  Ebin b = simtest_assemble(program, &arch);
  char msg[300];
  ck_assert(ebin_serialize(&b, &good, &good_len, msg, sizeof msg));
  ebin_free(&b);
}

static void teardown(void) { free(good); }

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  put32(p, (uint32_t)v);
  put32(p + 4, (uint32_t)(v >> 32));
}

/* Parses, checks against the architecture and runs (functional, then timing
 * only); returns the first error, or NULL when everything passed. */
static const char *load_and_run(const uint8_t *img, size_t len) {
  static char msg[700];
  Ebin b;
  if (!ebin_parse(img, len, &b, msg, sizeof msg))
    return msg;
  const char *result = NULL;
  if (b.arch_hash != arch_hash(&arch)) {
    snprintf(msg, sizeof msg, "architecture mismatch");
    result = msg;
  } else if (!sim_check(&b, &arch, msg, sizeof msg)) {
    result = msg;
  } else {
    for (int functional = 1; functional >= 0 && !result; functional--) {
      SimOptions opt = {functional == 1, NULL, false};
      Sim *s = sim_new(&b, &arch, &opt);
      SimStats st;
      if (!sim_run(s, &st, msg, sizeof msg))
        result = msg;
      sim_free(s);
    }
  }
  ebin_free(&b);
  return result;
}

/* Copies the good image, lets `edit` change it, and expects `want`. */
static void expect(const char *want, size_t len, void (*edit)(uint8_t *)) {
  uint8_t *img = malloc(good_len + 256);
  memcpy(img, good, good_len);
  memset(img + good_len, 0, 256);
  edit(img);
  const char *msg = load_and_run(img, len);
  ck_assert_msg(msg != NULL, "accepted a binary that should fail with '%s'", want);
  ck_assert_msg(strstr(msg, want), "message '%s' lacks '%s'", msg, want);
  free(img);
}

static void no_edit(uint8_t *p) { (void)p; }

START_TEST(the_good_binary_runs) { ck_assert_ptr_null(load_and_run(good, good_len)); }
END_TEST

START_TEST(every_truncation_is_rejected) {
  for (size_t cut = 0; cut < good_len; cut++)
    ck_assert_msg(load_and_run(good, cut) != NULL, "accepted a binary cut at %zu bytes", cut);
  expect("truncated: 10 bytes", 10, no_edit);
  expect("truncated or misplaced tensor table", 100, no_edit);
  expect("truncated or misplaced code", CODE + 10, no_edit);
}
END_TEST

static void bad_magic(uint8_t *p) { p[0] = 'X'; }
static void bad_version(uint8_t *p) { put32(p + 8, 2); }
static void bad_header_size(uint8_t *p) { put32(p + 12, 32); }
static void bad_instr_size(uint8_t *p) { put32(p + 36, 32); }
static void other_arch(uint8_t *p) { p[16] ^= 1; }
static void huge_dram(uint8_t *p) { put64(p + 24, UINT64_C(1) << 50); }
static void big_dram(uint8_t *p) { put64(p + 24, UINT64_C(1) << 30); }
static void many_tensors(uint8_t *p) { put32(p + 32, 70000); }
static void more_tensors(uint8_t *p) { put32(p + 32, 1000); }
static void table_misaligned(uint8_t *p) { put64(p + 40, 65); }
static void table_in_header(uint8_t *p) { put64(p + 40, 0); }
static void table_far(uint8_t *p) { put64(p + 40, UINT64_MAX - 8); }
static void code_far(uint8_t *p) { put64(p + 48, UINT64_C(1) << 62); }
static void code_overlaps_table(uint8_t *p) { put64(p + 48, 64); }
static void many_instrs(uint8_t *p) { put64(p + 56, UINT64_MAX); }
static void more_instrs(uint8_t *p) { put64(p + 56, 1000); }

START_TEST(header_fields) {
  expect("bad magic", good_len, bad_magic);
  expect("format version 2 is not supported", good_len, bad_version);
  expect("header size 32", good_len, bad_header_size);
  expect("instruction size 32", good_len, bad_instr_size);
  expect("architecture mismatch", good_len, other_arch);
  expect("exceeds 2^40", good_len, huge_dram);
  expect("exceeds the architecture's dram.capacity_bytes", good_len, big_dram);
  expect("tensor count 70000 exceeds", good_len, many_tensors);
  expect("truncated or misplaced tensor table", good_len, more_tensors);
  expect("misplaced tensor table", good_len, table_misaligned);
  expect("misplaced tensor table", good_len, table_in_header);
  expect("misplaced tensor table", good_len, table_far);
  expect("misplaced code", good_len, code_far);
  expect("the tensor table overlaps the code", good_len, code_overlaps_table);
  expect("instruction count", good_len, many_instrs);
  expect("misplaced code", good_len, more_instrs);
}
END_TEST

static uint8_t *tensor(uint8_t *p, int i) { return p + TABLE + 128 * i; }
static void name_unterminated(uint8_t *p) { memset(tensor(p, 0), 'a', 64); }
static void name_bad_char(uint8_t *p) { tensor(p, 0)[0] = '$'; }
static void name_empty(uint8_t *p) { tensor(p, 0)[0] = 0; }
static void name_junk_after_nul(uint8_t *p) { tensor(p, 0)[10] = 'z'; }
static void name_duplicate(uint8_t *p) { tensor(p, 2)[0] = 'X'; }
static void dtype_bad(uint8_t *p) { put32(tensor(p, 0) + 64, 2); }
static void role_bad(uint8_t *p) { put32(tensor(p, 0) + 68, 9); }
static void rank_bad(uint8_t *p) { put32(tensor(p, 0) + 72, 9); }
static void flags_bad(uint8_t *p) { put32(tensor(p, 0) + 76, 6); }
static void dim_zero(uint8_t *p) { put32(tensor(p, 0) + 80, 0); }
static void dim_beyond_rank(uint8_t *p) { put32(tensor(p, 0) + 88, 3); }
static void dims_huge(uint8_t *p) {
  put32(tensor(p, 0) + 72, 4);
  for (int d = 0; d < 4; d++)
    put32(tensor(p, 0) + 80 + 4 * d, 0xffffffffu);
}
static void placement_unaligned(uint8_t *p) { put64(tensor(p, 0) + 112, 4); }
static void placement_outside(uint8_t *p) { put64(tensor(p, 2) + 112, 192); }
static void placement_overlap(uint8_t *p) { put64(tensor(p, 1) + 112, 0); }
static void data_on_input(uint8_t *p) {
  put32(tensor(p, 0) + 76, 1);
  put64(tensor(p, 0) + 120, 704);
}
static void data_offset_without_flag(uint8_t *p) { put64(tensor(p, 0) + 120, 704); }
static void data_outside(uint8_t *p) { put64(tensor(p, 1) + 120, 1u << 20); }
static void data_unaligned(uint8_t *p) { put64(tensor(p, 1) + 120, 708); }
static void data_overlaps_code(uint8_t *p) { put64(tensor(p, 1) + 120, CODE); }

START_TEST(tensor_fields) {
  expect("name is not NUL-terminated", good_len, name_unterminated);
  expect("bad name", good_len, name_bad_char);
  expect("bad name", good_len, name_empty);
  expect("bytes after the name's NUL must be 0", good_len, name_junk_after_nul);
  expect("duplicate tensor name 'X'", good_len, name_duplicate);
  expect("unknown dtype 2", good_len, dtype_bad);
  expect("unknown role 9", good_len, role_bad);
  expect("rank 9 exceeds 8", good_len, rank_bad);
  expect("unknown flags 0x6", good_len, flags_bad);
  expect("a dimension is 0", good_len, dim_zero);
  expect("dimension 2 beyond the rank must be 0", good_len, dim_beyond_rank);
  expect("the size exceeds 2^40 bytes", good_len, dims_huge);
  expect("is unaligned or beyond the DRAM image", good_len, placement_unaligned);
  expect("is unaligned or beyond the DRAM image", good_len, placement_outside);
  expect("DRAM: DRAM placement of tensor 'X' overlaps DRAM placement of tensor 'W'", good_len,
         placement_overlap);
  expect("only params may carry data", good_len, data_on_input);
  expect("data offset set without the data flag", good_len, data_offset_without_flag);
  expect("unaligned or beyond the file", good_len, data_outside);
  expect("unaligned or beyond the file", good_len, data_unaligned);
  expect("the code overlaps data of tensor 'W'", good_len, data_overlaps_code);
}
END_TEST

static uint8_t *instr(uint8_t *p, int i) { return p + CODE + 64 * i; }
static void opcode_unknown(uint8_t *p) { instr(p, 0)[0] = 0x7f; }
static void opcode_zero(uint8_t *p) { memset(instr(p, 0), 0, 64); }
static void reserved_header(uint8_t *p) { instr(p, 0)[3] = 0x80; }
static void reserved_word(uint8_t *p) { put32(instr(p, 2) + 60, 1); }
static void wait_self(uint8_t *p) { instr(p, 2)[1] |= 1 << 2; }
static void signal_self(uint8_t *p) { instr(p, 0)[2] |= 1; }
static void dma_n_zero(uint8_t *p) { put32(instr(p, 0) + 12, 0); }
static void dma_sram_out(uint8_t *p) { put32(instr(p, 0) + 8, 1020); }
static void dma_sram_stride_out(uint8_t *p) {
  put32(instr(p, 0) + 16, 2);          /* n1 = 2 */
  put32(instr(p, 0) + 40, 0x7fffffff); /* ss1 */
}
static void dma_sram_overflow(uint8_t *p) {
  put32(instr(p, 0) + 12, 2);
  put32(instr(p, 0) + 16, 2);
  put32(instr(p, 0) + 20, 2);
  put32(instr(p, 0) + 24, 2);
  for (int k = 0; k < 3; k++)
    put32(instr(p, 0) + 40 + 4 * k, 0xffffffffu);
}
static void dma_too_many(uint8_t *p) {
  put32(instr(p, 0) + 12, 0xffffffffu);
  put32(instr(p, 0) + 16, 0xffffffffu);
}
static void dma_unaligned(uint8_t *p) { put32(instr(p, 0) + 4, 2); }
static void dma_outside_tensors(uint8_t *p) { put32(instr(p, 3) + 4, 1u << 30); }
static void dma_past_tensor(uint8_t *p) { put32(instr(p, 3) + 4, 128 + 4); }
static void dma_stride_past(uint8_t *p) {
  put32(instr(p, 1) + 12, 4);
  put32(instr(p, 1) + 16, 4);
  put32(instr(p, 1) + 28, 1000); /* ds1 */
  put32(instr(p, 1) + 40, 4);
}
static void dma_window_bad(uint8_t *p) { put32(instr(p, 0) + 52, 5u | (3u << 16)); }
static void mm_m_zero(uint8_t *p) { put32(instr(p, 2) + 4, 0); }
static void mm_c_out(uint8_t *p) { put32(instr(p, 2) + 32, 1023); }
static void mm_lda_huge(uint8_t *p) { put32(instr(p, 2) + 20, 0xffffffffu); }
static void mm_huge(uint8_t *p) {
  put32(instr(p, 2) + 4, 100000);
  put32(instr(p, 2) + 8, 100000);
}

START_TEST(instruction_fields) {
  expect("instruction 0: unknown opcode 0x7f", good_len, opcode_unknown);
  expect("instruction 0: unknown opcode 0x00", good_len, opcode_zero);
  expect("instruction 0: dma.ld: reserved bits set in word 0", good_len, reserved_header);
  expect("instruction 2: mm: reserved bits set in word 15", good_len, reserved_word);
  expect("waits for a token from its own unit (mx)", good_len, wait_self);
  expect("signals its own unit (ld)", good_len, signal_self);
  expect("extent n0 is 0", good_len, dma_n_zero);
  expect("operand sram spans buffer words 1020..1035, beyond the 1024-word buffer", good_len,
         dma_sram_out);
  expect("operand sram spans buffer words", good_len, dma_sram_stride_out);
  expect("operand sram", good_len, dma_sram_overflow);
  expect("more than the buffer holds", good_len, dma_too_many);
  expect("DRAM address 2 is not 4-byte aligned", good_len, dma_unaligned);
  expect("instruction 3: dma.st: DRAM address 1073741824 is not inside any tensor", good_len,
         dma_outside_tensors);
  expect("run past the end of tensor 'Y'", good_len, dma_past_tensor);
  expect("run past the end of tensor 'W'", good_len, dma_stride_past);
  expect("valid window [5,3)", good_len, dma_window_bad);
  expect("m, k and n must be at least 1", good_len, mm_m_zero);
  expect("operand c spans buffer words 1023..", good_len, mm_c_out);
  expect("operand a spans buffer words", good_len, mm_lda_huge);
  expect("larger than the buffer", good_len, mm_huge);
}
END_TEST

/* Token mistakes: drop the signal that the mm waits for (underflow), or make
 * the store wait for a unit that never signals it. */
static void token_underflow(uint8_t *p) { instr(p, 1)[2] = 0; }
static void token_never(uint8_t *p) { instr(p, 3)[1] = 1 << 3; }
static void race_no_token(uint8_t *p) {
  instr(p, 2)[1] = 0; /* the mm no longer waits for the loads */
  instr(p, 1)[2] = 0;
}

START_TEST(token_errors) {
  expect("deadlock: no queue can issue; st instruction 3 (dma.st) waits for a token from mx; mx "
         "instruction 2 (mm) waits for a token from ld;",
         good_len, token_underflow);
  expect("st instruction 3 (dma.st) waits for a token from vec", good_len, token_never);
  expect("race: instruction 2 (mm, mx unit) reads buffer word 0 at cycle 0", good_len,
         race_no_token);
}
END_TEST

START_TEST(every_bit_flip_is_safe) {
  /* Flip each bit of the image in turn: whatever the loader decides, it must
   * not crash, and accepted images must run to completion. */
  uint8_t *img = malloc(good_len);
  size_t accepted = 0;
  for (size_t bit = 0; bit < good_len * 8; bit++) {
    memcpy(img, good, good_len);
    img[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    accepted += load_and_run(img, good_len) == NULL;
  }
  /* Some flips are harmless (data values, stride fields of unit extents). */
  ck_assert_uint_gt(accepted, 0);
  ck_assert_uint_lt(accepted, good_len * 8);
  free(img);
}
END_TEST

int main(void) {
  Suite *s = suite_create("sim_corrupt");
  TCase *tc = tcase_create("corrupt");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, the_good_binary_runs);
  tcase_add_test(tc, every_truncation_is_rejected);
  tcase_add_test(tc, header_fields);
  tcase_add_test(tc, tensor_fields);
  tcase_add_test(tc, instruction_fields);
  tcase_add_test(tc, token_errors);
  tcase_add_test(tc, every_bit_flip_is_safe);
  suite_add_tcase(s, tc);
  return run_suites(s, NULL);
}
