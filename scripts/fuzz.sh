#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with Debian's clang (AddressSanitizer and
# UndefinedBehaviorSanitizer on) and runs each, one after the other, for a bounded time.
#
# Usage: scripts/fuzz.sh [seconds-per-target] [target...]
#   seconds-per-target  default 60
#   target              the name of a fuzz/<target>.cpp: profile_csv, json_environment,
#                       json_model, json_plan, onnx (default: every fuzz/*.cpp)
#
# The onnx target (the ONNX importer) is built with the ONNX definitions and libraries, and only
# when the ONNX and protobuf headers and libraries are installed; otherwise it is skipped with a
# message. Its inputs may be up to 64 KB (whole small models), the others' up to 8 KB.
#
# A target's dictionary is fuzz/dict/<target>.dict, or fuzz/dict/json.dict for json_* targets.
# Each target starts from its seed corpus in fuzz/corpus/<target>/ plus whatever earlier runs
# found (build/fuzz/corpus/<target>/, so repeated runs go deeper); the repository's seeds are
# never modified. A crash, sanitizer report, leak, timeout or out-of-memory input is saved under
# build/fuzz/findings/<target>/ and makes the script exit non-zero. Reproduce one with
#   build/fuzz/<target> build/fuzz/findings/<target>/<file>
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for source_file in fuzz/*.cpp; do targets+=("$(basename "$source_file" .cpp)"); done
fi
case "$seconds" in
  '' | *[!0-9]*) echo "fuzz: seconds-per-target must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac

scripts/install-deps.sh
command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (scripts/install-deps.sh installs it)" >&2; exit 1; }

out=build/fuzz
mkdir -p "$out"
flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -fno-omit-frame-pointer -Iinclude)
# Build every target first, as many at once as there are cores; then fuzz one at a time, so
# that each run has a core to itself.
builds=()
for target in "${targets[@]}"; do
  [ -f "fuzz/$target.cpp" ] || { echo "fuzz: no target '$target' (fuzz/$target.cpp does not exist)" >&2; exit 2; }
done
# The ONNX importer needs the definitions and libraries of ONNX's CMake package (ONNXTargets.cmake).
onnx_flags=(-DONNX_ML=1 -DONNX_NAMESPACE=onnx)
onnx_libraries=(-lonnx -lonnx_proto -lprotobuf)
onnx_available() {
  printf '#include <onnx/onnx_pb.h>\n#include <google/protobuf/message.h>\nint main() {}\n' |
    clang++ -std=c++20 "${onnx_flags[@]}" -x c++ - -o /dev/null "${onnx_libraries[@]}" >/dev/null 2>&1
}
kept=()
for target in "${targets[@]}"; do
  if [ "$target" = onnx ] && ! onnx_available; then
    echo "fuzz: skipping onnx: the ONNX and protobuf headers or libraries are not installed" >&2
  else
    kept+=("$target")
  fi
done
targets=("${kept[@]}")
[ ${#targets[@]} -ne 0 ] || { echo "fuzz: no target to run" >&2; exit 0; }
for target in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do sleep 1; done
  if [ "$target" = onnx ]; then
    clang++ "${flags[@]}" "${onnx_flags[@]}" "fuzz/$target.cpp" -o "$out/$target" "${onnx_libraries[@]}" &
  else
    clang++ "${flags[@]}" "fuzz/$target.cpp" -o "$out/$target" &
  fi
  builds+=($!)
done
for pid in "${builds[@]}"; do
  wait "$pid" || { echo "fuzz: building a target failed" >&2; exit 1; }
done

total_runs=0
total_findings=0
for target in "${targets[@]}"; do
  corpus=$out/corpus/$target
  findings=$out/findings/$target
  mkdir -p "$corpus" "$findings"
  dict_option=()
  if [ -f "fuzz/dict/$target.dict" ]; then dict_option=(-dict="fuzz/dict/$target.dict")
  elif [[ "$target" == json_* ]]; then dict_option=(-dict=fuzz/dict/json.dict)
  fi
  max_len=8192
  [ "$target" = onnx ] && max_len=65536
  started=$out/$target.started  # findings newer than this are this run's
  touch "$started"
  # New inputs go to the first directory, so the seeds in fuzz/corpus stay as committed.
  # A run that stops on a finding exits non-zero; the findings directory says what happened.
  status=0
  "$out/$target" "$corpus" "fuzz/corpus/$target" "${dict_option[@]}" -max_total_time="$seconds" \
      -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$findings/" >"$out/$target.log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$target.log" | tail -n 1)
  runs=${runs:-0}
  found=$(find "$findings" -type f -newer "$started" | wc -l)
  if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then
    found=1  # failed without saving an input (a crash in start-up, say): still a finding
  fi
  echo "fuzz: $target: $runs runs (up to ${seconds} s), $found findings"
  if [ "$found" -ne 0 ]; then
    find "$findings" -type f -newer "$started" | sed 's/^/fuzz:   /'
    grep -E -m 5 'ERROR|runtime error|finding:|SUMMARY' "$out/$target.log" | sed 's/^/fuzz:   /' || true
  fi
  total_runs=$((total_runs + runs))
  total_findings=$((total_findings + found))
done
echo "fuzz: ${#targets[@]} targets, $total_runs runs, $total_findings findings"
[ "$total_findings" -eq 0 ]
