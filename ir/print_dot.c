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

static void mark_reads(const Expr *x, bool *read) {
  if (!x)
    return;
  if (x->kind == EX_READ)
    read[x->tensor->id] = true;
  for (int i = 0; i < x->nargs; i++)
    mark_reads(x->arg[i], read);
}

static void print_einsum_node(const Cascade *c, const Einsum *e, int pos, bool *read, FILE *out) {
  char *text = statement_string(e);
  fprintf(out, "  e%d [label=", pos);
  print_dot_string(text, out);
  fputs(", shape=box, fontname=\"monospace\"];\n", out);
  free(text);

  /* Inputs in tensor order, for determinism. A recurrence's reads of its own
   * output are drawn as the dashed self-edge instead of a cycle. */
  for (int i = 0; i < c->ntensors; i++)
    read[i] = false;
  mark_reads(e->rhs, read);
  if (e->rec)
    mark_reads(e->rec->init, read);
  for (int i = 0; i < c->ntensors; i++)
    if (read[i] && c->tensors[i] != e->out)
      fprintf(out, "  t%d -> e%d;\n", i, pos);
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
  bool *read = calloc(c->ntensors > 0 ? (size_t)c->ntensors : 1, sizeof *read);
  if (!read) {
    fprintf(stderr, "einc: out of memory\n");
    abort();
  }
  for (int i = 0; i < c->neinsums; i++)
    print_einsum_node(c, c->einsums[i], i, read, out);
  free(read);
  fputs("}\n", out);
}
