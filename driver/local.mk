# The einc command.
bin_PROGRAMS += einc
einc_SOURCES = driver/einc.c driver/driver.h driver/compile.c driver/run.c driver/tensors.c \
	driver/accel_run.c driver/check.c driver/check_rule.c driver/check_rule.h driver/disasm.c
einc_CFLAGS = $(AM_CFLAGS) $(LLVM_CFLAGS)
einc_LDFLAGS = $(AM_LDFLAGS) $(LLVM_LDFLAGS)
einc_LDADD = libeinccpu.a libeincpasses.a libeincaccel.a libeincfront.a libeincir.a libeincrt.a $(LLVM_LIBS) \
	$(YAML_LIBS) -ldl -lm

# test_mapping: mapping files end to end through $EINC: the printed mapping
# read back (same binary, same text), the exact messages for bad files,
# hand-written mappings against the golden fixtures, fused_groups against
# --fusion, and dump --after for every pass.
check_PROGRAMS += tests/test_mapping
TESTS += tests/test_mapping
tests_test_mapping_SOURCES = tests/test_mapping.c tests/golden/compare.c tests/golden/compare.h tests/testutil.c tests/testutil.h
tests_test_mapping_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_mapping_LDADD = libeincrt.a $(CHECK_LIBS) -lm

# test_check: einc check's rule against the float64 reference
# (driver/check_rule.c), on arrays built in the test: one wrong small
# element, a large element a thousand ulp off, an accelerator as noisy as
# the cpu, non-finite values, --atol and --rtol as slack.
check_PROGRAMS += tests/test_check
TESTS += tests/test_check
tests_test_check_SOURCES = tests/test_check.c driver/check_rule.c driver/check_rule.h \
	tests/testutil.c tests/testutil.h
tests_test_check_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_check_LDADD = $(CHECK_LIBS) -lm
