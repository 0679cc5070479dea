#!/usr/bin/env bash
# Installs what is missing, builds eosdnn's planner example and plans a zoo model.
# Usage: scripts/plan.sh [model]     (default resnet50; any name of the zoo)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$(nproc)" --target plan_zoo_model
build/release/examples/plan_zoo_model "$@"
