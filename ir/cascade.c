#include "ir/cascade.h"

#include <assert.h>
#include <string.h>

static const char *const dtype_names[] = {"f32", "f16", "bf16", "i8", "i32"};
static const char *const role_names[] = {"input", "param", "output", "intermediate"};
static const char *const role_keywords[] = {"input", "param", "output", "tensor"};
static const char *const func_names[FN_COUNT] = {
    "exp",  "log", "sqrt", "rsqrt", "sigmoid", "silu", "softplus", "tanh",
    "relu", "sin", "cos",  "gelu",  "abs",     "max",  "min",      "pow"};
static const char *const reduce_names[RED_COUNT] = {"sum", "max", "min", "prod"};
static const char *const op_names[] = {"-",  "!", "+",  "-",  "*",  "/",  "<",
                                       "<=", ">", ">=", "==", "!=", "&&", "||"};

const char *dtype_name(DType t) { return dtype_names[t]; }
const char *role_name(Role r) { return role_names[r]; }
const char *role_keyword(Role r) { return role_keywords[r]; }
const char *func_name(Func f) { return func_names[f]; }
int func_arity(Func f) { return f >= FN_MAX ? 2 : 1; }
const char *reduce_name(ReduceOp r) { return reduce_names[r]; }
const char *op_name(Op op) { return op_names[op]; }

bool op_is_condition(Op op) { return op == OP_NOT || op >= OP_LT; }

bool expr_is_condition(const Expr *x) {
  return (x->kind == EX_UNARY || x->kind == EX_BINARY) && op_is_condition(x->op);
}

bool tensor_count_elements(const Tensor *t, int64_t *n) {
  *n = 1;
  for (int i = 0; i < t->rank; i++)
    if (__builtin_mul_overflow(*n, t->dims[i], n))
      return false;
  return true;
}

int64_t tensor_elements(const Tensor *t) {
  int64_t n;
  bool exact = tensor_count_elements(t, &n);
  assert(exact && "the frontend refuses element counts that overflow");
  (void)exact;
  return n;
}

int recurrence_var(const Einsum *e) { return e->lhs[e->rec->pos]; }

Tensor *cascade_find_tensor(const Cascade *c, const char *name) {
  for (int i = 0; i < c->ntensors; i++)
    if (strcmp(c->tensors[i]->name, name) == 0)
      return c->tensors[i];
  return NULL;
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }
