#!/usr/bin/env python3
"""Peak memory of `mexa score` (issue 6): many clips and one long video.

Scores (1) the built-in sample's clips repeated 100 and 1,000 times (ids get
#n suffixes, every clip is decoded, analysed, scored and written), (2) a
1-minute and a 10-minute 200 fps 128x128 video (long-video mode: streaming
motion curve, spotted intervals, each scored). Peak RSS from /usr/bin/time -v.
Memory must not grow with the number or length of the videos.
"""
import argparse, datetime, glob, os, platform, re, subprocess, sys, time

def peak_rss_mib(cmd):
    start = time.time()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    return rss, time.time() - start, p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""

def make_video(path, seconds):
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=128x128:rate=200:duration={seconds}", "-c:v", "libx264", "-preset", "veryfast",
                    "-pix_fmt", "yuv420p", path], check=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mexa", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    run = os.path.join(a.work, "model")
    model = os.path.join(run, "folds", "split", "last.pt")
    if not os.path.exists(model):
        subprocess.run([a.mexa, "train", "--data", "data/sample/annotations.csv", "--out", run, "--protocol", "split",
                        "--epochs", "1", "--frames", "8", "--size", "32x32", "--onset-difference", "--log-level", "warn"],
                       check=True, stdout=subprocess.DEVNULL)
    clips = sorted(glob.glob("data/sample/clips/*/*.mp4"))
    rows = []
    for n in (100, 1000):
        listing = os.path.join(a.work, f"list{n}.txt")
        with open(listing, "w") as f:
            f.write("\n".join((clips * (n // len(clips) + 1))[:n]) + "\n")
        out = os.path.join(a.work, f"clips{n}.h5")
        if os.path.exists(out): os.remove(out)
        rss, secs, line = peak_rss_mib([a.mexa, "score", "@" + listing, "--model", model, "--out", out, "--log-level", "warn"])
        rows.append((f"{n} clips (sample x {n // len(clips)}+)", rss, secs, line))
    for minutes in (1, 10):
        video = os.path.join(a.work, f"long_{minutes}min.mp4")
        make_video(video, 60 * minutes)
        out = os.path.join(a.work, f"long{minutes}.h5")
        if os.path.exists(out): os.remove(out)
        rss, secs, line = peak_rss_mib([a.mexa, "score", video, "--model", model, "--out", out, "--log-level", "warn"])
        rows.append((f"one {minutes}-min 200 fps 128x128 video ({minutes * 12000} frames)", rss, secs, line))
    lines = ["# `mexa score`: peak memory", "",
             "- Command: `scripts/bench score_memory` (bench/score_memory.py)",
             f"- Date: {datetime.date.today()}; machine: {os.cpu_count()} cores, {platform.machine()}, CPU only; "
             "defaults (2 workers, batch 8); a small3d model (8x32x32 input)",
             "- Peak RSS of the whole process (LibTorch included) from `/usr/bin/time -v`", "",
             "| input | peak RSS (MiB) | wall (s) | summary line |", "|---|---:|---:|---|"]
    for name, rss, secs, line in rows:
        lines.append(f"| {name} | {rss:.0f} | {secs:.0f} | {line} |")
    lines += ["", f"Ratios: 1,000 / 100 clips {rows[1][1] / rows[0][1]:.2f}; 10-min / 1-min video {rows[3][1] / rows[2][1]:.2f}.", ""]
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))

if __name__ == "__main__":
    main()
