#!/usr/bin/env bash
# Recipe of the built-in sample in data/sample/ (committed; re-run to remake it,
# byte for byte with the same FFmpeg/OpenCV): 7 synthetic micro-expression
# clips of 3 subjects, 128x128 at 200 fps (DFME part C's rate), h264, with
# data/sample/annotations.csv in mexa's manifest format.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf data/sample
build/mexa synth --out data/sample --clips 7 --subjects 3 --seed 2026 --log-level warn
