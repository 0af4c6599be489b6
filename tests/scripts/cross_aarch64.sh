#!/bin/bash
# Cross targets (docs/cross.md): `slimc --target=aarch64-linux-gnu` links with the runtime built
# for that triple (build/targets/aarch64-linux-gnu/libslimrt.a, cmake/CrossRuntime.cmake) and
# Debian's aarch64-linux-gnu-gcc; the programs run under qemu-aarch64 (Debian's qemu-user).
#  - samples/mobilenet_v1.slim (depth 0.25, `slim-ckpt init` weights embedded) and a small
#    model with a '?' batch run by the aarch64 executable: outputs equal the host's within
#    1e-5, absolute and relative to the largest |value| (not all zero), top-1 the same;
#  - a C program using `slimc -c --target=aarch64-linux-gnu`'s object and header, linked with
#    the aarch64 runtime, prints the host executable's numbers;
#  - a triple without a runtime is one clear error (E0920), no raw linker message.
# usage: cross_aarch64.sh BUILD_DIR SHARED_DIR     (about 30 s, most of it in qemu)
set -u
BUILD=$(cd "$1" && pwd)
SRC=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=${SLIMC_NUMPY_PYTHON:-/usr/bin/python3}
. "$(dirname "$0")/check_lib.bash"   # not *.sh: not a test itself
T=aarch64-linux-gnu
QEMU=(qemu-aarch64 -L /usr/$T)
for tool in qemu-aarch64 $T-gcc; do
  command -v $tool > /dev/null || { bad "$tool not found (scripts/bootstrap installs qemu-user and gcc-$T)"; exit 1; }
done
[ -f "$BUILD/targets/$T/libslimrt.a" ] || { bad "no runtime for $T in $BUILD/targets (cmake/CrossRuntime.cmake)"; exit 1; }

cp "$SRC/samples/mobilenet_v1.slim" "$TMP/mobilenet.slim"
cat > "$TMP/small.slim" <<'SLIM'
import tf_slim as slim
model small(x: f32[?, 12, 12, 3]):
    net = slim.conv2d(x, 8, [3, 3], scope='c1')
    net = slim.separable_conv2d(net, 16, [3, 3], depth_multiplier=1, scope='sep')
    net = slim.avg_pool2d(net, [2, 2])
    net = slim.batch_norm(net, is_training=False, scope='bn')
    net = slim.flatten(net)
    return {'logits': slim.fully_connected(net, 7, activation_fn=None, scope='fc')}
SLIM

# NAME OUTPUT DEFINES...: host and aarch64 executables from one embedded checkpoint, same input
run_pair() {
  local b=$1 out=$2 shape
  shift 2
  "$BUILD/slim-ckpt" init "$TMP/$b.slim" "$@" --seed=3 -o "$TMP/$b.ckpt" 2> "$TMP/err" || { bad "$b: slim-ckpt init: $(head -3 "$TMP/err")"; return; }
  "$BUILD/slimc" "$TMP/$b.slim" "$@" --checkpoint="$TMP/$b.ckpt" -o "$TMP/$b.host" 2> "$TMP/err" || { bad "$b: host compile: $(head -3 "$TMP/err")"; return; }
  "$BUILD/slimc" --target=$T "$TMP/$b.slim" "$@" --checkpoint="$TMP/$b.ckpt" -o "$TMP/$b.arm" 2> "$TMP/err" ||
    { bad "$b: --target=$T compile: $(head -3 "$TMP/err")"; return; }
  file "$TMP/$b.arm" | grep -q 'ARM aarch64' && pass "$b: --target=$T gives an aarch64 executable" || bad "$b: not an aarch64 executable: $(file "$TMP/$b.arm")"
  shape=$("$BUILD/slimc" --print-signature "$TMP/$b.slim" "$@" | awk -F'\t' '$1=="input"{print $4; exit}')
  "$PY" -c "
import numpy as np
shape = [3 if d == '?' else int(d) for d in '$shape'.strip('[]').split(',')]
np.save('$TMP/$b.x.npy', np.random.default_rng(4).uniform(-1, 1, shape).astype(np.float32))" || { bad "$b: input"; return; }
  "$TMP/$b.host" --input="$TMP/$b.x.npy" --output=$out="$TMP/$b.y_host.npy" 2> "$TMP/err" || { bad "$b: host run: $(head -3 "$TMP/err")"; return; }
  "${QEMU[@]}" "$TMP/$b.arm" --input="$TMP/$b.x.npy" --output=$out="$TMP/$b.y_arm.npy" 2> "$TMP/err" || { bad "$b: qemu run: $(head -3 "$TMP/err")"; return; }
  if "$PY" -c "
import numpy as np, sys
a, h = np.load('$TMP/$b.y_arm.npy'), np.load('$TMP/$b.y_host.npy')
d = float(np.max(np.abs(a.astype(np.float64) - h))) if a.shape == h.shape else float('inf')
m = float(np.max(np.abs(h)))
print('max abs difference %.3g over %d values = %.3g of the largest |value| %.3g' % (d, h.size, d / m if m else 0, m))
sys.exit(0 if m > 0 and d <= 1e-5 and d <= 1e-5 * m else 1)" > "$TMP/close" 2>&1; then
    pass "$b: the aarch64 output under qemu equals the host's within 1e-5 ($(tail -1 "$TMP/close"))"
  else bad "$b: aarch64 and host outputs differ: $(tail -3 "$TMP/close")"; fi
  local top_h top_a
  top_h=$("$TMP/$b.host" --input="$TMP/$b.x.npy" --top=1 2>&1 | tail -n +2)
  top_a=$("${QEMU[@]}" "$TMP/$b.arm" --input="$TMP/$b.x.npy" --top=1 2>&1 | tail -n +2)
  [ -n "$top_h" ] && [ "$(echo "$top_h" | awk '{print $1}')" == "$(echo "$top_a" | awk '{print $1}')" ] &&
    pass "$b: same top-1 index" || bad "$b: top-1 host [$top_h] aarch64 [$top_a]"
}
run_pair mobilenet logits -D depth_multiplier=0.25
run_pair small logits

# ---- the C API: an aarch64 object and header, a C program cross-linked with the runtime ----
"$BUILD/slimc" -c --target=$T "$TMP/small.slim" --checkpoint="$TMP/small.ckpt" -o "$TMP/small_arm.o" 2> "$TMP/err" || bad "C API: -c --target=$T: $(head -3 "$TMP/err")"
cat > "$TMP/app.c" <<'C'
#include <stdio.h>
#include "small_arm.h"
int main(void) {
  char err[256];
  small *m = small_new(NULL, err, sizeof err);
  if (!m) { fprintf(stderr, "%s\n", err); return 1; }
  static float x[2 * 12 * 12 * 3], y[2 * 7];
  for (int i = 0; i < 2 * 12 * 12 * 3; i++) x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
  if (small_run_batch(m, 2, x, y, err, sizeof err) != 0) { fprintf(stderr, "%s\n", err); return 1; }
  for (int i = 0; i < 2 * 7; i++) printf("%.6g\n", y[i]);
  small_free(m);
  return 0;
}
C
if $T-gcc -std=c99 -I"$TMP" "$TMP/app.c" "$TMP/small_arm.o" "$BUILD/targets/$T/libslimrt.a" -lm -lpthread -o "$TMP/app_arm" 2> "$TMP/err" &&
   "$BUILD/slimc" -c "$TMP/small.slim" --checkpoint="$TMP/small.ckpt" -o "$TMP/small_arm.o" 2>> "$TMP/err" &&
   cc -std=c99 -I"$TMP" "$TMP/app.c" "$TMP/small_arm.o" "$BUILD/libslimrt.a" $(nm "$BUILD/libslimrt.a" 2>/dev/null | grep -q __asan && echo -fsanitize=address,undefined) -lm -lpthread -o "$TMP/app_host" 2>> "$TMP/err"; then
  "${QEMU[@]}" "$TMP/app_arm" > "$TMP/c_arm.txt" 2>&1 && "$TMP/app_host" > "$TMP/c_host.txt" 2>&1
  if "$PY" -c "
import sys
a = [float(v) for v in open('$TMP/c_arm.txt')]; h = [float(v) for v in open('$TMP/c_host.txt')]
sys.exit(0 if len(a) == len(h) == 14 and all(abs(x - y) <= 1e-5 + 1e-4 * abs(y) for x, y in zip(a, h)) else 1)"; then
    pass "C API: an aarch64 C program under qemu prints the host's 14 numbers"
  else bad "C API: aarch64 [$(head -3 "$TMP/c_arm.txt" | tr '\n' ' ')] host [$(head -3 "$TMP/c_host.txt" | tr '\n' ' ')]"; fi
else bad "C API: build: $(head -5 "$TMP/err")"; fi

# ---- a triple slimc has no runtime for: one clear error, nothing written ----
EXPECT_ONE_LINE=1 expect_fail "no runtime for riscv64" 1 "no runtime library for target 'riscv64-linux-gnu'" \
  "$BUILD/slimc" --target=riscv64-linux-gnu "$TMP/small.slim" -o "$TMP/small.rv"
[ ! -e "$TMP/small.rv" ] && pass "riscv64: no output left" || bad "riscv64: an output was left"

EXPECT_ONE_LINE=1 expect_fail "-mcpu=native with --target=$T" 1 "-mcpu=native names this machine's processor" \
  "$BUILD/slimc" --target=$T -mcpu=native "$TMP/small.slim" -o "$TMP/small.nat"
[ ! -e "$TMP/small.nat" ] && pass "-mcpu=native: no output left" || bad "-mcpu=native: an output was left"
"$BUILD/slimc" --target=$T -mcpu=cortex-a72 "$TMP/small.slim" -c -o "$TMP/small_a72.o" 2> "$TMP/err" && [ ! -s "$TMP/err" ] &&
  pass "-mcpu=cortex-a72 with --target=$T" || bad "-mcpu=cortex-a72: $(head -3 "$TMP/err")"

echo "cross aarch64: $fails failed"
[ $fails -eq 0 ]
