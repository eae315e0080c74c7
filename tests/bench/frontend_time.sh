#!/bin/sh
# The frontend's speed (issue 12): `einc dump` (scan, parse, semantic
# analysis, verifier, text printer) of generated chains of statements, the
# median of RUNS runs, and that time per 10 000 statements. Analysis is
# linear, so the last column should not grow with the size.
# usage: frontend_time.sh BUILDDIR [STATEMENTS [RUNS]]
set -eu
bin=$1
n=${2:-50000}
runs=${3:-5}
tmp=$(mktemp -d /tmp/einc-frontend-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "command: make bench-frontend  (tests/bench/frontend_time.sh $bin $n $runs)"

# t1[i] = t0[i] + 1, ..., the last one an output: n Einsums.
awk -v n="$n" 'BEGIN {
  printf "let N = 8\ninput t0[N]\noutput t%d[N]\n", n
  for (k = 1; k <= n; k++) printf "t%d[i] = t%d[i] + 1\n", k, k - 1 }' >"$tmp/einsums.ein"
# let a1 = a0 + 1, ...: n lets, and one statement that uses the last.
awk -v n="$n" 'BEGIN {
  print "let a0 = 1"
  for (k = 1; k <= n; k++) printf "let a%d = a%d + 1\n", k, k - 1
  printf "input x[a%d]\noutput y[a%d]\ny[i] = x[i]\n", n, n }' >"$tmp/lets.ein"

now_ns() { date +%s%N; }

# The median wall time of `einc dump FILE`, in milliseconds.
median_ms() {
  i=0
  : >"$tmp/times"
  while [ "$i" -lt "$runs" ]; do
    start=$(now_ns)
    "$bin/einc" dump "$1" >/dev/null
    end=$(now_ns)
    echo $(((end - start) / 1000000)) >>"$tmp/times"
    i=$((i + 1))
  done
  sort -n "$tmp/times" | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'
}

printf '| %-36s | %10s | %14s | %24s |\n' program statements "median ms" "ms per 10 000 statements"
printf '|%s|%s|%s|%s|\n' -------------------------------------- ------------ ---------------- \
  --------------------------
for prog in einsums lets; do
  case $prog in
  einsums) what="Einsum chain t{k}[i] = t{k-1}[i] + 1" ;;
  lets) what="let chain let a{k} = a{k-1} + 1" ;;
  esac
  ms=$(median_ms "$tmp/$prog.ein")
  awk -v what="$what" -v n="$n" -v ms="$ms" \
    'BEGIN { printf "| %-36s | %10d | %14d | %24.1f |\n", what, n, ms, ms * 10000 / n }'
done
echo "(each row: $bin/einc dump FILE >/dev/null, $runs runs, the median)"
