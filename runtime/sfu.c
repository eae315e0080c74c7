/* Element functions of the vector unit. */
#include "runtime/sfu.h"

#include <math.h>

static float sigmoid(float x) {
  /* Two forms so that exp never overflows. */
  if (x >= 0)
    return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}

float sfu_unary(IsaFunc f, float x) {
  switch (f) {
  case F_COPY:
    return x;
  case F_NEG:
    return -x;
  case F_ABS:
    return fabsf(x);
  case F_RELU:
    return x > 0 ? x : 0.0f;
  case F_NOT:
    return x == 0 ? 1.0f : 0.0f;
  case F_EXP:
    return expf(x);
  case F_LOG:
    return logf(x);
  case F_SQRT:
    return sqrtf(x);
  case F_RSQRT:
    return 1.0f / sqrtf(x);
  case F_RECIP:
    return 1.0f / x;
  case F_SIGMOID:
    return sigmoid(x);
  case F_SILU:
    return x * sigmoid(x);
  case F_SOFTPLUS:
    /* log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)) never overflows. */
    return (x > 0 ? x : 0.0f) + log1pf(expf(-fabsf(x)));
  case F_TANH:
    return tanhf(x);
  case F_SIN:
    return sinf(x);
  case F_COS:
    return cosf(x);
  case F_GELU:
    return 0.5f * x * (1.0f + tanhf(0.7978845608f * (x + 0.044715f * x * x * x)));
  default:
    return x;
  }
}

float sfu_binary(IsaFunc f, float a, float b) {
  switch (f) {
  case F_ADD:
    return a + b;
  case F_SUB:
    return a - b;
  case F_MUL:
    return a * b;
  case F_DIV:
    return a / b;
  case F_MAX:
    return fmaxf(a, b);
  case F_MIN:
    return fminf(a, b);
  case F_POW:
    return powf(a, b);
  case F_LT:
    return a < b ? 1.0f : 0.0f;
  case F_LE:
    return a <= b ? 1.0f : 0.0f;
  case F_GT:
    return a > b ? 1.0f : 0.0f;
  case F_GE:
    return a >= b ? 1.0f : 0.0f;
  case F_EQ:
    return a == b ? 1.0f : 0.0f;
  case F_NE:
    return a != b ? 1.0f : 0.0f;
  case F_AND:
    return (a != 0 && b != 0) ? 1.0f : 0.0f;
  case F_OR:
    return (a != 0 || b != 0) ? 1.0f : 0.0f;
  default:
    return a;
  }
}

float sfu_reduce_identity(IsaFunc f) {
  switch (f) {
  case F_RMAX:
    return -INFINITY;
  case F_RMIN:
    return INFINITY;
  case F_RPROD:
    return 1.0f;
  default:
    return 0.0f;
  }
}

float sfu_reduce_step(IsaFunc f, float acc, float x) {
  switch (f) {
  case F_RMAX:
    return fmaxf(acc, x);
  case F_RMIN:
    return fminf(acc, x);
  case F_RPROD:
    return acc * x;
  default:
    return acc + x;
  }
}
