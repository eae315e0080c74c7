/* Helpers the frontend and CLI tests share: files, paths, strings. */
#ifndef EINC_TESTUTIL_H
#define EINC_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

/* The whole file as a NUL-terminated malloc'ed buffer (its length in *len if
 * len is not NULL), or NULL if it cannot be read. */
char *read_whole_file(const char *path, size_t *len);

#if defined(__GNUC__)
#define TEST_PRINTF_LIKE __attribute__((format(printf, 1, 2)))
#else
#define TEST_PRINTF_LIKE
#endif

/* A malloc'ed printf. */
char *str_printf(const char *fmt, ...) TEST_PRINTF_LIKE;

/* $SRCDIR, the top source directory (set by make check), else ".". */
const char *test_srcdir(void);

/* The names (not paths) of the files in dir that end in suffix, sorted;
 * *n is their number. NULL-terminated; free with free_names. */
char **list_files(const char *dir, const char *suffix, int *n);
void free_names(char **names);

/* How many times c occurs in s. */
int count_char(const char *s, char c);

/* $EINC, the einc binary (set by make check), else "./einc". */
const char *test_einc(void);

/* A new empty directory $TMPDIR/PREFIX-XXXXXX (TMPDIR defaults to /tmp),
 * malloc'ed; NULL if it cannot be made (errno says why). */
char *make_temp_dir(const char *prefix);
/* Removes the files in dir, then dir (its subdirectories must be removed
 * first). */
void remove_dir(const char *dir);

/* Runs the suites (a NULL-terminated list) and gives the exit status for
 * main: 0 when every test passed, else 1. */
int run_suites(Suite *first, ...);

/* A finished program: its exit status (128 + signal when killed) and
 * both output streams. */
typedef struct Run {
  int status;
  char *out, *err;
} Run;
void run_free(Run *r);
/* A new temporary directory (malloc'ed); fails the test if it cannot. */
char *temp_dir(void);
/* Runs program with args (NULL-terminated) in directory cwd, capturing
 * both output streams; fails the test if it cannot start. */
Run run_program(const char *program, const char *cwd, const char *const *args);
/* run_program of $EINC. */
Run run_einc(const char *cwd, const char *const *args);

#endif
