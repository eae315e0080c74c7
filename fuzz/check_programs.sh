#!/bin/bash
# Random-program differential testing of the accelerator backend: for seeds
# FROM..TO, fuzz/gen_program.py writes a random valid .ein program (affine,
# padded, divided and reversed indices, nested reductions, selects,
# recurrences), and `einc check` judges the accelerator against the CPU's
# float64 reference (the rule of docs/cli-notes.md) on the default machine
# and on a 1 KiB-buffer machine. Prints one line per failure; programs the
# frontend rejects are skipped. (helper-5's review tool; it found the
# token-depth deadlocks and the lost hazards of issue #5.) CHECK_OPTS adds
# options to every check (CHECK_OPTS='--reference f32' for the older rule).
# usage: fuzz/check_programs.sh BUILDDIR FROM TO [OUTDIR]
set -u
build=$1
from=$2
to=$3
dir=${4:-$(mktemp -d /tmp/einc-progfuzz-XXXXXX)}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
sed 's/^  bytes: 4096/  bytes: 1024/' "$here/../arch/small.yaml" >"$dir/tiny.yaml"
for s in $(seq "$from" "$to"); do
  f=$dir/f$s.ein
  /usr/bin/python3 "$here/gen_program.py" "$s" >"$f"
  for a in "" "--arch $dir/tiny.yaml"; do
    # shellcheck disable=SC2086
    out=$(timeout 120 "$build/einc" check "$f" $a ${CHECK_OPTS:-} 2>&1)
    rc=$?
    if [ $rc -ne 0 ]; then
      if echo "$out" | grep -q "^$f:[0-9]*:[0-9]*: error"; then break; fi
      echo "seed $s [exit $rc] ${a:-default}: $(echo "$out" | grep -v ': ok$' | head -3)"
    fi
  done
done
echo "checked seeds $from..$to in $dir"
