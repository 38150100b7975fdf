#!/usr/bin/env python3
"""mexa (LibTorch) vs PyTorch on one CUDA GPU, every engine model side by
side in one run: clips/s for fp32 inference (both libraries' defaults: TF32
convolutions), bf16-autocast inference and bf16-autocast training steps
(forward + backward + SGD step), same shapes and batch sizes, timed the same
way (bench/gpu_speed.cpp). Python uses torchvision's r3d_18 / mc3_18 /
r2plus1d_18 and the same small3d and STSTNet-style architectures
(bench/mexa_models.py). Called by scripts/gpu-check, which passes the test
logs; writes the markdown page (docs/bench-gpu.md's form).

usage: bench/gpu_speed.py --cpp BUILD/bench/gpu_speed --logs DIR --out FILE [--seconds 1.5]
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mexa_models import make_model  # noqa: E402

# (model, clip [C, T, H, W], batch): the same table as gpu_speed.cpp.
CASES = [("small3d", (1, 16, 64, 64), 64), ("ststnet", (3, 1, 28, 28), 256),
         ("r3d_18", (3, 16, 112, 112), 32), ("mc3_18", (3, 16, 112, 112), 32),
         ("r2plus1d_18", (3, 16, 112, 112), 32)]


def clips_per_second(batch, seconds, step):
    def timed(steps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        return time.perf_counter() - t0

    timed(3)
    steps = max(5, int(seconds / 3 / (timed(5) / 5)))
    return statistics.median(steps * batch / timed(steps) for _ in range(3))


def python_row(name, clip, batch, seconds):
    torch.manual_seed(0)
    model = make_model(name, clip[0]).cuda()
    x = torch.randn(batch, *clip, device="cuda")
    y = torch.randint(0, 7, (batch,), device="cuda")
    model.eval()

    def infer(bf16):
        def step():
            with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
                model(x)
        return clips_per_second(batch, seconds, step)

    row = {"impl": "pytorch", "model": name, "batch": batch, "fp32_infer": infer(False), "bf16_infer": infer(True)}
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def train_step():
        opt.zero_grad()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    row["bf16_train"] = clips_per_second(batch, seconds, train_step)
    return row


def parity(logs):
    """model -> max |cpu - cuda| of the logits, from the CudaParity test's lines."""
    out = {}
    path = os.path.join(logs, "parity.log")
    if os.path.exists(path):
        for m in re.finditer(r"\[ PARITY   \] (\S+): max \|cpu - cuda\| logits (\S+) features (\S+)", open(path).read()):
            out[m.group(1)] = max(float(m.group(2)), float(m.group(3)))
    return out


def test_lines(logs):
    """The verdicts gpu-check recorded, one line each (summary.txt)."""
    path = os.path.join(logs, "summary.txt")
    return [line.rstrip() for line in open(path)] if os.path.exists(path) else []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cpp", required=True)
    parser.add_argument("--logs", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=float, default=1.5)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("gpu_speed.py: no CUDA device: throughput not measured (skipped)", file=sys.stderr)
        return 77
    cpp = {}
    for line in subprocess.run([args.cpp, "--seconds", str(args.seconds)], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        row = json.loads(line)
        cpp[row["model"]] = row
        print(json.dumps(row), file=sys.stderr)
    py = {}
    for name, clip, batch in CASES:
        py[name] = python_row(name, clip, batch, args.seconds)
        print(json.dumps(py[name]), file=sys.stderr)
    diffs = parity(args.logs)
    props = torch.cuda.get_device_properties(0)
    import torchvision
    lines = [
        "# Engine models on one CUDA GPU: mexa (LibTorch) vs PyTorch", "",
        "- Command: `scripts/gpu-check --run DIR` (bench/gpu_speed.cpp, bench/gpu_speed.py); "
        "prepared here with `scripts/gpu-check --prepare DIR`",
        f"- Date: {datetime.date.today().isoformat()}; GPU: {props.name} ({props.total_memory / 2**30:.0f} GiB, "
        f"{props.multi_processor_count} SMs); {os.cpu_count()} CPU cores; {platform.platform()}",
        f"- torch {torch.__version__} (CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}) for both "
        f"sides; torchvision {torchvision.__version__}; mexa built against that wheel with MEXA_ENGINE_ONLY",
        "- clips/s: median of three spans of about "
        f"{args.seconds / 3:.1f} s after a warm-up, synchronised at each span's end. fp32 = the libraries' defaults "
        "(TF32 convolutions, fp32 matrix products); bf16 = autocast; training = forward + backward + SGD step "
        "(momentum 0.9), cross-entropy, 7 classes.",
        "- CPU-vs-CUDA max |diff|: the CudaParity test, same weights and input, eval mode, fp32 with TF32 off, the "
        "larger of the logits' and the embeddings' differences (the test's limit: 1e-4).", "",
        "| model | clip (C,T,H,W) x batch | CPU-vs-CUDA max abs diff | fp32 infer mexa | PyTorch | "
        "bf16 infer mexa | PyTorch | bf16 train mexa | PyTorch |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, clip, batch in CASES:
        c, p = cpp[name], py[name]
        diff = f"{diffs[name]:.1e}" if name in diffs else "not run"
        cells = " | ".join(f"{c[k]:,.0f} | {p[k]:,.0f}" for k in ("fp32_infer", "bf16_infer", "bf16_train"))
        lines.append(f"| {name} | {clip} x {batch} | {diff} | {cells} |")
    ratios = {k: statistics.median(cpp[n][k] / py[n][k] for n, _, _ in CASES)
              for k in ("fp32_infer", "bf16_infer", "bf16_train")}
    lines += ["", "Median ratio mexa / PyTorch over the five models: " +
              ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in ratios.items()) + ".", "",
              "## Tests in the same run", ""]
    lines += [f"- {line}" for line in test_lines(args.logs)]
    with open(args.out, "w") as out:
        out.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
