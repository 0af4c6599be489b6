#!/bin/bash
# The person-detection sample end to end: compile samples/person_detection with the real
# VWW checkpoint embedded, raw weights and EMA weights (--restore-ema), run both test images,
# compare the logits with the NumPy reference (tests/reference/person_detection.py, within
# 1e-4 of the largest logit) and check the answers with --labels.
# usage: e2e_person_detection.sh BUILD_DIR SHARED_DIR
set -u
BUILD=$(cd "$1" && pwd)
SHARED=$(cd "$2" && pwd)
SRC=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=${SLIMC_NUMPY_PYTHON:-/usr/bin/python3}
CK=$SHARED/testdata/tf-checkpoints/vww-mobilenet-v1-025
IMG=$SHARED/testdata/images
SAMPLE=$SRC/samples/person_detection
. "$(dirname "$0")/check_lib.bash"   # not *.sh: not a test itself

"$BUILD/slim-ckpt" to-npz "$CK" -o "$TMP/vww.npz" || bad "slim-ckpt to-npz $CK"

for w in raw ema; do
  flags=()
  [ $w = ema ] && flags=(--restore-ema)
  if "$BUILD/slimc" --checkpoint="$CK" "${flags[@]}" "$SAMPLE/person_detection.slim" -o "$TMP/pd_$w" 2> "$TMP/err"
  then pass "compile with $w weights embedded"
  else bad "compile with $w weights embedded"; cat "$TMP/err"; continue; fi
  for i in person no_person; do
    if "$TMP/pd_$w" --input="$IMG/$i.pgm" --output=logits="$TMP/$i.$w.npy" 2> "$TMP/err"; then
      "$PY" "$SRC/tests/reference/person_detection.py" "$TMP/vww.npz" $w "$IMG/$i.pgm" "$TMP/$i.$w.npy" 1e-4 \
        || fails=$((fails + 1))
    else
      bad "run $w on $i.pgm"; cat "$TMP/err"
    fi
  done
done

# the raw and EMA weights differ, so their logits must too (each path is really taken)
if [ -f "$TMP/person.raw.npy" ] && [ -f "$TMP/person.ema.npy" ]; then
  if cmp -s "$TMP/person.raw.npy" "$TMP/person.ema.npy"; then bad "raw and EMA logits differ"
  else pass "raw and EMA logits differ"; fi
fi

# the answers, as a person reads them
if [ -x "$TMP/pd_ema" ]; then
  ans=$("$TMP/pd_ema" --input="$IMG/person.pgm" --top=1 --labels="$SAMPLE/labels.txt")
  check "person.pgm -> person" person "${ans% *}"
  ans=$("$TMP/pd_ema" --input="$IMG/no_person.pgm" --top=1 --labels="$SAMPLE/labels.txt")
  check "no_person.pgm -> no person" "no person" "${ans% *}"
  # the probabilities are a softmax: two entries summing to 1
  sum=$("$TMP/pd_ema" --input="$IMG/person.pgm" --print | awk 'NR==2||NR==3{s+=$1} END{printf "%.5f", s}')
  check "probabilities sum to 1" 1.00000 "$sum"
  # weights are embedded: no checkpoint needed, and none accepted
  "$TMP/pd_ema" --checkpoint="$CK" --input="$IMG/person.pgm" > /dev/null 2>&1
  check "embedded binary rejects --checkpoint (exit 2)" 2 $?
  # the input is u8 [1,96,96,1]: a float .npy is refused with a one-line error
  "$PY" -c "import numpy as np; np.save('$TMP/f.npy', np.zeros((1,96,96,1), np.float32))"
  "$TMP/pd_ema" --input="$TMP/f.npy" > /dev/null 2> "$TMP/err"
  check "float input refused (exit 1)" 1 $?
  grep -q "expects uint8 \[1,96,96,1\], found float32 \[1,96,96,1\]" "$TMP/err" \
    && pass "float input message" || { bad "float input message"; cat "$TMP/err"; }
fi

# the model's variables are exactly the checkpoint's base tensors (names, dtypes, shapes)
export LC_ALL=C
"$BUILD/slimc" --print-variables "$SAMPLE/person_detection.slim" | cut -f1-3 | sort > "$TMP/vars"
"$BUILD/slim-ckpt" ls "$CK" | awk -F'\t' '$1 !~ /\/(RMSProp(_1)?|ExponentialMovingAverage)$/ && $1 != "global_step"' \
  > "$TMP/keys"
cmp -s "$TMP/vars" "$TMP/keys" && pass "--print-variables matches slim-ckpt ls ($(wc -l < "$TMP/vars") variables)" \
  || { bad "--print-variables matches slim-ckpt ls"; diff "$TMP/vars" "$TMP/keys" | head; }

# the signature: u8 image in; probabilities, then logits
sig=$("$BUILD/slimc" --print-signature "$SAMPLE/person_detection.slim" | tr '\t\n' ' ;')
check "signature" "input image uint8 [1,96,96,1];output probabilities float32 [1,2];output logits float32 [1,2];" "$sig"

[ $fails -eq 0 ] && echo "e2e_person_detection: all passed" || echo "e2e_person_detection: $fails failed"
[ $fails -eq 0 ]
