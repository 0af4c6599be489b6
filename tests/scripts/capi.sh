#!/bin/bash
# The C API of `slimc -c` beyond new/run/free (docs/c-api.md), with tests/capi/digits.slim
# (a '?' batch, two outputs, a -D width):
#  - two -D variants compiled with --api-prefix=narrow and =wide link into one C program
#    (tests/capi/variants.c) and both run; without the prefixes they collide; the default
#    prefix is the model name;
#  - introspection (counts, names, dtypes, shapes with -1) equals --print-signature;
#  - PREFIX_new_ex: the options' seed gives the executable's --random-init=SEED outputs, the
#    checkpoint its --checkpoint outputs; bad options are NULL with a message;
#  - PREFIX_run_tensors: a wrong rank, dimension, dtype, count, batch, NULL data/dims/array/model
#    are an error code and a message, the outputs untouched;
#  - tests/capi/threads.c: two instances (and a third of the other variant) in three
#    pthreads at once give the sequential results bit for bit.
# usage: capi.sh BUILD_DIR SHARED_DIR     (about 3 s; 5 s in the ASan build)
set -u
BUILD=$(cd "$1" && pwd)
SRC=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CAPI=$SRC/tests/capi
. "$(dirname "$0")/check_lib.bash"   # not *.sh: not a test itself
SAN=$(nm "$BUILD/libslimrt.a" 2>/dev/null | grep -q __asan && echo -fsanitize=address,undefined)
CC="cc -std=c99 -Wall -Wextra -Werror -I$TMP"
LIBS="$BUILD/libslimrt.a -lm -lpthread $SAN"

# ---- two variants, their checkpoints and executables ----
ok=1
for v in narrow:4:3 wide:6:5; do
  IFS=: read -r p w s <<< "$v"
  "$BUILD/slimc" -c "$CAPI/digits.slim" -D width="$w" --api-prefix="$p" -o "$TMP/$p.o" 2> "$TMP/err" &&
    "$BUILD/slimc" "$CAPI/digits.slim" -D width="$w" -o "$TMP/$p.exe" 2>> "$TMP/err" &&
    "$BUILD/slim-ckpt" init "$CAPI/digits.slim" -D width="$w" --seed="$s" -o "$TMP/$p.ckpt" 2>> "$TMP/err" ||
    { ok=0; head -5 "$TMP/err"; }
done
[ $ok = 1 ] && pass "two -D variants compile with --api-prefix=narrow and =wide" || bad "compiling the variants"
nm "$TMP/narrow.o" | awk '$2 ~ /^[TDRB]$/ {print $3}' | sort | tr '\n' ' ' > "$TMP/syms"
check "the object's global symbols all carry the prefix" \
  "narrow_free narrow_input_info narrow_new narrow_new_ex narrow_num_inputs narrow_num_outputs narrow_options_init narrow_output_info narrow_run narrow_run_batch narrow_run_tensors " \
  "$(cat "$TMP/syms")"
grep -q '^#define WIDE_IMAGES_SHAPE {-1, 8, 8, 2}$' "$TMP/wide.h" && grep -q '^#ifndef WIDE_H$' "$TMP/wide.h" &&
  grep -q '^typedef struct wide_options {$' "$TMP/wide.h" && grep -q '^#define WIDE_ERR_DIMS 4$' "$TMP/wide.h" &&
  pass "the prefix names the header's macros, guard and types" || bad "wide.h: $(head -30 "$TMP/wide.h")"

# the default prefix is the model name, and two variants without prefixes collide
"$BUILD/slimc" -c "$CAPI/digits.slim" -D width=4 -o "$TMP/d4.o" && "$BUILD/slimc" -c "$CAPI/digits.slim" -D width=6 -o "$TMP/d6.o" &&
  grep -q '^digits \*digits_new_ex(const digits_options \*o, char \*err, size_t err_len);$' "$TMP/d4.h" &&
  pass "the default prefix is the model name" || bad "default prefix: $(grep new_ex "$TMP/d4.h")"
echo 'int main(void) { return 0; }' > "$TMP/empty.c"
expect_fail "without --api-prefix two variants collide at link time" 1 "multiple definition of \`digits_new'" \
  cc "$TMP/empty.c" "$TMP/d4.o" "$TMP/d6.o" $LIBS -o "$TMP/collide"

# ---- variants.c: both variants in one program ----
if $CC "$CAPI/variants.c" "$TMP/narrow.o" "$TMP/wide.o" $LIBS -o "$TMP/variants" 2> "$TMP/err"; then
  pass "a C program links both variants (-std=c99 -Wall -Wextra -Werror)"
else
  bad "variants.c does not build: $(head -20 "$TMP/err")"
fi
timeout 60 "$TMP/variants" "$TMP" > "$TMP/out" 2>&1
check "variants.c exits 0" 0 $?
# OUT_LINE: the program printed exactly this line
has() { if grep -qxF -- "$2" "$TMP/out"; then pass "$1"; else bad "$1: no line [$2] in: $(grep -F "${2%%:*}:" "$TMP/out" | head -3)"; fi; }
for p in narrow wide; do
  sig=$("$BUILD/slimc" --print-signature "$CAPI/digits.slim" -D width=$([ $p = narrow ] && echo 4 || echo 6) |
        awk -F'\t' '{k[$1]++; gsub(/\?/, "-1", $4); printf "%s: %s %d %s %s dtype 1 %s\n", P, $1, k[$1] - 1, $2, $3, $4}' P=$p)
  check "$p: introspection equals --print-signature" "$sig" "$(grep -E "^$p: (in|out)put [0-9]" "$TMP/out")"
  has "$p: counts as functions and macros" "$p: 1 inputs, 2 outputs (1, 2)"
  has "$p: an index out of range is -1" "$p: info out of range: -1 -1 -1"
  has "$p: PREFIX_new(NULL) keeps its message" "$p: new(NULL): NULL model digits: no weights: it was compiled without embedded weights, and neither a checkpoint nor a random seed was given"
  has "$p: zeroed options without weights" "$p: new_ex(zeroed): NULL model digits: no weights: it was compiled without embedded weights; set options.checkpoint, or options.random_init (and options.seed)"
  has "$p: NULL options are the defaults" "$p: new_ex(NULL): NULL model digits: no weights: it was compiled without embedded weights; set options.checkpoint, or options.random_init (and options.seed)"
  has "$p: threads -1" "$p: threads -1: NULL model digits: options.threads is -1: give 0 (one per core) or 1 to 4096"
  has "$p: seed 2^63" "$p: seed 2^63: NULL model digits: options.seed is 9223372036854775808: the seed must be below 2^63"
  has "$p: run_tensors at batch 3" "$p: run_tensors batch 3: 0"
  has "$p: run_batch gives run_tensors's bits" "$p: run_batch equals run_tensors: yes"
  has "$p: run gives an item's bits" "$p: run equals item 1: yes"
  has "$p: wrong rank" "$p: bad rank: 4 model digits: input 'images' expects rank 4 [?,8,8,2], found rank 3 [3,8,8]"
  has "$p: wrong dimension" "$p: bad dim: 4 model digits: input 'images' expects float32 [?,8,8,2], found [3,8,8,3] (dimension 3)"
  has "$p: wrong dtype" "$p: bad dtype: 3 model digits: input 'images' expects float32 [?,8,8,2], found uint8"
  has "$p: unknown dtype" "$p: bad unknown dtype: 3 model digits: input 'images' expects float32 [?,8,8,2], found an unknown dtype 99"
  has "$p: rank 1000" "$p: bad rank 1000: 4 model digits: input 'images' expects rank 4 [?,8,8,2], found rank 1000"
  has "$p: two inputs" "$p: bad two inputs: 2 model digits has 1 input, found 2"
  has "$p: one output" "$p: bad one output: 2 model digits has 2 outputs, found 1"
  has "$p: NULL data" "$p: bad NULL data: 1 model digits: input 'images': data is NULL"
  has "$p: NULL dims" "$p: bad NULL dims: 1 model digits: input 'images': dims is NULL (rank 4)"
  has "$p: an output's batch differs" "$p: bad output batch: 5 model digits: output 'logits' has a batch of 2 but input 'images' has 3"
  has "$p: an output's dtype" "$p: bad output dtype: 3 model digits: output 'logits' expects float32 [?,3], found int32"
  has "$p: batch 0" "$p: bad batch 0: 5 model digits: input 'images' has a batch of 0: the batch must be at least 1"
  has "$p: batch 2^40" "$p: bad batch 2^40: 5 model digits: a batch of 1099511627776 items: input 'images' would need 1099511627776 x 512 bytes, more than the limit of 16 GiB"
  has "$p: NULL inputs array" "$p: bad NULL inputs: 1 model digits: the inputs array is NULL"
  has "$p: NULL model" "$p: bad NULL model: 1 no model (NULL)"
  has "$p: no err buffer" "$p: no err buffer: 2"
  has "$p: options.checkpoint" "$p: checkpoint run: 0"
done
grep -q 'OUTPUTS WRITTEN' "$TMP/out" && bad "a failed run wrote its outputs: $(grep 'OUTPUTS WRITTEN' "$TMP/out" | head -3)" ||
  pass "no failed run touched its outputs"

# the options mean what the executable's flags mean: the same bits (an .npy's data is its tail)
for v in narrow:7 wide:11; do
  IFS=: read -r p s <<< "$v"
  "$TMP/$p.exe" --random-init="$s" --threads=1 --input="$TMP/x3.npy" --output=logits="$TMP/$p.r.npy" &&
    "$TMP/$p.exe" --checkpoint="$TMP/$p.ckpt" --input="$TMP/x3.npy" --output=logits="$TMP/$p.c.npy" ||
    bad "$p: the executable does not run"
  tail -c 36 "$TMP/$p.r.npy" | cmp -s - "$TMP/$p.logits.raw" &&
    pass "$p: options.seed=$s gives --random-init=$s's logits" || bad "$p: seeded logits differ from the executable's"
  tail -c 36 "$TMP/$p.c.npy" | cmp -s - "$TMP/$p.ckpt.logits.raw" &&
    pass "$p: options.checkpoint gives --checkpoint's logits" || bad "$p: checkpoint logits differ from the executable's"
done
cmp -s "$TMP/narrow.logits.raw" "$TMP/wide.logits.raw" && bad "the two variants gave the same logits" ||
  pass "the two variants are different models"

# ---- threads.c: concurrent runs on separate instances ----
if $CC "$CAPI/threads.c" "$TMP/narrow.o" "$TMP/wide.o" $LIBS -o "$TMP/threads" 2> "$TMP/err"; then
  timeout 120 "$TMP/threads" 2000 > "$TMP/out" 2>&1
  st=$?
  [ $st = 0 ] && grep -qx 'ok: 0 of 6000 concurrent runs differ from the sequential ones' "$TMP/out" &&
    pass "three instances in three threads at once: the sequential results" || bad "threads (exit $st): $(cat "$TMP/out")"
else
  bad "threads.c does not build: $(head -20 "$TMP/err")"
fi

# docs/c-api.md's example, as it stands there, with the default prefix (digits)
awk '/^## An example/ {on = 1} on && /^```c$/ {code = 1; next} code && /^```$/ {exit} code' "$SRC/docs/c-api.md" > "$TMP/example.c"
cp "$TMP/d4.h" "$TMP/digits.h"
if [ -s "$TMP/example.c" ] && $CC "$TMP/example.c" "$TMP/d4.o" $LIBS -o "$TMP/example" 2> "$TMP/err"; then
  timeout 30 "$TMP/example" > "$TMP/out" 2>&1
  st=$?
  [ $st = 0 ] && grep -qx "4: model digits: input 'images' expects float32 \[?,8,8,2\], found \[2,8,8,3\] (dimension 3)" "$TMP/out" &&
    grep -qx 'input images float32 rank 4, dimension 0 is -1' "$TMP/out" &&
    pass "docs/c-api.md's example builds and runs" || bad "the docs' example (exit $st): $(cat "$TMP/out")"
else
  bad "docs/c-api.md's example does not build: $(head -10 "$TMP/err")"
fi

# the header is C++ too (extern "C"), when a C++ compiler is there
if command -v c++ > /dev/null; then
  printf '#include "narrow.h"\n#include "wide.h"\nint main() { narrow_options o = {}; return narrow_num_inputs() + o.threads; }\n' > "$TMP/h.cc"
  c++ -std=c++11 -Wall -Werror -I"$TMP" -c "$TMP/h.cc" -o "$TMP/h.o" 2> "$TMP/err" &&
    pass "the headers compile as C++" || bad "C++: $(head -5 "$TMP/err")"
fi

echo "capi: $fails failed"
[ $fails -eq 0 ]
