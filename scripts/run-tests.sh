#!/usr/bin/env bash
# Builds Einc in build/ (or build-san/ with --sanitize: AddressSanitizer and
# UBSan) with warnings as errors, runs every test, and ends with the check
# summary line over all test programs.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
builddir=build
flags=(--enable-werror)
if [[ ${1:-} == --sanitize ]]; then
  builddir=build-san
  flags+=(--enable-sanitizers)
fi
[[ -x configure ]] || scripts/bootstrap.sh
mkdir -p "$builddir"
cd "$builddir"
if [[ ! -f Makefile ]] || [[ config.status -ot "$top/configure" ]]; then
  "$top/configure" "${flags[@]}" >configure.out
fi
make -j"$(nproc)" >make.out 2>&1 || { cat make.out; exit 1; }
status=0
make -j"$(nproc)" check || status=$?
# Each check program logs "NN%: Checks: N, Failures: F, Errors: E"; add them up.
awk '/^[0-9]+%: Checks: / {
       gsub(",", ""); checks += $3; failures += $5; errors += $7; found = 1 }
     END { if (!found) { print "no check summary found"; exit 1 }
           pct = checks ? int(100 * (checks - failures - errors) / checks) : 0
           printf "%d%%: Checks: %d, Failures: %d, Errors: %d\n", pct, checks, failures, errors }' \
  $(find tests ir -name '*.log' ! -name 'test-suite.log' 2>/dev/null | sort) || status=1
exit $status
