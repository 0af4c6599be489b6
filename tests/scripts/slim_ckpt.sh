#!/bin/bash
# slim-ckpt end to end: `ls` golden output on real checkpoints, dump, the
# checkpoint -> .npz -> checkpoint round trip, and the error exits (1 bad input, 2 usage).
# usage: slim_ckpt.sh BUILD_DIR SHARED_DIR
set -u
BUILD=$(cd "$1" && pwd)
SHARED=$(cd "$2" && pwd)
SRC=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TOOL=$BUILD/slim-ckpt
GOLD=$SRC/tests/golden/slim_ckpt
CK=$SHARED/testdata/tf-checkpoints
. "$(dirname "$0")/check_lib.bash"   # not *.sh: not a test itself
golden() { # NAME GOLDEN_FILE COMMAND...
  local name=$1 file=$2
  shift 2
  if "$@" > "$TMP/out" 2> "$TMP/err" && diff -u "$file" "$TMP/out" > "$TMP/diff"; then pass "$name"
  else bad "$name"; cat "$TMP/err" "$TMP/diff"; fi
}

CARND=$CK/carnd-traffic-sign-tf012/model.ckpt
golden "ls carnd" "$GOLD/ls_carnd.txt" "$TOOL" ls "$CARND"
golden "ls carnd via directory" "$GOLD/ls_carnd.txt" "$TOOL" ls "$CK/carnd-traffic-sign-tf012"
golden "ls snappy-free tf-serving" "$GOLD/ls_half_plus_two_mkl.txt" "$TOOL" ls \
  "$CK/tf-serving-testdata/saved_model_half_plus_two_mkl/00000123/variables/variables"

golden "ls --totals" "$GOLD/ls_carnd_totals.txt" "$TOOL" ls "$CARND" --totals
golden "ls KEY... --all-tensors --totals" "$GOLD/ls_carnd_keys_all_tensors.txt" "$TOOL" ls "$CARND" Variable_1 \
  beta2_power --all-tensors --totals

check "dump int64 global_step" 963849 "$("$TOOL" dump "$CK/vww-mobilenet-v1-025" global_step)"
check "dump float scalar" 0.0249022506 "$("$TOOL" dump "$CARND" beta2_power)"
check "dump first of Variable_1" 0.0292294249 "$("$TOOL" dump "$CARND" Variable_1 | head -1)"
check "dump element count" 324 "$("$TOOL" dump "$CARND" Variable | wc -l)"
check "dump snappy-index checkpoint" 2 \
  "$("$TOOL" dump "$CK/tf-serving-testdata/saved_model_half_plus_two_cpu/00000123/variables/variables" b)"

# checkpoint -> npz -> checkpoint keeps names, dtypes, shapes and values
if "$TOOL" to-npz "$CARND" -o "$TMP/c.npz" && "$TOOL" from-npz "$TMP/c.npz" -o "$TMP/back"; then
  golden "npz round trip ls" "$GOLD/ls_carnd.txt" "$TOOL" ls "$TMP/back"
  check "npz round trip values" "$("$TOOL" dump "$CARND" Variable_4 | md5sum)" "$("$TOOL" dump "$TMP/back" Variable_4 | md5sum)"
  check "no temporaries left" "back.data-00000-of-00001 back.index" "$(cd "$TMP" && echo back.*)$(ls "$TMP" | grep tempstate)"
else
  bad "to-npz / from-npz failed"
fi

# numpy, when available, reads what we write and writes what we read
PY=/usr/bin/python3
if $PY -c 'import numpy' 2> /dev/null; then
  $PY - "$TMP" << 'EOF'
import sys, numpy as np
d = sys.argv[1]
np.savez_compressed(d + "/n.npz", **{"dense/kernel": np.arange(12, dtype=np.float32).reshape(3, 4) / 8,
                                      "global_step": np.array(7, dtype=np.int64),
                                      "h": np.array([0.5, -3], dtype=np.float16)})
z = np.load(d + "/c.npz")
assert len(z.files) == 38 and z["Variable_4"].shape == (1152, 240), z.files
assert abs(float(z["Variable_4"].astype(np.float64).sum()) - (-889.145796)) < 1e-3
EOF
  check "numpy reads to-npz output" 0 $?
  if "$TOOL" from-npz "$TMP/n.npz" -o "$TMP/n"; then
    check "from-npz (deflate) ls" "$(printf 'dense/kernel\tfloat32\t[3,4]\nglobal_step\tint64\t[]\nh\tfloat16\t[2]')" \
      "$("$TOOL" ls "$TMP/n")"
    check "from-npz values" "1.375" "$("$TOOL" dump "$TMP/n" dense/kernel | tail -1)"
    check "from-npz float16" "$(printf '0.5\n-3')" "$("$TOOL" dump "$TMP/n" h)"
    "$TOOL" dump "$TMP/n" dense/kernel --npy="$TMP/k.npy"
    check "dump --npy" ok "$($PY -c "import numpy as np; a=np.load('$TMP/k.npy'); print('ok' if a.shape==(3,4) and a[2,3]==1.375 else a)")"
  else
    bad "from-npz of a numpy archive"
  fi
fi

# init / from-npz: missing directories created, and a `checkpoint` state file as TF's Saver
# writes it (relative prefix: its base name; absolute prefix: as given), so DIR works as PREFIX
TINY=$SRC/tests/golden/cli/tiny.slim
if (cd "$TMP" && "$TOOL" init "$TINY" -o new/dir/model.ckpt); then
  check "init writes the state file" "$(printf 'model_checkpoint_path: "model.ckpt"\nall_model_checkpoint_paths: "model.ckpt"')" \
    "$(cat "$TMP/new/dir/checkpoint")"
  check "init: ls through the directory" "$(printf 'fc/biases\tfloat32\t[3]\nfc/weights\tfloat32\t[4,3]')" \
    "$("$TOOL" ls "$TMP/new/dir")"
  if "$BUILD/slimc" "$TINY" -o "$TMP/tiny" 2> "$TMP/err" &&
     /usr/bin/python3 -c "import numpy as np; np.save('$TMP/in.npy', np.ones((1, 4), np.float32))"; then
    want=$("$TMP/tiny" --checkpoint="$TMP/new/dir/model.ckpt" --input="$TMP/in.npy" --print)
    check "the executable takes --checkpoint=DIR" "$want" \
      "$("$TMP/tiny" --checkpoint="$TMP/new/dir" --input="$TMP/in.npy" --print 2>&1)"
    [ "$(echo "$want" | wc -l)" -eq 4 ] && pass "and prints 3 values" || bad "tiny --print: $want"
  else bad "slimc tiny.slim: $(cat "$TMP/err")"; fi
else
  bad "init into a new directory"
fi
"$TOOL" init "$TINY" -o "$TMP/abs/m" && check "init: absolute prefix in the state file" \
  "model_checkpoint_path: \"$TMP/abs/m\"" "$(head -1 "$TMP/abs/checkpoint")"
if (cd "$TMP" && "$TOOL" from-npz c.npz -o z1/z2/back); then
  check "from-npz writes the state file" "$(printf 'model_checkpoint_path: "back"\nall_model_checkpoint_paths: "back"')" \
    "$(cat "$TMP/z1/z2/checkpoint")"
  golden "from-npz: ls through the directory" "$GOLD/ls_carnd.txt" "$TOOL" ls "$TMP/z1/z2"
else
  bad "from-npz into a new directory"
fi
touch "$TMP/file"
expect_fail_early() { "$@" > /dev/null 2> "$TMP/err"; echo "$?:$(cat "$TMP/err")"; }
check "init under a file" "1:slim-ckpt: $TMP/file: exists and is not a directory" \
  "$(expect_fail_early "$TOOL" init "$TINY" -o "$TMP/file/x/m")"

# errors: one line naming the file, exit 1; usage: exit 2
expect_fail "missing key" 1 "model.ckpt: no tensor 'nope' in the checkpoint" "$TOOL" dump "$CARND" nope
expect_fail "missing prefix" 1 "nowhere.index: cannot open: No such file or directory" "$TOOL" ls "$TMP/nowhere"
expect_fail "string tensor" 1 "tensor '_CHECKPOINTABLE_OBJECT_GRAPH' has dtype string" "$TOOL" dump \
  "$CK/tf-serving-testdata/tf_text_regression/01/variables/variables" _CHECKPOINTABLE_OBJECT_GRAPH
cp "$TMP/back.index" "$TMP/bad.index"
cp "$TMP/back.data-00000-of-00001" "$TMP/bad.data-00000-of-00001"
printf '\x01' | dd of="$TMP/bad.data-00000-of-00001" bs=1 seek=100 conv=notrunc 2> /dev/null
expect_fail "corrupt tensor data" 1 "bad.data-00000-of-00001: tensor 'Variable': CRC32C mismatch" \
  "$TOOL" dump "$TMP/bad" Variable
echo "not a zip" > "$TMP/x.npz"
expect_fail "not an npz" 1 "x.npz: not a .npz (zip) file" "$TOOL" from-npz "$TMP/x.npz" -o "$TMP/x"
check "failed from-npz leaves nothing" "" "$(ls "$TMP" | grep '^x\.' | grep -v npz)"
expect_fail "init: missing model file" 1 "cannot read '$TMP/m.slim': No such file or directory" \
  "$TOOL" init "$TMP/m.slim" -o "$TMP/i"
printf 'import tensorflow as tf\nmodel m(x: f32[1, 2]):\n    return x + tf.cast(tf.get_variable("w", [2], dtype=tf.bfloat16), tf.float32)\n' > "$TMP/bf.slim"
"$TOOL" init "$TMP/bf.slim" -o "$TMP/bf/ck" 2> "$TMP/err" || bad "init bfloat16: $(cat "$TMP/err")"
expect_fail "to-npz of a bfloat16 tensor names the archive and the tensor" 1 \
  "slim-ckpt: $TMP/bf.npz: tensor 'w': dtype bfloat16 cannot be stored in a .npy file" "$TOOL" to-npz "$TMP/bf/ck" -o "$TMP/bf.npz"
check "failed to-npz leaves no archive" "" "$(ls "$TMP" | grep '^bf\.npz')"
expect_fail "--seed outside init" 2 "--seed, -m, -D and -I go with init only" "$TOOL" ls "$CARND" --seed=1
expect_fail "no command" 2 "missing command" "$TOOL"
expect_fail "unknown command" 2 "unknown command 'frobnicate'" "$TOOL" frobnicate
expect_fail "dump without key" 2 "dump takes PREFIX KEY" "$TOOL" dump "$CARND"
expect_fail "unknown option" 2 "unknown option '--bogus'" "$TOOL" ls --bogus "$CARND"
expect_fail "ls: missing key" 1 "model.ckpt: no tensor 'nope' in the checkpoint" "$TOOL" ls "$CARND" Variable nope
expect_fail "--totals outside ls" 2 "--all-tensors and --totals go with ls only" "$TOOL" dump "$CARND" x --totals

if [ $fails -ne 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all slim-ckpt checks passed"
