#!/bin/bash
# The bad-input corpus (tests/bad-inputs/): every case must exit with its status, print its
# one-line message (an extended regex on the first stderr line; the runtime tools must print
# exactly one line), leave no output file or temporary behind, and raise no signal and no
# sanitizer report. Binary cases are written at test time by make_cases.py from the real
# files in SHARED/testdata; model-file cases are tests/bad-inputs/models/NAME.slim with
# NAME.stderr (the regex), optional NAME.args and NAME.status (default 1).
# usage: bad_inputs.sh BUILD_DIR SHARED_DIR [NAME-FILTER]
set -u
BUILD=$(cd "$1" && pwd)
SHARED=$(cd "$2" && pwd)
FILTER=${3:-}
SRC=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
HERE=$SRC/tests/bad-inputs
SLIMC=$BUILD/slimc
CKPT=$BUILD/slim-ckpt
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
# every case has a time limit: a hang is a failure too
LIMIT=${BAD_INPUTS_TIMEOUT:-60}

for m in exe_ck exe_in exe_part; do
  if ! "$SLIMC" "$HERE/$m.slim" -o "$TMP/$m" 2>"$TMP/build.err"; then
    echo "FAIL cannot build $m.slim:"; cat "$TMP/build.err"; exit 1
  fi
done
mkdir -p "$TMP/gen"
if ! python3 "$HERE/make_cases.py" "$SHARED" "$TMP/gen" >/dev/null; then
  echo "FAIL make_cases.py"; exit 1
fi
# deep, long and big model files (make_deep_cases.py): same manifest format, own folder
mkdir -p "$TMP/deep"
if ! python3 "$HERE/make_deep_cases.py" "$TMP/deep" >/dev/null; then
  echo "FAIL make_deep_cases.py"; exit 1
fi

# run_case NAME STATUS REGEX ONE_LINE COMMAND...   ({out} is substituted in COMMAND; STATUS may
# list alternatives, 0|1, for a case that may succeed or fail cleanly depending on the stack)
run_case() {
  local name=$1 want=$2 re=$3 one=$4
  shift 4
  [ -n "$FILTER" ] && [[ $name != *$FILTER* ]] && return
  local work="$TMP/work" out="$TMP/work/out.bin" args=() a
  rm -rf "$work"; mkdir -p "$work"
  for a in "$@"; do args+=("${a//\{out\}/$out}"); done
  local cwd=${CASE_CWD:-$work} before; before=$(ls -A "$cwd")
  (cd "$cwd" && timeout -s KILL "$LIMIT" "${args[@]}") >"$TMP/stdout" 2>"$TMP/stderr"
  local st=$? why=""
  local first; first=$(head -n 1 "$TMP/stderr")
  if [ $st -eq 137 ]; then why="killed after ${LIMIT}s (hang?)"
  elif [ $st -ge 128 ]; then why="died with signal $((st - 128))"
  elif grep -qE "Sanitizer|runtime error:|LeakSanitizer" "$TMP/stderr"; then
    why="sanitizer report: $(grep -m2 -E "Sanitizer|runtime error:" "$TMP/stderr")"
  elif [[ "|$want|" != *"|$st|"* ]]; then why="exit status $st, expected $want"
  elif ! printf '%s\n' "$first" | grep -qE -- "$re"; then why="first stderr line does not match /$re/"
  elif [ "$one" = 1 ] && [ "$(wc -l <"$TMP/stderr")" -gt 1 ]; then why="more than one line on stderr"
  elif [ "$st" -ne 0 ] && [ -n "$(ls -A "$work")" ]; then why="output left behind: $(ls -A "$work" | head -3 | tr '\n' ' ')"
  elif [ "$(ls -A "$cwd")" != "$before" ]; then why="files created in $cwd"
  fi
  if [ -z "$why" ]; then pass=$((pass + 1))
  else fail=$((fail + 1)); echo "FAIL $name: $why"; head -c 600 "$TMP/stderr" | sed 's/^/    /'; fi
}

# binary cases from the manifests ({d}: the manifest's folder; slimc may print notes)
for gen in gen deep; do
while IFS=$'\t' read -r name status re cmd; do
  cmd=${cmd//\{slimc\}/$SLIMC}; cmd=${cmd//\{ckpt\}/$CKPT}
  cmd=${cmd//\{exe_in\}/$TMP/exe_in}; cmd=${cmd//\{exe_ck\}/$TMP/exe_ck}
  cmd=${cmd//\{half\}/$HERE/exe_ck.slim}; cmd=${cmd//\{d\}/$TMP/$gen}
  cmd=${cmd//\{exe_part\}/$TMP/exe_part}; cmd=${cmd//\{part\}/$HERE/exe_part.slim}
  one=1; [[ $name == *-slimc || $gen == deep ]] && one=0
  read -r -a argv <<<"$cmd"
  run_case "$name" "$status" "$re" "$one" "${argv[@]}"
done <"$TMP/$gen/cases.tsv"
done

# model-file cases: slimc ARGS FILE.slim -o {out}, run from the case folder (for load())
for src in "$HERE"/models/*.slim; do
  [ -e "$src" ] || continue
  base=${src%.slim}; name=models/$(basename "$base")
  [ -f "$base.stderr" ] || { echo "FAIL $name: no .stderr"; fail=$((fail + 1)); continue; }
  status=1; [ -f "$base.status" ] && status=$(cat "$base.status")
  args=(); [ -f "$base.args" ] && read -r -a args <"$base.args"
  CASE_CWD=$HERE/models run_case "$name" "$status" "$(head -n 1 "$base.stderr")" 0 "$SLIMC" "${args[@]}" \
    "$(basename "$src")" -o "{out}"
done

echo "bad inputs: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
