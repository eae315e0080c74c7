/* The mapping pass: the mapping a user wrote (--mapping FILE), or the
 * trivial one, which the later passes fill in. */
#include "passes/passes.h"

bool pass_map(Compilation *c) {
  if (c->mapping_text)
    c->mapping = mapping_parse(c->mapping_path, c->mapping_text, c->mapping_len, c->cascade,
                               c->arena, c->diag);
  else if (c->mapping_path)
    c->mapping = mapping_read(c->mapping_path, c->cascade, c->arena, c->diag);
  else
    c->mapping = mapping_trivial(c->cascade, c->arena);
  return c->mapping != NULL;
}
