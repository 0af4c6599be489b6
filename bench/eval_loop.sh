#!/usr/bin/env bash
# Times `slimc -fsyntax-only bench/eval_loop.slim` (a 100,000-iteration
# compile-time loop) and prints the median of RUNS runs in milliseconds.
#   bash bench/eval_loop.sh [BUILD_DIR] [RUNS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
runs=${2:-11}
slimc=$build/slimc
[ -x "$slimc" ] || { echo "eval_loop: $slimc is not built" >&2; exit 2; }
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$slimc" -fsyntax-only "$here/eval_loop.slim"
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000 )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
printf 'eval_loop: median %d.%03d ms over %d runs (100000 iterations)\n' $((median / 1000)) $((median % 1000)) "$runs"
