#include "runtime/cli.h"

#include <stdbool.h>
#include <string.h>

/* Whether arg ("--name" or "--name=value") spells in full the long option
 * whose value is val. */
static bool spelled_in_full(const struct option *long_options, const char *arg, int val) {
  const struct option *o = long_options;
  while (o->name && o->val != val)
    o++;
  size_t n = o->name ? strlen(o->name) : 0;
  return o->name && strncmp(arg + 2, o->name, n) == 0 && (arg[2 + n] == '\0' || arg[2 + n] == '=');
}

int cli_next_option(int argc, char **argv, const char *short_options,
                    const struct option *long_options, const char **arg) {
  *arg = argv[optind];
  int c = getopt_long(argc, argv, short_options, long_options, NULL);
  if (c == -1 || c == 1 || c == '?' || strncmp(*arg, "--", 2) != 0)
    return c;
  return spelled_in_full(long_options, *arg, c == ':' ? optopt : c) ? c : '?';
}

int cli_parse(int argc, char **argv, const char *short_options, const struct option *long_options,
              CliApply apply, void *tool) {
  opterr = 0;
  const char *arg;
  int c, status;
  while ((c = cli_next_option(argc, argv, short_options, long_options, &arg)) != -1)
    if ((status = apply(tool, c, arg, optarg)) >= 0)
      return status;
  /* After "--" every argument is an operand. */
  for (; optind < argc; optind++)
    if ((status = apply(tool, 1, argv[optind], argv[optind])) >= 0)
      return status;
  return -1;
}
