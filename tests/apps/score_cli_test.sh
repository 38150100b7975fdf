#!/usr/bin/env bash
# End-to-end checks of `mexa score`, `inspect`, `export` and `merge`: every
# input kind, bad inputs in a batch, --resume after SIGKILLs at failpoints, SIGINT,
# sharding + merge, and export's safe file names.
#   score_cli_test.sh MEXA WORK_DIR
mexa="$1"; work="$2"
source "$(dirname "$0")/check_lib.sh"
py() { /usr/bin/python3 -c "$@"; }

"$mexa" synth --out "$work/set" --clips 16 --subjects 4 --seed 9 --log-level warn >/dev/null || exit 1
"$mexa" synth --out "$work/png" --clips 2 --subjects 1 --seed 4 --format png --log-level warn >/dev/null || exit 1
data="$work/set/annotations.csv"
"$mexa" train --data "$data" --out "$work/run" --protocol split --epochs 1 --frames 4 --size 16x16 --onset-difference \
  --batch 8 --log-level warn >/dev/null 2>&1 || { echo "FAIL training the model the tests score with"; exit 1; }
model="$work/run/folds/split/last.pt"

"$mexa" score "$data" --model "$model" --out "$work/m.h5" --log-level warn >"$work/out" 2>&1; rc=$?
check "score a manifest: exit 0, 16 clips ok" '[ $rc -eq 0 ] && grep -q "16 clips written (16 ok, 0 failed)" "$work/out"'
"$mexa" inspect "$work/m.h5" --json >"$work/m.json"; rc=$?
check "inspect: schema v1, 16 clips, frames, annotated apexes, no failures" \
  '[ $rc -eq 0 ] && py "import json; d=json.load(open(\"$work/m.json\")); assert d[\"schema_version\"]==1 and d[\"clips\"]==16 and d[\"frames\"]>16*20 and d[\"apex_spotted\"]==0 and d[\"failures\"]=={} and sum(d[\"predictions\"].values())==16"'
"$mexa" score "$data" --model "$model" --out "$work/m.h5" >/dev/null 2>"$work/err"; rc=$?
check "an existing --out without --resume is refused (2)" '[ $rc -eq 2 ] && grep -q "exists" "$work/err"'

# The launcher (apps/launcher.cpp) lets OpenMP's threads wait passively while scoring; a user's setting is kept.
env -u OMP_WAIT_POLICY "$mexa" score "$data" --model "$model" --out "$work/omp.h5" --log-level debug >/dev/null 2>"$work/err"; rc=$?
check "score runs with OMP_WAIT_POLICY=PASSIVE from the launcher" '[ $rc -eq 0 ] && grep -q "OpenMP threads wait OMP_WAIT_POLICY=PASSIVE" "$work/err"'
OMP_WAIT_POLICY=active "$mexa" score "$data" --model "$model" --out "$work/omp.h5" --overwrite --log-level debug \
  >/dev/null 2>"$work/err"; rc=$?
check "... and keeps the user's own OMP_WAIT_POLICY" '[ $rc -eq 0 ] && grep -q "OpenMP threads wait OMP_WAIT_POLICY=active" "$work/err"'
env -u OMP_WAIT_POLICY "$(dirname "$mexa")/mexa-core" score "$data" --model "$model" --out "$work/omp.h5" --overwrite \
  --log-level debug >/dev/null 2>"$work/err"; rc=$?
check "... and so does mexa-core when it hands score to mexa-torch" \
  '[ $rc -eq 0 ] && grep -q "OpenMP threads wait OMP_WAIT_POLICY=PASSIVE" "$work/err"'
mkdir -p "$work/lonely" && cp "$mexa" "$work/lonely/mexa" && lonely="$(realpath "$work/lonely")"
"$lonely/mexa" probe "$data" >/dev/null 2>"$work/err"; rc=$?
check "a launcher without its siblings exits 3 naming the executable it cannot start" \
  '[ $rc -eq 3 ] && grep -qF "mexa probe: cannot start $lonely/mexa-core" "$work/err"'

# A checkpoint whose weights do not fit its model: exit 3 naming it; an existing --out stays as it was, even with
# --overwrite (the results file is opened only once the weights are in).
torch_python="${MEXA_TORCH_PYTHON:-python3}"
if "$torch_python" -c "import torch" 2>/dev/null; then
  misfit=$("$torch_python" "$(dirname "$0")/misfit_checkpoint.py" "$model" "$work/misfit.pt")
  cp "$work/m.h5" "$work/kept.h5"
  "$mexa" score "$data" --model "$work/misfit.pt" --out "$work/kept.h5" --overwrite >/dev/null 2>"$work/err"; rc=$?
  check "weights that do not fit: exit 3, the file and the tensor named, --out untouched with --overwrite" \
    '[ $rc -eq 3 ] && grep -q "misfit.pt: weights do not fit the model ($misfit is \[" "$work/err" && cmp -s "$work/m.h5" "$work/kept.h5"'
else
  skip "weights that do not fit" "no Python with torch ($torch_python) to write the checkpoint"
fi

"$mexa" score "$work/set/clips" --model "$model" --out "$work/dir.h5" --log-level warn >/dev/null 2>&1; rc=$?
"$mexa" inspect "$work/dir.h5" --json >"$work/dir.json"
check "score a directory (recursive): 16 clips, apex spotted for all" \
  '[ $rc -eq 0 ] && py "import json; d=json.load(open(\"$work/dir.json\")); assert d[\"clips\"]==16 and d[\"apex_spotted\"]==16, d"'
find "$work/set/clips" -name '*.mp4' | sort | head -5 > "$work/list.txt"
"$mexa" score "@$work/list.txt" - --model "$model" --out "$work/list.h5" --log-level warn >/dev/null 2>&1 < <(find "$work/set/clips" -name '*.mp4' | sort | tail -3); rc=$?
check "score @list.txt plus a list on stdin: 8 clips" \
  '[ $rc -eq 0 ] && [ "$("$mexa" inspect "$work/list.h5" --json | py "import json,sys; print(json.load(sys.stdin)[\"clips\"])")" -eq 8 ]'
folder=$(find "$work/png/clips" -mindepth 2 -maxdepth 2 -type d | head -1)
"$mexa" score "$folder" --model "$model" --out "$work/folder.h5" --log-level warn >/dev/null 2>&1; rc=$?
check "score a frame folder (png)" '[ $rc -eq 0 ] && "$mexa" inspect "$work/folder.h5" | grep -q "clips 1,"'

# Bad inputs never stop the batch.
echo "not a video" > "$work/text.mp4"
: > "$work/empty.mp4"
good=$(find "$work/set/clips" -name '*.mp4' | sort | head -2 | tr '\n' ' ')
"$mexa" score $good "$work/text.mp4" "$work/empty.mp4" "$work/missing.mp4" --model "$model" --out "$work/bad.h5" \
  >"$work/out" 2>"$work/err"; rc=$?
check "bad inputs: exit 1, the good clips scored" '[ $rc -eq 1 ] && grep -q "4 clips written (2 ok, 2 failed: decode_error=2)" "$work/out"'
check "each bad input is named with its reason" \
  'grep -q "text.mp4" "$work/err" && grep -q "empty.mp4" "$work/err" && grep -q "missing.mp4: no such file" "$work/err"'
"$mexa" export "$work/bad.h5" --out "$work/bad-export" >/dev/null 2>&1
check "failed clips have a row with status and error" \
  'py "import csv; r={x[\"id\"]:x for x in csv.DictReader(open(\"$work/bad-export/clips.csv\"))}; assert r[\"$work/text.mp4\"][\"status\"]==\"decode_error\" and \"text.mp4\" in r[\"$work/text.mp4\"][\"error\"]"'

# Ids and paths longer than the fixed-width columns: stored hashed, never a failed batch.
long_name=$(printf 'd%.0s' $(seq 120))
deep="$work/deep/$long_name/$long_name/$long_name"
mkdir -p "$deep"
read -r good1 good2 <<<"$good"
cp "$good1" "$deep/clip.mp4"; cp "$good2" "$work/deep/short.mp4"
"$mexa" score "$work/deep" --model "$model" --out "$work/deep.h5" --log-level warn >"$work/out" 2>"$work/err"; rc=$?
check "a clip whose path below the scanned folder is over 300 characters is scored with the others" \
  '[ $rc -eq 0 ] && grep -q "2 clips written (2 ok, 0 failed)" "$work/out" && grep -q "stored as ~" "$work/err"'
"$mexa" score "$work/deep" --model "$model" --out "$work/deep.h5" --resume --log-level warn >"$work/out" 2>&1; rc=$?
check "... and --resume finds it (nothing left to score)" '[ $rc -eq 0 ] && grep -q "0 clips written" "$work/out"'

# --resume refuses a file another run wrote, naming the difference (exit 2); the file is untouched.
"$mexa" train --data "$data" --out "$work/run2" --protocol split --epochs 1 --frames 4 --size 16x16 --onset-difference \
  --batch 8 --seed 2 --log-level warn >/dev/null 2>&1
"$mexa" score "$data" --model "$work/run2/folds/split/last.pt" --out "$work/m.h5" --resume >/dev/null 2>"$work/err"; rc=$?
check "--resume with another checkpoint: exit 2 naming the checkpoint" '[ $rc -eq 2 ] && grep -q "checkpoint sha256 differs" "$work/err"'
"$mexa" score "$data" --model "$model" --out "$work/m.h5" --resume --frame-probs >/dev/null 2>"$work/err"; rc=$?
check "--resume adding --frame-probs: exit 2 naming per-frame probabilities" \
  '[ $rc -eq 2 ] && grep -q "per-frame probabilities differs" "$work/err"'
"$mexa" score "$data" --model "$model" --out "$work/m.h5" --resume --face haar --landmarks >/dev/null 2>"$work/err"; rc=$?
check "--resume adding --landmarks: exit 2 naming landmarks" '[ $rc -eq 2 ] && grep -q "landmarks differs" "$work/err"'
check "the refused file still holds its 16 clips" \
  '[ "$("$mexa" inspect "$work/m.h5" --json | py "import json,sys; print(json.load(sys.stdin)[\"clips\"])")" -eq 16 ]'

# Missing face model files fail before any worker starts: exit 3 naming the file.
MEXA_LANDMARK_MODEL="$work/no-landmarks.dat" "$mexa" score $good --model "$model" --out "$work/nomodel.h5" --face hog \
  >/dev/null 2>"$work/err"; rc=$?
check "a missing dlib landmark model: exit 3 naming it, no results file made" \
  '[ $rc -eq 3 ] && grep -q "no-landmarks.dat" "$work/err" && [ ! -e "$work/nomodel.h5" ]'
MEXA_HAAR_CASCADE="$work/no-cascade.xml" "$mexa" score $good --model "$model" --out "$work/nomodel.h5" --face haar \
  >/dev/null 2>"$work/err"; rc=$?
check "a missing Haar cascade: exit 3 naming it" '[ $rc -eq 3 ] && grep -q "no-cascade.xml" "$work/err"'
"$mexa" score "$good1" --model "$model" --out "$work/hog.h5" --face hog --log-level error >/dev/null 2>&1
MEXA_LANDMARK_MODEL="$work/no-landmarks.dat" "$mexa" score $good --model "$model" --out "$work/hog.h5" --face hog \
  --resume >/dev/null 2>"$work/err"; rc=$?
check "... also on --resume, and the results file stays closed and readable" \
  '[ $rc -eq 3 ] && grep -q "no-landmarks.dat" "$work/err" && "$mexa" inspect "$work/hog.h5" >/dev/null 2>&1'

# A programming error while analysing a clip is that clip's internal_error, logged; the batch goes on.
MEXA_FAILPOINT=throw-in-analysis:2 "$mexa" score $good "$work/deep/short.mp4" --model "$model" --out "$work/internal.h5" \
  --workers 1 >"$work/out" 2>"$work/err"; rc=$?
check "a bug in one clip's analysis: status internal_error, the others ok, exit 1" \
  '[ $rc -eq 1 ] && grep -q "3 clips written (2 ok, 1 failed: internal_error=1)" "$work/out" && grep -q "internal error" "$work/err"'

# Export: OpenFace's leading columns, ids made safe as file names.
"$mexa" export "$work/m.h5" --out "$work/export" >/dev/null 2>&1; rc=$?
first=$(ls "$work/export/frames" | head -1)
check "export writes clips.csv, intervals.csv and one frames CSV per clip" \
  '[ $rc -eq 0 ] && [ "$(ls "$work/export/frames" | wc -l)" -eq 16 ] && [ -s "$work/export/clips.csv" ] && [ -s "$work/export/intervals.csv" ]'
check "per-frame CSV starts with frame,face_id,timestamp,confidence,success" \
  '[ "$(head -1 "$work/export/frames/$first" | cut -d, -f1-5)" = "frame,face_id,timestamp,confidence,success" ]'
check "per-frame CSV: frame is 1-based (OpenFace), index 0-based, face_id 0 for pre-cropped faces" \
  'py "
import csv
rows = list(csv.DictReader(open(\"$work/export/frames/$first\")))
assert rows[0][\"frame\"] == \"1\" and all(int(r[\"frame\"]) == int(r[\"index\"]) + 1 for r in rows)
assert all(r[\"face_id\"] == \"0\" for r in rows)
"'
"$mexa" export "$work/m.h5" --out "$work/export-json" --format json >/dev/null 2>&1; rc=$?
check "export --format json" '[ $rc -eq 0 ] && py "import json; d=json.load(open(\"$work/export-json/clips.json\")); assert len(d)==16 and \"probs\" in d[0]"'
mkdir -p "$work/evil/inside"
clip=$(sed -n 2p "$data" | cut -d, -f3)
printf 'subject,clip,path,onset,apex,offset,emotion\n..,../x,%s,0,5,10,fear\n' "$work/set/$clip" > "$work/evil/evil.csv"
"$mexa" score "$work/evil/evil.csv" --model "$model" --out "$work/evil.h5" --log-level warn >/dev/null 2>&1
"$mexa" export "$work/evil.h5" --out "$work/evil/inside/out" >/dev/null 2>&1; rc=$?
check "an id like ../../x stays inside the export folder" \
  '[ $rc -eq 0 ] && [ ! -e "$work/evil/x.csv" ] && [ ! -e "$work/evil/inside/x.csv" ] && [ "$(find "$work/evil" -name "*x.csv" | grep -c "/inside/out/frames/")" -eq 1 ]'

# Per-frame sliding-window probabilities.
"$mexa" score "$data" --model "$model" --out "$work/fp.h5" --frame-probs --log-level warn >/dev/null 2>&1; rc=$?
"$mexa" export "$work/fp.h5" --out "$work/fp-export" >/dev/null 2>&1
check "--frame-probs: every frame row of every clip has probabilities summing to 1" \
  '[ $rc -eq 0 ] && py "
import csv, glob
files = glob.glob(\"$work/fp-export/frames/*.csv\")
assert len(files) == 16
for f in files:
    for r in csv.DictReader(open(f)):
        p = [float(v) for k, v in r.items() if k.startswith(\"p_\")]
        assert len(p) == 7 and abs(sum(p) - 1) < 1e-4, (f, r[\"frame\"])
"'

# A long video: spotted intervals, each scored; the clip row takes one of them.
"$mexa" synth --out "$work/long" --long --subjects 1 --long-seconds 20 --seed 2 --log-level warn >/dev/null 2>&1
long_video=$(find "$work/long" -name '*.mp4' | head -1)
"$mexa" score "$long_video" --model "$model" --out "$work/long.h5" --log-level warn >/dev/null 2>&1; rc=$?
"$mexa" export "$work/long.h5" --out "$work/long-export" >/dev/null 2>&1
check "a 20 s video (4000 frames) is spotted for intervals, every interval scored" \
  '[ $rc -eq 0 ] && py "
import csv
iv = list(csv.DictReader(open(\"$work/long-export/intervals.csv\")))
clip = next(csv.DictReader(open(\"$work/long-export/clips.csv\")))
assert len(iv) >= 1 and all(r[\"pred\"] and 0 <= int(r[\"onset\"]) <= int(r[\"apex\"]) <= int(r[\"offset\"]) < 4000 for r in iv), iv[:2]
assert clip[\"apex_source\"] == \"spotted\" and any(r[\"onset\"] == clip[\"onset\"] and r[\"offset\"] == clip[\"offset\"] for r in iv)
"'

# A long video with annotated spans (a manifest row per micro-expression, as CAS(ME)^2 gives them): each row keeps
# its onset/apex/offset (no spotting), and score agrees with eval on the same manifest.
py 'import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["type"] == "micro"]
with open(sys.argv[2], "w") as out:
    out.write("subject,clip,path,onset,apex,offset,emotion\n")
    for i, r in enumerate(rows):
        out.write(",".join([r["subject"], "me%d" % i, r["path"], r["onset"], r["apex"], r["offset"], r["emotion"]]) + "\n")
' "$work/long/intervals.csv" "$work/long/spans.csv"
"$mexa" score "$work/long/spans.csv" --model "$model" --out "$work/spans.h5" --log-level warn >/dev/null 2>&1; rc=$?
"$mexa" export "$work/spans.h5" --out "$work/spans-export" >/dev/null 2>&1
"$mexa" eval --model "$model" --data "$work/long/spans.csv" --predictions "$work/spans-eval.csv" --log-level warn >/dev/null 2>&1; rc2=$?
check "annotated spans of a 4000-frame video keep their onset/apex/offset, and score equals eval" \
  '[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && py "
import csv
truth = list(csv.DictReader(open(\"$work/long/spans.csv\")))
clips = {r[\"id\"]: r for r in csv.DictReader(open(\"$work/spans-export/clips.csv\"))}
ev = {r[\"id\"]: r for r in csv.DictReader(open(\"$work/spans-eval.csv\"))}
assert len(truth) >= 1 and len(clips) == len(truth) == len(ev), (len(truth), len(clips), len(ev))
for t in truth:
    c = clips[t[\"subject\"] + \"/\" + t[\"clip\"]]
    assert (c[\"onset\"], c[\"apex\"], c[\"offset\"], c[\"apex_source\"]) == (t[\"onset\"], t[\"apex\"], t[\"offset\"], \"annotated\"), c
    e = ev[c[\"id\"]]
    assert all(abs(float(c[k]) - float(e[k])) < 1e-5 for k in c if k.startswith(\"p_\")), c[\"id\"]
assert list(csv.DictReader(open(\"$work/spans-export/intervals.csv\"))) == []
"'

# Landmarks on a real face (opencv-doc's Megamind.avi, when installed).
megamind=/usr/share/doc/opencv-doc/examples/data/Megamind.avi
if [ -r "$megamind" ]; then
  "$mexa" score "$megamind" --model "$model" --out "$work/face.h5" --face hog --landmarks --log-level warn >/dev/null 2>&1; rc=$?
  "$mexa" export "$work/face.h5" --out "$work/face-export" >/dev/null 2>&1
  check "--face hog --landmarks: face boxes and 68 landmarks per frame on Megamind.avi" \
    '[ $rc -eq 0 ] && py "
import csv, glob
rows = list(csv.DictReader(open(glob.glob(\"$work/face-export/frames/*.csv\")[0])))
found = [r for r in rows if r[\"success\"] == \"1\"]
assert len(rows) == 270 and len(found) > 250, (len(rows), len(found))
r = found[0]
assert float(r[\"face_w\"]) > 40 and r[\"x_67\"] and float(r[\"x_36\"]) < float(r[\"x_45\"])  # left eye left of right eye
names = list(rows[0].keys())
assert names[5:5 + 136] == [f\"x_{k}\" for k in range(68)] + [f\"y_{k}\" for k in range(68)], names[:8]  # OpenFace order
assert all(int(x[\"face_id\"]) >= 0 for x in found) and all(x[\"face_id\"] == \"-1\" for x in rows if x[\"success\"] == \"0\")
"'
else
  skip "--face hog --landmarks on Megamind.avi" "$megamind is not installed (Debian package opencv-doc)"
fi

# Shards: disjoint, complete, and merged equal to one run.
"$mexa" score "$data" --model "$model" --out "$work/s0.h5" --shard 0/2 --log-level warn >/dev/null 2>&1
RANK=1 WORLD_SIZE=2 "$mexa" score "$data" --model "$model" --out "$work/s1.h5" --log-level warn >/dev/null 2>&1
"$mexa" merge "$work/s0.h5" "$work/s1.h5" --out "$work/merged.h5" >/dev/null 2>&1; rc=$?
"$mexa" export "$work/merged.h5" --out "$work/merged-export" >/dev/null 2>&1
# Shards are contiguous blocks of whole batches: the same batches as one
# process on this machine and build, so the merged file is bit-identical.
check "shard 0/2 (--shard) + shard 1/2 (RANK/WORLD_SIZE) merged: bit-identical to the single run, rows in input order" \
  '[ $rc -eq 0 ] && same_results "$work/m.h5" "$work/merged.h5"'
check "each shard file says which shard it holds" \
  'py "import h5py; assert [h5py.File(f\"$work/s{i}.h5\")[\"/\"].attrs[\"shard\"] for i in (0, 1)] == [\"0/2\", \"1/2\"]"'
"$mexa" merge "$work/s1.h5" "$work/s0.h5" --out "$work/merged-swapped.h5" >/dev/null 2>&1; rc=$?
check "merge orders the shards by their attribute, not by the command line" \
  '[ $rc -eq 0 ] && same_results "$work/m.h5" "$work/merged-swapped.h5"'
"$mexa" score "$data" --model "$model" --out "$work/s0.h5" --resume --shard 1/2 --log-level warn >/dev/null 2>"$work/err"; rc=$?
check "--resume of shard 0/2's file as shard 1/2 is refused (2), naming the shard" '[ $rc -eq 2 ] && grep -q "shard differs" "$work/err"'
# Uneven shards: 16 clips in batches of 3 (the last batch short) over 3 shards.
"$mexa" score "$data" --model "$model" --out "$work/b3.h5" --batch 3 --log-level warn >/dev/null 2>&1
for i in 0 1 2; do
  "$mexa" score "$data" --model "$model" --out "$work/b3-$i.h5" --batch 3 --shard $i/3 --log-level warn >/dev/null 2>&1
done
"$mexa" merge "$work/b3-2.h5" "$work/b3-0.h5" "$work/b3-1.h5" --out "$work/b3-merged.h5" >/dev/null 2>&1; rc=$?
check "3 uneven shards of batches of 3 (a short last batch) merged: bit-identical to one run with --batch 3" \
  '[ $rc -eq 0 ] && same_results "$work/b3.h5" "$work/b3-merged.h5"'
"$mexa" score "$data" --model "$model" --out "$work/s1-b5.h5" --shard 1/2 --batch 5 --log-level warn >/dev/null 2>&1
"$mexa" merge "$work/s0.h5" "$work/s1-b5.h5" --out "$work/cut.h5" >/dev/null 2>"$work/err"; rc=$?
check "merging shards cut with another --batch is refused, naming the file (clips would be lost or doubled)" \
  '[ $rc -ne 0 ] && grep -q "s1-b5.h5" "$work/err" && grep -q "cut another way" "$work/err"'
"$mexa" score "$data" --model "$model" --out "$work/s0.h5" --resume --shard 0/2 --batch 5 --log-level warn >/dev/null 2>"$work/err"; rc=$?
check "--resume of a shard with another --batch is refused (2)" '[ $rc -eq 2 ] && grep -q "the shards. --batch differs" "$work/err"'
"$mexa" score "$data" --model "$model" --out "$work/mf.h5" --min-face 5 >/dev/null 2>"$work/err"; rc=$?
check "--min-face 5 is a usage error (2): HOG would upsample 16x" '[ $rc -eq 2 ] && grep -q -- "--min-face" "$work/err" && [ ! -e "$work/mf.h5" ]'
# A manifest row of a class the model lacks is scored all the same, with label -1.
awk -F, 'BEGIN{OFS=","} NR==2{$7="others"} {print}' "$data" > "$work/set/others.csv"
"$mexa" score "$work/set/others.csv" --model "$model" --out "$work/others.h5" --log-level warn >/dev/null 2>&1; rc=$?
check "a row labelled 'others' (not a class of the model) is scored, with label -1" \
  '[ $rc -eq 0 ] && py "import h5py; f = h5py.File(\"$work/others.h5\"); assert len(f[\"clips/id\"]) == 16 and list(f[\"clips/label\"][:]).count(-1) == 1"'
"$mexa" merge "$work/s0.h5" "$work/s0.h5" --out "$work/dup.h5" >/dev/null 2>"$work/err"; rc=$?
check "merging a shard twice keeps each clip once and exits 1" '[ $rc -eq 1 ] && grep -q "kept once" "$work/err"'

# SIGKILL at exact points (MEXA_FAILPOINT: the writer kills itself inside or
# after its N-th batch), then --resume: every clip once, results equal. No
# assertion depends on the machine's speed.
big=()
for f in "$work/set/clips/"*/*.mp4; do for copy in $(seq 4); do big+=("$f"); done; done  # repeated ids become #2, #3
"$mexa" score "${big[@]}" --model "$model" --out "$work/full.h5" --batch 2 --log-level warn >/dev/null 2>&1
clip_count() { "$mexa" inspect "$1" --json 2>/dev/null | py "import json,sys; print(json.load(sys.stdin)[\"clips\"])" 2>/dev/null || echo 0; }
expected=0; steps_ok=0; steps=""
# point:N  -> whole batches of 2 clips this run adds before dying
for step in kill-after-commit:3=3 kill-mid-batch:2=1 kill-before-commit:4=3 kill-after-commit:1=1 kill-mid-batch:1=0 \
            kill-after-commit:10=10; do
  point=${step%=*}; adds=${step#*=}
  MEXA_FAILPOINT=$point "$mexa" score "${big[@]}" --model "$model" --out "$work/killed.h5" --resume --batch 2 \
    --log-level error >"$work/kill-run.log" 2>&1; rc=$?
  expected=$((expected + 2 * adds)); now=$(clip_count "$work/killed.h5")
  steps="$steps $point:rc=$rc,clips=$now/$expected"
  [ $rc -eq 137 ] && [ "$now" -eq "$expected" ] && steps_ok=$((steps_ok + 1))
done
echo "    $steps"
check "6 runs SIGKILLed at failpoints (mid-batch, before and after commit): each file opens with exactly its committed batches" \
  '[ "$steps_ok" -eq 6 ]'
"$mexa" score "${big[@]}" --model "$model" --out "$work/killed.h5" --resume --batch 2 --log-level warn >/dev/null 2>&1; rc=$?
"$mexa" export "$work/killed.h5" --out "$work/killed-export" >/dev/null 2>&1
# Same --batch: the same batches, so bit-identical (the scoring contract on one machine and build).
check "after 6 SIGKILLs and --resume: 64 clips, each once, bit-identical to the uninterrupted run" \
  '[ $rc -eq 0 ] && [ "$(tail -n +2 "$work/killed-export/clips.csv" | wc -l)" -eq 64 ] && same_results "$work/full.h5" "$work/killed.h5"'

# SIGINT right after the first committed batch (as a user's Ctrl-C): the clips
# of the batch being written are kept, the file closed, exit 130; --resume
# finishes (scoring its first batch, partly present, whole again).
MEXA_FAILPOINT=interrupt-after-commit:1 "$mexa" score "${big[@]}" --model "$model" --out "$work/int.h5" --batch 1 \
  --workers 1 --log-level error >"$work/out" 2>&1; rc=$?
check "SIGINT exits 130 and says how to continue" '[ $rc -eq 130 ] && grep -q -- "--resume" "$work/out"'
check "the interrupted file is readable and holds part of the run" \
  'n=$(clip_count "$work/int.h5"); [ "$n" -ge 1 ] && [ "$n" -lt 64 ]'
"$mexa" score "${big[@]}" --model "$model" --out "$work/int.h5" --resume --log-level warn >/dev/null 2>&1; rc=$?
# The resumed run's --batch (8) is not the interrupted one's (1): other batch-mates, so within 1e-5.
check "--resume after SIGINT completes the same results (other batches: within 1e-5)" \
  '[ $rc -eq 0 ] && same_results "$work/full.h5" "$work/int.h5" --atol 1e-5'
# Worker timing never changes a result: batches are cut by input position.
"$mexa" score "${big[@]}" --model "$model" --out "$work/w1.h5" --batch 3 --workers 1 --log-level warn >/dev/null 2>&1
"$mexa" score "${big[@]}" --model "$model" --out "$work/w3.h5" --batch 3 --workers 3 --log-level warn >/dev/null 2>&1; rc=$?
check "--workers 1 and --workers 3 give bit-identical results files (every dataset and attribute but the write time)" \
  '[ $rc -eq 0 ] && same_results "$work/w1.h5" "$work/w3.h5"'

MEXA_FAILPOINT=kill-after-comit:1 "$mexa" score "$data" --model "$model" --out "$work/typo.h5" >/dev/null 2>"$work/err"; rc=$?
check "a malformed MEXA_FAILPOINT is a usage error (2) before any work" \
  '[ $rc -eq 2 ] && grep -q MEXA_FAILPOINT "$work/err" && [ ! -e "$work/typo.h5" ]'

# One writer per results file: while another process holds the writer lock
# (here flock(1) holds it around the command), a second writer is refused at
# once, whatever its mode, and the file is left as it was.
cp "$work/m.h5" "$work/locked.h5"
before=$(md5sum < "$work/locked.h5")
for mode in --resume --overwrite; do
  flock "$work/.locked.h5.lock" "$mexa" score "$data" --model "$model" --out "$work/locked.h5" $mode >/dev/null 2>"$work/err"; rc=$?
  check "a second writer ($mode) is refused (3) naming the file and the lock" \
    '[ $rc -eq 3 ] && grep -q "locked.h5: another mexa process is writing it" "$work/err"'
done
check "the locked file is untouched" '[ "$(md5sum < "$work/locked.h5")" = "$before" ]'
"$mexa" score "$data" --model "$model" --out "$work/locked.h5" --resume --log-level warn >/dev/null 2>&1; rc=$?
check "once the lock is free, --resume works" '[ $rc -eq 0 ]'

finish
