# The runtime: what runs programs (output files; later .npy I/O, inputs, einsim).
noinst_LIBRARIES += libeincrt.a
libeincrt_a_SOURCES = runtime/outfile.c runtime/outfile.h
