#!/bin/sh
# The accelerator table of issue #5: every example at a realistic size,
# compiled with --fusion none and run with einsim --timing-only. Prints cycles,
# DRAM bytes moved, peak buffer use and energy, and beside the DRAM bytes the
# compulsory traffic (every input, param and output moved once).
# usage: accel_table.sh SRCDIR BUILDDIR [ARCH.yaml]
set -eu
src=$1
bin=$2
arch=${3:-}
tmp=$(mktemp -d /tmp/einc-accel-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "command: make bench-accel  (tests/bench/accel_table.sh $src $bin${arch:+ $arch})"
printf '| %-12s | %-36s | %7s | %10s | %13s | %13s | %6s | %10s | %9s |\n' \
  example sizes instrs cycles "DRAM bytes" compulsory ratio "peak buf" "energy uJ"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------------- -------------------------------------- \
  --------- ------------ --------------- --------------- -------- ------------ -----------
grep -v '^#' "$src/tests/bench/accel_sizes.txt" | while read -r name lets; do
  defs=""
  for l in $lets; do defs="$defs -D $l"; done
  # shellcheck disable=SC2086
  "$bin/einc" compile "$src/examples/$name.ein" --target accel --fusion none $defs \
    ${arch:+--arch "$arch"} -o "$tmp/$name.ebin"
  "$bin/einsim" "$tmp/$name.ebin" ${arch:+--arch "$arch"} --timing-only --quiet \
    --stats "$tmp/$name.json"
  # Compulsory bytes from the binary's tensor table (scratch tensors excluded).
  compulsory=$("$bin/einasm" disasm "$tmp/$name.ebin" | awk '
    /^\.tensor/ && ($3 == "input" || $3 == "param" || $3 == "output") && $2 !~ /\./ {
      s = $0; sub(/^[^[]*\[/, "", s); sub(/\].*/, "", s); n = split(s, d, ", *");
      e = 1; for (i = 1; i <= n; i++) e *= d[i]; total += 4 * e }
    END { printf "%.0f", total }')
  /usr/bin/env awk -v name="$name" -v lets="$lets" -v comp="$compulsory" -v f="$tmp/$name.json" \
    -v ebin="$tmp/$name.ebin" 'BEGIN {
      while ((getline line < f) > 0) {
        if (match(line, /"(cycles|dram_read_bytes|dram_write_bytes|peak_sram_bytes|energy_pj|instructions)": *[0-9.e+]+/)) {
          kv = substr(line, RSTART, RLENGTH); split(kv, p, /": */); k = p[1]; sub(/"/, "", k); v[k] = p[2]
        }
      }
      dram = v["dram_read_bytes"] + v["dram_write_bytes"]
      printf "| %-12s | %-36s | %7.0f | %10.0f | %13.0f | %13.0f | %6.2f | %10d | %9.1f |\n", name, lets,
        v["instructions"], v["cycles"], dram, comp, dram / comp, v["peak_sram_bytes"], v["energy_pj"] / 1e6
    }'
done
