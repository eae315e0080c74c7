/* libFuzzer harness for the text parsers: the first byte picks the .npy
 * reader, the architecture-file reader or the assembler; the rest is the
 * input. Build and run: fuzz/run.sh text. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "runtime/arch.h"
#include "runtime/asm.h"
#include "runtime/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  char msg[700];
  const uint8_t *rest = data + 1;
  size_t n = size - 1;
  switch (data[0] % 3) {
  case 0: {
    /* Both readers; what the f32 one accepts the f64 one reads to the same
     * values (it also takes '<f8'). */
    NpyArray a;
    NpyArray64 d;
    bool ok32 = npy_parse(rest, n, &a, msg, sizeof msg);
    bool ok64 = npy_parse_f64(rest, n, &d, msg, sizeof msg);
    if (ok32 && !ok64)
      abort();
    for (uint64_t i = 0; ok32 && i < a.count; i++)
      if (d.data[i] != (double)a.data[i] && !(isnan(d.data[i]) && isnan(a.data[i])))
        abort();
    if (ok32)
      npy_free(&a);
    if (ok64)
      npy_free_f64(&d);
    break;
  }
  case 1: {
    Arch arch;
    arch_parse(&arch, "fuzz.yaml", (const char *)rest, n, msg, sizeof msg);
    break;
  }
  default: {
    Ebin b;
    if (asm_assemble("fuzz.s", (const char *)rest, n, 0, &b, msg, sizeof msg))
      ebin_free(&b);
    break;
  }
  }
  return 0;
}
