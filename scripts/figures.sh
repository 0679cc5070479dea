#!/usr/bin/env bash
# Remakes the figures in docs/, each as PNG (150 dpi, for the README and the guides) and SVG (for a
# paper): installs what is missing (with matplotlib), builds eosdnn-plan and upload_results, runs
# eosdnn-plan about 170 times with --out under build/figures/ and plots the files it wrote
# (scripts/plot_figures.py: plan_*), then plots upload_results' timeline
# (scripts/plot_upload_timeline.py: upload_timeline_resnet50_40mbps). About 40 s on two cores once
# both are built. plot_figures.py prints the numbers that docs/getting-started.md quotes.
# Usage: scripts/figures.sh [OUTPUT_DIR]     (default docs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh --with-python
cmake --preset release >/dev/null  # CMakePresets.json
cmake --build build/release -j"$(nproc)" --target eosdnn-plan upload_results >/dev/null
# The first python3 on the PATH that has matplotlib (a virtual environment may shadow Debian's).
python=""
for candidate in $(type -ap python3); do
  if "$candidate" -c "import matplotlib" 2>/dev/null; then python=$candidate; break; fi
done
[ -n "$python" ] || { echo "figures: no python3 with matplotlib (apt-get install python3-matplotlib)" >&2; exit 1; }
output=${1:-docs}
rm -rf build/figures
"$python" scripts/plot_figures.py build/release/examples/eosdnn-plan build/figures "$output"
# docs/uploading.md's figure: ResNet-50's measured profile, the device and one server at 40 Mbps.
build/release/examples/upload_results --timeline build/figures/timeline.csv >build/figures/upload_results.md
"$python" scripts/plot_upload_timeline.py build/figures/timeline.csv "$output/upload_timeline_resnet50_40mbps.png"
