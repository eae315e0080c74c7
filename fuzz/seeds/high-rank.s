# A seed for fuzz_ebin with tensors of rank 12 and 9, whose dims are in
# shape blobs after the tensor table (docs/ebin.md), beside a rank-2 param.
.tensor X input [2, 1, 3, 1, 1, 2, 1, 1, 1, 2, 1, 2]
.tensor W param [4, 2]
.tensor Y output [1, 2, 1, 3, 1, 1, 2, 1, 2]
.data W 1 2 3 4 5 6 7 8
dma.ld dram=X sram=0 n0=48 signal=st
dma.st wait=ld dram=Y sram=0 n0=24
