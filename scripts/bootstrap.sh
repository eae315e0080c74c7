#!/usr/bin/env bash
# Generates configure and Makefile.in from configure.ac and Makefile.am.
set -euo pipefail
cd "$(dirname "$0")/.."
autoreconf -fi
