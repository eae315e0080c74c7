/* The timing model's figures: JSON for scripts, a summary for people. */
#include "runtime/sim.h"

void sim_stats_json(const SimStats *st, const Arch *arch, FILE *f) {
  fprintf(f, "{\n");
  fprintf(f, "  \"arch\": \"%s\",\n", arch->name);
  fprintf(f, "  \"arch_hash\": \"%016llx\",\n", (unsigned long long)arch_hash(arch));
  fprintf(f, "  \"clock_ghz\": %.17g,\n", arch->clock_ghz);
  fprintf(f, "  \"cycles\": %llu,\n", (unsigned long long)st->cycles);
  fprintf(f, "  \"seconds\": %.17g,\n", (double)st->cycles / (arch->clock_ghz * 1e9));
  fprintf(f, "  \"instructions\": %llu,\n", (unsigned long long)st->instrs);
  fprintf(f, "  \"dram_read_bytes\": %llu,\n", (unsigned long long)st->dram_read_bytes);
  fprintf(f, "  \"dram_write_bytes\": %llu,\n", (unsigned long long)st->dram_write_bytes);
  fprintf(f, "  \"dram_read_transferred_bytes\": %llu,\n",
          (unsigned long long)st->dram_read_transferred);
  fprintf(f, "  \"dram_write_transferred_bytes\": %llu,\n",
          (unsigned long long)st->dram_write_transferred);
  fprintf(f, "  \"peak_sram_bytes\": %llu,\n", (unsigned long long)st->peak_sram_bytes);
  if (st->peak_live_bytes)
    fprintf(f, "  \"peak_live_bytes\": %llu,\n", (unsigned long long)st->peak_live_bytes);
  fprintf(f, "  \"buffer_access_bytes\": %llu,\n", (unsigned long long)st->buffer_bytes);
  fprintf(f, "  \"macs\": %llu,\n", (unsigned long long)st->macs);
  fprintf(f, "  \"vector_elements\": %llu,\n", (unsigned long long)st->vector_elems);
  fprintf(f, "  \"special_elements\": %llu,\n", (unsigned long long)st->special_elems);
  fprintf(f, "  \"scan_steps\": %llu,\n", (unsigned long long)st->scan_steps);
  fprintf(f, "  \"energy_pj\": %.17g,\n", st->energy_pj);
  fprintf(f,
          "  \"energy_breakdown_pj\": {\"dram\": %.17g, \"buffer\": %.17g, \"mac\": %.17g, "
          "\"vector\": %.17g, \"special\": %.17g, \"scan\": %.17g},\n",
          st->energy_dram_pj, st->energy_buffer_pj, st->energy_mac_pj, st->energy_vector_pj,
          st->energy_special_pj, st->energy_scan_pj);
  fprintf(f, "  \"units\": {");
  for (int u = 0; u < UNIT_COUNT; u++)
    fprintf(f, "%s\"%s\": %llu", u ? ", " : "", isa_unit_long_name((IsaUnit)u),
            (unsigned long long)st->unit[u].busy);
  fprintf(f, "},\n  \"unit_instructions\": {");
  for (int u = 0; u < UNIT_COUNT; u++)
    fprintf(f, "%s\"%s\": %llu", u ? ", " : "", isa_unit_long_name((IsaUnit)u),
            (unsigned long long)st->unit[u].instrs);
  fprintf(f, "}\n}\n");
}

static double pct(uint64_t part, uint64_t whole) {
  return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

void sim_stats_summary(const SimStats *st, const Arch *arch, FILE *f) {
  double us = (double)st->cycles / (arch->clock_ghz * 1e3);
  fprintf(f, "einsim: %llu instructions, %llu cycles (%.3f us at %g GHz) on %s\n",
          (unsigned long long)st->instrs, (unsigned long long)st->cycles, us, arch->clock_ghz,
          arch->name);
  fprintf(f,
          "  DRAM: %llu bytes read, %llu bytes written (%llu and %llu moved in %llu-byte "
          "bursts); peak buffer use %llu of %llu bytes\n",
          (unsigned long long)st->dram_read_bytes, (unsigned long long)st->dram_write_bytes,
          (unsigned long long)st->dram_read_transferred,
          (unsigned long long)st->dram_write_transferred,
          (unsigned long long)arch->dram_burst_bytes, (unsigned long long)st->peak_sram_bytes,
          (unsigned long long)arch->buf_bytes);
  if (st->peak_live_bytes)
    fprintf(f, "  live data: at most %llu bytes at once\n",
            (unsigned long long)st->peak_live_bytes);
  uint64_t peak_macs = st->cycles * arch->mx_rows * arch->mx_cols;
  fprintf(f,
          "  work: %llu MACs (%.1f%% of the array's peak), %llu vector and %llu special "
          "elements, %llu scan steps\n",
          (unsigned long long)st->macs, pct(st->macs, peak_macs),
          (unsigned long long)st->vector_elems, (unsigned long long)st->special_elems,
          (unsigned long long)st->scan_steps);
  fprintf(f, "  busy:");
  for (int u = 0; u < UNIT_COUNT; u++)
    fprintf(f, " %s %llu (%.1f%%)%s", isa_unit_long_name((IsaUnit)u),
            (unsigned long long)st->unit[u].busy, pct(st->unit[u].busy, st->cycles),
            u + 1 < UNIT_COUNT ? "," : "\n");
  fprintf(f,
          "  energy: %.1f nJ (DRAM %.1f%%, buffer %.1f%%, MAC %.1f%%, vector %.1f%%, special "
          "%.1f%%, scan %.1f%%)\n",
          st->energy_pj / 1e3, st->energy_pj ? 100 * st->energy_dram_pj / st->energy_pj : 0,
          st->energy_pj ? 100 * st->energy_buffer_pj / st->energy_pj : 0,
          st->energy_pj ? 100 * st->energy_mac_pj / st->energy_pj : 0,
          st->energy_pj ? 100 * st->energy_vector_pj / st->energy_pj : 0,
          st->energy_pj ? 100 * st->energy_special_pj / st->energy_pj : 0,
          st->energy_pj ? 100 * st->energy_scan_pj / st->energy_pj : 0);
}
