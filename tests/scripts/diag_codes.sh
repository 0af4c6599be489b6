#!/usr/bin/env bash
# The table of diagnostic codes (compiler/base/diag_codes.def) against the sources and
# `slimc --explain`: no code twice in the table, rows in ascending order, every code the
# sources print has a row, every row is printed by some source (a warning's row: its -W name
# is passed by some source), and `slimc --explain=CODE` prints every row (exit 0).
# About 2 s (one slimc run per code).
set -uo pipefail
build=$(cd "$1" && pwd)
src=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$(dirname "$0")/check_lib.bash"
slimc=$build/slimc
def=$src/compiler/base/diag_codes.def

# the rows: CODE and FLAG (0 for an error), one a line
grep -E '^DIAG_CODE\(' "$def" | sed -E 's/^DIAG_CODE\(([EW][0-9]{4}), *("([^"]*)"|0),.*/\1 \3/; s/ $//' > "$TMP/rows"
cut -d' ' -f1 "$TMP/rows" > "$TMP/table"
check "every DIAG_CODE row reads as CODE, FLAG" "" "$(grep -vE '^[EW][0-9]{4}( [a-z0-9-]+)?$' "$TMP/rows")"
check "the table has rows" "1" "$([ "$(wc -l < "$TMP/table")" -gt 100 ] && echo 1)"
check "no code twice in the table" "" "$(sort "$TMP/table" | uniq -d | tr '\n' ' ')"
check "the rows are in ascending order" "" "$(sort -c "$TMP/table" 2>&1)"
check "errors have no flag, warnings have one" "" \
  "$(grep -E '^E[0-9]{4} .|^W[0-9]{4}$' "$TMP/rows" | tr '\n' ' ')"

# the codes the sources print: every "E0123" / "W0123" string literal outside the table
find "$src/compiler" "$src/grammar" "$src/tools" "$src/runtime/src" -type f \
  \( -name '*.c' -o -name '*.h' -o -name '*.l' -o -name '*.y' -o -name '*.def' \) ! -path "$def" > "$TMP/files"
xargs grep -ohE '"[EW][0-9]{4}"' < "$TMP/files" | tr -d '"' | sort -u > "$TMP/used"
check "the sources print codes" "1" "$([ "$(wc -l < "$TMP/used")" -gt 100 ] && echo 1)"
check "every code the sources print has a row" "" "$(comm -13 <(sort "$TMP/table") "$TMP/used" | tr '\n' ' ')"
unused=$(grep '^E' "$TMP/table" | sort | comm -23 - "$TMP/used" | tr '\n' ' ')
check "every error row is printed by a source" "" "$unused"
wunused=""
while read -r code flag; do
  [ "$(xargs cat < "$TMP/files" | grep -cF "\"$flag\"")" -gt 0 ] || wunused+="$code($flag) "
done < <(grep '^W' "$TMP/rows")
check "every warning row's -W name is passed by a source" "" "$wunused"

# slimc --explain for every row
noexplain=""
while read -r code; do
  out=$("$slimc" --explain="$code" 2> "$TMP/err")
  st=$?
  first=${out%%$'\n'*}
  if [ $st -ne 0 ] || [ -s "$TMP/err" ] || [ "$first" == "$out" ] ||
     ! [[ $first =~ ^$code\ \((error|warning,\ -W[a-z0-9-]+)\):\ . ]]; then
    noexplain+="$code(status $st) "
  fi
done < "$TMP/table"
check "slimc --explain=CODE prints every row" "" "$noexplain"
check "--explain takes the code in lower case" "$("$slimc" --explain=E0720)" "$("$slimc" --explain=e0720)"
check "--explain CODE as two arguments" "$("$slimc" --explain=W0701)" "$("$slimc" --explain W0701)"
EXPECT_ONE_LINE=1 expect_fail "--explain of an unknown code" 1 "slimc: error: unknown diagnostic code 'E9999'" \
  "$slimc" --explain=E9999
EXPECT_ONE_LINE=1 expect_fail "--explain of a malformed code" 1 "unknown diagnostic code 'E07200'" \
  "$slimc" --explain=E07200
expect_fail "--explain without a code" 2 "--explain needs a diagnostic code" "$slimc" --explain=
check "--help lists --explain" "1" "$("$slimc" --help | grep -c -- '--explain=CODE')"

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
