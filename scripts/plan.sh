#!/usr/bin/env bash
# Installs what is missing, builds eosdnn-plan and runs it. With no arguments it plans ResNet-50
# from the zoo in the default environment (a phone, two edge servers, a cloud) and prints the
# migration plan and the uploading plan; any argument is passed on (docs/getting-started.md).
# Usage: scripts/plan.sh [eosdnn-plan options]      e.g. scripts/plan.sh --model vgg16 --algo exact
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null  # CMakePresets.json
echo "plan: building eosdnn-plan in build/release" >&2
cmake --build build/release -j"$(nproc)" --target eosdnn-plan >/dev/null
build/release/examples/eosdnn-plan "$@"
