#!/usr/bin/env bash
# Compile time of long models (issue 19's goal: each under 10 s at -O2):
#   chain N  - N chained `y = y + 1.0` (kernel calls; default 20,000)
#   repeat N - slim.repeat of N fully_connected layers (kernel calls and inline ReLUs; 8,000)
# Prints, for each, `slimc -O2`'s wall, user and sys time (GNU time), peak RSS and
# slimc's own -ftime-report stages, with the machine's load average first (wall time
# on a shared machine is CPU time times the load).  Not a test: a figure to read.
#   bench/compile_deep.sh [BUILD_DIR] [CHAIN_N] [REPEAT_N] [OPT]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}; chain=${2:-20000}; repeat=${3:-8000}; opt=${4:--O2}
slimc=$build/slimc
[ -x "$slimc" ] || { echo "bench/compile_deep.sh: build slimc first ($slimc missing)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench/compile_deep.sh: needs GNU time (/usr/bin/time)" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf 'model m(x: f32[1, 4]):\n    y = x\n    for i in range(%d):\n        y = y + 1.0\n    return y\n' \
  "$chain" >"$tmp/chain.slim"
printf 'import tf_slim as slim\n\nmodel m(x: f32[1, 4]):\n    return slim.repeat(x, %d, slim.fully_connected, 4)\n' \
  "$repeat" >"$tmp/repeat.slim"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for c in "chain $chain" "repeat $repeat"; do
  set -- $c
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" timeout 600 "$slimc" "$opt" -ftime-report \
    "$tmp/$1.slim" -o "$tmp/$1.exe" 2>"$tmp/report"
  read -r wall user sys rss <"$tmp/time"
  printf '%-7s %6d ops %s: wall %6.2f s  user %6.2f s  sys %5.2f s  peak RSS %4d MB\n' \
    "$1" "$2" "$opt" "$wall" "$user" "$sys" $((rss / 1024))
  sed -n 's/^slimc: *\([a-z-]*\) *\([0-9.]*\) ms.*/    \1 \2 ms/p' "$tmp/report" | tr '\n' ' '
  echo
done
