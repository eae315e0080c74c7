# Code generators. backend/llvm: Loop IR to native code through the LLVM C API.
noinst_LIBRARIES += libeinccpu.a
libeinccpu_a_SOURCES = \
	backend/llvm/cpu.h \
	backend/llvm/codegen.c \
	backend/llvm/target.c \
	backend/llvm/jit.c
libeinccpu_a_CFLAGS = $(AM_CFLAGS) $(LLVM_CFLAGS)

# backend/accel: Loop IR to accelerator microcode (.ebin).
noinst_LIBRARIES += libeincaccel.a
libeincaccel_a_SOURCES = \
	backend/accel/accel.h \
	backend/accel/gen.h \
	backend/accel/accel.c \
	backend/accel/emit.c \
	backend/accel/roll.c \
	backend/accel/dma.c \
	backend/accel/eval.c \
	backend/accel/einsum.c

# The accelerator backend's own tests: unusual programs against C loops on
# two machines, compile errors, the listing's round trip, double buffering.
check_PROGRAMS += tests/test_accel
TESTS += tests/test_accel
tests_test_accel_SOURCES = tests/test_accel.c tests/testutil.c tests/testutil.h
tests_test_accel_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_accel_LDADD = libeincpasses.a libeincaccel.a libeincfront.a libeincir.a libeincrt.a \
	$(YAML_LIBS) $(CHECK_LIBS) -lm
