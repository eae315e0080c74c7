#!/bin/sh
# The accelerator table of issues #5, #13 and #15: every example at a realistic
# size, compiled with --fusion none and with --fusion auto and run with einsim
# --timing-only. Per example and fusion mode it prints cycles, DRAM bytes moved
# (read + write), the compulsory traffic (every input, param and output moved
# once) and their ratio, the DRAM floor (compulsory, or the I/O lower bound
# of the contractions, 2*MACs/sqrt(S) - 2S words for S buffer words: Smith,
# Lowery, Langou and van de Geijn 2019, the larger) and the ratio to it, the
# bytes the DRAM moved in whole bursts, the work bound and cycles over it,
# peak buffer use,
# energy, the compile time and the size of the .ebin.
#
# The work bound (issue 15) is the largest of
#   MACs / (matrix.rows x matrix.cols),
#   (plain vector elements + special elements x vector.special_cycles) / vector.lanes,
#   scan steps / scan.lanes,
#   compulsory DRAM bytes / dram.bytes_per_cycle,
# with the work counted from the --fusion none run; the "by" column names the
# term that sets it. The architecture numbers are read from ARCH.yaml (default
# SRCDIR/arch/default.yaml, the machine einc and einsim build in).
# usage: accel_table.sh SRCDIR BUILDDIR [ARCH.yaml] [EXAMPLE]
# (EXAMPLE: only that row of accel_sizes.txt, e.g. mamba1/prefill; an empty
# ARCH.yaml is the default)
set -eu
src=$1
bin=$2
arch=${3:-}
only=${4:-}
archfile=${arch:-$src/arch/default.yaml}
tmp=$(mktemp -d /tmp/einc-accel-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "command: tests/bench/accel_table.sh $src $bin${arch:+ $arch}${only:+ '' $only}"

# section.key=value for every numeric key of the architecture file.
archvals=$(awk '
  { sub(/#.*/, "") }
  /^[A-Za-z_]+:[ \t]*$/ { sec = $1; sub(/:$/, "", sec); next }
  /^[ \t]+[A-Za-z_]+:[ \t]*[0-9.eE+-]+[ \t]*$/ {
    k = $1; sub(/:$/, "", k); printf "%s.%s=%s\n", sec, k, $2 }' "$archfile")
archval() {
  v=$(printf '%s\n' "$archvals" | sed -n "s/^$1=//p")
  if [ -z "$v" ]; then echo "accel_table.sh: $archfile has no $1" >&2; exit 1; fi
  echo "$v"
}
mrows=$(archval matrix.rows)
mcols=$(archval matrix.cols)
vlanes=$(archval vector.lanes)
vspecial=$(archval vector.special_cycles)
slanes=$(archval scan.lanes)
dbpc=$(archval dram.bytes_per_cycle)
swords=$(($(archval buffer.bytes) / 4))
echo "architecture: $archfile (matrix ${mrows}x${mcols}, vector $vlanes lanes," \
  "special x$vspecial, scan $slanes lanes, DRAM $dbpc B/cycle)"
echo "work bound: max(MACs/(rows*cols), (vector + special*special_cycles)/lanes," \
  "scan steps/scan lanes, compulsory/(B/cycle)), work from --fusion none"

printf '| %-14s | %-36s | %-4s | %7s | %10s | %13s | %11s | %6s | %11s | %6s | %13s | %10s | %-6s | %6s | %10s | %9s | %7s | %10s |\n' \
  example sizes mode instrs cycles "DRAM bytes" compulsory ratio "DRAM floor" "/floor" \
  "DRAM moved" "work bound" by "cyc/wb" "peak buf" "energy uJ" "comp s" "ebin bytes"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' ---------------- \
  -------------------------------------- ------ --------- ------------ --------------- \
  ------------- -------- ------------- -------- --------------- ------------ -------- \
  -------- ------------ ----------- --------- ------------
now() { date +%s.%N; }
grep -v '^#' "$src/tests/bench/accel_sizes.txt" | while read -r name lets; do
  if [ -n "$only" ] && [ "$name" != "$only" ]; then continue; fi
  [ -n "$name" ] || continue
  defs=""
  for l in $lets; do defs="$defs -D $l"; done
  base=$tmp/$(echo "$name" | tr / _)
  for mode in none auto; do
    t0=$(now)
    # shellcheck disable=SC2086
    "$bin/einc" compile "$src/examples/$name.ein" --target accel --fusion $mode $defs \
      ${arch:+--arch "$arch"} -o "$base.$mode.ebin"
    t1=$(now)
    "$bin/einsim" "$base.$mode.ebin" ${arch:+--arch "$arch"} --timing-only --quiet \
      --stats "$base.$mode.json"
    if [ $mode = none ]; then
      # Compulsory bytes from the unfused binary's tensor table (scratch
      # tensors excluded).
      compulsory=$("$bin/einasm" disasm "$base.none.ebin" | awk '
        /^\.tensor/ && ($3 == "input" || $3 == "param" || $3 == "output") && $2 !~ /\./ {
          s = $0; sub(/^[^[]*\[/, "", s); sub(/\].*/, "", s); n = split(s, d, ", *");
          e = 1; for (i = 1; i <= n; i++) e *= d[i]; total += 4 * e }
        END { printf "%.0f", total }')
    fi
    size=$(wc -c < "$base.$mode.ebin")
    awk -v name="$name" -v lets="$lets" -v mode=$mode -v comp="$compulsory" \
      -v f="$base.$mode.json" -v work="$base.none.json" -v t0="$t0" -v t1="$t1" \
      -v size="$size" -v mrows="$mrows" -v mcols="$mcols" -v vlanes="$vlanes" \
      -v vspecial="$vspecial" -v slanes="$slanes" -v dbpc="$dbpc" -v swords="$swords" '
      function stats(file, a,   line, kv, p, k) {
        while ((getline line < file) > 0)
          while (match(line, /"[a-z_]+": *[0-9.e+-]+/)) {
            kv = substr(line, RSTART, RLENGTH); line = substr(line, RSTART + RLENGTH)
            split(kv, p, /": */); k = p[1]; sub(/"/, "", k)
            if (!(k in a)) a[k] = p[2]   # the first: top-level keys precede units
          }
        close(file)
      }
      BEGIN {
        stats(f, v); stats(work, w)
        b["matrix"] = w["macs"] / (mrows * mcols)
        b["vector"] = (w["vector_elements"] + w["special_elements"] * vspecial) / vlanes
        b["scan"] = w["scan_steps"] / slanes
        b["dram"] = comp / dbpc
        by = "dram"; wb = b["dram"]
        if (b["matrix"] > wb) { by = "matrix"; wb = b["matrix"] }
        if (b["vector"] > wb) { by = "vector"; wb = b["vector"] }
        if (b["scan"] > wb) { by = "scan"; wb = b["scan"] }
        dram = v["dram_read_bytes"] + v["dram_write_bytes"]
        moved = v["dram_read_transferred_bytes"] + v["dram_write_transferred_bytes"]
        # The I/O floor: compulsory, or for the contractions 2*MACs/sqrt(S)
        # - 2S words with S the buffer words (Smith et al. 2019), the larger.
        floor = 4 * (2 * w["macs"] / sqrt(swords) - 2 * swords)
        if (floor < comp) floor = comp
        printf "| %-14s | %-36s | %-4s | %7.0f | %10.0f | %13.0f | %11.0f | %6.2f | %11.0f | %6.2f | %13.0f | %10.0f | %-6s | %6.2f | %10d | %9.1f | %7.2f | %10d |\n",
          name, lets, mode, v["instructions"], v["cycles"], dram, comp, dram / comp, floor,
          dram / floor, moved, wb, by,
          v["cycles"] / wb, v["peak_sram_bytes"], v["energy_pj"] / 1e6, t1 - t0, size
      }'
  done
done
