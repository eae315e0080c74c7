/* .npy reading and writing (NEP 1: magic, version, header length, a Python
 * dict literal padded to 64 bytes, then the raw data). */
#include "runtime/npy.h"

#include "runtime/infile.h"
#include "runtime/outfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAX_BYTES (UINT64_C(1) << 40)

static const uint8_t npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

void npy_free(NpyArray *a) {
  free(a->data);
  memset(a, 0, sizeof *a);
}

/* What the header says: the shape, and the element size its dtype gives. */
typedef struct Header {
  uint32_t rank;
  uint64_t dims[NPY_MAX_RANK];
  unsigned elem_bytes; /* 4 ('<f4') or 8 ('<f8', when allowed) */
} Header;

/* A cursor over the header text. */
typedef struct Cur {
  const char *p, *end;
} Cur;

static void skip_space(Cur *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
    c->p++;
}

static bool eat(Cur *c, char ch) {
  skip_space(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return true;
  }
  return false;
}

/* A quoted string of at most cap-1 characters, no escapes. */
static bool read_string(Cur *c, char *out, size_t cap) {
  skip_space(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return false;
  char q = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != q) {
    if (*c->p == '\\' || n + 1 >= cap)
      return false;
    out[n++] = *c->p++;
  }
  if (c->p >= c->end)
    return false;
  c->p++;
  out[n] = '\0';
  return true;
}

static bool read_word(Cur *c, const char *word) {
  skip_space(c);
  size_t n = strlen(word);
  if ((size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0) {
    c->p += n;
    return true;
  }
  return false;
}

static bool read_shape(Cur *c, Header *a, char *msg, size_t msg_size) {
  if (!eat(c, '(')) {
    snprintf(msg, msg_size, "'shape' must be a tuple");
    return false;
  }
  a->rank = 0;
  for (;;) {
    if (eat(c, ')'))
      return true;
    skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') {
      snprintf(msg, msg_size, "malformed 'shape'");
      return false;
    }
    uint64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
      v = v * 10 + (uint64_t)(*c->p++ - '0');
      if (v > NPY_MAX_BYTES) {
        snprintf(msg, msg_size, "absurd dimension in 'shape'");
        return false;
      }
    }
    if (c->p < c->end && *c->p == 'L')
      c->p++; /* Python 2 long suffix */
    if (a->rank >= NPY_MAX_RANK) {
      snprintf(msg, msg_size, "more than %d dimensions", NPY_MAX_RANK);
      return false;
    }
    a->dims[a->rank++] = v;
    if (eat(c, ','))
      continue;
    if (eat(c, ')'))
      return true;
    snprintf(msg, msg_size, "malformed 'shape'");
    return false;
  }
}

/* The element size of dtype descr, or 0 when it is not accepted. */
static unsigned descr_bytes(const char *descr, bool allow_f8, char *msg, size_t msg_size) {
  if (strcmp(descr, "<f4") == 0)
    return 4;
  if (allow_f8 && strcmp(descr, "<f8") == 0)
    return 8;
  if (allow_f8)
    snprintf(msg, msg_size,
             "dtype '%s' is not supported (only '<f4' or '<f8', little-endian float32 or "
             "float64)",
             descr);
  else
    snprintf(msg, msg_size, "dtype '%s' is not supported (only '<f4', little-endian float32)",
             descr);
  return 0;
}

static bool parse_header(const char *text, size_t len, bool allow_f8, Header *a, char *msg,
                         size_t msg_size) {
  Cur c = {text, text + len};
  bool have_descr = false, have_order = false, have_shape = false;
  if (!eat(&c, '{')) {
    snprintf(msg, msg_size, "header is not a dict");
    return false;
  }
  for (;;) {
    if (eat(&c, '}'))
      break;
    char key[32];
    if (!read_string(&c, key, sizeof key) || !eat(&c, ':')) {
      snprintf(msg, msg_size, "malformed header dict");
      return false;
    }
    if (strcmp(key, "descr") == 0 && !have_descr) {
      char descr[32];
      if (!read_string(&c, descr, sizeof descr)) {
        snprintf(msg, msg_size, "'descr' must be a string");
        return false;
      }
      if ((a->elem_bytes = descr_bytes(descr, allow_f8, msg, msg_size)) == 0)
        return false;
      have_descr = true;
    } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
      if (read_word(&c, "True")) {
        snprintf(msg, msg_size, "Fortran-order arrays are not supported (use C order)");
        return false;
      }
      if (!read_word(&c, "False")) {
        snprintf(msg, msg_size, "'fortran_order' must be True or False");
        return false;
      }
      have_order = true;
    } else if (strcmp(key, "shape") == 0 && !have_shape) {
      if (!read_shape(&c, a, msg, msg_size))
        return false;
      have_shape = true;
    } else {
      snprintf(msg, msg_size, "unexpected or repeated key '%s' in the header", key);
      return false;
    }
    if (eat(&c, ','))
      continue;
    if (eat(&c, '}'))
      break;
    snprintf(msg, msg_size, "malformed header dict");
    return false;
  }
  skip_space(&c);
  if (c.p < c.end && *c.p == '\n')
    c.p++;
  if (c.p != c.end) {
    snprintf(msg, msg_size, "junk after the header dict");
    return false;
  }
  if (!have_descr || !have_order || !have_shape) {
    snprintf(msg, msg_size, "header lacks '%s'",
             !have_descr   ? "descr"
             : !have_order ? "fortran_order"
                           : "shape");
    return false;
  }
  return true;
}

/* The header of a file image, checked against the data that follows:
 * *data_at is where the data starts, *count the number of elements. */
static bool parse_image(const uint8_t *buf, size_t len, bool allow_f8, Header *a,
                        uint64_t *count_out, size_t *data_at_out, char *msg, size_t msg_size) {
  memset(a, 0, sizeof *a);
  if (len < 10 || memcmp(buf, npy_magic, 6) != 0) {
    snprintf(msg, msg_size, "not a .npy file (bad magic)");
    return false;
  }
  uint8_t major = buf[6], minor = buf[7];
  size_t header_len, start;
  if (major == 1 && minor == 0) {
    header_len = (size_t)buf[8] | (size_t)buf[9] << 8;
    start = 10;
  } else if (major == 2 && minor == 0) {
    if (len < 12) {
      snprintf(msg, msg_size, "truncated header");
      return false;
    }
    header_len =
        (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    start = 12;
  } else {
    snprintf(msg, msg_size, ".npy format version %u.%u is not supported (1.0 or 2.0)", major,
             minor);
    return false;
  }
  if (header_len > len - start) {
    snprintf(msg, msg_size, "truncated header (%zu bytes declared, %zu present)", header_len,
             len - start);
    return false;
  }
  for (size_t i = 0; i < header_len; i++) {
    if (buf[start + i] < 0x20 && buf[start + i] != '\n') {
      snprintf(msg, msg_size, "header contains control characters");
      return false;
    }
    if (buf[start + i] >= 0x7f) {
      snprintf(msg, msg_size, "header is not ASCII");
      return false;
    }
  }
  if (!parse_header((const char *)buf + start, header_len, allow_f8, a, msg, msg_size))
    return false;
  uint64_t count = 1, size = a->elem_bytes;
  for (uint32_t i = 0; i < a->rank; i++) {
    if (a->dims[i] != 0 && count > NPY_MAX_BYTES / size / a->dims[i]) {
      snprintf(msg, msg_size, "array too large");
      return false;
    }
    count *= a->dims[i];
  }
  size_t data_at = start + header_len;
  if (len - data_at != count * size) {
    snprintf(msg, msg_size, "%s data: %zu bytes for %llu elements (expected %llu)",
             len - data_at < count * size ? "truncated" : "extra", len - data_at,
             (unsigned long long)count, (unsigned long long)(count * size));
    return false;
  }
  *count_out = count;
  *data_at_out = data_at;
  return true;
}

static uint64_t load_le(const uint8_t *p, unsigned bytes) {
  uint64_t u = 0;
  for (unsigned b = 0; b < bytes; b++)
    u |= (uint64_t)p[b] << (8 * b);
  return u;
}

static void store_le(uint8_t *p, uint64_t u, unsigned bytes) {
  for (unsigned b = 0; b < bytes; b++)
    p[b] = (uint8_t)(u >> (8 * b));
}

/* Element i of the data as a double (a float32 widened exactly). */
static double element_at(const uint8_t *data, uint64_t i, unsigned bytes) {
  uint64_t u = load_le(data + bytes * i, bytes);
  if (bytes == 8) {
    double d;
    memcpy(&d, &u, 8);
    return d;
  }
  uint32_t w = (uint32_t)u;
  float f;
  memcpy(&f, &w, 4);
  return f;
}

/* Parses an image into rank, dims, count and a new data array of
 * out_bytes per element (4: binary32 bits as stored; 8: doubles, '<f4'
 * widened). allow_f8 admits '<f8' data, only for out_bytes 8. */
static bool parse_array(const uint8_t *buf, size_t len, unsigned out_bytes, uint32_t *rank,
                        uint64_t *dims, uint64_t *count, void **data, char *msg, size_t msg_size) {
  Header h;
  size_t data_at;
  if (!parse_image(buf, len, out_bytes == 8, &h, count, &data_at, msg, msg_size))
    return false;
  *data = malloc(*count ? *count * out_bytes : out_bytes);
  if (!*data) {
    snprintf(msg, msg_size, "out of memory");
    return false;
  }
  *rank = h.rank;
  memcpy(dims, h.dims, sizeof h.dims);
  for (uint64_t i = 0; i < *count; i++) {
    if (out_bytes == 8) {
      ((double *)*data)[i] = element_at(buf + data_at, i, h.elem_bytes);
    } else {
      uint32_t u = (uint32_t)load_le(buf + data_at + 4 * i, 4);
      memcpy((float *)*data + i, &u, 4);
    }
  }
  return true;
}

bool npy_parse(const uint8_t *buf, size_t len, NpyArray *a, char *msg, size_t msg_size) {
  memset(a, 0, sizeof *a);
  void *data;
  if (!parse_array(buf, len, 4, &a->rank, a->dims, &a->count, &data, msg, msg_size))
    return false;
  a->data = data;
  return true;
}

bool npy_parse_f64(const uint8_t *buf, size_t len, NpyArray64 *a, char *msg, size_t msg_size) {
  memset(a, 0, sizeof *a);
  void *data;
  if (!parse_array(buf, len, 8, &a->rank, a->dims, &a->count, &data, msg, msg_size))
    return false;
  a->data = data;
  return true;
}

void npy_free_f64(NpyArray64 *a) {
  free(a->data);
  memset(a, 0, sizeof *a);
}

/* The whole file at path, or NULL with msg saying why (naming the file). */
static uint8_t *read_image(const char *path, size_t *len, char *msg, size_t msg_size) {
  char why[300];
  uint8_t *buf = (uint8_t *)infile_read(path, (size_t)4 << 30, len, why, sizeof why);
  if (!buf)
    snprintf(msg, msg_size, "%s: %s", path, why);
  return buf;
}

/* Reads the file at path and parses it into a (an NpyArray64 when f64, else
 * an NpyArray); on failure msg names the path. */
static bool read_parse(const char *path, bool f64, void *a, char *msg, size_t msg_size) {
  char why[300];
  size_t len;
  uint8_t *buf = read_image(path, &len, msg, msg_size);
  if (!buf)
    return false;
  bool ok =
      f64 ? npy_parse_f64(buf, len, a, why, sizeof why) : npy_parse(buf, len, a, why, sizeof why);
  free(buf);
  if (!ok)
    snprintf(msg, msg_size, "%s: %s", path, why);
  return ok;
}

bool npy_read(const char *path, NpyArray *a, char *msg, size_t msg_size) {
  memset(a, 0, sizeof *a);
  return read_parse(path, false, a, msg, msg_size);
}

static void shape_text(char *out, size_t cap, uint32_t rank, const uint64_t *dims) {
  size_t n = (size_t)snprintf(out, cap, "(");
  for (uint32_t i = 0; i < rank && n < cap; i++)
    n += (size_t)snprintf(out + n, cap - n, "%llu%s", (unsigned long long)dims[i],
                          rank == 1      ? ","
                          : i + 1 < rank ? ", "
                                         : "");
  if (n < cap)
    snprintf(out + n, cap - n, ")");
}

/* True when the shape read is the one wanted; else msg says both. */
static bool same_shape(const char *path, uint32_t got_rank, const uint64_t *got, uint32_t rank,
                       const uint32_t *dims, char *msg, size_t msg_size) {
  bool same = got_rank == rank;
  for (uint32_t i = 0; same && i < rank; i++)
    same = got[i] == dims[i];
  if (same)
    return true;
  uint64_t want[NPY_MAX_RANK];
  for (uint32_t i = 0; i < rank && i < NPY_MAX_RANK; i++)
    want[i] = dims[i];
  char got_s[200], want_s[200];
  shape_text(got_s, sizeof got_s, got_rank, got);
  shape_text(want_s, sizeof want_s, rank, want);
  snprintf(msg, msg_size, "%s: shape %s does not match the expected %s", path, got_s, want_s);
  return false;
}

bool npy_read_shape(const char *path, uint32_t rank, const uint32_t *dims, NpyArray *a, char *msg,
                    size_t msg_size) {
  if (!npy_read(path, a, msg, msg_size))
    return false;
  if (!same_shape(path, a->rank, a->dims, rank, dims, msg, msg_size)) {
    npy_free(a);
    return false;
  }
  return true;
}

bool npy_read_shape_f64(const char *path, uint32_t rank, const uint32_t *dims, NpyArray64 *a,
                        char *msg, size_t msg_size) {
  memset(a, 0, sizeof *a);
  if (!read_parse(path, true, a, msg, msg_size))
    return false;
  if (!same_shape(path, a->rank, a->dims, rank, dims, msg, msg_size)) {
    npy_free_f64(a);
    return false;
  }
  return true;
}

/* The image of an array whose elements are elem_bytes wide (4: '<f4', 8:
 * '<f8'), each copied in little-endian byte order. */
static uint8_t *serialize(uint32_t rank, const uint64_t *dims, const void *data,
                          unsigned elem_bytes, size_t *len) {
  char shape[NPY_MAX_RANK * 24 + 8];
  shape_text(shape, sizeof shape, rank, dims);
  char dict[sizeof shape + 80];
  int dn = snprintf(dict, sizeof dict, "{'descr': '<f%u', 'fortran_order': False, 'shape': %s, }",
                    elem_bytes, shape);
  size_t prefix = 10;
  size_t total = (prefix + (size_t)dn + 1 + 63) / 64 * 64;
  int major = 1;
  if (total - prefix > 65535) {
    prefix = 12;
    total = (prefix + (size_t)dn + 1 + 63) / 64 * 64;
    major = 2;
  }
  uint64_t count = 1;
  for (uint32_t i = 0; i < rank; i++)
    count *= dims[i];
  *len = total + count * elem_bytes;
  uint8_t *out = malloc(*len);
  if (!out)
    return NULL;
  memcpy(out, npy_magic, 6);
  out[6] = (uint8_t)major;
  out[7] = 0;
  size_t hlen = total - prefix;
  store_le(out + 8, hlen, major == 2 ? 4 : 2);
  memset(out + prefix, ' ', hlen);
  memcpy(out + prefix, dict, (size_t)dn);
  out[total - 1] = '\n';
  const uint8_t *from = data;
  for (uint64_t i = 0; i < count; i++) {
    uint64_t u = 0;
    if (elem_bytes == 8) {
      memcpy(&u, from + 8 * i, 8);
    } else {
      uint32_t w;
      memcpy(&w, from + 4 * i, 4);
      u = w;
    }
    store_le(out + total + elem_bytes * i, u, elem_bytes);
  }
  return out;
}

uint8_t *npy_serialize(uint32_t rank, const uint64_t *dims, const float *data, size_t *len) {
  return serialize(rank, dims, data, 4, len);
}

uint8_t *npy_serialize_f64(uint32_t rank, const uint64_t *dims, const double *data, size_t *len) {
  return serialize(rank, dims, data, 8, len);
}

static bool write_image(const char *path, uint8_t *img, size_t len, char *msg, size_t msg_size) {
  if (!img) {
    snprintf(msg, msg_size, "%s: out of memory", path);
    return false;
  }
  bool ok = outfile_write_all(path, img, len);
  if (!ok)
    snprintf(msg, msg_size, "cannot write %s: %s", path, strerror(errno));
  free(img);
  return ok;
}

bool npy_write(const char *path, uint32_t rank, const uint64_t *dims, const float *data, char *msg,
               size_t msg_size) {
  if (rank > NPY_MAX_RANK) {
    snprintf(msg, msg_size, "%s: too many dimensions", path);
    return false;
  }
  size_t len = 0;
  uint8_t *img = npy_serialize(rank, dims, data, &len);
  return write_image(path, img, len, msg, msg_size);
}

bool npy_write_f64(const char *path, uint32_t rank, const uint64_t *dims, const double *data,
                   char *msg, size_t msg_size) {
  if (rank > NPY_MAX_RANK) {
    snprintf(msg, msg_size, "%s: too many dimensions", path);
    return false;
  }
  size_t len = 0;
  uint8_t *img = npy_serialize_f64(rank, dims, data, &len);
  return write_image(path, img, len, msg, msg_size);
}
