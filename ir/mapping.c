/* The mapping's constructors, names and file printer (ir/mapping.h). */
#include "ir/mapping.h"

#include <stdlib.h>
#include <string.h>

static void einsum_map_trivial(EinsumMap *em, const Einsum *e, Arena *arena) {
  memset(em, 0, sizeof *em);
  em->einsum = e;
  em->loc = em->order_loc = e->loc;
  em->shape = arena_alloc(arena, sizeof *em->shape * ((size_t)e->nvars + 1));
  em->nshape = e->nvars;
  em->space[0] = em->space[1] = -1;
  mapping_set_order(em, NULL, 0, arena);
}

Mapping *mapping_trivial(const Cascade *c, Arena *arena) {
  Mapping *m = arena_alloc(arena, sizeof *m);
  m->cascade = c;
  m->neinsums = c->neinsums;
  m->einsums = arena_alloc(arena, sizeof *m->einsums * ((size_t)c->neinsums + 1));
  m->ngroups = c->neinsums;
  m->groups = arena_alloc(arena, sizeof *m->groups * ((size_t)c->neinsums + 1));
  for (int i = 0; i < c->neinsums; i++) {
    einsum_map_trivial(&m->einsums[i], c->einsums[i], arena);
    m->groups[i].members = arena_alloc(arena, sizeof *m->groups[i].members);
    m->groups[i].members[0] = c->einsums[i];
    m->groups[i].n = 1;
    m->groups[i].loc = c->einsums[i]->loc;
  }
  return m;
}

bool mapping_is_space(const EinsumMap *em, int var) {
  for (int i = 0; i < em->nspace; i++)
    if (em->space[i] == var)
      return true;
  return false;
}

void mapping_set_order(EinsumMap *em, const LoopRank *time, int ntime, Arena *arena) {
  const Einsum *e = em->einsum;
  int rank = e->out->rank;
  em->order = arena_alloc(arena, sizeof *em->order * ((size_t)rank + 3));
  em->norder = 0;
  if (!time) {
    /* The left-hand ranks in order, space ranks last. */
    for (int d = 0; d < rank; d++) {
      int v = e->lhs[d];
      if (mapping_is_space(em, v) && em->shape[v] == 0)
        continue;
      em->order[em->norder++] =
          (LoopRank){v, mapping_is_space(em, v) && em->shape[v] ? RANK_OUTER : RANK_WHOLE};
    }
  } else {
    memcpy(em->order, time, sizeof *time * (size_t)ntime);
    em->norder = ntime;
  }
  for (int i = 0; i < em->nspace; i++)
    em->order[em->norder++] =
        (LoopRank){em->space[i], em->shape[em->space[i]] ? RANK_INNER : RANK_WHOLE};
}

int mapping_find_var(const Einsum *e, const char *name, RankPart *part) {
  *part = RANK_WHOLE;
  for (int v = 0; v < e->nvars; v++)
    if (strcmp(e->vars[v].name, name) == 0)
      return v;
  size_t n = strlen(name);
  if (n < 2 || (name[n - 1] != '0' && name[n - 1] != '1'))
    return -1;
  for (int v = 0; v < e->nvars; v++)
    if (strlen(e->vars[v].name) == n - 1 && strncmp(e->vars[v].name, name, n - 1) == 0) {
      *part = name[n - 1] == '1' ? RANK_OUTER : RANK_INNER;
      return v;
    }
  return -1;
}

static void print_rank(const Einsum *e, LoopRank r, FILE *out) {
  fputs(e->vars[r.var].name, out);
  if (r.part != RANK_WHOLE)
    fputc(r.part == RANK_OUTER ? '1' : '0', out);
}

const char *mapping_rank_name(const Einsum *e, LoopRank r, Arena *arena) {
  const char *v = e->vars[r.var].name;
  size_t n = strlen(v);
  char *s = arena_alloc(arena, n + 2);
  memcpy(s, v, n);
  if (r.part != RANK_WHOLE)
    s[n] = r.part == RANK_OUTER ? '1' : '0';
  return s;
}

static void print_ranks(const Einsum *e, const LoopRank *r, int n, FILE *out) {
  fputc('[', out);
  for (int i = 0; i < n; i++) {
    if (i)
      fputs(", ", out);
    print_rank(e, r[i], out);
  }
  fputc(']', out);
}

static bool any_shape(const EinsumMap *em) {
  for (int v = 0; v < em->einsum->nvars; v++)
    if (em->shape[v])
      return true;
  return false;
}

void print_mapping(const Mapping *m, FILE *out) {
  const Cascade *c = m->cascade;
  fprintf(out, "# einc mapping for %s (docs/mapping.md)\n", c->file ? c->file : "a model");
  fprintf(out, "mapping:\n  partitioning:");
  bool any = false;
  for (int i = 0; i < m->neinsums; i++)
    any |= any_shape(&m->einsums[i]);
  fprintf(out, any ? "\n" : " {}\n");
  for (int i = 0; i < m->neinsums; i++) {
    const EinsumMap *em = &m->einsums[i];
    if (!any_shape(em))
      continue;
    fprintf(out, "    %s:\n", em->einsum->out->name);
    for (int v = 0; v < em->einsum->nvars; v++)
      if (em->shape[v])
        fprintf(out, "      %s: uniform_shape(%lld)\n", em->einsum->vars[v].name,
                (long long)em->shape[v]);
  }
  fprintf(out, "  loop-order:%s\n", m->neinsums ? "" : " {}");
  for (int i = 0; i < m->neinsums; i++) {
    const EinsumMap *em = &m->einsums[i];
    fprintf(out, "    %s: ", em->einsum->out->name);
    print_ranks(em->einsum, em->order, em->norder, out);
    fputc('\n', out);
  }
  fprintf(out, "  spacetime:%s\n", m->neinsums ? "" : " {}");
  for (int i = 0; i < m->neinsums; i++) {
    const EinsumMap *em = &m->einsums[i];
    int ntime = em->norder - em->nspace;
    fprintf(out, "    %s:\n      space: ", em->einsum->out->name);
    print_ranks(em->einsum, em->order + ntime, em->nspace, out);
    fprintf(out, "\n      time: ");
    print_ranks(em->einsum, em->order, ntime, out);
    fputc('\n', out);
  }
  fprintf(out, "  double-buffer:%s\n", m->neinsums ? "" : " {}");
  for (int i = 0; i < m->neinsums; i++)
    fprintf(out, "    %s: %s\n", m->einsums[i].einsum->out->name,
            m->einsums[i].double_buffer ? "true" : "false");
  fprintf(out, "  epilogue:");
  any = false;
  for (int i = 0; i < m->neinsums; i++)
    any |= m->einsums[i].epilogue;
  fprintf(out, any ? "\n" : " {}\n");
  for (int i = 0; i < m->neinsums; i++)
    if (m->einsums[i].epilogue)
      fprintf(out, "    %s: true\n", m->einsums[i].einsum->out->name);
  fprintf(out, "fused_groups:%s\n", m->ngroups ? "" : " []");
  for (int g = 0; g < m->ngroups; g++) {
    fputs("  - [", out);
    for (int i = 0; i < m->groups[g].n; i++)
      fprintf(out, "%s%s", i ? ", " : "", m->groups[g].members[i]->out->name);
    fputs("]\n", out);
  }
}
