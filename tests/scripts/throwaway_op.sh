#!/bin/bash
# Adding an op takes exactly the steps docs/ops.md lists ("Adding an op"), nothing else:
# in a scratch copy of the source tree this script adds an op THROWAWAY (y = 2x + 1,
# tf.math.throwaway) by
#   1. one row in runtime/include/slimrt_ops.def,
#   2. its kernel, a new runtime/src/kernels_throwaway.c,
#   3. its reference cases in tests/kernels/gen_refs.py,
# (its shape rule is the table's existing `unary`), builds the scratch tree, and checks
# that a model calling tf.math.throwaway parses, infers its shape (--print-graph),
# compiles and runs with the right numbers, and that the kernel test passes.
# Then it checks the guards: without the reference case the kernel test fails naming the
# op; a row naming a shape rule that does not exist, or an op without a kernel, does not
# build. usage: throwaway_op.sh BUILD_DIR SHARED_DIR     (a scratch build: about 2 min)
set -u
BUILD=$(cd "$1" && pwd)
SRC=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=${SLIMC_NUMPY_PYTHON:-/usr/bin/python3}
. "$(dirname "$0")/check_lib.bash"   # not *.sh: not a test itself
JOBS=$(nproc 2>/dev/null || echo 2)

# The scratch tree: the sources without build folders or git metadata; the scratch build
# is configured as the test's own build (sanitizers and all), without cross runtimes.
S=$TMP/src B=$TMP/build
mkdir -p "$S"
tar -C "$SRC" --exclude=./.git --exclude='./build*' --exclude=./.venv -cf - . | tar -C "$S" -xf - ||
  { bad "copy the source tree"; exit 1; }
SAN=OFF
grep -q '^SLIMC_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null && SAN=ON
BTYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)

# ---- step 1: the row ----
cat >> "$S/runtime/include/slimrt_ops.def" <<'EOF'
/* THROWAWAY: added by tests/scripts/throwaway_op.sh */
SLIMRT_OP(THROWAWAY, "Throwaway", "Throwaway", 1, 1, 1, none, 0,
          NONE, unary, elementwise, "math.throwaway", unary, none)
EOF
# ---- step 2: the kernel ----
cat > "$S/runtime/src/kernels_throwaway.c" <<'EOF'
/* THROWAWAY: y = 2x + 1 (f32). */
#include "slimrt.h"
void slimrt_k_THROWAWAY(const slimrt_call *c) {
  const slimrt_shape *s = c->out_shape;
  int64_t n = 1;
  for (int64_t i = 0; i < s->rank; i++) n *= s->dims[i];
  const float *x = c->in[0];
  float *y = c->out;
  for (int64_t i = 0; i < n; i++) y[i] = 2.0f * x[i] + 1.0f;
}
EOF
# ---- step 3: the reference cases ----
"$PY" - "$S/tests/kernels/gen_refs.py" <<'EOF' || bad "add the reference cases"
import sys
p = sys.argv[1]
s = open(p).read()
gen = '''
def gen_throwaway(w):
    for shape in [(7,), (2, 3, 5)]:
        x = f32(shape)
        w.case("THROWAWAY", [x], (2 * x.astype(np.float64) + 1).astype(np.float32))


def main():'''
assert "\ndef main():" in s and "gen_floor_div):" in s
s = s.replace("\ndef main():", gen, 1).replace("gen_floor_div):", "gen_floor_div, gen_throwaway):", 1)
open(p, "w").write(s)
EOF

cmake -S "$S" -B "$B" -DCMAKE_BUILD_TYPE="${BTYPE:-RelWithDebInfo}" -DSLIMC_SANITIZE=$SAN -DSLIMC_CROSS_TARGETS= \
  > "$TMP/cmake.log" 2>&1 || { bad "configure the scratch tree"; tail -20 "$TMP/cmake.log"; exit 1; }
cmake --build "$B" -j"$JOBS" --target slimc test_rt_kernels > "$TMP/build.log" 2>&1 ||
  { bad "the scratch tree with the new op builds"; grep -m5 -E 'error|undefined' "$TMP/build.log"; exit 1; }
pass "the scratch tree with the new op builds (row, kernel, reference cases)"

# ---- the op from a model: parse, shape, compile, run ----
cat > "$TMP/m.slim" <<'EOF'
import tensorflow as tf

model m(x: f32[2, 3]):
    return tf.math.throwaway(x, name='t')
EOF
"$B/slimc" --print-graph "$TMP/m.slim" > "$TMP/graph" 2> "$TMP/err"
check "the model parses and its op infers shape [2,3]" "t Throwaway float32 [2,3] x" \
  "$(awk -F'\t' '$2=="Throwaway"{print $1, $2, $3, $4, $5}' "$TMP/graph")"
"$B/slimc" "$TMP/m.slim" -o "$TMP/m" 2> "$TMP/err" || { bad "compile the model"; cat "$TMP/err"; }
"$PY" -c "import numpy as np; np.save('$TMP/x.npy', np.array([[0, 1, -2], [0.5, 3, -0.25]], np.float32))"
"$TMP/m" --input="$TMP/x.npy" --output="$TMP/y.npy" 2> "$TMP/err" || { bad "run the model"; cat "$TMP/err"; }
check "the executable computes 2x + 1" "[[1.0, 3.0, -3.0], [2.0, 7.0, 0.5]]" \
  "$("$PY" -c "import numpy as np; print(np.load('$TMP/y.npy').tolist())" 2>&1)"
expect_fail "a wrong input dtype names the op's rule" 1 "Throwaway" \
  "$B/slimc" -fsyntax-only /dev/stdin <<'EOF'
import tensorflow as tf

model m(x: bool[2]):
    return tf.math.throwaway(x)
EOF

# ---- the kernel test runs the new op's reference cases ----
"$PY" "$S/tests/kernels/gen_refs.py" "$TMP/refs" > /dev/null || bad "gen_refs.py with the new op's cases"
SLIMRT_KERNEL_REFS="$TMP/refs" "$B/tests/test_rt_kernels" --filter='kernels/reference' > "$TMP/k.log" 2>&1
kst=$?
[ $kst = 0 ] && grep -q 'Synthesis' "$TMP/k.log" && pass "test_rt_kernels passes with the new op's cases" ||
  { bad "test_rt_kernels with the new op (status $kst)"; tail -5 "$TMP/k.log"; }

# ---- the guards ----
"$PY" - "$TMP/refs/manifest.txt" <<'EOF'
import sys
p = sys.argv[1]
lines = [l for l in open(p) if " THROWAWAY " not in l]
open(p, "w").write("".join(lines))
EOF
SLIMRT_KERNEL_REFS="$TMP/refs" "$B/tests/test_rt_kernels" --filter='kernels/reference' > "$TMP/k.log" 2>&1 &&
  bad "test_rt_kernels passes without the new op's reference case" ||
  { grep -q 'op THROWAWAY has no reference case' "$TMP/k.log" && pass "without a reference case the kernel test fails naming the op" ||
    { bad "the kernel test's failure names the op"; tail -5 "$TMP/k.log"; }; }

sed -i 's/          NONE, unary, elementwise, "math.throwaway"/          NONE, no_such_rule, elementwise, "math.throwaway"/' \
  "$S/runtime/include/slimrt_ops.def"
cmake --build "$B" -j"$JOBS" --target slimc > "$TMP/build.log" 2>&1 &&
  bad "a row naming a missing shape rule builds" ||
  { grep -q 'rule_no_such_rule' "$TMP/build.log" && pass "a row naming a missing shape rule does not build (rule_no_such_rule)" ||
    { bad "the build error names the missing rule"; grep -m3 error "$TMP/build.log"; }; }
sed -i 's/          NONE, no_such_rule, elementwise, "math.throwaway"/          NONE, unary, elementwise, "math.throwaway"/' \
  "$S/runtime/include/slimrt_ops.def"

rm "$S/runtime/src/kernels_throwaway.c"
cmake --build "$B" -j"$JOBS" --target slimc > "$TMP/build.log" 2>&1 &&
  bad "an op without a kernel builds" ||
  { grep -q 'slimrt_k_THROWAWAY' "$TMP/build.log" && pass "an op without a kernel does not link (slimrt_k_THROWAWAY)" ||
    { bad "the link error names the kernel"; grep -m3 -E 'error|undefined' "$TMP/build.log"; }; }

[ $fails = 0 ] && echo "throwaway_op: all checks passed" || echo "throwaway_op: $fails check(s) failed"
[ $fails = 0 ]
