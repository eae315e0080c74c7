# The runtime: what runs programs (output files, .npy I/O, seeded inputs, the
# accelerator's ISA, architecture files, .ebin binaries, the assembler, the
# simulator), and the programs einsim and einasm.
noinst_LIBRARIES += libeincrt.a
libeincrt_a_SOURCES = runtime/outfile.c runtime/outfile.h \
	runtime/npy.c runtime/npy.h \
	runtime/rng.c runtime/rng.h \
	runtime/isa.c runtime/isa.h \
	runtime/arch.c runtime/arch.h \
	runtime/ebin.c runtime/ebin.h \
	runtime/asm.c runtime/asm.h \
	runtime/sfu.c runtime/sfu.h \
	runtime/sim_internal.h runtime/sim.h \
	runtime/sim_check.c runtime/sim.c runtime/sim_exec.c runtime/sim_stats.c
libeincrt_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
RT_LIBS = libeincrt.a $(YAML_LIBS) -lm

bin_PROGRAMS += einsim einasm
einsim_SOURCES = runtime/einsim.c
einsim_LDADD = $(RT_LIBS)
einasm_SOURCES = runtime/einasm.c
einasm_LDADD = $(RT_LIBS)
