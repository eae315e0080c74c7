# Passes over the Cascade IR, listed in one table (passes.c).
noinst_LIBRARIES += libeincpasses.a
libeincpasses_a_SOURCES = passes/passes.c passes/passes.h passes/lower.c passes/map.c \
	passes/fuse.c passes/tile.c passes/epilogue.c passes/lower_pass.c \
	passes/tile_cpu.c passes/tile_cpu.h passes/lower_subst.c passes/lower_subst.h
