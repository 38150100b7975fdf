"""The MEGC 2019 composite (CASME II + SAMM + SMIC-HS as flow images) with
mexa's STSTNet recipe, both figures beside the published ones.

    scripts/bench composite IMAGE_DIR LABELS.csv [mexa train options...]

Trains `mexa train --data megc2019=IMAGE_DIR,LABELS.csv --report-test-selected`
(LOSO over the 68 subjects, STSTNet's published recipe: the megc2019 style's
defaults) into WORK/run. Resumable by fold and by epoch: run it again after an
interruption and it continues with --resume. Extra options go to `mexa train`
(`--epochs 50` for a quick look; the run folder then differs, so a resumed run
never mixes settings). Writes OUT (default docs/bench-composite.md).
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import subprocess
import sys

# Published figures (UF1 / UAR on the full composite) and how their epochs were chosen.
# Full, then SMIC / CASME II / SAMM where published.
PUBLISHED = [
    ("STSTNet, paper (Liong et al. 2019)", "not stated", [".7353/.7605", ".6801/.7013", ".8382/.8686", ".6588/.6810"]),
    ("STSTNet, its authors' PyTorch re-run", "the last of 500 epochs", [".7209/.725", "", "", ""]),
    ("HTNet (Wang et al. 2024)", "per test subject, its best test epoch",
     [".8603/.8475", ".8049/.7905", ".9532/.9516", ".8131/.8124"]),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mexa", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", default="docs/bench-composite.md")
    ap.add_argument("images")
    ap.add_argument("labels")
    ap.add_argument("train_args", nargs=argparse.REMAINDER, help="more `mexa train` options")
    a = ap.parse_args()
    for path in (a.images, a.labels):
        if not os.path.exists(path):
            sys.exit(f"bench composite: {path}: no such file or folder")
    # One run folder per set of extra options: a resumed run never mixes settings.
    tag = hashlib.sha1(" ".join(a.train_args).encode()).hexdigest()[:8] if a.train_args else "recipe"
    run = os.path.join(a.work, "run-" + tag)
    cmd = [a.mexa, "train", "--out", run]
    if os.path.exists(os.path.join(run, "config.ini")):
        cmd += ["--resume"]
    else:
        cmd += ["--data", f"megc2019={a.images},{a.labels}", "--report-test-selected"] + a.train_args
    print(" ".join(cmd), file=sys.stderr)
    rc = subprocess.run(cmd).returncode
    summary_path = os.path.join(run, "summary.json")
    if rc not in (0, 1) or not os.path.exists(summary_path):
        sys.exit(f"bench composite: mexa train exited {rc}; run again to continue ({run})")
    s = json.load(open(summary_path))
    ts = s.get("test_selected", {})
    config = open(os.path.join(run, "config.ini")).read()

    def row(name, d, t):
        cells = [name, str(d.get("n", "-"))]
        for x in (d, t):
            cells += [f"{x[k]:.4f}" if x and k in x else "-" for k in ("uf1", "uar")]
        return "| " + " | ".join(cells) + " |"

    lines = [
        "# The MEGC 2019 composite: mexa beside the published figures",
        "",
        f"`scripts/bench composite {a.images} {a.labels}" + (" " + " ".join(a.train_args) if a.train_args else "") + "`",
        f"({datetime.date.today().isoformat()}, {platform.node()}, {os.cpu_count()} cores, mexa train exit {rc}).",
        "",
        "LOSO over the composite's subjects, test predictions pooled. *Headline*: the last epoch (or the",
        "validation-chosen one). *Test-selected*: per test subject the epoch with the best accuracy on its",
        "test clips, ties to the latest, as published code picks it: optimistic, for comparison only.",
        "",
        "| part | clips | UF1 headline | UAR headline | UF1 test-selected | UAR test-selected |",
        "|---|---|---|---|---|---|",
        row("Full", s, ts),
    ]
    for name, d in sorted(s.get("per_dataset", {}).items()):
        lines.append(row(name, d, ts.get("per_dataset", {}).get(name)))
    lines += ["", "Published, UF1/UAR:", "", "| method | epoch chosen | Full | SMIC | CASME II | SAMM |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {n} | {how} | " + " | ".join(v or "-" for v in values) + " |" for n, how, values in PUBLISHED]
    lines += ["", "The run's options (config.ini):", "", "```", config.strip(), "```", ""]
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print(a.out)


if __name__ == "__main__":
    main()
