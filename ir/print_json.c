/* The JSON printer, for tools. The layout is that of Python's
 * json.dumps(obj, indent=2): one member or element per line, two spaces per
 * level, `[]` for an empty array. Numbers use the text printer's format;
 * infinities, which JSON lacks, become the strings "inf" and "-inf". */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ir/cascade.h"
#include "ir/printer.h"

typedef struct JsonWriter {
  FILE *out;
  int depth;
  bool fresh; /* nothing written yet in the innermost open container */
} JsonWriter;

static void json_string_literal(JsonWriter *w, const char *s) {
  fputc('"', w->out);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    switch (ch) {
    case '"':
      fputs("\\\"", w->out);
      break;
    case '\\':
      fputs("\\\\", w->out);
      break;
    case '\n':
      fputs("\\n", w->out);
      break;
    case '\r':
      fputs("\\r", w->out);
      break;
    case '\t':
      fputs("\\t", w->out);
      break;
    case '\b':
      fputs("\\b", w->out);
      break;
    case '\f':
      fputs("\\f", w->out);
      break;
    default:
      if (ch < 0x20)
        fprintf(w->out, "\\u%04x", ch);
      else
        fputc(ch, w->out);
    }
  }
  fputc('"', w->out);
}

/* Starts a member (key != NULL) or an element (key == NULL) of the innermost
 * container: separator, newline, indentation, key. */
static void json_item(JsonWriter *w, const char *key) {
  if (w->depth > 0) {
    if (!w->fresh)
      fputc(',', w->out);
    fprintf(w->out, "\n%*s", 2 * w->depth, "");
  }
  w->fresh = false;
  if (key) {
    json_string_literal(w, key);
    fputs(": ", w->out);
  }
}

static void json_open(JsonWriter *w, const char *key, char bracket) {
  json_item(w, key);
  fputc(bracket, w->out);
  w->depth++;
  w->fresh = true;
}

static void json_close(JsonWriter *w, char bracket) {
  w->depth--;
  if (!w->fresh)
    fprintf(w->out, "\n%*s", 2 * w->depth, "");
  fputc(bracket, w->out);
  w->fresh = false;
}

static void json_string(JsonWriter *w, const char *key, const char *value) {
  json_item(w, key);
  json_string_literal(w, value);
}

/* Takes ownership of a malloc'ed string. */
static void json_string_owned(JsonWriter *w, const char *key, char *value) {
  json_string(w, key, value);
  free(value);
}

static void json_int(JsonWriter *w, const char *key, int64_t value) {
  json_item(w, key);
  fprintf(w->out, "%" PRId64, value);
}

static void json_bool(JsonWriter *w, const char *key, bool value) {
  json_item(w, key);
  fputs(value ? "true" : "false", w->out);
}

static void json_null(JsonWriter *w, const char *key) {
  json_item(w, key);
  fputs("null", w->out);
}

static void json_number(JsonWriter *w, const char *key, double value) {
  json_item(w, key);
  if (isfinite(value)) {
    print_number(value, w->out);
  } else {
    fputc('"', w->out);
    print_number(value, w->out);
    fputc('"', w->out);
  }
}

static void json_expr(JsonWriter *w, const char *key, const Einsum *e, const Expr *x);

static void json_expr_args(JsonWriter *w, const char *key, const Einsum *e, const Expr *x) {
  json_open(w, key, '[');
  for (int i = 0; i < x->nargs; i++)
    json_expr(w, NULL, e, x->arg[i]);
  json_close(w, ']');
}

static void json_read(JsonWriter *w, const Einsum *e, const Expr *x) {
  json_string(w, "kind", "read");
  json_string(w, "tensor", x->tensor->name);
  json_open(w, "index", '[');
  for (int i = 0; i < x->tensor->rank; i++)
    json_string_owned(w, NULL, index_string(e, x->index[i]));
  json_close(w, ']');
}

static void json_reduce(JsonWriter *w, const Einsum *e, const Expr *x) {
  json_string(w, "kind", "reduce");
  json_string(w, "op", reduce_name(x->reduce));
  json_open(w, "vars", '[');
  for (int i = 0; i < x->nrvars; i++)
    json_string(w, NULL, e->vars[x->rvars[i]].name);
  json_close(w, ']');
  json_bool(w, "implicit", x->implicit);
  json_expr(w, "body", e, x->arg[0]);
}

static void json_expr(JsonWriter *w, const char *key, const Einsum *e, const Expr *x) {
  json_open(w, key, '{');
  switch (x->kind) {
  case EX_CONST:
    json_string(w, "kind", "const");
    json_number(w, "value", x->value);
    break;
  case EX_READ:
    json_read(w, e, x);
    break;
  case EX_INDEX:
    json_string(w, "kind", "index");
    json_string(w, "var", e->vars[x->var].name);
    break;
  case EX_UNARY:
    json_string(w, "kind", "unary");
    json_string(w, "op", op_name(x->op));
    json_expr(w, "arg", e, x->arg[0]);
    break;
  case EX_BINARY:
    json_string(w, "kind", "binary");
    json_string(w, "op", op_name(x->op));
    json_expr(w, "lhs", e, x->arg[0]);
    json_expr(w, "rhs", e, x->arg[1]);
    break;
  case EX_CALL:
    json_string(w, "kind", "call");
    json_string(w, "func", func_name(x->func));
    json_expr_args(w, "args", e, x);
    break;
  case EX_SELECT:
    json_string(w, "kind", "select");
    json_expr(w, "cond", e, x->arg[0]);
    json_expr(w, "then", e, x->arg[1]);
    json_expr(w, "else", e, x->arg[2]);
    break;
  case EX_REDUCE:
    json_reduce(w, e, x);
    break;
  }
  json_close(w, '}');
}

static void json_lets(JsonWriter *w, const Cascade *c) {
  json_open(w, "lets", '[');
  for (int i = 0; i < c->nlets; i++) {
    json_open(w, NULL, '{');
    json_string(w, "name", c->lets[i].name);
    json_int(w, "value", c->lets[i].value);
    json_bool(w, "overridden", c->lets[i].overridden);
    json_close(w, '}');
  }
  json_close(w, ']');
}

static void json_tensor(JsonWriter *w, const Tensor *t) {
  json_open(w, NULL, '{');
  json_string(w, "name", t->name);
  json_string(w, "role", role_name(t->role));
  json_string(w, "dtype", dtype_name(t->dtype));
  json_open(w, "shape", '[');
  for (int i = 0; i < t->rank; i++)
    json_int(w, NULL, t->dims[i]);
  json_close(w, ']');
  json_bool(w, "declared", t->declared);
  json_close(w, '}');
}

static void json_recurrence(JsonWriter *w, const Einsum *e) {
  if (!e->rec) {
    json_null(w, "recurrence");
    return;
  }
  json_open(w, "recurrence", '{');
  json_string(w, "var", e->vars[recurrence_var(e)].name);
  json_int(w, "max_offset", e->rec->max_offset);
  if (e->rec->init)
    json_expr(w, "init", e, e->rec->init);
  else
    json_null(w, "init");
  json_close(w, '}');
}

static void json_einsum(JsonWriter *w, const Einsum *e) {
  json_open(w, NULL, '{');
  json_string(w, "output", e->out->name);
  json_string_owned(w, "text", statement_string(e));
  json_open(w, "indices", '[');
  for (int i = 0; i < e->nvars; i++) {
    json_open(w, NULL, '{');
    json_string(w, "name", e->vars[i].name);
    json_int(w, "extent", e->vars[i].extent);
    json_close(w, '}');
  }
  json_close(w, ']');
  json_open(w, "lhs", '[');
  for (int i = 0; i < e->out->rank; i++)
    json_string(w, NULL, e->vars[e->lhs[i]].name);
  json_close(w, ']');
  json_expr(w, "expr", e, e->rhs);
  json_recurrence(w, e);
  json_close(w, '}');
}

void print_json(const Cascade *c, FILE *out) {
  JsonWriter w = {out, 0, true};
  json_open(&w, NULL, '{');
  json_string(&w, "file", c->file ? c->file : "-");
  json_lets(&w, c);
  json_open(&w, "tensors", '[');
  for (int i = 0; i < c->ntensors; i++)
    json_tensor(&w, c->tensors[i]);
  json_close(&w, ']');
  json_open(&w, "einsums", '[');
  for (int i = 0; i < c->neinsums; i++)
    json_einsum(&w, c->einsums[i]);
  json_close(&w, ']');
  json_close(&w, '}');
  fputc('\n', out);
}
