#include "ir/arena.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ArenaBlock {
  ArenaBlock *next;
  size_t used, size;
  alignas(max_align_t) unsigned char data[];
};

enum { ARENA_BLOCK_SIZE = 64 * 1024 };

void arena_init(Arena *a) { a->head = NULL; }

void arena_free(Arena *a) {
  ArenaBlock *b = a->head;
  while (b) {
    ArenaBlock *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
}

void *arena_alloc(Arena *a, size_t size) {
  size_t align = alignof(max_align_t);
  size = (size + align - 1) / align * align;
  if (size == 0)
    size = align;
  ArenaBlock *b = a->head;
  if (!b || b->size - b->used < size) {
    size_t cap = size > ARENA_BLOCK_SIZE ? size : ARENA_BLOCK_SIZE;
    b = malloc(sizeof(ArenaBlock) + cap);
    if (!b) {
      fprintf(stderr, "einc: out of memory\n");
      abort();
    }
    b->used = 0;
    b->size = cap;
    b->next = a->head;
    a->head = b;
  }
  void *p = b->data + b->used;
  b->used += size;
  memset(p, 0, size);
  return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *arena_strdup(Arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

void *arena_grow(Arena *a, void *old, size_t old_size, size_t new_size) {
  void *p = arena_alloc(a, new_size);
  if (old && old_size)
    memcpy(p, old, old_size < new_size ? old_size : new_size);
  return p;
}

void *arena_reserve(Arena *a, void *arr, int n, int *cap, size_t size) {
  if (n < *cap)
    return arr;
  int new_cap = *cap ? 2 * *cap : 8;
  arr = arena_grow(a, arr, size * (size_t)n, size * (size_t)new_cap);
  *cap = new_cap;
  return arr;
}
