#!/usr/bin/env python3
"""The sweep that chose `mexa train`'s defaults (issue 11), and the Python recipe beside it.

On the default `mexa synth --seed 1` set (300 clips, 20 subjects, 200 fps),
5-fold subject-independent, test predictions pooled over folds, each candidate
is trained with 3 seeds (the seed also draws the folds). The best two are then
confirmed on a second generated set (`--seed 2 --fps 500`). The plain Python
STSTNet recipe (bench/ststnet_reference.py) is run on exactly the folds of
each seed's mexa run (--folds-from). Writes one markdown table.

    scripts/bench defaults        # -> docs/defaults.md

Runs two trainings at a time (each --threads 1 --workers 1). A candidate's
preprocessed clips are computed once per set and copied into each run.
"""
import argparse, datetime, json, os, platform, shutil, statistics, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor

from run_lib import mean_std, run

# The recipe every flow candidate starts from: STSTNet on onset->apex TV-L1
# flow (u, v, strain at 28x28), Adam(W) lr 1e-3 without weight decay, full
# batches of 256, constant rate (`step` without milestones: the same rates as
# `constant`), plain cross-entropy, last epoch.
RECIPE = ["--model", "ststnet", "--input", "flow", "--optimizer", "adamw", "--lr", "0.001", "--weight-decay", "0",
          "--batch", "256", "--epochs", "500", "--schedule", "step", "--warmup", "0", "--no-augment"]


def with_(args, **changes):
    """RECIPE with some options replaced (None removes a switch)."""
    out, i = [], 0
    flags = {"--" + k.replace("_", "-"): v for k, v in changes.items()}
    while i < len(args):
        a = args[i]
        takes_value = i + 1 < len(args) and not args[i + 1].startswith("--")
        if a in flags:
            v = flags.pop(a)
            if v is not None:
                out += [a, v] if takes_value else [a]
            i += 2 if takes_value else 1
            continue
        out += args[i:i + (2 if takes_value else 1)]
        i += 2 if takes_value else 1
    for a, v in flags.items():
        if v is not None:
            out += [a] if v is True else [a, v]
    return out


CANDIDATES = {
    "ststnet flow, recipe (500 epochs, no augmentation)": RECIPE,
    "ststnet flow, recipe + augmentation": with_(RECIPE, no_augment=None, augment=True),
    "ststnet flow, recipe, 200 epochs": with_(RECIPE, epochs="200"),
    "ststnet flow, recipe, balanced-softmax loss": with_(RECIPE, loss="balanced-softmax"),
    "small3d onset-difference 8x32x32 (configs/small3d-synth.ini)": ["--config", "CONFIG_SMALL3D"],
    "default (the winner, no options)": [],
    # Beyond the recipe (added after the defaults were chosen): attention, several flow fields, a 3D CNN on flow.
    "ststnet flow, recipe + CBAM": with_(RECIPE, cbam=True),
    "ststnet on 3 apex-centred flow fields": with_(RECIPE, frames="3"),
    "small3d (3D CNN) on 3 apex-centred flow fields, 200 epochs": with_(RECIPE, model="small3d", frames="3", epochs="200"),
}



def summary(run_dir):
    with open(os.path.join(run_dir, "summary.json")) as f:
        s = json.load(f)
    return {"uf1": s["uf1"], "uar": s["uar"], "contempt": s["per_class"].get("contempt", {}).get("recall", float("nan"))}



def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mexa", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", type=int, default=3, help="seeds of the recipe (candidate 0) and of the confirmation")
    ap.add_argument("--alt-seeds", type=int, default=3, help="seeds of the other candidates")
    ap.add_argument("--default-seeds", type=int, default=1,
                    help="seeds of the no-option default on the first set (it must reproduce the winner's runs)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--candidates", default="", help="comma-separated indices into the candidate list (default: all)")
    ap.add_argument("--confirm", type=int, default=1, help="best N candidates re-run on the second set")
    ap.add_argument("--loso-seeds", type=int, default=1, help="seeds of the default under LOSO on the first set")
    ap.add_argument("--python-sets", type=int, default=2, help="sets the Python recipe runs on (1: the first only)")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    config_small3d = os.path.join(root, "configs", "small3d-synth.ini")
    os.makedirs(args.work, exist_ok=True)
    sets = {"synth --seed 1 (200 fps)": ["--seed", "1"], "synth --seed 2 --fps 500": ["--seed", "2", "--fps", "500"]}
    set_dirs = {}
    for name, opts in sets.items():
        d = os.path.join(args.work, "set-" + "-".join(o.strip("-") for o in opts))
        if not os.path.exists(os.path.join(d, "annotations.csv")):
            subprocess.run([args.mexa, "synth", "--out", d, *opts, "--log-level", "warn"], check=True)
        set_dirs[name] = d

    names = list(CANDIDATES)
    chosen = [names[int(i)] for i in args.candidates.split(",")] if args.candidates else names
    results = {}  # (set, candidate) -> [summary per seed]
    minutes = {}

    def options(cand):
        return [o.replace("CONFIG_SMALL3D", config_small3d) for o in CANDIDATES[cand]]

    def input_group(cand):
        opts = CANDIDATES[cand]
        if "--config" in opts:
            return "small3d"
        return "flow" + (f"-{opts[opts.index('--frames') + 1]}fields" if "--frames" in opts else "")

    def prepare(set_name, cand):
        """Preprocesses the set once for the candidate's input (one epoch of one fold), for the runs to copy."""
        out = os.path.join(args.work, "cache", f"{os.path.basename(set_dirs[set_name])}-{input_group(cand)}")
        if not os.path.exists(os.path.join(out, "clips.h5")):
            shutil.rmtree(out, ignore_errors=True)
            cmd = [args.mexa, "train", "--data", os.path.join(set_dirs[set_name], "annotations.csv"), "--out", out,
                   "--protocol", "kfold", "--folds", "5", *with_(options(cand), epochs="1"), "--stop-after-epoch", "1",
                   "--log-level", "warn"]
            if run(cmd, out + ".log") != 0:
                sys.exit(f"preparing the clips failed: {' '.join(cmd)} (see {out}.log)")
        return os.path.join(out, "clips.h5")

    def train(set_name, cand, seed, protocol=("--protocol", "kfold", "--folds", "5"), tag="kfold"):
        data = os.path.join(set_dirs[set_name], "annotations.csv")
        opts = options(cand)
        slug = f"{os.path.basename(set_dirs[set_name])}-{names.index(cand)}-{tag}-seed{seed}"
        out = os.path.join(args.work, "runs", slug)
        if not os.path.exists(os.path.join(out, "summary.json")):
            if os.path.exists(os.path.join(out, "config.ini")):  # interrupted: continue it exactly
                cmd = [args.mexa, "train", "--out", out, "--data", data, "--resume", "--threads", "1", "--workers", "1",
                       "--log-level", "warn"]
            else:
                shutil.rmtree(out, ignore_errors=True)
                os.makedirs(out)
                cache = prepare(set_name, cand)
                if os.path.exists(cache):
                    shutil.copy(cache, os.path.join(out, "clips.h5"))
                cmd = [args.mexa, "train", "--data", data, "--out", out, *protocol, *opts, "--seed", str(seed),
                       "--threads", "1", "--workers", "1", "--log-level", "warn"]
            start = time.time()
            rc = run(cmd, out + ".log")
            minutes[(set_name, cand, tag)] = (time.time() - start) / 60
            if rc != 0:
                print(f"FAILED ({rc}): {' '.join(cmd)} (see {out}.log)", file=sys.stderr)
                return None
        return out

    def jobs_of(set_name, cands, seeds, **kw):
        """(set, candidate, seed, options) for each run; seeds: a number or a function of the candidate."""
        count = seeds if callable(seeds) else (lambda c: seeds)
        if not cands:
            return []
        return [(set_name, c, s, kw) for s in range(max(count(c) for c in cands)) for c in cands if s < count(c)]

    def sweep(jobs):
        """Runs the jobs, --jobs at a time (inputs prepared first), and records their summaries."""
        for sn, c, _, _ in jobs:
            prepare(sn, c)
        with ThreadPoolExecutor(args.jobs) as pool:
            outs = list(pool.map(lambda j: train(j[0], j[1], j[2], **j[3]), jobs))
        for (sn, c, s, kw), out in zip(jobs, outs):
            if out:
                results.setdefault((sn, c, kw.get("tag", "kfold")), []).append((s, out, summary(out)))

    first, second = list(sets)
    default = "default (the winner, no options)"
    sweep(jobs_of(first, chosen,
                  lambda c: args.seeds if c == names[0] else args.default_seeds if c == default else args.alt_seeds))
    ranked = sorted([c for c in chosen if (first, c, "kfold") in results and c != default],
                    key=lambda c: -statistics.mean(r[2]["uf1"] for r in results[(first, c, "kfold")]))
    # The confirmation on the second set, and the default under LOSO (long: it starts first).
    loso = jobs_of(first, [default], args.loso_seeds, protocol=("--protocol", "loso"), tag="loso") if args.loso_seeds else []
    # What is confirmed is the default itself (the winner, made the default) when it is among the candidates.
    confirmed = [default] if default in chosen else ranked[:args.confirm]
    sweep(loso + jobs_of(second, confirmed, args.seeds))

    # The Python recipe on the same folds as mexa's default runs.
    python = {}
    ref = os.path.join(root, "bench", "ststnet_reference.py")
    for (sn, c, tag), rows in sorted(results.items()):
        if c != (names[0] if sn == first and tag == "kfold" else default):  # the runs' folds (the seed draws them)
            continue
        if list(sets).index(sn) >= args.python_sets:
            continue
        for seed, out, _ in rows:
            js = out + ".python.json"
            if not os.path.exists(js):
                cmd = [sys.executable, ref, "--data", os.path.join(set_dirs[sn], "annotations.csv"), "--folds-from", out,
                       "--seed", str(seed), "--work", os.path.join(args.work, "python-cache"), "--threads", "2",
                       "--out-json", js]
                if run(cmd, out + ".python.log") != 0:
                    print(f"FAILED: {' '.join(cmd)}", file=sys.stderr)
                    continue
            with open(js) as f:
                p = json.load(f)
            python.setdefault((sn, tag), []).append(
                {"uf1": p["uf1_all_classes"], "uar": p["uar_all_classes"], "contempt": p["per_class_recall"].get("contempt", float("nan"))})

    lines = [
        "# Defaults of `mexa train`: the sweep that chose them",
        "",
        f"Command: `scripts/bench defaults` ({datetime.date.today().isoformat()}, {platform.machine()}, "
        f"{os.cpu_count()} cores, `{platform.platform()}`; two runs at a time, one thread each).",
        "",
        "Pooled test predictions of 5-fold subject-independent cross-validation (LOSO where marked), "
        "mean ± std over n seeds (the seed draws the folds, the weights and the sampling). "
        "UF1 and UAR average over all 7 classes; contempt is the rarest class (9 of 300 clips). "
        "The Python rows train `bench/ststnet_reference.py` on exactly the folds of the mexa recipe's runs.",
        "",
        "| set | candidate | options | n | UF1 | UAR | contempt recall | minutes per run |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def row(sn, label, opts, s, m):
        return (f"| {sn} | {label} | {opts} | {len(s)} | {mean_std([x['uf1'] for x in s])} | "
                f"{mean_std([x['uar'] for x in s])} | {mean_std([x['contempt'] for x in s])} | {m} |")

    for (sn, c, tag), rows in results.items():
        opts = " ".join(CANDIDATES[c]).replace("CONFIG_SMALL3D", "configs/small3d-synth.ini")
        m = minutes.get((sn, c, tag))
        lines.append(row(sn, c + (" — LOSO" if tag == "loso" else ""), f"`{opts}`" if opts else "(none)",
                         [r[2] for r in rows], f"{m:.1f}" if m else "(earlier run)"))
    for (sn, tag), s in python.items():
        lines.append(row(sn, "Python STSTNet recipe, same folds" + (" — LOSO" if tag == "loso" else ""),
                         "min-max per sample and channel, Adam 1e-3, batch 256, 500 epochs", s, ""))
    lines += ["", f"Ranking on the first set (mean UF1): {', '.join(ranked)}.", ""]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
