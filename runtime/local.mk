# The runtime: what runs programs (output files, .npy I/O, seeded inputs, the
# accelerator's ISA, architecture files, .ebin binaries, the assembler, the
# simulator), and the programs einsim and einasm.
noinst_LIBRARIES += libeincrt.a
libeincrt_a_SOURCES = runtime/outfile.c runtime/outfile.h \
	runtime/infile.c runtime/infile.h \
	runtime/npy.c runtime/npy.h \
	runtime/rng.c runtime/rng.h \
	runtime/cli.c runtime/cli.h \
	runtime/isa.c runtime/isa.h \
	runtime/loop.c runtime/loop.h \
	runtime/arch.c runtime/arch.h \
	runtime/ebin.c runtime/ebin.h \
	runtime/asm.c runtime/asm.h \
	runtime/sfu.c runtime/sfu.h \
	runtime/sim_internal.h runtime/sim.h \
	runtime/sim_check.c runtime/sim.c runtime/sim_exec.c runtime/sim_stats.c
libeincrt_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
RT_LIBS = libeincrt.a $(YAML_LIBS) -lm

bin_PROGRAMS += einsim einasm
einsim_SOURCES = runtime/einsim.c
einsim_LDADD = $(RT_LIBS)
einasm_SOURCES = runtime/einasm.c
einasm_LDADD = $(RT_LIBS)

# ---- tests of the runtime and the simulator (check) ----
SIMTEST_CPPFLAGS = $(AM_CPPFLAGS) -DEINC_SRCDIR='"$(abs_top_srcdir)"'
SIMTEST_LIBS = $(RT_LIBS) $(CHECK_LIBS)
SIMTEST_SOURCES = tests/sim/simtest.c tests/sim/simtest.h tests/testutil.c tests/testutil.h
check_PROGRAMS += tests/test_sim_units
TESTS += tests/test_sim_units
tests_test_sim_units_SOURCES = tests/test_sim_units.c $(SIMTEST_SOURCES)
tests_test_sim_units_CPPFLAGS = $(SIMTEST_CPPFLAGS)
tests_test_sim_units_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_sim_units_LDADD = $(SIMTEST_LIBS)
EXTRA_DIST += tests/sim/small.yaml

check_PROGRAMS += tests/test_sim_npy
TESTS += tests/test_sim_npy
tests_test_sim_npy_SOURCES = tests/test_sim_npy.c $(SIMTEST_SOURCES)
tests_test_sim_npy_CPPFLAGS = $(SIMTEST_CPPFLAGS)
tests_test_sim_npy_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_sim_npy_LDADD = $(SIMTEST_LIBS)

check_PROGRAMS += tests/test_sim_arch
TESTS += tests/test_sim_arch
tests_test_sim_arch_SOURCES = tests/test_sim_arch.c $(SIMTEST_SOURCES)
tests_test_sim_arch_CPPFLAGS = $(SIMTEST_CPPFLAGS)
tests_test_sim_arch_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_sim_arch_LDADD = $(SIMTEST_LIBS)

check_PROGRAMS += tests/test_ebin
TESTS += tests/test_ebin
tests_test_ebin_SOURCES = tests/test_ebin.c $(SIMTEST_SOURCES)
tests_test_ebin_CPPFLAGS = $(SIMTEST_CPPFLAGS)
tests_test_ebin_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_ebin_LDADD = $(SIMTEST_LIBS)

check_PROGRAMS += tests/test_sim_corrupt
TESTS += tests/test_sim_corrupt
tests_test_sim_corrupt_SOURCES = tests/test_sim_corrupt.c $(SIMTEST_SOURCES)
tests_test_sim_corrupt_CPPFLAGS = $(SIMTEST_CPPFLAGS)
tests_test_sim_corrupt_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_sim_corrupt_LDADD = $(SIMTEST_LIBS)

check_PROGRAMS += tests/test_sim_loop
TESTS += tests/test_sim_loop
tests_test_sim_loop_SOURCES = tests/test_sim_loop.c $(SIMTEST_SOURCES)
tests_test_sim_loop_CPPFLAGS = $(SIMTEST_CPPFLAGS)
tests_test_sim_loop_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_sim_loop_LDADD = $(SIMTEST_LIBS)

# The command-line contract of einsim and einasm (a shell script run from
# the build directory; it finds the sources from its own path).
TESTS += tests/sim/einsim_cli.sh
EXTRA_DIST += tests/sim/einsim_cli.sh tests/sim/gemm_tiles.s

# make bench-sim (part of make bench): the simulator's own speed.
EXTRA_PROGRAMS += runtime/bench_sim
runtime_bench_sim_SOURCES = runtime/bench_sim.c
runtime_bench_sim_CFLAGS = $(AM_CFLAGS) -O2
runtime_bench_sim_LDADD = $(RT_LIBS)
CLEANFILES += runtime/bench_sim$(EXEEXT)
bench-sim: runtime/bench_sim$(EXEEXT)
	@echo "command: make bench-sim  (runtime/bench_sim 4096 1024)"
	@runtime/bench_sim$(EXEEXT) 4096 1024
bench: bench-sim
.PHONY: bench-sim

# The default architecture is installed beside the programs' data.
dist_pkgdata_DATA = arch/default.yaml arch/small.yaml
EXTRA_DIST += fuzz/fuzz_ebin.c fuzz/fuzz_text.c fuzz/run.sh fuzz/fuzz_arch.yaml \
	fuzz/seeds/units.s fuzz/seeds/loops-nested.s fuzz/seeds/loops-ring.s \
	fuzz/seeds/text-asm-huge-data.bin fuzz/README.md \
	fuzz/gen_program.py fuzz/check_programs.sh fuzz/fuzz_ein.c fuzz/ein.dict \
	fuzz/seeds/ein-01-index-wraps.ein \
	fuzz/seeds/ein-02-index-overflow.ein \
	fuzz/seeds/ein-03-element-count.ein \
	fuzz/seeds/ein-04-recurrence-cuts.ein \
	fuzz/seeds/ein-05-workspace.ein \
	fuzz/seeds/ein-06-index-table.ein \
	fuzz/seeds/ein-07-long-recurrence.ein \
	fuzz/seeds/ein-08-einsum-chain.ein \
	fuzz/seeds/ein-09-deep-unary.ein \
	fuzz/seeds/ein-10-readout-mapping.ein \
	fuzz/seeds/ein-11-matmul-mapping.ein \
	fuzz/seeds/ein-12-quoted-internal-error.ein \
	fuzz/seeds/ein-13-carriage-returns.ein
