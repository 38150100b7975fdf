"""Flow extraction, mexa against a plain Python script doing the same work.

    scripts/bench flow

On the default synthetic set (`mexa synth --seed 1`: 300 clips of 128x128
faces at 200 fps), each side writes every clip's onset -> apex flow image in
the MEGC 2019 composite's form (u, v, strain, each min-max scaled to 0-255,
28x28 PNG):

- mexa: `mexa flow --data SET/annotations.csv --out DIR --flow METHOD`
  (clips in parallel on its worker threads, --workers = the core count);
- Python: bench/ststnet_reference.py's extraction (cv2.VideoCapture read up
  to the apex, grey, 128x128, cv2.optflow.DualTVL1OpticalFlow_create() with
  OpenCV's defaults, strain by np.gradient, 28x28 INTER_AREA), then the same
  min-max and a PNG per clip; one process, OpenCV on all its threads, as such
  a script is written.

Wall time per side, median of 3 runs, in one run of this script; then, per
mexa flow method (TV-L1, DIS, Farneback), what the images give: `mexa train
--input flow-image` with the default recipe, 5-fold, seed 0, pooled UF1/UAR.
"""
import argparse
import csv
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

NOTE = ("Why mexa looked slower before: docs/bench-temporal.md times one flow pair at a time on one thread (10.8 "
        "pairs/s), while a Python script's OpenCV uses every core inside TV-L1. `mexa flow` computes clips in parallel "
        "on its workers (one TV-L1 per worker), and decodes only up to each clip's apex, so it is faster end to end. "
        "The UF1 column is one seed: compare it with the default recipe's seed spread (about 0.02, docs/defaults.md).")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ststnet_reference as ref  # noqa: E402  (the Python extraction)


def python_flow(rows, out, threads):
    """The plain script's pass over every clip; the number of images written."""
    import cv2
    import numpy as np
    if threads:
        cv2.setNumThreads(threads)
    tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
    os.makedirs(out, exist_ok=True)
    written = 0
    for row in rows:
        onset, apex = ref.read_onset_apex(cv2, row["path"], row["onset"], row["apex"])
        x = ref.normalise(ref.raw_features(cv2, tvl1, onset, apex)[None], "minmax")[0]  # [3, 28, 28] in [0, 1]
        image = np.round(x.transpose(1, 2, 0) * 255).astype(np.uint8)[..., ::-1]  # RGB -> OpenCV's BGR order
        cv2.imwrite(os.path.join(out, row["id"].replace("/", "_") + ".png"), image)
        written += 1
    return written


def timed(fn, runs):
    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds), seconds


def mexa_flow(mexa, data, out, method, workers):
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([mexa, "flow", "--data", data, "--out", out, "--flow", method, "--workers", str(workers),
                    "--log-level", "warn"], check=True, stdout=subprocess.DEVNULL)


def train_uf1(mexa, manifest, run):
    shutil.rmtree(run, ignore_errors=True)
    subprocess.run([mexa, "train", "--data", manifest, "--input", "flow-image", "--protocol", "kfold", "--folds", "5",
                    "--seed", "0", "--out", run, "--log-level", "warn"], check=True, stdout=subprocess.DEVNULL)
    s = json.load(open(os.path.join(run, "summary.json")))
    return s["uf1"], s["uar"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mexa", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", default="docs/bench-flow.md")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-train", action="store_true", help="speed only")
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    os.makedirs(a.work, exist_ok=True)
    data = os.path.join(a.work, "set", "annotations.csv")
    if not os.path.exists(data):
        subprocess.run([a.mexa, "synth", "--out", os.path.join(a.work, "set"), "--seed", "1", "--log-level", "warn"],
                       check=True, stdout=subprocess.DEVNULL)
    rows, _ = ref.read_manifest(data, "dfme", 0)
    n = len(rows)

    results = {}
    for method in ("tvl1", "dis", "farneback"):
        out = os.path.join(a.work, "mexa-" + method)
        median, all_runs = timed(lambda: mexa_flow(a.mexa, data, out, method, cores), a.runs)
        results[method] = {"seconds": median, "runs": all_runs}
        print(f"mexa flow {method}: {n / median:.1f} pairs/s", file=sys.stderr)
    py_median, py_runs = timed(lambda: python_flow(rows, os.path.join(a.work, "python"), 0), a.runs)
    print(f"python tvl1: {n / py_median:.1f} pairs/s", file=sys.stderr)
    if not a.no_train:
        for method in results:
            results[method]["uf1"], results[method]["uar"] = train_uf1(
                a.mexa, os.path.join(a.work, "mexa-" + method, "manifest.csv"), os.path.join(a.work, "run-" + method))

    def rate(seconds):
        return f"{n / seconds:.1f}"

    lines = [
        "# Flow extraction: mexa flow against a plain Python script",
        "",
        f"`scripts/bench flow` ({datetime.date.today().isoformat()}, {platform.machine()}, {cores} cores, "
        f"{platform.platform()}; nothing else running).",
        "",
        f"{n} clips of the default synthetic set (`mexa synth --seed 1`, 128x128 faces, 200 fps), onset -> apex, each "
        "written as a 28x28 PNG of u, v and strain min-max scaled to 0-255. Median wall time of "
        f"{a.runs} runs per side, in one run of the script; pairs/s = clips / seconds.",
        "",
        "| side | flow | pairs/s | against the Python script | runs (s) |",
        "|---|---|---:|---:|---|",
        f"| Python (cv2 {__import__('cv2').__version__}, one process, OpenCV threads: all) | TV-L1 (defaults) | "
        f"{rate(py_median)} | 1.00x | {', '.join(f'{s:.1f}' for s in py_runs)} |",
    ]
    for method, r in results.items():
        lines.append(f"| mexa flow --workers {cores} | {method} | {rate(r['seconds'])} | {py_median / r['seconds']:.2f}x | "
                     f"{', '.join(f'{s:.1f}' for s in r['runs'])} |")
    if not a.no_train:
        lines += ["", "What each method's images give (`mexa train --input flow-image`, default recipe, 5-fold, seed 0):",
                  "", "| flow | UF1 | UAR |", "|---|---:|---:|"]
        for method, r in results.items():
            lines.append(f"| {method} | {r['uf1']:.3f} | {r['uar']:.3f} |")
    lines += ["", NOTE]
    lines.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print(a.out)


if __name__ == "__main__":
    main()
