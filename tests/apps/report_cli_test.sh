#!/usr/bin/env bash
# `mexa report` end to end: a training run, a results file (with per-frame
# probabilities) and two runs compared, each opened in headless Chromium
# (Debian's chromium, started here): no script errors, nothing fetched (the
# page's CSP allows no fetch; violations are recorded on <body>), the expected
# number of charts drawn, and a screenshot that is not blank. Skipped only when
# Chromium cannot start.
#   report_cli_test.sh MEXA WORK_DIR
mexa="$1"; work="$2"
source "$(dirname "$0")/check_lib.sh"
py() { /usr/bin/python3 -c "$@"; }
browser=$(command -v chromium || command -v chromium-browser || true)
chrome() {  # chrome ARGS... FILE: headless, no network (every host unresolvable), bounded in time
  timeout -k 5 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
    --host-resolver-rules="MAP * ~NOTFOUND" --virtual-time-budget=15000 "$@" 2>>"$work/chromium.log"
}

"$mexa" synth --out "$work/set" --clips 42 --subjects 6 --seed 4 --log-level warn >/dev/null || exit 1
common=(--data "$work/set/annotations.csv" --protocol kfold --folds 3 --epochs 3 --frames 4 --size 16x16
        --onset-difference --batch 8 --log-level warn)
"$mexa" train "${common[@]}" --out "$work/run-ce" >/dev/null 2>&1 || { echo "FAIL training"; exit 1; }
"$mexa" train "${common[@]}" --out "$work/run-focal" --loss focal >/dev/null 2>&1 || { echo "FAIL training"; exit 1; }
head -9 "$work/set/annotations.csv" > "$work/set/eight.csv"
"$mexa" score "$work/set/eight.csv" --model "$work/run-ce/folds/kfold-1/last.pt" --out "$work/r.h5" --frame-probs \
  --log-level warn >/dev/null 2>&1 || { echo "FAIL scoring"; exit 1; }

"$mexa" report "$work/run-ce" --out "$work/run.html" >"$work/out" 2>&1; rc=$?
check "report of a run: exit 0, prints the file" '[ $rc -eq 0 ] && grep -qx "$work/run.html" "$work/out"'
"$mexa" report "$work/r.h5" --out "$work/results.html" --clips-per-class 1 >/dev/null 2>&1; rc=$?
check "report of a results file: exit 0" '[ $rc -eq 0 ]'
"$mexa" report "$work/run-ce" "$work/run-focal" --out "$work/compare.html" >/dev/null 2>&1; rc=$?
check "report comparing two runs: exit 0" '[ $rc -eq 0 ]'
"$mexa" report "$work/set" --out "$work/bad.html" >/dev/null 2>"$work/err"; rc=$?
check "a folder that is not a run: exit 3 naming it, nothing written" \
  '[ $rc -eq 3 ] && grep -q "set: not a training run" "$work/err" && [ ! -e "$work/bad.html" ]'
"$mexa" report "$work/r.h5" --out "$work/bad.html" --clips nope >/dev/null 2>"$work/err"; rc=$?
check "an unknown --clips id: exit 3 naming it" '[ $rc -eq 3 ] && grep -q "no clip .nope." "$work/err"'
for f in run results compare; do
  check "$f.html fetches nothing by itself: no <script src>, <link> or <img src=http>" \
    '! grep -qiE "<script[^>]+src=|<link |<img[^>]+src=.http" "$work/$f.html"'
done

# A composite's run (a dataset column) trained with --report-test-selected: per-dataset figures and the
# optimistic second figure, labelled, in summary.json and on the page.
awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0, "dataset"; next } { print $0, ($1 <= "sub03" ? "casme2" : "samm") }' \
  "$work/set/annotations.csv" > "$work/set/composite.csv"
"$mexa" train --data "$work/set/composite.csv" --classes megc3 --protocol loso --epochs 3 --frames 4 --size 16x16 \
  --onset-difference --batch 8 --log-level warn --report-test-selected --out "$work/run-composite" >/dev/null 2>&1 || { echo "FAIL training"; exit 1; }
check "--report-test-selected: every fold's test_by_epoch.csv, summary.json's labelled test_selected with per_dataset" \
  'py "import json, csv
d = json.load(open(\"$work/run-composite/summary.json\"))
t = d[\"test_selected\"]
assert t[\"note\"].startswith(\"optimistic\") and t[\"n\"] == d[\"n\"] and 0 <= t[\"uf1\"] <= 1, t
assert sorted(t[\"per_dataset\"]) == sorted(d[\"per_dataset\"]) == [\"casme2\", \"samm\"]
assert all(1 <= s[\"epoch\"] <= 3 for s in t[\"subjects\"]) and len(t[\"subjects\"]) == 6
for f in d[\"folds\"]:
    rows = list(csv.DictReader(open(\"$work/run-composite/folds/\" + f[\"fold\"] + \"/test_by_epoch.csv\")))
    assert len(rows) == 3 * f[\"n\"], (f, len(rows))"'
check "a run without the flag has no test_selected" \
  'py "import json; assert \"test_selected\" not in json.load(open(\"$work/run-ce/summary.json\"))"'
"$mexa" report "$work/run-composite" --out "$work/composite.html" >/dev/null 2>&1; rc=$?
check "report of the composite run: exit 0" '[ $rc -eq 0 ]'

# Charts each page should draw: run = per-class bars, class distribution, loss, train acc (4; validation UF1
# is one line of text: no validation split); results = status, predictions, face rates + per plotted clip:
# motion and per-frame probabilities (2 each); compare = recall per class (1) + the two runs (4 each).
nclasses=$("$mexa" inspect "$work/r.h5" --json | py 'import json, sys; d = json.load(sys.stdin); print(sum(1 for v in d["predictions"].values() if v > 0))')
declare -A want=([run]=4 [results]=$((3 + 2 * nclasses)) [compare]=9 [composite]=4)

if [ -z "$browser" ] || ! chrome --dump-dom "about:blank" >/dev/null; then
  skip "pages in headless Chromium" "Chromium cannot start here (log: $work/chromium.log)"
else
  for f in run results compare composite; do
    chrome --dump-dom "file://$work/$f.html" > "$work/$f.dom"
    state=$(py 'import re, sys, html
body = re.search(r"<body([^>]*)>", open(sys.argv[1]).read()).group(1)
a = dict((k, html.unescape(v)) for k, v in re.findall(r"data-([a-z-]+)=\"([^\"]*)\"", body))
print(a.get("ready"), a.get("charts-expected"), a.get("charts-rendered"), a.get("errors"), a.get("blocked"), a.get("overlaps"))' "$work/$f.dom")
    check "$f.html in Chromium: ready, ${want[$f]} charts expected and drawn, no errors, nothing blocked ($state)" \
      '[ "$state" = "true ${want[$f]} ${want[$f]} [] [] 0" ]'
    # 1400 px: three grid columns, narrower than a 7-class confusion table (the tables once overlapped there).
    chrome --dump-dom --window-size=1400,2000 "file://$work/$f.html" > "$work/$f.1400.dom"
    check "$f.html at 1400 px: no boxes overlap" 'grep -q "data-overlaps=\"0\"" "$work/$f.1400.dom"'
    chrome --screenshot="$work/$f.png" --window-size=1280,2000 "file://$work/$f.html" >/dev/null
    check "$f.html screenshot is not blank (many colours, chart ink on the page)" \
      'py "from PIL import Image
im = Image.open(\"$work/$f.png\").convert(\"RGB\")
colours = im.getcolors(1 << 20) or []
ink = sum(n for n, c in colours if sum(c) < 600)
assert len(colours) > 50 and ink > 0.01 * im.width * im.height, (len(colours), ink)"'
  done
  check "the composite's page shows per-dataset figures and the labelled test-selected ones" \
    'grep -q "Per dataset" "$work/composite.dom" && grep -q "UF1 test-selected" "$work/composite.dom" && grep -q "Test-selected figures, optimistic" "$work/composite.dom" && grep -q "samm" "$work/composite.dom"'
  check "a run without a validation split says so in one line instead of empty axes" \
    'grep -q "Validation UF1 per fold: not measured (no validation split in this run)." "$work/run.dom"'
  check "Chromium logged no uncaught script error" '! grep -q "Uncaught" "$work/chromium.log"'
fi
finish
