# Shared by the end-to-end CLI test scripts: `check NAME CONDITION` counts and
# prints ok/FAIL; `skip NAME REASON` records a check that could not run;
# `finish` prints the totals and exits 1 when any check failed, else 77 (ctest's
# SKIP_RETURN_CODE: the case reports Skipped, never Passed) when any was skipped.
# Sourced with the work folder in $work (made empty here).
set -uo pipefail
rm -rf "$work"; mkdir -p "$work"
failures=0
passes=0
skips=0
check() { if eval "$2"; then echo "ok   $1"; passes=$((passes + 1)); else echo "FAIL $1"; failures=$((failures + 1)); fi; }
skip() { echo "skip $1: $2"; skips=$((skips + 1)); }
finish() {
  echo "$passes passed, $failures failed, $skips skipped"
  [ "$failures" -eq 0 ] || return 1
  [ "$skips" -eq 0 ] || exit 77
}
