#!/usr/bin/env python3
"""Imbalance-aware losses on the default `mexa synth` set (issue 5, section 6).

For each loss and seed: `mexa train --config configs/small3d-synth.ini` (5-fold,
subject-independent, test predictions pooled over folds), then the table of
mean +- std over seeds of UF1, UAR and per-class recall -> docs/loss-experiment.md.
Runs resume: an interrupted experiment continues where it stopped.
"""
import argparse, datetime, json, os, platform, statistics, subprocess, sys, time

LOSSES = ["ce", "weighted-ce", "focal", "class-balanced", "ldam-drw", "logit-adjusted", "coupling"]

def run(cmd):
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True)

def mean_std(values):
    return (statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0)

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mexa", required=True)
    ap.add_argument("--work", required=True, help="folder for the data set and the runs")
    ap.add_argument("--out", required=True, help="markdown table")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--losses", default=",".join(LOSSES))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    data = os.path.join(args.work, "synth-default")
    if not os.path.exists(os.path.join(data, "annotations.csv")):
        run([args.mexa, "synth", "--out", data, "--seed", "1", "--log-level", "warn"])
    cache = os.path.join(args.work, "clips-small3d-synth.h5")
    results, seconds = {}, {}
    for loss in args.losses.split(","):
        for seed in range(args.seeds):
            run_dir = os.path.join(args.work, "runs", f"{loss}-seed{seed}")
            summary = os.path.join(run_dir, "summary.json")
            if not os.path.exists(summary):
                start = time.time()
                resume = ["--resume"] if os.path.exists(os.path.join(run_dir, "config.ini")) else []
                run([args.mexa, "train", "--config", "configs/small3d-synth.ini", "--data",
                     os.path.join(data, "annotations.csv"), "--out", run_dir, "--loss", loss, "--seed", str(seed),
                     "--cache", cache, "--log-level", "warn"] + resume)
                seconds.setdefault(loss, []).append(time.time() - start)
            with open(summary) as f:
                results.setdefault(loss, []).append(json.load(f))
    classes = results[LOSSES[0]][0]["classes"] if LOSSES[0] in results else next(iter(results.values()))[0]["classes"]
    support = results[next(iter(results))][0]["per_class"]
    lines = [
        "# Imbalance-aware losses on the default synthetic set",
        "",
        f"- Command: `scripts/bench losses` (bench/loss_experiment.py)",
        f"- Date: {datetime.date.today()}; machine: {os.cpu_count()} cores, {platform.machine()}, CPU only",
        "- Data: `mexa synth --seed 1` with default options (300 clips, 20 subjects, DFME-like imbalance, "
        "128x128, 200 fps, amplitude 1-6 px)",
        "- Model and training: `configs/small3d-synth.ini` (small3d on 8 uniformly sampled frames, 32x32, "
        "frame minus onset; SGD lr 0.05, cosine, 15 epochs, batch 16); subject-independent 5-fold, "
        "test predictions pooled over folds (MEGC); loss defaults from REFERENCES.md / losses.h "
        "(LDAM-DRW and coupling with a cosine classifier, DRW from epoch 12)",
        f"- {args.seeds} seeds per loss (seed changes weights, sampling, augmentation and the fold assignment); "
        "mean +- std over seeds",
        "- Class support: " + ", ".join(f"{c} {support[c]['support']}" for c in classes),
        "",
        "| loss | UF1 | UAR | ACC | " + " | ".join(f"recall {c}" for c in classes) + " |",
        "|---|---:|---:|---:|" + "---:|" * len(classes),
    ]
    ranking = []
    for loss, runs in results.items():
        uf1 = mean_std([r["uf1"] for r in runs])
        uar = mean_std([r["uar"] for r in runs])
        acc = mean_std([r["acc"] for r in runs])
        recalls = [mean_std([r["per_class"][c]["recall"] for r in runs]) for c in classes]
        fmt = lambda m: f"{m[0]:.3f} ± {m[1]:.3f}"
        lines.append(f"| {loss} | {fmt(uf1)} | {fmt(uar)} | {fmt(acc)} | " + " | ".join(f"{m[0]:.2f} ± {m[1]:.2f}" for m in recalls) + " |")
        ranking.append((uf1[0], loss))
    ranking.sort(reverse=True)
    lines += ["", "Ranking by mean UF1: " + " > ".join(f"{l} ({u:.3f})" for u, l in ranking), ""]
    if seconds:
        lines.append("Wall time per run (5 folds x 15 epochs, this machine): " +
                     ", ".join(f"{l} {statistics.median(s):.0f} s" for l, s in seconds.items()))
        lines.append("")
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))

if __name__ == "__main__":
    main()
