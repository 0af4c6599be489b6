#!/usr/bin/env bash
# The back end through the driver: numeric conformance, the memory plan listing,
# byte-identical recompiles, the C API of `slimc -c` linked into a C program,
# and failures that leave nothing behind.
#   bash backend_driver.sh BUILD_DIR SHARED_DIR
set -u
build=$(cd "${1:?usage: backend_driver.sh BUILD_DIR SHARED_DIR}" && pwd)
shared=$(cd "${2:?usage: backend_driver.sh BUILD_DIR SHARED_DIR}" && pwd)
src=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
slimc=$build/slimc
num=$shared/conformance/numeric
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# 1. numeric conformance cases through the full driver
if "$shared/conformance/run" "$slimc" "$num" >"$tmp/conf" 2>&1; then ok "numeric conformance"
else fail "numeric conformance"; cat "$tmp/conf"; fi

# 2. --print-memory-plan against its golden file
if (cd "$num" && "$slimc" --print-memory-plan fc_softmax.slim) >"$tmp/plan" 2>"$tmp/err" &&
   diff -u "$src/tests/golden/backend/fc_softmax.memplan" "$tmp/plan"; then ok "memory plan"
else fail "memory plan: $(head -c 300 "$tmp/err")"; fi

# 3. two compiles are byte-identical, for every output kind
for kind in "-c" "-S" "--emit-llvm" ""; do
  ext=${kind:-exe}; ext=${ext#-}; ext=${ext#-}
  for i in 1 2; do
    (cd "$num" && "$slimc" $kind conv_same.slim -o "$tmp/d$i.$ext") 2>"$tmp/err" || fail "compile $kind: $(head -c 300 "$tmp/err")"
  done
  if cmp -s "$tmp/d1.$ext" "$tmp/d2.$ext"; then ok "deterministic $ext"; else fail "two compiles with '$kind' differ"; fi
done

# 4. the C API: header + object linked into a C program
cat >"$tmp/act.slim" <<'SLIM'
import tensorflow as tf

model act(x: f32[2, 3]):
    return tf.nn.relu(x) * 2.0
SLIM
cat >"$tmp/app.c" <<'C'
#include <stdio.h>
#include "act.h"
int main(void) {
  static const int64_t shape[] = ACT_X_SHAPE;
  float x[ACT_X_SIZE] = {-1, 0.5f, 2, -3, 4, 0}, y[ACT_OUTPUT_SIZE];
  char err[256];
  act *m = act_new(NULL, err, sizeof err);
  if (!m) { fprintf(stderr, "%s\n", err); return 1; }
  if (act_run(m, x, y) != 0) return 1;
  act_free(m);
  printf("%d %lld", ACT_X_RANK, (long long)shape[1]);
  for (int i = 0; i < ACT_OUTPUT_SIZE; i++) printf(" %g", y[i]);
  printf("\n");
  return 0;
}
C
if "$slimc" -c "$tmp/act.slim" -o "$tmp/act.o" 2>"$tmp/err" &&
   cc -std=c99 -Wall -Werror -I"$tmp" "$tmp/app.c" "$tmp/act.o" "$build/libslimrt.a" -lm -lpthread \
      $(nm "$build/libslimrt.a" 2>/dev/null | grep -q __asan && echo -fsanitize=address,undefined) -o "$tmp/app" 2>>"$tmp/err" &&
   out=$("$tmp/app") && [ "$out" = "2 3 0 1 4 0 8 0" ]; then ok "C API"
else fail "C API: ${out:-} $(head -c 400 "$tmp/err")"; fi

# 5. failures leave nothing behind
mkdir "$tmp/empty"
(cd "$num" && "$slimc" --checkpoint="$tmp/nope" conv_same.slim -o "$tmp/empty/exe") >/dev/null 2>"$tmp/err"
st=$?
if [ $st -ne 0 ] && [ -z "$(ls -A "$tmp/empty")" ] && grep -q nope "$tmp/err"; then ok "missing checkpoint"
else fail "missing checkpoint: status $st, left $(ls -A "$tmp/empty"), $(head -c 300 "$tmp/err")"; fi
(cd "$num" && "$slimc" -c --target=nonsense-unknown-nowhere conv_same.slim -o "$tmp/empty/m.o") >/dev/null 2>"$tmp/err"
st=$?
if [ $st -ne 0 ] && [ -z "$(ls -A "$tmp/empty")" ]; then ok "bad target"
else fail "bad target: status $st, left $(ls -A "$tmp/empty")"; fi

echo "backend_driver: $fails failed"
[ $fails -eq 0 ]
