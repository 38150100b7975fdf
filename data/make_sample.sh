#!/usr/bin/env bash
# Recipe of the built-in sample in data/sample/ (committed; re-run to remake it).
# A 128x128, 200 fps clip (DFME part C's rate, CASME II's cropped size) as an
# h264 video and as a CASME II-style frame folder (reg_img46.jpg ...).
# Until `mexa synth` exists the pictures are FFmpeg's test pattern.
set -euo pipefail
cd "$(dirname "$0")/sample"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
ff -f lavfi -i "testsrc2=size=128x128:rate=200" -t 1 -c:v libx264 -bf 3 -pix_fmt yuv420p \
   -fflags +bitexact -flags +bitexact sample_200fps.mp4
rm -rf sample_frames && mkdir sample_frames
ff -f lavfi -i "testsrc2=size=128x128:rate=200" -t 0.25 -start_number 46 -q:v 2 sample_frames/reg_img%d.jpg
