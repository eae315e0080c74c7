/* End-to-end tests of mapping files (ir/mapping.h) through the einc command:
 *
 *   - round trip: the mapping `einc dump --format mapping` prints for every
 *     example, read back with --mapping, gives the same accelerator binary
 *     and prints the same text again (both arch files, both --fusion);
 *   - the reader's, the fuse pass's, the tile pass's and the backend's
 *     refusals of bad mapping files: the exact message and exit status 1;
 *   - hand-written mappings other than the default compute the right
 *     numbers (einc check against the CPU, einc run against the golden
 *     fixtures of tests/golden) and really change the binary;
 *   - fused_groups in a file against --fusion none|auto;
 *   - einc dump --after PASS for every pass, the mapping in comments.
 *
 * $EINC is the einc binary and $SRCDIR the top source directory; einc runs
 * with the working directory at $SRCDIR so that model paths read
 * examples/NAME.ein. Mapping files are written to a temporary directory and
 * the messages name them by their absolute path. */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/npy.h"
#include "tests/golden/compare.h"
#include "tests/testutil.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *const arches[] = {"arch/default.yaml", "arch/small.yaml"};
#define NARCHES 2

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_msg(f != NULL, "cannot write %s", path);
  ck_assert_int_eq(fputs(text, f) >= 0, 1);
  ck_assert_int_eq(fclose(f), 0);
}

static bool same_file(const char *path, const char *other) {
  size_t n1, n2;
  char *b1 = read_whole_file(path, &n1), *b2 = read_whole_file(other, &n2);
  ck_assert_msg(b1 != NULL, "cannot read %s", path);
  ck_assert_msg(b2 != NULL, "cannot read %s", other);
  bool same = n1 == n2 && memcmp(b1, b2, n1) == 0;
  free(b1);
  free(b2);
  return same;
}

/* einc with args (in $SRCDIR) exits 0 with nothing on standard error. */
static Run expect_ok(const char *const *args) {
  Run r = run_einc(test_srcdir(), args);
  ck_assert_msg(r.status == 0, "einc %s %s %s %s: exit status %d, stderr:\n%s", args[0], args[1],
                args[2] ? args[2] : "", args[2] && args[3] ? args[3] : "", r.status, r.err);
  ck_assert_str_eq(r.err, "");
  return r;
}

static void compile_accel(const char *model, const char *arch, const char *fusion,
                          const char *mapping, const char *out) {
  Run r = mapping ? expect_ok(ARGS("compile", model, "--target", "accel", "--arch", arch,
                                   "--fusion", fusion, "--mapping", mapping, "-o", out))
                  : expect_ok(ARGS("compile", model, "--target", "accel", "--arch", arch,
                                   "--fusion", fusion, "-o", out));
  run_free(&r);
}

/* ---- round trip --------------------------------------------------------------- */

/* _i: the arch file (_i / 2) and --fusion (_i % 2). */
START_TEST(test_round_trip) {
  const char *arch = arches[_i / 2];
  const char *fusion = _i % 2 ? "none" : "auto";
  char *examples = str_printf("%s/examples", test_srcdir());
  int n;
  char **names = list_files(examples, ".ein", &n);
  ck_assert_ptr_nonnull(names);
  ck_assert_int_ge(n, 10);
  char *dir = temp_dir();
  char *m = str_printf("%s/m.yaml", dir);
  char *a = str_printf("%s/a.ebin", dir);
  char *b = str_printf("%s/b.ebin", dir);
  for (int i = 0; i < n; i++) {
    char *model = str_printf("examples/%s", names[i]);
    Run d = expect_ok(ARGS("dump", model, "--target", "accel", "--arch", arch, "--fusion", fusion,
                           "--format", "mapping"));
    char *head = str_printf("# einc mapping for %s (docs/mapping.md)\nmapping:\n", model);
    ck_assert_msg(strncmp(d.out, head, strlen(head)) == 0, "%s: %s", model, d.out);
    ck_assert_msg(strstr(d.out, "\nfused_groups:\n  - [") != NULL, "%s: %s", model, d.out);
    write_text(m, d.out);
    compile_accel(model, arch, fusion, NULL, a);
    compile_accel(model, arch, fusion, m, b);
    ck_assert_msg(same_file(a, b),
                  "%s on %s, --fusion %s: the binary differs under its own mapping", model, arch,
                  fusion);
    Run again = expect_ok(ARGS("dump", model, "--target", "accel", "--arch", arch, "--fusion",
                               fusion, "--mapping", m, "--format", "mapping"));
    ck_assert_str_eq(again.out, d.out);
    run_free(&again);
    run_free(&d);
    free(head);
    free(model);
  }
  free(a);
  free(b);
  free(m);
  remove_dir(dir);
  free(dir);
  free_names(names);
  free(examples);
}
END_TEST

/* ---- bad mapping files ---------------------------------------------------------- */

/* Programs of the tests' own, written beside the mapping files. */
static const struct {
  const char *name;
  const char *text;
} programs[] = {
    /* An output that a later Einsum reads. */
    {"outprod", "let N = 8\ninput x[N]\noutput a[N]\noutput b[N]\n"
                "a[i] = x[i] * 2.0\nb[i] = a[i] + 1.0\n"},
    /* An elementwise producer with two readers. */
    {"shared", "let N = 8\ninput x[N]\noutput a[N]\noutput b[N]\n"
               "t[i] = x[i] * 2.0\na[i] = t[i] + 1.0\nb[i] = t[i] * 3.0\n"},
    /* mamba1_layer's conv with an elementwise x: read at l - k in a sum. */
    {"conv", "let L = 16, E = 8, K = 4\ninput u[L, E]\nparam w[E, K]\noutput xc[L, E]\n"
             "x[l, e] = u[l, e] * 2.0\nxc[l, e] = sum(k: x[l - k, e] * w[e, k])\n"},
    /* A recurrence not of the scan form h[t] = A*h[t-1] + B. */
    {"notscan", "let L = 16, E = 8\ninput u[L, E]\noutput y[L, E]\n"
                "h[l, e] = h[l - 1, e] * h[l - 1, e] * 0.5 + u[l, e]\ny[l, e] = h[l, e] * 2.0\n"},
    /* A scan with two readers. */
    {"scan2", "let L = 16, E = 8\ninput u[L, E]\noutput y[L, E]\noutput w[L, E]\n"
              "h[l, e] = h[l - 1, e] * 0.5 + u[l, e]\ny[l, e] = h[l, e] * 2.0\n"
              "w[l, e] = h[l, e] + 1.0\n"},
    /* An offset read outside any reduction. */
    {"shift", "let L = 16, E = 8\ninput u[L, E]\noutput y[L, E]\n"
              "x[l, e] = u[l, e] * 2.0\ny[l, e] = x[l - 1, e] + 1.0\n"},
};
#define NPROGRAMS (int)(sizeof programs / sizeof programs[0])

typedef struct BadMapping {
  const char *name;  /* the file is DIR/NAME.yaml; backend_*: the backend refuses it */
  const char *model; /* examples/..., or @NAME for DIR/NAME.ein of programs[] */
  const char *arch;
  const char *yaml;
  const char *err; /* standard error after "DIR/NAME.yaml:" */
} BadMapping;

#define MAMBA1_GROUPS_AFTER_XC                                                                     \
  "  - [z]\n  - [dtr]\n  - [Bm]\n  - [Cm]\n  - [dt]\n  - [dA, dBu, h]\n  - [y]\n  - [yg]\n"        \
  "  - [out]\n"

static const BadMapping bad_mappings[] = {
    /* The reader: keys, names, shapes, orders. */
    {"top_key", "examples/matmul.ein", NULL, "mappings:\n  partitioning: {}\n",
     "1:1: error: unknown key 'mappings' (expected mapping or fused_groups)\n"},
    {"section_key", "examples/matmul.ein", NULL, "mapping:\n  partitioning: {}\n  tiling: {}\n",
     "3:3: error: mapping: unknown key 'tiling' (expected partitioning, loop-order, spacetime, "
     "double-buffer or epilogue)\n"},
    {"no_tensor", "examples/matmul.ein", NULL, "mapping:\n  loop-order:\n    D: [m, n]\n",
     "3:5: error: loop-order: the model has no tensor 'D'\n"},
    {"input_tensor", "examples/matmul.ein", NULL, "mapping:\n  loop-order:\n    A: [m, k]\n",
     "3:5: error: loop-order: 'A' is an input: only tensors an Einsum defines are mapped\n"},
    {"param_tensor", "examples/matmul.ein", NULL, "mapping:\n  double-buffer:\n    B: true\n",
     "3:5: error: double-buffer: 'B' is a param: only tensors an Einsum defines are mapped\n"},
    {"twice", "examples/matmul.ein", NULL,
     "mapping:\n  loop-order:\n    C: [m, n]\n    C: [n, m]\n",
     "4:5: error: loop-order: 'C' appears twice\n"},
    {"shape_zero", "examples/matmul.ein", NULL,
     "mapping:\n  partitioning:\n    C:\n      m: uniform_shape(0)\n",
     "4:10: error: partitioning: C: expected uniform_shape(N) with N a positive integer, not "
     "'uniform_shape(0)'\n"},
    {"shape_name", "examples/matmul.ein", NULL,
     "mapping:\n  partitioning:\n    C:\n      m: uniform_shape(x)\n",
     "4:10: error: partitioning: C: expected uniform_shape(N) with N a positive integer, not "
     "'uniform_shape(x)'\n"},
    {"shape_plain", "examples/matmul.ein", NULL, "mapping:\n  partitioning:\n    C:\n      m: 16\n",
     "4:10: error: partitioning: C: expected uniform_shape(N)\n"},
    {"partitioned_time", "examples/matmul.ein", NULL,
     "mapping:\n  partitioning:\n    C:\n      m: uniform_shape(16)\n  spacetime:\n    C:\n"
     "      space: [n]\n      time: [m1, m0]\n",
     "4:7: error: 'C': the rank 'm' is partitioned but is not a space rank: only a tile's space "
     "ranks and reduced ranks can be partitioned\n"},
    {"order_missing", "examples/matmul.ein", NULL, "mapping:\n  loop-order:\n    C: [m]\n",
     "3:8: error: 'C': the rank 'n' must appear once, whole, in its loop order\n"},
    {"order_repeated", "examples/matmul.ein", NULL, "mapping:\n  loop-order:\n    C: [m, m, n]\n",
     "3:8: error: 'C': the rank 'm' must appear once, whole, in its loop order\n"},
    {"order_whole_partitioned", "examples/matmul.ein", NULL,
     "mapping:\n  partitioning:\n    C:\n      m: uniform_shape(16)\n  loop-order:\n"
     "    C: [m, n]\n  spacetime:\n    C:\n      space: [m0, n]\n      time: [m1]\n",
     "6:8: error: 'C': the partitioned rank 'm' must appear once as m1 (time) and once as m0 "
     "(space) in its loop order\n"},
    {"space_outer", "examples/matmul.ein", NULL,
     "mapping:\n  partitioning:\n    C:\n      m: uniform_shape(16)\n  spacetime:\n    C:\n"
     "      space: [m1, n]\n      time: []\n",
     "7:14: error: spacetime: C: a space rank is whole or var0, not var1\n"},
    {"three_space", "examples/mamba_scan.ein", NULL,
     "mapping:\n  spacetime:\n    h:\n      space: [l, e, n]\n      time: []\n",
     "4:14: error: spacetime: h: at most two space ranks (a tile's rows and columns), not 3\n"},
    {"double_buffer_yes", "examples/matmul.ein", NULL, "mapping:\n  double-buffer:\n    C: yes\n",
     "3:8: error: double-buffer: expected true or false\n"},
    /* The tile pass: a scan's recurrence. */
    {"scan_time_not_space", "examples/mamba_scan.ein", NULL,
     "mapping:\n  spacetime:\n    h:\n      space: [e, n]\n      time: [l]\n",
     "4:7: error: 'h' is a recurrence along 'l' on the scan unit: 'l' must be the space rank on "
     "its tiles' rows (spacetime space: [l0, ...] or [l, ...])\n"},
    {"scan_time_on_columns", "examples/mamba_scan.ein", NULL,
     "mapping:\n  spacetime:\n    h:\n      space: [e, l]\n      time: [n]\n",
     "4:7: error: 'h' is a recurrence along 'l' on the scan unit: 'l' must be the space rank on "
     "its tiles' rows (spacetime space: [l0, ...] or [l, ...])\n"},
    /* loop-order first in the file: the message points at it (see the
     * report on partitioning first). */
    {"scan_l1_not_innermost", "examples/mamba_scan.ein", NULL,
     "mapping:\n  loop-order:\n    h: [n, l1, e1, l0, e0]\n  partitioning:\n    h:\n"
     "      l: uniform_shape(16)\n      e: uniform_shape(8)\n  spacetime:\n    h:\n"
     "      space: [l0, e0]\n      time: [n, l1, e1]\n",
     "3:8: error: 'h' carries its state from one 'l' tile to the next: l1 must be the innermost "
     "time loop of its loop-order\n"},
    /* The backend: a tile too large for arch/small.yaml's buffer. */
    {"backend_tile_too_large", "examples/matmul.ein", "arch/small.yaml",
     "mapping:\n  partitioning:\n    C:\n      m: uniform_shape(4096)\n"
     "      n: uniform_shape(4096)\n  spacetime:\n    C:\n      space: [m0, n0]\n"
     "      time: [m1, n1]\n",
     "4:7: error: a tile of the Einsum defining 'C' (64 rows x 32 columns = 2048 words) does not "
     "fit a tile slot of 160 words: the buffer's 960 words for tiles (buffer.bytes = 4096) hold 6 "
     "slots for this Einsum, and an instruction takes at most 32768 rows and 32768 columns\n"},
    /* fused_groups. */
    {"group_reduction", "examples/mamba1_layer.ein", NULL,
     "fused_groups:\n  - [x, xc]\n" MAMBA1_GROUPS_AFTER_XC,
     "2:5: error: fused_groups: 'xc' reads 'x' inside a reduction over 'k': fusing would recompute "
     "it for every value of the reduction\n"},
    {"group_output", "@outprod", NULL, "fused_groups:\n  - [a, b]\n",
     "2:5: error: fused_groups: 'a' is an output of the model: it must reach DRAM, so it cannot "
     "be fused into a later Einsum\n"},
    {"group_read_outside", "@shared", NULL, "fused_groups:\n  - [t, a]\n  - [b]\n",
     "2:5: error: fused_groups: 't' is also read by 'b', which is not a later member of its "
     "group\n"},
    {"group_reader_elsewhere", "examples/mamba_scan.ein", NULL,
     "fused_groups:\n  - [dA, dBu]\n  - [h]\n  - [y]\n",
     "2:5: error: fused_groups: 'dA' is also read by 'h', which is not a later member of its "
     "group\n"},
    {"group_not_scan", "@notscan", NULL, "fused_groups:\n  - [h, y]\n",
     "2:5: error: fused_groups: 'h' is a recurrence that does not have the scan form h[t] = "
     "A*h[t-1] + B: only a scan can be fused with its reader\n"},
    {"group_scan_two_readers", "@scan2", NULL, "fused_groups:\n  - [h, y]\n  - [w]\n",
     "2:5: error: fused_groups: the scan 'h' is read 2 times: it is fused only into its one "
     "reader (and one Einsum that takes its final state)\n"},
    /* The scan read out in y's tiles: its time tiles innermost (loop-order
     * first in the file, see scan_l1_not_innermost). */
    {"readout_l1_not_innermost", "examples/mamba_scan.ein", NULL,
     "mapping:\n  loop-order:\n    y: [l1, e1, l0, e0]\n  partitioning:\n    y:\n"
     "      l: uniform_shape(16)\n      e: uniform_shape(4)\n  spacetime:\n    y:\n"
     "      space: [l0, e0]\n      time: [l1, e1]\nfused_groups: [[dA, dBu, h, y]]\n",
     "3:8: error: 'y' reads out the scan 'h', whose state goes from one 'l' tile to the next: l1 "
     "must be the innermost time loop of its loop-order\n"},
    {"group_order", "examples/mamba_scan.ein", NULL, "fused_groups:\n  - [dBu, dA, h]\n  - [y]\n",
     "2:11: error: fused_groups: a group lists its Einsums in program order ('dA' comes before "
     "'dBu')\n"},
    {"group_twice", "examples/mamba_scan.ein", NULL,
     "fused_groups:\n  - [dA, dBu, h]\n  - [h, y]\n",
     "3:6: error: fused_groups: 'h' is in two groups\n"},
    {"group_missing", "examples/mamba_scan.ein", NULL, "fused_groups:\n  - [dA, dBu, h]\n",
     "2:3: error: fused_groups: 'y' is in no group (every Einsum is in exactly one)\n"},
    {"group_empty", "examples/mamba_scan.ein", NULL, "fused_groups:\n  - []\n  - [dA, dBu, h, y]\n",
     "2:5: error: fused_groups: an empty group\n"},
    {"group_input", "examples/mamba_scan.ein", NULL,
     "fused_groups:\n  - [u, dA, dBu, h]\n  - [y]\n",
     "2:6: error: fused_groups: 'u' is an input: only tensors an Einsum defines are mapped\n"},
    {"group_conv", "@conv", NULL, "fused_groups:\n  - [x, xc]\n",
     "2:5: error: fused_groups: 'xc' reads 'x' inside a reduction over 'k': fusing would "
     "recompute it for every value of the reduction\n"},
    {"group_halo", "@shift", NULL, "fused_groups:\n  - [x, y]\n",
     "2:5: error: fused_groups: 'y' reads 'x' outside its range along dimension 1 (an offset read "
     "such as x[l - 1]): fusing it would need a halo of neighbouring values, which is not "
     "implemented yet\n"},
    /* Review fixes: the ranks are listed; a key twice at the top; a scan
     * whose reader does not end the group. */
    {"unknown_rank", "examples/matmul.ein", NULL, "mapping:\n  loop-order:\n    C: [m, q]\n",
     "3:12: error: loop-order: C: 'q' is not a rank of 'C' (its left-hand ranks are m, n, and "
     "NAME1, NAME0 for a partitioned one)\n"},
    /* libyaml puts an error at the end of a file without a last newline one
     * line past it (found by the fuzzer): the end of the last line. */
    {"end_of_stream", "examples/matmul.ein", NULL, "mapping:\n  loop-order:\n    C: [m, n]\nlet M",
     "4:6: error: could not find expected ':'\n"},
    {"group_recompute", "examples/mamba2_ssd.ein", NULL,
     "fused_groups:\n  - [dt]\n  - [decay, s]\n  - [y]\n",
     "3:5: error: fused_groups: 's' reads 'decay' at indices without its rank 'p': fusing would "
     "compute 'decay' again for every value of 'p'\n"},
    /* A key quoted with a control character in it (found by the fuzzer). */
    {"control_char_key", "examples/matmul.ein", NULL, "mappin\tg: {}\n",
     "1:1: error: unknown key 'mappin\\x09g' (expected mapping or fused_groups)\n"},
    /* YAML ends lines at a lone carriage return too; einc's places count
     * '\n' only, as for programs (found by the fuzzer). */
    {"carriage_returns", "examples/matmul.ein", NULL, "mapping:\r\r  bogus: {}\n",
     "1:13: error: mapping: unknown key 'bogus' (expected partitioning, loop-order, spacetime, "
     "double-buffer or epilogue)\n"},
    {"top_key_twice", "examples/matmul.ein", NULL, "fused_groups: [[C]]\nfused_groups: [[C]]\n",
     "2:1: error: 'fused_groups' appears twice\n"},
    /* y reads the scan and is read by out inside its reduction: y cannot be
     * inlined into out, so the scan's reader would not end the group. */
    {"scan_reader_not_last", "examples/mamba1_layer.ein", NULL,
     "fused_groups:\n  - [x]\n  - [z]\n  - [xc]\n  - [dtr]\n  - [Bm]\n  - [Cm]\n  - [dt]\n"
     "  - [dA, dBu, h, y, yg, out]\n",
     "9:5: error: fused_groups: 'out' reads 'yg' inside a reduction over 'e': fusing would "
     "recompute it for every value of the reduction\n"},
    /* Not a mapping file. */
    {"malformed", "examples/matmul.ein", NULL,
     "mapping:\n  loop-order:\n    C: [m, n\n  spacetime: {}\n",
     "4:12: error: did not find expected ',' or ']'\n"},
    {"tab", "examples/matmul.ein", NULL, "mapping:\n\tpartitioning: {}\n",
     "2:1: error: found character that cannot start any token\n"},
    {"empty", "examples/matmul.ein", NULL, "", "1:1: error: the mapping file is empty\n"},
    {"only_comment", "examples/matmul.ein", NULL, "# nothing\n",
     "1:1: error: the mapping file is empty\n"},
    {"two_documents", "examples/matmul.ein", NULL, "mapping: {}\n---\nmapping: {}\n",
     "2:1: error: only one YAML document is allowed\n"},
};
#define NBAD_MAPPINGS (int)(sizeof bad_mappings / sizeof bad_mappings[0])

static char *model_path(const char *dir, const char *model) {
  if (model[0] == '@') {
    for (int i = 0; i < NPROGRAMS; i++)
      if (strcmp(programs[i].name, model + 1) == 0) {
        char *path = str_printf("%s/%s.ein", dir, programs[i].name);
        write_text(path, programs[i].text);
        return path;
      }
    ck_abort_msg("no program %s", model);
  }
  return strdup(model);
}

/* compile (and, but for the backend's errors, dump) refuses the file: exit 1, the exact message, no
 * output. */
START_TEST(test_bad_mapping) {
  const BadMapping *b = &bad_mappings[_i];
  char *dir = temp_dir();
  char *model = model_path(dir, b->model);
  char *file = str_printf("%s/%s.yaml", dir, b->name);
  char *ebin = str_printf("%s/out.ebin", dir);
  char *err = str_printf("%s:%s", file, b->err);
  write_text(file, b->yaml);
  const char *arch = b->arch ? b->arch : "arch/default.yaml";
  Run r = run_einc(test_srcdir(), ARGS("compile", model, "--target", "accel", "--arch", arch,
                                       "--mapping", file, "-o", ebin));
  ck_assert_msg(r.status == 1, "%s: exit status %d, stderr:\n%s", b->name, r.status, r.err);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, err);
  ck_assert_msg(access(ebin, F_OK) != 0, "%s: %s was written", b->name, ebin);
  run_free(&r);
  /* dump runs no backend: what the backend refuses, it prints. */
  if (strncmp(b->name, "backend_", 8) != 0) {
    r = run_einc(test_srcdir(), ARGS("dump", model, "--target", "accel", "--arch", arch,
                                     "--mapping", file, "--format", "mapping"));
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err, err);
    run_free(&r);
  }
  free(err);
  free(ebin);
  free(file);
  free(model);
  remove_dir(dir);
  free(dir);
}
END_TEST

/* A reader's error is the same on the CPU target, and check reports it once. */
START_TEST(test_bad_mapping_cpu) {
  char *dir = temp_dir();
  char *file = str_printf("%s/m.yaml", dir);
  write_text(file, "mapping:\n  loop-order:\n    D: [m, n]\n");
  char *err = str_printf("%s:3:5: error: loop-order: the model has no tensor 'D'\n", file);
  Run r = run_einc(test_srcdir(), ARGS("run", "examples/matmul.ein", "--target", "cpu", "--mapping",
                                       file, "--outdir", dir));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, err);
  run_free(&r);
  r = run_einc(test_srcdir(), ARGS("check", "examples/matmul.ein", "--mapping", file));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, err);
  run_free(&r);
  free(err);
  free(file);
  remove_dir(dir);
  free(dir);
}
END_TEST

/* A missing file: the message has no line. */
START_TEST(test_missing_mapping) {
  char *dir = temp_dir();
  char *file = str_printf("%s/none.yaml", dir);
  char *err = str_printf("%s: error: cannot open: No such file or directory\n", file);
  Run r = run_einc(test_srcdir(), ARGS("compile", "examples/matmul.ein", "--target", "accel",
                                       "--mapping", file, "-o", "/nonexistent/x.ebin"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, err);
  run_free(&r);
  r = run_einc(test_srcdir(), ARGS("check", "examples/matmul.ein", "--mapping", file));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, err);
  run_free(&r);
  free(err);
  free(file);
  remove_dir(dir);
  free(dir);
}
END_TEST

/* What a file does not say is left to the passes: a file that sets only
 * h's double buffering keeps h's default tiles (its channels along n, the
 * stored state's contiguous rank) and auto's fusion of dA and dBu into h;
 * groups listed out of program order are kept in program order. */
START_TEST(test_partial_mapping) {
  char *dir = temp_dir();
  char *file = str_printf("%s/m.yaml", dir);
  write_text(file, "mapping:\n  double-buffer: {h: false}\nfused_groups: [[y], [dA, dBu, h]]\n");
  Run r = run_einc(test_srcdir(), ARGS("dump", "examples/mamba_scan.ein", "--target", "accel",
                                       "--format", "mapping", "--mapping", file));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_msg(strstr(r.out, "    h:\n      space: [l, n]\n      time: [e]\n") != NULL, "%s",
                r.out);
  ck_assert_msg(strstr(r.out, "  double-buffer:\n    h: false\n    y: true\n") != NULL, "%s",
                r.out);
  ck_assert_msg(strstr(r.out, "fused_groups:\n  - [dA, dBu, h]\n  - [y]\n") != NULL, "%s", r.out);
  run_free(&r);
  free(file);
  remove_dir(dir);
  free(dir);
}
END_TEST

/* The groups --fusion auto forms: Mamba-1's prefill reads its scan out in
 * the tiles of yz, into which y is inlined, although ssm_state = h[L - 1]
 * reads it too (the final state is stored from chip); the out_proj
 * contraction mix is inlined into the residual out (its epilogue); Mamba-2's dt and decay are not
 * inlined into the scan, which would compute them again for every (p, n), nor is its scan read out
 * (128 states per channel leave tiles too narrow for the scan unit). */
START_TEST(test_auto_groups) {
  Run r = run_einc(test_srcdir(), ARGS("dump", "examples/mamba1/prefill.ein", "--target", "accel",
                                       "--format", "mapping"));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_msg(strstr(r.out, "  - [dA, dBu, h, y, yz]\n  - [mix, out]\n") != NULL, "%s", r.out);
  run_free(&r);
  r = run_einc(test_srcdir(), ARGS("dump", "examples/mamba2_ssd.ein", "--target", "accel",
                                   "--format", "mapping", "-D", "N=128", "-D", "P=64"));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_msg(strstr(r.out, "fused_groups:\n  - [dt]\n  - [decay]\n  - [s]\n  - [y]\n") != NULL,
                "%s", r.out);
  run_free(&r);
}
END_TEST

/* The review of the fusion work (each failed before its fix): a scan read
 * out under a reduction around the sum, or summed over a rank it lacks,
 * was stepped once per evaluation (wrong numbers from the second time tile
 * on); a scan h[t-1] + B read its missing A as one word of the constant
 * pool (wrong in every channel past the first); check's reference was
 * built from the accelerator's fused cascade, so a type the CPU refuses was
 * fused away on both sides; a rank-17 output overflowed the .npy writer. */
static const char *const review_programs[][2] = {
    {"nested.ein", "let L = 40, E = 4, N = 4, K = 3\ninput a[L, E, N]\ninput b[L, E, N]\n"
                   "input C[L, N]\ninput w[K]\noutput y[L, E]\n"
                   "h[l, e, n] = a[l, e, n] * h[l-1, e, n] + b[l, e, n]\n"
                   "y[l, e] = max(k: w[k] * sum(n: h[l, e, n] * C[l, n]))\n"},
    {"extra_rank.ein", "let L = 45, E = 11, N = 5, K = 3\ninput a[L, E, N]\ninput b[L, E, N]\n"
                       "input C[L, N]\ninput w[K]\noutput y[L, E]\n"
                       "h[l, e, n] = a[l, e, n] * h[l-1, e, n] + b[l, e, n]\n"
                       "y[l, e] = sum(n, k: h[l, e, n] * C[l, n] * w[k])\n"},
    {"no_a.ein",
     "let L = 10, E = 4\ninput b[L, E]\noutput h[L, E]\nh[l, e] = h[l-1, e] + b[l, e]\n"},
};

/* An Einsum of more than 64 ranks: its mapping lists every rank (the tiling
 * pass kept at most 64), reads back (the reader held at most 64) to the
 * same binary, and einc check names the worst element by all 70 indices
 * (it printed stack garbage past 64). */
START_TEST(test_rank_seventy) {
  char *dir = temp_dir();
  char *model = str_printf("%s/r70.ein", dir), *map = str_printf("%s/r70.yaml", dir);
  char *s1 = str_printf("%s/a.s", dir), *s2 = str_printf("%s/b.s", dir);
  char text[4096] = "input x[2, 2, 2", lhs[2048] = "v0, v1, v2";
  for (int i = 3; i < 70; i++) {
    strcat(text, ", 1");
    snprintf(lhs + strlen(lhs), sizeof lhs - strlen(lhs), ", v%d", i);
  }
  char program[8192];
  snprintf(program, sizeof program, "%s]\noutput y%s]\ny[%s] = x[%s] * 2\n", text, text + 7, lhs,
           lhs);
  write_text(model, program);
  Run r = expect_ok(ARGS("dump", model, "--target", "accel", "--format", "mapping", "-o", map));
  run_free(&r);
  size_t n;
  char *yaml = read_whole_file(map, &n);
  ck_assert_msg(strstr(yaml, "v69") != NULL, "%s", yaml);
  free(yaml);
  r = expect_ok(ARGS("disasm", model, "-o", s1));
  run_free(&r);
  r = expect_ok(ARGS("disasm", model, "--mapping", map, "-o", s2));
  run_free(&r);
  ck_assert(same_file(s1, s2));
  r = run_einc(test_srcdir(), ARGS("check", model, "--mapping", map));
  ck_assert_msg(r.status == 0, "%s", r.err);
  char zeros[512] = "worst at [0";
  for (int i = 1; i < 70; i++)
    strcat(zeros, ", 0");
  strcat(zeros, "] (f64");
  ck_assert_msg(strstr(r.out, zeros) != NULL, "%s", r.out);
  run_free(&r);
  free(model);
  free(map);
  free(s1);
  free(s2);
  remove_dir(dir);
  free(dir);
}
END_TEST

START_TEST(test_review_regressions) {
  char *dir = temp_dir();
  for (size_t i = 0; i < sizeof review_programs / sizeof review_programs[0]; i++) {
    char *model = str_printf("%s/%s", dir, review_programs[i][0]);
    write_text(model, review_programs[i][1]);
    for (int small = 0; small < 2; small++) {
      Run r = small ? run_einc(test_srcdir(), ARGS("check", model, "--arch", "arch/small.yaml"))
                    : run_einc(test_srcdir(), ARGS("check", model));
      ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
      run_free(&r);
    }
    free(model);
  }
  /* 17 reduced variables: first an internal error, then a limit of 16,
   * now stepped like any number of them (issue 14). */
  char *many = str_printf("%s/many.ein", dir);
  write_text(many, "input x[2, 2, 2, 2, 2, 2]\ninput z[2, 2, 2, 2, 2, 2]\n"
                   "input w[2, 2, 2, 2, 2]\noutput y[1]\n"
                   "y[i] = sum(a, b, c, d, e, f, g, h, j, k, l, m, n, o, p, q, r: "
                   "x[a, b, c, d, e, f] * z[g, h, j, k, l, m] * w[n, o, p, q, r])\n");
  Run rm = run_einc(test_srcdir(), ARGS("check", many));
  ck_assert_msg(rm.status == 0, "%s%s", rm.out, rm.err);
  run_free(&rm);
  free(many);
  char *typed = str_printf("%s/typed.ein", dir);
  write_text(typed, "input x[8]\ntensor p[8] : i32\noutput y[8]\np[i] = x[i] * 10\n"
                    "y[i] = p[i] + 0.5\n");
  Run r = run_einc(test_srcdir(), ARGS("check", typed));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.err, "einc: tensor 'p' is i32; the cpu target supports only f32 (not yet "
                          "i32)\n");
  run_free(&r);
  char *wide = str_printf("%s/wide.ein", dir);
  write_text(wide, "input x[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
                   "output y[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
                   "y[a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q] = "
                   "x[a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q] + 1\n");
  r = run_einc(test_srcdir(), ARGS("run", wide, "--target", "cpu", "--outdir", dir));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.err, "einc: output 'y' has rank 17; its .npy file can hold at most 16\n");
  run_free(&r);
  free(typed);
  free(wide);
  remove_dir(dir);
  free(dir);
}
END_TEST

/* A reduction chunk too large for arch/small.yaml's slot, reported at the
 * mapping file's line. */
START_TEST(test_chunk_too_large) {
  char *dir = temp_dir();
  char *file = str_printf("%s/m.yaml", dir);
  char *ebin = str_printf("%s/out.ebin", dir);
  write_text(file, "mapping:\n  partitioning:\n    C:\n      m: uniform_shape(8)\n"
                   "      n: uniform_shape(8)\n      k: uniform_shape(48)\n  spacetime:\n"
                   "    C:\n      space: [m0, n0]\n      time: [m1, n1]\n");
  Run r = run_einc(test_srcdir(), ARGS("compile", "examples/matmul.ein", "--target", "accel",
                                       "--arch", "arch/small.yaml", "--mapping", file, "-o", ebin));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_int_eq(count_char(r.err, '\n'), 1);
  /* At the mapping's line: the file set the chunk. */
  ck_assert_msg(strstr(r.err, "m.yaml:4:7: error: the Einsum defining 'C' reduces over 'k' 48 "
                              "values at a time: beside 8 rows or columns of its tile that is 384 "
                              "words, more than a tile slot's 160 (the buffer's 960 words for "
                              "tiles in 6 slots, buffer.bytes = 4096); partition 'k' smaller in "
                              "the mapping\n") != NULL,
                "%s", r.err);
  ck_assert_msg(access(ebin, F_OK) != 0, "%s was written", ebin);
  run_free(&r);
  free(ebin);
  free(file);
  remove_dir(dir);
  free(dir);
}
END_TEST

/* ---- hand-written mappings --------------------------------------------------------- */

typedef struct HandMapping {
  const char *name; /* tests/golden/NAME and examples/NAME.ein */
  const char *yaml;
  const char *shows[3]; /* text the printed mapping holds */
} HandMapping;

static const HandMapping hand_mappings[] = {
    /* Tiles of 8 x 4, k in chunks of 8, the column tiles outermost, single
     * buffered (the default: whole on arch/default.yaml, 15 x 8 tiles with
     * rows outermost on arch/small.yaml, double buffered). */
    {"matmul",
     "mapping:\n"
     "  partitioning:\n"
     "    C:\n"
     "      m: uniform_shape(8)\n"
     "      n: uniform_shape(4)\n"
     "      k: uniform_shape(8)\n"
     "  loop-order:\n"
     "    C: [n1, m1, m0, n0]\n"
     "  spacetime:\n"
     "    C:\n"
     "      space: [m0, n0]\n"
     "      time: [n1, m1]\n"
     "  double-buffer:\n"
     "    C: false\n",
     {"    C: [n1, m1, m0, n0]\n", "  double-buffer:\n    C: false\n", "fused_groups:\n  - [C]\n"}},
    /* The scan in 8 x 8 tiles with the channel tiles outermost (l1 still the
     * innermost time loop), the readout in 16 x 4 tiles over chunks of 4
     * states, nothing double buffered; the producers fused into h. */
    {"mamba_scan",
     "mapping:\n"
     "  partitioning:\n"
     "    h:\n"
     "      l: uniform_shape(8)\n"
     "      e: uniform_shape(8)\n"
     "    y:\n"
     "      l: uniform_shape(16)\n"
     "      e: uniform_shape(4)\n"
     "      n: uniform_shape(4)\n"
     "  loop-order:\n"
     "    h: [e1, n, l1, l0, e0]\n"
     "    y: [e1, l1, l0, e0]\n"
     "  spacetime:\n"
     "    h:\n"
     "      space: [l0, e0]\n"
     "      time: [e1, n, l1]\n"
     "    y:\n"
     "      space: [l0, e0]\n"
     "      time: [e1, l1]\n"
     "  double-buffer:\n"
     "    h: false\n"
     "    y: false\n"
     "fused_groups: [[dA, dBu, h], [y]]\n",
     {"    h: [e1, n, l1, l0, e0]\n", "  double-buffer:\n    h: false\n    y: false\n",
      "fused_groups:\n  - [dA, dBu, h]\n  - [y]\n"}},
    /* The same tiles with the scan read out in y's tiles (the default's
     * group), h never stored. */
    {"mamba_scan",
     "mapping:\n"
     "  partitioning:\n"
     "    y:\n"
     "      l: uniform_shape(16)\n"
     "      e: uniform_shape(4)\n"
     "      n: uniform_shape(4)\n"
     "  loop-order:\n"
     "    y: [e1, l1, l0, e0]\n"
     "  spacetime:\n"
     "    y:\n"
     "      space: [l0, e0]\n"
     "      time: [e1, l1]\n"
     "  double-buffer:\n"
     "    y: false\n"
     "fused_groups: [[dA, dBu, h, y]]\n",
     {"    y: [e1, l1, l0, e0]\n", "    y: false\n", "fused_groups:\n  - [dA, dBu, h, y]\n"}},
};
#define NHAND (int)(sizeof hand_mappings / sizeof hand_mappings[0])

/* _i: the mapping (_i / NARCHES) on the arch file (_i % NARCHES). */
START_TEST(test_hand_mapping) {
  const HandMapping *h = &hand_mappings[_i / NARCHES];
  const char *arch = arches[_i % NARCHES];
  const char *src = test_srcdir();
  char *dir = temp_dir();
  char *file = str_printf("%s/m.yaml", dir);
  write_text(file, h->yaml);
  char *model = str_printf("examples/%s.ein", h->name);

  /* The file is what the mapping is. */
  Run d = expect_ok(ARGS("dump", model, "--target", "accel", "--arch", arch, "--mapping", file,
                         "--format", "mapping"));
  for (int i = 0; i < 3; i++)
    ck_assert_msg(strstr(d.out, h->shows[i]) != NULL, "no '%s' in\n%s", h->shows[i], d.out);
  run_free(&d);

  /* The accelerator agrees with the CPU. */
  Run c = expect_ok(ARGS("check", model, "--arch", arch, "--mapping", file));
  const char *last = "check: all 1 output within tolerance\n";
  size_t n = strlen(c.out);
  ck_assert_msg(n >= strlen(last) && strcmp(c.out + n - strlen(last), last) == 0, "%s", c.out);
  run_free(&c);

  /* And with the golden fixtures. */
  char *in_dir = str_printf("%s/tests/golden/%s/in", src, h->name);
  char *out_dir = str_printf("%s/tests/golden/%s/out", src, h->name);
  int nin;
  char **inputs = list_files(in_dir, ".npy", &nin);
  ck_assert_ptr_nonnull(inputs);
  ck_assert_int_gt(nin, 0);
  ck_assert_int_le(nin, 8);
  const char *args[32];
  char *owned[8];
  int na = 0;
  const char *fixed[] = {"run", model,       "--target", "accel",    "--arch",
                         arch,  "--mapping", file,       "--outdir", dir};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    args[na++] = fixed[i];
  for (int i = 0; i < nin; i++) {
    owned[i] = str_printf("%.*s=%s/%s", (int)strlen(inputs[i]) - 4, inputs[i], in_dir, inputs[i]);
    args[na++] = "--input";
    args[na++] = owned[i];
  }
  args[na] = NULL;
  Run r = expect_ok(args);
  run_free(&r);
  for (int i = 0; i < nin; i++)
    free(owned[i]);
  free_names(inputs);
  int nout;
  char **outputs = list_files(out_dir, ".npy", &nout);
  ck_assert_ptr_nonnull(outputs);
  ck_assert_int_gt(nout, 0);
  for (int i = 0; i < nout; i++) {
    char *e = str_printf("%s/%s", out_dir, outputs[i]);
    char *g = str_printf("%s/%s", dir, outputs[i]);
    golden_compare_files("hand-written mapping", e, g);
    free(e);
    free(g);
  }
  free_names(outputs);

  /* The mapping was used: the binary is not the default one. */
  char *a = str_printf("%s/a.ebin", dir);
  char *b = str_printf("%s/b.ebin", dir);
  compile_accel(model, arch, "auto", NULL, a);
  compile_accel(model, arch, "auto", file, b);
  ck_assert_msg(!same_file(a, b), "%s on %s: the hand-written mapping gave the default binary",
                h->name, arch);
  free(a);
  free(b);

  free(in_dir);
  free(out_dir);
  free(model);
  free(file);
  remove_dir(dir);
  free(dir);
}
END_TEST

/* ---- fused_groups against --fusion --------------------------------------------------- */

/* The fused_groups section of a printed mapping. */
static char *groups_of(const char *mapping) {
  const char *p = strstr(mapping, "\nfused_groups:\n");
  ck_assert_msg(p != NULL, "no fused_groups in\n%s", mapping);
  return strdup(p + 1);
}

/* _i: the arch file. A file's groups override --fusion: auto's groups under
 * none give auto's binary, singletons under auto none's, and a group other
 * than auto's another binary. */
START_TEST(test_fused_groups) {
  const char *arch = arches[_i];
  const char *model = "examples/mamba_scan.ein";
  char *dir = temp_dir();
  char *autos = str_printf("%s/auto.yaml", dir);
  char *apart = str_printf("%s/apart.yaml", dir);
  char *scan = str_printf("%s/scan.yaml", dir);
  Run d =
      expect_ok(ARGS("dump", model, "--target", "accel", "--arch", arch, "--format", "mapping"));
  char *groups = groups_of(d.out);
  run_free(&d);
  /* dA and dBu are fused into the scan whatever else is. */
  ck_assert_msg(strncmp(groups, "fused_groups:\n  - [dA, dBu, h", 29) == 0, "%s", groups);
  write_text(autos, groups);
  write_text(apart, "fused_groups: [[dA], [dBu], [h], [y]]\n");
  write_text(scan, "fused_groups:\n  - [dA, dBu, h]\n  - [y]\n");
  char *b[6];
  for (int i = 0; i < 6; i++)
    b[i] = str_printf("%s/%d.ebin", dir, i);
  compile_accel(model, arch, "none", autos, b[0]);
  compile_accel(model, arch, "auto", NULL, b[1]);
  compile_accel(model, arch, "auto", apart, b[2]);
  compile_accel(model, arch, "none", NULL, b[3]);
  compile_accel(model, arch, "none", scan, b[4]);
  compile_accel(model, arch, "auto", scan, b[5]);
  ck_assert_msg(same_file(b[0], b[1]), "%s: auto's groups under --fusion none are not auto", arch);
  ck_assert_msg(same_file(b[2], b[3]), "%s: singleton groups under --fusion auto are not none",
                arch);
  ck_assert_msg(same_file(b[4], b[5]), "%s: the file's groups depend on --fusion", arch);
  ck_assert_msg(!same_file(b[1], b[3]), "%s: fusion changed nothing", arch);
  ck_assert_msg(!same_file(b[4], b[3]), "%s: [[dA, dBu, h], [y]] is not fused", arch);
  if (strcmp(groups, "fused_groups:\n  - [dA, dBu, h]\n  - [y]\n") != 0)
    ck_assert_msg(!same_file(b[4], b[1]), "%s: [[dA, dBu, h], [y]] gave auto's binary", arch);
  /* The file's groups are the ones printed. */
  d = expect_ok(ARGS("dump", model, "--target", "accel", "--arch", arch, "--fusion", "none",
                     "--mapping", autos, "--format", "mapping"));
  char *again = groups_of(d.out);
  ck_assert_str_eq(again, groups);
  free(again);
  run_free(&d);
  d = expect_ok(ARGS("dump", model, "--target", "accel", "--arch", arch, "--mapping", apart,
                     "--format", "mapping"));
  ck_assert_ptr_nonnull(strstr(d.out, "\nfused_groups:\n  - [dA]\n  - [dBu]\n  - [h]\n  - [y]\n"));
  run_free(&d);
  for (int i = 0; i < 6; i++)
    free(b[i]);
  free(groups);
  free(autos);
  free(apart);
  free(scan);
  remove_dir(dir);
  free(dir);
}
END_TEST

/* ---- dump --after ------------------------------------------------------------------- */

/* The lines of text that are not comments or empty. */
static char *program_lines(const char *text) {
  char *out = malloc(strlen(text) + 1);
  ck_assert_ptr_nonnull(out);
  size_t n = 0;
  for (const char *p = text; *p;) {
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > 0 && p[0] != '#') {
      memcpy(out + n, p, len);
      n += len;
      out[n++] = '\n';
    }
    p += len + (end != NULL);
  }
  out[n] = '\0';
  return out;
}

/* The mapping in the comments, from the line "# # einc mapping", its "# "
 * taken off; NULL if there is none. */
static char *mapping_comment(const char *text) {
  const char *p = strstr(text, "\n# # einc mapping for ");
  if (!p)
    return NULL;
  p++;
  char *out = malloc(strlen(p) + 1);
  ck_assert_ptr_nonnull(out);
  size_t n = 0;
  while (*p) {
    ck_assert_msg(p[0] == '#' && (p[1] == ' ' || p[1] == '\n'), "not a comment: %.40s", p);
    p += p[1] == ' ' ? 2 : 1;
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p + 1) : strlen(p);
    memcpy(out + n, p, len);
    n += len;
    p += len;
  }
  out[n] = '\0';
  return out;
}

/* _i: 0 the CPU target, 1 the accelerator. */
START_TEST(test_dump_after) {
  const char *target = _i ? "accel" : "cpu";
  const char *model = "examples/mamba_scan.ein";
  Run r = run_einc(test_srcdir(), ARGS("dump", model, "--after", "nope"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_str_eq(r.out, "");
  const char *prefix = "einc: unknown pass 'nope'; passes: ";
  ck_assert_msg(strncmp(r.err, prefix, strlen(prefix)) == 0, "%s", r.err);
  ck_assert_str_eq(r.err + strlen(prefix), "parse map fuse tile epilogue lower\n");
  char *list = strdup(r.err + strlen(prefix));
  run_free(&r);

  char *dir = temp_dir();
  int npasses = 0;
  for (char *save, *pass = strtok_r(list, " \n", &save); pass;
       pass = strtok_r(NULL, " \n", &save)) {
    npasses++;
    bool parse = strcmp(pass, "parse") == 0, lower = strcmp(pass, "lower") == 0;
    Run d = expect_ok(ARGS("dump", model, "--target", target, "--after", pass));
    char *comment = mapping_comment(d.out);
    if (parse) {
      ck_assert_msg(comment == NULL, "a mapping after parse:\n%s", d.out);
      Run m = run_einc(test_srcdir(), ARGS("dump", model, "--target", target, "--after", pass,
                                           "--format", "mapping"));
      ck_assert_int_eq(m.status, 2);
      ck_assert_str_eq(m.err, "einc: there is no mapping yet after 'parse'\n");
      run_free(&m);
    } else {
      ck_assert_msg(comment != NULL, "no mapping after %s:\n%s", pass, d.out);
      Run m = expect_ok(
          ARGS("dump", model, "--target", target, "--after", pass, "--format", "mapping"));
      ck_assert_str_eq(comment, m.out);
      run_free(&m);
    }
    if (lower) {
      ck_assert_msg(strncmp(d.out, "# einc loop IR", 14) == 0, "%s", d.out);
    } else {
      /* The text form is a .ein program that reads back to itself. */
      ck_assert_msg(strncmp(d.out, "# einc cascade IR", 17) == 0, "%s", d.out);
      char *again = str_printf("%s/after_%s.ein", dir, pass);
      write_text(again, d.out);
      Run a = expect_ok(ARGS("dump", again, "--after", "parse"));
      char *want = program_lines(d.out), *got = program_lines(a.out);
      ck_assert_str_eq(got, want);
      free(want);
      free(got);
      run_free(&a);
      free(again);
    }
    /* After fuse the producers are gone into h. */
    if (!parse && !lower && strcmp(pass, "map") != 0)
      ck_assert_msg(strstr(d.out, "\ndA[l, e, n] =") == NULL &&
                        strstr(d.out, "h[l, e, n] = exp(") != NULL,
                    "after %s:\n%s", pass, d.out);
    free(comment);
    run_free(&d);
  }
  ck_assert_int_eq(npasses, 6);
  free(list);
  remove_dir(dir);
  free(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("mapping");
  TCase *tc = tcase_create("round trip");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_round_trip, 0, 2 * NARCHES);
  suite_add_tcase(s, tc);
  tc = tcase_create("errors");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_bad_mapping, 0, NBAD_MAPPINGS);
  tcase_add_test(tc, test_bad_mapping_cpu);
  tcase_add_test(tc, test_missing_mapping);
  tcase_add_test(tc, test_chunk_too_large);
  tcase_add_test(tc, test_partial_mapping);
  tcase_add_test(tc, test_auto_groups);
  tcase_add_test(tc, test_review_regressions);
  tcase_add_test(tc, test_rank_seventy);
  suite_add_tcase(s, tc);
  tc = tcase_create("hand-written");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_hand_mapping, 0, NHAND * NARCHES);
  tcase_add_loop_test(tc, test_fused_groups, 0, NARCHES);
  suite_add_tcase(s, tc);
  tc = tcase_create("dump --after");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_dump_after, 0, 2);
  suite_add_tcase(s, tc);
  return run_suites(s, NULL);
}
