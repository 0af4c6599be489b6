#!/usr/bin/env bash
# Compile-time figures for the zoo nets: evaluating each model to its graph (issue goal for
# resnet_v1_50: < 100 ms, < 50 MB of compilation memory) and `slimc -c` at -O2 (goal: < 5 s).
# Medians of RUNS (default 7) runs of `slimc -ftime-report`.   bench/compile.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}; runs=${2:-7}
slimc=$build/slimc
[ -x "$slimc" ] || { echo "bench/compile.sh: build slimc first ($slimc missing)" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf "%-16s %12s %12s %12s %12s\n" model eval_ms eval_arena_MB "-c_ms(-O2)" peak_RSS_MB
for net in vgg_16 mobilenet_v1 resnet_v1_50 inception_v3; do
  : >"$tmp/eval"; : >"$tmp/arena"; : >"$tmp/total"; : >"$tmp/rss"
  for _ in $(seq "$runs"); do
    s=$(date +%s%N)
    "$slimc" -ftime-report -O2 -c "samples/$net.slim" -o "$tmp/$net.o" 2>"$tmp/report"
    e=$(date +%s%N)
    echo $(( (e - s) / 1000000 )) >>"$tmp/total"
    awk '/evaluate/ {print $3}' "$tmp/report" >>"$tmp/eval"
    awk '/evaluate/ {print $6}' "$tmp/report" >>"$tmp/arena"
    awk '/peak RSS/ {print $4}' "$tmp/report" >>"$tmp/rss"
  done
  printf "%-16s %12s %12s %12s %12s\n" "$net" "$(median <"$tmp/eval")" "$(median <"$tmp/arena")" \
    "$(median <"$tmp/total")" "$(median <"$tmp/rss")"
done
echo "(eval_arena_MB: the compilation arena after evaluation; peak_RSS includes the mapped LLVM library)"
