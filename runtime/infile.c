#include "runtime/infile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *infile_read(const char *path, size_t max_bytes, size_t *len, char *why, size_t why_size) {
  bool from_stdin = strcmp(path, "-") == 0;
  FILE *f = from_stdin ? stdin : fopen(path, "rb");
  if (!f) {
    snprintf(why, why_size, "cannot open: %s", strerror(errno));
    return NULL;
  }
  /* A regular file says its size: refuse a large one before reading it. */
  struct stat st;
  size_t cap = 1 << 14, n = 0;
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
    if ((uint64_t)st.st_size > max_bytes) {
      snprintf(why, why_size, "larger than %zu MiB", max_bytes >> 20);
      if (!from_stdin)
        fclose(f);
      return NULL;
    }
    if ((size_t)st.st_size + 1 > cap)
      cap = (size_t)st.st_size + 1;
  }
  char *buf = malloc(cap + 1);
  for (;;) {
    if (!buf) {
      snprintf(why, why_size, "cannot read: out of memory");
      break;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) {
      if (ferror(f)) {
        snprintf(why, why_size, "cannot read: %s", strerror(errno));
        free(buf);
        buf = NULL;
      }
      break;
    }
    if (cap >= max_bytes) {
      snprintf(why, why_size, "larger than %zu MiB", max_bytes >> 20);
      free(buf);
      buf = NULL;
      break;
    }
    cap = cap * 2 < max_bytes ? cap * 2 : max_bytes;
    char *bigger = realloc(buf, cap + 1);
    if (!bigger)
      free(buf);
    buf = bigger;
  }
  if (!from_stdin)
    fclose(f);
  if (buf) {
    buf[n] = '\0';
    *len = n;
  }
  return buf;
}
