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

/* What a tool does with one option: c as cli_next_option returns it (1 for
 * an operand, also after "--"), read from arg, with value v. Returns -1 to
 * go on, else the exit status to stop with. */
typedef int (*CliApply)(void *tool, int c, const char *arg, const char *v);

/* Reads the whole command line through apply. Returns -1 when every
 * argument was taken, else the status apply stopped with. */
int cli_parse(int argc, char **argv, const char *short_options, const struct option *long_options,
              CliApply apply, void *tool);

#endif
