#!/bin/sh
# Builds a libFuzzer harness with clang (ASan + UBSan) and runs it.
#   fuzz/run.sh [ebin|text] [SECONDS]      (default: ebin, 600 seconds)
# Work files go to $FUZZ_DIR (default: build-fuzz/ in the source tree): the
# binary, the corpus (seeded from the tests' programs) and any crash-* files.
# Needs clang with the libFuzzer runtime (Debian: clang, libclang-rt-dev or
# clang's bundled runtime) and libyaml-dev.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-ebin}
seconds=${2:-600}
work=${FUZZ_DIR:-$top/build-fuzz}
cc=${CLANG:-clang}
mkdir -p "$work/corpus-$target" "$work/obj"
srcs="runtime/isa.c runtime/arch.c runtime/ebin.c runtime/asm.c runtime/sfu.c runtime/npy.c
  runtime/outfile.c runtime/infile.c runtime/sim_check.c runtime/sim.c runtime/sim_exec.c runtime/sim_stats.c"
files=""
for s in $srcs; do files="$files $top/$s"; done
$cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -I"$top" \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -o "$work/fuzz_$target" "$top/fuzz/fuzz_$target.c" $files $(pkg-config --cflags --libs yaml-0.1) -lm

# Seeds: the binaries of the tests' example programs (ebin), or a few texts.
seeds="$work/seeds-$target"
mkdir -p "$seeds"
if [ "$target" = ebin ]; then
  asm="$top/build/einasm"
  if [ -x "$asm" ]; then
    "$asm" asm "$top/tests/sim/gemm_tiles.s" --arch "$top/fuzz/fuzz_arch.yaml" -o "$seeds/gemm.ebin" || true
    for s in "$top"/fuzz/seeds/*.s; do
      "$asm" asm "$s" --arch "$top/fuzz/fuzz_arch.yaml" --no-check -o "$seeds/$(basename "$s" .s).ebin" || true
    done
  fi
else
  printf '\000' >"$seeds/npy0"
  printf '\001' | cat - "$top/tests/sim/small.yaml" >"$seeds/arch"
  printf '\002' | cat - "$top/tests/sim/gemm_tiles.s" >"$seeds/asm"
  cp "$top"/fuzz/seeds/text-*.bin "$seeds/"  # inputs that once failed
fi
echo "fuzzing $target for $seconds s in $work"
cd "$work"
"./fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
  -print_final_stats=1 "corpus-$target" "$seeds"
