# The IR library: arena, diagnostics, Cascade IR, verifier, printers.
noinst_LIBRARIES += libeincir.a
libeincir_a_SOURCES = \
	ir/arena.c ir/arena.h \
	ir/diag.c ir/diag.h \
	ir/cascade.c ir/cascade.h \
	ir/verify.c ir/verify_loop.c \
	ir/index.c ir/loop.h \
	ir/print_loop.c \
	ir/mapping.c ir/mapping.h ir/mapping_read.c \
	ir/printer.h \
	ir/print_text.c \
	ir/print_dot.c \
	ir/print_json.c
libeincir_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)

check_PROGRAMS += tests/test_ir
TESTS += tests/test_ir
tests_test_ir_SOURCES = tests/test_ir.c tests/testutil.c tests/testutil.h
tests_test_ir_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_ir_LDADD = libeincir.a libeincrt.a $(YAML_LIBS) $(CHECK_LIBS) -lm
