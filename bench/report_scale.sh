#!/usr/bin/env bash
# `mexa report` on a large results file: 100,000 clips x 100 frames (10 million
# frame rows; results_tool large). Measures the file's size, the report's wall
# time and peak memory, and the page's size; writes the table to OUT.
#   bench/report_scale.sh BUILD_DIR WORK_DIR OUT.md
set -euo pipefail
build="$1"; work="$2"; out="$3"
mkdir -p "$work"
big="$work/large.h5"
clips=100000 frames=100
start=$(date +%s.%N)
"$build/tests/results_tool" large "$big" "$clips" "$frames"
made=$(echo "$(date +%s.%N) - $start" | bc)
measure() {  # measure NAME ARGS...: wall seconds and peak RSS (MiB) of `mexa report ARGS`
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$build/mexa" report "$@" >/dev/null
  read -r wall rss < "$work/time.txt"
  echo "$wall $((rss / 1024))"
}
read -r wall rss < <(measure "$big" --out "$work/large.html")
read -r wall2 rss2 < <(measure "$big" --out "$work/large-10.html" --clips-per-class 10)
size() { echo "$(( $(stat -c %s "$1") / 1024 / 1024 )) MiB"; }
kib() { echo "$(( $(stat -c %s "$1") / 1024 )) KiB"; }
{
  echo "# \`mexa report\` on a large results file"
  echo
  echo "Command: \`scripts/bench report_scale\`. Machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d); one run each."
  echo "The file: $clips clips x $frames frames = $((clips * frames)) frame rows, no landmarks or per-frame"
  echo "probabilities ($(size "$big"), written in ${made%.*} s by \`results_tool large\`)."
  echo
  echo "| report | wall time | peak memory | page size |"
  echo "|---|---:|---:|---:|"
  echo "| default (2 clips plotted per predicted class) | ${wall} s | ${rss} MiB | $(kib "$work/large.html") |"
  echo "| \`--clips-per-class 10\` | ${wall2} s | ${rss2} MiB | $(kib "$work/large-10.html") |"
  echo
  echo "The synthetic rows are regular, so HDF5's compression makes the file small; a real file of this shape is larger,"
  echo "and the report's cost does not grow with it: only \`/clips\` is read whole; per-frame rows are read for the plotted clips alone (the per-clip"
  echo "face-detection rates are computed from every frame only when the file has at most 2 million frames)."
} > "$out"
cat "$out"
rm -f "$big"
