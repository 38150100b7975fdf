#!/usr/bin/env bash
# Faults while writing (issue 13 section 4), end to end:
#  - a full disk (a small tmpfs) under `mexa score`: exit 3 naming the file,
#    every committed batch readable, `--resume` completes once space is freed,
#    with the same clips as a run on a roomy disk;
#  - a full disk under `mexa train`: exit 3 naming the checkpoint, the
#    previous last.pt kept (loadable, no partial file), `--resume` completes;
#  - a results file cut short or with damaged metadata: inspect, export,
#    merge and score --resume fail with exit 3 and a message, no crash.
# Mounting a tmpfs needs root (CAP_SYS_ADMIN): elsewhere those checks are
# reported as skipped.
#   write_faults_cli_test.sh MEXA WORK_DIR
mexa="$1"; work="$2"
source "$(dirname "$0")/check_lib.sh"
py() { /usr/bin/python3 -c "$@"; }
small="$work/small"
mkdir -p "$small"
cleanup() { umount "$small" 2>/dev/null; }
trap cleanup EXIT

"$mexa" synth --out "$work/set" --clips 40 --subjects 4 --seed 2 --log-level warn >/dev/null || exit 1
data="$work/set/annotations.csv"
train=(--protocol split --frames 4 --size 16x16 --onset-difference --batch 8 --log-level warn)
"$mexa" train --data "$data" --out "$work/run" "${train[@]}" --epochs 3 >/dev/null 2>&1 ||
  { echo "FAIL training the model the tests score with"; exit 1; }
model="$work/run/folds/split/last.pt"
"$mexa" score "$data" --model "$model" --out "$work/roomy.h5" --batch 4 --log-level warn >/dev/null 2>&1
"$mexa" export "$work/roomy.h5" --out "$work/roomy" >/dev/null 2>&1

clips_in() { "$mexa" inspect "$1" --json 2>/dev/null | py 'import json, sys; print(json.load(sys.stdin)["clips"])'; }

if ! mount -t tmpfs -o size=48k tmpfs "$small" 2>/dev/null; then
  skip "full disk under score and train" "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)"
else
  # ---- score: 40 clips of about 2.5 KB in batches of 4 into 48 KB.
  "$mexa" score "$data" --model "$model" --out "$small/r.h5" --batch 4 --log-level warn >"$work/out" 2>"$work/err"; rc=$?
  check "score on a full disk: exit 3 (rc=$rc)" '[ $rc -eq 3 ]'
  check "... the message names the file, the cause and --resume" \
    'grep -q "small/r.h5: .*No space left on device.*rerun with --resume" "$work/err"'
  n=$(clips_in "$small/r.h5")
  check "... the file is readable and holds whole batches (${n:-none} clips, a multiple of 4, fewer than 40)" \
    '[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -lt 40 ] && [ $((n % 4)) -eq 0 ]'
  mount -o remount,size=4m "$small"
  "$mexa" score "$data" --model "$model" --out "$small/r.h5" --batch 4 --resume --log-level warn >"$work/out" 2>&1; rc=$?
  check "... --resume once space is freed: exit 0, $((40 - ${n:-0})) clips written" \
    '[ $rc -eq 0 ] && grep -q "$((40 - ${n:-0})) clips written ($((40 - ${n:-0})) ok, 0 failed)" "$work/out"'
  "$mexa" export "$small/r.h5" --out "$work/resumed" >/dev/null 2>&1
  check "... the resumed file has the same 40 clips as a run on a roomy disk" \
    'py "import csv
a = {r[\"id\"]: r for r in csv.DictReader(open(\"$work/roomy/clips.csv\"))}
b = {r[\"id\"]: r for r in csv.DictReader(open(\"$work/resumed/clips.csv\"))}
assert len(a) == 40 and a.keys() == b.keys()
assert all(a[k][\"pred\"] == b[k][\"pred\"] and abs(float(a[k][\"p_happiness\"]) - float(b[k][\"p_happiness\"])) < 1e-5 for k in a)"'
  umount "$small"

  # ---- train: room for the clip cache and one checkpoint beside its .tmp, not two.
  cache=$(stat -c %s "$work/run/clips.h5"); ckpt=$(stat -c %s "$model")
  mount -t tmpfs -o size=$(( (cache + ckpt * 3 / 2 + 131072) / 4096 * 4096 )) tmpfs "$small"
  "$mexa" train --data "$data" --out "$small/run" "${train[@]}" --epochs 3 >"$work/out" 2>"$work/err"; rc=$?
  check "train on a full disk: exit 3 (rc=$rc)" '[ $rc -eq 3 ]'
  check "... the message names the checkpoint and says the previous one is kept" \
    'grep -qE "folds/split/(last|best).pt: cannot write the checkpoint \(the previous one is kept\): writing failed: No space left on device" "$work/err"'
  check "... no partial file is left beside it" '[ -z "$(ls "$small/run/folds/split/" | grep "\.tmp$")" ]'
  "$mexa" eval --model "$small/run/folds/split/last.pt" --data "$data" --json "$work/eval.json" --log-level error >/dev/null 2>&1; rc=$?
  check "... the previous last.pt loads (mexa eval: exit 0)" '[ $rc -eq 0 ]'
  mount -o remount,size=16m "$small"
  "$mexa" train --data "$data" --out "$small/run" "${train[@]}" --epochs 3 --resume >"$work/out" 2>"$work/err"; rc=$?
  check "... --resume once space is freed: exit 0, 3 epochs in metrics.csv" \
    '[ $rc -eq 0 ] && [ "$(tail -n +2 "$small/run/folds/split/metrics.csv" | wc -l)" -eq 3 ]'
  umount "$small"
fi

# ---- damaged results files: a clear error (exit 3) from every reader, no crash.
size=$(stat -c %s "$work/roomy.h5")
head -c $((size / 5)) "$work/roomy.h5" > "$work/cut.h5"
cp "$work/roomy.h5" "$work/flipped.h5"
py 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read())
for i in range(0, 64): b[i] ^= 0xFF  # the superblock
open(p, "wb").write(b)' "$work/flipped.h5"
for damaged in cut flipped; do
  f="$work/$damaged.h5"
  "$mexa" inspect "$f" >/dev/null 2>"$work/e1"; r1=$?
  "$mexa" export "$f" --out "$work/x-$damaged" >/dev/null 2>"$work/e2"; r2=$?
  "$mexa" merge "$f" "$work/roomy.h5" --out "$work/m-$damaged.h5" >/dev/null 2>"$work/e3"; r3=$?
  cp "$f" "$work/resume-$damaged.h5"
  "$mexa" score "$data" --model "$model" --out "$work/resume-$damaged.h5" --resume >/dev/null 2>"$work/e4"; r4=$?
  check "$damaged results file: inspect, export, merge, score --resume exit 3 ($r1 $r2 $r3 $r4), each naming the file" \
    '[ "$r1$r2$r3$r4" = 3333 ] && grep -q "$damaged.h5" "$work/e1" && grep -q "$damaged.h5" "$work/e2" && grep -q "$damaged.h5" "$work/e3" && grep -q "$damaged.h5" "$work/e4"'
done
finish
