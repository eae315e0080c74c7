#!/bin/sh
# einsim and einasm from the command line: exit statuses (0 ok, 1 rejected,
# 2 usage; never a crash), outputs, --stats, --trace, --input, the
# architecture check, and disassembly round trips. Run from the build
# directory by make check.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
sim=./einsim
asm=./einasm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# expect STATUS DESCRIPTION COMMAND... : runs the command, compares its status.
expect() {
  want=$1
  what=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want"
    sed 's/^/  | /' "$tmp/err"
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}
# expect_err TEXT: the last command's standard error contains TEXT.
expect_err() {
  if ! grep -qF -- "$1" "$tmp/err"; then
    echo "FAIL: stderr lacks '$1':"
    sed 's/^/  | /' "$tmp/err"
    failures=$((failures + 1))
  fi
}
# expect_stderr TEXT: the last command printed nothing on standard output and
# exactly the lines of TEXT on standard error.
expect_stderr() {
  printf '%s\n' "$1" >"$tmp/want"
  if [ -s "$tmp/out" ] || ! cmp -s "$tmp/want" "$tmp/err"; then
    echo "FAIL: $what: expected no stdout and exactly this stderr:"
    sed 's/^/  > /' "$tmp/want"
    echo "  got stdout:"
    sed 's/^/  | /' "$tmp/out"
    echo "  got stderr:"
    sed 's/^/  | /' "$tmp/err"
    failures=$((failures + 1))
  fi
}
# expect_usage PROGRAM MESSAGE: as expect_stderr, "PROGRAM: MESSAGE" then
# PROGRAM's usage text (what PROGRAM --help printed).
expect_usage() {
  expect_stderr "$1: $2
$(cat "$tmp/usage.$1")"
}
# expect_same FILE1 FILE2 DESCRIPTION: the two files have the same bytes.
expect_same() {
  if ! cmp -s "$1" "$2"; then
    echo "FAIL: $3: $1 and $2 differ"
    failures=$((failures + 1))
  fi
}

expect 0 "einsim --help" $sim --help
grep -q "^usage: einsim" "$tmp/out" || { echo "FAIL: usage text"; failures=$((failures + 1)); }
cp "$tmp/out" "$tmp/usage.einsim"
expect 0 "einsim -h" $sim -h
expect_same "$tmp/out" "$tmp/usage.einsim" "-h prints the usage text"
expect 0 "einsim --version" $sim --version
grep -q "einsim (einc)" "$tmp/out" || { echo "FAIL: version text"; failures=$((failures + 1)); }

# A bad command line: exit 2, the message, then the usage text.
expect 2 "einsim with no binary" $sim
expect_usage einsim "no binary given"
expect 2 "einsim unknown option" $sim x.ebin --frobnicate
expect_usage einsim "unknown option '--frobnicate'"
expect 2 "einsim unknown short option" $sim x.ebin -q
expect_usage einsim "unknown option '-q'"
expect 2 "einsim bad seed" $sim x.ebin --seed minus
expect_usage einsim "--seed needs a non-negative integer, not 'minus'"
expect 2 "einsim negative seed" $sim x.ebin --seed -1
expect_usage einsim "--seed needs a non-negative integer, not '-1'"
expect 2 "einsim bad --seed=" $sim x.ebin --seed=minus
expect_usage einsim "--seed needs a non-negative integer, not 'minus'"
# Seeds are decimal, as einc reads them (no octal 010, no hex).
expect 2 "einsim hex seed" $sim x.ebin --seed 0x10
expect_usage einsim "--seed needs a non-negative integer, not '0x10'"
expect 2 "einsim --input without =" $sim x.ebin --input X
expect_usage einsim "--input needs NAME=FILE.npy, not 'X'"
expect 2 "einsim --input without a file" $sim x.ebin --input=X=
expect_usage einsim "--input needs NAME=FILE.npy, not 'X='"
expect 2 "einsim option without value" $sim x.ebin --stats
expect_usage einsim "--stats needs a value"
expect 2 "einsim two binaries" $sim a.ebin b.ebin --frobnicate
expect_usage einsim "more than one binary given ('b.ebin')"
# A long option is taken only when spelled in full (getopt_long alone would
# take --tim for --timing-only), and one that takes no value refuses one.
expect 2 "einsim abbreviated option" $sim x.ebin --tim
expect_usage einsim "unknown option '--tim'"
expect 2 "einsim abbreviated option without value" $sim x.ebin --sta
expect_usage einsim "unknown option '--sta'"
expect 2 "einsim value for a flag" $sim x.ebin --quiet=1
expect_usage einsim "unknown option '--quiet=1'"
expect 0 "einsim --help stops at once" $sim --help --frobnicate
expect 2 "einsim stops at the first error" $sim --frobnicate --help
expect_usage einsim "unknown option '--frobnicate'"
expect 1 "einsim missing file" $sim "$tmp/none.ebin"
expect_err "cannot open"
expect 1 "einsim: after -- an argument is the binary" $sim --quiet -- --frobnicate
expect_stderr "einsim: --frobnicate: cannot open: No such file or directory"

expect 0 "einasm --help" $asm --help
cp "$tmp/out" "$tmp/usage.einasm"
expect 2 "einasm no command" $asm
expect_usage einasm "no command given"
expect 2 "einasm unknown command" $asm frob
expect_usage einasm "unknown command 'frob'"
expect 2 "einasm asm without -o" $asm asm "$top/tests/sim/gemm_tiles.s"
expect_usage einasm "asm needs IN.s and -o OUT.ebin"
expect 2 "einasm -o without value" $asm asm "$top/tests/sim/gemm_tiles.s" -o
expect_usage einasm "an option needs a value"
expect 2 "einasm --arch without value" $asm asm "$top/tests/sim/gemm_tiles.s" --arch
expect_usage einasm "an option needs a value"
expect 2 "einasm two inputs" $asm asm a.s b.s -o x.ebin
expect_usage einasm "more than one input given"
# einasm's unknown option has no usage text after it.
expect 2 "einasm unknown option" $asm asm a.s --frobnicate
expect_stderr "einasm: unknown option '--frobnicate'"
expect 2 "einasm abbreviated option" $asm asm a.s --no -o x.ebin
expect_stderr "einasm: unknown option '--no'"
expect 2 "einasm value for a flag" $asm asm a.s --no-check=1 -o x.ebin
expect_stderr "einasm: unknown option '--no-check=1'"
expect 2 "einasm --help after the command" $asm asm --help
expect_stderr "einasm: unknown option '--help'"

expect 0 "assemble gemm_tiles.s" $asm asm "$top/tests/sim/gemm_tiles.s" -o "$tmp/g.ebin"
expect 0 "run it" $sim "$tmp/g.ebin" --outdir "$tmp/out1" --stats "$tmp/s.json" \
  --trace "$tmp/t.json" --seed 7
expect_err "einsim: 7 instructions"
[ -f "$tmp/out1/Y.npy" ] || { echo "FAIL: no Y.npy"; failures=$((failures + 1)); }
# --opt=value is --opt value, and -- ends the options.
expect 0 "run it with --opt=value" $sim "$tmp/g.ebin" --outdir="$tmp/out5" --stats="$tmp/s5.json" \
  --trace="$tmp/t5.json" --seed=7 --quiet
expect_same "$tmp/out5/Y.npy" "$tmp/out1/Y.npy" "--seed=7 is --seed 7"
expect_same "$tmp/s5.json" "$tmp/s.json" "--stats=FILE is --stats FILE"
expect_same "$tmp/t5.json" "$tmp/t.json" "--trace=FILE is --trace FILE"
expect 0 "run it after --" $sim --seed 7 --outdir "$tmp/out6" --quiet -- "$tmp/g.ebin"
expect_same "$tmp/out6/Y.npy" "$tmp/out1/Y.npy" "the binary after --"
expect 0 "seed 010 is ten" $sim "$tmp/g.ebin" --seed 010 --outdir "$tmp/out7" --quiet
expect 0 "seed 10" $sim "$tmp/g.ebin" --seed 10 --outdir "$tmp/out8" --quiet
expect_same "$tmp/out7/Y.npy" "$tmp/out8/Y.npy" "--seed 010 is --seed 10"
if command -v python3 >/dev/null; then
  expect 0 "stats and trace are JSON with the contract's keys" python3 -c '
import json, struct, sys
s = json.load(open(sys.argv[1]))
for k in ["cycles", "dram_read_bytes", "dram_write_bytes", "peak_sram_bytes", "energy_pj", "units"]:
    assert k in s, k
assert s["dram_read_bytes"] == 192 and s["dram_write_bytes"] == 128, s
assert set(s["units"]) == {"load", "store", "matrix", "vector", "scan"}
t = json.load(open(sys.argv[2]))
assert len([e for e in t["traceEvents"] if e["ph"] == "X"]) == 7
# Write X as a .npy (v1.0, <f4) and the expected Y = 2 X.
x = [float(i) - 7.5 for i in range(32)]
hdr = "{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: (2, 4, 4), }"
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
open(sys.argv[3], "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + struct.pack("<32f", *x))
' "$tmp/s.json" "$tmp/t.json" "$tmp/x.npy"
  expect 0 "run with --input" $sim "$tmp/g.ebin" --input X="$tmp/x.npy" --outdir "$tmp/out2" --quiet
  expect 0 "run with --input=" $sim "$tmp/g.ebin" --input=X="$tmp/x.npy" --outdir "$tmp/out7" --quiet
  expect_same "$tmp/out7/Y.npy" "$tmp/out2/Y.npy" "--input=X=FILE is --input X=FILE"
  expect 0 "the output is 2 X" python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
y = struct.unpack("<32f", d[-128:])
assert list(y) == [2 * (i - 7.5) for i in range(32)], y
' "$tmp/out2/Y.npy"
fi
expect 1 "--input of an unknown tensor" $sim "$tmp/g.ebin" --input Q="$tmp/x.npy"
expect_err "no input or param named 'Q'"
expect 1 "--input of an output" $sim "$tmp/g.ebin" --input Y="$tmp/x.npy"
expect 1 "--input that is not .npy" $sim "$tmp/g.ebin" --input X="$tmp/g.ebin"
expect_err "bad magic"
expect 0 "--timing-only" $sim "$tmp/g.ebin" --timing-only --stats "$tmp/s2.json" --quiet
if command -v python3 >/dev/null; then
  expect 0 "timing-only gives the same figures" python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["cycles"] == b["cycles"] and a["units"] == b["units"] and a["energy_pj"] == b["energy_pj"]
' "$tmp/s.json" "$tmp/s2.json"
fi

# Disassembly reassembles to the same bytes.
expect 0 "disasm" $asm disasm "$tmp/g.ebin" -o "$tmp/g2.s"
expect 0 "reassemble" $asm asm "$tmp/g2.s" -o "$tmp/g2.ebin"
expect 0 "same bytes" cmp "$tmp/g.ebin" "$tmp/g2.ebin"

# The architecture a binary was built for must be the one it runs on.
expect 0 "assemble for the small machine" $asm asm "$top/tests/sim/gemm_tiles.s" \
  --arch "$top/tests/sim/small.yaml" -o "$tmp/small.ebin"
expect 0 "assemble with --arch=FILE and -oFILE" $asm asm "$top/tests/sim/gemm_tiles.s" \
  --arch="$top/tests/sim/small.yaml" -o"$tmp/small2.ebin"
expect_same "$tmp/small2.ebin" "$tmp/small.ebin" "--arch=FILE -oFILE is --arch FILE -o FILE"
expect 1 "run on the default machine" $sim "$tmp/small.ebin"
expect_err "built for architecture"
expect 0 "run on the small machine" $sim "$tmp/small.ebin" --arch "$top/tests/sim/small.yaml" \
  --outdir "$tmp/out3"
printf 'name: x\nmatrix: {rows: 4}\n' >"$tmp/bad.yaml"
expect 1 "a bad --arch file" $sim "$tmp/small.ebin" --arch "$tmp/bad.yaml"
expect_err "bad.yaml:"

# Corrupt binaries: exit 1 with a message, never a crash.
: >"$tmp/empty.ebin"
expect 1 "empty file" $sim "$tmp/empty.ebin"
expect_err "truncated"
head -c 300 "$tmp/g.ebin" >"$tmp/cut.ebin"
expect 1 "truncated file" $sim "$tmp/cut.ebin"
expect_err "truncated"
expect 1 "not a binary" $sim "$top/tests/sim/gemm_tiles.s"
expect_err "bad magic"
expect 1 "disasm of a corrupt file" $asm disasm "$tmp/cut.ebin"
# Every 97th byte overwritten with 0xff in turn.
size=$(wc -c <"$tmp/g.ebin")
i=8
while [ "$i" -lt "$size" ]; do
  cp "$tmp/g.ebin" "$tmp/c.ebin"
  printf '\377' | dd of="$tmp/c.ebin" bs=1 seek="$i" conv=notrunc 2>/dev/null
  $sim "$tmp/c.ebin" --outdir "$tmp/out4" --quiet >/dev/null 2>&1
  st=$?
  if [ "$st" -gt 1 ]; then
    echo "FAIL: byte $i = 0xff: exit status $st"
    failures=$((failures + 1))
  fi
  i=$((i + 97))
done
echo "ok: corrupted bytes"

# An assembly error names the line.
printf 'mm m=1\nv.add q=1\n' >"$tmp/bad.s"
expect 1 "assembly error" $asm asm "$tmp/bad.s" -o "$tmp/bad.ebin"
expect_err "bad.s:2: v.add has no field 'q'"
printf 'dma.ld n0=0\n' >"$tmp/bad2.s"
expect 1 "assembled program checked against the machine" $asm asm "$tmp/bad2.s" -o "$tmp/bad.ebin"
expect_err "extent n0 is 0"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all einsim/einasm command-line checks passed"
