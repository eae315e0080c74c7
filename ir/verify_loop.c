/* The Loop IR verifier: the invariants both backends rely on, checked after
 * every pass once the Loop IR exists (passes/passes.c). A violation is a
 * compiler bug, reported as "IR verifier: ..." at the kernel's Einsum. */
#include <stdarg.h>
#include <stdlib.h>

#include "ir/loop.h"

typedef struct LoopVerifier {
  const LoopProgram *p;
  const Kernel *k;
  Diag *diag;
  bool ok;
  bool *bound; /* per kernel variable: a loop around the current node binds it */
} LoopVerifier;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
fail(LoopVerifier *v, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (v->ok)
    diag_error(v->diag, v->k->einsum->loc, "IR verifier: kernel '%s': %s", v->k->name, msg);
  v->ok = false;
}

/* A buffer of the program, or one of the kernel's own. */
static bool known_buffer(const LoopVerifier *v, const LBuffer *b) {
  if (b->id >= 0 && b->id < v->p->nbuffers && v->p->buffers[b->id] == b)
    return true;
  for (int i = 0; i < v->k->nlocals; i++)
    if (v->k->locals[i] == b)
      return true;
  return false;
}

static void verify_index(LoopVerifier *v, const Index *ix) {
  if (!ix) {
    fail(v, "a missing index");
    return;
  }
  if (ix->kind == IX_VAR && (ix->var < 0 || ix->var >= v->k->nvars || !v->bound[ix->var]))
    fail(v, "index variable %d is not bound by an enclosing loop", ix->var);
  if (ix->lhs)
    verify_index(v, ix->lhs);
  if (ix->rhs)
    verify_index(v, ix->rhs);
}

static void verify_access(LoopVerifier *v, const LBuffer *b, Index *const *index) {
  if (!known_buffer(v, b)) {
    fail(v, "an access to a buffer that is not the program's");
    return;
  }
  for (int d = 0; d < b->rank; d++)
    verify_index(v, index[d]);
}

static void verify_expr(LoopVerifier *v, const LExpr *x) {
  if (!x) {
    fail(v, "a missing value");
    return;
  }
  switch (x->kind) {
  case LX_LOAD:
    verify_access(v, x->buf, x->index);
    if (x->pad)
      verify_expr(v, x->pad);
    break;
  case LX_TEMP:
    if (x->temp < 0 || x->temp >= v->k->ntemps)
      fail(v, "temporary t%d of %d", x->temp, v->k->ntemps);
    break;
  case LX_VAR:
    if (x->var < 0 || x->var >= v->k->nvars || !v->bound[x->var])
      fail(v, "the value of variable %d, which no enclosing loop binds", x->var);
    break;
  default:
    break;
  }
  if (x->nargs < 0 || x->nargs > 3)
    fail(v, "an operation with %d operands", x->nargs);
  for (int i = 0; i < x->nargs && i < 3; i++)
    verify_expr(v, x->arg[i]);
}

static void verify_nodes(LoopVerifier *v, const LNode *n) {
  for (; n && v->ok; n = n->next) {
    if (n->kind == LN_LOOP) {
      if (n->var < 0 || n->var >= v->k->nvars) {
        fail(v, "a loop over variable %d of %d", n->var, v->k->nvars);
        return;
      }
      if (v->bound[n->var])
        fail(v, "variable '%s' is bound by two nested loops", v->k->var_names[n->var]);
      if (n->extent < 0 || n->step < 1)
        fail(v, "loop '%s' has extent %lld and step %lld", v->k->var_names[n->var],
             (long long)n->extent, (long long)n->step);
      if (n->tile >= 0 && (n->tile >= v->k->nvars || !v->bound[n->tile]))
        fail(v, "point loop '%s' of a tile loop that does not enclose it", v->k->var_names[n->var]);
      v->bound[n->var] = true;
      verify_nodes(v, n->body);
      v->bound[n->var] = false;
    } else if (n->buf) {
      verify_access(v, n->buf, n->index);
      verify_expr(v, n->value);
    } else {
      if (n->temp < 0 || n->temp >= v->k->ntemps)
        fail(v, "a store to temporary t%d of %d", n->temp, v->k->ntemps);
      verify_expr(v, n->value);
    }
  }
}

bool loop_verify(const LoopProgram *p, Diag *diag) {
  const Cascade *c = p->cascade;
  bool ok = p->nbuffers == c->ntensors && p->nkernels == c->neinsums;
  if (!ok) {
    diag_error(diag, (SrcLoc){c->file ? c->file : "?", 0, 0},
               "IR verifier: %d buffers and %d kernels for %d tensors and %d Einsums", p->nbuffers,
               p->nkernels, c->ntensors, c->neinsums);
    return false;
  }
  for (int i = 0; i < p->nbuffers && ok; i++)
    if (p->buffers[i]->id != i || p->buffers[i]->tensor != c->tensors[i]) {
      diag_error(diag, c->tensors[i]->loc, "IR verifier: buffer %d does not hold tensor '%s'", i,
                 c->tensors[i]->name);
      ok = false;
    }
  for (int i = 0; i < p->nkernels && ok; i++) {
    const Kernel *k = p->kernels[i];
    LoopVerifier v = {p, k, diag, true, calloc((size_t)k->nvars + 1, sizeof(bool))};
    if (k->einsum != c->einsums[i])
      fail(&v, "kernel %d is not Einsum %d's", i, i);
    else
      verify_nodes(&v, k->body);
    free(v.bound);
    ok = v.ok;
  }
  return ok;
}
