#include "tests/testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *read_whole_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (cap - n - 1 == 0) {
      cap *= 2;
      buf = realloc(buf, cap);
    }
  }
  bool failed = ferror(f);
  fclose(f);
  if (failed) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

char *str_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = malloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

const char *test_srcdir(void) {
  const char *dir = getenv("SRCDIR");
  return dir && *dir ? dir : ".";
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

char **list_files(const char *dir, const char *suffix, int *n) {
  *n = 0;
  DIR *d = opendir(dir);
  if (!d)
    return NULL;
  int cap = 16;
  char **names = malloc(sizeof *names * (size_t)cap);
  size_t slen = strlen(suffix);
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    size_t len = strlen(ent->d_name);
    if (len <= slen || strcmp(ent->d_name + len - slen, suffix) != 0)
      continue;
    if (*n + 1 >= cap) {
      cap *= 2;
      names = realloc(names, sizeof *names * (size_t)cap);
    }
    names[(*n)++] = strdup(ent->d_name);
  }
  closedir(d);
  qsort(names, (size_t)*n, sizeof *names, compare_names);
  names[*n] = NULL;
  return names;
}

void free_names(char **names) {
  if (!names)
    return;
  for (char **p = names; *p; p++)
    free(*p);
  free(names);
}

int count_char(const char *s, char c) {
  int n = 0;
  for (; *s; s++)
    n += *s == c;
  return n;
}

const char *test_einc(void) {
  const char *p = getenv("EINC");
  return p && *p ? p : "./einc";
}

char *make_temp_dir(const char *prefix) {
  const char *base = getenv("TMPDIR");
  char *templ = str_printf("%s/%s-XXXXXX", base && *base ? base : "/tmp", prefix);
  if (mkdtemp(templ))
    return templ;
  free(templ);
  return NULL;
}

void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
      continue;
    char *p = str_printf("%s/%s", dir, ent->d_name);
    unlink(p);
    free(p);
  }
  closedir(d);
  rmdir(dir);
}

int run_suites(Suite *first, ...) {
  SRunner *sr = srunner_create(first);
  va_list ap;
  va_start(ap, first);
  for (Suite *s; (s = va_arg(ap, Suite *));)
    srunner_add_suite(sr, s);
  va_end(ap);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}

/* ---- running a program ---- */

void run_free(Run *r) {
  free(r->out);
  free(r->err);
}

char *temp_dir(void) {
  char *dir = make_temp_dir("einc-test");
  ck_assert_msg(dir != NULL, "cannot make a temporary directory: %s", strerror(errno));
  return dir;
}

/* Runs program with args (NULL-terminated) in directory cwd, capturing both
 * output streams. */
Run run_program(const char *program, const char *cwd, const char *const *args) {
  char *dir = temp_dir();
  char *out_path = str_printf("%s/stdout", dir);
  char *err_path = str_printf("%s/stderr", dir);
  const char *argv[32];
  int argc = 0;
  argv[argc++] = program;
  for (; *args; args++) {
    ck_assert_int_lt(argc, 31);
    argv[argc++] = *args;
  }
  argv[argc] = NULL;

  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || chdir(cwd) != 0)
      _exit(126);
    execv(argv[0], (char *const *)argv);
    dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int wstatus;
  ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
  Run r;
  r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  r.out = read_whole_file(out_path, NULL);
  r.err = read_whole_file(err_path, NULL);
  ck_assert_ptr_nonnull(r.out);
  ck_assert_ptr_nonnull(r.err);
  ck_assert_msg(r.status != 127 && r.status != 126, "cannot run %s: %s", argv[0], r.err);
  free(out_path);
  free(err_path);
  remove_dir(dir);
  free(dir);
  return r;
}

Run run_einc(const char *cwd, const char *const *args) {
  return run_program(test_einc(), cwd, args);
}
