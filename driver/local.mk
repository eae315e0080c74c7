# The einc command.
bin_PROGRAMS += einc
einc_SOURCES = driver/einc.c
einc_LDADD = libeincpasses.a libeincfront.a libeincir.a libeincrt.a -lm
