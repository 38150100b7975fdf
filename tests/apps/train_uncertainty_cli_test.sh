#!/usr/bin/env bash
# End-to-end checks of `mexa train`'s label-uncertainty and AU options through
# the real binary, one short run each: --eac, --rul, --scn, --au-head,
# --phased, --candidate-labels, --eval-label; what they refuse; what the run
# folder and the checkpoints record.
#   train_uncertainty_cli_test.sh MEXA WORK_DIR
mexa="$1"; work="$2"
source "$(dirname "$0")/check_lib.sh"
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

"$mexa" synth --out "$work/set" --clips 24 --subjects 4 --seed 3 --label-noise 0.3 --log-level warn >/dev/null || exit 1
data="$work/set/annotations.csv"
cat > "$work/tiny.ini" <<'INI'
# tiny and fast: 4 onset differences of 16x16, small3d
input = onset-difference
frames = 4
size = 16x16
protocol = kfold
folds = 2
epochs = 2
batch = 8
lr = 0.05
INI
common=(--config "$work/tiny.ini" --log-level warn --cache "$work/clips.h5")

for method in "--eac" "--rul" "--scn --scn-relabel-epoch 1" "--au-head" "--loss coupling --phased 1,2" "--eac --scn --scn-relabel-epoch 2 --au-head"; do
  name=$(echo "$method" | tr -d ' -' | tr ',' '_')
  "$mexa" train "${common[@]}" --data "$data" --out "$work/$name" $method >"$work/$name.out" 2>&1; rc=$?
  check "train $method exits 0 with a summary" '[ $rc -eq 0 ] && [ -s "$work/$name/summary.json" ]'
  ckpt="$work/$name/folds/kfold-1/last.pt"
  "$mexa" score "$data" --model "$ckpt" --out "$work/$name.h5" --log-level warn >/dev/null 2>&1; rc=$?
  check "its checkpoint scores the set ($method)" '[ $rc -eq 0 ]'
done
check "config.ini records the methods" 'grep -q "^eac = true$" "$work/eac/config.ini" && grep -q "^rul = true$" "$work/rul/config.ini"'

# SCN: relabelled.csv lists training clips only (never the fold's test clips).
check "--scn writes relabelled.csv in each fold" \
  'for f in kfold-1 kfold-2; do head -1 "$work/scnscnrelabelepoch1/folds/$f/relabelled.csv" | grep -q "^id,label,relabelled_to,epoch$" || exit 1; done'
check "no relabelled clip is in its fold's test set" \
  'for f in kfold-1 kfold-2; do d="$work/scnscnrelabelepoch1/folds/$f"; for id in $(tail -n +2 "$d/relabelled.csv" | cut -d, -f1); do grep -q "^$id," "$d/test_predictions.csv" && exit 1; done; done; true'

# The audit: the set knows its true labels (true_emotion), so --scn writes audit.json.
audit="$work/scnscnrelabelepoch1/audit.json"
noisy=$(/usr/bin/python3 -c "import csv; print(sum(r['emotion'] != r['true_emotion'] for r in csv.DictReader(open('$data'))))")
check "--scn writes audit.json against true_emotion" '[ "$(json "$audit" "d[\"truth\"]")" = true_emotion ]'
check "the audit counts every training clip once and the set's noisy labels (2 folds)" \
  '[ "$(json "$audit" "(d[\"pooled\"][\"training_clips\"], d[\"pooled\"][\"noisy\"])")" = "(24, $noisy)" ]'
check "the audit's figures hold together" \
  '[ "$(json "$audit" "(lambda p: 0 <= p[\"restored\"] <= min(p[\"relabelled\"], p[\"noisy\"]) and p[\"broken\"] <= p[\"relabelled\"] and sum(c[\"n\"] for c in p[\"changes\"]) == p[\"relabelled\"] and set(d[\"folds\"]) == {\"kfold-1\", \"kfold-2\"})(d[\"pooled\"])")" = True ]'

check "--rul writes audit.json with the AUC of its uncertainty" \
  '[ "$(json "$work/rul/audit.json" "0 <= d[\"pooled\"][\"rul_uncertainty_auc\"] <= 1 and d[\"pooled\"][\"relabelled\"] == 0")" = True ]'
"$mexa" report "$work/scnscnrelabelepoch1" --out "$work/scn-report.html" --log-level warn >/dev/null 2>&1; rc=$?
check "mexa report embeds the audit" '[ $rc -eq 0 ] && grep -q "\"audit\":{\"folds\"" "$work/scn-report.html"'

# The AU head: pooled test AUs for every clip, macro F1 in the summary and per fold.
run="$work/auhead"
check "--au-head writes aus.csv with every clip's annotated and predicted AUs" \
  '[ "$(head -1 "$run/aus.csv")" = "id,aus,predicted_aus" ] && [ "$(tail -n +2 "$run/aus.csv" | wc -l)" -eq 24 ]'
check "aus.csv's annotated AUs are the manifest's" \
  '[ "$(tail -n +2 "$run/aus.csv" | cut -d, -f1,2 | sort)" = "$(/usr/bin/python3 -c "
import csv,re
for r in csv.DictReader(open(\"$data\")):
    aus = sorted({int(x) for x in re.findall(r\"(\d+)\", r[\"aus\"])})
    print(r[\"subject\"] + \"/\" + r[\"clip\"] + \",\" + \"+\".join(\"AU%d\" % a for a in aus))" | sort)" ]'
check "summary.json holds the AU macro F1, pooled and per fold" \
  '[ "$(json "$run/summary.json" "0 <= d[\"aus\"][\"macro_f1\"] <= 1 and all(0 <= f[\"au_macro_f1\"] <= 1 for f in d[\"folds\"])")" = True ]'
check "the report prints the AU macro F1" 'grep -q "AU macro F1" "$work/auhead.out"'

# --eval-label: test folds scored against synth's clean labels.
"$mexa" train "${common[@]}" --data "$data" --out "$work/clean" --eval-label true_emotion --epochs 1 >"$work/out" 2>&1; rc=$?
check "--eval-label true_emotion runs" '[ $rc -eq 0 ] && [ "$(json "$work/clean/summary.json" "d[\"eval_label\"]")" = true_emotion ]'
check "its predictions' labels are the true_emotion column" \
  '[ "$(/usr/bin/python3 -c "
import csv
truth = {r[\"subject\"] + \"/\" + r[\"clip\"]: r[\"true_emotion\"] for r in csv.DictReader(open(\"$data\"))}
noisy = sum(r[\"emotion\"] != r[\"true_emotion\"] for r in csv.DictReader(open(\"$data\")))
rows = list(csv.DictReader(open(\"$work/clean/predictions.csv\")))
print(noisy > 0 and len(rows) == 24 and all(truth[r[\"id\"]] == r[\"label\"] for r in rows))")" = True ]'
"$mexa" train "${common[@]}" --data "$data" --out "$work/nocol" --eval-label truth >/dev/null 2>"$work/err"; rc=$?
check "--eval-label with a missing column fails naming the file" '[ $rc -ne 0 ] && grep -q "annotations.csv" "$work/err" && grep -q "truth" "$work/err"'

# Candidate labels: "a|b" in the emotion column.
/usr/bin/python3 - "$data" "$work/set/candidates.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=rows[0].keys())
    w.writeheader()
    for i, r in enumerate(rows):
        if i % 3 == 0:
            r["emotion"] = r["emotion"] + "|" + ("contempt" if r["emotion"] != "contempt" else "fear")
        w.writerow(r)
PY
"$mexa" train "${common[@]}" --data "$work/set/candidates.csv" --out "$work/cand" --candidate-labels >/dev/null 2>&1; rc=$?
check "--candidate-labels trains on a|b emotions" '[ $rc -eq 0 ] && [ -s "$work/cand/summary.json" ]'
check "candidate rows are evaluated against their first label" \
  '[ "$(/usr/bin/python3 -c "
import csv
first = {r[\"subject\"] + \"/\" + r[\"clip\"]: r[\"emotion\"].split(\"|\")[0] for r in csv.DictReader(open(\"$work/set/candidates.csv\"))}
print(all(first[r[\"id\"]] == r[\"label\"] for r in csv.DictReader(open(\"$work/cand/predictions.csv\"))))")" = True ]'

# Refusals: before any clip is decoded, exit 2, naming the option.
refused() {  # refused NAME FLAGS...
  local what="$1"; shift
  "$mexa" train "${common[@]}" --data "$data" --out "$work/refused" "$@" >/dev/null 2>"$work/err"; local rc=$?
  check "refused: $what" '[ $rc -eq 2 ] && [ ! -e "$work/refused/folds" ]'
}
refused "--eac with --rul" --eac --rul
refused "--scn with --rul" --scn --rul
refused "--phased without the coupling loss" --phased 1,2
refused "--phased with phases out of order" --loss coupling --phased 2,1
refused "--candidate-labels with another loss" --candidate-labels --loss focal
refused "an unknown --phase-curve" --loss coupling --phased 1,2 --phase-curve square
refused "a method's setting without the method (--eac-lambda)" --eac-lambda 2
refused "--scn relabelling after the last epoch" --scn --scn-relabel-epoch 3
sed 's/,AU9+AU10,/,AU9+happy,/' "$data" > "$work/set/badaus.csv"
"$mexa" train "${common[@]}" --data "$work/set/badaus.csv" --out "$work/badaus" --au-head >/dev/null 2>"$work/err"; rc=$?
check "an unknown AU spelling fails naming the file, line and token" \
  '[ $rc -ne 0 ] && grep -q "badaus.csv" "$work/err" && grep -q "line [0-9]" "$work/err" && grep -q "happy" "$work/err"'

# Checkpoints record the methods: resume with another EAC weight is refused.
"$mexa" train "${common[@]}" --data "$data" --out "$work/resume" --eac --stop-after-epoch 1 >/dev/null 2>&1
"$mexa" train --out "$work/resume" --data "$data" --resume --eac-lambda 2 --log-level warn >/dev/null 2>"$work/err"; rc=$?
check "--resume with another --eac-lambda is refused naming it" '[ $rc -eq 2 ] && grep -q "eac-lambda" "$work/err"'
"$mexa" train --out "$work/resume" --data "$data" --resume --log-level warn >/dev/null 2>&1; rc=$?
check "--resume of an EAC run finishes it" '[ $rc -eq 0 ] && [ -s "$work/resume/summary.json" ]'
finish
