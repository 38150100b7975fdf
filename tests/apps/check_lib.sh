# Shared by the end-to-end CLI test scripts: `check NAME CONDITION` counts and
# prints ok/FAIL; `skip NAME REASON` records a check that could not run;
# `same_results A.h5 B.h5 [--atol X] [--rtol X] [--ignore NAME]` compares two
# results files: every dataset and attribute but the write time; exact unless
# a tolerance is given (tests/tools/same_results.py). A test comparing numbers
# across runs, ranks, shards or resumes uses it, and says why its tolerance
# (or bit identity, where that is the contract) is the right one.
# `finish` prints the totals and exits 1 when any check failed, else 77 (ctest's
# SKIP_RETURN_CODE: the case reports Skipped, never Passed) when any was skipped.
# Sourced with the work folder in $work (made empty here).
set -uo pipefail
rm -rf "$work"; mkdir -p "$work"
failures=0
passes=0
skips=0
check() { if eval "$2"; then echo "ok   $1"; passes=$((passes + 1)); else echo "FAIL $1"; failures=$((failures + 1)); fi; }
same_results() { /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/../tools/same_results.py" "$@"; }
skip() { echo "skip $1: $2"; skips=$((skips + 1)); }
finish() {
  echo "$passes passed, $failures failed, $skips skipped"
  [ "$failures" -eq 0 ] || return 1
  [ "$skips" -eq 0 ] || exit 77
}
