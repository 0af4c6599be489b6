#!/usr/bin/env bash
# scripts/oracle diff must catch a planted difference (exit 1, naming it) and pass the real
# slimc (exit 0), on one small model with a conv2d and a batch_norm:
#   - numeric: BUILD/slimc_plant, slimc built with batch_norm's default epsilon 0.01 instead
#     of TF-Slim's 0.001 (tests/CMakeLists.txt);
#   - naming: a wrapper around BUILD/slimc that renames one variable in its listings.
# usage: plant.sh BUILD_DIR
set -u
BUILD=$(cd "${1:?usage: plant.sh BUILD_DIR}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
cat >"$TMP/plant.slim" <<'SLIM'
import tensorflow as tf
import tf_slim as slim

model m(x: f32[1, 6, 6, 3]):
    net = slim.conv2d(x, 4, [3, 3], normalizer_fn=slim.batch_norm,
                      normalizer_params={'is_training': False}, scope='conv')
    return slim.fully_connected(slim.flatten(net), 2, activation_fn=None, scope='fc')
SLIM
cat >"$TMP/renaming-slimc" <<SH
#!/usr/bin/env bash
# slimc, with conv/weights listed as conv/weight
"$BUILD/slimc" "\$@" | sed 's#^conv/weights\t#conv/weight\t#'
exit \${PIPESTATUS[0]}
SH
chmod +x "$TMP/renaming-slimc"

check() { # NAME WANT_STATUS WANT_REGEX SLIMC
  "$ROOT/scripts/oracle" diff --slimc="$4" "$TMP/plant.slim" >"$TMP/out" 2>&1
  st=$?
  if [ $st -ne "$2" ]; then
    echo "FAIL $1: oracle diff exited $st, expected $2:"; cat "$TMP/out"; fail=1
  elif [ -n "$3" ] && ! grep -qE -- "$3" "$TMP/out"; then
    echo "FAIL $1: no line matches /$3/:"; cat "$TMP/out"; fail=1
  else
    echo "ok   $1 (exit $st)$(head -n 2 "$TMP/out" | sed 's/^/ | /')"
  fi
}
check "real slimc agrees" 0 "" "$BUILD/slimc"
check "wrong batch_norm epsilon is caught" 1 "plant.slim: output output: max difference" "$BUILD/slimc_plant"
check "renamed variable is caught" 1 "plant.slim: variables: slimc only: conv/weight	" "$TMP/renaming-slimc"
exit $fail
