#!/usr/bin/env bash
# Front-end goldens: `slimc --dump=tokens` and `slimc --dump=ast` against files under tests/golden.
#   golden_frontend.sh BUILD_DIR SHARED_DIR      (UPDATE=1 rewrites the goldens instead)
# tokens/NAME.slim -> NAME.tokens (stdout) and, if present, NAME.tokens.stderr (exact stderr);
# ast/NAME.slim -> NAME.ast; every SHARED_DIR/conformance/DIR/NAME.slim -> ast/DIR__NAME.ast
# (except naming/syntax_errors.slim, which must fail to parse).
# SLIMC overrides the compiler binary (default BUILD_DIR/slimc).
set -u
build=${1:?usage: golden_frontend.sh BUILD_DIR SHARED_DIR}
shared=${2:?usage: golden_frontend.sh BUILD_DIR SHARED_DIR}
slimc=${SLIMC:-$build/slimc}
case "$slimc" in /*) ;; *) slimc="$PWD/$slimc" ;; esac
golden=$(cd "$(dirname "$0")/../golden" && pwd)
[ -x "$slimc" ] || { echo "golden_frontend: $slimc is not an executable" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

check() { # KIND SRC GOLDEN [STDERR_GOLDEN]   (runs from SRC's folder so paths in messages are short)
  local kind=$1 src=$2 want=$3 want_err=${4:-}
  (cd "$(dirname "$src")" && "$slimc" --dump="$kind" "$(basename "$src")") >"$tmp/out" 2>"$tmp/err"
  local st=$?
  if [ "${UPDATE:-0}" = 1 ]; then
    cp "$tmp/out" "$want"
    [ -n "$want_err" ] && [ -s "$tmp/err" ] && cp "$tmp/err" "$want_err"
    pass=$((pass + 1)); return
  fi
  local why=""
  if [ $st -ge 128 ]; then why="died with signal $((st - 128))"
  elif [ ! -f "$want" ]; then why="missing golden $want (run with UPDATE=1)"
  elif ! diff -u "$want" "$tmp/out" >"$tmp/diff"; then why="output differs:"$'\n'"$(head -n 30 "$tmp/diff")"
  elif [ -n "$want_err" ] && [ -f "$want_err" ] && ! diff -u "$want_err" "$tmp/err" >"$tmp/diff"; then
    why="stderr differs:"$'\n'"$(head -n 30 "$tmp/diff")"
  elif [ -n "$want_err" ] && [ ! -f "$want_err" ] && [ $st -ne 0 ]; then
    why="exit status $st: $(head -c 400 "$tmp/err")"
  fi
  if [ -z "$why" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $kind $src: $why"; fi
}

for src in "$golden"/tokens/*.slim; do
  check tokens "$src" "${src%.slim}.tokens" "${src%.slim}.tokens.stderr"
done
for src in "$golden"/ast/*.slim; do
  check ast "$src" "${src%.slim}.ast" "${src%.slim}.ast.stderr"
done
for src in "$shared"/conformance/*/*.slim; do
  dir=$(basename "$(dirname "$src")"); name=$(basename "$src" .slim)
  if [ "$dir/$name" = naming/syntax_errors ]; then
    if (cd "$(dirname "$src")" && "$slimc" --dump=ast "$name.slim") >/dev/null 2>&1; then
      fail=$((fail + 1)); echo "FAIL $src: parsed, but it has syntax errors"
    else pass=$((pass + 1)); fi
    continue
  fi
  check ast "$src" "$golden/ast/${dir}__$name.ast" "$golden/ast/${dir}__$name.ast.stderr"
done
echo "golden_frontend: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
