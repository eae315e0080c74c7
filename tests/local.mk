# Frontend and CLI tests (check). The IR's own tests are in ir/local.mk.
#
# test_frontend: scanner, parser, semantic analysis and the printers' round
# trip, in memory. test_cli: the einc command end to end, with the error
# fixtures of tests/errors (NAME.ein and the exact standard error NAME.err).
# test_limits: programs at the edges of 64-bit integers, end to end.
# They find the source tree through $SRCDIR, and test_cli runs $EINC
# (AM_TESTS_ENVIRONMENT in Makefile.am).

check_PROGRAMS += tests/test_frontend tests/test_cli tests/test_limits
TESTS += tests/test_frontend tests/test_cli tests/test_limits

tests_test_frontend_SOURCES = tests/test_frontend.c tests/testutil.c tests/testutil.h
tests_test_frontend_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_frontend_LDADD = libeincpasses.a libeincfront.a libeincir.a libeincrt.a $(CHECK_LIBS) -lm

tests_test_cli_SOURCES = tests/test_cli.c tests/testutil.c tests/testutil.h
tests_test_cli_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_cli_LDADD = libeincrt.a $(CHECK_LIBS) -lm

tests_test_limits_SOURCES = tests/test_limits.c tests/testutil.c tests/testutil.h
tests_test_limits_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_limits_LDADD = libeincrt.a $(CHECK_LIBS) -lm

# The spec's programs (the printers' round trip) and the error fixtures (one
# program per error class and its exact standard error), whole: the tests
# read every file there, so a new one is shipped without being listed.
EXTRA_DIST += tests/programs tests/errors

# test_lower: lower_program's options (contraction epilogues, cache-tiled
# micro-kernels) compiled through the JIT and checked against values the
# test computes; the trivial lowering's shape.
check_PROGRAMS += tests/test_lower
TESTS += tests/test_lower
tests_test_lower_SOURCES = tests/test_lower.c tests/testutil.c tests/testutil.h
tests_test_lower_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LLVM_CFLAGS)
tests_test_lower_LDFLAGS = $(AM_LDFLAGS) $(LLVM_LDFLAGS)
tests_test_lower_LDADD = libeinccpu.a libeincpasses.a libeincfront.a libeincir.a libeincrt.a \
	$(LLVM_LIBS) $(CHECK_LIBS) -ldl -lm
