#!/usr/bin/env python3
"""Spotting F1 through `mexa score` (issue 10): the end-to-end number.

Generates the long-video set docs/temporal-accuracy.md section B uses
(`mexa synth --long`, 6 subjects, 60 s, seed 2026), scores the videos with
`mexa score` (default options: every video is unannotated, so its intervals
are spotted with VideoAnalysisOptions' defaults), exports the intervals and
compares them with intervals.csv under the MEGC rule: a spotted interval is a
true positive when its IoU with a not yet matched true interval is >= 0.5
(temporal::spotting_metric's greedy matching, in the file's order).
"""
import argparse, csv, datetime, os, platform, subprocess, sys, time
from collections import defaultdict

def iou(a, b):
    inter = min(a[1], b[1]) - max(a[0], b[0]) + 1
    if inter <= 0:
        return 0.0
    return inter / ((a[1] - a[0] + 1) + (b[1] - b[0] + 1) - inter)

def metric(predicted, truth):
    matched = [False] * len(truth)
    tp = fp = 0
    for p in predicted:
        best, best_iou = -1, 0.5 - 1e-12
        for g, t in enumerate(truth):
            v = iou(p, t)
            if not matched[g] and v >= best_iou:
                best, best_iou = g, v
        if best >= 0:
            matched[best] = True
            tp += 1
        else:
            fp += 1
    return tp, fp, len(truth) - tp

def summary(tp, fp, fn):
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mexa", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    data = os.path.join(a.work, "long")
    if not os.path.exists(os.path.join(data, "intervals.csv")):
        subprocess.run([a.mexa, "synth", "--out", data, "--long", "--subjects", "6", "--long-seconds", "60",
                        "--seed", "2026", "--log-level", "warn"], check=True, stdout=subprocess.DEVNULL)
    run = os.path.join(a.work, "model")
    model = os.path.join(run, "folds", "split", "last.pt")
    if not os.path.exists(model):  # any checkpoint: spotting does not depend on the model
        subprocess.run([a.mexa, "train", "--data", "data/sample/annotations.csv", "--out", run, "--protocol", "split",
                        "--epochs", "1", "--frames", "8", "--size", "32x32", "--onset-difference", "--log-level",
                        "warn"], check=True, stdout=subprocess.DEVNULL)
    results = os.path.join(a.work, "spotting.h5")
    export = os.path.join(a.work, "export")
    start = time.time()
    subprocess.run([a.mexa, "score", os.path.join(data, "long"), "--model", model, "--out", results, "--overwrite",
                    "--log-level", "warn"], check=True, stdout=subprocess.DEVNULL)
    seconds = time.time() - start
    subprocess.run([a.mexa, "export", results, "--out", export], check=True, stdout=subprocess.DEVNULL)

    truth_micro, truth_all = defaultdict(list), defaultdict(list)
    for r in csv.DictReader(open(os.path.join(data, "intervals.csv"))):
        video = os.path.basename(r["path"])
        span = (int(r["onset"]), int(r["offset"]))
        truth_all[video].append(span)
        if r["type"] == "micro":
            truth_micro[video].append(span)
    spotted = defaultdict(list)
    for r in csv.DictReader(open(os.path.join(export, "intervals.csv"))):
        spotted[os.path.basename(r["id"])].append((int(r["onset"]), int(r["offset"])))
    videos = sorted(truth_all)
    frames = sum(int(r["n_frames"]) for r in csv.DictReader(open(os.path.join(export, "clips.csv"))))
    micro = [sum(x) for x in zip(*(metric(spotted[v], truth_micro[v]) for v in videos))]
    every = [sum(x) for x in zip(*(metric(spotted[v], truth_all[v]) for v in videos))]
    pm, rm, fm = summary(*micro)
    _, _, fa = summary(*every)
    with open(a.out, "w") as out:
        out.write("# Spotting through `mexa score`\n\n")
        out.write(f"- Command: `scripts/bench spotting_score` (runs `bench/spotting_score.py`)\n")
        out.write(f"- Date: {datetime.date.today()}; machine: {os.cpu_count()}-core {platform.machine()} "
                  "(the project's CPU machine)\n")
        out.write(f"- Data: `mexa synth --long --subjects 6 --long-seconds 60 --seed 2026`: {len(videos)} one-minute "
                  "200 fps videos, the set of docs/temporal-accuracy.md section B\n")
        out.write("- Run: `mexa score DIR --model CKPT --out R.h5` with default options (the videos are unannotated, so "
                  "each is spotted with `VideoAnalysisOptions`' defaults), then `mexa export`; the spotted intervals "
                  "are matched to intervals.csv (IoU >= 0.5, MEGC)\n\n")
        out.write("| intervals | TP | FP | FN | precision | recall | F1 |\n|---|---:|---:|---:|---:|---:|---:|\n")
        out.write(f"| micro-expressions | {micro[0]} | {micro[1]} | {micro[2]} | {pm:.3f} | {rm:.3f} | {fm:.3f} |\n")
        out.write(f"| micro + macro | {every[0]} | {every[1]} | {every[2]} | - | - | {fa:.3f} |\n\n")
        out.write(f"{frames} frames scored in {seconds:.0f} s ({frames / seconds:.0f} frames/s, decode + analysis + "
                  "spotting + one model pass per interval, 2 workers).\n")
    print(f"micro F1 {fm:.3f} (TP {micro[0]}, FP {micro[1]}, FN {micro[2]}); wrote {a.out}")

if __name__ == "__main__":
    sys.exit(main())
