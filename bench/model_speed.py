#!/usr/bin/env python3
"""C++ (LibTorch, mexa) vs Python (PyTorch) speed of each engine model on the
CPU, side by side in one run: training step (forward + backward + SGD step)
time and inference clips/s, same shapes, batch sizes and thread count.
Python uses torchvision's r3d_18 / mc3_18 / r2plus1d_18 and the same small3d
and STSTNet-style architectures (bench/mexa_models.py). Writes docs/bench-models.md.

usage: bench/model_speed.py [--cpp build/bench/model_speed] [--threads 2] [--out docs/bench-models.md]
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

from mexa_models import make_model


CASES = [("small3d", (1, 16, 64, 64), 16, 7), ("ststnet", (3, 1, 28, 28), 64, 15),
         ("r3d_18", (3, 8, 112, 112), 2, 3), ("mc3_18", (3, 8, 112, 112), 2, 3),
         ("r2plus1d_18", (3, 8, 112, 112), 2, 3)]


def median_seconds(repeats, step):
    step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def python_rows(threads, quick):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rows = []
    for name, shape, batch, repeats in CASES[:2] if quick else CASES:
        model = make_model(name, shape[0])
        x = torch.randn(batch, *shape)
        y = torch.randint(0, 7, (batch,))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        model.train()

        def train_step():
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()

        train = median_seconds(repeats, train_step)
        model.eval()

        def infer():
            with torch.inference_mode():
                model(x)

        rows.append({"impl": "python", "model": name, "batch": batch, "train_step_s": train,
                     "infer_clips_per_s": batch / median_seconds(repeats, infer)})
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cpp", default="build/bench/model_speed")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="docs/bench-models.md")
    args = parser.parse_args()
    cmd = [args.cpp, "--threads", str(args.threads)] + (["--quick"] if args.quick else [])
    # glibc's own malloc thresholds on both sides (model_speed tunes them as mexa-torch does; Python does not).
    env = {**os.environ, "MEXA_MALLOC": "default"}
    cpp = [json.loads(line) for line in
           subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout.splitlines()]
    for row in cpp:
        print(json.dumps(row), file=sys.stderr)
    py = {r["model"]: r for r in python_rows(args.threads, args.quick)}
    lines = ["# Engine models: LibTorch (mexa) vs Python PyTorch on the CPU", "",
             f"- Command: `scripts/bench models` (bench/model_speed.py, build/bench/model_speed)",
             f"- Date: {datetime.date.today().isoformat()}; machine: {os.cpu_count()} cores, CPU only; "
             f"torch {torch.__version__} for both; {args.threads} threads",
             "- Median of repeated steps after a warm-up; same shapes, batch sizes and SGD settings. "
             "Ratio > 1: mexa faster.", "",
             "| model | input (C,T,H,W) x batch | train step C++ (s) | Python (s) | train ratio | infer C++ clips/s | Python clips/s | infer ratio |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    shapes = {name: (shape, batch) for name, shape, batch, _ in CASES}
    for row in cpp:
        p = py[row["model"]]
        shape, batch = shapes[row["model"]]
        lines.append(f"| {row['model']} | {shape} x {batch} | {row['train_step_s']:.4f} | {p['train_step_s']:.4f} | "
                     f"{p['train_step_s'] / row['train_step_s']:.2f} | {row['infer_clips_per_s']:.1f} | "
                     f"{p['infer_clips_per_s']:.1f} | {row['infer_clips_per_s'] / p['infer_clips_per_s']:.2f} |")
    with open(args.out, "w") as out:
        out.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
