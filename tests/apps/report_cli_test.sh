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

# Charts each page should draw: run = per-class bars, class distribution, loss, train acc, val UF1 (5);
# results = status, predictions, face rates + per plotted clip: motion and per-frame probabilities (2 each);
# compare = recall per class and mean val UF1 (2) + the two runs (5 each).
nclasses=$("$mexa" inspect "$work/r.h5" --json | py 'import json, sys; d = json.load(sys.stdin); print(sum(1 for v in d["predictions"].values() if v > 0))')
declare -A want=([run]=5 [results]=$((3 + 2 * nclasses)) [compare]=12)

if [ -z "$browser" ] || ! chrome --dump-dom "about:blank" >/dev/null; then
  skip "pages in headless Chromium" "Chromium cannot start here (log: $work/chromium.log)"
else
  for f in run results compare; do
    chrome --dump-dom "file://$work/$f.html" > "$work/$f.dom"
    state=$(py 'import re, sys, html
body = re.search(r"<body([^>]*)>", open(sys.argv[1]).read()).group(1)
a = dict((k, html.unescape(v)) for k, v in re.findall(r"data-([a-z-]+)=\"([^\"]*)\"", body))
print(a.get("ready"), a.get("charts-expected"), a.get("charts-rendered"), a.get("errors"), a.get("blocked"))' "$work/$f.dom")
    check "$f.html in Chromium: ready, ${want[$f]} charts expected and drawn, no errors, nothing blocked ($state)" \
      '[ "$state" = "true ${want[$f]} ${want[$f]} [] []" ]'
    chrome --screenshot="$work/$f.png" --window-size=1280,2000 "file://$work/$f.html" >/dev/null
    check "$f.html screenshot is not blank (many colours, chart ink on the page)" \
      'py "from PIL import Image
im = Image.open(\"$work/$f.png\").convert(\"RGB\")
colours = im.getcolors(1 << 20) or []
ink = sum(n for n, c in colours if sum(c) < 600)
assert len(colours) > 50 and ink > 0.01 * im.width * im.height, (len(colours), ink)"'
  done
  check "Chromium logged no uncaught script error" '! grep -q "Uncaught" "$work/chromium.log"'
fi
finish
