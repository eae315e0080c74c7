/* Helpers the printers share; not part of the IR's public interface. */
#ifndef EINC_PRINTER_H
#define EINC_PRINTER_H

#include <stdio.h>

#include "ir/cascade.h"

/* The shortest of %.15g, %.16g, %.17g that reads back as the same double;
 * "inf", "-inf", and "nan" (which the IR never holds) for the rest. */
void print_number(double v, FILE *out);

/* `name[INDEX, ...]`, or `name` alone at rank 0. */
void print_access(const Einsum *e, const char *name, int rank, Index *const *index, FILE *out);

/* `out[i, j] = EXPR [init EXPR]`, without the recurrence comment. */
void print_statement(const Einsum *e, FILE *out);

/* The same texts as malloc'ed strings, for printers that must escape them. */
char *statement_string(const Einsum *e);
char *index_string(const Einsum *e, const Index *ix);

#endif
