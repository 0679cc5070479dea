#!/usr/bin/env bash
# Checks the floors of docs/architecture.md: no header under core/, graph/, cost/ or io/
# includes one of optim/ or upload/; no header of optim/ includes one of upload/; no header of
# core/, graph/, cost/, io/, optim/ or upload/ includes one of replan/; core/ includes nothing
# above it; no header in include/ is over 600 lines. Prints each breach; exits 1 if any.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

status=0
breach() { echo "check_layers: $*" >&2; status=1; }

for dir in core graph cost io; do
  while IFS= read -r hit; do breach "$hit (a $dir/ header looks up)"; done < <(
    grep -rnE '#include <eosdnn/(optim|upload|report|milp)/' "include/eosdnn/$dir" || true)
done
while IFS= read -r hit; do breach "$hit (core/ includes only core/)"; done < <(
  grep -rnE '#include <eosdnn/' include/eosdnn/core | grep -v '#include <eosdnn/core/' || true)
while IFS= read -r hit; do breach "$hit (optim/ must not include upload/)"; done < <(
  grep -rnE '#include <eosdnn/(upload|report)/' include/eosdnn/optim || true)
# replan/ (re-planning at run time) is a floor above upload/ and optim/: nothing below it includes
# it (eosdnn/replan.hpp is its umbrella, kept out of eosdnn.hpp for the compile-time budget).
for dir in core graph cost io optim upload; do
  while IFS= read -r hit; do breach "$hit ($dir/ must not include replan/)"; done < <(
    grep -rnE '#include <eosdnn/replan[/.]' "include/eosdnn/$dir" || true)
done
while IFS= read -r file; do
  lines=$(wc -l < "$file")
  [ "$lines" -le 600 ] || breach "$file has $lines lines (at most 600)"
done < <(find include -name '*.hpp')

[ $status -eq 0 ] && echo "check_layers: floors respected, every header <= 600 lines"
exit $status
