/* libFuzzer harness for the binary loader and the simulator: parse an .ebin
 * image, check it against a small architecture, and run whatever passes both
 * functionally and timing-only. Any crash, sanitizer report or hang is a bug:
 * hostile binaries must only ever produce error messages.
 * The architecture hash is not compared, so that mutated programs reach the
 * instruction checks and the simulator. Every accepted image is also
 * written and read back, which must give the same image again.
 * Build and run: fuzz/run.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/arch.h"
#include "runtime/asm.h"
#include "runtime/ebin.h"
#include "runtime/loop.h"
#include "runtime/sim.h"

/* The most instructions, once the loops are expanded, that a run may have. */
#define FUZZ_MAX_INSTRS 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char small_arch[] =
    "name: fuzz\nclock_ghz: 1\n"
    "matrix: {rows: 4, cols: 4, latency: 8}\n"
    "vector: {lanes: 4, latency: 2, special_cycles: 3, special_latency: 5}\n"
    "scan: {lanes: 4, latency: 3}\n"
    "buffer: {bytes: 4096, banks: 4}\n"
    "dram: {bytes_per_cycle: 8, burst_bytes: 16, latency: 10, capacity_bytes: 1048576}\n"
    "tokens: {depth: 2}\n"
    "energy: {dram_pj_per_byte: 1, buffer_pj_per_byte: 1, mac_pj: 1, vector_op_pj: 1, "
    "special_pj: 1, scan_step_pj: 1}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static Arch arch;
  static int ready;
  char msg[700];
  if (!ready) {
    if (!arch_parse(&arch, "fuzz", small_arch, strlen(small_arch), msg, sizeof msg))
      abort();
    ready = 1;
  }
  Ebin b;
  if (!ebin_parse(data, size, &b, msg, sizeof msg))
    return 0;
  /* What the reader accepts, the writer writes in a form the reader reads
   * back to the same image (shape blobs, data and code included). */
  uint8_t *img, *again;
  size_t len, again_len;
  Ebin c;
  if (!ebin_serialize(&b, &img, &len, msg, sizeof msg) ||
      !ebin_parse(img, len, &c, msg, sizeof msg))
    abort();
  if (!ebin_serialize(&c, &again, &again_len, msg, sizeof msg) || again_len != len ||
      memcmp(img, again, len) != 0)
    abort();
  free(img);
  free(again);
  ebin_free(&c);
  /* The listing, loop indentation included, of whatever the reader takes. */
  char *text;
  size_t text_len;
  FILE *listing = open_memstream(&text, &text_len);
  if (!listing)
    abort();
  asm_disassemble(&b, listing);
  fclose(listing);
  free(text);
  /* Loops may expand a small binary to 2^31 instructions: only runs that
   * stay in milliseconds are simulated. */
  LoopTable loops = {0};
  LoopError e;
  if (sim_check(&b, &arch, msg, sizeof msg) &&
      loop_table_build(b.code, b.instr_count, &loops, &e) && loops.dynamic <= FUZZ_MAX_INSTRS) {
    for (int functional = 1; functional >= 0; functional--) {
      SimOptions opt = {functional == 1, NULL, false};
      Sim *s = sim_new(&b, &arch, &opt);
      SimStats st;
      sim_run(s, &st, msg, sizeof msg);
      sim_free(s);
    }
  }
  loop_table_free(&loops);
  ebin_free(&b);
  return 0;
}
