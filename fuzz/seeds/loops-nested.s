# A seed for fuzz_ebin: loops two deep (tests/test_sim_loop.c, gemm_nested).
.tensor X input [2, 4, 16]
.tensor W param [16, 4]
.tensor Y output [2, 4, 4]
loop count=2 body=10
  loop count=4 body=1
    dma.ld dram=X sram=0 n0=4 n1=4 ds1=16 ss1=4
    dma.ld dram=X+16 sram=16 n0=4 n1=4 ds1=16 ss1=4
  dma.ld dram=W sram=512 n0=64 signal=mx
  mm wait=ld m=4 k=4 n=4 a=0 lda=4 b=512 ldb=4 c=768 ldc=4
  loop count=2 body=1
    mm acc=1 m=4 k=4 n=4 a=16 lda=4 b=528 ldb=4 c=768 ldc=4
    mm acc=1 m=4 k=4 n=4 a=32 lda=4 b=544 ldb=4 c=768 ldc=4
  mm acc=1 m=4 k=4 n=4 a=48 lda=4 b=560 ldb=4 c=768 ldc=4 signal=st
  dma.st wait=mx dram=Y sram=768 n0=16
  # copy 1: m = 1
  loop count=4 body=1
    dma.ld dram=X+256 sram=64 n0=4 n1=4 ds1=16 ss1=4
    dma.ld dram=X+272 sram=80 n0=4 n1=4 ds1=16 ss1=4
  dma.ld dram=W sram=576 n0=64 signal=mx
  mm wait=ld m=4 k=4 n=4 a=64 lda=4 b=576 ldb=4 c=784 ldc=4
  loop count=2 body=1
    mm acc=1 m=4 k=4 n=4 a=80 lda=4 b=592 ldb=4 c=784 ldc=4
    mm acc=1 m=4 k=4 n=4 a=96 lda=4 b=608 ldb=4 c=784 ldc=4
  mm acc=1 m=4 k=4 n=4 a=112 lda=4 b=624 ldb=4 c=784 ldc=4 signal=st
  dma.st wait=mx dram=Y+64 sram=784 n0=16
