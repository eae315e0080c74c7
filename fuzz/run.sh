#!/bin/sh
# Builds a libFuzzer harness with clang (ASan + UBSan) and runs it.
#   fuzz/run.sh [ebin|text|ein] [SECONDS]      (default: ebin, 600 seconds)
# Work files go to $FUZZ_DIR (default: build-fuzz/ in the source tree): the
# binary, the corpus (seeded from the tests' programs) and any crash-* files.
# Needs clang with the libFuzzer runtime (Debian 12: clang and
# libclang-rt-14-dev; $CLANG picks another clang) and libyaml-dev; the ein
# target also needs flex, bison and LLVM 19 (llvm-19-dev; $LLVM_CONFIG picks
# the llvm-config). FUZZ_BUILD_ONLY=1 builds without running; extra
# arguments after SECONDS go to libFuzzer (e.g. -jobs=2, -runs=N).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-ebin}
seconds=${2:-600}
if [ $# -ge 2 ]; then shift 2; else shift $#; fi
work=${FUZZ_DIR:-$top/build-fuzz}
cc=${CLANG:-clang}
case $target in
ebin | text | ein) ;;
*)
  echo "fuzz/run.sh: unknown target '$target' (ebin, text or ein)" >&2
  exit 2
  ;;
esac
mkdir -p "$work/corpus-$target" "$work/obj"

# clang must link -fsanitize=fuzzer: say what to install when it cannot.
probe="$work/obj/probe"
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$probe.c"
if ! $cc -fsanitize=fuzzer,address,undefined -o "$probe" "$probe.c" 2>"$probe.err"; then
  echo "fuzz/run.sh: $cc cannot link -fsanitize=fuzzer,address,undefined:" >&2
  cat "$probe.err" >&2
  echo "Debian 12: apt-get install clang libclang-rt-14-dev (or set CLANG=)" >&2
  exit 1
fi

san="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
std="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1"

# The source list of one library from its directory's local.mk (the Makefile's
# own lists, so that a new file there is fuzzed too): the .c, .y and .l words.
mk_sources() {
  awk -v var="$2" '
    $1 == var && ($2 == "=" || $2 == "+=") { on = 1; $1 = ""; $2 = "" }
    on { line = $0; more = sub(/\\[ \t]*$/, "", line)
         n = split(line, w, /[ \t]+/)
         for (i = 1; i <= n; i++) if (w[i] ~ /\.(c|y|l)$/) print w[i]
         if (!more) on = 0 }' "$top/$1"
}

if [ "$target" = ein ]; then
  llvm_config=${LLVM_CONFIG:-llvm-config-19}
  command -v "$llvm_config" >/dev/null 2>&1 || llvm_config=/usr/lib/llvm-19/bin/llvm-config
  gen="$work/gen-ein"
  obj="$work/obj/ein"
  rm -rf "$gen" "$obj"
  mkdir -p "$gen/frontend" "$obj"
  # The scanner and parser, generated as the Makefile does (bison -y -d).
  ${BISON:-bison} -y -d -Wall -Wno-yacc -o "$gen/frontend/parser.c" "$top/frontend/parser.y"
  ${LEX:-flex} -o "$gen/frontend/lexer.c" "$top/frontend/lexer.l"
  # config.h: the configured build's, else the few macros the sources use.
  if [ -f "${EINC_BUILD:-$top/build}/config.h" ]; then
    cp "${EINC_BUILD:-$top/build}/config.h" "$gen/config.h"
  else
    printf '#define PACKAGE_VERSION "fuzz"\n#define EINC_LLVM_VERSION "%s"\n' \
      "$("$llvm_config" --version)" >"$gen/config.h"
  fi
  llvm_cflags=$("$llvm_config" --cflags)
  # Each library with the flags its local.mk gives it (LLVM's only for the cpu
  # backend); the generated sources from $gen.
  jobs=""
  compile() { # FILE [EXTRA FLAGS]
    src=$1
    shift
    case $src in
    frontend/parser.c | frontend/lexer.c) path="$gen/$src" ;;
    *) path="$top/$src" ;;
    esac
    o="$obj/$(echo "$src" | tr / _).o"
    # shellcheck disable=SC2086
    $cc $std -I"$gen" -I"$top" $san "$@" -c -o "$o" "$path" &
    jobs="$jobs $!"
    if [ "$(echo "$jobs" | wc -w)" -ge "${FUZZ_JOBS:-2}" ]; then
      for j in $jobs; do wait "$j"; done
      jobs=""
    fi
  }
  for s in $(mk_sources ir/local.mk libeincir_a_SOURCES) \
    $(mk_sources passes/local.mk libeincpasses_a_SOURCES) \
    $(mk_sources runtime/local.mk libeincrt_a_SOURCES) \
    $(mk_sources backend/local.mk libeincaccel_a_SOURCES); do
    compile "$s"
  done
  for s in $(mk_sources frontend/local.mk libeincfront_a_SOURCES); do
    case $s in
    *.y) s=${s%.y}.c ;;
    *.l) s=${s%.l}.c ;;
    esac
    compile "$s" -Wno-unused-function
  done
  for s in $(mk_sources backend/local.mk libeinccpu_a_SOURCES); do
    # shellcheck disable=SC2086
    compile "$s" $llvm_cflags
  done
  # shellcheck disable=SC2086
  compile fuzz/fuzz_ein.c $llvm_cflags -DEIN_FUZZ_ARCH="\"$top/arch/small.yaml\""
  for j in $jobs; do wait "$j"; done
  # shellcheck disable=SC2046,SC2086
  $cc $san -o "$work/fuzz_ein" "$obj"/*.o $("$llvm_config" --ldflags) \
    $("$llvm_config" --libs core analysis native) $("$llvm_config" --system-libs) \
    $(pkg-config --libs yaml-0.1) -ldl -lm
else
  # The runtime library (runtime/local.mk's list), whose readers and
  # simulator these harnesses drive.
  files=""
  for s in $(mk_sources runtime/local.mk libeincrt_a_SOURCES); do files="$files $top/$s"; done
  # shellcheck disable=SC2046,SC2086
  $cc $std -I"$top" $san \
    -o "$work/fuzz_$target" "$top/fuzz/fuzz_$target.c" $files $(pkg-config --cflags --libs yaml-0.1) -lm
fi

# Seeds: the binaries of the tests' example programs (ebin), a few texts, or
# every .ein program of the tree and the regression inputs (ein).
seeds="$work/seeds-$target"
mkdir -p "$seeds"
dict=""
if [ "$target" = ebin ]; then
  asm="$top/build/einasm"
  if [ -x "$asm" ]; then
    "$asm" asm "$top/tests/sim/gemm_tiles.s" --arch "$top/fuzz/fuzz_arch.yaml" -o "$seeds/gemm.ebin" || true
    for s in "$top"/fuzz/seeds/*.s; do
      "$asm" asm "$s" --arch "$top/fuzz/fuzz_arch.yaml" --no-check -o "$seeds/$(basename "$s" .s).ebin" || true
    done
  fi
elif [ "$target" = ein ]; then
  for d in examples tests/programs tests/golden tests/golden/programs tests/errors fuzz/seeds; do
    for s in "$top/$d"/*.ein; do
      [ -f "$s" ] && cp "$s" "$seeds/$(echo "$d" | tr / _)-$(basename "$s")"
    done
  done
  dict="-dict=$top/fuzz/ein.dict"
else
  printf '\000' >"$seeds/npy0"
  printf '\001' | cat - "$top/tests/sim/small.yaml" >"$seeds/arch"
  printf '\002' | cat - "$top/tests/sim/gemm_tiles.s" >"$seeds/asm"
  cp "$top"/fuzz/seeds/text-*.bin "$seeds/"  # inputs that once failed
fi
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && { echo "built $work/fuzz_$target"; exit 0; }
echo "fuzzing $target for $seconds s in $work"
cd "$work"
# shellcheck disable=SC2086
"./fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
  -print_final_stats=1 $dict "$@" "corpus-$target" "$seeds"
