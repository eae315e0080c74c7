# A seed for fuzz_ebin that uses every unit and most instruction kinds.
.tensor X input [4, 8]
.tensor W param [8, 4]
.tensor Y output [4, 4]
.tensor S output [2, 4]
.data W 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32
dma.ld dram=X sram=0 n0=8 n1=4 ds1=8 ss1=8 lo0=1 hi0=7
dma.ld dram=W sram=32 n0=32 signal=mx
mm wait=ld m=4 k=8 n=4 a=0 lda=8 b=32 ldb=4 c=64 ldc=4 signal=vec
v.silu wait=mx rows=4 cols=4 d=80 drs=4 dcs=1 a=64 ars=4 acs=1
v.mul rows=4 cols=4 d=96 drs=4 dcs=1 a=80 ars=4 acs=1 b=64 brs=4 bcs=1
v.rsum acc=1 rows=4 cols=4 d=112 drs=1 a=96 ars=4 acs=1
v.sel rows=4 cols=4 d=120 drs=4 dcs=1 a=96 ars=4 acs=1 b=80 brs=4 bcs=1 c=64 crs=4 ccs=1
v.fill rows=2 cols=4 d=200 drs=4 dcs=1 imm=0.5 signal=scan
scan wait=vec zero=1 t=2 c=4 a=200 ars=4 b=96 brs=4 y=300 yrs=4 h=400 signal=st
dma.st wait=scan dram=S sram=300 n0=4 n1=2 ds1=4 ss1=4
dma.st dram=Y sram=120 n0=4 n1=4 ds1=4 ss1=4
