#!/usr/bin/env bash
# Builds the documentation site with Doxygen (docs/Doxyfile) into build/doxygen/html: the guides
# of docs/ as pages, docs/getting-started.md as the main page, and the API reference of
# include/eosdnn, in which every public entity must have a Doxygen comment. It fails, printing
# the warnings, if doxygen warns about anything (a guide it cannot read, a broken reference), or if
# - doxygen reports anything undocumented (WARN_IF_UNDOCUMENTED: classes, their members, free
#   functions, enums, type aliases), or
# - a concept or an enumerator has no comment: doxygen 1.9 does not warn about those, so they are
#   checked in its XML output. An enumerator counts as documented if it has a ///< comment or if
#   its enum's comment names it in backticks (for one-line enums).
# eosdnn::detail and */detail/* are implementation, not API, and are left out.
# Usage: scripts/docs.sh        (needs doxygen: scripts/install-deps.sh --with-docs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v doxygen >/dev/null || { echo "docs: doxygen not found (scripts/install-deps.sh --with-docs installs it)" >&2; exit 1; }
out=build/doxygen
log=$out/warnings.log
rm -rf "$out/html" "$out/xml"
mkdir -p "$out"
rm -f "$log"
doxygen docs/Doxyfile
touch "$log"

# Prints "file:line: concept|enumerator NAME has no documentation" for the XML files given.
missing=$(awk '
# Sets f and l from a <location file="..." line="..."> line (paths are relative to include/).
function where() {
  match($0, / file="[^"]*"/); f="include/" substr($0, RSTART+7, RLENGTH-8)
  match($0, / line="[0-9]*"/); l=substr($0, RSTART+7, RLENGTH-8)
}
function flush_ev() {
  if (in_ev && !ev_doc && !(ev_id in seen)) { seen[ev_id]=1; pending[++np]=ev_name }
  in_ev=0
}
/<compounddef .*kind="concept"/ { in_concept=1; c_doc=0; next }
in_concept && /<compoundname>/ { c_name=$0; gsub(/.*<compoundname>|<\/compoundname>.*/, "", c_name) }
in_concept && /<para[ >]/ { c_doc=1 }
in_concept && /<location / { where()
  if (!c_doc) print f ":" l ": concept " c_name " has no documentation"; in_concept=0 }
/<memberdef kind="enum"/ { in_enum=1; np=0; e_name=""; e_text="" }
in_enum && /<enumvalue / { in_ev=1; ev_doc=0; ev_id=$0; sub(/.*id="/, "", ev_id); sub(/".*/, "", ev_id) }
in_ev && /<name>/ { ev_name=$0; gsub(/.*<name>|<\/name>.*/, "", ev_name) }
in_ev && /<para[ >]/ { ev_doc=1 }
in_ev && /<\/enumvalue>/ { flush_ev() }
# Text of the description of the enum: an enumerator it names in backticks counts as documented
# (for one-line enums, whose values cannot carry a ///< comment of their own).
in_enum && !in_ev { e_text = e_text $0 }
in_enum && !in_ev && /<qualifiedname>/ { e_name=$0; gsub(/.*<qualifiedname>|<\/qualifiedname>.*/, "", e_name) }
in_enum && !in_ev && /<location / { where()
  for (i=1;i<=np;i++) if (index(e_text, "<computeroutput>" pending[i] "</computeroutput>") == 0) print f ":" l ": enumerator " e_name "::" pending[i] " has no documentation"
  in_enum=0; np=0 }
' "$out"/xml/*.xml)

undocumented=$(grep -c 'is not documented' "$log" || true)
n_missing=$(printf '%s' "$missing" | grep -c . || true)
if [ "$undocumented" -ne 0 ] || [ "$n_missing" -ne 0 ]; then
  sed "s|^$PWD/||" "$log" >&2
  [ -z "$missing" ] || printf '%s\n' "$missing" >&2
  echo "docs: $((undocumented + n_missing)) undocumented public entities (doxygen's warnings: $log)" >&2
  exit 1
fi
other=$(grep -c . "$log" || true)
if [ "$other" -ne 0 ]; then
  sed "s|^$PWD/||" "$log" >&2
  echo "docs: $other doxygen warnings (not about missing comments)" >&2
  exit 1
fi
echo "docs: no warnings, every public entity documented; the site is $out/html/index.html"
