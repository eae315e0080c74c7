# make bench: benchmarks print tables; they never pass or fail on timings.
EXTRA_PROGRAMS += tests/bench/bench_cpu
tests_bench_bench_cpu_SOURCES = tests/bench/bench_cpu.c tests/bench/ref_loops.h
tests_bench_bench_cpu_CFLAGS = $(AM_CFLAGS) $(LLVM_CFLAGS)
tests_bench_bench_cpu_LDFLAGS = $(AM_LDFLAGS) $(LLVM_LDFLAGS)
tests_bench_bench_cpu_LDADD = tests/bench/ref_loops.$(OBJEXT) libeinccpu.a libeincpasses.a \
	libeincfront.a libeincir.a libeincrt.a $(LLVM_LIBS) -lopenblas -ldl -lm
EXTRA_DIST += tests/bench/ref_loops.c
CLEANFILES += tests/bench/ref_loops.$(OBJEXT) $(EXTRA_PROGRAMS)

# The reference loops are built the way the issue asks, gcc -O3 -march=native,
# whatever CFLAGS the project itself uses.
tests/bench/ref_loops.$(OBJEXT): $(srcdir)/tests/bench/ref_loops.c $(srcdir)/tests/bench/ref_loops.h
	@$(MKDIR_P) tests/bench
	$(AM_V_CC)gcc -std=c11 -O3 -march=native -c -o $@ $(srcdir)/tests/bench/ref_loops.c

bench-cpu: tests/bench/bench_cpu$(EXEEXT)
	@echo "command: make bench-cpu  (tests/bench/bench_cpu $(abs_top_srcdir))"
	@tests/bench/bench_cpu$(EXEEXT) $(abs_top_srcdir)

bench: bench-cpu
.PHONY: bench bench-cpu

# The accelerator table: every example at a realistic size, --fusion none and
# auto, with the work bound (issues 13 and 15).
EXTRA_DIST += tests/bench/accel_table.sh tests/bench/accel_sizes.txt
bench-accel: einc$(EXEEXT) einsim$(EXEEXT) einasm$(EXEEXT)
	@$(SHELL) $(srcdir)/tests/bench/accel_table.sh $(abs_top_srcdir) $(abs_top_builddir)

bench: bench-accel
.PHONY: bench-accel

# The Mamba-1 layer on the CPU against NumPy (issue 13): examples/mamba1_layer.ein
# and examples/mamba1/prefill.ein at the mamba-130m shape, L=2048, einc run
# --target cpu under --fusion none and auto beside the same layer in NumPy with
# one OpenBLAS thread, medians of 3 runs, on the same inputs.
EXTRA_DIST += tests/bench/mamba1_numpy.py
bench-mamba-cpu: einc$(EXEEXT)
	@echo "command: make bench-mamba-cpu  (OPENBLAS_NUM_THREADS=1 /usr/bin/python3" \
	  "tests/bench/mamba1_numpy.py --einc $(abs_top_builddir)/einc$(EXEEXT) --src $(abs_top_srcdir))"
	@OPENBLAS_NUM_THREADS=1 /usr/bin/python3 $(srcdir)/tests/bench/mamba1_numpy.py \
	  --einc $(abs_top_builddir)/einc$(EXEEXT) --src $(abs_top_srcdir)

bench: bench-mamba-cpu
.PHONY: bench-mamba-cpu

# The frontend's time per 10 000 statements (issue 12): generated chains of
# Einsums and lets through `einc dump`, median of 5 runs.
EXTRA_DIST += tests/bench/frontend_time.sh
bench-frontend: einc$(EXEEXT)
	@$(SHELL) $(srcdir)/tests/bench/frontend_time.sh $(abs_top_builddir)

bench: bench-frontend
.PHONY: bench-frontend
