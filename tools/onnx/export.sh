#!/usr/bin/env bash
# Runs export_torchvision.py (same arguments) with the first python3 on PATH that can import
# torch, torchvision and onnx: Debian's python3-torch serves the system interpreter, which a
# pyenv or virtualenv python3 earlier on PATH does not see. Exits 77, which ctest reports as a
# skip, when there is none.
#   tools/onnx/export.sh fixtures tests/data/onnx     regenerate the committed fixtures
#   tools/onnx/export.sh full DIR                     full-weight exports (about 730 MB)
set -euo pipefail
script="$(dirname "${BASH_SOURCE[0]}")/export_torchvision.py"
while read -r py; do
  if "$py" -c 'import torch, torchvision, onnx' 2>/dev/null; then
    exec "$py" "$script" "$@"
  fi
done < <(type -ap python3 | awk '!seen[$0]++')
echo "skipped: no python3 on PATH imports torch, torchvision and onnx" \
     "(Debian: apt-get install python3-torch python3-torchvision python3-onnx)" >&2
exit 77
