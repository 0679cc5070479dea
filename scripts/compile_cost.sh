#!/usr/bin/env bash
# Compile cost as a budget (issue 12): how much longer an app takes to compile than a file that
# only includes the headers of eosdnn's dependencies.
#
# It compiles, interleaved and N times each,
#   (a) a baseline translation unit that includes only the dependencies' headers eosdnn uses
#       (Boost.Graph's adjacency_list, Boost.Random's distributions, xtensor, nlohmann/json) and
#       has a trivial main,
#   (b) examples/minimal_plan.cpp separately compiled (-DEOSDNN_SEPARATE_COMPILATION, as the
#       project builds it: include/eosdnn/config.hpp), the budgeted figure, and
#   (c) the same file header-only, for information,
# with the project's flags (g++ -std=c++20 -O2 -c -I include -DEOSDNN_DATA_DIR=...), measuring
# wall time and peak resident memory with /usr/bin/time. The one unit that a separately
# compiled program adds (examples/separate_compilation/eosdnn_src.cpp) is compiled once and
# reported: a program pays it once, not per file. It prints the medians, the ratios and the peak
# memory of each, a one-line summary starting "compile-cost:", and exits 1 when the separately
# compiled ratio exceeds the threshold.
#
# Usage: scripts/compile_cost.sh [--threshold R] [--reps N] [--cxx COMPILER] [--app FILE.cpp]
#   --threshold R   largest ratio app/baseline accepted (default 2.0; env EOSDNN_COMPILE_THRESHOLD)
#   --reps N        compilations of each file (default 3; env EOSDNN_COMPILE_REPS)
#   --cxx COMPILER  the compiler (default g++; env CXX is not used so that CI logs compare alike)
#   --app FILE      the app to measure (default examples/minimal_plan.cpp)
# Extra flags for both compilations may be given in EOSDNN_COMPILE_FLAGS (e.g. "-O0").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

threshold="${EOSDNN_COMPILE_THRESHOLD:-2.0}"
reps="${EOSDNN_COMPILE_REPS:-3}"
cxx="g++"
app="examples/minimal_plan.cpp"
while [ $# -gt 0 ]; do
  case "$1" in
    --threshold) threshold="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --cxx) cxx="$2"; shift 2 ;;
    --app) app="$2"; shift 2 ;;
    -h|--help) sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compile_cost: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || { echo "compile_cost: --reps wants a positive integer" >&2; exit 2; }
[[ "$threshold" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "compile_cost: --threshold wants a number" >&2; exit 2; }
[ -f "$app" ] || { echo "compile_cost: no such app: $app" >&2; exit 2; }
command -v "$cxx" >/dev/null || { echo "compile_cost: compiler '$cxx' not found" >&2; exit 2; }
if [ ! -x /usr/bin/time ]; then
  echo "compile_cost: needs /usr/bin/time (GNU time; scripts/install-deps.sh installs it)" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The dependencies' headers, exactly those eosdnn's headers include (see detail/xtensor.hpp and
# the boost/nlohmann includes under include/eosdnn).
cat >"$work/baseline.cpp" <<'CPP'
#include <boost/graph/adjacency_list.hpp>
#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <nlohmann/json.hpp>
#include <xtensor/xtensor.hpp>

int main() { return 0; }
CPP

# The flags of the project's CMake targets for an example (CMakeLists.txt, examples/CMakeLists.txt).
# shellcheck disable=SC2206
flags=(-std=c++20 -O2 -c -I include "-DEOSDNN_DATA_DIR=\"$PWD/data\"" ${EOSDNN_COMPILE_FLAGS:-})

# measure NAME SOURCE: appends "seconds kilobytes" to $work/NAME.txt.
measure() {
  local name="$1" source="$2"
  if ! /usr/bin/time -f '%e %M' -o "$work/$name.one" "$cxx" "${flags[@]}" "$source" \
      -o "$work/$name.o" 2>"$work/$name.err"; then
    echo "compile_cost: $name ($source) does not compile:" >&2
    cat "$work/$name.err" >&2
    exit 2
  fi
  tail -n 1 "$work/$name.one" >>"$work/$name.txt"
}

# median FILE COLUMN
median() {
  cut -d' ' -f"$2" "$1" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "compile_cost: $cxx ${flags[*]}; $reps repetitions, interleaved; app $app"
base_flags=("${flags[@]}")
for ((i = 1; i <= reps; ++i)); do
  flags=("${base_flags[@]}"); measure baseline "$work/baseline.cpp"
  flags=("${base_flags[@]}" -DEOSDNN_SEPARATE_COMPILATION); measure app "$app"
  flags=("${base_flags[@]}"); measure header_only "$app"
  printf '  run %d: baseline %6.2f s %7d KiB | app separately compiled %6.2f s %7d KiB | header-only %6.2f s %7d KiB\n' \
    "$i" $(tail -n 1 "$work/baseline.txt") $(tail -n 1 "$work/app.txt") $(tail -n 1 "$work/header_only.txt")
done
flags=("${base_flags[@]}" -DEOSDNN_SEPARATE_COMPILATION)
measure source examples/separate_compilation/eosdnn_src.cpp
flags=("${base_flags[@]}")

base_s="$(median "$work/baseline.txt" 1)"; base_kb="$(median "$work/baseline.txt" 2)"
app_s="$(median "$work/app.txt" 1)"; app_kb="$(median "$work/app.txt" 2)"
base_peak="$(cut -d' ' -f2 "$work/baseline.txt" | sort -g | tail -n 1)"
app_peak="$(cut -d' ' -f2 "$work/app.txt" | sort -g | tail -n 1)"
ratio="$(awk -v a="$app_s" -v b="$base_s" 'BEGIN { printf "%.2f", a / b }')"
ho_s="$(median "$work/header_only.txt" 1)"
ho_peak="$(cut -d' ' -f2 "$work/header_only.txt" | sort -g | tail -n 1)"
ho_ratio="$(awk -v a="$ho_s" -v b="$base_s" 'BEGIN { printf "%.2f", a / b }')"
read -r source_s source_kb <"$work/source.txt"
mem_ratio="$(awk -v a="$app_peak" -v b="$base_peak" 'BEGIN { printf "%.2f", a / b }')"
ok="$(awk -v r="$ratio" -v t="$threshold" 'BEGIN { print (r <= t) ? "ok" : "FAIL" }')"

printf 'baseline (dependencies only): median %.2f s, peak memory %d MiB\n' "$base_s" $((base_peak / 1024))
printf 'app (%s, separately compiled): median %.2f s, peak memory %d MiB\n' "$app" "$app_s" $((app_peak / 1024))
printf 'app (%s, header-only): median %.2f s, peak memory %d MiB, ratio %s\n' "$app" "$ho_s" $((ho_peak / 1024)) "$ho_ratio"
printf 'the one separately compiled unit (once per program): %.2f s, peak memory %d MiB\n' "$source_s" $((source_kb / 1024))
printf 'ratio app/baseline: %s (threshold %s), memory ratio %s\n' "$ratio" "$threshold" "$mem_ratio"
printf 'compile-cost: %s ratio=%s threshold=%s app_s=%.2f baseline_s=%.2f app_peak_mib=%d baseline_peak_mib=%d header_only_ratio=%s header_only_peak_mib=%d reps=%d\n' \
  "$ok" "$ratio" "$threshold" "$app_s" "$base_s" $((app_peak / 1024)) $((base_peak / 1024)) "$ho_ratio" $((ho_peak / 1024)) "$reps"
[ "$ok" = ok ]
