#!/usr/bin/env bash
# -MD / -MF / -MT: the dependency file names the model file and every file reached through load(),
# and make rebuilds when a loaded file changes (and only then).
set -euo pipefail
build=$(cd "$1" && pwd)
slimc=$build/slimc
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/lib"
cat >"$t/lib/layers.slim" <<'S'
load("act.slim", "act")
def dense(x, n):
    return act(x) * n
S
cat >"$t/lib/act.slim" <<'S'
import tensorflow as tf
def act(x):
    return tf.nn.relu(x)
S
cat >"$t/net.slim" <<'S'
load("lib/layers.slim", "dense")
model net(x: f32[1, 4]):
    return dense(x, 2.0)
S
cd "$t"
fail() { echo "FAIL: $*"; exit 1; }

# 1. -MD -MF deps.d writes one rule naming all three files
"$slimc" -fsyntax-only -MD -MF deps.d -MT net.out net.slim
head -1 deps.d | grep -q '^net.out: net.slim' || fail "rule target/first prerequisite: $(cat deps.d)"
grep -q 'lib/layers.slim' deps.d || fail "layers.slim missing: $(cat deps.d)"
grep -q 'lib/act.slim' deps.d || fail "act.slim missing: $(cat deps.d)"
[ "$(grep -c ':$' deps.d)" -eq 2 ] || fail "expected an empty rule per loaded file: $(cat deps.d)"

# 2. the default dependency file sits beside the output, named after it
"$slimc" -c -MD net.slim -o net.o
[ -f net.d ] && [ -f net.o ] && [ -f net.h ] || fail "-MD with -c -o net.o did not write net.d/net.o/net.h"
head -1 net.d | grep -q '^net.o: net.slim' || fail "net.d: $(cat net.d)"

# 3. make: built once, nothing to do the second time, rebuilt when a loaded file changes
cat >Makefile <<M
SLIMC = $slimc
net: net.slim
	\$(SLIMC) -MD net.slim -o \$@
-include net.d
M
make -s >make1.log 2>&1 || fail "first make: $(cat make1.log)"
[ -x net ] || fail "first make did not build net"
make -q || fail "second make would rebuild"
sleep 1; touch lib/act.slim
make -q && fail "touching a loaded file did not make net out of date"
make -s >make2.log 2>&1 || fail "rebuild: $(cat make2.log)"
make -q || fail "after the rebuild make is still not satisfied"
# deleting a loaded file is a clear error, not a make failure about a missing prerequisite
sleep 1; echo 'def dense(x, n): return x' >lib/layers.slim
make -s >make3.log 2>&1 || fail "rebuild after dropping a load: $(cat make3.log)"
rm lib/act.slim
make -q || fail "make is confused by a deleted, no longer loaded file"
echo "depfile: all checks passed"
