# Y = X * W over two 4x4 tiles of X, double-buffered: the load of tile 1
# overlaps the matrix unit's work on tile 0 (docs/isa.md, section 6).
.tensor X input [2, 4, 4]
.tensor W param [4, 4]
.tensor Y output [2, 4, 4]
.data W 2 0 0 0  0 2 0 0  0 0 2 0  0 0 0 2
dma.ld dram=W sram=0 n0=16
dma.ld dram=X sram=16 n0=16 signal=mx
dma.ld dram=X+64 sram=32 n0=16 signal=mx
mm wait=ld m=4 k=4 n=4 a=16 lda=4 b=0 ldb=4 c=48 ldc=4 signal=st
mm wait=ld m=4 k=4 n=4 a=32 lda=4 b=0 ldb=4 c=64 ldc=4 signal=st
dma.st wait=mx dram=Y sram=48 n0=16
dma.st wait=mx dram=Y+64 sram=64 n0=16
