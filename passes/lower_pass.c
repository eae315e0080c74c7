/* The lowering pass: the Loop IR under the mapping (ir/loop.h). On the
 * CPU an Einsum the mapping marks `epilogue` gets its contraction
 * accumulated in place and the rest applied after; under --fusion auto
 * the other contractions are cache-tiled (passes/tile_cpu.c, fixed tiles:
 * they are not in the mapping yet). An epilogue's contraction is not
 * cache-tiled: measured on the mamba-130m out_proj, tiling it made it slower
 * (85-100 ms against 73-79 ms, docs/cpu-backend.md). */
#include "passes/passes.h"

bool pass_lower(Compilation *c) {
  const Mapping *m = c->mapping;
  LowerOptions *opt = arena_alloc(c->arena, sizeof *opt * ((size_t)m->neinsums + 1));
  for (int i = 0; c->target == TARGET_CPU && i < m->neinsums; i++) {
    opt[i].epilogue = m->einsums[i].epilogue;
    opt[i].cache_tiling = c->fusion == FUSION_AUTO && !m->einsums[i].epilogue;
    opt[i].block_cols = c->cpu_block_cols;
  }
  c->loops = lower_each(c->cascade, opt, c->arena);
  return c->loops != NULL;
}
