#!/usr/bin/env python3
"""`mexa score` against the plain Python script a researcher would write
(bench/score_python.py), same clips, same checkpoint, same machine (issue 11).

    scripts/bench score_vs_python        # -> docs/bench-score.md

On 48 synthetic clips (`mexa synth --clips 48 --subjects 6 --seed 3`, 128x128,
200 fps) and two checkpoints trained for one epoch on the built-in sample
(weights do not change the speed):

- r3d_18 on 16 x 112 x 112 RGB frames (torchvision's r3d_18 on the Python side);
- small3d on 16 x 64 x 64 grey frames (mexa's default for frame input; a copy
  of small3d loads mexa's weights on the Python side), where decoding and the
  per-frame analysis weigh most.

Each round runs, one after the other: `mexa score` (batch 8, 2 threads), the
same with glibc's malloc thresholds as they were before the fix
(MEXA_MALLOC=default), and the Python script (batch 8, 2 threads); right
after `mexa score`, the model alone in a process of its own
(build/bench/model_speed --infer-only ... --clips 48: the 48 clips' forward
passes from a cold start, then one cached batch), so each round's
end-to-end / model-only ratio compares runs a minute apart on this drifting
host. Medians of --rounds rounds. PyTorch's model alone once
(score_python.py --model-only), and both sides' probabilities compared clip
by clip. Then `--frame-probs` on a
2,999-frame video with small3d: wall, system time, peak RSS (one run each).
"""
import argparse, datetime, json, os, platform, re, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CASES = {
    "r3d_18": {"train": ["--model", "r3d_18", "--input", "frames", "--frames", "16", "--size", "112x112", "--channels", "3"],
               "python": ["--model", "r3d_18", "--frames", "16", "--size", "112", "--channels", "3"],
               "shape": "3,16,112,112"},
    "small3d": {"train": ["--model", "small3d", "--input", "frames", "--frames", "16", "--size", "64x64", "--channels", "1"],
                "python": ["--model", "small3d", "--frames", "16", "--size", "64", "--channels", "1"],
                "shape": "1,16,64,64"},
}


def timed(cmd, env=None):
    """Wall, user, system seconds and peak RSS (MiB) of one process, from /usr/bin/time -v."""
    # The caller's malloc settings would turn the tuned rows into untuned ones.
    clean = {k: v for k, v in os.environ.items()
             if k != "MEXA_MALLOC" and not (k.startswith("MALLOC_") and k.endswith("_")) and k != "GLIBC_TUNABLES"}
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env={**clean, **(env or {})})
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
    field = lambda name: float(re.search(name + r": ([\d.]+)", p.stderr).group(1))
    return {"wall": wall, "user": field(r"User time \(seconds\)"), "sys": field(r"System time \(seconds\)"),
            "rss": field(r"Maximum resident set size \(kbytes\)") / 1024}


def median_of(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def compare(mexa_h5, python_h5):
    """Largest |p_mexa - p_python| over clips and classes, and the share of equal predictions."""
    import h5py
    import numpy as np
    with h5py.File(mexa_h5) as m, h5py.File(python_h5) as p:
        ids = [i.decode() for i in m["clips"]["id"][:]]
        order = [ids.index(i.decode()) for i in p["id"][:]]
        mp, pp = m["clips"]["probs"][:][order], p["probs"][:]
        return float(np.abs(mp - pp).max()), float((mp.argmax(1) == pp.argmax(1)).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mexa", required=True)
    ap.add_argument("--model-speed", required=True, help="build/bench/model_speed")
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--models", default="r3d_18,small3d")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    py = [sys.executable, os.path.join(ROOT, "bench", "score_python.py")]
    data_dir = os.path.join(a.work, "clips48")
    data = os.path.join(data_dir, "annotations.csv")
    if not os.path.exists(data):
        subprocess.run([a.mexa, "synth", "--out", data_dir, "--clips", "48", "--subjects", "6", "--seed", "3",
                        "--log-level", "warn"], check=True, stdout=subprocess.DEVNULL)
    threads = str(a.threads)
    rows, checks, model_only = {}, {}, {}
    for name in a.models.split(","):
        case = CASES[name]
        run = os.path.join(a.work, "model-" + name)
        checkpoint = os.path.join(run, "folds", "split", "last.pt")
        if not os.path.exists(checkpoint):
            shutil.rmtree(run, ignore_errors=True)
            subprocess.run([a.mexa, "train", "--data", os.path.join(ROOT, "data", "sample", "annotations.csv"), "--out", run,
                            "--protocol", "split", "--epochs", "1", "--batch", "4", *case["train"], "--log-level", "warn"],
                           check=True, stdout=subprocess.DEVNULL)
        mexa_h5, python_h5 = os.path.join(a.work, f"mexa-{name}.h5"), os.path.join(a.work, f"python-{name}.h5")
        mexa_cmd = [a.mexa, "score", data, "--model", checkpoint, "--out", mexa_h5, "--overwrite", "--batch", "8",
                    "--threads", threads, "--log-level", "warn"]
        python_cmd = py + ["--data", data, "--checkpoint", checkpoint, *case["python"], "--batch", "8", "--threads", threads,
                           "--out", python_h5]
        contenders = {"mexa score": (mexa_cmd, None),
                      "mexa score, glibc malloc untuned (MEXA_MALLOC=default)": (mexa_cmd, {"MEXA_MALLOC": "default"}),
                      "Python script (OpenCV, PyTorch, h5py)": (python_cmd, None)}
        runs = {c: [] for c in contenders}
        alone = []  # LibTorch model-only, each round right after that round's `mexa score`
        for r in range(a.rounds):
            for c, (cmd, env) in contenders.items():
                runs[c].append(timed(cmd, env))
                print(f"{name} round {r + 1}/{a.rounds} {c}: {runs[c][-1]['wall']:.2f} s", file=sys.stderr)
                if c == "mexa score":
                    cpp = subprocess.run([a.model_speed, "--infer-only", name, case["shape"], "8", "--repeats", "5",
                                          "--threads", threads, "--clips", "48"],
                                         capture_output=True, text=True, check=True)
                    alone.append(json.loads(cpp.stdout.strip().splitlines()[-1]))
                    print(f"{name} round {r + 1}/{a.rounds} model-only: {alone[-1]['forward_s']:.2f} s for 48 clips",
                          file=sys.stderr)
        rows[name] = {c: median_of(v) for c, v in runs.items()}
        checks[name] = compare(mexa_h5, python_h5)
        pyo = subprocess.run(py + ["--data", data, "--checkpoint", checkpoint, *case["python"], "--batch", "8",
                                   "--threads", threads, "--model-only", "5"], capture_output=True, text=True, check=True)
        walls = [m["wall"] for m in runs["mexa score"]]
        model_only[name] = {
            "forward_s": statistics.median(m["forward_s"] for m in alone),
            "steady": statistics.median(m["infer_clips_per_s"] for m in alone),
            # per round: model-only forward time of the 48 clips / that round's end-to-end wall time
            "ratio": statistics.median(m["forward_s"] / w for m, w in zip(alone, walls)),
            "steady_ratio": statistics.median((48 / m["infer_clips_per_s"]) / w for m, w in zip(alone, walls)),
            "python": json.loads(pyo.stdout.strip().splitlines()[-1])["infer_clips_per_s"]}

    # --frame-probs on a 2,999-frame video (one short clip, every frame's window through small3d).
    video = os.path.join(a.work, "video2999.mp4")
    if not os.path.exists(video):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=128x128:rate=200", "-frames:v",
                        "2999", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", video], check=True)
    frame_probs = {}
    if "small3d" in rows:
        checkpoint = os.path.join(a.work, "model-small3d", "folds", "split", "last.pt")
        cmd = [a.mexa, "score", video, "--model", checkpoint, "--out", os.path.join(a.work, "frame-probs.h5"),
               "--overwrite", "--frame-probs", "--threads", threads, "--log-level", "warn"]
        for label, env in (("mexa score --frame-probs", None),
                           ("mexa score --frame-probs, glibc malloc untuned", {"MEXA_MALLOC": "default"})):
            frame_probs[label] = timed(cmd, env)  # one run each: ~1.5 minutes

    n = 48
    lines = ["# `mexa score` against a plain Python script", "",
             f"- Command: `scripts/bench score_vs_python` (bench/score_vs_python.py, bench/score_python.py)",
             f"- Date: {datetime.date.today()}; machine: {os.cpu_count()} cores, {platform.machine()}, CPU only, "
             f"`{platform.platform()}`; nothing else running",
             f"- {n} synthetic clips (`mexa synth --clips 48 --subjects 6 --seed 3`: 128x128, 200 fps, 71-101 frames); "
             f"batch 8, {a.threads} LibTorch threads on both sides, mexa with its default 2 decode/analysis workers; "
             f"medians of {a.rounds} alternating rounds; wall time of the whole process (start-up and library loading included)",
             "- mexa does more per clip than the script: per-frame rows (motion, phase) and the apex feature go into its "
             "results file too; the script decodes, samples and scores only.", "",
             "| model | run | wall (s) | user (s) | system (s) | peak RSS (MiB) | clips/s | speed vs Python |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, by in rows.items():
        base = by["Python script (OpenCV, PyTorch, h5py)"]["wall"]
        for c, m in by.items():
            lines.append(f"| {name} | {c} | {m['wall']:.2f} | {m['user']:.2f} | {m['sys']:.2f} | {m['rss']:.0f} | "
                         f"{n / m['wall']:.2f} | {base / m['wall']:.2f}x |")
    lines += ["", "Model alone beside the end-to-end time. In each round, right after `mexa score`, `bench/model_speed "
              "--infer-only MODEL SHAPE 8 --clips 48` (a process of its own, random weights) times the forward passes "
              "of 48 clips in 6 batches of 8 from a cold start, as a scoring process runs them, then the median of 5 "
              "repeats of one cached batch (steady state). End-to-end / model-only is the model-only forward time "
              "of the 48 clips over `mexa score`'s wall time (start-up, checkpoint, decode, analysis and writing "
              "included), per round, median over rounds; the steady-state column uses 48 clips at the cached batch's "
              "rate instead, which leaves out the first batch's set-up.", "",
              "| model | model-only, 48 clips (s) | model-only steady (clips/s) | mexa score end-to-end (s) | "
              "end-to-end / model-only | same, against steady state | PyTorch model-only steady (clips/s) | "
              "Python end-to-end / model-only steady |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, m in model_only.items():
        pe2e = n / rows[name]["Python script (OpenCV, PyTorch, h5py)"]["wall"]
        lines.append(f"| {name} | {m['forward_s']:.2f} | {m['steady']:.2f} | {rows[name]['mexa score']['wall']:.2f} | "
                     f"{m['ratio']:.2f} | {m['steady_ratio']:.2f} | {m['python']:.2f} | {pe2e / m['python']:.2f} |")
    lines += ["", "Same function on both sides (mexa's results file against the script's, clip by clip):", ""]
    for name, (diff, agree) in checks.items():
        lines.append(f"- {name}: largest probability difference {diff:.2g}; predicted class equal on {agree:.0%} of clips")
    if frame_probs:
        lines += ["", "`--frame-probs` on one 2,999-frame 128x128 video (small3d, every frame's window; one run each):", "",
                  "| run | wall (s) | system (s) | system / wall | peak RSS (MiB) |", "|---|---:|---:|---:|---:|"]
        for label, m in frame_probs.items():
            lines.append(f"| {label} | {m['wall']:.2f} | {m['sys']:.2f} | {m['sys'] / m['wall']:.0%} | {m['rss']:.0f} |")
    lines.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
