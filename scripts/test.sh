#!/usr/bin/env bash
# Installs what is missing, builds eosdnn and runs the whole test suite:
#  0. the include floors, header sizes and formatting (scripts/check_layers.sh, check_format.sh)
#     and the documentation site without a warning (scripts/docs.sh);
#  1. an optimised build: unit tests, examples, the planner checks and the consumer tests
#     (install, add_subdirectory, FetchContent), all through ctest;
#     then scripts/compile_cost.sh, the compile-time budget;
#  2. each libFuzzer target of fuzz/ briefly (scripts/fuzz.sh, EOSDNN_FUZZ_SECONDS each, 20 s);
#  3. the unit tests again, built with AddressSanitizer and UndefinedBehaviorSanitizer, through
#     ctest, whose summary is the last line.
# Usage: scripts/test.sh        (EOSDNN_SKIP_FUZZ=1 or EOSDNN_SKIP_SANITIZERS=1 skip stage 2 or 3
#                               while iterating; EOSDNN_FAST=1 runs only the fast tier: the
#                               tests without the label "slow", no fuzzing, no sanitizers)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh --with-docs
jobs=$(nproc)

# The floors and header sizes of docs/architecture.md, and the layout of .clang-format.
scripts/check_layers.sh
scripts/check_format.sh
# The documentation site: no doxygen warning, every public entity documented (a few seconds).
scripts/docs.sh

cmake --preset release >/dev/null  # CMakePresets.json: build/release, Release, benchmarks
cmake --build build/release -j"$jobs"
if [ "${EOSDNN_FAST:-0}" = 1 ]; then
  ctest --test-dir build/release --output-on-failure -j"$jobs" --label-exclude slow
  exit 0
fi
ctest --test-dir build/release --output-on-failure -j"$jobs"
# The compile-time budget of docs/benchmarks.md: an app compiles in at most twice the time of
# its dependencies' headers alone (separately compiled; the header-only figure is printed too).
if [ "${EOSDNN_SKIP_COMPILE_COST:-0}" != 1 ]; then
  scripts/compile_cost.sh --threshold 2.0 --reps 3
fi

if [ "${EOSDNN_SKIP_FUZZ:-0}" != 1 ]; then
  scripts/fuzz.sh "${EOSDNN_FUZZ_SECONDS:-20}"
fi

if [ "${EOSDNN_SKIP_SANITIZERS:-0}" != 1 ]; then
  # CMakePresets.json "sanitize": build/sanitize, Debug, -O1, ASan + UBSan, no examples.
  cmake --preset sanitize >/dev/null
  cmake --build build/sanitize -j"$jobs" --target eosdnn_tests
  # The consumer builds and the full-weight ONNX export exercise no more library code here.
  ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build/sanitize --output-on-failure -j"$jobs" --label-exclude 'consumer|onnx_full'
fi
