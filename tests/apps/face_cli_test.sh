#!/usr/bin/env bash
# A clip without a face is treated alike by `mexa train` and `mexa score`:
# the whole frame is the face, the clip is marked (no_face.csv, face_found 0),
# and --require-face fails it in both.
#   face_cli_test.sh MEXA WORK_DIR
mexa="$1"; work="$2"
source "$(dirname "$0")/check_lib.sh"
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

"$mexa" synth --out "$work/set" --clips 8 --subjects 2 --seed 3 --log-level warn >/dev/null || exit 1
# A grey, noisy clip: no detector finds a face in it.
ffmpeg -v error -f lavfi -i "color=c=0x808080:s=128x128:r=200,noise=alls=20:allf=t" -frames:v 60 -pix_fmt yuv420p \
  -y "$work/set/clips/sub02/blank.mp4" || exit 1
echo "sub02,sub02_blank,clips/sub02/blank.mp4,5,20,40,surprise,,200,60,surprise,1" >>"$work/set/annotations.csv"
data="$work/set/annotations.csv"
common=(--face hog --epochs 1 --frames 4 --size 16x16 --protocol kfold --folds 2 --batch 8)

"$mexa" train --data "$data" --out "$work/run" "${common[@]}" --log-level info >"$work/out" 2>&1; rc=$?
check "train --face hog with a faceless clip: exit 0, the clip trained on its whole frame" \
  '[ $rc -eq 0 ] && [ "$(tail -n +2 "$work/run/predictions.csv" | wc -l)" -eq 9 ]'
check "... no_face.csv lists it and only it" \
  '[ "$(tail -n +2 "$work/run/no_face.csv" | cut -d, -f1)" = "sub02/sub02_blank" ]'
check "... a warning names it and each fold logs its count" \
  'grep -q "1 of 9 clips: no face found" "$work/out" && [ "$(grep -c "no face found in [01] of [0-9]* training and [01] of [0-9]* test clips" "$work/out")" -eq 2 ]'

"$mexa" train --data "$data" --out "$work/cached" "${common[@]}" --cache "$work/run/clips.h5" --log-level warn >/dev/null 2>&1; rc=$?
check "... a run reading those clips from the first run's cache knows the faceless clip too" \
  '[ $rc -eq 0 ] && [ "$(tail -n +2 "$work/cached/no_face.csv" | cut -d, -f1)" = "sub02/sub02_blank" ]'

"$mexa" train --data "$data" --out "$work/strict" "${common[@]}" --require-face --log-level warn >"$work/out2" 2>&1; rc=$?
check "train --require-face: exit 1, the clip in failed.csv (no face, its alignment frame named), the rest trained" \
  '[ $rc -eq 1 ] && grep -q "blank.mp4: no face found on frame 5" "$work/strict/failed.csv" && [ "$(tail -n +2 "$work/strict/predictions.csv" | wc -l)" -eq 8 ]'

model="$work/run/folds/kfold-1/last.pt"
blank="$work/set/clips/sub02/blank.mp4"; face="$work/set/clips/sub01/sub01_0001.mp4"
"$mexa" score "$blank" "$face" --model "$model" --out "$work/s.h5" --log-level warn >/dev/null 2>&1; rc=$?
"$mexa" export "$work/s.h5" --out "$work/ex" >/dev/null 2>&1
check "score: the faceless clip is scored on its whole frame (exit 0), face_found 0 in clips.csv, 1 for the face" \
  '[ $rc -eq 0 ] && [ "$(/usr/bin/python3 -c "import csv,sys; print(sorted((r[\"status\"], r[\"face_found\"], r[\"source\"].endswith(\"blank.mp4\")) for r in csv.DictReader(open(sys.argv[1]))))" "$work/ex/clips.csv")" = "[('"'"'ok'"'"', '"'"'0'"'"', True), ('"'"'ok'"'"', '"'"'1'"'"', False)]" ]'
"$mexa" inspect "$work/s.h5" >"$work/inspect.out" 2>&1
check "... inspect says one clip had no face" 'grep -q "no face found in 1 scored clips" "$work/inspect.out"'
check "... its frames have success 0" \
  '[ "$(/usr/bin/python3 -c "import h5py,sys; f=h5py.File(sys.argv[1],\"r\",swmr=True); c=f[\"clips\"]; i=[k for k in range(2) if c[\"source\"][k].endswith(b\"blank.mp4\")][0]; s,n=int(c[\"frame_start\"][i]),int(c[\"frame_count\"][i]); print(n, int(f[\"frames/success\"][s:s+n].sum()))" "$work/s.h5")" = "60 0" ]'

"$mexa" score "$blank" "$face" --model "$model" --out "$work/s2.h5" --require-face --log-level error >/dev/null 2>&1; rc=$?
"$mexa" inspect "$work/s2.h5" --json >"$work/s2.json" 2>/dev/null
check "score --require-face: exit 1, the faceless clip fails as no_face, the other is scored" \
  '[ $rc -eq 1 ] && [ "$(json "$work/s2.json" "d[\"failures\"]")" = "{'"'"'no_face'"'"': 1}" ] && [ "$(json "$work/s2.json" "sum(d[\"predictions\"].values())")" = 1 ]'

finish
