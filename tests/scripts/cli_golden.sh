#!/bin/bash
# Command-line and diagnostic goldens: each tests/golden/cli/NAME.cmd is one bash command line,
# run in that folder with $SLIMC, $SLIMCKPT, $SHARED, $T (a fresh temporary folder) and $TINY
# (tiny.slim built with slimc into an executable) set; its stdout and stderr, merged, then a line
# `exit N`, must equal NAME.out, after $T, $BUILD and $SHARED are written back as those names.
#   cli_golden.sh BUILD_DIR SHARED_DIR        (UPDATE=1 rewrites the .out files instead)
set -u
BUILD=$(cd "${1:?usage: cli_golden.sh BUILD_DIR SHARED_DIR}" && pwd)
SHARED=$(cd "${2:?usage: cli_golden.sh BUILD_DIR SHARED_DIR}" && pwd)
GOLD=$(cd "$(dirname "$0")/../golden/cli" && pwd)
export SLIMC=$BUILD/slimc SLIMCKPT=$BUILD/slim-ckpt SHARED BUILD
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TINY=$WORK/tiny
(cd "$GOLD" && "$SLIMC" tiny.slim -o "$TINY") || { echo "FAIL cannot build tiny.slim"; exit 1; }
pass=0 fail=0
for cmd in "$GOLD"/*.cmd; do
  name=$(basename "$cmd" .cmd)
  export T=$WORK/$name
  mkdir -p "$T"
  (cd "$GOLD" && timeout 120 bash -c "$(cat "$cmd")") > "$WORK/out" 2>&1
  echo "exit $?" >> "$WORK/out"
  sed -i -e "s#$T#\$T#g" -e "s#$BUILD#\$BUILD#g" -e "s#$SHARED#\$SHARED#g" "$WORK/out"
  if [ "${UPDATE:-0}" = 1 ]; then
    cp "$WORK/out" "$GOLD/$name.out"
  elif [ ! -f "$GOLD/$name.out" ]; then
    echo "FAIL $name: no $name.out (run with UPDATE=1)"; fail=$((fail + 1)); continue
  elif ! diff -u "$GOLD/$name.out" "$WORK/out" > "$WORK/diff"; then
    echo "FAIL $name: $(cat "$cmd")"; head -n 30 "$WORK/diff"; fail=$((fail + 1)); continue
  fi
  echo "ok   $name"
  pass=$((pass + 1))
done
echo "cli_golden: $pass passed, $fail failed"
[ $fail -eq 0 ]
