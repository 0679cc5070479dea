#!/usr/bin/env bash
# Checks that every C++ file follows .clang-format (clang-format 14, Debian's clang-format
# package). Usage: scripts/check_format.sh [--fix]   (--fix rewrites the files in place)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

format=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$format" ] || { echo "check_format: clang-format not found (scripts/install-deps.sh)" >&2; exit 1; }
mapfile -t files < <(find include tests examples bench fuzz -name '*.hpp' -o -name '*.cpp' | sort)
if [ "${1:-}" = --fix ]; then
  "$format" -i "${files[@]}"
  exit 0
fi
if ! "$format" --dry-run --Werror "${files[@]}" 2>/tmp/check_format.$$; then
  grep -E '^[^ ].*: error:' /tmp/check_format.$$ | cut -d: -f1 | sort -u | sed 's/^/check_format: not formatted: /' >&2
  rm -f /tmp/check_format.$$
  echo "check_format: run scripts/check_format.sh --fix" >&2
  exit 1
fi
rm -f /tmp/check_format.$$
echo "check_format: ${#files[@]} files follow .clang-format"
