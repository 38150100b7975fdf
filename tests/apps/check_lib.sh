# Shared by the end-to-end CLI test scripts: `check NAME CONDITION` counts and
# prints ok/FAIL; `finish` prints the totals and fails when any check failed.
# Sourced with the work folder in $work (made empty here).
set -uo pipefail
rm -rf "$work"; mkdir -p "$work"
failures=0
passes=0
check() { if eval "$2"; then echo "ok   $1"; passes=$((passes + 1)); else echo "FAIL $1"; failures=$((failures + 1)); fi; }
finish() {
  echo "$passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}
