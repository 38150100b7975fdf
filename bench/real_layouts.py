"""Rows mexa reads from annotation files in the real datasets' layouts, at the
real files' sizes and label counts (the files themselves are licensed).

    scripts/bench real_layouts

Writes, per dataset, an annotation file with the real columns, spellings and
irregularities (CAS(ME)^3: 687 micro-expressions in 378 videos, several per
video, `happy`/`sad`; CASME II: 255 rows with its 7 labels; SAMM: 159 rows
below a free-text preamble, 26 `Other`, 2 apexes outside onset-offset), runs
`mexa manifest --style S --no-path-check` on it under the style's default
class set and under megc3, and tables the rows read, excluded and skipped.
"""
import argparse
import csv
import datetime
import os
import platform
import random
import re
import subprocess


def casme3(path):
    counts = {"disgust": 247, "surprise": 184, "fear": 83, "anger": 64, "sad": 55, "happy": 54}
    labels = [l for l, n in counts.items() for _ in range(n)]
    random.Random(1).shuffle(labels)
    # 378 videos: the first 309 hold one micro-expression, 69 hold the other 378 (687 - 309), several each.
    rows, video = [], 0
    sizes = [1] * 309 + [378 // 69 + (1 if k < 378 % 69 else 0) for k in range(69)]
    for size in sizes:
        subject, clip = f"spNO.{1 + video % 100}", "abcdefghijklm"[video // 100] + str(video % 7)
        for k in range(size):
            onset = 10 + 40 * k
            rows.append([subject, clip, onset, onset + 5, onset + 12, "AU4", "Negative", labels[len(rows)]])
        video += 1
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"])
        w.writerows(rows)
    return len(rows)


def casme2(path):
    counts = {"others": 99, "disgust": 63, "happiness": 32, "repression": 27, "surprise": 25, "sadness": 7, "fear": 2}
    labels = [l for l, n in counts.items() for _ in range(n)]
    random.Random(2).shuffle(labels)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Subject", "Filename", "", "OnsetFrame", "ApexFrame", "OffsetFrame", "", "Action Units", "Estimated Emotion"])
        for i, label in enumerate(labels):
            w.writerow([1 + i % 26, f"EP{i // 26:02d}_{i % 26:02d}f", "", 46, 59, 86, "", "12", label])
    return len(labels)


def samm(path):
    counts = {"Anger": 57, "Contempt": 12, "Disgust": 9, "Fear": 8, "Happiness": 26, "Other": 26, "Sadness": 6, "Surprise": 15}
    labels = [l for l, n in counts.items() for _ in range(n)]
    random.Random(3).shuffle(labels)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        for line in ["SAMM micro-movement dataset", "FACS coding", "", "Coded by two FACS coders", "", "", "", "", "", "", ""]:
            w.writerow([line])
        w.writerow(["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
                    "Type", "Action Units", "Estimated Emotion", "Objective Classes", "Notes"])
        for i, label in enumerate(labels):
            apex = 5700 if i in (40, 90) else 5590  # two rows with the apex past the offset, as in the file
            w.writerow([f"{6 + i % 32:03d}", f"{6 + i % 32:03d}_1_{i}", 1, 5562, apex, 5650, 88, "Micro - 1/2", "R12",
                        label, 2, ""])
    return len(labels)


def manifest(mexa, style, path, classes=None):
    cmd = [mexa, "manifest", "--style", style, "--no-path-check", path] + (["--classes", classes] if classes else [])
    p = subprocess.run(cmd, capture_output=True, text=True)
    m = re.search(r"(\d+) rows, (\d+) skipped, (\d+) excluded by the class set", p.stdout)
    if not m:
        raise SystemExit(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return int(m[1]), int(m[2]), int(m[3]), p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mexa", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", default="docs/bench-real-layouts.md")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    cases = [("CAS(ME)^3 part A", "casme3", casme3, "casme3_part_A_labels.csv", "312 (265 'duplicate clip', happy/sad unknown)"),
             ("CASME II", "casme2", casme2, "CASME2-coding-20190701.csv", "129 (126 skipped under dfme's 7 classes)"),
             ("SAMM", "samm", samm, "SAMM_Micro_FACS_Codes_v2.csv", "131 (26 Other, 2 apex errors)")]
    lines = ["# Rows read from annotation files in the real layouts", "",
             f"`scripts/bench real_layouts` ({datetime.date.today().isoformat()}, {platform.node()}).", "",
             "Each file is written by bench/real_layouts.py in the dataset's columns and spellings at the real",
             "file's size and label counts; `mexa manifest --style S --no-path-check FILE` reads it. *Before*:",
             "what the mexa of 2026-12-03 kept from the real files.", "",
             "| dataset | rows in file | before | class set | read | excluded by the class set | skipped (bad rows) | exit |",
             "|---|---|---|---|---|---|---|---|"]
    for name, style, write, file, before in cases:
        path = os.path.join(a.work, file)
        total = write(path)
        for classes in (None, "megc3"):
            read, skipped, excluded, rc = manifest(a.mexa, style, path, classes)
            lines.append(f"| {name} | {total} | {before} | {classes or 'the style default'} | {read} | {excluded} | "
                         f"{skipped} | {rc} |")
    lines.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
