#include "runtime/outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

FILE *outfile_open(OutFile *o, const char *path) {
  memset(o, 0, sizeof *o);
  if (strcmp(path, "-") == 0) {
    o->f = stdout;
    return o->f;
  }
  size_t n = strlen(path);
  o->path = malloc(n + 1);
  o->tmp = malloc(n + sizeof ".tmpXXXXXX");
  memcpy(o->path, path, n + 1);
  memcpy(o->tmp, path, n);
  memcpy(o->tmp + n, ".tmpXXXXXX", sizeof ".tmpXXXXXX");
  int fd = mkstemp(o->tmp);
  if (fd < 0 || !(o->f = fdopen(fd, "wb"))) {
    fprintf(stderr, "einc: cannot write %s: %s\n", path, strerror(errno));
    if (fd >= 0) {
      close(fd);
      unlink(o->tmp);
    }
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
    return NULL;
  }
  return o->f;
}

static void release(OutFile *o) {
  free(o->path);
  free(o->tmp);
  memset(o, 0, sizeof *o);
}

bool outfile_commit(OutFile *o) {
  if (!o->path) {
    bool ok = fflush(o->f) == 0 && !ferror(o->f);
    if (!ok)
      fprintf(stderr, "einc: cannot write standard output: %s\n", strerror(errno));
    return ok;
  }
  bool ok = fflush(o->f) == 0 && !ferror(o->f);
  ok = (fclose(o->f) == 0) && ok;
  if (ok && rename(o->tmp, o->path) != 0)
    ok = false;
  if (!ok) {
    fprintf(stderr, "einc: cannot write %s: %s\n", o->path, strerror(errno));
    unlink(o->tmp);
  }
  release(o);
  return ok;
}

void outfile_abort(OutFile *o) {
  if (o->path) {
    fclose(o->f);
    unlink(o->tmp);
  }
  release(o);
}
