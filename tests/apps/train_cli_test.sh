#!/usr/bin/env bash
# End-to-end checks of `mexa train` and `mexa eval` through the real binary:
# protocol outputs, exact --resume, INI configs, bad clips, eval JSON.
#   train_cli_test.sh MEXA WORK_DIR
mexa="$1"; work="$2"
source "$(dirname "$0")/check_lib.sh"
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

"$mexa" synth --out "$work/set" --clips 24 --subjects 4 --seed 3 --log-level warn >/dev/null || exit 1
data="$work/set/annotations.csv"
cat > "$work/tiny.ini" <<'INI'
# tiny and fast: 4 frames of 16x16
frames = 4
size = 16x16
onset-difference = true
protocol = kfold
folds = 2
epochs = 1
batch = 8
lr = 0.05
INI
common=(--config "$work/tiny.ini" --log-level warn)

"$mexa" train "${common[@]}" --data "$data" --out "$work/run" --epochs 3 >"$work/out" 2>&1; rc=$?
check "train exits 0" '[ $rc -eq 0 ]'
check "flags win over the config file (3 epochs, not 1)" '[ "$(wc -l < "$work/run/folds/kfold-1/metrics.csv")" -eq 4 ]'
check "every fold has last.pt, metrics.csv/json and test predictions" \
  'for f in kfold-1 kfold-2; do for x in last.pt metrics.csv metrics.json test_predictions.csv; do [ -s "$work/run/folds/$f/$x" ] || exit 1; done; done'
check "pooled predictions hold each of the 24 clips once" \
  '[ "$(tail -n +2 "$work/run/predictions.csv" | cut -d, -f1 | sort -u | wc -l)" -eq 24 ] && [ "$(wc -l < "$work/run/predictions.csv")" -eq 25 ]'
check "summary.json has acc, uf1, uar, per_class, confusion and two folds" \
  '[ "$(json "$work/run/summary.json" "sorted(k for k in (\"acc\",\"uf1\",\"uar\",\"per_class\",\"confusion\") if k in d) == [\"acc\",\"confusion\",\"per_class\",\"uar\",\"uf1\"] and len(d[\"folds\"]) == 2 and len(d[\"confusion\"]) == 7")" = True ]'
check "no test subject trains in its fold" \
  '[ "$(json "$work/run/summary.json" "sum(f[\"n\"] for f in d[\"folds\"])")" -eq 24 ]'
check "config.ini records the effective options" 'grep -q "^epochs = 3$" "$work/run/config.ini" && grep -q "^frames = 4$" "$work/run/config.ini"'
check "the printed report names UF1 and UAR" 'grep -q "UF1" "$work/out" && grep -q "UAR" "$work/out"'

"$mexa" train "${common[@]}" --data "$data" --out "$work/run" --epochs 3 >/dev/null 2>"$work/err"; rc=$?
check "training into an existing run without --resume is refused (2)" '[ $rc -eq 2 ] && grep -q "already holds a run" "$work/err"'

# Exact resume: 1 epoch, stop, resume to 3 == 3 epochs straight (weights -> same predictions).
"$mexa" train "${common[@]}" --data "$data" --out "$work/resumed" --epochs 3 --stop-after-epoch 1 >"$work/out" 2>&1; rc=$?
check "--stop-after-epoch stops and says how to continue" '[ $rc -eq 0 ] && grep -q -- "--resume" "$work/out" && [ ! -e "$work/resumed/summary.json" ]'
"$mexa" train --out "$work/resumed" --data "$data" --resume --log-level warn >/dev/null 2>&1; rc=$?
check "--resume finishes the run" '[ $rc -eq 0 ] && [ -s "$work/resumed/summary.json" ]'
check "resumed predictions equal the uninterrupted run's" 'cmp -s "$work/run/predictions.csv" "$work/resumed/predictions.csv"'
check "resumed losses and metrics equal the uninterrupted run's" \
  'diff <(cut -d, -f1-7 "$work/run/folds/kfold-2/metrics.csv") <(cut -d, -f1-7 "$work/resumed/folds/kfold-2/metrics.csv") >/dev/null'
"$mexa" train --out "$work/resumed" --data "$data" --resume --log-level warn >/dev/null 2>&1; rc=$?
check "--resume of a finished run reprints its summary" '[ $rc -eq 0 ]'
"$mexa" train --out "$work/resumed" --data "$data" --resume --frames 8 --log-level warn >/dev/null 2>"$work/err"; rc=$?
check "--resume with another input spec is refused (2) and names the option" '[ $rc -eq 2 ] && grep -q "frames" "$work/err"'

# A bad clip: recorded and left out, the others train; exit 1.
cp -r "$work/set" "$work/badset"
echo "not a video" > "$work/badset/$(sed -n 2p "$data" | cut -d, -f3)"
bad_path=$(sed -n 2p "$data" | cut -d, -f3)
"$mexa" train "${common[@]}" --data "$work/badset/annotations.csv" --out "$work/badrun" >/dev/null 2>"$work/err"; rc=$?
check "a broken clip makes train exit 1" '[ $rc -eq 1 ]'
check "the error names the broken file" 'grep -q "$bad_path" "$work/err"'
check "failed.csv lists it; the other 23 clips are scored" \
  '[ "$(tail -n +2 "$work/badrun/failed.csv" | wc -l)" -eq 1 ] && grep -q "$bad_path" "$work/badrun/failed.csv" && [ "$(wc -l < "$work/badrun/predictions.csv")" -eq 24 ]'

# eval
ckpt="$work/run/folds/kfold-1/last.pt"
"$mexa" eval --model "$ckpt" --data "$data" --json "$work/eval.json" --predictions "$work/eval.csv" --log-level warn >"$work/out" 2>&1; rc=$?
check "eval exits 0" '[ $rc -eq 0 ]'
check "eval JSON has acc, uf1, uar, per_class, confusion over 24 clips" \
  '[ "$(json "$work/eval.json" "all(k in d for k in (\"acc\",\"uf1\",\"uar\",\"per_class\",\"confusion\")) and d[\"n\"] == 24 and sum(map(sum, d[\"confusion\"])) == 24")" = True ]'
check "eval per-class recall agrees with its confusion matrix" \
  '[ "$(json "$work/eval.json" "all(abs(d[\"per_class\"][c][\"recall\"] - (d[\"confusion\"][i][i] / max(1, sum(d[\"confusion\"][i])))) < 1e-9 for i, c in enumerate(d[\"classes\"]))")" = True ]'
check "eval --predictions writes one row per clip" '[ "$(wc -l < "$work/eval.csv")" -eq 25 ]'
"$mexa" eval --model "$ckpt" --data "$work/badset/annotations.csv" --json - --log-level error >"$work/eval-bad.json" 2>"$work/err"; rc=$?
check "eval with a broken clip exits 1, names it, scores the rest" \
  '[ $rc -eq 1 ] && grep -q "$bad_path" "$work/err" && [ "$(json "$work/eval-bad.json" "d[\"n\"]")" -eq 23 ] && [ "$(json "$work/eval-bad.json" "len(d[\"failed\"])")" -eq 1 ]'
"$mexa" eval --model "$ckpt" --data "$data" --logit-adjust 1 --predictions "$work/eval-la.csv" --log-level warn >/dev/null 2>&1; rc=$?
check "eval --logit-adjust 1 (post-hoc, from the checkpoint's class counts) changes the probabilities" \
  '[ $rc -eq 0 ] && [ "$(wc -l < "$work/eval-la.csv")" -eq 25 ] && ! cmp -s "$work/eval.csv" "$work/eval-la.csv"'
"$mexa" score "$data" --model "$ckpt" --logit-adjust 1 --out "$work/la.h5" --log-level warn >"$work/out" 2>&1; rc=$?
check "score --logit-adjust 1" '[ $rc -eq 0 ] && grep -q "24 clips written (24 ok" "$work/out"'
echo "junk" > "$work/junk.pt"
"$mexa" eval --model "$work/junk.pt" --data "$data" >/dev/null 2>"$work/err"; rc=$?
check "eval of a file that is not a checkpoint is fatal (3) and names it" '[ $rc -eq 3 ] && grep -q "junk.pt" "$work/err"'
"$mexa" eval --data "$data" >/dev/null 2>&1; rc=$?
check "eval without --model is a usage error (2)" '[ $rc -eq 2 ]'
"$mexa" train --data "$data" --out "$work/x" --loss nonsense >/dev/null 2>&1; rc=$?
check "an unknown loss is a usage error (2)" '[ $rc -eq 2 ]'

# Every option is checked before any clip is decoded: exit 2 naming it, no run folder made.
refused=0
for bad in "--head bogus:--head" "--optimizer adam:--optimizer" "--amp --device cpu:--amp" \
           "--sampling triplet --frames 4:--frames must be 3" "--model resnet:--model" \
           "--size 4x4:clip spec too small" "--model ststnet:--input flow"; do
  flags=${bad%%:*}; says=${bad#*:}
  "$mexa" train "${common[@]}" --data "$data" --out "$work/refused" $flags >/dev/null 2>"$work/err"; rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$says" "$work/err" && [ ! -e "$work/refused" ]; then refused=$((refused + 1)); else
    echo "     not refused up front: $flags (exit $rc): $(head -c 300 "$work/err")"; fi
done
check "--head, --optimizer, --amp on CPU, triplet with 4 frames, an unknown model, a clip smaller than 8x8, ststnet on frames: exit 2 before decoding" \
  '[ $refused -eq 7 ]'

# --resume refuses other data: the manifest's content is compared, not its name.
head -n 20 "$data" > "$work/set/fewer.csv"
cp "$work/set/fewer.csv" "$work/set/annotations-copy.csv"
"$mexa" train --out "$work/resumed" --data "$work/set/fewer.csv" --resume --log-level warn >/dev/null 2>"$work/err"; rc=$?
check "--resume with a changed manifest is refused (2)" '[ $rc -eq 2 ] && grep -q "not the manifest this run was trained on" "$work/err"'
cp "$data" "$work/set/moved.csv"
"$mexa" train --out "$work/resumed" --data "$work/set/moved.csv" --resume --log-level warn >/dev/null 2>&1; rc=$?
check "--resume with the same manifest at another path is accepted" '[ $rc -eq 0 ]'

# Key frames chosen by the motion curve: train, eval and score all compute it.
"$mexa" train "${common[@]}" --data "$data" --out "$work/motion" --sampling motion >/dev/null 2>"$work/err"; rc=$?
check "train --sampling motion" '[ $rc -eq 0 ] && [ -s "$work/motion/summary.json" ]'
"$mexa" eval --model "$work/motion/folds/kfold-1/last.pt" --data "$data" --json "$work/motion.json" --log-level warn >/dev/null 2>&1; rc=$?
check "eval of a motion-sampled model scores all 24 clips" '[ $rc -eq 0 ] && [ "$(json "$work/motion.json" "d[\"n\"]")" -eq 24 ]'
"$mexa" score "$data" --model "$work/motion/folds/kfold-1/last.pt" --out "$work/motion.h5" --log-level warn >"$work/out" 2>&1; rc=$?
check "score of a motion-sampled model: 24 clips ok" '[ $rc -eq 0 ] && grep -q "24 clips written (24 ok" "$work/out"'
# STSTNet on onset -> apex optical flow (u, v, strain at 28x28): train, eval and score all compute it.
"$mexa" train --data "$data" --out "$work/flow" --model ststnet --input flow --flow farneback --protocol kfold --folds 2 \
  --epochs 1 --batch 8 --log-level warn >/dev/null 2>"$work/err"; rc=$?
check "train --model ststnet --input flow" '[ $rc -eq 0 ] && [ -s "$work/flow/summary.json" ] && grep -q "^input = flow$" "$work/flow/config.ini"'
"$mexa" eval --model "$work/flow/folds/kfold-1/last.pt" --data "$data" --predictions "$work/flow-eval.csv" --log-level warn >/dev/null 2>&1; rc=$?
"$mexa" score "$data" --model "$work/flow/folds/kfold-1/last.pt" --out "$work/flow.h5" --log-level warn >"$work/out" 2>&1; rc2=$?
"$mexa" export "$work/flow.h5" --out "$work/flow-export" >/dev/null 2>&1
check "eval and score of the flow model agree on every clip (the checkpoint's input kind drives both)" \
  '[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && /usr/bin/python3 -c "
import csv, sys
ev = {r[\"id\"]: r for r in csv.DictReader(open(sys.argv[1]))}
sc = {r[\"id\"]: r for r in csv.DictReader(open(sys.argv[2]))}
assert len(ev) == 24 and ev.keys() == sc.keys()
for k in ev:
    for c in (x for x in ev[k] if x.startswith(\"p_\")):
        assert abs(float(ev[k][c]) - float(sc[k][c])) < 1e-5, (k, c)
" "$work/flow-eval.csv" "$work/flow-export/clips.csv"'
"$mexa" train "${common[@]}" --data "$data" --out "$work/triplet" --sampling triplet --frames 3 --model r3d_18 >/dev/null 2>&1; rc=$?
check "train --sampling triplet --frames 3" '[ $rc -eq 0 ] && [ -s "$work/triplet/summary.json" ]'

# The defaults (docs/defaults.md): no input or model option gives STSTNet on TV-L1 flow, and
# config.ini records what they resolved to; another input kind brings its own model and size.
"$mexa" train --data "$data" --out "$work/defaults" --protocol kfold --folds 2 --epochs 2 --log-level warn >/dev/null 2>"$work/err"; rc=$?
check "train with the default input and model: ststnet on 28x28 flow, recorded in config.ini" \
  '[ $rc -eq 0 ] && [ -s "$work/defaults/summary.json" ] && grep -q "^model = ststnet$" "$work/defaults/config.ini" &&
   grep -q "^input = flow$" "$work/defaults/config.ini" && grep -q "^size = 28x28$" "$work/defaults/config.ini" &&
   grep -q "^frames = 1$" "$work/defaults/config.ini" && grep -q "^optimizer = adamw$" "$work/defaults/config.ini"'
"$mexa" train --data "$data" --out "$work/frames-default" --input frames --protocol kfold --folds 2 --epochs 1 --batch 8 \
  --log-level warn >/dev/null 2>"$work/err"; rc=$?
check "train --input frames alone: small3d on 16 grey 64x64 frames" \
  '[ $rc -eq 0 ] && grep -q "^model = small3d$" "$work/frames-default/config.ini" && grep -q "^size = 64x64$" "$work/frames-default/config.ini" &&
   grep -q "^frames = 16$" "$work/frames-default/config.ini"'
"$mexa" train --data "$data" --out "$work/resumed-defaults" --protocol kfold --folds 2 --epochs 2 --stop-after-epoch 1 \
  --log-level warn >/dev/null 2>&1 && "$mexa" train --out "$work/resumed-defaults" --data "$data" --resume --log-level warn >/dev/null 2>&1; rc=$?
check "a default run resumes (the recorded resolved options match)" '[ $rc -eq 0 ] && cmp -s "$work/defaults/predictions.csv" "$work/resumed-defaults/predictions.csv"'
"$mexa" train --data "$data" --out "$work/both-augment" --augment --no-augment >/dev/null 2>"$work/err"; rc=$?
check "--augment with --no-augment is a usage error (2)" '[ $rc -eq 2 ] && grep -q -- "--augment and --no-augment" "$work/err"'
# A run started before --augment existed (augmentation on by default then; its config.ini has no
# augment key) resumes as it started, with augmentation.
"$mexa" train "${common[@]}" --data "$data" --out "$work/old-style" --augment --epochs 2 --stop-after-epoch 1 >/dev/null 2>&1
sed -i '/^augment = /d' "$work/old-style/config.ini"
"$mexa" train --out "$work/old-style" --data "$data" --resume --log-level warn >/dev/null 2>"$work/err"; rc=$?
check "a run from before --augment resumes with augmentation (its checkpoints say so)" '[ $rc -eq 0 ] && [ -s "$work/old-style/summary.json" ]'

finish
