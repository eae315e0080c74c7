# Golden tests: the CPU backend against NumPy-computed fixtures (gen.py).
check_PROGRAMS += tests/golden/test_golden
TESTS += tests/golden/test_golden
tests_golden_test_golden_SOURCES = tests/golden/test_golden.c tests/golden/compare.c tests/golden/compare.h tests/testutil.c tests/testutil.h
# Paths are built in fixed buffers sized far beyond any path used here.
tests_golden_test_golden_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -Wno-format-truncation
tests_golden_test_golden_LDADD = libeincrt.a $(CHECK_LIBS) -lm
# examples/mamba1: one step after prefill's L-1 tokens gives prefill's last row.
check_PROGRAMS += tests/golden/test_mamba1
TESTS += tests/golden/test_mamba1
tests_golden_test_mamba1_SOURCES = tests/golden/test_mamba1.c tests/golden/compare.c tests/golden/compare.h tests/testutil.c tests/testutil.h
tests_golden_test_mamba1_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_golden_test_mamba1_LDADD = libeincrt.a $(CHECK_LIBS) -lm
EXTRA_DIST += tests/golden/gen.py tests/golden/cases.txt tests/golden/programs \
	tests/golden/attention tests/golden/blocked tests/golden/conv1d_silu tests/golden/dft tests/golden/functions \
	tests/golden/hyena tests/golden/implicit_sums tests/golden/index_values \
	tests/golden/lets_and_div tests/golden/mamba1_layer tests/golden/mamba1_prefill \
	tests/golden/mamba1_step tests/golden/mamba2_ssd \
	tests/golden/mamba_scan tests/golden/matmul tests/golden/padding tests/golden/recurrences \
	tests/golden/reductions tests/golden/rmsnorm tests/golden/scalars tests/golden/selects \
	tests/golden/softmax
