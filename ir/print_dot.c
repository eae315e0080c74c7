/* The Graphviz printer: tensors and Einsums as a bipartite dataflow graph.
 * Node names are positional (t3, e1), so the output depends only on the IR. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ir/cascade.h"
#include "ir/printer.h"

/* Inside a DOT double-quoted string only `"` and `\` need escaping. */
static void print_dot_escaped(const char *s, FILE *out) {
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fputc('\\', out);
    fputc(*s, out);
  }
}

static void print_dot_string(const char *s, FILE *out) {
  fputc('"', out);
  print_dot_escaped(s, out);
  fputc('"', out);
}

static const char *role_style(Role role) {
  switch (role) {
  case ROLE_INPUT:
    return "shape=ellipse, style=filled, fillcolor=\"#cfe2f3\"";
  case ROLE_PARAM:
    return "shape=ellipse, style=filled, fillcolor=\"#fff2cc\"";
  case ROLE_OUTPUT:
    return "shape=doubleoctagon";
  case ROLE_INTERMEDIATE:
    break;
  }
  return "shape=ellipse";
}

/* `name\n[64 x 32]`, then `\nf16` for types other than f32. The `\n` is DOT's
 * line break, written as two characters. */
static void print_tensor_node(const Tensor *t, FILE *out) {
  fprintf(out, "  t%d [label=\"", t->id);
  print_dot_escaped(t->name, out);
  fputs("\\n[", out);
  for (int i = 0; i < t->rank; i++)
    fprintf(out, "%s%" PRId64, i > 0 ? " x " : "", t->dims[i]);
  fputc(']', out);
  if (t->dtype != DTYPE_F32)
    fprintf(out, "\\n%s", dtype_name(t->dtype));
  fprintf(out, "\", %s];\n", role_style(t->role));
}

/* The tensors an Einsum reads, each once: marked in `read` (all false
 * between Einsums) and listed in ids, so that clearing them afterwards costs
 * the reads, not the cascade's number of tensors. */
typedef struct Reads {
  bool *read;
  int *ids;
  int n;
} Reads;

static void collect_reads(const Expr *x, Reads *r) {
  if (!x)
    return;
  if (x->kind == EX_READ && !r->read[x->tensor->id]) {
    r->read[x->tensor->id] = true;
    r->ids[r->n++] = x->tensor->id;
  }
  for (int i = 0; i < x->nargs; i++)
    collect_reads(x->arg[i], r);
}

static int compare_ids(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static void print_einsum_node(const Einsum *e, int pos, Reads *reads, FILE *out) {
  char *text = statement_string(e);
  fprintf(out, "  e%d [label=", pos);
  print_dot_string(text, out);
  fputs(", shape=box, fontname=\"monospace\"];\n", out);
  free(text);

  /* Inputs in tensor order, for determinism. A recurrence's reads of its own
   * output are drawn as the dashed self-edge instead of a cycle. */
  reads->n = 0;
  collect_reads(e->rhs, reads);
  if (e->rec)
    collect_reads(e->rec->init, reads);
  qsort(reads->ids, (size_t)reads->n, sizeof *reads->ids, compare_ids);
  for (int i = 0; i < reads->n; i++) {
    int id = reads->ids[i];
    reads->read[id] = false;
    if (id != e->out->id)
      fprintf(out, "  t%d -> e%d;\n", id, pos);
  }
  fprintf(out, "  e%d -> t%d;\n", pos, e->out->id);
  if (e->rec) {
    fprintf(out, "  e%d -> e%d [style=dashed, label=", pos, pos);
    print_dot_string(e->vars[recurrence_var(e)].name, out);
    fputs("];\n", out);
  }
}

void print_dot(const Cascade *c, FILE *out) {
  fputs("digraph cascade {\n", out);
  for (int i = 0; i < c->ntensors; i++)
    print_tensor_node(c->tensors[i], out);
  size_t n = c->ntensors > 0 ? (size_t)c->ntensors : 1;
  Reads reads = {calloc(n, sizeof *reads.read), calloc(n, sizeof *reads.ids), 0};
  if (!reads.read || !reads.ids) {
    fprintf(stderr, "einc: out of memory\n");
    abort();
  }
  for (int i = 0; i < c->neinsums; i++)
    print_einsum_node(c->einsums[i], i, &reads, out);
  free(reads.read);
  free(reads.ids);
  fputs("}\n", out);
}
