#!/usr/bin/env python3
"""Which label-uncertainty method survives label noise, and what did it do to
the labels? (issues 12 and 31)

`mexa synth --seed 1 --label-noise P --label-noise-model M` replaces a share
P of the labels (uniform: by any other class; neighbours: by the emotion
annotators confuse it with) and keeps the clean one in `true_emotion`. Each
method is trained on the noisy labels with mexa's training defaults (STSTNet
on onset->apex flow), once with cross-entropy and once with LDAM-DRW (the best
loss of docs/loss-experiment.md), 5-fold subject-independent, scored against
`true_emotion` (--eval-label), pooled over folds; 3 seeds. The runs'
audit.json (written because the manifest knows the true labels) gives SCN's
relabels (share, precision, recall) and the AUCs of SCN's importance and
RUL's uncertainty for "this label is wrong". Writes one markdown file per
noise model.

    scripts/bench noise            # -> docs/noise-experiment.md (uniform),
                                   #    docs/noise-experiment-neighbours.md

Resumable: finished runs are read back, interrupted ones continued with
--resume; --hours stops starting new runs after that many hours (parts of
at most ~2 hours; the table is written from what is finished). Two runs at a
time (--threads 1 --workers 1 each).
"""
import argparse, datetime, json, os, platform, shutil, statistics, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor

from run_lib import mean_std, run

LOSSES = {"ce": ["--loss", "ce"], "ldam-drw": ["--loss", "ldam-drw"]}
METHODS = {"base": [], "scn": ["--scn"], "rul": ["--rul"], "eac": ["--eac"], "au": ["--au-head"]}
LABELS = {"base": "base", "scn": "+ SCN (guarded)", "rul": "+ RUL", "eac": "+ EAC", "au": "+ AU head"}


def audit_of(out):
    """The pooled audit of a run, or {}."""
    path = os.path.join(out, "audit.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)["pooled"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mexa", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--noise-model", default="uniform", choices=["uniform", "neighbours"])
    ap.add_argument("--noise", default="0,0.1,0.2,0.3")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--losses", default="ce,ldam-drw")
    ap.add_argument("--methods", default="base,scn,rul", help="of " + ",".join(METHODS))
    ap.add_argument("--hours", type=float, default=0, help="start no run after this many hours (0: no limit)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    noises = [float(x) for x in args.noise.split(",")]
    losses = args.losses.split(",")
    names = args.methods.split(",")
    for n in names:
        if n not in METHODS:
            sys.exit(f"unknown method {n} (one of {', '.join(METHODS)})")
    model = args.noise_model
    started = time.time()

    sets = {}
    for p in noises:
        d = os.path.join(args.work, f"set-{model}-{p:g}")
        if not os.path.exists(os.path.join(d, "annotations.csv")):
            subprocess.run([args.mexa, "synth", "--out", d, "--seed", "1", "--label-noise", str(p), "--label-noise-model",
                            model, "--log-level", "warn"], check=True)
        sets[p] = d

    def prepare(p):
        """The set's flow inputs, computed once (one epoch of one fold) for every run to copy."""
        out = os.path.join(args.work, "cache", f"{model}-{p:g}")
        if not os.path.exists(os.path.join(out, "clips.h5")):
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            cmd = [args.mexa, "train", "--data", os.path.join(sets[p], "annotations.csv"), "--out", out, "--protocol",
                   "kfold", "--folds", "5", "--epochs", "1", "--stop-after-epoch", "1", "--log-level", "warn"]
            if run(cmd, out + ".log") != 0:
                sys.exit(f"preparing the clips failed: {' '.join(cmd)} (see {out}.log)")
        return os.path.join(out, "clips.h5")

    minutes = {}

    def train(job):
        loss, p, name, seed = job
        data = os.path.join(sets[p], "annotations.csv")
        out = os.path.join(args.work, "runs", f"{model}-{p:g}-{loss}-{name}-seed{seed}")
        if os.path.exists(os.path.join(out, "summary.json")):
            return out
        if args.hours and time.time() - started > args.hours * 3600:
            return None  # this part's time is up: the next part goes on from here
        os.makedirs(os.path.dirname(out), exist_ok=True)
        if os.path.exists(os.path.join(out, "config.ini")):
            cmd = [args.mexa, "train", "--out", out, "--data", data, "--resume", "--threads", "1", "--workers", "1",
                   "--log-level", "warn"]
        else:
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            shutil.copy(prepare(p), os.path.join(out, "clips.h5"))
            cmd = [args.mexa, "train", "--data", data, "--out", out, "--protocol", "kfold", "--folds", "5", "--epochs",
                   str(args.epochs), *LOSSES[loss], *METHODS[name], "--eval-label", "true_emotion", "--seed", str(seed),
                   "--threads", "1", "--workers", "1", "--log-level", "warn"]
        start = time.time()
        rc = run(cmd, out + ".log")
        minutes.setdefault(name, []).append((time.time() - start) / 60)
        if rc != 0:
            print(f"FAILED ({rc}): {' '.join(cmd)} (see {out}.log)", file=sys.stderr)
            return None
        return out

    for p in noises:
        prepare(p)
    # Seed-major order: a part that stops early leaves whole seeds, not whole noise levels, missing.
    jobs = [(l, p, n, s) for s in range(args.seeds) for l in losses for p in noises for n in names]
    with ThreadPoolExecutor(args.jobs) as pool:
        outs = list(pool.map(train, jobs))
    results = {}
    for (l, p, n, s), out in zip(jobs, outs):
        if out:
            with open(os.path.join(out, "summary.json")) as f:
                d = json.load(f)
            a = audit_of(out)
            results.setdefault((l, n, p), []).append({
                "uf1": d["uf1"], "uar": d["uar"], "contempt": d["per_class"]["contempt"]["recall"],
                "relabelled": a["relabelled"] / a["training_clips"] if a and a.get("training_clips") else None,
                "precision": a.get("precision") if a and a.get("relabelled") else None,
                "recall": a.get("recall") if a else None,
                "scn_auc": a.get("scn_importance_auc") if a else None,
                "rul_auc": a.get("rul_uncertainty_auc") if a else None})
    done = sum(len(v) for v in results.values())
    write(args, model, noises, losses, names, results, minutes, done, len(jobs))


def write(args, model, noises, losses, names, results, minutes, done, total):
    cols = " | ".join(f"noise {p:g}" for p in noises)
    rule = "|---|" + "---|" * len(noises)
    lines = [
        f"# Label noise ({model}): which uncertainty method survives it?",
        "",
        f"Command: `scripts/bench noise` ({datetime.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"`{platform.platform()}`; two runs at a time, one thread each), i.e. `python3 bench/noise_experiment.py "
        f"--noise-model {model} --epochs {args.epochs} --seeds {args.seeds} --noise {args.noise} --losses {args.losses} "
        f"--methods {args.methods}`. {done} of {total} runs finished"
        + ("." if done == total else " (a partial table: the next part resumes)."),
        "",
        f"Data: `mexa synth --seed 1 --label-noise P --label-noise-model {model}` (300 clips, 20 subjects; `true_emotion` "
        f"kept). Training: mexa's defaults (STSTNet on onset->apex TV-L1 flow, AdamW 1e-3, batch 256), {args.epochs} epochs "
        f"instead of 500; 5-fold subject-independent, pooled, scored against `true_emotion`; mean ± std over seeds (the "
        f"seed also draws the folds). The audit columns come from each run's audit.json.",
    ]
    for loss in losses:
        base = (loss, names[0])
        lines += ["", f"## {loss}", "", "| method | metric | " + cols + " |", "|---" + rule]
        for n in names:
            for key, title in (("uf1", "UF1"), ("uar", "UAR"), ("contempt", "contempt recall")):
                cells = " | ".join(mean_std([r[key] for r in results.get((loss, n, p), [])]) for p in noises)
                lines.append(f"| {LABELS[n]} | {title} | {cells} |")
        lines += ["", "UF1 minus the base's, in units of the base's seed standard deviation:", "",
                  "| method | " + cols + " |", rule]
        for n in names[1:]:
            cells = []
            for p in noises:
                a = [r["uf1"] for r in results.get((loss, n, p), [])]
                b = [r["uf1"] for r in results.get(base + (p,), [])]
                if a and len(b) > 1 and statistics.stdev(b) > 0:
                    d = statistics.mean(a) - statistics.mean(b)
                    cells.append(f"{d:+.3f} ({d / statistics.stdev(b):+.1f} sd)")
                else:
                    cells.append("-")
            lines.append(f"| {LABELS[n]} | " + " | ".join(cells) + " |")
        lines += ["", "Audit (against `true_emotion`; relabelled: share of training clips; AUC 0.5 = chance):", "",
                  "| method | figure | " + cols + " |", "|---" + rule]
        for n, keys in (("scn", (("relabelled", "relabelled"), ("precision", "relabel precision"),
                                 ("recall", "noisy clips fixed"), ("scn_auc", "importance AUC"))),
                        ("rul", (("rul_auc", "uncertainty AUC"),))):
            if n in names:
                for key, title in keys:
                    cells = " | ".join(mean_std([r[key] for r in results.get((loss, n, p), [])]) for p in noises)
                    lines.append(f"| {LABELS[n]} | {title} | {cells} |")
    lines += ["", "Minutes per run (median): " + ", ".join(
        f"{LABELS[n]} {statistics.median(m):.1f}" for n, m in minutes.items()) if minutes else ""]
    reading = ""  # the hand-written reading below the table survives a re-run (check its figures)
    if os.path.exists(args.out):
        with open(args.out) as f:
            text = f.read()
        if "\n## Reading" in text:
            reading = text[text.index("\n## Reading"):]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n" + reading)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
