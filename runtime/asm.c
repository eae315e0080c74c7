/* Assembler and disassembler, both driven by the opcode and field tables. */
#include "runtime/asm.h"
#include "runtime/infile.h"
#include "runtime/loop.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct Asm {
  const char *name;
  size_t line;
  char *msg;
  size_t msg_size;
  Ebin *out;
  /* .data being collected for a tensor */
  size_t data_tensor;
  uint64_t data_filled;
  uint64_t data_cap; /* grown as values come, so memory follows the text's size */
  size_t *line_of;   /* each instruction's line, for the loop checks' messages */
  size_t line_cap;
} Asm;

static bool fail(Asm *a, const char *fmt, ...) {
  char text[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  snprintf(a->msg, a->msg_size, "%s:%zu: %s", a->name, a->line, text);
  return false;
}

/* Splits a line into whitespace-separated tokens in place. */
static size_t tokenize(char *line, char **tok, size_t cap) {
  size_t n = 0;
  char *p = line;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == '\r')
      *p++ = '\0';
    if (!*p)
      break;
    if (n == cap)
      return cap + 1;
    tok[n++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r')
      p++;
  }
  return n;
}

static bool parse_u64(const char *s, uint64_t *v) {
  if (!*s || *s == '-' || *s == '+' || *s == ' ')
    return false;
  char *end;
  errno = 0;
  unsigned long long u = strtoull(s, &end, 0);
  if (*end || errno == ERANGE)
    return false;
  *v = u;
  return true;
}

static bool parse_units(const char *s, uint32_t *mask) {
  *mask = 0;
  if (strcmp(s, "-") == 0)
    return true;
  char buf[64];
  if (strlen(s) >= sizeof buf)
    return false;
  strcpy(buf, s);
  for (char *part = strtok(buf, ","); part; part = strtok(NULL, ",")) {
    int u = isa_unit_by_name(part);
    if (u < 0)
      return false;
    *mask |= UINT32_C(1) << u;
  }
  return true;
}

/* dram=NAME or NAME+BYTES or a number. */
static bool parse_dram(Asm *a, const char *s, uint64_t *v) {
  if (parse_u64(s, v))
    return true;
  char name[EBIN_NAME_BYTES];
  const char *plus = strchr(s, '+');
  size_t n = plus ? (size_t)(plus - s) : strlen(s);
  if (n == 0 || n >= sizeof name)
    return false;
  memcpy(name, s, n);
  name[n] = '\0';
  const EbinTensor *t = ebin_find_tensor(a->out, name);
  if (!t)
    return fail(a, "unknown tensor '%s' in a DRAM address", name);
  uint64_t off = 0;
  if (plus && !parse_u64(plus + 1, &off))
    return false;
  *v = t->dram_offset + off;
  return true;
}

static bool field_value(Asm *a, const IsaOp *op, IsaFieldId id, const char *text, uint32_t *out) {
  const IsaField *f = isa_field(id);
  uint64_t v;
  switch (f->kind) {
  case FK_UNITS:
    if (!parse_units(text, out))
      return fail(a, "%s: '%s' is not a list of units (ld, st, mx, vec, scan)", f->name, text);
    return true;
  case FK_F32: {
    char *end;
    errno = 0;
    float x = strtof(text, &end);
    if (!*text || *end)
      return fail(a, "%s: '%s' is not a number", f->name, text);
    memcpy(out, &x, 4);
    return true;
  }
  case FK_FLAG:
  case FK_UINT:
    break;
  }
  bool ok = (id == FLD_DMA_DRAM) ? parse_dram(a, text, &v) : parse_u64(text, &v);
  if (!ok) {
    if (a->msg[0])
      return false;
    return fail(a, "%s: '%s' is not an unsigned integer", f->name, text);
  }
  if (v > isa_field_max(id))
    return fail(a, "%s %s=%s does not fit in %u bits", op->mnemonic, f->name, text, f->width);
  *out = (uint32_t)v;
  return true;
}

static bool assemble_instr(Asm *a, char **tok, size_t n) {
  const IsaOp *op = isa_op_by_mnemonic(tok[0]);
  if (!op)
    return fail(a, "unknown instruction '%s'", tok[0]);
  uint32_t words[ISA_WORDS] = {0};
  isa_set(words, FLD_OPCODE, op->opcode);
  size_t nf;
  const IsaFieldId *ids = isa_format_fields(op->format, &nf);
  bool seen[FLD_COUNT] = {false};
  for (size_t k = 1; k < nf; k++)
    isa_set(words, ids[k], isa_field(ids[k])->dflt);
  for (size_t i = 1; i < n; i++) {
    char *eq = strchr(tok[i], '=');
    if (!eq)
      return fail(a, "expected name=value, found '%s'", tok[i]);
    *eq = '\0';
    IsaFieldId id = FLD_COUNT;
    for (size_t k = 1; k < nf; k++)
      if (strcmp(isa_field(ids[k])->name, tok[i]) == 0 && isa_op_uses_field(op, ids[k]))
        id = ids[k];
    if (id == FLD_COUNT)
      return fail(a, "%s has no field '%s'", op->mnemonic, tok[i]);
    if (seen[id])
      return fail(a, "field '%s' given twice", tok[i]);
    seen[id] = true;
    uint32_t v = 0;
    if (!field_value(a, op, id, eq + 1, &v))
      return false;
    isa_set(words, id, v);
  }
  char why[200];
  if (!isa_check_encoding(words, why, sizeof why))
    return fail(a, "%s", why);
  if (a->out->instr_count == a->line_cap) {
    a->line_cap = a->line_cap ? 2 * a->line_cap : 64;
    a->line_of = realloc(a->line_of, a->line_cap * sizeof *a->line_of);
    if (!a->line_of)
      abort();
  }
  a->line_of[a->out->instr_count] = a->line;
  ebin_add_instr(a->out, words);
  return true;
}

/* The loops' structure and copies, with the line of the instruction at
 * fault (the checks that need no architecture). */
static bool check_loops(Asm *a) {
  LoopTable t;
  LoopError e;
  if (loop_check(a->out->code, a->out->instr_count, &t, &e)) {
    loop_table_free(&t);
    return true;
  }
  a->line = a->line_of[e.at];
  return fail(a, "%s", e.msg);
}

/* .tensor NAME ROLE [D0,D1,...] [@OFFSET]  (the shape may contain spaces) */
static bool directive_tensor(Asm *a, char *rest) {
  char name[EBIN_NAME_BYTES], role[16];
  int used = 0;
  if (sscanf(rest, " %63s %15s %n", name, role, &used) < 2)
    return fail(a, ".tensor needs NAME ROLE [DIMS]");
  int r = ebin_role_by_name(role);
  if (r < 0)
    return fail(a, "unknown role '%s' (input, param, output, scratch)", role);
  char *p = rest + used;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p != '[')
    return fail(a, ".tensor %s: expected [DIMS]", name);
  p++;
  uint32_t dims[EBIN_MAX_RANK], rank = 0;
  for (;;) {
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == ']' && rank == 0) {
      p++;
      break;
    }
    char *end;
    errno = 0;
    unsigned long v = strtoul(p, &end, 10);
    if (end == p || errno || v == 0 || v > UINT32_MAX || *p == '-')
      return fail(a, ".tensor %s: bad dimension", name);
    if (rank == EBIN_MAX_RANK)
      return fail(a, ".tensor %s: more than %d dimensions", name, EBIN_MAX_RANK);
    dims[rank++] = (uint32_t)v;
    p = end;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p == ']') {
      p++;
      break;
    }
    return fail(a, ".tensor %s: malformed dimensions", name);
  }
  while (*p == ' ' || *p == '\t')
    p++;
  uint64_t at = UINT64_MAX;
  if (*p == '@') {
    char *end;
    errno = 0;
    at = strtoull(p + 1, &end, 0);
    if (end == p + 1 || errno)
      return fail(a, ".tensor %s: bad placement", name);
    p = end;
    while (*p == ' ' || *p == '\t')
      p++;
  }
  if (*p)
    return fail(a, ".tensor %s: unexpected '%s'", name, p);
  char why[200];
  if (!ebin_add_tensor(a->out, name, (EbinRole)r, rank, dims, at, NULL, why, sizeof why))
    return fail(a, "%s", why);
  return true;
}

/* .data NAME V... appends values to a param's embedded data. */
static bool directive_data(Asm *a, char **tok, size_t n) {
  if (n < 2)
    return fail(a, ".data needs a tensor name");
  EbinTensor *t = NULL;
  for (size_t i = 0; i < a->out->tensor_count; i++)
    if (strcmp(a->out->tensors[i].name, tok[1]) == 0)
      t = &a->out->tensors[i];
  if (!t)
    return fail(a, ".data: unknown tensor '%s'", tok[1]);
  if (t->role != EBIN_ROLE_PARAM)
    return fail(a, ".data: '%s' is not a param", tok[1]);
  size_t index = (size_t)(t - a->out->tensors);
  uint64_t count = ebin_tensor_elems(t);
  if (!t->data) {
    a->data_cap = count < 1024 ? count : 1024;
    t->data = malloc(a->data_cap * sizeof(float));
    if (!t->data)
      return fail(a, "out of memory");
    a->data_tensor = index;
    a->data_filled = 0;
  } else if (a->data_tensor != index) {
    return fail(a, ".data for '%s' must be contiguous", tok[1]);
  }
  for (size_t i = 2; i < n; i++) {
    char *end;
    float x = strtof(tok[i], &end);
    if (*end || end == tok[i])
      return fail(a, ".data: '%s' is not a number", tok[i]);
    if (a->data_filled >= count)
      return fail(a, ".data: more than %llu values for '%s'", (unsigned long long)count, tok[1]);
    if (a->data_filled == a->data_cap) {
      uint64_t cap = a->data_cap * 2 < count ? a->data_cap * 2 : count;
      float *bigger = realloc(t->data, cap * sizeof(float));
      if (!bigger)
        return fail(a, "out of memory");
      t->data = bigger;
      a->data_cap = cap;
    }
    t->data[a->data_filled++] = x;
  }
  return true;
}

bool asm_assemble(const char *name, const char *text, size_t len, uint64_t arch_hash, Ebin *out,
                  char *msg, size_t msg_size) {
  Asm a = {name, 0, msg, msg_size, out, SIZE_MAX, 0, 0, NULL, 0};
  ebin_init(out, arch_hash);
  msg[0] = '\0';
  size_t pos = 0;
  bool ok = true;
  while (ok && pos < len) {
    size_t eol = pos;
    while (eol < len && text[eol] != '\n')
      eol++;
    a.line++;
    size_t n = eol - pos;
    char *line = malloc(n + 1);
    if (!line)
      abort();
    memcpy(line, text + pos, n);
    line[n] = '\0';
    pos = eol + 1;
    if (memchr(line, '\0', n)) {
      ok = fail(&a, "NUL byte in the text");
      free(line);
      break;
    }
    char *hash = strpbrk(line, "#;");
    if (hash)
      *hash = '\0';
    char *start = line;
    while (*start == ' ' || *start == '\t')
      start++;
    if (strncmp(start, ".tensor", 7) == 0 && (start[7] == ' ' || start[7] == '\t')) {
      ok = directive_tensor(&a, start + 7);
    } else {
      char *tok[64];
      size_t nt = tokenize(start, tok, 64);
      if (nt > 64)
        ok = fail(&a, "too many fields on one line");
      else if (nt == 0)
        ;
      else if (strcmp(tok[0], ".data") == 0)
        ok = directive_data(&a, tok, nt);
      else if (tok[0][0] == '.')
        ok = fail(&a, "unknown directive '%s'", tok[0]);
      else
        ok = assemble_instr(&a, tok, nt);
    }
    free(line);
  }
  for (size_t i = 0; ok && i < out->tensor_count; i++) {
    if (out->tensors[i].data && i == a.data_tensor &&
        a.data_filled != ebin_tensor_elems(&out->tensors[i])) {
      a.line = 0;
      snprintf(msg, msg_size, "%s: .data for '%s' has %llu values, the tensor has %llu", name,
               out->tensors[i].name, (unsigned long long)a.data_filled,
               (unsigned long long)ebin_tensor_elems(&out->tensors[i]));
      ok = false;
    }
  }
  ok = ok && check_loops(&a);
  free(a.line_of);
  if (!ok)
    ebin_free(out);
  return ok;
}

bool asm_assemble_file(const char *path, uint64_t arch_hash, Ebin *out, char *msg,
                       size_t msg_size) {
  char why[300];
  size_t len;
  char *buf = infile_read(path, (size_t)64 << 20, &len, why, sizeof why);
  if (!buf) {
    snprintf(msg, msg_size, "%s: %s", path, why);
    return false;
  }
  bool ok = asm_assemble(path, buf, len, arch_hash, out, msg, msg_size);
  free(buf);
  return ok;
}

static void format_units(uint32_t mask, char *out, size_t cap) {
  size_t n = 0;
  out[0] = '\0';
  for (int u = 0; u < UNIT_COUNT; u++)
    if (mask >> u & 1)
      n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "", isa_unit_name((IsaUnit)u));
}

void asm_format_instr(const uint32_t *words, const Ebin *b, char *out, size_t cap) {
  const IsaOp *op = isa_op_by_opcode(isa_get(words, FLD_OPCODE));
  if (!op) {
    snprintf(out, cap, ".word 0x%08x ...  # unknown opcode", words[0]);
    return;
  }
  size_t n = (size_t)snprintf(out, cap, "%s", op->mnemonic);
  size_t nf;
  const IsaFieldId *ids = isa_format_fields(op->format, &nf);
  for (size_t k = 1; k < nf && n < cap; k++) {
    IsaFieldId id = ids[k];
    const IsaField *f = isa_field(id);
    uint32_t v = isa_get(words, id);
    bool always = id == FLD_DMA_DRAM || id == FLD_DMA_SRAM;
    if (!isa_op_uses_field(op, id) || (v == f->dflt && f->kind != FK_F32 && !always))
      continue;
    char val[96];
    switch (f->kind) {
    case FK_UNITS:
      format_units(v, val, sizeof val);
      break;
    case FK_F32: {
      if (op->kind == K_BINARY && !isa_get(words, FLD_V_IMMF) && v == 0)
        continue;
      float x;
      memcpy(&x, &v, 4);
      snprintf(val, sizeof val, "%.9g", x);
      break;
    }
    default:
      snprintf(val, sizeof val, "%u", v);
      if (id == FLD_DMA_DRAM && b) {
        for (size_t i = 0; i < b->tensor_count; i++) {
          const EbinTensor *t = &b->tensors[i];
          if (v >= t->dram_offset && v < t->dram_offset + ebin_tensor_elems(t) * 4) {
            if (v == t->dram_offset)
              snprintf(val, sizeof val, "%s", t->name);
            else
              snprintf(val, sizeof val, "%s+%llu", t->name,
                       (unsigned long long)(v - t->dram_offset));
            break;
          }
        }
      }
    }
    n += (size_t)snprintf(out + n, cap - n, " %s=%s", f->name, val);
  }
}

/* ", N once the loops are expanded" for a binary with well-formed loops. */
static void expanded_count(const Ebin *b, char *out, size_t cap) {
  LoopTable t;
  LoopError e;
  out[0] = '\0';
  if (!loop_table_build(b->code, b->instr_count, &t, &e))
    return;
  if (t.count > 0)
    snprintf(out, cap, ", %llu once the loops are expanded", (unsigned long long)t.dynamic);
  loop_table_free(&t);
}

void asm_disassemble_header(const Ebin *b, FILE *f) {
  char expanded[80];
  expanded_count(b, expanded, sizeof expanded);
  fprintf(f,
          "# einc accelerator binary: format %d, arch hash %016llx, DRAM image %llu bytes, %zu "
          "instructions%s\n",
          EBIN_VERSION, (unsigned long long)b->arch_hash, (unsigned long long)b->dram_bytes,
          b->instr_count, expanded);
  for (size_t i = 0; i < b->tensor_count; i++) {
    const EbinTensor *t = &b->tensors[i];
    fprintf(f, ".tensor %s %s [", t->name, ebin_role_name(t->role));
    for (uint32_t d = 0; d < t->rank; d++)
      fprintf(f, "%s%u", d ? ", " : "", t->dims[d]);
    fprintf(f, "] @%llu\n", (unsigned long long)t->dram_offset);
  }
  for (size_t i = 0; i < b->tensor_count; i++) {
    const EbinTensor *t = &b->tensors[i];
    if (!t->data)
      continue;
    uint64_t n = ebin_tensor_elems(t);
    for (uint64_t k = 0; k < n; k += 8) {
      fprintf(f, ".data %s", t->name);
      for (uint64_t j = k; j < n && j < k + 8; j++)
        fprintf(f, " %.9g", t->data[j]);
      fprintf(f, "\n");
    }
  }
}

/* Two spaces per loop around the instruction at x, and a comment line where
 * a copy 1 begins (the assembler ignores both). */
static unsigned loop_indent(const LoopPath *p, size_t x, FILE *f) {
  for (unsigned l = 0; l < p->depth; l++)
    if (x == p->loop[l]->header + 1 + (size_t)p->loop[l]->body)
      fprintf(f, "%*s# copy 1 of the loop at %zu\n", 2 * l + 2, "", p->loop[l]->header);
  return 2 * p->depth;
}

void asm_disassemble(const Ebin *b, FILE *f) {
  asm_disassemble_header(b, f);
  /* A binary whose loops are malformed is listed flat. */
  LoopTable t;
  LoopError e;
  bool nested = loop_table_build(b->code, b->instr_count, &t, &e);
  LoopWalk w;
  loop_walk_init(&w, &t);
  char line[1024];
  for (size_t i = 0; i < b->instr_count; i++) {
    unsigned indent = nested ? loop_indent(loop_walk_at(&w, i), i, f) : 0;
    asm_format_instr(b->code + i * ISA_WORDS, b, line, sizeof line);
    fprintf(f, "%*s%s  # %zu\n", (int)indent, "", line, i);
  }
  if (nested)
    loop_table_free(&t);
}
