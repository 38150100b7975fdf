#!/usr/bin/env bash
# End-to-end checks of `mexa probe` through the real binary.
#   probe_cli_test.sh MEXA CLIPS_DIR
set -uo pipefail
mexa="$1"; clips="$2"
failures=0
passes=0
check() { if eval "$2"; then echo "ok   $1"; passes=$((passes + 1)); else echo "FAIL $1"; failures=$((failures + 1)); fi; }

out=$("$mexa" probe "$clips/h264.mp4" 2>/dev/null); rc=$?
check "probe exits 0 on a good clip" '[ $rc -eq 0 ]'
check "probe prints the exact frame count" 'grep -q "300 decoded (container declares 300)" <<<"$out"'
check "probe prints codec, size and pixel format" 'grep -q "codec *h264" <<<"$out" && grep -q "160x120" <<<"$out" && grep -q "yuv420p" <<<"$out"'

json=$("$mexa" probe --json "$clips/h264.mp4" "$clips/bad/text.mp4" "$clips/png_folder" 2>/tmp/probe_err.$$); rc=$?
check "a failing input gives exit code 1" '[ $rc -eq 1 ]'
check "the other inputs are still probed (JSON)" '/usr/bin/python3 -c "
import json,sys
r=json.loads(sys.argv[1])
assert [x[\"ok\"] for x in r]==[True,False,True], r
assert r[0][\"frames\"]==300 and r[2][\"frames\"]==100 and r[2][\"frame_folder\"]
assert \"Invalid data\" in r[1][\"error\"]
" "$json"'
check "the error names the file on stderr" 'grep -q "bad/text.mp4" /tmp/probe_err.$$'
rm -f /tmp/probe_err.$$

# Every kind of bad input in one batch: each fails with the file named, the good ones still come out.
bad=("$clips/bad/does_not_exist.mp4" "$clips/bad/empty.mp4" "$clips/bad/text.mp4" "$clips/bad/no_moov.mp4"
     "$clips/bad/audio_only.mp4" "$clips/bad/gap_folder")
json=$("$mexa" probe --json "$clips/mpeg4.avi" "${bad[@]}" "$clips/bad/cut_mid_stream.mp4" "$clips/bad/corrupt_packets.avi" \
       "$clips/ffv1.mkv" 2>/tmp/probe_err.$$); rc=$?
check "a batch of bad inputs completes with exit code 1" '[ $rc -eq 1 ]'
check "each bad input is reported, the good and the damaged-but-decodable ones are probed" '/usr/bin/python3 -c "
import json,sys
r=json.loads(sys.argv[1])
assert [x[\"ok\"] for x in r]==[True]+[False]*6+[True,True,True], [x[\"ok\"] for x in r]
assert r[0][\"frames\"]==200 and r[-1][\"frames\"]==200
assert r[7][\"warnings\"] and r[8][\"warnings\"], \"damaged files carry warnings\"
for x in r[1:7]: assert x[\"error\"], x
" "$json"'
check "every failure on stderr names its file" '( for f in "${bad[@]}"; do grep -qF "$f:" /tmp/probe_err.$$ || exit 1; done )'
rm -f /tmp/probe_err.$$

"$mexa" probe --framemd5 "$clips/h264.mp4" 2>/dev/null > /tmp/probe_md5.$$
check "--framemd5 hashes equal ffmpeg's" 'diff <(grep -v "^#" /tmp/probe_md5.$$ | cut -d, -f5,6) <(grep -v "^#" "$clips/h264.mp4.framemd5" | cut -d, -f5,6) >/dev/null'
check "--framemd5 has the framemd5 header" 'grep -q "^#stream#, dts,        pts, duration,     size, hash" /tmp/probe_md5.$$'
rm -f /tmp/probe_md5.$$

"$mexa" probe >/dev/null 2>&1; rc=$?
check "no input is a usage error (2)" '[ $rc -eq 2 ]'
"$mexa" probe --no-such-flag x >/dev/null 2>&1; rc=$?
check "an unknown flag is a usage error (2)" '[ $rc -eq 2 ]'
"$mexa" probe --help >/dev/null 2>&1; rc=$?
check "--help exits 0" '[ $rc -eq 0 ]'
"$mexa" frobnicate >/dev/null 2>&1; rc=$?
check "an unknown command is a usage error (2)" '[ $rc -eq 2 ]'
"$mexa" version --device cuda:x >/dev/null 2>&1; rc=$?
check "a malformed --device is a usage error (2)" '[ $rc -eq 2 ]'

# LibTorch's large tensors reuse heap memory (engine/malloc_tuning.h), unless the user set malloc up.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clean="env -u MEXA_MALLOC -u MALLOC_MMAP_THRESHOLD_ -u MALLOC_TRIM_THRESHOLD_ -u MALLOC_TOP_PAD_ -u MALLOC_MMAP_MAX_ -u GLIBC_TUNABLES"
$clean "$mexa" version --device cpu > "$work/v.txt" 2>&1
if grep -q "^malloc .*AddressSanitizer" "$work/v.txt"; then  # scripts/test --sanitize: ASan owns malloc
  check "mexa-torch under AddressSanitizer leaves malloc alone and says so" \
    'grep -q "^malloc *glibc.s own thresholds (AddressSanitizer.s allocator: mallopt does not apply)" "$work/v.txt"'
else
  check "mexa-torch raises glibc's mmap and trim thresholds" 'grep -q "^malloc *heap up to 1024 MiB" "$work/v.txt"'
fi
$clean MEXA_MALLOC=default "$mexa" version --device cpu > "$work/v.txt" 2>&1
check "MEXA_MALLOC=default leaves glibc's thresholds" 'grep -q "^malloc *glibc.s own thresholds (MEXA_MALLOC=default)" "$work/v.txt"'
$clean MALLOC_TRIM_THRESHOLD_=1048576 "$mexa" version --device cpu > "$work/v.txt" 2>&1
check "a MALLOC_*_ variable the user set wins" 'grep -q "MALLOC_TRIM_THRESHOLD_ is set" "$work/v.txt"'
$clean GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536 "$mexa" version --device cpu > "$work/v.txt" 2>&1
check "a GLIBC_TUNABLES malloc threshold wins" 'grep -q "GLIBC_TUNABLES sets glibc.malloc.mmap_threshold" "$work/v.txt"'

echo "$passes passed, $failures failed"
[ $failures -eq 0 ]
