/* A readable listing of the Loop IR, for `einc dump --after lower`. */
#include "ir/loop.h"
#include "ir/printer.h"

static const char *const update_ops[] = {"=", "+=", "*=", "max=", "min="};

static void indent(FILE *out, int depth) {
  for (int i = 0; i < depth; i++)
    fputs("  ", out);
}

static void print_lexpr(const Kernel *k, const LExpr *x, FILE *out) {
  switch (x->kind) {
  case LX_CONST:
    fprintf(out, "%.9g", x->value);
    return;
  case LX_LOAD:
    print_access(k->einsum, x->buf->name, x->buf->rank, x->index, out);
    if (!x->in_bounds) {
      fputs(" ?: ", out);
      if (x->pad)
        print_lexpr(k, x->pad, out);
      else
        fputs("0", out);
    }
    return;
  case LX_TEMP:
    fprintf(out, "t%d", x->temp);
    return;
  case LX_VAR:
    fputs(k->var_names[x->var], out);
    return;
  case LX_UNARY:
    fprintf(out, "%s(", op_name(x->op));
    print_lexpr(k, x->arg[0], out);
    fputc(')', out);
    return;
  case LX_BINARY:
    fputc('(', out);
    print_lexpr(k, x->arg[0], out);
    fprintf(out, " %s ", op_name(x->op));
    print_lexpr(k, x->arg[1], out);
    fputc(')', out);
    return;
  case LX_CALL:
  case LX_SELECT:
    fprintf(out, "%s(", x->kind == LX_CALL ? func_name(x->func) : "select");
    for (int i = 0; i < x->nargs; i++) {
      if (i)
        fputs(", ", out);
      print_lexpr(k, x->arg[i], out);
    }
    fputc(')', out);
    return;
  }
}

static void print_nodes(const Kernel *k, const LNode *n, int depth, FILE *out) {
  for (; n; n = n->next) {
    indent(out, depth);
    if (n->kind == LN_LOOP) {
      fprintf(out, "for %s in 0..%lld:\n", k->var_names[n->var], (long long)n->extent);
      print_nodes(k, n->body, depth + 1, out);
      continue;
    }
    if (n->buf)
      print_access(k->einsum, n->buf->name, n->buf->rank, n->index, out);
    else
      fprintf(out, "t%d", n->temp);
    fprintf(out, " %s ", update_ops[n->update]);
    print_lexpr(k, n->value, out);
    fputc('\n', out);
  }
}

void print_loop(const LoopProgram *p, FILE *out) {
  fputs("# einc loop IR (trivial mapping)\n\n", out);
  for (int i = 0; i < p->nbuffers; i++) {
    const LBuffer *b = p->buffers[i];
    fprintf(out, "buffer %s %s[", b->level == MEM_DRAM ? "dram" : "sram", b->name);
    for (int d = 0; d < b->rank; d++)
      fprintf(out, "%s%lld", d ? ", " : "", (long long)b->dims[d]);
    fprintf(out, "] %s\n", role_name(b->role));
  }
  for (int i = 0; i < p->nkernels; i++) {
    const Kernel *k = p->kernels[i];
    fprintf(out, "\nkernel %s:\n", k->name);
    print_nodes(k, k->body, 1, out);
  }
}
