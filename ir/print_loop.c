/* A readable listing of the Loop IR, for `einc dump --after lower`. */
#include "ir/loop.h"
#include "ir/printer.h"

static const char *const update_ops[] = {"=", "+=", "*=", "max=", "min="};

static void indent(FILE *out, int depth) {
  for (int i = 0; i < depth; i++)
    fputs("  ", out);
}

static bool names_tile_var(const Kernel *k, const Index *ix) {
  if (ix->kind == IX_VAR)
    return ix->var >= k->einsum->nvars;
  return (ix->lhs && names_tile_var(k, ix->lhs)) || (ix->rhs && names_tile_var(k, ix->rhs));
}

/* An index over the kernel's variables, tile variables included, with every
 * compound term in parentheses. */
static void print_kernel_index(const Kernel *k, const Index *ix, FILE *out) {
  static const char *const ops[] = {"", "", "-", " + ", " - ", " * ", " / ", " % "};
  switch (ix->kind) {
  case IX_CONST:
    fprintf(out, "%lld", (long long)ix->value);
    return;
  case IX_VAR:
    fputs(k->var_names[ix->var], out);
    return;
  case IX_NEG:
    fputs("-(", out);
    print_kernel_index(k, ix->lhs, out);
    fputc(')', out);
    return;
  default:
    fputc('(', out);
    print_kernel_index(k, ix->lhs, out);
    fputs(ops[ix->kind], out);
    print_kernel_index(k, ix->rhs, out);
    fputc(')', out);
    return;
  }
}

/* buf[index], as the Cascade IR prints it unless a tile variable appears. */
static void print_buf_access(const Kernel *k, const LBuffer *b, Index *const *index, FILE *out) {
  bool tile = false;
  for (int d = 0; d < b->rank; d++)
    tile |= names_tile_var(k, index[d]);
  if (!tile) {
    print_access(k->einsum, b->name, b->rank, index, out);
    return;
  }
  fprintf(out, "%s[", b->name);
  for (int d = 0; d < b->rank; d++) {
    if (d)
      fputs(", ", out);
    print_kernel_index(k, index[d], out);
  }
  fputc(']', out);
}

static void print_lexpr(const Kernel *k, const LExpr *x, FILE *out) {
  switch (x->kind) {
  case LX_CONST:
    fprintf(out, "%.9g", x->value);
    return;
  case LX_LOAD:
    print_buf_access(k, x->buf, x->index, out);
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

static void print_buffer(const LBuffer *b, FILE *out) {
  fprintf(out, "buffer %s %s[",
          b->level == MEM_DRAM   ? "dram"
          : b->level == MEM_SRAM ? "sram"
                                 : "local",
          b->name);
  for (int d = 0; d < b->rank; d++)
    fprintf(out, "%s%lld", d ? ", " : "", (long long)b->dims[d]);
  fputc(']', out);
}

static void print_nodes(const Kernel *k, const LNode *n, int depth, FILE *out) {
  for (; n; n = n->next) {
    indent(out, depth);
    const char *vec = n->kind == LN_LOOP && n->no_vectorize ? "  # not vectorized along" : "";
    if (n->kind == LN_LOOP && n->tile >= 0) {
      fprintf(out, "for %s in %s..min(%s + %lld, %lld):%s\n", k->var_names[n->var],
              k->var_names[n->tile], k->var_names[n->tile], (long long)n->span,
              (long long)n->extent, vec);
      print_nodes(k, n->body, depth + 1, out);
      continue;
    }
    if (n->kind == LN_LOOP && n->step != 1) {
      fprintf(out, "for %s in 0..%lld step %lld:\n", k->var_names[n->var], (long long)n->extent,
              (long long)n->step);
      print_nodes(k, n->body, depth + 1, out);
      continue;
    }
    if (n->kind == LN_LOOP) {
      fprintf(out, "for %s in 0..%lld:%s\n", k->var_names[n->var], (long long)n->extent, vec);
      print_nodes(k, n->body, depth + 1, out);
      continue;
    }
    if (n->buf)
      print_buf_access(k, n->buf, n->index, out);
    else
      fprintf(out, "t%d", n->temp);
    fprintf(out, " %s ", update_ops[n->update]);
    print_lexpr(k, n->value, out);
    fputc('\n', out);
  }
}

void print_loop(const LoopProgram *p, FILE *out) {
  const LowerOptions *o = &p->options;
  if (!o->epilogue && !o->cache_tiling)
    fputs("# einc loop IR (trivial mapping)\n\n", out);
  else
    fprintf(out, "# einc loop IR (%s%s%s)\n\n", o->epilogue ? "contraction epilogues" : "",
            o->epilogue && o->cache_tiling ? ", " : "", o->cache_tiling ? "cache tiling" : "");
  for (int i = 0; i < p->nbuffers; i++) {
    print_buffer(p->buffers[i], out);
    fprintf(out, " %s\n", role_name(p->buffers[i]->role));
  }
  for (int i = 0; i < p->nkernels; i++) {
    const Kernel *k = p->kernels[i];
    fprintf(out, "\nkernel %s:\n", k->name);
    for (int j = 0; j < k->nlocals; j++) {
      fputs("  ", out);
      print_buffer(k->locals[j], out);
      fputc('\n', out);
    }
    print_nodes(k, k->body, 1, out);
  }
}
