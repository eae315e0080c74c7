/* Mapping files (docs/mapping.md), read with libyaml's document loader: the
 * whole file becomes a node tree whose marks give every message its line
 * and column. Sections are read per Einsum, in a fixed order (partitioning,
 * spacetime, loop-order), whatever order the file writes them in. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "ir/mapping.h"
#include "runtime/infile.h"

enum {
  SEC_PARTITIONING,
  SEC_LOOP_ORDER,
  SEC_SPACETIME,
  SEC_DOUBLE_BUFFER,
  SEC_EPILOGUE,
  SEC_COUNT
};
static const char *const section_names[SEC_COUNT] = {"partitioning", "loop-order", "spacetime",
                                                     "double-buffer", "epilogue"};

typedef struct Reader {
  yaml_document_t doc;
  const char *file;
  const char *text; /* the file, for places (see place) */
  size_t len;
  const Cascade *c;
  Mapping *m;
  Arena *arena;
  Diag *diag;
  int *node_of[SEC_COUNT]; /* per section, per Einsum: its value node, 0 for none */
} Reader;

/* Where libyaml's mark is, as einc counts places: lines end at '\n' only
 * (YAML also ends them at a lone '\r', which the .ein frontend and editors
 * do not), columns count bytes (libyaml counts characters). A mark past the
 * end (an error at the end of the stream) is the end of the last line. */
static SrcLoc place(const char *name, const char *text, size_t len, yaml_mark_t mark) {
  SrcLoc at = {name, 1, 1};
  size_t chars = 0, i = 0, line_start = 0;
  for (; i < len; i++) {
    if (((unsigned char)text[i] & 0xC0) != 0x80) { /* the first byte of a UTF-8 character */
      if (chars == mark.index)
        break;
      chars++;
    }
    if (text[i] == '\n') {
      at.line++;
      line_start = i + 1;
    }
  }
  if (i == len && len > 0 && line_start == len) {
    /* past the last newline: the end of the last line */
    at.line--;
    line_start = len - 1;
    while (line_start > 0 && text[line_start - 1] != '\n')
      line_start--;
    i = len - 1;
  }
  at.col = (int)(i - line_start) + 1;
  return at;
}

static SrcLoc loc_of(const Reader *r, const yaml_node_t *n) {
  return place(r->file, r->text, r->len, n->start_mark);
}

static yaml_node_t *node(Reader *r, int id) { return yaml_document_get_node(&r->doc, id); }

static const char *scalar(const yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool
fail(Reader *r, const yaml_node_t *n, const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  /* Keys and values are quoted from the file: control characters in them
   * (a tab in a key) are shown escaped, so that a message stays one line. */
  char shown[4 * sizeof text];
  size_t k = 0;
  for (const unsigned char *c = (const unsigned char *)text; *c; c++)
    if (*c < 0x20 || *c == 0x7f)
      k += (size_t)snprintf(shown + k, sizeof shown - k, "\\x%02X", *c);
    else
      shown[k++] = (char)*c;
  shown[k] = '\0';
  diag_error(r->diag, loc_of(r, n), "%s", shown);
  return false;
}

static bool expect_kind(Reader *r, const yaml_node_t *n, yaml_node_type_t type, const char *key,
                        const char *what) {
  if (n->type == type)
    return true;
  return fail(r, n, "'%s' must be %s", key, what);
}

/* The Einsum that defines the tensor named by key node k; -1 after a message. */
static int find_einsum(Reader *r, const yaml_node_t *k, const char *section) {
  const char *name = scalar(k);
  if (!name)
    return fail(r, k, "%s: expected a tensor name", section), -1;
  const Tensor *t = cascade_find_tensor(r->c, name);
  if (!t)
    return fail(r, k, "%s: the model has no tensor '%s'", section, name), -1;
  if (t->def < 0)
    return fail(r, k, "%s: '%s' is %s %s: only tensors an Einsum defines are mapped", section, name,
                t->role == ROLE_INPUT ? "an" : "a", role_name(t->role)),
           -1;
  return t->def;
}

/* A rank of Einsum e named by scalar n: a left-hand variable, or var1/var0. */
static bool read_rank(Reader *r, const Einsum *e, const yaml_node_t *n, const char *key,
                      LoopRank *out) {
  const char *name = scalar(n);
  if (!name)
    return fail(r, n, "%s: expected a rank name", key);
  RankPart part;
  int v = mapping_find_var(e, name, &part);
  bool lhs = false;
  for (int d = 0; v >= 0 && d < e->out->rank; d++)
    lhs |= e->lhs[d] == v;
  if (v < 0 || !lhs) {
    char ranks[300] = "";
    size_t len = 0;
    for (int d = 0; d < e->out->rank && len < sizeof ranks - 80; d++)
      len += (size_t)snprintf(ranks + len, sizeof ranks - len, "%s%s", d ? ", " : "",
                              e->vars[e->lhs[d]].name);
    return fail(r, n,
                "%s: '%s' is not a rank of '%s' (its left-hand ranks are %s, and NAME1, NAME0 "
                "for a partitioned one)",
                key, name, e->out->name, e->out->rank ? ranks : "none");
  }
  *out = (LoopRank){v, part};
  return true;
}

/* The longest rank list an Einsum's mapping can hold: each of its
 * variables whole, or as var1 and var0. */
static int rank_list_max(const Einsum *e) { return 2 * e->nvars + 2; }

static bool read_rank_list(Reader *r, const Einsum *e, const yaml_node_t *n, const char *key,
                           LoopRank *out, int max, int *count) {
  if (!expect_kind(r, n, YAML_SEQUENCE_NODE, key, "a list of ranks"))
    return false;
  *count = 0;
  for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
    if (*count >= max)
      return fail(r, node(r, *it), "%s: more ranks than '%s' has", key, e->out->name);
    if (!read_rank(r, e, node(r, *it), key, &out[(*count)++]))
      return false;
  }
  return true;
}

/* uniform_shape(N), alone or as TeAAL's one-element list. */
static bool read_shape(Reader *r, const yaml_node_t *n, const char *key, int64_t *shape) {
  if (n->type == YAML_SEQUENCE_NODE &&
      n->data.sequence.items.top - n->data.sequence.items.start == 1)
    n = node(r, *n->data.sequence.items.start);
  const char *s = scalar(n);
  const char *prefix = "uniform_shape(";
  if (!s || strncmp(s, prefix, strlen(prefix)) != 0)
    return fail(r, n, "%s: expected uniform_shape(N)", key);
  char *end;
  errno = 0;
  long long v = strtoll(s + strlen(prefix), &end, 10);
  if (errno || end == s + strlen(prefix) || strcmp(end, ")") != 0 || v < 1)
    return fail(r, n, "%s: expected uniform_shape(N) with N a positive integer, not '%s'", key, s);
  *shape = v;
  return true;
}

static bool read_bool(Reader *r, const yaml_node_t *n, const char *key, bool *out) {
  const char *s = scalar(n);
  if (s && strcmp(s, "true") == 0)
    *out = true;
  else if (s && strcmp(s, "false") == 0)
    *out = false;
  else
    return fail(r, n, "%s: expected true or false", key);
  return true;
}

static bool read_partitioning(Reader *r, EinsumMap *em, const yaml_node_t *n) {
  const Einsum *e = em->einsum;
  char key[300];
  snprintf(key, sizeof key, "partitioning: %s", e->out->name);
  if (!expect_kind(r, n, YAML_MAPPING_NODE, key, "a mapping of ranks to uniform_shape(N)"))
    return false;
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
    const yaml_node_t *k = node(r, p->key);
    const char *name = scalar(k);
    RankPart part;
    int v = name ? mapping_find_var(e, name, &part) : -1;
    if (!name || (v >= 0 && part != RANK_WHOLE))
      return fail(r, k, "%s: '%s' is not an index variable of '%s'", key, name ? name : "?",
                  e->out->name);
    if (v < 0) {
      /* Perhaps one that fusion brings (EinsumMap.pending). */
      PendingShape ps = {arena_strdup(r->arena, name), 0, loc_of(r, k)};
      if (!read_shape(r, node(r, p->value), key, &ps.shape))
        return false;
      PendingShape *list = arena_alloc(r->arena, sizeof *list * ((size_t)em->npending + 1));
      if (em->npending)
        memcpy(list, em->pending, sizeof *list * (size_t)em->npending);
      list[em->npending++] = ps;
      em->pending = list;
      continue;
    }
    if (!read_shape(r, node(r, p->value), key, &em->shape[v]))
      return false;
  }
  return true;
}

/* The ranks of loop-order and spacetime agree with the partitioning: a
 * partitioned left-hand rank is a space rank and appears as var1 and var0,
 * any other appears whole; every one exactly once. */
static bool check_order(Reader *r, const EinsumMap *em, const yaml_node_t *at) {
  const Einsum *e = em->einsum;
  const char *out = e->out->name;
  for (int v = 0; v < e->nvars; v++) {
    if (!einsum_is_lhs_var(e, v))
      continue;
    const char *name = e->vars[v].name;
    if (em->shape[v] && !mapping_is_space(em, v))
      return fail(r, at,
                  "'%s': the rank '%s' is partitioned but is not a space rank: only a tile's "
                  "space ranks and reduced ranks can be partitioned",
                  out, name);
    int whole = 0, outer = 0, inner = 0;
    for (int i = 0; i < em->norder; i++)
      if (em->order[i].var == v) {
        whole += em->order[i].part == RANK_WHOLE;
        outer += em->order[i].part == RANK_OUTER;
        inner += em->order[i].part == RANK_INNER;
      }
    bool ok = em->shape[v] ? whole == 0 && outer == 1 && inner == 1
                           : whole == 1 && outer == 0 && inner == 0;
    if (!ok)
      return fail(r, at,
                  em->shape[v]
                      ? "'%s': the partitioned rank '%s' must appear once as %s1 (time) "
                        "and once as %s0 (space) in its loop order"
                      : "'%s': the rank '%s' must appear once, whole, in its loop order%s%s",
                  out, name, em->shape[v] ? name : "", em->shape[v] ? name : "");
  }
  for (int i = 0; i < em->nspace; i++) {
    LoopRank s = em->order[em->norder - em->nspace + i];
    if (s.var != em->space[i] || s.part == RANK_OUTER)
      return fail(r, at, "'%s': its space ranks must be the last ranks of its loop order", out);
  }
  return true;
}

static bool read_spacetime(Reader *r, EinsumMap *em, const yaml_node_t *n, LoopRank *time,
                           int *ntime) {
  const Einsum *e = em->einsum;
  char key[300];
  snprintf(key, sizeof key, "spacetime: %s", e->out->name);
  if (!expect_kind(r, n, YAML_MAPPING_NODE, key, "a mapping with space and time"))
    return false;
  *ntime = -1;
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
    const yaml_node_t *k = node(r, p->key);
    const char *name = scalar(k);
    int max = rank_list_max(e), count;
    LoopRank *ranks = arena_alloc(r->arena, sizeof *ranks * (size_t)max);
    if (name && strcmp(name, "space") == 0) {
      if (!read_rank_list(r, e, node(r, p->value), key, ranks, max, &count))
        return false;
      if (count > 2)
        return fail(r, node(r, p->value),
                    "%s: at most two space ranks (a tile's rows and columns), not %d", key, count);
      em->nspace = count;
      for (int i = 0; i < count; i++) {
        if (ranks[i].part == RANK_OUTER)
          return fail(r, node(r, p->value), "%s: a space rank is whole or var0, not var1", key);
        em->space[i] = ranks[i].var;
      }
    } else if (name && strcmp(name, "time") == 0) {
      if (!read_rank_list(r, e, node(r, p->value), key, time, max, ntime))
        return false;
    } else {
      return fail(r, k, "%s: unknown key '%s' (expected space or time)", key, name ? name : "?");
    }
  }
  return true;
}

static bool same_ranks(const LoopRank *a, const LoopRank *b, int n) {
  for (int i = 0; i < n; i++)
    if (a[i].var != b[i].var || a[i].part != b[i].part)
      return false;
  return true;
}

/* One Einsum's sections, in the order that lets each check the last. */
/* An Einsum's tiles: partitioning, spacetime and loop-order, read in the
 * order that lets each check the last; `first` is the earliest of them. */
static bool read_tiles(Reader *r, EinsumMap *em, yaml_node_t *first) {
  const Einsum *e = em->einsum;
  int i = e->id;
  em->given_tiles = true;
  em->loc = em->order_loc = loc_of(r, first);
  yaml_node_t *n;
  if ((n = node(r, r->node_of[SEC_PARTITIONING][i])) && !read_partitioning(r, em, n))
    return false;
  LoopRank *time = arena_alloc(r->arena, sizeof *time * (size_t)rank_list_max(e));
  int ntime = -1;
  if ((n = node(r, r->node_of[SEC_SPACETIME][i]))) {
    em->order_loc = loc_of(r, n);
    if (!read_spacetime(r, em, n, time, &ntime))
      return false;
  }
  yaml_node_t *at = first;
  if ((n = node(r, r->node_of[SEC_LOOP_ORDER][i]))) {
    LoopRank *order = arena_alloc(r->arena, sizeof *order * (size_t)rank_list_max(e));
    int norder;
    char key[300];
    snprintf(key, sizeof key, "loop-order: %s", e->out->name);
    if (!read_rank_list(r, e, n, key, order, rank_list_max(e), &norder))
      return false;
    em->order = arena_alloc(r->arena, sizeof *order * ((size_t)norder + 1));
    memcpy(em->order, order, sizeof *order * (size_t)norder);
    em->norder = norder;
    em->order_loc = loc_of(r, n);
    at = n;
  } else {
    mapping_set_order(em, ntime >= 0 ? time : NULL, ntime >= 0 ? ntime : 0, r->arena);
  }
  if (!check_order(r, em, at))
    return false;
  if (ntime >= 0 && (ntime != em->norder - em->nspace || !same_ranks(time, em->order, ntime)))
    return fail(r, node(r, r->node_of[SEC_SPACETIME][i]),
                "spacetime: %s: its time ranks must be its loop order without the space ranks",
                e->out->name);
  return true;
}

/* One Einsum's sections: each says what it says, the rest is the passes'. */
static bool read_einsum(Reader *r, int i) {
  EinsumMap *em = &r->m->einsums[i];
  yaml_node_t *first = NULL, *n;
  static const int tiles[] = {SEC_PARTITIONING, SEC_LOOP_ORDER, SEC_SPACETIME};
  for (int t = 0; t < 3; t++) {
    int s = tiles[t];
    if (r->node_of[s][i] &&
        (!first || node(r, r->node_of[s][i])->start_mark.index < first->start_mark.index))
      first = node(r, r->node_of[s][i]);
  }
  if (first && !read_tiles(r, em, first))
    return false;
  if ((n = node(r, r->node_of[SEC_DOUBLE_BUFFER][i]))) {
    em->given_buffer = true;
    if (!read_bool(r, n, "double-buffer", &em->double_buffer))
      return false;
  }
  if ((n = node(r, r->node_of[SEC_EPILOGUE][i]))) {
    em->given_epilogue = true;
    if (!read_bool(r, n, "epilogue", &em->epilogue))
      return false;
  }
  return true;
}

static bool read_sections(Reader *r, const yaml_node_t *n) {
  if (!expect_kind(r, n, YAML_MAPPING_NODE, "mapping", "a mapping of sections"))
    return false;
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
    const yaml_node_t *k = node(r, p->key);
    const char *name = scalar(k);
    int s = 0;
    while (s < SEC_COUNT && (!name || strcmp(name, section_names[s]) != 0))
      s++;
    if (s == SEC_COUNT)
      return fail(r, k,
                  "mapping: unknown key '%s' (expected partitioning, loop-order, spacetime, "
                  "double-buffer or epilogue)",
                  name ? name : "?");
    const yaml_node_t *v = node(r, p->value);
    if (!expect_kind(r, v, YAML_MAPPING_NODE, name, "a mapping from tensor names"))
      return false;
    for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
      int e = find_einsum(r, node(r, q->key), name);
      if (e < 0)
        return false;
      if (r->node_of[s][e])
        return fail(r, node(r, q->key), "%s: '%s' appears twice", name,
                    r->c->einsums[e]->out->name);
      r->node_of[s][e] = q->value;
    }
  }
  return true;
}

static bool read_groups(Reader *r, const yaml_node_t *n) {
  if (!expect_kind(r, n, YAML_SEQUENCE_NODE, "fused_groups", "a list of lists of tensor names"))
    return false;
  Mapping *m = r->m;
  m->groups_given = true;
  int ne = r->c->neinsums;
  int *group_of = arena_alloc(r->arena, sizeof(int) * ((size_t)ne + 1));
  for (int i = 0; i < ne; i++)
    group_of[i] = -1;
  int ng = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
  m->groups = arena_alloc(r->arena, sizeof *m->groups * ((size_t)ng + 1));
  m->ngroups = 0;
  for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
    const yaml_node_t *g = node(r, *it);
    if (!expect_kind(r, g, YAML_SEQUENCE_NODE, "fused_groups", "a list of lists of tensor names"))
      return false;
    FusedGroup *fg = &m->groups[m->ngroups];
    int cap = (int)(g->data.sequence.items.top - g->data.sequence.items.start);
    if (cap == 0)
      return fail(r, g, "fused_groups: an empty group");
    fg->members = arena_alloc(r->arena, sizeof *fg->members * ((size_t)cap + 1));
    fg->loc = loc_of(r, g);
    for (yaml_node_item_t *jt = g->data.sequence.items.start; jt < g->data.sequence.items.top;
         jt++) {
      int e = find_einsum(r, node(r, *jt), "fused_groups");
      if (e < 0)
        return false;
      if (group_of[e] >= 0)
        return fail(r, node(r, *jt), "fused_groups: '%s' is in two groups",
                    r->c->einsums[e]->out->name);
      if (fg->n > 0 && e < fg->members[fg->n - 1]->id)
        return fail(r, node(r, *jt),
                    "fused_groups: a group lists its Einsums in program order ('%s' comes "
                    "before '%s')",
                    r->c->einsums[e]->out->name, fg->members[fg->n - 1]->out->name);
      group_of[e] = m->ngroups;
      fg->members[fg->n++] = r->c->einsums[e];
    }
    m->ngroups++;
  }
  for (int i = 0; i < ne; i++)
    if (group_of[i] < 0)
      return fail(r, n, "fused_groups: '%s' is in no group (every Einsum is in exactly one)",
                  r->c->einsums[i]->out->name);
  /* Kept in program order, as the groups run, whatever order the file
   * lists them in (insertion sort: files list few groups). */
  for (int i = 1; i < m->ngroups; i++)
    for (int j = i; j > 0 && m->groups[j].members[0]->id < m->groups[j - 1].members[0]->id; j--) {
      FusedGroup t = m->groups[j];
      m->groups[j] = m->groups[j - 1];
      m->groups[j - 1] = t;
    }
  return true;
}

static bool read_root(Reader *r) {
  yaml_node_t *root = yaml_document_get_root_node(&r->doc);
  if (!root) {
    diag_error(r->diag, (SrcLoc){r->file, 1, 1}, "the mapping file is empty");
    return false;
  }
  if (root->type != YAML_MAPPING_NODE)
    return fail(r, root, "a mapping file is a YAML mapping with the keys mapping and fused_groups");
  bool seen[2] = {false, false};
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
       p++) {
    const yaml_node_t *k = node(r, p->key);
    const char *name = scalar(k);
    bool ok;
    int which = !name                               ? -1
                : strcmp(name, "mapping") == 0      ? 0
                : strcmp(name, "fused_groups") == 0 ? 1
                                                    : -1;
    if (which >= 0 && seen[which])
      return fail(r, k, "'%s' appears twice", name);
    if (which >= 0)
      seen[which] = true;
    if (which == 0)
      ok = read_sections(r, node(r, p->value));
    else if (which == 1)
      ok = read_groups(r, node(r, p->value));
    else
      ok = fail(r, k, "unknown key '%s' (expected mapping or fused_groups)", name ? name : "?");
    if (!ok)
      return false;
  }
  for (int i = 0; i < r->c->neinsums; i++)
    if (!read_einsum(r, i))
      return false;
  return true;
}

/* libyaml may place an error at the end of the stream, one line past the
 * last (after an implicit final line break): say the end of the last line. */

Mapping *mapping_parse(const char *name, const char *text, size_t len, const Cascade *c,
                       Arena *arena, Diag *diag) {
  Reader r = {.file = name, .text = text, .len = len, .c = c, .arena = arena, .diag = diag};
  r.m = mapping_trivial(c, arena);
  r.m->file = name;
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser))
    abort();
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  if (!yaml_parser_load(&parser, &r.doc)) {
    const char *problem = parser.problem ? parser.problem : "malformed YAML";
    diag_error(diag, place(name, text, len, parser.problem_mark), "%s", problem);
    yaml_parser_delete(&parser);
    return NULL;
  }
  for (int s = 0; s < SEC_COUNT; s++)
    r.node_of[s] = arena_alloc(arena, sizeof(int) * ((size_t)c->neinsums + 1));
  bool ok = read_root(&r);
  /* A second document is refused, as in architecture files. */
  yaml_document_t extra;
  if (ok && yaml_parser_load(&parser, &extra)) {
    if (yaml_document_get_root_node(&extra)) {
      diag_error(diag, place(name, text, len, extra.start_mark),
                 "only one YAML document is allowed");
      ok = false;
    }
    yaml_document_delete(&extra);
  }
  yaml_document_delete(&r.doc);
  yaml_parser_delete(&parser);
  return ok ? r.m : NULL;
}

Mapping *mapping_read(const char *path, const Cascade *c, Arena *arena, Diag *diag) {
  char why[300];
  size_t len;
  /* Mapping files are small; 16 MiB is far beyond any. */
  char *buf = infile_read(path, (size_t)1 << 24, &len, why, sizeof why);
  if (!buf) {
    diag_error(diag, (SrcLoc){path, 0, 0}, "%s", why);
    return NULL;
  }
  Mapping *m = mapping_parse(arena_strdup(arena, path), buf, len, c, arena, diag);
  free(buf);
  return m;
}
