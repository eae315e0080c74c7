#!/usr/bin/env bash
# From a fresh Debian 12 machine: install the packages, build Einc, and run
# the main job on the Mamba example. Until the backends land (issues #3-#5)
# the main job is the compiler's front half: parse, analyze and verify the
# Mamba-1 layer and print its Cascade IR.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[[ -x configure ]] || scripts/bootstrap.sh
mkdir -p build
cd build
[[ -f Makefile ]] || ../configure --enable-werror >configure.out
make -j"$(nproc)" >make.out 2>&1 || { cat make.out; exit 1; }
echo "== einc dump examples/mamba1_layer.ein"
./einc dump ../examples/mamba1_layer.ein
echo "== the same cascade as a graph: build/mamba1_layer.dot (render with: dot -Tsvg)"
./einc dump ../examples/mamba1_layer.ein --format dot -o mamba1_layer.dot
echo "== einc run (the CPU backend) is not there yet:"
./einc run ../examples/mamba1_layer.ein || true
