/* The .ebin container: little-endian, fixed-size header and tensor entries,
 * 64-byte instructions, 64-byte aligned data (docs/ebin.md). */
#include "runtime/ebin.h"

#include "runtime/infile.h"
#include "runtime/outfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t magic[8] = {'E', 'I', 'N', 'C', 'E', 'B', 'I', 'N'};

void ebin_init(Ebin *b, uint64_t arch_hash) {
  memset(b, 0, sizeof *b);
  b->arch_hash = arch_hash;
}

void ebin_free(Ebin *b) {
  for (size_t i = 0; i < b->tensor_count; i++)
    free(b->tensors[i].data);
  free(b->tensors);
  free(b->code);
  memset(b, 0, sizeof *b);
}

uint64_t ebin_tensor_elems(const EbinTensor *t) {
  uint64_t n = 1;
  for (uint32_t i = 0; i < t->rank && i < EBIN_MAX_RANK; i++)
    n *= t->dims[i];
  return n;
}

const EbinTensor *ebin_find_tensor(const Ebin *b, const char *name) {
  for (size_t i = 0; i < b->tensor_count; i++)
    if (strcmp(b->tensors[i].name, name) == 0)
      return &b->tensors[i];
  return NULL;
}

static const char *role_names[] = {NULL, "input", "param", "output", "scratch"};

const char *ebin_role_name(uint32_t role) {
  return role >= 1 && role <= 4 ? role_names[role] : "?";
}

int ebin_role_by_name(const char *name) {
  for (int r = 1; r <= 4; r++)
    if (strcmp(role_names[r], name) == 0)
      return r;
  return -1;
}

bool ebin_valid_name(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n >= EBIN_NAME_BYTES)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && (digit || c == '.'))))
      return false;
  }
  return true;
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

/* Checks dims and returns the byte size, or 0 when a dim is 0 or the size is
 * absurd. */
static uint64_t tensor_bytes(uint32_t rank, const uint32_t *dims) {
  uint64_t n = 1;
  for (uint32_t i = 0; i < rank; i++) {
    if (dims[i] == 0)
      return 0;
    n *= dims[i];
    if (n > EBIN_MAX_DRAM / 4)
      return 0;
  }
  return n * 4;
}

bool ebin_add_tensor(Ebin *b, const char *name, EbinRole role, uint32_t rank, const uint32_t *dims,
                     uint64_t at, const float *data, char *msg, size_t msg_size) {
  if (!ebin_valid_name(name)) {
    snprintf(msg, msg_size, "bad tensor name '%.80s'", name);
    return false;
  }
  if (ebin_find_tensor(b, name)) {
    snprintf(msg, msg_size, "duplicate tensor '%s'", name);
    return false;
  }
  if (role < EBIN_ROLE_INPUT || role > EBIN_ROLE_SCRATCH) {
    snprintf(msg, msg_size, "tensor '%s': bad role", name);
    return false;
  }
  if (rank > EBIN_MAX_RANK) {
    snprintf(msg, msg_size, "tensor '%s': rank %u exceeds %d", name, rank, EBIN_MAX_RANK);
    return false;
  }
  uint64_t bytes = tensor_bytes(rank, dims);
  if (bytes == 0) {
    snprintf(msg, msg_size, "tensor '%s': a dimension is 0 or the tensor is too large", name);
    return false;
  }
  if (data && role != EBIN_ROLE_PARAM) {
    snprintf(msg, msg_size, "tensor '%s': only params may carry data", name);
    return false;
  }
  if (b->tensor_count >= EBIN_MAX_TENSORS) {
    snprintf(msg, msg_size, "too many tensors (at most %d)", EBIN_MAX_TENSORS);
    return false;
  }
  uint64_t offset = at == UINT64_MAX ? align_up(b->dram_bytes, EBIN_ALIGN) : at;
  if (offset % EBIN_ALIGN != 0 || offset > EBIN_MAX_DRAM - bytes) {
    snprintf(msg, msg_size, "tensor '%s': DRAM offset %llu is not %d-aligned or too large", name,
             (unsigned long long)offset, EBIN_ALIGN);
    return false;
  }
  for (size_t i = 0; i < b->tensor_count; i++) {
    const EbinTensor *o = &b->tensors[i];
    uint64_t ob = ebin_tensor_elems(o) * 4;
    if (offset < o->dram_offset + ob && o->dram_offset < offset + bytes) {
      snprintf(msg, msg_size, "tensor '%s' overlaps '%s' in DRAM", name, o->name);
      return false;
    }
  }
  if (b->tensor_count == b->tensor_cap) {
    b->tensor_cap = b->tensor_cap ? 2 * b->tensor_cap : 8;
    b->tensors = realloc(b->tensors, b->tensor_cap * sizeof *b->tensors);
    if (!b->tensors)
      abort();
  }
  EbinTensor *t = &b->tensors[b->tensor_count++];
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, "%s", name);
  t->dtype = EBIN_DTYPE_F32;
  t->role = role;
  t->rank = rank;
  memcpy(t->dims, dims, rank * sizeof *dims);
  t->dram_offset = offset;
  if (data) {
    t->data = malloc(bytes);
    if (!t->data)
      abort();
    memcpy(t->data, data, bytes);
  }
  if (offset + bytes > b->dram_bytes)
    b->dram_bytes = offset + bytes;
  return true;
}

void ebin_add_instr(Ebin *b, const uint32_t *words) {
  if (b->instr_count == b->instr_cap) {
    b->instr_cap = b->instr_cap ? 2 * b->instr_cap : 64;
    b->code = realloc(b->code, b->instr_cap * ISA_BYTES);
    if (!b->code)
      abort();
  }
  memcpy(b->code + b->instr_count * ISA_WORDS, words, ISA_BYTES);
  b->instr_count++;
}

/* ---- little-endian helpers ---- */

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static uint32_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static float bits_float(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* The bytes of a shape blob: rank u32 dims, padded to 8. */
static uint64_t shape_blob_bytes(uint32_t rank) { return align_up((uint64_t)rank * 4, 8); }

bool ebin_serialize(const Ebin *b, uint8_t **out, size_t *out_len, char *msg, size_t msg_size) {
  uint64_t table = EBIN_HEADER_BYTES;
  uint64_t shapes = table + (uint64_t)b->tensor_count * EBIN_TENSOR_BYTES;
  uint64_t *shape_at = calloc(b->tensor_count + 1, sizeof *shape_at);
  uint64_t *data_at = calloc(b->tensor_count + 1, sizeof *data_at);
  if (!shape_at || !data_at)
    abort();
  /* The shape blobs right after the table, then the code at the next
   * multiple of 64 (right after the table when there are none). */
  for (size_t i = 0; i < b->tensor_count; i++)
    if (b->tensors[i].rank > EBIN_ENTRY_DIMS) {
      shape_at[i] = shapes;
      shapes += shape_blob_bytes(b->tensors[i].rank);
    }
  uint64_t code = align_up(shapes, EBIN_ALIGN);
  uint64_t end = align_up(code + (uint64_t)b->instr_count * ISA_BYTES, EBIN_ALIGN);
  for (size_t i = 0; i < b->tensor_count; i++) {
    if (b->tensors[i].data) {
      data_at[i] = end;
      end = align_up(end + ebin_tensor_elems(&b->tensors[i]) * 4, EBIN_ALIGN);
    }
  }
  if (b->instr_count > EBIN_MAX_INSTRS || end > SIZE_MAX / 2) {
    free(shape_at);
    free(data_at);
    snprintf(msg, msg_size, "binary too large");
    return false;
  }
  uint8_t *p = calloc(1, end);
  if (!p)
    abort();
  memcpy(p, magic, 8);
  put32(p + 8, EBIN_VERSION);
  put32(p + 12, EBIN_HEADER_BYTES);
  put64(p + 16, b->arch_hash);
  put64(p + 24, b->dram_bytes);
  put32(p + 32, (uint32_t)b->tensor_count);
  put32(p + 36, ISA_BYTES);
  put64(p + 40, table);
  put64(p + 48, code);
  put64(p + 56, b->instr_count);
  for (size_t i = 0; i < b->tensor_count; i++) {
    const EbinTensor *t = &b->tensors[i];
    uint8_t *e = p + table + i * EBIN_TENSOR_BYTES;
    memcpy(e, t->name, strlen(t->name));
    put32(e + 64, t->dtype);
    put32(e + 68, t->role);
    put32(e + 72, t->rank);
    put32(e + 76, (t->data ? EBIN_FLAG_DATA : 0) | (shape_at[i] ? EBIN_FLAG_SHAPE : 0));
    if (shape_at[i]) {
      put64(e + 80, shape_at[i]);
      for (uint32_t d = 0; d < t->rank; d++)
        put32(p + shape_at[i] + 4 * d, t->dims[d]);
    } else {
      for (uint32_t d = 0; d < t->rank; d++)
        put32(e + 80 + 4 * d, t->dims[d]);
    }
    put64(e + 112, t->dram_offset);
    put64(e + 120, data_at[i]);
    if (t->data) {
      uint64_t n = ebin_tensor_elems(t);
      for (uint64_t k = 0; k < n; k++)
        put32(p + data_at[i] + 4 * k, float_bits(t->data[k]));
    }
  }
  for (size_t k = 0; k < b->instr_count * ISA_WORDS; k++)
    put32(p + code + 4 * k, b->code[k]);
  free(shape_at);
  free(data_at);
  *out = p;
  *out_len = (size_t)end;
  return true;
}

bool ebin_write(const Ebin *b, const char *path, char *msg, size_t msg_size) {
  uint8_t *img;
  size_t len;
  if (!ebin_serialize(b, &img, &len, msg, msg_size))
    return false;
  bool ok = outfile_write_all(path, img, len);
  if (!ok)
    snprintf(msg, msg_size, "cannot write %s: %s", path, strerror(errno));
  free(img);
  return ok;
}

/* ---- the reader ---- */

typedef struct Range {
  uint64_t lo, hi; /* [lo, hi) */
  const char *what;
  size_t index;
} Range;

static int range_cmp(const void *a, const void *b) {
  const Range *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static const char *range_label(const Range *r, const Ebin *b, char *buf, size_t size) {
  if (r->index == SIZE_MAX)
    return r->what;
  snprintf(buf, size, "%s of tensor '%s'", r->what, b->tensors[r->index].name);
  return buf;
}

/* Sorts ranges and reports the first overlapping pair. */
static bool check_disjoint(Range *r, size_t n, const Ebin *b, const char *space, char *msg,
                           size_t msg_size) {
  qsort(r, n, sizeof *r, range_cmp);
  for (size_t i = 1; i < n; i++) {
    if (r[i].lo < r[i - 1].hi) {
      char x[128], y[128];
      snprintf(msg, msg_size, "%s: %s overlaps %s", space, range_label(&r[i - 1], b, x, sizeof x),
               range_label(&r[i], b, y, sizeof y));
      return false;
    }
  }
  return true;
}

/* Entry `index` of the table at e, in the file image `file` of file_len
 * bytes; *shape_offset is its shape blob's offset (0 for none) and
 * *data_offset its data's. */
static bool parse_tensor(const uint8_t *file, const uint8_t *e, size_t index, uint64_t file_len,
                         uint64_t dram_bytes, EbinTensor *t, uint64_t *shape_offset,
                         uint64_t *data_offset, char *msg, size_t msg_size) {
  memset(t, 0, sizeof *t);
  size_t name_len = 0;
  while (name_len < EBIN_NAME_BYTES && e[name_len])
    name_len++;
  if (name_len == EBIN_NAME_BYTES) {
    snprintf(msg, msg_size, "tensor %zu: name is not NUL-terminated", index);
    return false;
  }
  for (size_t k = name_len; k < EBIN_NAME_BYTES; k++) {
    if (e[k]) {
      snprintf(msg, msg_size, "tensor %zu: bytes after the name's NUL must be 0", index);
      return false;
    }
  }
  memcpy(t->name, e, name_len);
  if (!ebin_valid_name(t->name)) {
    snprintf(msg, msg_size, "tensor %zu: bad name (letters, digits, '_' and '.' only)", index);
    return false;
  }
  t->dtype = get32(e + 64);
  t->role = get32(e + 68);
  t->rank = get32(e + 72);
  uint32_t flags = get32(e + 76);
  if (t->dtype != EBIN_DTYPE_F32) {
    snprintf(msg, msg_size, "tensor '%s': unknown dtype %u (only 1, f32)", t->name, t->dtype);
    return false;
  }
  if (t->role < EBIN_ROLE_INPUT || t->role > EBIN_ROLE_SCRATCH) {
    snprintf(msg, msg_size, "tensor '%s': unknown role %u", t->name, t->role);
    return false;
  }
  if (t->rank > EBIN_MAX_RANK) {
    snprintf(msg, msg_size, "tensor '%s': rank %u exceeds %d", t->name, t->rank, EBIN_MAX_RANK);
    return false;
  }
  if (flags & ~(EBIN_FLAG_DATA | EBIN_FLAG_SHAPE)) {
    snprintf(msg, msg_size, "tensor '%s': unknown flags 0x%x", t->name, flags);
    return false;
  }
  *shape_offset = 0;
  if (t->rank > EBIN_ENTRY_DIMS && !(flags & EBIN_FLAG_SHAPE)) {
    snprintf(msg, msg_size,
             "tensor '%s': rank %u exceeds %d, the dimensions an entry holds, without flag bit "
             "1 (a shape blob)",
             t->name, t->rank, EBIN_ENTRY_DIMS);
    return false;
  }
  if (t->rank <= EBIN_ENTRY_DIMS && (flags & EBIN_FLAG_SHAPE)) {
    snprintf(msg, msg_size,
             "tensor '%s': flag bit 1 (a shape blob) with rank %u: the entry holds up to %d "
             "dimensions itself",
             t->name, t->rank, EBIN_ENTRY_DIMS);
    return false;
  }
  if (flags & EBIN_FLAG_SHAPE) {
    *shape_offset = get64(e + 80);
    for (int k = 88; k < 112; k++)
      if (e[k]) {
        snprintf(msg, msg_size, "tensor '%s': bytes 88..111 must be 0 with a shape blob", t->name);
        return false;
      }
    uint64_t bytes = (uint64_t)t->rank * 4;
    if (*shape_offset % 8 != 0 || *shape_offset < EBIN_HEADER_BYTES || *shape_offset > file_len ||
        bytes > file_len - *shape_offset) {
      snprintf(msg, msg_size,
               "tensor '%s': shape at %llu+%llu is unaligned, inside the header or beyond the file",
               t->name, (unsigned long long)*shape_offset, (unsigned long long)bytes);
      return false;
    }
    for (uint32_t d = 0; d < t->rank; d++)
      t->dims[d] = get32(file + *shape_offset + 4 * d);
  } else {
    for (uint32_t d = 0; d < EBIN_ENTRY_DIMS; d++) {
      uint32_t v = get32(e + 80 + 4 * d);
      if (d >= t->rank && v != 0) {
        snprintf(msg, msg_size, "tensor '%s': dimension %u beyond the rank must be 0", t->name, d);
        return false;
      }
      if (d < t->rank)
        t->dims[d] = v;
    }
  }
  uint64_t bytes = tensor_bytes(t->rank, t->dims);
  if (bytes == 0) {
    snprintf(msg, msg_size, "tensor '%s': a dimension is 0 or the size exceeds 2^40 bytes",
             t->name);
    return false;
  }
  t->dram_offset = get64(e + 112);
  if (t->dram_offset % EBIN_ALIGN != 0 || t->dram_offset > dram_bytes ||
      bytes > dram_bytes - t->dram_offset) {
    snprintf(msg, msg_size,
             "tensor '%s': DRAM placement %llu+%llu is unaligned or beyond the DRAM image (%llu "
             "bytes)",
             t->name, (unsigned long long)t->dram_offset, (unsigned long long)bytes,
             (unsigned long long)dram_bytes);
    return false;
  }
  *data_offset = get64(e + 120);
  if (!(flags & EBIN_FLAG_DATA)) {
    if (*data_offset != 0) {
      snprintf(msg, msg_size, "tensor '%s': data offset set without the data flag", t->name);
      return false;
    }
    return true;
  }
  if (t->role != EBIN_ROLE_PARAM) {
    snprintf(msg, msg_size, "tensor '%s': only params may carry data (role %s)", t->name,
             ebin_role_name(t->role));
    return false;
  }
  if (*data_offset % EBIN_ALIGN != 0 || *data_offset > file_len ||
      bytes > file_len - *data_offset) {
    snprintf(msg, msg_size, "tensor '%s': data at %llu+%llu is unaligned or beyond the file",
             t->name, (unsigned long long)*data_offset, (unsigned long long)bytes);
    return false;
  }
  return true;
}

static int name_cmp(const void *a, const void *b) {
  const EbinTensor *const *x = a, *const *y = b;
  return strcmp((*x)->name, (*y)->name);
}

static bool unique_names(const Ebin *b, char *msg, size_t msg_size) {
  const EbinTensor **sorted = calloc(b->tensor_count + 1, sizeof *sorted);
  if (!sorted)
    abort();
  for (size_t i = 0; i < b->tensor_count; i++)
    sorted[i] = &b->tensors[i];
  qsort(sorted, b->tensor_count, sizeof *sorted, name_cmp);
  bool ok = true;
  for (size_t i = 1; ok && i < b->tensor_count; i++) {
    if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
      snprintf(msg, msg_size, "duplicate tensor name '%s'", sorted[i]->name);
      ok = false;
    }
  }
  free(sorted);
  return ok;
}

static bool parse_image(const uint8_t *data, size_t len, Ebin *b, char *msg, size_t msg_size) {
  ebin_init(b, 0);
  if (len < EBIN_HEADER_BYTES) {
    snprintf(msg, msg_size, "truncated: %zu bytes, shorter than the %d-byte header", len,
             EBIN_HEADER_BYTES);
    return false;
  }
  if (memcmp(data, magic, 8) != 0) {
    snprintf(msg, msg_size, "not an accelerator binary (bad magic)");
    return false;
  }
  uint32_t version = get32(data + 8);
  if (version != EBIN_VERSION) {
    snprintf(msg, msg_size, "format version %u is not supported (this reader reads %d)", version,
             EBIN_VERSION);
    return false;
  }
  if (get32(data + 12) != EBIN_HEADER_BYTES) {
    snprintf(msg, msg_size, "header size %u, expected %d", get32(data + 12), EBIN_HEADER_BYTES);
    return false;
  }
  if (get32(data + 36) != ISA_BYTES) {
    snprintf(msg, msg_size, "instruction size %u, expected %d", get32(data + 36), ISA_BYTES);
    return false;
  }
  b->arch_hash = get64(data + 16);
  b->dram_bytes = get64(data + 24);
  uint32_t ntensors = get32(data + 32);
  uint64_t table = get64(data + 40), code = get64(data + 48), ninstr = get64(data + 56);
  if (b->dram_bytes > EBIN_MAX_DRAM) {
    snprintf(msg, msg_size, "DRAM image of %llu bytes exceeds 2^40",
             (unsigned long long)b->dram_bytes);
    return false;
  }
  if (ntensors > EBIN_MAX_TENSORS) {
    snprintf(msg, msg_size, "tensor count %u exceeds %d", ntensors, EBIN_MAX_TENSORS);
    return false;
  }
  if (ninstr > EBIN_MAX_INSTRS) {
    snprintf(msg, msg_size, "instruction count %llu exceeds 2^26", (unsigned long long)ninstr);
    return false;
  }
  uint64_t table_bytes = (uint64_t)ntensors * EBIN_TENSOR_BYTES;
  uint64_t code_bytes = ninstr * ISA_BYTES;
  if (table % 8 != 0 || table < EBIN_HEADER_BYTES || table > len || table_bytes > len - table) {
    snprintf(msg, msg_size,
             "truncated or misplaced tensor table (%u entries at offset %llu, file "
             "is %zu bytes)",
             ntensors, (unsigned long long)table, len);
    return false;
  }
  if (code % 8 != 0 || code < EBIN_HEADER_BYTES || code > len || code_bytes > len - code) {
    snprintf(msg, msg_size,
             "truncated or misplaced code (%llu instructions at offset %llu, file "
             "is %zu bytes)",
             (unsigned long long)ninstr, (unsigned long long)code, len);
    return false;
  }

  Range *ranges = calloc(2 * (size_t)ntensors + 3, sizeof *ranges);
  Range *dram = calloc((size_t)ntensors + 1, sizeof *dram);
  uint64_t *data_offsets = calloc((size_t)ntensors + 1, sizeof *data_offsets);
  b->tensors = calloc((size_t)ntensors + 1, sizeof *b->tensors);
  if (!ranges || !dram || !data_offsets || !b->tensors)
    abort();
  b->tensor_cap = ntensors;
  size_t nr = 0;
  ranges[nr++] = (Range){0, EBIN_HEADER_BYTES, "the header", SIZE_MAX};
  ranges[nr++] = (Range){table, table + table_bytes, "the tensor table", SIZE_MAX};
  ranges[nr++] = (Range){code, code + code_bytes, "the code", SIZE_MAX};
  bool ok = true;
  for (uint32_t i = 0; ok && i < ntensors; i++) {
    EbinTensor *t = &b->tensors[i];
    uint64_t shape_offset;
    ok = parse_tensor(data, data + table + (uint64_t)i * EBIN_TENSOR_BYTES, i, len, b->dram_bytes,
                      t, &shape_offset, &data_offsets[i], msg, msg_size);
    if (!ok)
      break;
    b->tensor_count = i + 1;
    uint64_t bytes = ebin_tensor_elems(t) * 4;
    dram[i] = (Range){t->dram_offset, t->dram_offset + bytes, "DRAM placement", i};
    if (shape_offset)
      ranges[nr++] = (Range){shape_offset, shape_offset + (uint64_t)t->rank * 4, "shape", i};
    if (data_offsets[i])
      ranges[nr++] = (Range){data_offsets[i], data_offsets[i] + bytes, "data", i};
  }
  ok = ok && unique_names(b, msg, msg_size) &&
       check_disjoint(ranges, nr, b, "file", msg, msg_size) &&
       check_disjoint(dram, ntensors, b, "DRAM", msg, msg_size);
  for (uint32_t i = 0; ok && i < ntensors; i++) {
    if (!data_offsets[i])
      continue;
    EbinTensor *t = &b->tensors[i];
    uint64_t n = ebin_tensor_elems(t);
    t->data = malloc(n * 4);
    if (!t->data)
      abort();
    for (uint64_t k = 0; k < n; k++)
      t->data[k] = bits_float(get32(data + data_offsets[i] + 4 * k));
  }
  free(ranges);
  free(dram);
  free(data_offsets);
  if (!ok)
    return false;

  b->code = malloc(code_bytes ? code_bytes : 1);
  if (!b->code)
    abort();
  b->instr_count = b->instr_cap = ninstr;
  for (uint64_t k = 0; k < ninstr * ISA_WORDS; k++)
    b->code[k] = get32(data + code + 4 * k);
  for (uint64_t i = 0; i < ninstr; i++) {
    char why[200];
    if (!isa_check_encoding(b->code + i * ISA_WORDS, why, sizeof why)) {
      snprintf(msg, msg_size, "instruction %llu: %s", (unsigned long long)i, why);
      return false;
    }
  }
  return true;
}

bool ebin_parse(const uint8_t *data, size_t len, Ebin *b, char *msg, size_t msg_size) {
  bool ok = parse_image(data, len, b, msg, msg_size);
  if (!ok)
    ebin_free(b);
  return ok;
}

bool ebin_read(const char *path, Ebin *b, char *msg, size_t msg_size) {
  ebin_init(b, 0);
  char why[400];
  size_t len;
  uint8_t *buf = (uint8_t *)infile_read(path, (size_t)4 << 30, &len, why, sizeof why);
  bool ok = buf && ebin_parse(buf, len, b, why, sizeof why);
  free(buf);
  if (!ok)
    snprintf(msg, msg_size, "%s: %s", path, why);
  return ok;
}
