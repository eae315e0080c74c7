/* Architecture files: a two-level YAML mapping read with libyaml's event
 * parser, checked against one table of parameters. */
#include "runtime/arch.h"
#include "runtime/infile.h"
#include "runtime/rng.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef enum ParamType { P_INT, P_FLOAT } ParamType;

typedef struct Param {
  const char *section; /* NULL: top level */
  const char *key;
  ParamType type;
  size_t offset; /* into Arch */
  double min, max;
  double dflt;
  const char *unit;
  const char *doc;
} Param;

#define OFF(f) offsetof(Arch, f)

/* Defaults and their sources are in arch/default.yaml and docs/arch.md. */
static const Param params[] = {
    {NULL, "clock_ghz", P_FLOAT, OFF(clock_ghz), 0.001, 100, 1.0, "GHz", "clock frequency"},
    {"matrix", "rows", P_INT, OFF(mx_rows), 1, 1024, 16, "PEs", "MAC array rows (K per pass)"},
    {"matrix", "cols", P_INT, OFF(mx_cols), 1, 1024, 16, "PEs", "MAC array columns (N per pass)"},
    {"matrix", "latency", P_INT, OFF(mx_latency), 0, 100000, 32, "cycles",
     "pipeline fill and drain added to each instruction's completion"},
    {"vector", "lanes", P_INT, OFF(vec_lanes), 1, 4096, 16, "lanes", "elements per cycle"},
    {"vector", "latency", P_INT, OFF(vec_latency), 0, 100000, 4, "cycles", "pipeline depth"},
    {"vector", "special_cycles", P_INT, OFF(vec_special_cycles), 1, 1000, 4, "cycles",
     "cycles per beat of a special function"},
    {"vector", "special_latency", P_INT, OFF(vec_special_latency), 0, 100000, 16, "cycles",
     "pipeline depth of the special-function stage"},
    {"scan", "lanes", P_INT, OFF(scan_lanes), 1, 4096, 16, "lanes", "channels per cycle"},
    {"scan", "latency", P_INT, OFF(scan_latency), 1, 100000, 4, "cycles",
     "multiply-add latency, the recurrence's step time for one lane group"},
    {"buffer", "bytes", P_INT, OFF(buf_bytes), 1024, 1073741824.0, 262144, "bytes",
     "on-chip buffer capacity"},
    {"buffer", "banks", P_INT, OFF(buf_banks), 1, 64, 4, "banks", "equal contiguous banks"},
    {"dram", "bytes_per_cycle", P_FLOAT, OFF(dram_bytes_per_cycle), 0.01, 1000000, 32,
     "bytes/cycle", "sustained bandwidth, shared by loads and stores"},
    {"dram", "burst_bytes", P_INT, OFF(dram_burst_bytes), 4, 65536, 64, "bytes",
     "access granularity: a transfer moves every aligned burst it touches"},
    {"dram", "latency", P_INT, OFF(dram_latency), 0, 1000000, 100, "cycles",
     "from the end of a transfer's bus time to its completion"},
    {"dram", "capacity_bytes", P_INT, OFF(dram_capacity), 4096, 68719476736.0, 1073741824, "bytes",
     "largest DRAM image a binary may use"},
    {"tokens", "depth", P_INT, OFF(token_depth), 1, 65536, 8, "tokens",
     "capacity of each queue between two units"},
    {"energy", "dram_pj_per_byte", P_FLOAT, OFF(e_dram_byte), 0, 100000, 31.2, "pJ",
     "per DRAM byte read or written"},
    {"energy", "buffer_pj_per_byte", P_FLOAT, OFF(e_buf_byte), 0, 100000, 2.5, "pJ",
     "per buffer byte read or written"},
    {"energy", "mac_pj", P_FLOAT, OFF(e_mac), 0, 100000, 4.6, "pJ", "per fp32 multiply-add"},
    {"energy", "vector_op_pj", P_FLOAT, OFF(e_vec_op), 0, 100000, 0.9, "pJ",
     "per element of a plain vector operation"},
    {"energy", "special_pj", P_FLOAT, OFF(e_special), 0, 100000, 15, "pJ",
     "per element of a special function"},
    {"energy", "scan_step_pj", P_FLOAT, OFF(e_scan_step), 0, 100000, 4.6, "pJ",
     "per channel per time step of the scan"},
};

#define N_PARAMS (sizeof params / sizeof params[0])

static uint64_t *int_slot(Arch *a, const Param *p) { return (uint64_t *)((char *)a + p->offset); }
static double *float_slot(Arch *a, const Param *p) { return (double *)((char *)a + p->offset); }

/* "section.key", or "key" at the top level, in buf. */
static const char *param_key(const Param *p, char *buf, size_t size) {
  snprintf(buf, size, "%s%s%s", p->section ? p->section : "", p->section ? "." : "", p->key);
  return buf;
}

void arch_default(Arch *a) {
  memset(a, 0, sizeof *a);
  snprintf(a->name, sizeof a->name, "einc-default");
  for (size_t i = 0; i < N_PARAMS; i++) {
    if (params[i].type == P_INT)
      *int_slot(a, &params[i]) = (uint64_t)params[i].dflt;
    else
      *float_slot(a, &params[i]) = params[i].dflt;
  }
}

uint64_t arch_buffer_words(const Arch *a) { return a->buf_bytes / 4; }
uint64_t arch_bank_words(const Arch *a) { return a->buf_bytes / 4 / a->buf_banks; }

uint64_t arch_hash(const Arch *a) {
  uint64_t h = RNG_FNV1A_BASIS;
  char buf[128];
  Arch copy = *a;
  for (size_t i = 0; i < N_PARAMS; i++) {
    const Param *p = &params[i];
    if (p->type == P_INT)
      snprintf(buf, sizeof buf, "%s.%s=%llu;", p->section ? p->section : "", p->key,
               (unsigned long long)*int_slot(&copy, p));
    else
      snprintf(buf, sizeof buf, "%s.%s=%.17g;", p->section ? p->section : "", p->key,
               *float_slot(&copy, p));
    h = rng_fnv1a(h, buf);
  }
  return h;
}

void arch_print_table(const Arch *a, void *file) {
  FILE *f = file;
  Arch copy = *a;
  fprintf(f, "| key | type | range | default | unit | meaning |\n|---|---|---|---|---|---|\n");
  fprintf(f, "| `name` | string | 1..63 chars | `%s` | | label for reports |\n", copy.name);
  for (size_t i = 0; i < N_PARAMS; i++) {
    const Param *p = &params[i];
    char key[64];
    param_key(p, key, sizeof key);
    if (p->type == P_INT)
      fprintf(f, "| `%s` | integer | %.0f..%.0f | %llu | %s | %s |\n", key, p->min, p->max,
              (unsigned long long)*int_slot(&copy, p), p->unit, p->doc);
    else
      fprintf(f, "| `%s` | number | %g..%g | %g | %s | %s |\n", key, p->min, p->max,
              *float_slot(&copy, p), p->unit, p->doc);
  }
}

/* ---- the YAML reader ---- */

typedef struct Reader {
  yaml_parser_t parser;
  const char *name;
  char *msg;
  size_t msg_size;
  bool seen[N_PARAMS];
  bool seen_section[N_PARAMS];   /* indexed by a section's first parameter */
  size_t section_line[N_PARAMS]; /* where that section starts */
  bool seen_name;
} Reader;

static bool fail(Reader *r, size_t line, const char *fmt, ...) {
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  snprintf(r->msg, r->msg_size, "%s:%zu: %s", r->name, line, text);
  return false;
}

static bool next_event(Reader *r, yaml_event_t *ev) {
  if (!yaml_parser_parse(&r->parser, ev)) {
    const char *problem = r->parser.problem ? r->parser.problem : "malformed YAML";
    return fail(r, r->parser.problem_mark.line + 1, "%s", problem);
  }
  return true;
}

static const char *event_what(yaml_event_type_t t) {
  switch (t) {
  case YAML_SEQUENCE_START_EVENT:
    return "a list";
  case YAML_MAPPING_START_EVENT:
    return "a mapping";
  case YAML_ALIAS_EVENT:
    return "an alias";
  case YAML_SCALAR_EVENT:
    return "a scalar";
  default:
    return "something else";
  }
}

static const Param *find_param(const char *section, const char *key) {
  for (size_t i = 0; i < N_PARAMS; i++) {
    const Param *p = &params[i];
    bool same_section = section ? (p->section && strcmp(p->section, section) == 0) : !p->section;
    if (same_section && strcmp(p->key, key) == 0)
      return p;
  }
  return NULL;
}

/* The index of a section's first parameter, which stands for the section in
 * Reader; -1 when no section has that name. */
static int section_index(const char *name) {
  for (size_t i = 0; i < N_PARAMS; i++)
    if (params[i].section && strcmp(params[i].section, name) == 0)
      return (int)i;
  return -1;
}

static bool set_value(Reader *r, Arch *a, const Param *p, const yaml_event_t *ev) {
  size_t line = ev->start_mark.line + 1;
  const char *text = (const char *)ev->data.scalar.value;
  char full[80];
  param_key(p, full, sizeof full);
  if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || text[0] == '\0')
    return fail(r, line, "'%s' must be %s, not a string", full,
                p->type == P_INT ? "an integer" : "a number");
  char *end;
  errno = 0;
  double v;
  if (p->type == P_INT) {
    if (text[0] < '0' || text[0] > '9')
      return fail(r, line, "'%s' must be a non-negative integer, got '%s'", full, text);
    unsigned long long u = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
      return fail(r, line, "'%s' must be a non-negative integer, got '%s'", full, text);
    if ((double)u < p->min || (double)u > p->max)
      return fail(r, line, "'%s' = %llu is out of range (%.0f..%.0f)", full, u, p->min, p->max);
    *int_slot(a, p) = u;
    return true;
  }
  v = strtod(text, &end);
  if (*end != '\0' || errno == ERANGE || !isfinite(v))
    return fail(r, line, "'%s' must be a finite number, got '%s'", full, text);
  if (v < p->min || v > p->max)
    return fail(r, line, "'%s' = %g is out of range (%g..%g)", full, v, p->min, p->max);
  *float_slot(a, p) = v;
  return true;
}

/* Reads the pairs of a mapping whose MAPPING_START was consumed. */
static bool read_mapping(Reader *r, Arch *a, const char *section) {
  for (;;) {
    yaml_event_t key;
    if (!next_event(r, &key))
      return false;
    if (key.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&key);
      return true;
    }
    size_t line = key.start_mark.line + 1;
    if (key.type != YAML_SCALAR_EVENT) {
      yaml_event_delete(&key);
      return fail(r, line, "expected a key, found %s", event_what(key.type));
    }
    char name[64];
    snprintf(name, sizeof name, "%s", (const char *)key.data.scalar.value);
    bool too_long = strlen((const char *)key.data.scalar.value) >= sizeof name;
    yaml_event_delete(&key);
    if (too_long)
      return fail(r, line, "unknown key '%s...'", name);

    yaml_event_t val;
    if (!next_event(r, &val))
      return false;
    bool ok = true;
    int sec = section ? -1 : section_index(name);
    if (sec >= 0) {
      if (r->seen_section[sec])
        ok = fail(r, line, "duplicate section '%s'", name);
      else if (val.type != YAML_MAPPING_START_EVENT)
        ok = fail(r, line, "'%s' must be a mapping of keys, found %s", name, event_what(val.type));
      else {
        r->seen_section[sec] = true;
        r->section_line[sec] = line;
        ok = read_mapping(r, a, name);
      }
    } else if (!section && strcmp(name, "name") == 0) {
      if (r->seen_name)
        ok = fail(r, line, "duplicate key 'name'");
      else if (val.type != YAML_SCALAR_EVENT)
        ok = fail(r, line, "'name' must be a string, found %s", event_what(val.type));
      else {
        const char *s = (const char *)val.data.scalar.value;
        if (s[0] == '\0' || strlen(s) >= sizeof a->name)
          ok = fail(r, line, "'name' must have 1 to %zu characters", sizeof a->name - 1);
        else
          snprintf(a->name, sizeof a->name, "%s", s);
        r->seen_name = true;
      }
    } else {
      const Param *p = find_param(section, name);
      char full[80];
      if (!p)
        ok =
            fail(r, line, "unknown key '%s%s%s'", section ? section : "", section ? "." : "", name);
      else if (r->seen[p - params])
        ok = fail(r, line, "duplicate key '%s'", param_key(p, full, sizeof full));
      else if (val.type != YAML_SCALAR_EVENT)
        ok = fail(r, line, "'%s' must be a scalar, found %s", param_key(p, full, sizeof full),
                  event_what(val.type));
      else {
        ok = set_value(r, a, p, &val);
        r->seen[p - params] = true;
      }
    }
    yaml_event_delete(&val);
    if (!ok)
      return false;
  }
}

static bool expect(Reader *r, yaml_event_type_t type, const char *what) {
  yaml_event_t ev;
  if (!next_event(r, &ev))
    return false;
  bool ok = ev.type == type;
  size_t line = ev.start_mark.line + 1;
  yaml_event_type_t got = ev.type;
  yaml_event_delete(&ev);
  if (!ok)
    return fail(r, line, "expected %s, found %s", what, event_what(got));
  return true;
}

bool arch_parse(Arch *a, const char *name, const char *text, size_t len, char *msg,
                size_t msg_size) {
  Reader r;
  memset(&r, 0, sizeof r);
  r.name = name;
  r.msg = msg;
  r.msg_size = msg_size;
  arch_default(a);
  if (!yaml_parser_initialize(&r.parser)) {
    snprintf(msg, msg_size, "%s: out of memory", name);
    return false;
  }
  yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
  bool ok = expect(&r, YAML_STREAM_START_EVENT, "a YAML stream") &&
            expect(&r, YAML_DOCUMENT_START_EVENT, "a document") &&
            expect(&r, YAML_MAPPING_START_EVENT, "a mapping of sections") &&
            read_mapping(&r, a, NULL) &&
            expect(&r, YAML_DOCUMENT_END_EVENT, "the end of the document");
  size_t end_line = r.parser.mark.line + 1;
  if (ok) {
    yaml_event_t ev;
    ok = next_event(&r, &ev);
    if (ok) {
      if (ev.type != YAML_STREAM_END_EVENT)
        ok = fail(&r, ev.start_mark.line + 1, "only one YAML document is allowed");
      yaml_event_delete(&ev);
    }
  }
  if (ok && !r.seen_name)
    ok = fail(&r, end_line, "missing key 'name'");
  for (size_t i = 0; ok && i < N_PARAMS; i++) {
    if (r.seen[i])
      continue;
    /* Point at the section that lacks the key, else at the end. */
    int sec = params[i].section ? section_index(params[i].section) : -1;
    size_t line = sec >= 0 && r.seen_section[sec] ? r.section_line[sec] : end_line;
    char full[80];
    ok = fail(&r, line, "missing key '%s'", param_key(&params[i], full, sizeof full));
  }
  if (ok && a->buf_bytes % (a->buf_banks * 4) != 0)
    ok = fail(&r, end_line, "buffer.bytes (%llu) must be a multiple of 4 * buffer.banks",
              (unsigned long long)a->buf_bytes);
  yaml_parser_delete(&r.parser);
  return ok;
}

bool arch_load(Arch *a, const char *path, char *msg, size_t msg_size) {
  char why[300];
  size_t len;
  char *buf = infile_read(path, (size_t)1 << 20, &len, why, sizeof why);
  if (!buf) {
    snprintf(msg, msg_size, "%s: %s", path, why);
    return false;
  }
  bool ok = arch_parse(a, path, buf, len, msg, msg_size);
  free(buf);
  return ok;
}
