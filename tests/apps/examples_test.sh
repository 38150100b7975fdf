#!/usr/bin/env bash
# examples/: the two C++ programs that document the library, run on the
# built-in sample (data/sample): one trains through training::run_training,
# the other scores the sample's folder of videos through pipeline::score.
#   examples_test.sh TRAIN_MANIFEST SCORE_FOLDER MEXA SOURCE_DIR WORK_DIR
train="$1"; score="$2"; mexa="$3"; source_dir="$4"; work="$5"
source "$(dirname "$0")/check_lib.sh"

cp -r "$source_dir/data/sample" "$work/sample"
"$train" "$work/sample/annotations.csv" "$work/run" 2 >"$work/train.out" 2>&1; rc=$?
check "train_manifest: exit 0, one LOSO fold per subject (3), the pooled report printed" \
  '[ $rc -eq 0 ] && grep -q "^3 folds, 0 clips unreadable" "$work/train.out" && grep -q "loso over 3 folds" "$work/train.out"'
check "... its run folder as mexa train writes one: summary.json with 7 clips, a checkpoint per fold" \
  '/usr/bin/python3 -c "import json, sys; assert json.load(open(sys.argv[1]))[\"n\"] == 7" "$work/run/summary.json" && [ "$(ls "$work"/run/folds/*/last.pt | wc -l)" -eq 3 ]'
ckpt=$(ls "$work"/run/folds/*/last.pt | head -1)
"$score" "$work/sample/clips" "$ckpt" "$work/results.h5" >"$work/score.out" 2>&1; rc=$?
check "score_folder: exit 0, the folder's 7 videos scored" '[ $rc -eq 0 ] && grep -q "^7 clips written to .*: 7 ok, 0 failed" "$work/score.out"'
"$mexa" inspect "$work/results.h5" --json > "$work/inspect.json" 2>/dev/null; rc=$?
check "... a results file mexa inspect reads (7 clip rows)" \
  '[ $rc -eq 0 ] && /usr/bin/python3 -c "import json, sys; d = json.load(open(sys.argv[1])); assert d[\"clips\"] == 7, d[\"clips\"]" "$work/inspect.json"'
finish
