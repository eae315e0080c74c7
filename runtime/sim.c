/* The timing model: per-unit in-order queues, dependency tokens carrying the
 * cycle they were pushed, a shared DRAM bus, and the issue of whichever queue
 * head can start earliest (docs/isa.md, "Timing"). The functional model runs
 * each instruction as it issues. */
#include "runtime/sim_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) {
    fprintf(stderr, "einsim: out of memory\n");
    exit(1);
  }
  return p;
}

static void shadow_init(Shadow *sh, uint64_t words, const char *name) {
  sh->writer = xcalloc(words, sizeof(uint32_t));
  sh->reader = xcalloc(words, sizeof(uint32_t));
  sh->late_reader = xcalloc(words, sizeof(uint32_t));
  sh->name = name;
}

static void shadow_free(Shadow *sh) {
  free(sh->writer);
  free(sh->reader);
  free(sh->late_reader);
}

Sim *sim_new(const Ebin *bin, const Arch *arch, const SimOptions *opt) {
  Sim *s = xcalloc(1, sizeof *s);
  s->bin = bin;
  s->arch = arch;
  s->opt = *opt;
  tensor_index_build(bin, &s->tensors);
  LoopError e;
  if (!loop_table_build(bin->code, bin->instr_count, &s->loops, &e)) {
    /* sim_check must have passed first. */
    fprintf(stderr, "einsim: internal error: instruction %zu: %s\n", e.at, e.msg);
    abort();
  }
  s->instrs = s->loops.dynamic;
  for (int u = 0; u < UNIT_COUNT; u++)
    loop_cursor_init(&s->cursor[u], bin->code, bin->instr_count, &s->loops, (unsigned)u);
  for (int a = 0; a < UNIT_COUNT; a++)
    for (int b = 0; b < UNIT_COUNT; b++)
      if (a != b)
        s->ch[a][b].times = xcalloc(arch->token_depth, sizeof(uint64_t));
  if (opt->functional) {
    s->dram_words = bin->dram_bytes / 4;
    s->buf_words = arch_buffer_words(arch);
    s->dram = xcalloc(s->dram_words, sizeof(float));
    s->buf = xcalloc(s->buf_words, sizeof(float));
    s->unit_of = xcalloc(s->instrs, 1);
    s->opcode_of = xcalloc(s->instrs, 1);
    s->done_of = xcalloc(s->instrs, sizeof(uint64_t));
    s->start_of = xcalloc(s->instrs, sizeof(uint64_t));
    s->live_words = xcalloc(s->instrs, sizeof(uint64_t));
    s->last_use = xcalloc(s->instrs, sizeof(uint64_t));
    shadow_init(&s->buf_shadow, s->buf_words, "buffer");
    shadow_init(&s->dram_shadow, s->dram_words, "DRAM");
    for (size_t i = 0; i < bin->tensor_count; i++) {
      const EbinTensor *t = &bin->tensors[i];
      if (t->data)
        memcpy(s->dram + t->dram_offset / 4, t->data, ebin_tensor_elems(t) * 4);
    }
  }
  return s;
}

void sim_free(Sim *s) {
  if (!s)
    return;
  free(s->unit_of);
  free(s->opcode_of);
  tensor_index_free(&s->tensors);
  loop_table_free(&s->loops);
  for (int u = 0; u < UNIT_COUNT; u++)
    for (int v = 0; v < UNIT_COUNT; v++)
      free(s->ch[u][v].times);
  free(s->dram);
  free(s->buf);
  free(s->done_of);
  free(s->start_of);
  free(s->live_words);
  free(s->last_use);
  shadow_free(&s->buf_shadow);
  shadow_free(&s->dram_shadow);
  free(s);
}

float *sim_tensor_data(Sim *s, const EbinTensor *t) {
  return s->dram ? s->dram + t->dram_offset / 4 : NULL;
}

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static bool overlaps(uint64_t alo, uint64_t ahi, uint64_t blo, uint64_t bhi) {
  return alo <= bhi && blo <= ahi;
}

/* Whether queue u has an instruction left; if so, its head is fetched (with
 * this iteration's addresses) and decoded. Instructions are decoded when
 * they reach the head, so memory does not grow with them. */
static bool head_present(Sim *s, int u) {
  if (s->head_ready[u])
    return true;
  if (s->queue_done[u])
    return false;
  uint64_t index;
  if (!loop_cursor_next(&s->cursor[u], &s->head_static[u], &index, s->head_words[u])) {
    s->queue_done[u] = true;
    return false;
  }
  s->head_index[u] = (uint32_t)index;
  char why[300];
  if (!sim_decode(s->head_words[u], s->arch, &s->tensors, &s->head_dec[u], why, sizeof why)) {
    fprintf(stderr, "einsim: internal error: instruction %llu (of the binary: %zu): %s\n",
            (unsigned long long)index, s->head_static[u], why);
    abort();
  }
  s->head_ready[u] = true;
  return true;
}

/* Whether the head of queue u can issue now; if so, its earliest start. */
static bool head_start(Sim *s, int u, uint64_t *start) {
  if (!head_present(s, u))
    return false;
  const Decoded *d = &s->head_dec[u];
  uint64_t t = s->free_at[u];
  for (int w = 0; w < UNIT_COUNT; w++) {
    if (!(d->wait >> w & 1))
      continue;
    TokenChannel *c = &s->ch[w][u];
    if (c->count == 0)
      return false;
    t = max_u64(t, c->times[c->head]);
  }
  for (int v = 0; v < UNIT_COUNT; v++) {
    if (!(d->signal >> v & 1))
      continue;
    TokenChannel *c = &s->ch[u][v];
    if (c->count >= s->arch->token_depth) {
      s->blocked_full[u] = true;
      return false;
    }
    if (s->blocked_full[u])
      t = max_u64(t, c->last_pop);
  }
  /* The unit's own interlock: wait for its earlier results that this
   * instruction touches. */
  for (int i = 0; i < INTERLOCK_DEPTH; i++) {
    const InFlight *f = &s->recent[u][i];
    if (f->done <= t || f->lo > f->hi)
      continue;
    bool hit = overlaps(f->lo, f->hi, d->wr_lo, d->wr_hi);
    for (unsigned r = 0; r < d->n_rd; r++)
      hit |= overlaps(f->lo, f->hi, d->rd_lo[r], d->rd_hi[r]);
    if (hit)
      t = f->done;
  }
  *start = t;
  return true;
}

/* One event; an instruction that a loop repeats also names the instruction
 * of the binary it comes from ("static"). */
static void trace_event(Sim *s, uint32_t index, size_t static_index, const Decoded *d,
                        uint64_t start, uint64_t done) {
  char from[48] = "";
  if (static_index != index)
    snprintf(from, sizeof from, ",\"static\":%zu", static_index);
  fprintf(s->opt.trace,
          ",\n{\"name\":\"%s\",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":%llu,\"dur\":%llu,"
          "\"args\":{\"index\":%u%s}}",
          d->op->mnemonic, d->unit + 1, (unsigned long long)start,
          (unsigned long long)(done - start), index, from);
}

static void trace_begin(Sim *s) {
  fprintf(s->opt.trace, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"time_unit\":\"cycle\"},"
                        "\"traceEvents\":[");
  fprintf(s->opt.trace, "\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":"
                        "\"accelerator (1 us = 1 cycle)\"}}");
  for (int u = 0; u < UNIT_COUNT; u++)
    fprintf(s->opt.trace,
            ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":"
            "\"%s\"}}",
            u + 1, isa_unit_long_name((IsaUnit)u));
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void deadlock_message(Sim *s, char *msg, size_t msg_size) {
  size_t used = (size_t)snprintf(msg, msg_size, "deadlock: no queue can issue;");
  for (int u = 0; u < UNIT_COUNT && used < msg_size; u++) {
    if (!head_present(s, u))
      continue;
    uint32_t index = s->head_index[u];
    const Decoded *d = &s->head_dec[u];
    char why[160] = "";
    for (int w = 0; w < UNIT_COUNT; w++)
      if ((d->wait >> w & 1) && s->ch[w][u].count == 0)
        snprintf(why + strlen(why), sizeof why - strlen(why), " waits for a token from %s;",
                 isa_unit_name((IsaUnit)w));
    for (int v = 0; v < UNIT_COUNT; v++)
      if ((d->signal >> v & 1) && s->ch[u][v].count >= s->arch->token_depth)
        snprintf(why + strlen(why), sizeof why - strlen(why), " token queue to %s is full;",
                 isa_unit_name((IsaUnit)v));
    used += (size_t)snprintf(msg + used, msg_size - used, " %s instruction %u (%s)%s",
                             isa_unit_name((IsaUnit)u), index, d->op->mnemonic, why);
  }
}

/* Issues the head of queue u (decoded as d) at `start`: pops its tokens, books
 * the unit and the DRAM bus, and returns the cycle its results complete. */
static uint64_t issue(Sim *s, int u, const Decoded *d, uint64_t index, uint64_t start) {
  for (int w = 0; w < UNIT_COUNT; w++) {
    if (!(d->wait >> w & 1))
      continue;
    TokenChannel *c = &s->ch[w][u];
    c->head = (c->head + 1) % s->arch->token_depth;
    c->count--;
    c->last_pop = start;
  }
  uint64_t done;
  if (d->op->format == FMT_DMA && d->dram_bytes > 0) {
    uint64_t bus = max_u64(start, s->dram_free);
    s->dram_free = bus + d->busy;
    s->free_at[u] = bus + d->busy;
    done = bus + d->busy + d->latency;
  } else {
    s->free_at[u] = start + d->busy;
    done = start + d->busy + d->latency;
    if (d->op->format == FMT_SCAN)
      s->free_at[u] = done;
  }
  /* In-order completion: a short instruction after a long one on the same
   * unit completes with it, so a token means "this and everything before". */
  if (done < s->last_done[u])
    done = s->last_done[u];
  s->last_done[u] = done;
  InFlight *f = &s->recent[u][s->recent_next[u]];
  s->recent_next[u] = (s->recent_next[u] + 1) % INTERLOCK_DEPTH;
  f->lo = d->wr_lo;
  f->hi = d->wr_hi;
  f->done = done;
  f->index = index;
  f->exact = d->wr_exact;
  f->n_rd = d->n_rd;
  for (unsigned r = 0; r < d->n_rd; r++) {
    f->rd_lo[r] = d->rd_lo[r];
    f->rd_hi[r] = d->rd_hi[r];
    f->rd_exact[r] = d->rd_exact[r];
  }
  return done;
}

/* The cheap part of the race check, for --timing-only (which keeps no
 * per-word history): an instruction that touches a dense tile another
 * unit's recent instruction is still writing, or writes one it is still
 * reading. Only ranges that are exactly the words touched count, so it
 * never reports a race that is not one; it misses what the functional check
 * alone finds (strided and interleaved tiles, program order). */
static bool tile_race(Sim *s, int u, const Decoded *d, uint64_t index, uint64_t start, char *msg,
                      size_t msg_size) {
  bool writes = d->wr_exact && d->wr_lo <= d->wr_hi;
  for (int v = 0; v < UNIT_COUNT; v++) {
    if (v == u)
      continue;
    for (int i = 0; i < INTERLOCK_DEPTH; i++) {
      const InFlight *f = &s->recent[v][i];
      if (f->done <= start)
        continue;
      const char *what = NULL, *theirs = "writes";
      uint64_t lo = 0, hi = 0, their_lo = f->lo, their_hi = f->hi;
      if (f->exact && f->lo <= f->hi) {
        if (writes && overlaps(f->lo, f->hi, d->wr_lo, d->wr_hi)) {
          what = "writes";
          lo = d->wr_lo;
          hi = d->wr_hi;
        }
        for (unsigned r = 0; r < d->n_rd && !what; r++)
          if (d->rd_exact[r] && overlaps(f->lo, f->hi, d->rd_lo[r], d->rd_hi[r])) {
            what = "reads";
            lo = d->rd_lo[r];
            hi = d->rd_hi[r];
          }
      }
      for (unsigned r = 0; r < f->n_rd && !what && writes; r++)
        if (f->rd_exact[r] && overlaps(f->rd_lo[r], f->rd_hi[r], d->wr_lo, d->wr_hi)) {
          what = "overwrites";
          theirs = "reads";
          lo = d->wr_lo;
          hi = d->wr_hi;
          their_lo = f->rd_lo[r];
          their_hi = f->rd_hi[r];
        }
      if (!what)
        continue;
      snprintf(msg, msg_size,
               "race: instruction %llu (%s, %s unit) %s buffer words %llu..%llu at cycle %llu, "
               "but instruction %llu (%s unit) %s words %llu..%llu until cycle %llu; a "
               "dependency token between %s and %s is missing",
               (unsigned long long)index, d->op->mnemonic, isa_unit_name((IsaUnit)u), what,
               (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)start,
               (unsigned long long)f->index, isa_unit_name((IsaUnit)v), theirs,
               (unsigned long long)their_lo, (unsigned long long)their_hi,
               (unsigned long long)f->done, isa_unit_name((IsaUnit)v), isa_unit_name((IsaUnit)u));
      return true;
    }
  }
  return false;
}

/* Adds one issued instruction's figures. */
static void count(SimStats *st, int u, const Decoded *d, uint64_t done, uint64_t burst_bytes) {
  st->instrs++;
  st->unit[u].instrs++;
  st->unit[u].busy += d->busy;
  uint64_t moved = d->dram_bursts * burst_bytes;
  if (d->op->kind == K_LOAD) {
    st->dram_read_bytes += d->dram_bytes;
    st->dram_read_transferred += moved;
  }
  if (d->op->kind == K_STORE) {
    st->dram_write_bytes += d->dram_bytes;
    st->dram_write_transferred += moved;
  }
  st->buffer_bytes += d->buf_rd_bytes + d->buf_wr_bytes;
  st->macs += d->macs;
  st->vector_elems += d->vec_elems;
  st->special_elems += d->special_elems;
  st->scan_steps += d->scan_steps;
  if (d->wr_lo <= d->wr_hi && (d->wr_hi + 1) * 4 > st->peak_sram_bytes)
    st->peak_sram_bytes = (d->wr_hi + 1) * 4;
  if (done > st->cycles)
    st->cycles = done;
}

static void add_energy(SimStats *st, const Arch *arch) {
  st->energy_dram_pj =
      (double)(st->dram_read_transferred + st->dram_write_transferred) * arch->e_dram_byte;
  st->energy_buffer_pj = (double)st->buffer_bytes * arch->e_buf_byte;
  st->energy_mac_pj = (double)st->macs * arch->e_mac;
  st->energy_vector_pj = (double)st->vector_elems * arch->e_vec_op;
  st->energy_special_pj = (double)st->special_elems * arch->e_special;
  st->energy_scan_pj = (double)st->scan_steps * arch->e_scan_step;
  st->energy_pj = st->energy_dram_pj + st->energy_buffer_pj + st->energy_mac_pj +
                  st->energy_vector_pj + st->energy_special_pj + st->energy_scan_pj;
}

typedef struct LiveEvent {
  uint64_t time;
  int64_t words; /* + when an instruction's results start, - when their last reader is done */
} LiveEvent;

static int live_event_order(const void *pa, const void *pb) {
  const LiveEvent *a = pa, *b = pb;
  if (a->time != b->time)
    return a->time < b->time ? -1 : 1;
  return (a->words > b->words) - (a->words < b->words); /* frees first */
}

/* The most buffer words live at once: each instruction's written words are
 * live from its start until it and the last instruction reading them are
 * done (functional mode, which sees every word). */
static uint64_t peak_live_words(const Sim *s) {
  size_t n = s->instrs, count = 0;
  LiveEvent *ev = xcalloc(2 * n, sizeof *ev);
  for (size_t i = 0; i < n; i++) {
    if (s->live_words[i] == 0)
      continue;
    uint64_t end = max_u64(s->done_of[i], s->last_use[i]);
    ev[count++] = (LiveEvent){s->start_of[i], (int64_t)s->live_words[i]};
    ev[count++] = (LiveEvent){end, -(int64_t)s->live_words[i]};
  }
  qsort(ev, count, sizeof *ev, live_event_order);
  int64_t live = 0, peak = 0;
  for (size_t i = 0; i < count; i++) {
    live += ev[i].words;
    if (live > peak)
      peak = live;
  }
  free(ev);
  return (uint64_t)peak;
}

bool sim_run(Sim *s, SimStats *st, char *msg, size_t msg_size) {
  memset(st, 0, sizeof *st);
  const Arch *arch = s->arch;
  uint64_t remaining = s->instrs;
  double t0 = now_seconds(), next_report = t0 + 1.0;
  bool reported = false;
  if (s->opt.trace)
    trace_begin(s);
  while (remaining > 0) {
    int best = -1;
    uint64_t best_start = UINT64_MAX;
    for (int u = 0; u < UNIT_COUNT; u++) {
      uint64_t t;
      if (head_start(s, u, &t) && t < best_start) {
        best = u;
        best_start = t;
      }
    }
    if (best < 0) {
      deadlock_message(s, msg, msg_size);
      return false;
    }
    int u = best;
    uint64_t start = best_start;
    const Decoded *d = &s->head_dec[u];
    /* The head stays in place until the unit's next fetch, after this. */
    const uint32_t *words = s->head_words[u];
    uint32_t index = s->head_index[u];
    size_t static_index = s->head_static[u];
    s->head_ready[u] = false;
    s->blocked_full[u] = false;
    if (!s->opt.functional && tile_race(s, u, d, index, start, msg, msg_size))
      return false;
    uint64_t done = issue(s, u, d, index, start);

    if (s->opt.functional) {
      s->done_of[index] = done;
      s->unit_of[index] = (uint8_t)u;
      s->opcode_of[index] = (uint8_t)isa_get(words, FLD_OPCODE);
      sim_exec(s, d, words, index, start, done);
      if (s->race) {
        snprintf(msg, msg_size, "%s", s->race_msg);
        return false;
      }
    }
    for (int v = 0; v < UNIT_COUNT; v++) {
      if (!(d->signal >> v & 1))
        continue;
      TokenChannel *c = &s->ch[u][v];
      c->times[(c->head + c->count) % arch->token_depth] = done;
      c->count++;
    }

    count(st, u, d, done, arch->dram_burst_bytes);
    if (s->opt.trace)
      trace_event(s, index, static_index, d, start, done);
    remaining--;
    if (s->opt.progress && (remaining & 0xfff) == 0) {
      double now = now_seconds();
      if (now >= next_report) {
        fprintf(stderr, "\reinsim: %llu of %llu instructions (%.0f%%), %llu cycles, %.1f s",
                (unsigned long long)st->instrs, (unsigned long long)s->instrs,
                100.0 * (double)st->instrs / (double)s->instrs, (unsigned long long)st->cycles,
                now - t0);
        next_report = now + 0.5;
        reported = true;
      }
    }
  }
  if (reported)
    fprintf(stderr, "\n");
  if (s->opt.trace)
    fprintf(s->opt.trace, "\n]}\n");
  for (int a = 0; a < UNIT_COUNT; a++)
    for (int b = 0; b < UNIT_COUNT; b++)
      st->stray_tokens += s->ch[a][b].count;
  add_energy(st, arch);
  if (s->opt.functional)
    st->peak_live_bytes = 4 * peak_live_words(s);
  return true;
}
