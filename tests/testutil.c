#include "tests/testutil.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
