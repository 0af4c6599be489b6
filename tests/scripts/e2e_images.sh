#!/bin/bash
# PNG and JPEG inputs (docs/executable.md, "Images"), made at test time from the shared PGM
# files by build/tests/img_tool (stb_image_write), never stored in the repository:
#  - the person-detection sample answers the same for PGM, PNG, JPEG and a 2x-upscaled RGB PNG
#    (resize + colour -> grey), the lossless ones bit for bit;
#  - a float model with image_input(mean, scale) and a batch of 2 takes two PNG files (or a
#    pattern) and equals the .npy NumPy makes from the same pixels; a uint8 batch of 3 takes
#    three resized images;
#  - the errors: wrong file count, a non-image in a batch, a float input without
#    image_input(), a corrupt PNG.
# usage: e2e_images.sh BUILD_DIR SHARED_DIR
set -u
BUILD=$(cd "$1" && pwd)
SHARED=$(cd "$2" && pwd)
SRC=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
IMG=$SHARED/testdata/images
TOOL=$BUILD/tests/img_tool
. "$(dirname "$0")/check_lib.bash"   # not *.sh: not a test itself

for im in person no_person; do
  "$TOOL" "$IMG/$im.pgm" "$TMP/$im.png" && "$TOOL" "$IMG/$im.pgm" "$TMP/$im.jpg" &&
    "$TOOL" "$IMG/$im.pgm" "$TMP/${im}_2x.png" --scale=2 --rgb && "$TOOL" "$IMG/$im.pgm" "$TMP/${im}_3x.jpg" --scale=3 --rgb ||
    bad "img_tool $im"
done

# ---- the person-detection sample ----
PD=$TMP/pd
if "$BUILD/slimc" --checkpoint="$SHARED/testdata/tf-checkpoints/vww-mobilenet-v1-025" --restore-ema \
     "$SRC/samples/person_detection/person_detection.slim" -o "$PD" 2> "$TMP/err"; then
  LAB=$SRC/samples/person_detection/labels.txt
  for im in person no_person; do
    want=$("$PD" --input="$IMG/$im.pgm" --top=1 --labels="$LAB" | sed 's/ [0-9.]*$//')
    for f in $im.png $im.jpg ${im}_2x.png ${im}_3x.jpg; do
      check "top-1 of $f equals the PGM's ($want)" "$want" \
        "$("$PD" --input="$TMP/$f" --top=1 --labels="$LAB" 2>&1 | sed 's/ [0-9.]*$//')"
    done
    ref=$("$PD" --input="$IMG/$im.pgm" --print)
    check "$im.png: the PGM's outputs bit for bit" "$ref" "$("$PD" --input="$TMP/$im.png" --print 2>&1)"
    check "${im}_2x.png (RGB, 192x192): resized to the PGM's outputs bit for bit" "$ref" \
      "$("$PD" --input="$TMP/${im}_2x.png" --print 2>&1)"
  done
  EXPECT_ONE_LINE=1 expect_fail "a batch of 2 files for a batch-1 input" 2 "input 'image' given twice" \
    "$PD" --input="$TMP/person.png" --input="$TMP/no_person.png"
  head -c 300 "$TMP/person.png" > "$TMP/cut.png"
  EXPECT_ONE_LINE=1 expect_fail "a truncated PNG" 1 "cut.png: bad PNG image" "$PD" --input="$TMP/cut.png"
else
  bad "slimc person_detection: $(cat "$TMP/err")"
fi

# ---- a float model with image_input() and a batch of 2 ----
cat > "$TMP/float.slim" << 'EOF'
import tensorflow as tf
import tf_slim as slim

model float_img(x: f32[2, 8, 8, 3]):
    x = image_input(x, mean=[127.5, 120, 100.25], scale=1 / 127.5)
    return {'y': slim.conv2d(x, 4, [3, 3], scope='c')}
EOF
/usr/bin/python3 - "$TMP" << 'EOF'
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
px = rng.integers(0, 256, size=(2, 8, 8, 3), dtype=np.uint8)
for i in range(2):
    with open(f"{d}/f{i}.ppm", "wb") as f:
        f.write(b"P6\n8 8\n255\n" + px[i].tobytes())
mean = np.array([127.5, 120, 100.25], np.float32)
np.save(f"{d}/f.npy", (px.astype(np.float32) - mean) * np.float32(1 / 127.5))
EOF
"$TOOL" "$TMP/f0.ppm" "$TMP/f0.png" && "$TOOL" "$TMP/f1.ppm" "$TMP/f1.png" --scale=2 || bad "img_tool f0/f1"
if "$BUILD/slimc" "$TMP/float.slim" -o "$TMP/float" 2> "$TMP/err"; then
  check "--print-signature shows the preprocessing" \
    "$(printf 'input\tx\tfloat32\t[2,8,8,3]\timage(mean=[127.5,120,100.25],scale=[0.00784313772,0.00784313772,0.00784313772])\noutput\ty\tfloat32\t[2,8,8,4]')" \
    "$("$BUILD/slimc" --print-signature "$TMP/float.slim")"
  check "a batch of two PNG files equals the NumPy-preprocessed .npy" \
    "$("$TMP/float" --random-init --input="$TMP/f.npy" --print)" \
    "$("$TMP/float" --random-init --input="$TMP/f0.png" --input="$TMP/f1.png" --print 2>&1)"
  check "--input=PATTERN (f?.png, quoted) is the same batch, in sorted order" \
    "$("$TMP/float" --random-init --input="$TMP/f.npy" --print)" \
    "$("$TMP/float" --random-init --input="$TMP/f?.png" --print 2>&1)"
  EXPECT_ONE_LINE=1 expect_fail "a pattern matching nothing" 2 "no file matches '$TMP/g*.png'" \
    "$TMP/float" --random-init --input="$TMP/g*.png"
  EXPECT_ONE_LINE=1 expect_fail "one image for a batch of 2" 1 "input 'x' (float32 [2,8,8,3]) is a batch of 2: give 2 image files" \
    "$TMP/float" --random-init --input="$TMP/f0.png"
  EXPECT_ONE_LINE=1 expect_fail "three images for a batch of 2" 1 "takes one image per batch item; 3 files were given" \
    "$TMP/float" --random-init --input="$TMP/f0.png" --input="$TMP/f1.png" --input="$TMP/f1.png"
  EXPECT_ONE_LINE=1 expect_fail "a .npy in a batch of images" 1 "f.npy: not an image (PNG, JPEG, PGM/PPM)" \
    "$TMP/float" --random-init --input="$TMP/f0.png" --input="$TMP/f.npy"
else
  bad "slimc float.slim: $(cat "$TMP/err")"
fi
sed 's/    x = image_input.*//' "$TMP/float.slim" > "$TMP/noprep.slim"
if "$BUILD/slimc" "$TMP/noprep.slim" -o "$TMP/noprep" 2> "$TMP/err"; then
  EXPECT_ONE_LINE=1 expect_fail "a float input without image_input() refuses images" 1 \
    "a PNG image cannot feed input 'x' (float32 [2,8,8,3])" "$TMP/noprep" --random-init --input="$TMP/f0.png"
fi
printf 'model bad(x: u8[1, 4, 4, 1]):\n    return image_input(x, mean=1)\n' > "$TMP/bad.slim"
"$BUILD/slimc" -fsyntax-only "$TMP/bad.slim" 2> "$TMP/err"
check "image_input() on a uint8 input is an error" \
  "bad.slim:2:12: error: image_input(): input 'x' must be f32 [N,H,W,1] or [N,H,W,3] (uint8 inputs take images as they are) [E0772]" \
  "$(head -1 "$TMP/err" | sed 's#^.*/##')"

# ---- a uint8 batch of 3, each image resized ----
printf 'import tensorflow as tf\nmodel u(x: u8[3, 96, 96, 1]):\n    return tf.reduce_sum(tf.cast(x, tf.float32), axis=[1, 2, 3])\n' \
  > "$TMP/u.slim"
if "$BUILD/slimc" "$TMP/u.slim" -o "$TMP/u" 2> "$TMP/err"; then
  sums=$(/usr/bin/python3 -c "
import sys
for f in sys.argv[1:]:
    b = open(f, 'rb').read(); print('%.9g' % float(sum(b[-96 * 96:])))" "$IMG/person.pgm" "$IMG/no_person.pgm" "$IMG/person.pgm")
  check "a uint8 batch of 3 (PNG, 2x RGB PNG, PGM): each image's pixel sum" "$sums" \
    "$("$TMP/u" --input="$TMP/person.png" --input="$TMP/no_person_2x.png" --input="$IMG/person.pgm" --print 2>&1 | tail -3)"
else
  bad "slimc u.slim: $(cat "$TMP/err")"
fi

# ---- files fuzz_image found breaking stb_image (fuzz/seeds/fuzz_image/repro_*): each is a clean
# one-line error or an image, never a sanitizer report (this script runs under ASan in CI) ----
if [ -x "${TMP}/u" ]; then
  for f in "$SRC"/fuzz/seeds/fuzz_image/repro_*; do
    "$TMP/u" --input="$f" --input="$f" --input="$f" > /dev/null 2> "$TMP/err"
    st=$?
    if [ $st -le 1 ] && ! grep -qE "Sanitizer|runtime error" "$TMP/err" && [ "$(wc -l < "$TMP/err")" -le 1 ]; then
      pass "$(basename "$f"): status $st $(sed 's#^.*/##' "$TMP/err")"
    else bad "$(basename "$f"): status $st, stderr: $(head -3 "$TMP/err")"; fi
  done
fi

[ $fails -eq 0 ] && echo "e2e_images: all passed" || echo "e2e_images: $fails failed"
[ $fails -eq 0 ]
