/* libFuzzer harness for the text parsers: the first byte picks the .npy
 * reader, the architecture-file reader or the assembler; the rest is the
 * input. Build and run: fuzz/run.sh text. */
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
    NpyArray a;
    if (npy_parse(rest, n, &a, msg, sizeof msg))
      npy_free(&a);
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
