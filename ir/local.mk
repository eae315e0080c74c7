# The IR library: arena, diagnostics, Cascade IR, verifier, printers.
noinst_LIBRARIES += libeincir.a
libeincir_a_SOURCES = \
	ir/arena.c ir/arena.h \
	ir/diag.c ir/diag.h \
	ir/cascade.c ir/cascade.h \
	ir/verify.c \
	ir/print_text.c \
	ir/print_dot.c \
	ir/print_json.c
