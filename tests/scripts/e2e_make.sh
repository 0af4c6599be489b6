#!/bin/bash
# samples/Makefile: a from-scratch `make` in a copy of samples/ builds every model and
# app/classify (C API); a second make has nothing to do; touching a load()ed file rebuilds
# exactly its dependents (the -MD dependency files).
# usage: e2e_make.sh BUILD_DIR SHARED_DIR
set -u
BUILD=$(cd "$1" && pwd)
SHARED=$(cd "$2" && pwd)
SRC=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
IMG=$SHARED/testdata/images
. "$(dirname "$0")/check_lib.bash"   # not *.sh: not a test itself

# a clean copy: sources only, whatever has been built in the tree
(cd "$SRC/samples" && find . -name '*.slim' -o -name '*.c' -o -name '*.txt' -o -name Makefile) |
  while read -r f; do mkdir -p "$TMP/samples/$(dirname "$f")"; cp "$SRC/samples/$f" "$TMP/samples/$f"; done
S=$TMP/samples
# a sanitized build's libslimrt.a needs the sanitizer runtimes in every program linking it
SAN=
grep -q '^SLIMC_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2> /dev/null && SAN="-fsanitize=address,undefined"
# a writable copy of the checkpoint (3.5 MB), to "retrain" it by touching its files
cp -r "$SHARED/testdata/tf-checkpoints/vww-mobilenet-v1-025" "$TMP/ckpt" && chmod -R u+w "$TMP/ckpt" && rm -f "$TMP/ckpt/README.md"
MK=(make -C "$S" SLIMC="$BUILD/slimc" SLIMRT_INCLUDE="$SRC/runtime/include" CFLAGS="-O2 -Wall $SAN"
    CHECKPOINT="$TMP/ckpt")

if "${MK[@]}" -j2 > "$TMP/log1" 2>&1; then pass "make from scratch"
else bad "make from scratch"; tail -20 "$TMP/log1"; fi
for t in vgg_16 mobilenet_v1 resnet_v1_50 inception_v3 person_detection/person_detection app/classify; do
  [ -x "$S/$t" ] && pass "built $t" || bad "built $t"
done
for d in vgg_16.d person_detection/person_detection.d app/person_detection.d; do
  [ -f "$S/$d" ] && pass "dependency file $d" || bad "dependency file $d"
done
grep -q "mobilenet_v1.slim" "$S/person_detection/person_detection.d" 2> /dev/null \
  && pass "person_detection.d names mobilenet_v1.slim" || bad "person_detection.d names mobilenet_v1.slim"
for f in checkpoint model.ckpt-963849.index model.ckpt-963849.data-00000-of-00001; do
  grep -q "^  $TMP/ckpt/$f" "$S/person_detection/person_detection.d" 2> /dev/null \
    && pass "person_detection.d names the checkpoint's $f" || bad "person_detection.d names the checkpoint's $f"
done
grep -q "ckpt" "$S/vgg_16.d" && bad "vgg_16.d names checkpoint files" || pass "vgg_16.d names no checkpoint file"

# the C program against the generated header, embedded EMA weights
if [ -x "$S/app/classify" ]; then
  out=$("$S/app/classify" "$IMG/person.pgm" "$IMG/no_person.pgm" 2>&1)
  check "classify person.pgm" "person" "$(echo "$out" | sed -n 1p | sed 's/^.*: \(.*\) [0-9.]*$/\1/')"
  check "classify no_person.pgm" "no person" "$(echo "$out" | sed -n 2p | sed 's/^.*: \(.*\) [0-9.]*$/\1/')"
  "$S/app/classify" "$S/Makefile" > /dev/null 2> "$TMP/err"
  check "classify rejects a non-image (exit 1)" 1 $?
fi
"$S/person_detection/person_detection" --input="$IMG/person.pgm" --top=1 --labels="$S/person_detection/labels.txt" \
  > "$TMP/ans" 2>&1
check "person_detection executable" person "$(sed 's/ [0-9.]*$//' "$TMP/ans")"

# nothing to do the second time
"${MK[@]}" -q > /dev/null 2>&1
check "make -q after a full build exits 0" 0 $?
"${MK[@]}" > "$TMP/log2" 2>&1
grep -q "slimc\|cc " "$TMP/log2" && bad "second make ran commands: $(cat "$TMP/log2")" || pass "second make does nothing"

# touching a loaded file: its dependents only
rebuilt() { grep -o -- "-o [^ ]*" "$1" | sed 's/^-o //' | sort | tr '\n' ' '; }
sleep 1
touch "$S/mobilenet_v1.slim"
"${MK[@]}" > "$TMP/log3" 2>&1 || { bad "make after touching mobilenet_v1.slim"; cat "$TMP/log3"; }
check "touch mobilenet_v1.slim rebuilds" "app/classify app/person_detection.o mobilenet_v1 person_detection/person_detection " \
  "$(rebuilt "$TMP/log3")"
sleep 1
touch "$S/resnet_utils.slim"
"${MK[@]}" > "$TMP/log4" 2>&1 || { bad "make after touching resnet_utils.slim"; cat "$TMP/log4"; }
check "touch resnet_utils.slim rebuilds" "resnet_v1_50 " "$(rebuilt "$TMP/log4")"
# retraining: a new data file or state file rebuilds exactly the models that embed the weights
for f in model.ckpt-963849.data-00000-of-00001 checkpoint model.ckpt-963849.index; do
  sleep 1
  touch "$TMP/ckpt/$f"
  "${MK[@]}" > "$TMP/log6" 2>&1 || { bad "make after touching $f"; cat "$TMP/log6"; }
  check "touch checkpoint $f rebuilds" "app/classify app/person_detection.o person_detection/person_detection " \
    "$(rebuilt "$TMP/log6")"
done
"${MK[@]}" -q > /dev/null 2>&1
check "make -q afterwards exits 0" 0 $?

# a model error stops make with the diagnostic
printf 'model broken(x: f32[2]):\n    return x +\n' > "$S/vgg_16.slim"
"${MK[@]}" vgg_16 > "$TMP/log5" 2>&1
check "a broken model fails the build (exit 2)" 2 $?
grep -q "vgg_16.slim:2:.*error" "$TMP/log5" && pass "the diagnostic names the file" \
  || { bad "the diagnostic names the file"; cat "$TMP/log5"; }

[ $fails -eq 0 ] && echo "e2e_make: all passed" || echo "e2e_make: $fails failed"
[ $fails -eq 0 ]
