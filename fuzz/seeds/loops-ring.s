# A seed for fuzz_ebin: nested loops sharing a ring of buffer slots
# (tests/test_sim_loop.c, ring_nested).
.tensor X input [7, 16]
.tensor Y output [7, 16]
dma.ld dram=X sram=64 n0=16 signal=vec
v.relu wait=ld rows=1 cols=16 d=80 dcs=1 a=64 acs=1 signal=st
dma.st wait=vec dram=Y sram=80 n0=16 signal=ld
loop count=3 body=7 rb=64 rs=48
  loop count=2 body=3 rb=64 rs=48
    dma.ld wait=st dram=X+64 sram=96 n0=16 signal=vec
    v.relu wait=ld rows=1 cols=16 d=64 dcs=1 a=96 acs=1 signal=st
    dma.st wait=vec dram=Y+64 sram=64 n0=16 signal=ld
    dma.ld wait=st dram=X+128 sram=80 n0=16 signal=vec
    v.relu wait=ld rows=1 cols=16 d=96 dcs=1 a=80 acs=1 signal=st
    dma.st wait=vec dram=Y+128 sram=96 n0=16 signal=ld
  loop count=2 body=3 rb=64 rs=48
    dma.ld wait=st dram=X+192 sram=80 n0=16 signal=vec
    v.relu wait=ld rows=1 cols=16 d=96 dcs=1 a=80 acs=1 signal=st
    dma.st wait=vec dram=Y+192 sram=96 n0=16 signal=ld
    dma.ld wait=st dram=X+256 sram=64 n0=16 signal=vec
    v.relu wait=ld rows=1 cols=16 d=80 dcs=1 a=64 acs=1 signal=st
    dma.st wait=vec dram=Y+256 sram=80 n0=16 signal=ld
