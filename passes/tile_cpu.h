/* Cache-tiled register micro-kernels for contractions on the CPU
 * (passes/tile_cpu.c). */
#ifndef EINC_TILE_CPU_H
#define EINC_TILE_CPU_H

#include "ir/loop.h"

/* An accumulate-in-place nest as lowering builds it, before any blocking:
 * for order[0] ... for order[depth - 1]: out[index] op= value, where every
 * iteration commutes with every other (out is not read in value). */
typedef struct TileCpuNest {
  Kernel *kernel;
  const int *order;
  int depth;
  LBuffer *out;
  Index **index;
  Update update;
  LExpr *value;
  int first_local_id; /* the program's number of buffers: packed tiles take ids from here */
  int cols;           /* the register block's columns; 0: TILE_CPU_COLS */
} TileCpuNest;

/* Register block of the micro-kernel (rows x columns of the output) and the
 * cache tiles, in elements; see tile_cpu.c for the model behind them. The
 * columns are two vectors: 16 where a vector holds 8 floats (AVX2), 32
 * where it holds 16 (AVX-512, TILE_CPU_COLS_WIDE). */
enum {
  TILE_CPU_ROWS = 6,
  TILE_CPU_COLS = 16,
  TILE_CPU_COLS_WIDE = 32,
  TILE_CPU_REDUCE_TILE = 128,
  TILE_CPU_COL_TILE = 512,
};

/* The nest as cache-tiled micro-kernels, or NULL when it does not have their
 * shape (see tile_cpu.c); new temporaries and tile variables go into the
 * kernel. */
LNode *tile_cpu_contraction(const TileCpuNest *nest, Arena *arena);

#endif
