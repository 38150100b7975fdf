#!/usr/bin/env bash
# The catalogue of bad inputs (issue 13 section 3), end to end: every kind is
# made here with the ffmpeg CLI or a few lines of Python, then scored in ONE
# batch with good clips (`mexa score`) and, where a manifest can name it,
# trained on in one run (`mexa train`). Each kind is either refused with an
# error naming the input, or accepted and scored; the good clips are always
# scored; no crash, no hang (the batch runs under a time bound far above its
# need); exit code 1. With a third argument the table (kind, outcome, what
# mexa says) is written there, for docs/robustness.md.
#   bad_inputs_cli_test.sh MEXA WORK_DIR [TABLE.md]
mexa="$1"; work="$2"; table="${3:-}"
source "$(dirname "$0")/check_lib.sh"
py() { /usr/bin/python3 -c "$@"; }
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
bound=900  # seconds for the whole batch: a hang, not slowness, exceeds it

rm -rf "$work" && mkdir -p "$work/in" && cd "$work/in" || exit 1
src=(-f lavfi -i "testsrc=size=64x64:rate=25")

# kinds: "KIND|INPUT|SCORE|TRAIN" where SCORE and TRAIN are "ok", "ok~WARNING"
# (accepted, with a warning naming the input), "no:REASON" (refused, REASON
# in the message naming the input) or "-" (does not apply).
kinds=()
kind() { kinds+=("$1|$2|$3|$4"); }

# ---- files
printf 'this is not a video\n' > text.mp4
kind "text file named .mp4" text.mp4 "no:cannot open" "no:cannot open"
: > empty.mp4
kind "empty file" empty.mp4 "no:file is empty" "no:file is empty"
kind "missing file" missing.mp4 "no:no such file" "-"
ff "${src[@]}" -frames:v 3 -c:v rawvideo -pix_fmt gray raw.mov
header_size() {  # raw.mov with the sample entry's width and height replaced
  py 'import sys
b = bytearray(open("raw.mov", "rb").read())
j = b.find(b"raw ", b.find(b"stsd"))
assert int.from_bytes(b[j+28:j+30], "big") == 64
b[j+28:j+30] = int(sys.argv[1]).to_bytes(2, "big"); b[j+30:j+32] = int(sys.argv[2]).to_bytes(2, "big")
open(sys.argv[3], "wb").write(b)' "$@"
}
header_size 16384 16384 header_16384.mov
kind "stream header claiming 16384x16384" header_16384.mov "no:no frame could be decoded" "no:no frame could be decoded"
header_size 12000 9000 header_12000.mov
kind "stream header claiming 12000x9000 (over mexa's 64 MPixel cap)" header_12000.mov "no:over the limit" "no:over the limit"
ff -f lavfi -i testsrc=size=1x1:rate=25:duration=1 -c:v ffv1 one_pixel.mkv
kind "1x1 video" one_pixel.mkv "no:too small to hold a face" "no:too small to hold a face"
ff "${src[@]}" -frames:v 0 -c:v ffv1 header_only.mkv
kind "0-frame video (a header only)" header_only.mkv "no:ends inside its header" "no:ends inside its header"
y4m() {  # y4m NAME WIDTH HEIGHT RATE FRAMES
  py 'import sys
n, w, h, rate, frames = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
with open(n, "wb") as f:
    f.write(f"YUV4MPEG2 W{w} H{h} F{rate} Ip A1:1 C420jpeg\n".encode())
    for i in range(frames):
        f.write(b"FRAME\n" + bytes([(i * 7) % 256]) * (w * h) + bytes([128]) * (w * h // 2))' "$@"
}
y4m zero_frames.y4m 64 64 25:1 0
kind "0-frame y4m" zero_frames.y4m "no:no frames" "no:beyond the end"
ff "${src[@]}" -frames:v 1 -c:v mpeg4 one_frame.mp4
kind "1-frame video" one_frame.mp4 "no:1 frame" "no:beyond the end"
ff "${src[@]}" -frames:v 1 -f image2 image.png && mv image.png image_named.mp4
kind "a PNG image named .mp4" image_named.mp4 "no:1 frame" "no:beyond the end"
y4m zero_fps.y4m 64 64 0:1 10
kind "zero frame rate (y4m F0:1)" zero_fps.y4m "ok" "ok"
y4m absurd_fps.y4m 64 64 1000000000:1 10
kind "absurd frame rate (10^9 fps)" absurd_fps.y4m "ok~implausible" "ok"
y4m tiny_fps.y4m 64 64 1:100000 10
kind "absurd frame rate (10^-5 fps)" tiny_fps.y4m "ok~implausible" "ok"
ff "${src[@]}" -t 1 -c:v mpeg4 -output_ts_offset -10 -avoid_negative_ts disabled negative_ts.ts
kind "negative timestamps (MPEG-TS, -10 s)" negative_ts.ts "ok" "ok"
ff "${src[@]}" -t 1 -c:v mpeg4 -f mpegts steady.ts
ff -i steady.ts -c copy -bsf:v "setts=pts=if(eq(N\,5)\,PTS-20000\,PTS):dts=if(eq(N\,5)\,DTS-20000\,DTS)" non_monotonic.mkv
kind "non-monotonic timestamps" non_monotonic.mkv "ok" "ok"
ff "${src[@]}" -t 1 -c:v ffv1 -pix_fmt yuv420p10le ten_bit.mkv
kind "10-bit pixels (FFV1 yuv420p10le)" ten_bit.mkv "ok" "ok"
ff "${src[@]}" -t 1 -c:v libx264 -pix_fmt yuv420p10le ten_bit_h264.mp4
kind "10-bit H.264 (High 10)" ten_bit_h264.mp4 "ok" "ok"
ff "${src[@]}" -t 1 -c:v ffv1 -pix_fmt yuv444p12le twelve_bit.mkv
kind "12-bit pixels (FFV1 yuv444p12le)" twelve_bit.mkv "ok" "ok"
ff "${src[@]}" -t 1 -c:v png -pix_fmt rgba alpha.mov
kind "pixel format with alpha (PNG rgba in MOV)" alpha.mov "ok" "ok"
ff "${src[@]}" -t 1 -c:v mpeg4 upright.mp4 && ff -i upright.mp4 -c copy -metadata:s:v:0 rotate=90 rotated.mp4
kind "rotated video (display matrix, 90 degrees)" rotated.mp4 "ok" "ok"
ff -f lavfi -i testsrc=size=64x64:rate=25:duration=1 -f lavfi -i testsrc2=size=32x32:rate=25:duration=1 -map 0:v -map 1:v -c:v mpeg4 two_video.mkv
kind "two video streams" two_video.mkv "ok" "ok"
ff -f lavfi -i sine=duration=1 "${src[@]}" -t 1 -map 0:a -map 1:v -c:v mpeg4 -c:a aac audio_first.mp4
kind "audio stream before the video stream" audio_first.mp4 "ok" "ok"
ff -f lavfi -i sine=duration=1 -c:a aac audio_only.m4a
kind "audio only" audio_only.m4a "no:no video stream" "no:no video stream"
ff "${src[@]}" -t 4 -c:v libx264 -movflags +faststart faststart.mp4
head -c "$(( $(stat -c %s faststart.mp4) * 7 / 10 ))" faststart.mp4 > cut_mid_stream.mp4
kind "MP4 cut mid-stream" cut_mid_stream.mp4 "ok~frames but only" "ok"
ff "${src[@]}" -t 4 -c:v libx264 moov_last.mp4 && head -c "$(( $(stat -c %s moov_last.mp4) / 2 ))" moov_last.mp4 > no_moov.mp4
kind "MP4 cut before its index (no moov)" no_moov.mp4 "no:cannot open" "no:cannot open"
ff "${src[@]}" -t 2 -c:v mpeg4 -g 10 packets.avi
py 'import random; b = bytearray(open("packets.avi", "rb").read()); r = random.Random(13)
for i in range(len(b) // 3, len(b) // 3 + 2000): b[i] = r.randrange(256)
open("corrupt_packets.avi", "wb").write(b)'
kind "damaged packets (2 KB of noise mid-file)" corrupt_packets.avi "ok~decoded" "ok"
ff "${src[@]}" -t 1 -c:v mpeg4 -f mpegts a.ts && ff -f lavfi -i testsrc=size=96x80:rate=25:duration=1 -c:v mpeg4 -f mpegts b.ts
cat a.ts b.ts > size_change.ts
kind "frame size changing mid-stream (64x64 then 96x80)" size_change.ts "ok" "ok"
mkfifo fifo.mp4
kind "a FIFO named .mp4" fifo.mp4 "no:not a regular file" "no:not a regular file"
mkdir folder_named.mp4
kind "an empty folder named .mp4" folder_named.mp4 "no:no videos or frame folders" "no:no numbered image files"
bad_name=$(printf 'name_\xff\xfe.mp4')
cp upright.mp4 "$bad_name"
kind "file name that is not UTF-8" "$bad_name" "ok" "ok"

# ---- frame folders
frames() {  # frames DIR SIZE COUNT EXT [PIXFMT]
  mkdir -p "$1" && ff -f lavfi -i "testsrc=size=$2:rate=25" -frames:v "$3" ${5:+-pix_fmt $5} -start_number 1 "$1/img%d.$4"
}
frames mixed_sizes 64x64 6 png && ff -f lavfi -i testsrc=size=80x60:rate=25 -frames:v 1 -update 1 mixed_sizes/img4.png
kind "frame folder with mixed image sizes" mixed_sizes "ok" "ok"
frames mixed_ext 64x64 6 png && rm mixed_ext/img{4,5,6}.png && frames mixed_ext_jpg 64x64 6 jpg
mv mixed_ext_jpg/img{4,5,6}.jpg mixed_ext/ && rm -r mixed_ext_jpg  # img1-3.png, img4-6.jpg
kind "frame folder with mixed extensions" mixed_ext "no:ambiguous frame sequences" "no:ambiguous frame sequences"
mkdir not_images && for i in 1 2 3 4 5 6; do echo "not an image $i" > not_images/img$i.jpg; done
kind "frame folder of files that are not images" not_images "no:no frame could be decoded" "no:no frame could be decoded"
frames empty_frame 64x64 8 jpg && : > empty_frame/img7.jpg
kind "frame folder with an empty frame file" empty_frame "ok~empty or damaged" "ok"
frames cut_frame 64x64 6 jpg && head -c 400 cut_frame/img1.jpg > cut_frame/img3.jpg
kind "frame folder with a truncated JPEG" cut_frame "ok" "ok"
frames gray16 64x64 6 png gray16be
kind "frame folder of 16-bit grey PNGs" gray16 "ok" "ok"
frames gap 64x64 8 png && rm gap/img4.png
kind "frame folder with a gap in the numbering" gap "no:gap: img4.png is missing" "no:gap: img4.png is missing"

# ---- trees
mkdir -p loop/inner && cp upright.mp4 loop/inner/clip.mp4 && ln -s .. loop/inner/up && ln -s ../inner loop/inner/self
kind "folder with a symbolic-link loop" loop "ok" "-"

# ---- good clips: every kind is scored in a batch with these
"$mexa" synth --out "$work/set" --clips 12 --subjects 3 --seed 5 --log-level warn >/dev/null || exit 1
"$mexa" train --data "$work/set/annotations.csv" --out "$work/model" --protocol split --epochs 1 --frames 4 --size 16x16 \
  --onset-difference --batch 8 --log-level warn >/dev/null 2>&1 || { echo "FAIL training the model the tests score with"; exit 1; }
model="$work/model/folds/split/last.pt"
goods=()
while IFS= read -r f; do goods+=("$f"); done < <(find "$work/set/clips" -name '*.mp4' | sort | head -3)

inputs=()
for k in "${kinds[@]}"; do IFS='|' read -r _ input _ _ <<<"$k"; inputs+=("$input"); done
start=$(date +%s)
timeout -k 10 "$bound" "$mexa" score "${goods[@]}" "${inputs[@]}" --model "$model" --out "$work/r.h5" \
  >"$work/score.out" 2>"$work/score.err"; rc=$?
check "score: the batch of ${#kinds[@]} kinds and 3 good clips ends within ${bound} s with exit 1 (rc=$rc)" '[ $rc -eq 1 ]'
"$mexa" export "$work/r.h5" --out "$work/export" >/dev/null 2>&1
check "score: the results file exports, with every row valid UTF-8" \
  'py "open(\"$work/export/clips.csv\", encoding=\"utf-8\").read()"'
for g in "${goods[@]}"; do
  check "score: good clip $(basename "$g") scored ok" "grep -F \"$g\" \"$work/export/clips.csv\" | grep -q ',ok,'"
done

# status of INPUT in the export ('' when it gave no clip); ids of a scanned folder are below it.
status_of() {
  py 'import csv, sys
want = sys.argv[2].encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    if r["id"] == want or r["source"] == want or r["source"].startswith(want + "/"):
        print(r["status"]); break' "$work/export/clips.csv" "$1"
}
# The first line of the log naming INPUT at LEVEL ("error" or "warning") and holding TEXT.
said() { grep -aF -- "$1" "$work/score.err" | grep -F "[$2]" | grep -F -- "${3:-}" | head -1 | sed 's/^\[[^]]*\] \[[a-z]*\] //'; }

rows=()
for k in "${kinds[@]}"; do
  IFS='|' read -r what input want_score want_train <<<"$k"
  got=$(status_of "$input")
  case "$want_score" in
    ok*)
      check "score: $what ($input) is accepted" '[ "$got" = ok ]'
      note=""
      if [ "$want_score" != ok ]; then
        note=$(said "$input" warning "${want_score#ok~}")
        check "score: $what: a warning naming it says '${want_score#ok~}'" '[[ "$note" == *"${want_score#ok~}"* ]]'
      fi
      rows+=("| $what | accepted${note:+, warns} | ${note:-scored} |") ;;
    no:*)
      msg=$(said "$input" error)
      check "score: $what ($input) is refused naming it: '${want_score#no:}'" \
        '[ "$got" != ok ] && [[ "$msg" == *"${want_score#no:}"* ]]'
      rows+=("| $what | refused | $msg |") ;;
  esac
done

# ---- directory with an unreadable subfolder. Root reads any folder; in a new
# user namespace it keeps its own files (owner bits) but loses the override.
mkdir -p "$work/tree/open" "$work/tree/locked" && cp "$work/in/upright.mp4" "$work/tree/open/a.mp4" && cp "$work/in/upright.mp4" "$work/tree/locked/b.mp4"
chmod 000 "$work/tree/locked"
as_user=()
[ "$(id -u)" = 0 ] && as_user=(unshare --user)
if [ "$(id -u)" = 0 ] && ! unshare --user true 2>/dev/null; then
  skip "score: an unreadable subfolder" "running as root and user namespaces are not allowed here"
else
  "${as_user[@]}" timeout -k 10 "$bound" "$mexa" score "$work/tree" --model "$model" --out "$work/tree.h5" \
    >"$work/tree.out" 2>"$work/tree.err"; rc=$?
  check "score: an unreadable subfolder is named (Permission denied), exit 1, the readable clip scored" \
    '[ $rc -eq 1 ] && grep -q "tree/locked: cannot list the folder: Permission denied" "$work/tree.err" && grep -q "1 clips written (1 ok" "$work/tree.out"'
  rows+=("| directory with an unreadable subfolder | refused (that folder) | $(grep -m1 'locked' "$work/tree.err" | sed 's/^\[[^]]*\] \[[a-z]*\] //') |")
fi
chmod 755 "$work/tree/locked"

# ---- the non-UTF-8 name: stored escaped, read back by h5py as text
check "score: a non-UTF-8 file name is stored as valid UTF-8 with \\xNN escapes (h5py reads it)" \
  'py "import h5py; ids = h5py.File(\"$work/r.h5\")[\"clips/id\"].asstr()[:]; assert \"name_\\\\xff\\\\xfe.mp4\" in list(ids), list(ids)"'
check "score: the symbolic-link loop gave its one clip once" \
  '[ "$(grep -c "loop/inner/clip.mp4\|inner/clip.mp4" "$work/export/clips.csv")" -eq 1 ]'

# ---- manifests, lists and configs (score)
good_rows=$(tail -n +2 "$work/set/annotations.csv" | head -3)
header=$(head -1 "$work/set/annotations.csv")
cp -r "$work/set/clips" "$work/in/clips"
manifest_case() {  # WHAT FILE WANT GOOD: score FILE with GOOD good rows in it, exit 1, WANT in a message naming FILE
  local what="$1" file="$2" want="$3" good="$4"
  timeout -k 10 "$bound" "$mexa" score "$file" --model "$model" --out "$work/m.h5" --overwrite >"$work/m.out" 2>"$work/m.err"; local rc=$?
  local msg; msg=$(grep -aF "$(basename "$file")" "$work/m.err" | grep -F "[error]" | head -1 | sed 's/^\[[^]]*\] \[[a-z]*\] //')
  check "score: $what: exit 1, '$want' naming the file, its $good good rows scored" \
    '[ $rc -eq 1 ] && [[ "$msg" == *"$want"* ]] && grep -q "$good clips written ($good ok, 0 failed)" "$work/m.out"'
  rows+=("| $what | row refused | $(printf '%s' "$msg" | tr -d '\0' | cut -c1-160) |")
}
py 'import sys; h, rows = sys.argv[1], sys.argv[2].splitlines()
bad = rows[0].split(","); bad[1] = bad[1][:3] + "\0" + bad[1][3:]
open("nul.csv", "w").write("\n".join([h, ",".join(bad)] + rows[1:]) + "\n")
open("long_line.csv", "w").write("\n".join([h, rows[0], "x" * 10_000_000] + rows[1:]) + "\n")' "$header" "$good_rows"
manifest_case "manifest with a NUL byte" "$work/in/nul.csv" "a NUL byte in column 'clip'" 2
manifest_case "manifest with a 10 MB line" "$work/in/long_line.csv" "1 fields, the header has" 3
py "import random, sys; open(sys.argv[1], 'wb').write(random.Random(7).randbytes(4096))" "$work/in/binary.csv"  # the same bytes every run
"$mexa" score "$work/in/binary.csv" "${goods[0]}" --model "$model" --out "$work/b.h5" >"$work/b.out" 2>"$work/b.err"; rc=$?
msg=$(grep -aF "binary.csv" "$work/b.err" | grep -F "[error]" | head -1 | sed 's/^\[[^]]*\] \[[a-z]*\] //')
check "score: random bytes named .csv: exit 1, refused naming it without control bytes, the good clip scored" \
  '[ $rc -eq 1 ] && [ -n "$msg" ] && [[ ! "$msg" =~ [[:cntrl:]] ]] && grep -q "1 clips written (1 ok" "$work/b.out"'
rows+=("| random bytes named .csv | refused | $(printf '%s' "$msg" | cut -c1-100)... |")
mkdir -p "$work/in/sub" && { echo "$header"; echo "$good_rows" | sed 's|,clips/|,../clips/|'; } > "$work/in/sub/escape.csv"
"$mexa" score "$work/in/sub/escape.csv" --model "$model" --out "$work/e.h5" >"$work/e.out" 2>&1; rc=$?
check "score: manifest paths that leave its folder through .. are allowed (the user's own files): exit 0" \
  '[ $rc -eq 0 ] && grep -q "3 clips written (3 ok" "$work/e.out"'
rows+=("| manifest whose paths leave its folder through \`..\` | accepted (documented) | scored |")
echo "@$work/in/self.txt" > "$work/in/self.txt"
"$mexa" score "@$work/in/self.txt" "${goods[0]}" --model "$model" --out "$work/l.h5" >"$work/l.out" 2>"$work/l.err"; rc=$?
check "score: a list file that names itself: exit 1, 'nested too deeply', the good clip scored" \
  '[ $rc -eq 1 ] && grep -q "nested too deeply" "$work/l.err" && grep -q "1 clips written (1 ok" "$work/l.out"'
rows+=("| @list file that names itself | refused | $(grep -m1 'nested' "$work/l.err" | sed 's/^\[[^]]*\] \[[a-z]*\] //') |")
printf 'batch = 4\nbogus-key = 3\n' > "$work/in/unknown.ini"
"$mexa" score "${goods[0]}" --model "$model" --out "$work/i.h5" --config "$work/in/unknown.ini" >/dev/null 2>"$work/i.err"; rc=$?
check "score: an INI with an unknown key: exit 2 naming the file and the key, nothing written" \
  '[ $rc -eq 2 ] && grep -q "unknown.ini: unrecognised option .bogus-key." "$work/i.err" && [ ! -e "$work/i.h5" ]'
rows+=("| INI config with an unknown key | refused, exit 2 | $(head -1 "$work/i.err") |")

# ---- train: the kinds a manifest can name, with good clips, in one run
{
  echo "$header"
  tail -n +2 "$work/set/annotations.csv"
  n=0
  for k in "${kinds[@]}"; do
    IFS='|' read -r what input _ want_train <<<"$k"
    [ "$want_train" = "-" ] && continue
    n=$((n + 1))
    printf 'bad%02d,k%02d,%s,0,2,5,happiness,,25,6,happiness,1\n' "$n" "$n" "$(py 'import sys,os; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$work/in/$input" "$work/set")"
  done
} > "$work/set/with_bad.csv"
timeout -k 10 "$bound" "$mexa" train --data "$work/set/with_bad.csv" --out "$work/trainrun" --protocol split --epochs 1 --frames 4 \
  --size 16x16 --onset-difference --batch 8 --log-level warn >"$work/train.out" 2>"$work/train.err"; rc=$?
check "train: the run with every kind ends with exit 1 (rc=$rc)" '[ $rc -eq 1 ]'
check "train: a model was written" '[ -s "$work/trainrun/folds/split/last.pt" ]'
for k in "${kinds[@]}"; do
  IFS='|' read -r what input _ want_train <<<"$k"
  [ "$want_train" = "-" ] && continue
  listed=$(grep -F -- "$(basename "$input")" "$work/trainrun/failed.csv" 2>/dev/null | head -1)
  case "$want_train" in
    ok*) check "train: $what is trained on (not in failed.csv)" '[ -z "$listed" ]' ;;
    no:*) check "train: $what is in failed.csv with '${want_train#no:}'" '[[ "$listed" == *"${want_train#no:}"* ]]' ;;
  esac
done

if [ -n "$table" ]; then
  { echo "| kind | outcome | what mexa says (score) |"; echo "|---|---|---|"; printf '%s\n' "${rows[@]}" | sed "s|$work/||g"; } > "$table"
fi
finish
