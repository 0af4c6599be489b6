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
# issue 19: the executable of a model at the edges of the checked shape arithmetic, and the
# partitioned-checkpoint readers (a good one loads; overlapping slices are refused before any
# copy, so nothing reads uninitialised memory)
vg_fail() { # the command must exit 1 with no memcheck error (exit 9 would be one)
  local st=0
  valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=9 "$@" 2>"$t/vg.log" >"$t/out" || st=$?
  if [ "$st" -ne 1 ]; then echo "FAIL: valgrind on $* (exit $st, expected 1)"; grep -E "==[0-9]+== " "$t/vg.log" | head -40; exit 1; fi
  grep -E "ERROR SUMMARY" "$t/vg.log" | sed 's/==[0-9]*== /  /'
}
bad=$src/tests/bad-inputs
python3 "$bad/make_cases.py" "$shared" "$t" >/dev/null
"$build/slimc" "$bad/models/arith_edges_ok.slim" -o "$t/edges"
python3 - "$t/x88.npy" <<'PY'
import struct, sys
h = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 8, 8, 1), }"
h += b" " * (63 - (10 + len(h)) % 64) + b"\n"
open(sys.argv[1], "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + struct.pack("<64f", *range(64)))
PY
echo "arith_edges_ok executable"
vg "$t/edges" --input=x="$t/x88.npy" --output="$t/edges.npy"
"$build/slimc" "$bad/exe_part.slim" -o "$t/part"
echo "partitioned checkpoint: executable, slim-ckpt dump"
vg "$t/part" --checkpoint="$t/part-ok" --input=x="$t/x8.npy" --output="$t/part.npy"
vg "$build/slim-ckpt" dump "$t/part-ok" w
echo "overlapping slices: executable, slim-ckpt dump"
vg_fail "$t/part" --checkpoint="$t/part-overlap-gap" --input=x="$t/x8.npy" --output="$t/part2.npy"
vg_fail "$build/slim-ckpt" dump "$t/part-overlap-gap" w
echo "valgrind: all checks passed"
