/* The mapping pass: the mapping a user wrote (--mapping FILE), or the
 * trivial one, which the later passes fill in. Fusion groups of more than
 * one Einsum are read and printed but not carried out yet: the pass says
 * so rather than ignore them. */
#include "passes/passes.h"

bool pass_map(Compilation *c) {
  if (c->mapping_path)
    c->mapping = mapping_read(c->mapping_path, c->cascade, c->arena, c->diag);
  else
    c->mapping = mapping_trivial(c->cascade, c->arena);
  if (!c->mapping)
    return false;
  for (int g = 0; g < c->mapping->ngroups; g++) {
    const FusedGroup *fg = &c->mapping->groups[g];
    if (fg->n > 1) {
      diag_error(c->diag, fg->loc,
                 "fused_groups: a group of %d Einsums ('%s' and %s): fusion across Einsums is "
                 "not implemented yet; give each Einsum its own group",
                 fg->n, c->cascade->einsums[fg->einsums[0]]->out->name,
                 fg->n == 2 ? c->cascade->einsums[fg->einsums[1]]->out->name : "others");
      return false;
    }
  }
  return true;
}
