/* The vector unit's element functions in binary32, as the language defines
 * them (softplus without overflow, gelu with the tanh form). */
#ifndef EINC_SFU_H
#define EINC_SFU_H

#include "runtime/isa.h"

float sfu_unary(IsaFunc f, float x);
float sfu_binary(IsaFunc f, float a, float b);
/* Reductions: the identity, and one step of combining. */
float sfu_reduce_identity(IsaFunc f);
float sfu_reduce_step(IsaFunc f, float acc, float x);

#endif
