#!/bin/bash
# The model zoo end to end: every samples/{vgg_16,mobilenet_v1,resnet_v1_50,inception_v3}.slim
# compiles to an executable that runs with --random-init, with a checkpoint written by
# `slim-ckpt init` (same seed: bit-identical outputs, since init draws the --random-init
# streams), and with that checkpoint embedded. MobileNet v1 and ResNet-50 logits are checked
# against the NumPy reference (tests/reference/zoo.py) within 1e-4 of the largest logit.
# VGG-16 and Inception v3 are not run in NumPy (too slow on a shared machine).
# usage: e2e_zoo.sh BUILD_DIR SHARED_DIR     (ZOO="mobilenet_v1 ..." picks models)
set -u
BUILD=$(cd "$1" && pwd)
SRC=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=${SLIMC_NUMPY_PYTHON:-/usr/bin/python3}
. "$(dirname "$0")/check_lib.bash"   # not *.sh: not a test itself
SEED=7

for m in ${ZOO:-vgg_16 mobilenet_v1 resnet_v1_50 inception_v3}; do
  slim=$SRC/samples/$m.slim
  if ! "$BUILD/slimc" "$slim" -o "$TMP/$m" 2> "$TMP/err"; then
    bad "$m: compile"; head -5 "$TMP/err"; continue
  fi
  pass "$m: compile"
  # the input's shape from the signature; a fixed pseudo-random image in [-1, 1]
  shape=$("$BUILD/slimc" --print-signature "$slim" | awk -F'\t' '$1=="input"{print $4; exit}')
  "$PY" -c "import numpy as np; np.save('$TMP/x.npy', np.random.default_rng(1).uniform(-1, 1, $shape).astype(np.float32))"
  if "$TMP/$m" --random-init=$SEED --input="$TMP/x.npy" --output=logits="$TMP/$m.rand.npy" 2> "$TMP/err"
  then pass "$m: runs with --random-init"; else bad "$m: --random-init"; cat "$TMP/err"; continue; fi
  "$PY" -c "import numpy as np, sys; a = np.load('$TMP/$m.rand.npy'); sys.exit(0 if np.isfinite(a).all() and a.std() > 0 else 1)" \
    && pass "$m: logits finite and not constant" || bad "$m: logits finite and not constant"

  if ! "$BUILD/slim-ckpt" init "$slim" --seed=$SEED -o "$TMP/$m.ckpt" 2> "$TMP/err"; then
    bad "$m: slim-ckpt init"; cat "$TMP/err"; continue
  fi
  nvars=$("$BUILD/slimc" --print-restore-map "$slim" | wc -l)
  nkeys=$("$BUILD/slim-ckpt" ls "$TMP/$m.ckpt" | wc -l)
  [ "$nvars" -eq "$nkeys" ] && [ "$nkeys" -gt 0 ] && pass "$m: init wrote the $nkeys restored variables" \
    || bad "$m: init wrote $nkeys tensors for $nvars restored variables"
  "$TMP/$m" --checkpoint="$TMP/$m.ckpt" --input="$TMP/x.npy" --output=logits="$TMP/$m.ckpt.npy" 2> "$TMP/err" \
    || { bad "$m: run with the init checkpoint"; cat "$TMP/err"; }
  cmp -s "$TMP/$m.rand.npy" "$TMP/$m.ckpt.npy" && pass "$m: --checkpoint=init output == --random-init=$SEED" \
    || bad "$m: --checkpoint=init output differs from --random-init=$SEED"
  if "$BUILD/slimc" --checkpoint="$TMP/$m.ckpt" "$slim" -o "$TMP/$m.emb" 2> "$TMP/err" &&
     "$TMP/$m.emb" --input="$TMP/x.npy" --output=logits="$TMP/$m.emb.npy" 2>> "$TMP/err" &&
     cmp -s "$TMP/$m.rand.npy" "$TMP/$m.emb.npy"
  then pass "$m: embedded weights give the same output"
  else bad "$m: embedded weights"; head -5 "$TMP/err"; fi

  case $m in
  mobilenet_v1 | resnet_v1_50)
    "$BUILD/slim-ckpt" to-npz "$TMP/$m.ckpt" -o "$TMP/$m.npz" || { bad "$m: to-npz"; continue; }
    "$PY" "$SRC/tests/reference/zoo.py" $m "$TMP/$m.npz" "$TMP/x.npy" "$TMP/$m.ckpt.npy" 1e-4 || fails=$((fails + 1))
    if [ $m = mobilenet_v1 ]; then
      # MobileNet's initializers shrink the signal ~10x a block (logits ~1e-11): again with
      # the batch-norm variances set to 0.05, so every layer works at O(1) and relu6 clips
      "$PY" -c "
import numpy as np
z = np.load('$TMP/$m.npz')
np.savez('$TMP/$m.bn.npz', **{k: np.full_like(z[k], 0.05) if k.endswith('moving_variance') else z[k] for k in z.files})"
      "$BUILD/slim-ckpt" from-npz "$TMP/$m.bn.npz" -o "$TMP/$m.bn" &&
        "$TMP/$m" --checkpoint="$TMP/$m.bn" --input="$TMP/x.npy" --output=logits="$TMP/$m.bn.npy" 2> "$TMP/err" \
        || { bad "$m: run with rescaled batch norm"; cat "$TMP/err"; }
      "$PY" "$SRC/tests/reference/zoo.py" $m "$TMP/$m.bn.npz" "$TMP/x.npy" "$TMP/$m.bn.npy" 1e-4 || fails=$((fails + 1))
    fi
    ;;
  esac
  rm -f "$TMP/$m" "$TMP/$m.emb" "$TMP/$m".ckpt.* "$TMP/$m".*npz "$TMP/$m".bn.*  # VGG's weights are 550 MB a copy
done

[ $fails -eq 0 ] && echo "e2e_zoo: all passed" || echo "e2e_zoo: $fails failed"
[ $fails -eq 0 ]
