#!/usr/bin/env bash
# `mexa dataset check|manifest` on dataset installs made here: a CASME II
# layout (sub01/EP02_01f/reg_img46.jpg ...) with its .xls and .xlsx coding
# workbooks, and a SAMM layout with free-text rows above the header; one
# planted fault at a time must be named; the manifest it writes trains.
#   dataset_cli_test.sh MEXA WORK_DIR
mexa="$1"; work="$2"
source "$(dirname "$0")/check_lib.sh"
py=/usr/bin/python3
if ! $py -c "import openpyxl, xlwt" 2>/dev/null; then skip "dataset checks" "python3-openpyxl / python3-xlwt missing"; finish; exit; fi

# `mexa synth --layout casme2`: CASME2_RAW/sub01/EP01_01f/reg_img47.jpg ... and the coding
# table in CASME II's columns, turned here into the .xls and .xlsx workbooks the download has.
root="$work/CASME2"
"$mexa" synth --out "$root" --layout casme2 --format jpg --clips 12 --subjects 3 --seed 5 --size 64x64 --log-level warn \
  >"$work/synth.out" || exit 1
check "synth --layout casme2 names its annotation file" 'grep -q "dataset annotations: .*CASME2-coding-synth.csv" "$work/synth.out"'
check "... and writes CASME II's folders and file names" 'ls "$root"/CASME2_RAW/sub01/EP01_01f/reg_img*.jpg >/dev/null'
to_workbooks() {  # to_workbooks CSV STEM: STEM.xls (xlwt) and STEM.xlsx (openpyxl), numbers as numbers
  $py - "$1" "$2" <<'PY'
import csv, sys, xlwt, openpyxl
rows = list(csv.reader(open(sys.argv[1])))
def value(text):  # digits only: Python's int() also takes "006_1_1"
    return int(text) if text.isdigit() else text
book = xlwt.Workbook(); sheet = book.add_sheet("Sheet1")
xlsx = openpyxl.Workbook(); xs = xlsx.active; xs.title = "Sheet1"
for r, row in enumerate(rows):
    for c, text in enumerate(row): sheet.write(r, c, value(text))
    xs.append([value(t) for t in row])
book.save(sys.argv[2] + ".xls"); xlsx.save(sys.argv[2] + ".xlsx")
PY
}
to_workbooks "$root/CASME2-coding-synth.csv" "$root/CASME2-coding-20140508"
rm "$root/CASME2-coding-synth.csv"
ann="$root/CASME2-coding-20140508.xls"
common=(--style casme2 --path-template "CASME2_RAW/sub{subject:02}/{clip}")
"$mexa" dataset check "${common[@]}" "$root" "$ann" >"$work/check.out" 2>&1; rc=$?
check "a sound CASME II install: exit 0, 12 clips found and sound, 3 subjects" \
  '[ $rc -eq 0 ] && grep -q "12 annotated clips, 12 found and sound, 3 subjects, 200 fps" "$work/check.out"'
check "it prints classes and AUs" 'grep -q "^classes: " "$work/check.out" && grep -q "^action units: " "$work/check.out"'
"$mexa" dataset check "${common[@]}" "$root" >"$work/found.out" 2>&1; rc=$?
check "without ANNOTATIONS it finds the coding workbook under ROOT" '[ $rc -eq 0 ] && grep -q "CASME2-coding-20140508" "$work/found.out"'
"$mexa" dataset check "${common[@]}" "$root" "$root/CASME2-coding-20140508.xlsx" >"$work/x.out" 2>&1; rc=$?
check "the .xlsx workbook reads the same (12 found)" '[ $rc -eq 0 ] && grep -q "12 found and sound" "$work/x.out"'

"$mexa" dataset styles >"$work/styles.out" 2>&1; rc=$?
check "dataset styles lists every style with its download layout (11, CAS(ME)^2, SAMM-LV and the MEGC 2019 composite among them)" \
  '[ $rc -eq 0 ] && [ "$(grep -c "^[a-z]" "$work/styles.out")" -eq 11 ] && grep -q "^megc2019 " "$work/styles.out" && grep -q "^casme-sq .*CAS(ME)^2 long videos" "$work/styles.out" && grep -q "rawpic/s15/15_0101" "$work/styles.out"'
"$mexa" dataset styles --json >"$work/styles.json" 2>&1; rc=$?
check "... and as JSON" '[ $rc -eq 0 ] && [ "$($py -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$work/styles.json")" = 11 ]'

# Planted faults, one each, on copies.
by_number() { ls "$1" | awk -F'reg_img' '{print $2 + 0, $0}' | sort -n | cut -d' ' -f2; }  # frame files in order
fault() {  # fault NAME: copy the install to $work/NAME and print its path
  rm -rf "$work/$1"; cp -r "$root" "$work/$1"; echo "$work/$1"
}
r=$(fault missing); rm -r "$r/CASME2_RAW/sub01/EP01_01f"
"$mexa" dataset check "${common[@]}" "$r" "$r/CASME2-coding-20140508.xls" >"$work/f1.out" 2>&1; rc=$?
check "a missing clip folder: exit 1, named" '[ $rc -eq 1 ] && grep -q "missing: .*sub01/EP01_01f" "$work/f1.out"'
r=$(fault gap); victim=$(by_number "$r/CASME2_RAW/sub02/EP02_02f" | sed -n 5p); rm "$r/CASME2_RAW/sub02/EP02_02f/$victim"
"$mexa" dataset check "${common[@]}" "$r" "$r/CASME2-coding-20140508.xls" >"$work/f2.out" 2>&1; rc=$?
check "a frame missing in the middle: exit 1, the clip and the gap named" \
  '[ $rc -eq 1 ] && grep "EP02_02f" "$work/f2.out" | grep -q -i "missing\|gap"'
r=$(fault empty); : > "$r/CASME2_RAW/sub03/EP03_03f/$(ls "$r/CASME2_RAW/sub03/EP03_03f" | head -1)"
"$mexa" dataset check "${common[@]}" "$r" "$r/CASME2-coding-20140508.xls" >"$work/f3.out" 2>&1; rc=$?
check "an empty image: exit 1, the file named" '[ $rc -eq 1 ] && grep -q "EP03_03f/reg_img[0-9]*.jpg is empty" "$work/f3.out"'
r=$(fault garbage); echo "not a jpeg" > "$r/CASME2_RAW/sub01/EP04_01f/$(ls "$r/CASME2_RAW/sub01/EP04_01f" | tail -1)"
"$mexa" dataset check "${common[@]}" "$r" "$r/CASME2-coding-20140508.xls" >"$work/f4.out" 2>&1; rc=$?
check "an image that is not a JPEG: exit 1, named" '[ $rc -eq 1 ] && grep -q "is not a JPEG image" "$work/f4.out"'
r=$(fault short); d="$r/CASME2_RAW/sub02/EP05_02f"; for f in $(by_number "$d" | tail -n 40); do rm "$d/$f"; done
"$mexa" dataset check "${common[@]}" "$r" "$r/CASME2-coding-20140508.xls" >"$work/f5.out" 2>&1; rc=$?
check "a clip shorter than its annotated offset: exit 1, says so" '[ $rc -eq 1 ] && grep "EP05_02f" "$work/f5.out" | grep -q "offset is frame"'
"$mexa" dataset check "${common[@]}" --sheet Sheet9 "$root" "$ann" >"$work/f6.out" 2>&1; rc=$?
check "a wrong --sheet: exit 3, lists the sheets" '[ $rc -eq 3 ] && grep -q "no sheet .Sheet9. (sheets: 0 .Sheet1.)" "$work/f6.out"'
"$mexa" dataset check --style samm "$root" >"$work/f7.out" 2>&1; rc=$?
check "no annotation file for the style: exit 2, says to give it" '[ $rc -eq 2 ] && grep -q "no samm annotation file" "$work/f7.out"'

# The manifest it writes is a mexa manifest every command reads.
"$mexa" dataset manifest "${common[@]}" "$root" "$ann" --out "$work/casme2.csv" >"$work/m.out" 2>&1; rc=$?
check "dataset manifest: exit 0, 12 clips" '[ $rc -eq 0 ] && grep -q "12 clips" "$work/m.out" && [ "$(wc -l < "$work/casme2.csv")" -eq 13 ]'
check "its onsets are 0-based frame indices (the file numbers minus the first)" \
  '[ "$(sed -n 2p "$work/casme2.csv" | cut -d, -f4)" = "$(sed -n 2p "$root/annotations.csv" | cut -d, -f4)" ]'
casme2_classes=happiness,disgust,repression,surprise,others  # CASME II's 5-class protocol: the style's default
check "dataset manifest says which classes to train it with" 'grep -q -- "train it with --classes $casme2_classes" "$work/m.out"'
"$mexa" manifest --classes "$casme2_classes" "$work/casme2.csv" >"$work/mm.out" 2>&1; rc=$?
check "mexa manifest validates it (12 rows, none skipped, none excluded)" \
  '[ $rc -eq 0 ] && grep -q "12 rows, 0 skipped, 0 excluded by the class set" "$work/mm.out"'
# CASME II's own labels as the workbook writes them: fear is outside its
# 5-class protocol (excluded: exit 0); a label no dataset uses is a bad row (exit 1).
real="$work/CASME2-coding-real.csv"
printf 'Subject,Filename,,OnsetFrame,ApexFrame,OffsetFrame,,Action Units,Estimated Emotion\n1,EP02_01f,,46,59,86,,12,happiness\n1,EP03_02,,10,20,30,,4,repression\n2,EP02_02f,,10,20,30,,4,fear\n2,EP01_11f,,10,20,30,,1,others\n' > "$real"
"$mexa" manifest --style casme2 --no-path-check "$real" >"$work/real.out" 2>"$work/real.err"; rc=$?
check "mexa manifest: a row excluded by the class set is no problem (exit 0), tabled by class" \
  '[ $rc -eq 0 ] && grep -q "3 rows, 0 skipped, 1 excluded by the class set" "$work/real.out" && grep -q "1  excluded by the class set: fear" "$work/real.out"'
printf '3,EP01_05,,10,20,30,,15,joy\n3,EP01_06,,10,20,30,,15,glee\n' >> "$real"
"$mexa" manifest --style casme2 --no-path-check "$real" >"$work/real.out" 2>"$work/real.err"; rc=$?
check "... bad rows: exit 1, one summary line per cause on stderr, a table of causes" \
  '[ $rc -eq 1 ] && [ "$(grep -c "rows skipped: unknown class" "$work/real.err")" -eq 1 ] && grep -q "2  skipped: unknown class" "$work/real.out"'
printf 'joy,happiness\nglee,happiness\n' > "$work/map.csv"
"$mexa" manifest --style casme2 --no-path-check --class-map "$work/map.csv" "$real" >"$work/real.out" 2>&1; rc=$?
check "--class-map FILE maps a lab's own spellings (exit 0, 5 rows)" '[ $rc -eq 0 ] && grep -q "^.*: 5 rows, 0 skipped" "$work/real.out"'
"$mexa" train --data "$work/casme2.csv" --classes "$casme2_classes" --out "$work/run" --model small3d --input onset-difference --frames 4 --size 16x16 \
  --epochs 1 --batch 8 --protocol loso --log-level warn >"$work/t.out" 2>&1; rc=$?
check "LOSO training on it runs to a pooled result" '[ $rc -eq 0 ] && [ -s "$work/run/summary.json" ] && grep -q "loso over 3 folds" "$work/t.out"'
# SAMM: free-text rows above the header, 3-digit subject folders, 5-digit file numbers.
samm="$work/SAMM"
"$mexa" synth --out "$samm" --layout samm --format jpg --clips 9 --subjects 3 --seed 6 --size 64x64 --log-level warn \
  >/dev/null || exit 1
check "synth --layout samm writes 006/006_1_1/006_0NNNN.jpg" 'ls "$samm"/006/006_1_1/006_0*.jpg >/dev/null'
to_workbooks "$samm/SAMM_synth_FACS_Codes.csv" "$samm/SAMM_Micro_FACS_Codes_v2"
rm "$samm/SAMM_synth_FACS_Codes.csv" "$samm/SAMM_Micro_FACS_Codes_v2.xls"
"$mexa" dataset check --style samm "$samm" >"$work/s1.out" 2>&1; rc=$?
check "SAMM install (header below 11 text rows, found under ROOT): exit 0, 9 of 9" \
  '[ $rc -eq 0 ] && grep -q "SAMM_Micro_FACS_Codes_v2.xlsx:Sheet1: 9 annotated clips, 9 found and sound" "$work/s1.out"'
r="$work/samm-gap"; rm -rf "$r"; cp -r "$samm" "$r"; victim=$(ls "$r/007/007_2_2" | sort | sed -n 6p); rm "$r/007/007_2_2/$victim"
"$mexa" dataset check --quick --style samm "$r" >"$work/s2.out" 2>&1; rc=$?
check "SAMM with a frame missing in the middle: exit 1, the clip and the gap named" \
  '[ $rc -eq 1 ] && grep "007_2_2" "$work/s2.out" | grep -q "gap"'
"$mexa" dataset manifest --style samm "$samm" --out "$work/samm.csv" >/dev/null 2>&1; rc=$?
check "SAMM manifest: exit 0" '[ $rc -eq 0 ] && [ "$(wc -l < "$work/samm.csv")" -eq 10 ]'
check "its frame indices equal the truth synth wrote" \
  'diff <(cut -d, -f4-6 "$work/samm.csv" | tail -n +2 | sort) <(cut -d, -f4-6 "$samm/annotations.csv" | tail -n +2 | sort) >/dev/null'
"$mexa" train --data "$work/samm.csv" --out "$work/samm-run" --model small3d --input onset-difference --frames 4 \
  --size 16x16 --epochs 1 --batch 8 --protocol loso --log-level warn >/dev/null 2>&1; rc=$?
check "LOSO on the SAMM manifest runs" '[ $rc -eq 0 ] && [ -s "$work/samm-run/summary.json" ]'
"$mexa" score "$work/samm.csv" --model "$(ls "$work"/samm-run/folds/*/last.pt | head -1)" --out "$work/samm.h5" --log-level warn \
  >"$work/score.out" 2>&1; rc=$?
check "score on the SAMM manifest: exit 0, 9 clips" '[ $rc -eq 0 ] && grep -q "9 clips written (9 ok" "$work/score.out"'
# SMIC-HS (subject/micro/class/clip/image*.bmp, no apex, relative to FirstF) and CAS(ME)^3 part A
# (spNO.N/clip/color/N.jpg): each sound, then with one planted fault.
smic="$work/SMIC"
"$mexa" synth --out "$smic" --layout smic --format jpg --clips 8 --subjects 2 --seed 7 --size 64x64 --log-level warn >/dev/null || exit 1
to_workbooks "$smic/SMIC-HS-E_annotation_synth.csv" "$smic/SMIC-HS-E_annotation"
rm "$smic/SMIC-HS-E_annotation_synth.csv" "$smic/SMIC-HS-E_annotation.xls"
smic_args=(--style smic)  # the style's defaults: HS/{subject}/micro/{emotion}/{clip}, MEGC's 3 classes
"$mexa" dataset check "${smic_args[@]}" "$smic" >"$work/sm1.out" 2>&1; rc=$?
check "SMIC layout (BMP frames, class folders, FirstF): exit 0, 8 of 8 at 100 fps" \
  '[ $rc -eq 0 ] && grep -q "8 annotated clips, 8 found and sound, 2 subjects, 100 fps" "$work/sm1.out"'
r="$work/smic-bad"; rm -rf "$r"; cp -r "$smic" "$r"
bmp=$(find "$r/HS" -name "image*.bmp" | sort | sed -n 10p); echo "not a bitmap" > "$bmp"
"$mexa" dataset check "${smic_args[@]}" "$r" >"$work/sm2.out" 2>&1; rc=$?
check "SMIC with a damaged frame: exit 1, the file named" '[ $rc -eq 1 ] && grep -q "$(basename "$bmp") is not a BMP image" "$work/sm2.out"'
c3="$work/CASME3"
"$mexa" synth --out "$c3" --layout casme3 --format jpg --clips 8 --subjects 2 --seed 8 --size 64x64 --log-level warn >/dev/null || exit 1
"$mexa" dataset check --style casme3 "$c3" >"$work/c31.out" 2>&1; rc=$?
# 8 videos, two of them with a second micro-expression: 10 rows, one labelled
# "others" (outside CAS(ME)^3's 6 classes: excluded, not a problem).
check "CAS(ME)^3 layout (found under ROOT): exit 0, 9 of 9 (one 'others' row excluded)" \
  '[ $rc -eq 0 ] && grep -q "9 annotated clips, 9 found and sound" "$work/c31.out" && grep -q "^1 rows left out by the class set" "$work/c31.out"'
"$mexa" dataset manifest --style casme3 "$c3" --out "$work/c3.csv" >"$work/c3m.out" 2>&1; rc=$?
check "CAS(ME)^3 manifest: ids carry the onset, two expressions share a video folder, happy/sad read as happiness/sadness" \
  '[ $rc -eq 0 ] && /usr/bin/python3 -c "
import csv, collections, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 9, len(rows)
assert all(r[\"clip\"].rsplit(\"_\", 1)[1].isdigit() for r in rows), [r[\"clip\"] for r in rows]
assert max(collections.Counter(r[\"path\"] for r in rows).values()) == 2
assert {\"happiness\", \"sadness\"} <= {r[\"emotion\"] for r in rows}, {r[\"emotion\"] for r in rows}
" "$work/c3.csv"'
rm "$c3/spNO.1/a1/color/$(ls "$c3/spNO.1/a1/color" | sort -n | sed -n 3p)"
"$mexa" dataset check --style casme3 "$c3" >"$work/c32.out" 2>&1; rc=$?
check "CAS(ME)^3 with a frame missing: exit 1, the gap named" '[ $rc -eq 1 ] && grep -q "spNO.1/a1/color: frame folder has a gap" "$work/c32.out"'

# The MEGC 2019 composite as one manifest: dataset-prefixed subjects, megc3 classes, per-dataset metrics.
"$mexa" dataset composite --part "casme2=$root" --part "samm=$samm" --classes megc3 \
  --path-template "CASME2_RAW/sub{subject:02}/{clip}" --out "$work/megc.csv" >"$work/c.out" 2>&1; rc=$?
check "dataset composite refuses a --path-template meant for one part (2)" '[ $rc -eq 2 ] && grep -q "every one" "$work/c.out"'
"$mexa" dataset composite --part "casme2=$root/CASME2_RAW,$root/CASME2-coding-20140508.xlsx" --part "samm=$samm" \
  --classes megc3 --out "$work/megc.csv" >"$work/c.out" 2>&1; rc=$?
check "dataset composite (CASME II + SAMM, megc3): exit 0, 21 clips from 2 datasets" \
  '[ $rc -eq 0 ] && grep -q "21 clips from 2 datasets" "$work/c.out"'
check "subjects are prefixed with the dataset and a dataset column is written" \
  'head -1 "$work/megc.csv" | grep -q ",dataset$" && grep -q "^casme2/1," "$work/megc.csv" && grep -q "^samm/6," "$work/megc.csv"'
check "emotions are MEGC's 3 classes" '[ -z "$(tail -n +2 "$work/megc.csv" | cut -d, -f7 | sort -u | grep -v -x -e negative -e positive -e surprise)" ]'
"$mexa" train --data "$work/megc.csv" --classes megc3 --out "$work/megc-run" --model small3d --input onset-difference \
  --frames 4 --size 16x16 --epochs 1 --batch 8 --protocol loso --log-level warn >"$work/megc.out" 2>&1; rc=$?
check "LOSO over the composite: 6 folds (3 subjects each), pooled and per-dataset metrics" \
  '[ $rc -eq 0 ] && grep -q "loso over 6 folds" "$work/megc.out" && [ "$(/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1]))[\"per_dataset\"]; print(d[\"casme2\"][\"n\"], d[\"samm\"][\"n\"])" "$work/megc-run/summary.json")" = "12 9" ]'
check "the printed report breaks the metrics down per dataset" 'grep -q "^  casme2 .*UF1" "$work/megc.out" && grep -q "^  samm .*UF1" "$work/megc.out"'
# The MEGC composite straight from the datasets' own files: `mexa train --data A --data B --data C`
# (SAMM's style recognised from its folder's name, SMIC's from its workbook's), written to RUN/data.csv.
"$mexa" train --data "casme2=$root/CASME2_RAW,$root/CASME2-coding-20140508.xlsx" --data "$samm" \
  --data "$smic/SMIC-HS-E_annotation.xlsx" --out "$work/megc-run2" --model small3d --input onset-difference --frames 4 \
  --size 16x16 --epochs 1 --batch 8 --protocol loso --log-level warn >"$work/megc2.out" 2>&1; rc=$?
check "train --data casme2=... --data SAMM --data SMIC.xlsx: megc3 by default, 8 LOSO folds, per-dataset 12, 9, 8" \
  '[ $rc -eq 0 ] && grep -q "loso over 8 folds" "$work/megc2.out" && [ "$(/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1]))[\"per_dataset\"]; print(d[\"casme2\"][\"n\"], d[\"samm\"][\"n\"], d[\"smic\"][\"n\"])" "$work/megc-run2/summary.json")" = "12 9 8" ]'
check "... its RUN/data.csv holds the rows dataset composite wrote for CASME II and SAMM" \
  '[ "$(tail -n +2 "$work/megc-run2/data.csv" | grep -v ",smic$" | cut -d, -f1,2,4-10 | sort | md5sum)" = "$(tail -n +2 "$work/megc.csv" | cut -d, -f1,2,4-10 | sort | md5sum)" ]'
"$mexa" train --data "$samm" --data "$smic/SMIC-HS-E_annotation.xlsx" --sheet 0 --out "$work/megc-run4" --log-level warn \
  >"$work/megc4.out" 2>&1; rc=$?
check "several datasets with --sheet (meant for one): exit 2" '[ $rc -eq 2 ] && grep -q "every one" "$work/megc4.out"'
"$mexa" train --data "$work/megc-run2/data.csv" --data "$samm" --out "$work/megc-run3" --log-level warn >"$work/megc3.out" 2>&1; rc=$?
check "a manifest among datasets: exit 2, says --data takes one manifest or datasets" '[ $rc -eq 2 ] && grep -q "is a mexa manifest; --data takes one manifest" "$work/megc3.out"'

# CAS(ME)^2 long videos: rawpic/s15/15_0101synthvideo/img1.jpg, codes without a header row, the
# naming sheets (subject number -> folder code, video name -> 4-digit code) in the same workbook.
sq="$work/CASME_sq"
"$mexa" synth --out "$sq" --layout casme-sq --long --long-seconds 10 --format jpg --subjects 2 --seed 3 --size 64x64 \
  --log-level warn >/dev/null || exit 1
$py - "$sq" <<'PY'
import csv, sys, openpyxl
d = sys.argv[1] + "/CAS(ME)^2code_final_synth"
def value(t): return int(t) if t.isdigit() and not t.startswith("0") else t
book = openpyxl.Workbook(); book.active.title = "Sheet1"
for row in csv.reader(open(d + ".csv")): book.active.append([value(t) for t in row])
for name, f in (("naming rule2", d + ".subjects.csv"), ("naming rule1", d + ".videos.csv")):
    sheet = book.create_sheet(name)
    for row in csv.reader(open(f)): sheet.append([value(t) for t in row])
book.save(sys.argv[1] + "/CAS(ME)^2code_final.xlsx")
PY
rm "$sq"/"CAS(ME)^2code_final_synth"*.csv
micro=$(($(wc -l < "$sq/annotations.csv") - 1)); all=$(($(wc -l < "$sq/intervals.csv") - 1))
"$mexa" dataset check --style casme-sq "$sq" >"$work/q1.out" 2>&1; rc=$?
check "CAS(ME)^2 install (no header, naming sheets): exit 0, the $micro micro-expressions found, macro ones left out" \
  '[ $rc -eq 0 ] && grep -q "Sheet1: $micro annotated clips, $micro found and sound, 2 subjects" "$work/q1.out" && grep -q "$((all - micro)) rows left out" "$work/q1.out"'
"$mexa" dataset check --style casme-sq --expression all "$sq" >"$work/q2.out" 2>&1; rc=$?
check "--expression all: the $all intervals" '[ $rc -eq 0 ] && grep -q "$all annotated clips, $all found" "$work/q2.out"'
"$mexa" dataset manifest --style casme-sq "$sq" --out "$work/sq.csv" >/dev/null 2>&1; rc=$?
check "its manifest: 1-based file numbers made 0-based (as the truth), offset 0 read as 'ends at the apex'" \
  '[ $rc -eq 0 ] && first=$(sed -n 2p "$sq/intervals.csv") && [ "$(echo "$first" | cut -d, -f7)" = micro ] && grep -q "^1,synthvideo_1,.*rawpic/s15/15_0101synthvideo,$(echo "$first" | cut -d, -f4-5),$(echo "$first" | cut -d, -f5)," "$work/sq.csv"'
r="$work/sq-cut"; rm -rf "$r"; cp -r "$sq" "$r"; frame="$r/rawpic/s16/16_0101synthvideo/img700.jpg"
head -c 300 "$frame" > "$work/cut.jpg"; mv "$work/cut.jpg" "$frame"
"$mexa" dataset check --style casme-sq "$r" >"$work/q3.out" 2>&1; rc=$?
check "a JPEG cut short in a long video: exit 1, the file named (its header looks right: only decoding finds it)" \
  '[ $rc -eq 1 ] && grep -q "1 of 2000 frames do not decode: .*16_0101synthvideo/img700.jpg" "$work/q3.out"'
"$mexa" dataset check --quick --style casme-sq "$r" >"$work/q4.out" 2>&1; rc=$?
check "--quick checks headers and numbering only (exit 0 there)" '[ $rc -eq 0 ]'
"$mexa" dataset check --style casme-sq --sheet "naming rule1" "$sq" >"$work/q5.out" 2>&1; rc=$?
check "the wrong sheet: exit 1, its rows named file:sheet:row" \
  '[ $rc -eq 1 ] && grep -q "CAS(ME)^2code_final.xlsx:naming rule1:1: type .. is neither a micro- nor a macro-expression" "$work/q5.out"'
"$mexa" train --data "casme-sq=$sq" --out "$work/sq-run" --model small3d --input onset-difference --frames 4 --size 16x16 \
  --epochs 2 --stop-after-epoch 1 --batch 8 --protocol loso --log-level warn >"$work/q6.out" 2>&1; rc=$?
check "train --data casme-sq=ROOT stopped after epoch 1: the hint resumes from config.ini's --data" \
  '[ $rc -eq 0 ] && grep -q "continue with: mexa train --out .*sq-run --resume" "$work/q6.out" && grep -q "^classes = megc3$" "$work/sq-run/config.ini"'
"$mexa" train --out "$work/sq-run" --resume --log-level warn >"$work/q7.out" 2>&1; rc=$?
check "... --resume alone: LOSO over the 2 subjects on the $micro micro intervals" \
  '[ $rc -eq 0 ] && grep -q "loso over 2 folds" "$work/q7.out" && grep -q "^clips $micro " "$work/q7.out"'
"$mexa" score "$work/sq.csv" --model "$(ls "$work"/sq-run/folds/*/last.pt | head -1)" --out "$work/sq.h5" --log-level warn \
  >"$work/q10.out" 2>&1; rc=$?
check "score on the CAS(ME)^2 manifest (intervals of long videos): exit 0, every clip ok" \
  '[ $rc -eq 0 ] && grep -q "$micro clips written ($micro ok" "$work/q10.out"'
"$mexa" train --out "$work/sq-run" --resume --classes dfme --log-level warn >"$work/q8.out" 2>&1; rc=$?
check "... --resume with another class set: exit 2, named" '[ $rc -eq 2 ] && grep -q "classes is megc3" "$work/q8.out"'
"$mexa" train --data "casme-sq=$sq" --expression all --out "$work/sq-all" --model small3d --input onset-difference \
  --frames 4 --size 16x16 --epochs 1 --batch 8 --protocol loso --log-level warn >"$work/q9.out" 2>&1; rc=$?
check "train --data casme-sq=ROOT --expression all: all $all intervals" '[ $rc -eq 0 ] && grep -q "^clips $all " "$work/q9.out"'

# SAMM long videos: SAMM_longvideos/006_1/006_1_0001.jpg, free text above the header, no emotion:
# the class is the interval's type (micro, macro).
lv="$work/SAMMLV"
"$mexa" synth --out "$lv" --layout samm-lv --long --long-seconds 10 --format jpg --subjects 2 --seed 4 --size 64x64 \
  --log-level warn >/dev/null || exit 1
to_workbooks "$lv/SAMM_LongVideos_synth.csv" "$lv/SAMM_LongVideos_V2_Release"
rm "$lv/SAMM_LongVideos_synth.csv" "$lv/SAMM_LongVideos_V2_Release.xls"
n_lv=$(($(wc -l < "$lv/intervals.csv") - 1)); n_micro=$(grep -c ",micro," "$lv/intervals.csv")
"$mexa" dataset check --style samm-lv "$lv/SAMM_longvideos" "$lv/SAMM_LongVideos_V2_Release.xlsx" >"$work/l1.out" 2>&1; rc=$?
check "SAMM-LV install: exit 0, all $n_lv intervals, classes micro/macro" \
  '[ $rc -eq 0 ] && grep -q "$n_lv annotated clips, $n_lv found and sound, 2 subjects, 200 fps" "$work/l1.out" && grep -q "^classes: macro $((n_lv - n_micro)), micro $n_micro$" "$work/l1.out"'
r="$work/lv-missing"; rm -rf "$r"; cp -r "$lv" "$r"; rm -r "$r/SAMM_longvideos/007_1"
"$mexa" dataset check --style samm-lv "$r/SAMM_longvideos" "$r/SAMM_LongVideos_V2_Release.xlsx" >"$work/l2.out" 2>&1; rc=$?
check "a missing long video: exit 1, each of its intervals named" \
  '[ $rc -eq 1 ] && [ "$(grep -c "missing: .*SAMM_longvideos/007_1$" "$work/l2.out")" -eq "$(grep -c "^7," "$lv/intervals.csv")" ]'
"$mexa" dataset check --style samm-lv --classes happiness "$lv/SAMM_longvideos" "$lv/SAMM_LongVideos_V2_Release.xlsx" >"$work/l3.out" 2>&1; rc=$?
check "--classes with one name: exit 2" '[ $rc -eq 2 ] && grep -q "two or more" "$work/l3.out"'
finish
