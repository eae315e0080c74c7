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
    int saved = errno;
    if (fd >= 0) {
      close(fd);
      unlink(o->tmp);
    }
    errno = saved;
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
  if (!o->path)
    return fflush(o->f) == 0 && !ferror(o->f);
  errno = 0;
  bool ok = fflush(o->f) == 0 && !ferror(o->f);
  ok = (fclose(o->f) == 0) && ok;
  if (ok && rename(o->tmp, o->path) != 0)
    ok = false;
  if (!ok) {
    int saved = errno ? errno : EIO;
    unlink(o->tmp);
    errno = saved;
  }
  release(o);
  return ok;
}

bool outfile_write_all(const char *path, const void *data, size_t len) {
  OutFile o;
  FILE *f = outfile_open(&o, path);
  if (!f)
    return false;
  if (fwrite(data, 1, len, f) != len) {
    int saved = errno ? errno : EIO;
    outfile_abort(&o);
    errno = saved;
    return false;
  }
  return outfile_commit(&o);
}

void outfile_abort(OutFile *o) {
  if (o->path) {
    fclose(o->f);
    unlink(o->tmp);
  }
  release(o);
}
