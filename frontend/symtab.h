/* Name tables for semantic analysis: a name maps to a small integer, an
 * index into the caller's own array, so that looking a name up costs the
 * same at the 50 000th statement as at the first.
 *
 * Open addressing with linear probing over a power-of-two number of slots,
 * kept at most half full. The slots live in the arena: a table that fills up
 * moves to one twice as large and leaves the old slots behind. */
#ifndef EINC_SYMTAB_H
#define EINC_SYMTAB_H

#include <stdint.h>

#include "ir/arena.h"

typedef struct SymSlot {
  const char *name; /* NULL in an empty slot */
  uint32_t hash;
  int value;
} SymSlot;

typedef struct SymTab {
  Arena *arena;
  SymSlot *slots;
  int cap; /* 0 until the first symtab_put */
  int count;
} SymTab;

void symtab_init(SymTab *t, Arena *arena);
/* The value last put for name, or -1 if there is none. */
int symtab_get(const SymTab *t, const char *name);
/* Sets name's value; -1 hides the name again. The table keeps the pointer,
 * so name must live as long as the table (arena strings do). */
void symtab_put(SymTab *t, const char *name, int value);

#endif
