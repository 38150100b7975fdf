#!/usr/bin/env bash
# End-to-end checks of `mexa synth` and `mexa manifest` through the real binary.
#   synth_cli_test.sh MEXA SOURCE_DIR WORK_DIR
set -uo pipefail
mexa="$1"; source_dir="$2"; work="$3"
rm -rf "$work"; mkdir -p "$work"
failures=0
passes=0
check() { if eval "$2"; then echo "ok   $1"; passes=$((passes + 1)); else echo "FAIL $1"; failures=$((failures + 1)); fi; }

out=$("$mexa" synth --out "$work/set" --clips 7 --subjects 2 --seed 5 2>/dev/null); rc=$?
check "synth exits 0" '[ $rc -eq 0 ]'
check "synth reports what it wrote" 'grep -q "wrote 7 videos, 7 annotated micro-expressions" <<<"$out"'
check "the manifest has a header and 7 rows" '[ "$(wc -l < "$work/set/annotations.csv")" -eq 8 ]'
out=$("$mexa" manifest "$work/set/annotations.csv" 2>&1); rc=$?
check "mexa manifest accepts what synth wrote" '[ $rc -eq 0 ] && grep -q "7 rows, 0 skipped, 0 excluded by the class set, 2 subjects" <<<"$out"'

# The shipped sample is exactly what its recipe makes.
"$mexa" synth --out "$work/sample" --clips 7 --subjects 3 --seed 2026 >/dev/null 2>&1
check "data/sample is reproducible byte for byte from data/make_sample.sh's command" \
  'diff <(cd "$source_dir/data/sample" && find . -type f | sort | xargs md5sum) <(cd "$work/sample" && find . -type f | sort | xargs md5sum) >/dev/null'

"$mexa" synth --clips 3 >/dev/null 2>&1; rc=$?
check "synth without --out is a usage error (2)" '[ $rc -eq 2 ]'
"$mexa" synth --out "$work/x" --fps 250 >/dev/null 2>&1; rc=$?
check "synth --fps 250 is a usage error (2)" '[ $rc -eq 2 ]'
"$mexa" synth --out "$work/x" --size 12x >/dev/null 2>&1; rc=$?
check "synth --size 12x is a usage error (2)" '[ $rc -eq 2 ]'
"$mexa" synth --out "$work/x" --format gif >/dev/null 2>&1; rc=$?
check "synth --format gif is a usage error (2)" '[ $rc -eq 2 ]'

printf 'subject,clip,path,onset,apex,offset,emotion\ns1,a,clips/x.mp4,1,2,3,joy\n' > "$work/bad.csv"
"$mexa" manifest "$work/bad.csv" >/dev/null 2>"$work/err"; rc=$?
check "a manifest with a bad row exits 1 and names file:line" '[ $rc -eq 1 ] && grep -q "bad.csv:2: unknown class" "$work/err"'
"$mexa" manifest --strict "$work/bad.csv" >/dev/null 2>&1; rc=$?
check "--strict makes it fatal (3)" '[ $rc -eq 3 ]'
: > "$work/empty.csv"
"$mexa" manifest "$work/empty.csv" >/dev/null 2>"$work/err"; rc=$?
check "an empty manifest is fatal and named" '[ $rc -eq 3 ] && grep -q "empty.csv: empty file" "$work/err"'

echo "$passes passed, $failures failed"
[ $failures -eq 0 ]
