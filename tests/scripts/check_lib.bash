# Sourced by the test scripts: a temporary folder $TMP removed at exit, and the result
# helpers. Each check prints `ok   NAME` or `FAIL NAME: why`; $fails counts the failures.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
pass() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { # NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then pass "$1"; else bad "$1: expected [$2], got [$3]"; fi
}
# NAME STATUS MESSAGE_SUBSTRING COMMAND...: COMMAND exits STATUS and its stderr holds the text
# (with EXPECT_ONE_LINE=1 set for the call, the stderr is that one line).
expect_fail() {
  local name=$1 st=$2 msg=$3
  shift 3
  "$@" > /dev/null 2> "$TMP/err"
  local got=$?
  if [ $got -eq "$st" ] && grep -qF -- "$msg" "$TMP/err" &&
     { [ "${EXPECT_ONE_LINE:-0}" != 1 ] || [ "$(wc -l < "$TMP/err")" -eq 1 ]; }; then pass "$name"
  else bad "$name: status $got, stderr: $(head -5 "$TMP/err")"; fi
}
