#!/usr/bin/env bash
# Makes the decoder test data with the ffmpeg CLI (the reference encoder and
# decoder): one clip per codec, the reference `-f framemd5` of each, and one
# file per kind of bad input. Idempotent: skips work when OUT/.done holds this
# script's version (bump it when the data changes).
#
#   tests/tools/make_test_clips.sh OUT
set -euo pipefail
out="${1:?usage: make_test_clips.sh OUT}"
version=2
[ "$(cat "$out/.done" 2>/dev/null)" = "$version" ] && exit 0
rm -rf "$out"
mkdir -p "$out/bad"
cd "$out"

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
src=(-f lavfi -i "testsrc2=size=160x120:rate=200")

# One clip per codec; 200 fps like DFME part C. h264 with B-frames (3) and an
# open GOP stresses reordering and the end-of-stream drain.
ff "${src[@]}" -t 1.5 -c:v libx264 -bf 3 -g 40 -pix_fmt yuv420p h264.mp4
ff "${src[@]}" -t 1 -c:v libx265 -x265-params log-level=error hevc.mkv
ff "${src[@]}" -t 1 -c:v mpeg4 -bf 2 -g 25 mpeg4.avi
ff "${src[@]}" -t 1 -c:v mjpeg mjpeg.avi
ff "${src[@]}" -t 1 -c:v libvpx-vp9 -deadline realtime -g 30 vp9.webm
ff "${src[@]}" -t 1 -c:v ffv1 ffv1.mkv
mkdir -p png_folder && ff "${src[@]}" -t 0.5 -start_number 1 png_folder/%05d.png
# CASME II naming: reg_img46.jpg, reg_img47.jpg, ... (unpadded, not starting at 0 or 1).
mkdir -p jpg_folder && ff "${src[@]}" -t 0.2 -start_number 46 -q:v 2 jpg_folder/reg_img%d.jpg
# Variable frame rate: frame durations alternate between 5 ms and 10 ms.
ff "${src[@]}" -t 0.5 -vf "setpts='(N*1.5 - mod(N,2)*0.5)/200/TB'" -fps_mode vfr -c:v libx264 -bf 2 vfr.mkv

for f in h264.mp4 hevc.mkv mpeg4.avi mjpeg.avi vp9.webm ffv1.mkv vfr.mkv; do
  ff -i "$f" -map 0:v:0 -fps_mode passthrough -f framemd5 "$f.framemd5"
done
ff -i png_folder/%05d.png -map 0:v:0 -fps_mode passthrough -f framemd5 png_folder.framemd5
ff -start_number 46 -i jpg_folder/reg_img%d.jpg -map 0:v:0 -fps_mode passthrough -f framemd5 jpg_folder.framemd5
bugy=/usr/share/doc/opencv-doc/examples/data/Megamind_bugy.avi
[ -f "$bugy" ] && ff -i "$bugy" -map 0:v:0 -fps_mode passthrough -f framemd5 megamind_bugy.framemd5
ffprobe -v error -select_streams v:0 -show_entries frame=best_effort_timestamp_time -of csv=p=0 vfr.mkv > vfr.times
# Display matrices (a phone video stored sideways): lossless grey PNG frames in
# MOV, and the ffmpeg CLI's autorotated frames as the reference.
ff -f lavfi -i "testsrc=size=24x16:rate=25:duration=0.12" -c:v png -pix_fmt gray upright.mov
for r in 90 180 270; do
  ff -i upright.mov -c copy -metadata:s:v:0 rotate=$r rotate_$r.mov
  ff -i rotate_$r.mov -map 0:v:0 -fps_mode passthrough -pix_fmt gray -f framemd5 rotate_$r.mov.framemd5
done

# Bad inputs, one per kind.
: > bad/empty.mp4
printf 'this is not a video\n' > bad/text.mp4
ff "${src[@]}" -t 1 -c:v libx264 -pix_fmt yuv420p whole.mp4            # moov at the end
head -c "$(( $(stat -c %s whole.mp4) / 2 ))" whole.mp4 > bad/no_moov.mp4
ff "${src[@]}" -t 1 -c:v libx264 -pix_fmt yuv420p -movflags +faststart faststart.mp4
head -c "$(( $(stat -c %s faststart.mp4) * 6 / 10 ))" faststart.mp4 > bad/cut_mid_stream.mp4
ff -f lavfi -i "sine=frequency=440:duration=1" -c:a aac bad/audio_only.mp4
mkdir -p bad/gap_folder && ff "${src[@]}" -t 0.05 -start_number 1 bad/gap_folder/img%d.jpg
rm bad/gap_folder/img5.jpg
# Damaged packets: 3 KB of garbage written over the middle of an MPEG-4 AVI.
cp mpeg4.avi bad/corrupt_packets.avi
{ yes || true; } | head -c 3000 | dd of=bad/corrupt_packets.avi bs=1 seek=40000 conv=notrunc status=none
ff -i bad/corrupt_packets.avi -map 0:v:0 -fps_mode passthrough -f framemd5 corrupt_packets.framemd5
cp h264.mp4 bad/unreadable.mp4 && chmod 000 bad/unreadable.mp4
rm -f whole.mp4 faststart.mp4
echo "$version" > .done
