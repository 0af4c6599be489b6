#!/usr/bin/env bash
# Entry files that import multi-file packages laid out like TF-Slim's nets/ (LANGUAGE.md 3.2):
# `from nets import x`, `from nets.sub import y as z`, relative imports, private names, a
# package with __init__.py and one without, a .slim module, a -I directory; the variables
# the model makes, and -MD listing every imported file (golden).
set -euo pipefail
build=$(cd "$1" && pwd)
slimc=$build/slimc
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT && echo "kept $t"
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$t/nets/mobilenet" "$t/extra"
# nets/ has no __init__.py (a namespace package); nets/mobilenet/ has one
cat >"$t/nets/net_utils.py" <<'S'
import tensorflow as tf
slim = tf.contrib.slim
_DEFAULT_DEPTH = 8
def net_arg_scope(weight_decay=0.0004):
    with slim.arg_scope([slim.conv2d], weights_regularizer=slim.l2_regularizer(weight_decay)) as sc:
        return sc
S
cat >"$t/nets/mobilenet/__init__.py" <<'S'
from . import conv_blocks
S
cat >"$t/nets/mobilenet/conv_blocks.py" <<'S'
import functools
import tensorflow as tf
from .. import net_utils
from ..net_utils import _DEFAULT_DEPTH as _depth
from . import padding
slim = tf.contrib.slim
def expanded_conv(x, scope=None):
    with tf.variable_scope(scope, default_name="expanded_conv"):
        x = padding.pad(x)
        return slim.conv2d(x, _depth, [3, 3], scope="expand")
S
cat >"$t/nets/mobilenet/padding.slim" <<'S'
def pad(x):
    return x
S
cat >"$t/extra/heads.py" <<'S'
import tensorflow as tf
from nets import net_utils
def logits(x, n):
    return tf.contrib.slim.conv2d(x, n, [1, 1], scope="Logits")
S
cat >"$t/net.slim" <<'S'
import nets.net_utils
from nets import net_utils
from nets.mobilenet import conv_blocks as ops
import heads
model net(x: f32[1, 8, 8, 3]):
    with arg_scope(nets.net_utils.net_arg_scope()):
        y = ops.expanded_conv(x)
        y = ops.expanded_conv(y)
        return heads.logits(y, net_utils._DEFAULT_DEPTH + 2)
S
cd "$t"
"$slimc" -I extra --print-variables net.slim >vars.txt 2>err.txt || fail "slimc: $(cat err.txt)"
cat >vars.want <<'W'
expanded_conv/expand/weights	float32	[3,3,3,8]	model_variables,trainable_variables,variables
expanded_conv/expand/biases	float32	[8]	model_variables,trainable_variables,variables
expanded_conv_1/expand/weights	float32	[3,3,8,8]	model_variables,trainable_variables,variables
expanded_conv_1/expand/biases	float32	[8]	model_variables,trainable_variables,variables
Logits/weights	float32	[1,1,8,10]	model_variables,trainable_variables,variables
Logits/biases	float32	[10]	model_variables,trainable_variables,variables
W
diff -u vars.want vars.txt >/dev/null || { head -3 vars.txt; diff -u vars.want vars.txt || true; fail "variables differ"; }
# the same names as TF (checked with: scripts/oracle diff -I extra net.slim)
"$slimc" -I extra -fsyntax-only -MD -MF deps.d -MT net.out net.slim || fail "-MD run"
cat >deps.want <<'W'
net.out: net.slim \
  nets/net_utils.py \
  nets/mobilenet/__init__.py \
  nets/mobilenet/conv_blocks.py \
  nets/mobilenet/padding.slim \
  extra/heads.py

nets/net_utils.py:

nets/mobilenet/__init__.py:

nets/mobilenet/conv_blocks.py:

nets/mobilenet/padding.slim:

extra/heads.py:
W
diff -u deps.want deps.d || fail "-MD output differs"
echo "import_packages: all checks passed"
