#!/bin/bash
# The run-time batch ('?', compiler/passes/pass_batch.c, docs/executable.md "A '?' batch"):
#  - samples/mobilenet_v1.slim with its input made f32[?, 224, 224, 3] (depth 0.25, weights
#    from `slim-ckpt init` embedded) and tests/cases/tf/unknown_batch_slice.slim (x[:, 1:, 1:, :],
#    pads, concat, transpose) run at batch 1, 3 and 8 from the executable and from a C program
#    using the generated header (NAME_run, NAME_run_batch): every item bit-identical to a
#    batch-1 run; MobileNet's batch-1 output also equals the fixed [1,224,224,3] sample's;
#  - a uint8 [?,H,W,1] model takes a batch of two image files;
#  - bad inputs: a wrong non-batch dimension, batch 0, a huge batch (.npy header and
#    NAME_run_batch), and ops that mix batch items (E0930) or slice the batch (E0522).
# usage: dyn_batch.sh BUILD_DIR SHARED_DIR     (about 10 s)
set -u
BUILD=$(cd "$1" && pwd)
SHARED=$(cd "$2" && pwd)
SRC=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=${SLIMC_NUMPY_PYTHON:-/usr/bin/python3}
. "$(dirname "$0")/check_lib.bash"   # not *.sh: not a test itself
SAN=$(nm "$BUILD/libslimrt.a" 2>/dev/null | grep -q __asan && echo -fsanitize=address,undefined)

sed 's/images: f32\[1, 224, 224, 3\]/images: f32[?, 224, 224, 3]/' "$SRC/samples/mobilenet_v1.slim" > "$TMP/mobilenet.slim"
grep -q 'images: f32\[?, 224' "$TMP/mobilenet.slim" || bad "the sample's input line changed"
cp "$SRC/tests/cases/tf/unknown_batch_slice.slim" "$TMP/slice.slim"

# ---- per model: compile (executable and -c), inputs, executable at 1, 3, 8 ----
# model FILE_BASE DEFINES...: sets up $TMP/$1 (exe), $1.o, $1.h, inputs $1.x{1,3,8}.npy and items
model() {
  local b=$1
  shift
  "$BUILD/slim-ckpt" init "$TMP/$b.slim" "$@" --seed=5 -o "$TMP/$b.ckpt" 2> "$TMP/err" || { bad "$b: slim-ckpt init"; cat "$TMP/err"; return 1; }
  "$BUILD/slimc" "$TMP/$b.slim" "$@" --checkpoint="$TMP/$b.ckpt" -o "$TMP/$b" 2> "$TMP/err" &&
    "$BUILD/slimc" -c "$TMP/$b.slim" "$@" --checkpoint="$TMP/$b.ckpt" -o "$TMP/$b.o" 2>> "$TMP/err" ||
    { bad "$b: compile"; head -5 "$TMP/err"; return 1; }
  pass "$b: a '?' batch compiles to an executable and an object"
  local shape
  shape=$("$BUILD/slimc" --print-signature "$TMP/$b.slim" "$@" | awk -F'\t' '$1=="input"{print $4; exit}')
  "$PY" -c "
import numpy as np
shape = [int(d) for d in '$shape'.strip('[]').split(',')[1:]]
x = np.random.default_rng(2).uniform(-1, 1, [8] + shape).astype(np.float32)
np.save('$TMP/$b.x8.npy', x); np.save('$TMP/$b.x3.npy', x[:3]); x.tofile('$TMP/$b.x8.raw')
for i in range(8): np.save('$TMP/$b.item%d.npy' % i, x[i:i + 1])
np.save('$TMP/$b.bad.npy', np.zeros([2] + shape[:-1] + [shape[-1] + 1], np.float32))
np.save('$TMP/$b.zero.npy', np.zeros([0] + shape, np.float32))
" || { bad "$b: numpy inputs"; return 1; }
  local ok=1 o
  outs=$("$BUILD/slimc" --print-signature "$TMP/$b.slim" "$@" | awk -F'\t' '$1=="output"{print $2}' | tr '\n' ' ')
  for i in 0 1 2 3 4 5 6 7; do
    o=""
    for n in $outs; do o="$o --output=$n=$TMP/$b.o$i.$n.npy"; done
    "$TMP/$b" --input="$TMP/$b.item$i.npy" $o 2> "$TMP/err" || { ok=0; cat "$TMP/err"; }
  done
  for k in 3 8; do
    o=""
    for n in $outs; do o="$o --output=$n=$TMP/$b.b$k.$n.npy"; done
    "$TMP/$b" --input="$TMP/$b.x$k.npy" $o 2> "$TMP/err" || { ok=0; cat "$TMP/err"; }
  done
  [ $ok = 1 ] && pass "$b: the executable runs batches of 1, 3 and 8" || bad "$b: executable runs"
  "$PY" -c "
import numpy as np, sys
bad = 0
for n in '$outs'.split():
    one = [np.load('$TMP/$b.o%d.%s.npy' % (i, n)) for i in range(8)]
    for k in (3, 8):
        got = np.load('$TMP/$b.b%d.%s.npy' % (k, n))
        if got.shape != (k,) + one[0].shape[1:] or got.tobytes() != np.concatenate(one[:k]).tobytes():
            print('output %s at batch %d differs from the batch-1 runs' % (n, k)); bad = 1
    np.concatenate(one).tofile('$TMP/$b.want.%s.raw' % n)
sys.exit(bad)
" && pass "$b: executable: batches of 3 and 8 are bit-identical per item to batch-1 runs" \
    || bad "$b: executable batches differ from batch-1 runs"
  expect_fail "$b: a wrong non-batch dimension" 1 "expects float32 $shape, found float32 [2," \
    "$TMP/$b" --input="$TMP/$b.bad.npy"
  expect_fail "$b: batch 0" 1 "has a batch of 0: the batch must be at least 1" "$TMP/$b" --input="$TMP/$b.zero.npy"
  # a .npy header claiming 2^40 items, without them
  "$PY" -c "
import numpy as np
shape = [int(d) for d in '$shape'.strip('[]').split(',')[1:]]
with open('$TMP/$b.huge.npy', 'wb') as f:
    np.lib.format.write_array_header_1_0(f, {'descr': '<f4', 'fortran_order': False, 'shape': tuple([2 ** 40] + shape)})
"
  expect_fail "$b: a huge batch (.npy header)" 1 "$b.huge.npy" "$TMP/$b" --input="$TMP/$b.huge.npy"
  return 0
}

# ---- the C API: NAME_run per item, NAME_run_batch at 3 and 8, bad batches ----
# capi BASE PREFIX OUTPUT...
capi() {
  local b=$1 p=$2
  shift 2
  local P
  P=$(echo "$p" | tr a-z A-Z)
  {
    echo "#include <stdio.h>"
    echo "#include <stdlib.h>"
    echo "#include <string.h>"
    echo "#include \"$b.h\""
    echo "enum { NOUT = $# };"
    printf 'static const size_t osize[NOUT] = {'
    for n in "$@"; do printf '%s_%s_SIZE, ' "$P" "$(echo "$n" | tr a-z A-Z)"; done
    echo '};'
    echo "static const char *oname[NOUT] = {"
    for n in "$@"; do printf '"%s", ' "$n"; done
    echo '};'
    echo "#define OUTS(o, k) $(i=0; for n in "$@"; do printf '%s(o)[%d] + (k) * osize[%d]' "$([ $i = 0 ] || echo ', ')" $i $i; i=$((i + 1)); done)"
    cat <<EOF
static float *load(const char *path, size_t n) {
  float *x = malloc(n * sizeof *x);
  FILE *f = fopen(path, "rb");
  if (!x || !f || fread(x, sizeof *x, n, f) != n) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
  fclose(f);
  return x;
}
int main(int argc, char **argv) {
  (void)argc;
  char err[256];
  $p *m = ${p}_new(NULL, err, sizeof err);
  if (!m) { fprintf(stderr, "%s\n", err); return 2; }
  const size_t isize = ${P}_$(echo "$IN" | tr a-z A-Z)_SIZE;
  float *x = load(argv[1], 8 * isize);
  float *want[NOUT], *one[NOUT], *got[NOUT];
  int bad = 0;
  for (int j = 0; j < NOUT; j++) {
    char path[512];
    snprintf(path, sizeof path, "%s.%s.raw", argv[2], oname[j]);
    want[j] = load(path, 8 * osize[j]);
    one[j] = calloc(8 * osize[j], sizeof(float));
    got[j] = calloc(8 * osize[j], sizeof(float));
  }
  for (int i = 0; i < 8; i++) /* NAME_run: batch 1 */
    if (${p}_run(m, x + i * isize, OUTS(one, i))) { fprintf(stderr, "run failed\n"); return 1; }
  for (int j = 0; j < NOUT; j++)
    if (memcmp(one[j], want[j], 8 * osize[j] * sizeof(float))) { printf("run: %s differs from the executable\n", oname[j]); bad = 1; }
  static const int ns[2] = {3, 8};
  for (int t = 0; t < 2; t++) {
    for (int j = 0; j < NOUT; j++) memset(got[j], 0xff, 8 * osize[j] * sizeof(float));
    if (${p}_run_batch(m, ns[t], x, OUTS(got, 0), err, sizeof err)) { fprintf(stderr, "%s\n", err); return 1; }
    for (int j = 0; j < NOUT; j++)
      if (memcmp(got[j], one[j], (size_t)ns[t] * osize[j] * sizeof(float))) {
        printf("run_batch(%d): %s differs from batch-1 runs\n", ns[t], oname[j]); bad = 1;
      }
  }
  /* bad batches: an error code and a message, nothing touched */
  int rc0 = ${p}_run_batch(m, 0, x, OUTS(got, 0), err, sizeof err);
  printf("n=0: %d %s\n", rc0, err);
  int rcbig = ${p}_run_batch(m, (int64_t)1 << 40, x, OUTS(got, 0), err, sizeof err);
  printf("n=2^40: %d %s\n", rcbig, err);
  int rcneg = ${p}_run_batch(m, -3, x, OUTS(got, 0), NULL, 0);
  printf("n=-3: %d\n", rcneg);
  ${p}_free(m);
  for (int j = 0; j < NOUT; j++) free(want[j]), free(one[j]), free(got[j]);
  free(x);
  if (rc0 != -1 || rcbig != -1 || rcneg != -1) bad = 1;
  puts(bad ? "FAILED" : "all equal");
  return bad;
}
EOF
  } > "$TMP/$b.app.c"
  if cc -std=c99 -Wall -Werror -I"$TMP" "$TMP/$b.app.c" "$TMP/$b.o" "$BUILD/libslimrt.a" -lm -lpthread $SAN \
      -o "$TMP/$b.app" 2> "$TMP/err"; then
    pass "$b: a C program builds against the header (NAME_run_batch)"
  else
    bad "$b: the C program does not build"; head -20 "$TMP/err"; return
  fi
  "$TMP/$b.app" "$TMP/$b.x8.raw" "$TMP/$b.want" > "$TMP/out" 2>&1
  local rc=$?
  if [ $rc = 0 ] && grep -q '^all equal$' "$TMP/out"; then
    pass "$b: C API: NAME_run equals the executable, NAME_run_batch(3, 8) bit-identical per item"
  else bad "$b: C API (exit $rc): $(cat "$TMP/out")"; fi
  grep -q "^n=0: -1 model $p: a batch of 0 items: the batch must be at least 1" "$TMP/out" &&
    grep -q "^n=2^40: -1 model $p: a batch of 1099511627776 items: .* more than the limit of 16 GiB" "$TMP/out" &&
    grep -q '^n=-3: -1' "$TMP/out" && pass "$b: C API: batch 0, -3 and 2^40 are errors with a message" ||
    bad "$b: C API bad batches: $(grep '^n=' "$TMP/out")"
}

IN=images
if model mobilenet -D depth_multiplier=0.25; then
  grep -q '^#define MOBILENET_IMAGES_SHAPE {-1, 224, 224, 3}$' "$TMP/mobilenet.h" &&
    grep -q 'int mobilenet_run_batch(mobilenet \*m, int64_t n,' "$TMP/mobilenet.h" &&
    pass "mobilenet: the header has the '?' as -1 and mobilenet_run_batch" || bad "mobilenet: header"
  capi mobilenet mobilenet logits predictions
  # the fixed-batch sample gives the same bits (the generated code is the same)
  "$BUILD/slimc" "$SRC/samples/mobilenet_v1.slim" -D depth_multiplier=0.25 --checkpoint="$TMP/mobilenet.ckpt" \
    -o "$TMP/fixed" && "$TMP/fixed" --input="$TMP/mobilenet.item4.npy" --output=logits="$TMP/fixed.npy" &&
    cmp -s "$TMP/fixed.npy" "$TMP/mobilenet.o4.logits.npy" &&
    pass "mobilenet: the fixed [1,224,224,3] sample gives the same bits" || bad "mobilenet: fixed sample differs"
fi
IN=x
if model slice; then
  capi slice m logits probs pooled corner
fi

# ---- a batch of image files feeds a uint8 '?' input ----
IMG=$SHARED/testdata/images
cat > "$TMP/img.slim" <<'EOF'
import tensorflow as tf
model img(x: u8[?, 96, 96, 1]):
    return tf.reduce_mean(tf.cast(x, tf.float32), [1, 2])
EOF
if "$BUILD/slimc" "$TMP/img.slim" -o "$TMP/img" 2> "$TMP/err" &&
   "$TMP/img" --input="$IMG/person.pgm" --input="$IMG/no_person.pgm" --print > "$TMP/two" &&
   "$TMP/img" --input="$IMG/person.pgm" --print > "$TMP/a" && "$TMP/img" --input="$IMG/no_person.pgm" --print > "$TMP/b"
then
  if [ "$(head -1 "$TMP/two")" = "$(printf 'output\tfloat32\t[2,1]')" ] &&
     [ "$(tail -n +2 "$TMP/two")" = "$(tail -n +2 "$TMP/a"; tail -n +2 "$TMP/b")" ]; then
    pass "img: two image files are a batch of 2, equal to two runs"
  else bad "img: batch of images: $(cat "$TMP/two")"; fi
else bad "img: $(cat "$TMP/err")"; fi

# ---- compile-time errors ----
cat > "$TMP/mix.slim" <<'EOF'
import tensorflow as tf
model mix(x: f32[?, 3, 4]):
    return tf.reduce_sum(x, 0)
EOF
expect_fail "an op reducing over the batch is E0930 naming it" 1 \
  "error: op 'Sum' (Sum) combines the items of the '?' batch; a model with a '?' batch runs each batch item on its own [E0930]" \
  "$BUILD/slimc" "$TMP/mix.slim" -o "$TMP/mix"
cat > "$TMP/flat.slim" <<'EOF'
import tensorflow as tf
model flat(x: f32[?, 3, 4]):
    return tf.reshape(x, [-1])
EOF
expect_fail "an output merging the batch is E0930" 1 \
  "error: output 'output' has shape [?], whose dimension 0 is 12 times the '?' batch" \
  "$BUILD/slimc" "$TMP/flat.slim" -o "$TMP/flat"
cat > "$TMP/sl.slim" <<'EOF'
model sl(x: f32[?, 3, 4]):
    return x[1:, 1:]
EOF
expect_fail "x[1:] on the batch is E0522" 1 \
  "error: cannot index dimension 0 of unknown size (the '?' batch): only \`:\` takes it, whole [E0522]" \
  "$BUILD/slimc" "$TMP/sl.slim" -o "$TMP/sl"
[ ! -e "$TMP/mix" ] && [ ! -e "$TMP/flat" ] && [ ! -e "$TMP/sl" ] && pass "nothing written on errors" ||
  bad "an output was written on an error"

echo "$fails failure(s)"
[ $fails -eq 0 ]
