#!/usr/bin/env bash
# Installs the Debian packages eosdnn needs to build, test and benchmark.
# Idempotent: it asks apt only for what is missing and prints nothing when all is there.
# Usage: scripts/install-deps.sh [--with-python] [--with-torch] [--with-docs] [--with-pagmo]
#        (as root, or sudo)
set -euo pipefail

packages=(
  g++ cmake make
  libboost-dev          # Boost.Graph and Boost.Random are header-only parts of it
  xtensor-dev xtl-dev
  nlohmann-json3-dev
  doctest-dev
  libbenchmark-dev
  libonnx-dev libprotobuf-dev  # eosdnn::onnx, the ONNX importer (libonnx-dev lacks protobuf's headers)
  coinor-libcbc-dev pkg-config  # eosdnn::milp, the CBC integer-program backend (found via cbc.pc)
  libcli11-dev          # the command line of eosdnn-plan
  time                  # scripts/compile_cost.sh: /usr/bin/time reports peak memory
  clang libclang-rt-14-dev  # scripts/fuzz.sh: clang++ with libFuzzer and the sanitizer runtimes
  clang-format          # scripts/check_format.sh: the layout of .clang-format
)
# scripts/figures.sh draws the planner's figures with matplotlib; nothing else needs Python.
# scripts/docs.sh checks the Doxygen comments with doxygen; nothing else needs it.
# bench/pagmo/pagmo_compare (the side-by-side comparison with pagmo2) is built when pagmo is there.
# tools/onnx/export.sh (the ONNX fixtures, and the full-weight exports ctest makes when it can)
# needs torch, torchvision and onnx: about 160 packages, so they have their own option; the tests
# use the committed fixtures without them.
for arg in "$@"; do
  case "$arg" in
    --with-python) packages+=(python3 python3-matplotlib) ;;
    --with-torch) packages+=(python3 python3-numpy python3-torch python3-torchvision python3-onnx) ;;
    --with-docs) packages+=(doxygen) ;;
    --with-pagmo) packages+=(libpagmo-dev) ;;
    *) echo "install-deps: unknown option '$arg' (known: --with-python --with-torch --with-docs" \
            "--with-pagmo)" >&2
       exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once before installing.
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
