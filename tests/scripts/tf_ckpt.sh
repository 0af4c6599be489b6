#!/bin/bash
# Checkpoint interoperability with the real TensorFlow, both directions (tests/tf_ckpt/):
# TF-written checkpoints read bit-exactly by slim-ckpt and by a slimc-compiled executable,
# and slim-ckpt-written checkpoints restored by TF's Saver and read bit-exactly by TF.
# usage: tf_ckpt.sh BUILD_DIR SHARED_DIR   (the Python is the venv of scripts/bootstrap --venv,
# or $SLIMC_TEST_PYTHON)
set -u
BUILD=$1
SRC=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=${SLIMC_TEST_PYTHON:-}
if [ -z "$PY" ]; then PY=$("$SRC/scripts/venv-python") || exit 1; fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
rc=0
timeout 600 "$PY" "$SRC/tests/tf_ckpt/tf_to_slimc.py" "$BUILD" "$TMP/tf_to_slimc" || rc=1
timeout 600 "$PY" "$SRC/tests/tf_ckpt/slimc_to_tf.py" "$BUILD" "$TMP/slimc_to_tf" || rc=1
exit $rc
