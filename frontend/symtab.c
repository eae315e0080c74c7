#include "frontend/symtab.h"

#include <string.h>

/* FNV-1a: short, and good enough for identifiers. */
static uint32_t hash_name(const char *name) {
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++)
    h = (h ^ *p) * 16777619u;
  return h;
}

void symtab_init(SymTab *t, Arena *arena) { *t = (SymTab){.arena = arena}; }

/* The slot holding name, or the empty slot where it would go. */
static SymSlot *find_slot(SymSlot *slots, int cap, const char *name, uint32_t hash) {
  uint32_t mask = (uint32_t)cap - 1;
  for (uint32_t i = hash & mask;; i = (i + 1) & mask) {
    SymSlot *s = &slots[i];
    if (!s->name || (s->hash == hash && strcmp(s->name, name) == 0))
      return s;
  }
}

int symtab_get(const SymTab *t, const char *name) {
  if (t->cap == 0)
    return -1;
  const SymSlot *s = find_slot(t->slots, t->cap, name, hash_name(name));
  return s->name ? s->value : -1;
}

static void grow(SymTab *t) {
  int cap = t->cap ? 2 * t->cap : 8;
  SymSlot *slots = arena_alloc(t->arena, sizeof *slots * (size_t)cap);
  for (int i = 0; i < t->cap; i++) {
    const SymSlot *old = &t->slots[i];
    if (old->name)
      *find_slot(slots, cap, old->name, old->hash) = *old;
  }
  t->slots = slots;
  t->cap = cap;
}

void symtab_put(SymTab *t, const char *name, int value) {
  if (2 * (t->count + 1) > t->cap)
    grow(t);
  uint32_t hash = hash_name(name);
  SymSlot *s = find_slot(t->slots, t->cap, name, hash);
  if (!s->name) {
    *s = (SymSlot){name, hash, value};
    t->count++;
  } else {
    s->value = value;
  }
}
