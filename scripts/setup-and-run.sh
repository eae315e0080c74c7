#!/usr/bin/env bash
# From a fresh Debian 12 machine: install the packages, build Einc, and run
# the main job on the Mamba-1 layer: its IR, the CPU reference against NumPy,
# the accelerator binary on einsim against NumPy and against the CPU
# (einc check), and the simulator's report.
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
print("out%s: max abs error %.3g, max |value| %.3g, worst relative to scale %.3g"
      % (list(got.shape), err.max(), np.abs(want).max(), err.max() / max(1.0, np.abs(want).max())))
ok = got.shape == want.shape and (err <= 1e-5 * max(1.0, np.abs(want).max()) + 1e-4 * np.abs(want)).all()
sys.exit(0 if ok else 1)
PY
}
model=../examples/mamba1_layer.ein
golden=../tests/golden/mamba1_layer
echo "== einc dump $model  (the Cascade IR)"
./einc dump "$model"
echo "== einc dump $model --after lower  (the Loop IR, first kernels)"
./einc dump "$model" --after lower -o mamba1_layer.loops
head -40 mamba1_layer.loops
echo "... (all of it in build/mamba1_layer.loops)"
echo "== einc run $model --target cpu  (LLVM JIT) on the golden inputs"
inputs=()
for f in "$golden"/in/*.npy; do inputs+=(--input "$(basename "$f" .npy)=$f"); done
mkdir -p out
./einc run "$model" --target cpu "${inputs[@]}" --outdir out
echo "== compare with the NumPy reference (tests/golden/gen.py)"
compare_npy "$golden/out/out.npy" out/out.npy
echo "== einc compile $model --target accel  (microcode for the bundled accelerator)"
./einc compile "$model" --target accel -o mamba1_layer.ebin
./einc disasm "$model" -o mamba1_layer.s
grep -m1 -A6 '^# einsum 2:' mamba1_layer.s
echo "... (the whole annotated listing in build/mamba1_layer.s)"
echo "== einsim mamba1_layer.ebin on the golden inputs  (the simulator's report)"
mkdir -p accel_out
./einsim mamba1_layer.ebin "${inputs[@]}" --outdir accel_out --stats mamba1_layer.stats.json
echo "== compare the accelerator with the NumPy reference"
compare_npy "$golden/out/out.npy" accel_out/out.npy
echo "== einc check $model  (accelerator against the CPU reference, seeded inputs)"
./einc check "$model"
