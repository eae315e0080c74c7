/* make bench-sim: the simulator's speed on a large tiled GEMM stream, built
 * through the ebin API the compiler will use. Prints simulated instructions
 * per second (timing only) and simulated MACs per second (functional, which
 * includes the per-word race check). Timings are measured, never asserted. */
#include "runtime/arch.h"
#include "runtime/ebin.h"
#include "runtime/isa.h"
#include "runtime/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint32_t bit(IsaUnit u) { return UINT32_C(1) << u; }

static void dma(Ebin *b, uint8_t opcode, uint32_t dram, uint32_t sram, uint32_t rows, uint32_t cols,
                uint32_t ld_dram, uint32_t wait, uint32_t signal) {
  uint32_t w[ISA_WORDS] = {0};
  isa_set(w, FLD_OPCODE, opcode);
  isa_set(w, FLD_WAIT, wait);
  isa_set(w, FLD_SIGNAL, signal);
  isa_set(w, FLD_DMA_DRAM, dram);
  isa_set(w, FLD_DMA_SRAM, sram);
  isa_set(w, FLD_DMA_N0, cols);
  isa_set(w, FLD_DMA_N1, rows);
  isa_set(w, FLD_DMA_N2, 1);
  isa_set(w, FLD_DMA_N3, 1);
  isa_set(w, FLD_DMA_DS1, ld_dram);
  isa_set(w, FLD_DMA_SS1, cols);
  ebin_add_instr(b, w);
}

/* C[n,n] = A[n,n] * B[n,n] in t x t tiles, loop order i, j, k; A and B tiles
 * double-buffered, C tiles double-buffered so stores overlap the next tile.
 * Tokens: ld->mx per tile; mx->ld frees an A/B slot; mx->st per finished C
 * tile; st->mx frees a C slot. */
static void build_gemm(Ebin *b, const Arch *arch, uint32_t n, uint32_t t) {
  char msg[200];
  ebin_init(b, arch_hash(arch));
  uint32_t dims[2] = {n, n};
  ebin_add_tensor(b, "A", EBIN_ROLE_INPUT, 2, dims, UINT64_MAX, NULL, msg, sizeof msg);
  ebin_add_tensor(b, "B", EBIN_ROLE_INPUT, 2, dims, UINT64_MAX, NULL, msg, sizeof msg);
  ebin_add_tensor(b, "C", EBIN_ROLE_OUTPUT, 2, dims, UINT64_MAX, NULL, msg, sizeof msg);
  uint32_t a_at = (uint32_t)b->tensors[0].dram_offset, b_at = (uint32_t)b->tensors[1].dram_offset,
           c_at = (uint32_t)b->tensors[2].dram_offset;
  uint32_t tile = t * t, slot_a[2] = {0, tile}, slot_b[2] = {2 * tile, 3 * tile},
           slot_c[2] = {4 * tile, 5 * tile};
  uint32_t nt = n / t, tiles = nt * nt * nt, ctiles = nt * nt;
  uint32_t index = 0, cindex = 0;
  for (uint32_t i = 0; i < nt; i++)
    for (uint32_t j = 0; j < nt; j++, cindex++) {
      uint32_t cs = cindex % 2;
      for (uint32_t k = 0; k < nt; k++, index++) {
        uint32_t s = index % 2;
        dma(b, 0x01, a_at + 4 * (i * t * n + k * t), slot_a[s], t, t, n,
            index >= 2 ? bit(UNIT_MATRIX) : 0, 0);
        dma(b, 0x01, b_at + 4 * (k * t * n + j * t), slot_b[s], t, t, n, 0, bit(UNIT_MATRIX));
        uint32_t w[ISA_WORDS] = {0};
        isa_set(w, FLD_OPCODE, 0x10);
        uint32_t wait = bit(UNIT_LOAD), signal = 0;
        if (k == 0 && cindex >= 2)
          wait |= bit(UNIT_STORE);
        if (index + 2 < tiles)
          signal |= bit(UNIT_LOAD);
        if (k + 1 == nt)
          signal |= bit(UNIT_STORE);
        isa_set(w, FLD_WAIT, wait);
        isa_set(w, FLD_SIGNAL, signal);
        isa_set(w, FLD_MM_ACC, k > 0);
        isa_set(w, FLD_MM_M, t);
        isa_set(w, FLD_MM_K, t);
        isa_set(w, FLD_MM_N, t);
        isa_set(w, FLD_MM_A, slot_a[s]);
        isa_set(w, FLD_MM_LDA, t);
        isa_set(w, FLD_MM_B, slot_b[s]);
        isa_set(w, FLD_MM_LDB, t);
        isa_set(w, FLD_MM_C, slot_c[cs]);
        isa_set(w, FLD_MM_LDC, t);
        ebin_add_instr(b, w);
      }
      dma(b, 0x02, c_at + 4 * (i * t * n + j * t), slot_c[cs], t, t, n, bit(UNIT_MATRIX),
          cindex + 2 < ctiles ? bit(UNIT_MATRIX) : 0);
    }
}

static void run(const char *label, const Arch *arch, uint32_t n, uint32_t t, bool functional) {
  Ebin b;
  build_gemm(&b, arch, n, t);
  char msg[600];
  if (!sim_check(&b, arch, msg, sizeof msg)) {
    fprintf(stderr, "bench_sim: %s\n", msg);
    exit(1);
  }
  SimOptions opt = {functional, NULL, false};
  double t0 = now();
  Sim *s = sim_new(&b, arch, &opt);
  if (functional)
    for (size_t i = 0; i < 2; i++) {
      float *d = sim_tensor_data(s, &b.tensors[i]);
      uint64_t count = ebin_tensor_elems(&b.tensors[i]);
      for (uint64_t k = 0; k < count; k++)
        d[k] = (float)((k * 7 + i) % 13) - 6.0f;
    }
  SimStats st;
  if (!sim_run(s, &st, msg, sizeof msg)) {
    fprintf(stderr, "bench_sim: %s\n", msg);
    exit(1);
  }
  double secs = now() - t0;
  if (functional) {
    /* Spot-check one element against a direct dot product. */
    const float *A = sim_tensor_data(s, &b.tensors[0]), *B = sim_tensor_data(s, &b.tensors[1]),
                *C = sim_tensor_data(s, &b.tensors[2]);
    double want = 0;
    for (uint32_t p = 0; p < n; p++)
      want += (double)A[3 * n + p] * B[p * n + 5];
    if (C[3 * n + 5] != (float)want) {
      fprintf(stderr, "bench_sim: wrong result %g, expected %g\n", C[3 * n + 5], want);
      exit(1);
    }
  }
  printf("| %-11s | %5u | %3u | %9zu | %14llu | %11llu | %7.3f | %12.3g | %12.3g |\n", label, n, t,
         b.instr_count, (unsigned long long)st.macs, (unsigned long long)st.cycles, secs,
         (double)b.instr_count / secs, (double)st.macs / secs);
  sim_free(s);
  ebin_free(&b);
}

int main(int argc, char **argv) {
  Arch arch;
  arch_default(&arch);
  uint32_t big = argc > 1 ? (uint32_t)atoi(argv[1]) : 4096;
  uint32_t small = argc > 2 ? (uint32_t)atoi(argv[2]) : 1024;
  printf("einsim speed on a tiled GEMM C = A*B (n x n, t x t tiles, double-buffered), default "
         "architecture (%llux%llu array)\n\n",
         (unsigned long long)arch.mx_rows, (unsigned long long)arch.mx_cols);
  printf("| mode        |     n |   t | instrs    | simulated MACs | sim. cycles | wall s  | "
         "instrs/s     | MACs/s       |\n");
  printf("|---|---|---|---|---|---|---|---|---|\n");
  run("timing-only", &arch, big, 64, false);
  run("timing-only", &arch, big, 32, false);
  run("functional", &arch, small, 64, true);
  run("functional", &arch, small / 2, 32, true);
  return 0;
}
