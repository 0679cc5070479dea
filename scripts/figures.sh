#!/usr/bin/env bash
# Remakes the planner's figures in docs/ (plan_*.png): installs what is missing (with matplotlib),
# builds eosdnn-plan, runs it about 130 times with --out under build/figures/ and plots the files
# it wrote (scripts/plot_figures.py). About 10 s on two cores once eosdnn-plan is built.
# Usage: scripts/figures.sh [OUTPUT_DIR]     (default docs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh --with-python
cmake --preset release >/dev/null  # CMakePresets.json
cmake --build build/release -j"$(nproc)" --target eosdnn-plan >/dev/null
# The first python3 on the PATH that has matplotlib (a virtual environment may shadow Debian's).
python=""
for candidate in $(type -ap python3); do
  if "$candidate" -c "import matplotlib" 2>/dev/null; then python=$candidate; break; fi
done
[ -n "$python" ] || { echo "figures: no python3 with matplotlib (apt-get install python3-matplotlib)" >&2; exit 1; }
rm -rf build/figures
"$python" scripts/plot_figures.py build/release/examples/eosdnn-plan build/figures "${1:-docs}"
