/* einc run --target cpu: compile in memory, run, write the outputs. */
#include <stdio.h>

#include "driver/driver.h"

int cmd_run(const Options *o) {
  (void)o;
  fprintf(stderr, "einc: 'run' is not implemented yet (it needs the .npy runtime)\n");
  return EXIT_REJECTED;
}
