#!/usr/bin/env bash
# Writes the seed inputs of each fuzz target into corpus/TARGET (before
# fuzzing; scripts/fuzz then adds what libFuzzer finds and minimises).
#   tests/fuzz/make_seed_corpus.sh MEXA   (MEXA: a built mexa binary, for a results file)
set -euo pipefail
cd "$(dirname "$0")"
mexa="$1"
c=corpus
mkdir -p $c/{csv,manifest,action_units,frame_names,results,video,ini}
root=../..
# CSV and manifests: the sample's annotations and the dataset header styles.
cp $root/data/sample/annotations.csv $c/csv/sample.csv
printf 'a,b,c\n"x, y","say ""hi""","two\nlines"\nlast,,\n' > $c/csv/quoted.csv
printf '\xEF\xBB\xBFsubject,clip\r\n\r\n01,EP02\r\n02,EP03' > $c/csv/bom_crlf.csv
{ printf '\x00'; cat $root/data/sample/annotations.csv; } > $c/manifest/mexa.csv
printf '\x01Subject,Filename,OnsetFrame,ApexFrame,OffsetFrame,Action Units,Estimated Emotion\n1,EP02_01f,46,59,86,4+L10,disgust\n2,EP03_02,1,/,40,R12,happiness\n' > $c/manifest/casme2.csv
printf '\x02Designed for,SAMM\nfree text,,\nSubject,Filename,Inducement Code,Onset Frame,Apex Frame,Offset Frame,Duration,Type,Action Units,Notes,Estimated Emotion\n006,006_1_2,1,5562,5588,5632,71,Micro - 1/2,4+7,,Anger\n' > $c/manifest/samm.csv
printf '\x03Subject,Filename,Onset,Apex,Offset,AU,emotion\nspNO.1,a,0,10,20,4+7,disgust\n' > $c/manifest/casme3.csv
printf '\x84Subject,Filename,FirstF,OnsetF,OffsetF,Emotion\ns1,n_1,1000,1002,1030,negative\n' > $c/manifest/smic_megc3.csv
# INI configs: a real one, every value kind, sections, comments, bad lines.
cp $root/configs/small3d-synth.ini $c/ini/small3d-synth.ini
printf 'data = a.csv\nepochs = 3\nseed = 18446744073709551615\nlr = 1e-3\namp = true\nonset-difference = no\ninput = x\ninput = y\n' > $c/ini/kinds.ini
printf '[section]\nkey = value\n# comment\n;other\nepochs=\nlr = nan\n' > $c/ini/sections.ini
printf 'bogus = 1\n= 2\nepochs 3\n\xff\xfe = \x00\n' > $c/ini/bad.ini
# Action units.
for s in 'AU4+AU7' 'R14A+L14A+4' '4+L10' 'RAU14' 'AU12L, au6' 'none' '?'; do printf '%s' "$s" > "$c/action_units/$(echo "$s" | tr -c 'A-Za-z0-9' _)"; done
# Frame folder listings.
printf 'img1.jpg\nimg2.jpg\nimg3.jpg\nnotes.txt' > $c/frame_names/dfme
printf 'reg_img46.jpg\nreg_img47.jpg\nreg_img48.jpg\nThumbs.db' > $c/frame_names/casme2
printf '00001.png\n00002.png\n00004.png' > $c/frame_names/gap
printf 'a1.jpg\na2.jpg\nb1.png\nb2.png' > $c/frame_names/ambiguous
# Videos: tiny clips in the containers and codecs users bring.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
src="testsrc=size=32x24:rate=25:duration=0.16"
ffmpeg -v error -y -f lavfi -i "$src" -c:v mpeg4 $c/video/mpeg4.mp4
ffmpeg -v error -y -f lavfi -i "$src" -c:v mjpeg $c/video/mjpeg.avi
ffmpeg -v error -y -f lavfi -i "$src" -c:v ffv1 $c/video/ffv1.mkv
ffmpeg -v error -y -f lavfi -i "$src" -c:v rawvideo -pix_fmt gray -f nut $c/video/raw.nut
ffmpeg -v error -y -f lavfi -i "$src" -c:v gif $c/video/anim.gif
# A results file written by mexa score (2 clips of the sample, a tiny model).
"$mexa" synth --out "$tmp/set" --clips 4 --subjects 2 --seed 3 --log-level warn >/dev/null
"$mexa" train --data "$tmp/set/annotations.csv" --out "$tmp/run" --input onset-difference --frames 4 --size 16x16 \
  --protocol kfold --folds 2 --epochs 1 --batch 4 --log-level warn >/dev/null
"$mexa" score "$tmp/set/annotations.csv" --model "$tmp/run/folds/kfold-1/last.pt" --out $c/results/small.h5 --log-level warn >/dev/null
ls -la $c/*/ | head -50
