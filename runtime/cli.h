/* Command lines: what einc, einsim and einasm share in reading options. */
#ifndef EINC_CLI_H
#define EINC_CLI_H

#include <getopt.h>

/* getopt_long, except that a long option counts only when spelled in full
 * ('?' otherwise): getopt_long takes any unambiguous prefix, and a script
 * written with --out would break the day an --output is added. *arg gets
 * the argument the option was read from, for messages. */
int cli_next_option(int argc, char **argv, const char *short_options,
                    const struct option *long_options, const char **arg);

#endif
