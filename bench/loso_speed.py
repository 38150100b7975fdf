"""A LOSO experiment as the MEGC 2019 composite is run: mexa against the recipe
as a plain PyTorch script writes it.

    scripts/bench loso

Data: 442 synthetic clips of 68 subjects (`mexa synth --clips 442 --subjects
68 --seed 1`), made into 28x28 flow images by `mexa flow --classes megc3`
(the composite's form and class set). Both sides train STSTNet with the
published recipe on the same images: pixels / 255, Adam lr 5e-5, batch 256,
500 epochs, cross-entropy, one fold per subject, the last epoch, test
predictions pooled (UF1, UAR).

- mexa: `mexa train --input flow-image` as fold shards, one process per core
  (`--fold-shard i/n --threads 1`), the last shard pooling the run.
- Python: bench/ststnet_reference.py's STSTNet and training loop, one process,
  torch on all cores, folds one after the other.

Resumable: each side's finished folds are kept (mexa's run folder; the
script's predictions in WORK/python-folds.json) and a second call goes on.
`--python-folds N` times the script on its first N folds only and scales the
time to all folds (the table says so).
"""
import argparse
import csv
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ststnet_reference as ref  # noqa: E402

MEGC3 = ["negative", "positive", "surprise"]
MARKER = "<!-- bench/loso_speed.py rewrites what is above this line and keeps what is below. -->"


def prepare(mexa, work):
    """The flow images and their manifest (made once)."""
    manifest = os.path.join(work, "flow", "manifest.csv")
    if not os.path.exists(manifest):
        subprocess.run([mexa, "synth", "--out", os.path.join(work, "set"), "--clips", "442", "--subjects", "68", "--seed",
                        "1", "--log-level", "warn"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([mexa, "flow", "--data", os.path.join(work, "set", "annotations.csv"), "--classes", "megc3",
                        "--out", os.path.join(work, "flow"), "--log-level", "warn"], check=True, stdout=subprocess.DEVNULL)
    return manifest


def mexa_side(mexa, manifest, run, epochs, shards):
    """Every fold shard in parallel (resumed when the run exists); wall seconds of this call."""
    common = [mexa, "train", "--out", run, "--log-level", "warn", "--threads", "1"]
    fresh = not os.path.exists(os.path.join(run, "config.ini"))
    recipe = ["--data", manifest, "--input", "flow-image", "--classes", "megc3", "--protocol", "loso", "--epochs",
              str(epochs), "--lr", "5e-5", "--optimizer", "adamw", "--weight-decay", "0", "--batch", "256", "--seed", "0"]
    t0 = time.perf_counter()
    if fresh:  # the first shard writes config.ini; the others join it
        first = subprocess.Popen(common + recipe + ["--fold-shard", f"0/{shards}"], stdout=subprocess.DEVNULL)
        while not os.path.exists(os.path.join(run, "config.ini")) and first.poll() is None:
            time.sleep(0.2)
        others = [subprocess.Popen(common + recipe + ["--fold-shard", f"{i}/{shards}"], stdout=subprocess.DEVNULL)
                  for i in range(1, shards)]
    else:
        first = subprocess.Popen(common + ["--resume", "--fold-shard", f"0/{shards}"], stdout=subprocess.DEVNULL)
        others = [subprocess.Popen(common + ["--resume", "--fold-shard", f"{i}/{shards}"], stdout=subprocess.DEVNULL)
                  for i in range(1, shards)]
    codes = [p.wait() for p in [first] + others]
    seconds = time.perf_counter() - t0
    if any(c not in (0, 1) for c in codes):
        raise SystemExit(f"mexa train exited {codes}; run again to continue ({run})")
    subprocess.run(common[:2] + ["--gather", run, "--log-level", "warn"], check=True, stdout=subprocess.DEVNULL)
    s = json.load(open(os.path.join(run, "summary.json")))
    return seconds, s["uf1"], s["uar"]


def load_images(manifest):
    import cv2
    import numpy as np
    base = os.path.dirname(manifest)
    ids, subjects, labels, images = [], [], [], []
    for r in csv.DictReader(open(manifest, newline="")):
        bgr = cv2.imread(os.path.join(base, r["path"]), cv2.IMREAD_COLOR)
        images.append(bgr[..., ::-1].transpose(2, 0, 1).astype(np.float32) / 255.0)  # R u, G v, B strain
        ids.append(r["subject"] + "/" + r["clip"])
        subjects.append(r["subject"])
        labels.append(MEGC3.index(r["emotion"]))
    return ids, subjects, np.array(labels, dtype=np.int64), np.stack(images)


def python_side(images, work, epochs, max_folds):
    """Folds in order, resumable; (seconds per fold measured, folds measured, all folds, UF1 and UAR pooled over
    the folds run, their subjects)."""
    import numpy as np
    import torch
    torch.set_num_threads(os.cpu_count() or 1)
    _, subjects, labels, x = images
    state_file = os.path.join(work, "python-folds.json")
    state = json.load(open(state_file)) if os.path.exists(state_file) else {"epochs": epochs, "folds": {}}
    if state.get("epochs") != epochs:  # folds of another length: not this run's
        print(f"{state_file}: folds of {state.get('epochs')} epochs, this run has {epochs}: starting over",
              file=sys.stderr)
        state = {"epochs": epochs, "folds": {}}
    order = sorted(set(subjects))

    class Args:
        seed, lr, batch_size = 0, 5e-5, 256
    Args.epochs = epochs
    for subject in order[:max_folds] if max_folds else order:
        if subject in state["folds"]:
            continue
        test = np.array([i for i, s in enumerate(subjects) if s == subject])
        train = np.array([i for i, s in enumerate(subjects) if s != subject])
        t0 = time.perf_counter()
        preds = ref.train_and_predict(x[train], labels[train], x[test], len(MEGC3), Args)
        state["folds"][subject] = {"seconds": time.perf_counter() - t0, "test": test.tolist(), "pred": preds.tolist()}
        with open(state_file + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace(state_file + ".tmp", state_file)
        print(f"python fold {subject}: {state['folds'][subject]['seconds']:.1f} s", file=sys.stderr)
    done = state["folds"]
    per_fold = sum(f["seconds"] for f in done.values()) / len(done)
    pred = np.zeros(len(labels), dtype=np.int64)
    for f in done.values():
        pred[f["test"]] = f["pred"]
    tested = np.concatenate([np.array(f["test"], dtype=np.int64) for f in done.values()])
    m = ref.metrics(labels[tested], pred[tested], MEGC3)
    return per_fold, len(done), len(order), m["uf1"], m["uar"], sorted(done)


def mexa_on(run, images, subjects):
    """mexa's UF1 and UAR over the given subjects' test clips (the folds the script ran)."""
    import numpy as np
    ids, _, labels, _ = images
    where = {clip: i for i, clip in enumerate(ids)}
    rows = [r for r in csv.DictReader(open(os.path.join(run, "predictions.csv"), newline="")) if r["subject"] in subjects]
    truth = np.array([labels[where[r["id"]]] for r in rows], dtype=np.int64)
    pred = np.array([MEGC3.index(r["pred"]) for r in rows], dtype=np.int64)
    m = ref.metrics(truth, pred, MEGC3)
    return m["uf1"], m["uar"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mexa", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", default="docs/bench-loso.md")
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--python-folds", type=int, default=0, help="time the script on its first N folds only (0: all)")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    cores = os.cpu_count() or 1
    manifest = prepare(a.mexa, a.work)
    run = os.path.join(a.work, "mexa-run")
    timing_file = os.path.join(a.work, "mexa-seconds.json")
    if os.path.exists(os.path.join(run, "config.ini")):
        config = open(os.path.join(run, "config.ini")).read()
        if f"epochs = {a.epochs}\n" not in config and f"epochs={a.epochs}\n" not in config:
            print(f"{run}: a run of other epochs; starting over", file=sys.stderr)
            shutil.rmtree(run)
    if not os.path.exists(os.path.join(run, "config.ini")) and os.path.exists(timing_file):
        os.remove(timing_file)  # a fresh run: earlier calls' times are another run's
    seconds, mexa_uf1, mexa_uar = mexa_side(a.mexa, manifest, run, a.epochs, cores)
    # Wall time over every call (a resumed run adds what it still had to do).
    calls = json.load(open(timing_file)) if os.path.exists(timing_file) else []
    calls.append(seconds)
    json.dump(calls, open(timing_file, "w"))
    mexa_seconds = sum(calls)
    images = load_images(manifest)  # both sides' clips, labels and the script's input, read once
    per_fold, measured, folds, py_uf1, py_uar, py_subjects = python_side(images, a.work, a.epochs, a.python_folds)
    py_seconds = per_fold * folds
    scaled = measured < folds
    same_uf1, same_uar = mexa_on(run, images, set(py_subjects))
    fmt = lambda v: "-" if v is None else f"{v:.4f}"
    lines = [
        "# A LOSO experiment: mexa against the recipe as a plain PyTorch script",
        "",
        f"`scripts/bench loso{f' --epochs {a.epochs}' if a.epochs != 500 else ''}"
        f"{f' --python-folds {a.python_folds}' if a.python_folds else ''}` "
        f"({datetime.date.today().isoformat()}, {platform.machine()}, {cores} cores, "
        f"{platform.platform()}; one run per side, nothing else running).",
        "",
        f"442 synthetic clips of 68 subjects as 28x28 flow images (`mexa flow --classes megc3`); STSTNet, pixels / 255, "
        f"Adam lr 5e-5, batch 256, {a.epochs} epochs, cross-entropy, LOSO ({folds} folds), the last epoch, pooled.",
        "",
        "| side | how | wall time (s) | against the script | UF1, UAR (pooled over the script's folds) "
        "| UF1, UAR (all folds) |",
        "|---|---|---:|---:|---:|---:|",
        f"| Python | one process, torch threads: {cores}, folds in turn"
        + (f" (timed on {measured} of {folds} folds, scaled)" if scaled else "")
        + f" | {py_seconds:.0f} | 1.00x | {fmt(py_uf1)}, {fmt(py_uar)} | "
        + (f"{fmt(py_uf1)}, {fmt(py_uar)} |" if not scaled else "- |"),
        f"| mexa | `mexa train --fold-shard i/{cores} --threads 1`, {cores} processes | {mexa_seconds:.0f} | "
        f"{py_seconds / mexa_seconds:.2f}x | {fmt(same_uf1)}, {fmt(same_uar)} | {fmt(mexa_uf1)}, {fmt(mexa_uar)} |",
        "",
    ]
    # What follows the marker (readings, earlier runs) is written by hand: kept.
    kept = ""
    if os.path.exists(a.out):
        old = open(a.out).read()
        if MARKER in old:
            kept = "\n" + old[old.index(MARKER):]
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + kept)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
