# The einc command.
bin_PROGRAMS += einc
einc_SOURCES = driver/einc.c driver/driver.h driver/compile.c driver/run.c driver/tensors.c \
	driver/accel_run.c driver/check.c driver/disasm.c
einc_CFLAGS = $(AM_CFLAGS) $(LLVM_CFLAGS)
einc_LDFLAGS = $(AM_LDFLAGS) $(LLVM_LDFLAGS)
einc_LDADD = libeinccpu.a libeincpasses.a libeincaccel.a libeincfront.a libeincir.a libeincrt.a $(LLVM_LIBS) \
	$(YAML_LIBS) -ldl -lm
