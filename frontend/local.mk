# The frontend: flex scanner, bison parser, semantic analysis.
noinst_LIBRARIES += libeincfront.a
libeincfront_a_SOURCES = \
	frontend/parser.y \
	frontend/lexer.l \
	frontend/ast.h \
	frontend/sema.c frontend/sema.h \
	frontend/symtab.c frontend/symtab.h \
	frontend/sema_einsum.c \
	frontend/frontend.c frontend/frontend.h
# flex's generated code trips a few warnings that are not ours to fix.
libeincfront_a_CFLAGS = $(AM_CFLAGS) -Wno-sign-compare -Wno-unused-function -Wno-missing-prototypes
BUILT_SOURCES += frontend/parser.h
