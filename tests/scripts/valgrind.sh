#!/usr/bin/env bash
# valgrind (memcheck) on the two programs users run most: slimc -c of resnet_v1_50, and the
# person-detection executable with its real checkpoint embedded. No errors, nothing definitely or
# indirectly lost (LLVM keeps some blocks "still reachable" at exit; that is not a leak).
set -euo pipefail
build=$(cd "$1" && pwd); shared=$(cd "$2" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
command -v valgrind >/dev/null || { echo "valgrind: not installed (scripts/bootstrap installs it)"; exit 1; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
vg() {
  valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=9 "$@" 2>"$t/vg.log" >"$t/out" || { echo "FAIL: valgrind on $*"; grep -E "==[0-9]+== " "$t/vg.log" | head -40; exit 1; }
  grep -E "ERROR SUMMARY" "$t/vg.log" | sed 's/==[0-9]*== /  /'
}
echo "slimc -c samples/resnet_v1_50.slim"
vg "$build/slimc" -c "$src/samples/resnet_v1_50.slim" -o "$t/resnet.o"
"$build/slimc" --checkpoint="$shared/testdata/tf-checkpoints/vww-mobilenet-v1-025" --restore-ema \
  "$src/samples/person_detection/person_detection.slim" -o "$t/pd"
for img in person no_person; do
  echo "person_detection on $img.pgm"
  vg "$t/pd" --input="$shared/testdata/images/$img.pgm" --top=1 --labels="$src/samples/person_detection/labels.txt"
  cat "$t/out"
done
echo "valgrind: all checks passed"
