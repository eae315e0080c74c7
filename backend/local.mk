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
	backend/accel/dma.c \
	backend/accel/eval.c \
	backend/accel/einsum.c
