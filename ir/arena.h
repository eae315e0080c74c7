/* A bump allocator: every object of one compilation lives in one arena and
 * dies with it, so the IR needs no per-node frees. */
#ifndef EINC_ARENA_H
#define EINC_ARENA_H

#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;

typedef struct Arena {
  ArenaBlock *head;
} Arena;

void arena_init(Arena *a);
void arena_free(Arena *a);
/* Zeroed memory, aligned for any scalar type. Aborts on out-of-memory. */
void *arena_alloc(Arena *a, size_t size);
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
/* A larger copy of an arena array; the old one is left behind (arenas never free). */
void *arena_grow(Arena *a, void *old, size_t old_size, size_t new_size);
/* Room for element n of an array of capacity *cap (elements of `size`
 * bytes): the array itself, or a copy of twice the capacity (8 at first). */
void *arena_reserve(Arena *a, void *arr, int n, int *cap, size_t size);

#endif
