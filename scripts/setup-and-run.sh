#!/usr/bin/env bash
# From a fresh Debian 12 machine: install the packages, build Einc, and run
# the main job on the Mamba-1 block (examples/mamba1/prefill.ein): its IR and
# mapping, the CPU reference against NumPy, the accelerator binary on einsim
# against NumPy and against the CPU (einc check), and then the mamba-130m
# shape at L=2048 unfused against mapped on the timing model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[[ -x configure ]] || scripts/bootstrap.sh
mkdir -p build
cd build
[[ -f Makefile ]] || ../configure --enable-werror >configure.out
make -j"$(nproc)" >make.out 2>&1 || { cat make.out; exit 1; }
# compare_npy WANT GOT: the worst error, and failure when the shapes differ or an
# element is beyond the golden tolerance (tests/golden/test_golden.c).
compare_npy() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
import numpy as np
want, got = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64)
err = np.abs(got - want)
import os
name = os.path.basename(sys.argv[2])[:-4]
print("%s%s: max abs error %.3g, max |value| %.3g, worst relative to scale %.3g"
      % (name, list(got.shape), err.max(), np.abs(want).max(), err.max() / max(1.0, np.abs(want).max())))
ok = got.shape == want.shape and (err <= 1e-5 * max(1.0, np.abs(want).max()) + 1e-4 * np.abs(want)).all()
sys.exit(0 if ok else 1)
PY
}
model=../examples/mamba1/prefill.ein
golden=../tests/golden/mamba1_prefill
compare_outputs() { # DIR: every output against the NumPy reference
  for f in "$golden"/out/*.npy; do compare_npy "$f" "$1/$(basename "$f")"; done
}
echo "== einc dump $model  (the Cascade IR after the passes: dA and dBu fused into h)"
./einc dump "$model"
echo "== einc dump $model --target accel --format mapping  (the default mapping)"
./einc dump "$model" --target accel --format mapping -o prefill.mapping.yaml
sed -n '/^fused_groups/,$p' prefill.mapping.yaml
echo "... (all of it in build/prefill.mapping.yaml; docs/mapping.md)"
echo "== einc dump $model --after lower  (the Loop IR, first kernels)"
./einc dump "$model" --after lower -o prefill.loops
head -30 prefill.loops
echo "... (all of it in build/prefill.loops)"
echo "== einc run $model --target cpu  (LLVM JIT) on the golden inputs"
inputs=()
for f in "$golden"/in/*.npy; do inputs+=(--input "$(basename "$f" .npy)=$f"); done
mkdir -p out
./einc run "$model" --target cpu "${inputs[@]}" --outdir out
echo "== compare with the NumPy reference (tests/golden/gen.py)"
compare_outputs out
echo "== einc compile $model --target accel  (microcode for the bundled accelerator)"
./einc compile "$model" --target accel -o prefill.ebin
./einc disasm "$model" -o prefill.s
grep -m1 -A6 '^# einsum 2:' prefill.s
echo "... (the whole annotated listing in build/prefill.s)"
echo "== einsim prefill.ebin on the golden inputs  (the simulator's report)"
mkdir -p accel_out
./einsim prefill.ebin "${inputs[@]}" --outdir accel_out --stats prefill.stats.json
echo "== compare the accelerator with the NumPy reference"
compare_outputs accel_out
echo "== the same on arch/small.yaml (4 KiB buffer) with --fusion none and auto"
for fusion in none auto; do
  ./einc run "$model" --target accel --arch ../arch/small.yaml --fusion "$fusion" "${inputs[@]}" --outdir accel_out
  compare_outputs accel_out
done
echo "== einc check $model  (both targets against a float64 CPU reference, seeded inputs)"
./einc check "$model"
echo "== the mamba-130m shape, L=2048: unfused against mapped (timing model)"
sh ../tests/bench/accel_table.sh .. . "" mamba1/prefill
