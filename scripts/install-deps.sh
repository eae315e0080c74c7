#!/usr/bin/env bash
# Installs the Debian packages Einc needs to build and test (Debian 12 "bookworm").
# Safe to run again: apt-get skips what is already there.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
  build-essential autoconf automake libtool pkg-config \
  flex bison check libyaml-dev \
  llvm-19-dev zlib1g-dev libzstd-dev libxml2-dev libffi-dev \
  python3-numpy libopenblas-dev git
