#!/usr/bin/env python3
"""Plain-Python reference of the standard micro-expression recipe (STSTNet).

What a researcher would write instead of using mexa, to compare against
`mexa train --model ststnet --input flow`:

1. Manifest: the annotations.csv written by `mexa synth` (columns subject, clip,
   path, onset, apex, offset, emotion, ...). Clip id = "subject/clip" as in mexa.
   Paths are taken relative to the CSV's folder unless absolute. Frame numbers are
   0-based (mexa's default index base; --index-base changes it). A missing apex is
   replaced by the middle of onset..offset.
   Classes (--classes): "dfme" (default) is mexa's fixed order happiness, sadness,
   anger, contempt, fear, disgust, surprise (io::dfme_classes()); "megc3" is
   negative, positive, surprise with mexa's aliases; "sorted" takes the distinct
   names in the file, sorted. Rows of an unknown class are skipped with a warning,
   like mexa does without --strict.
2. Decoding with OpenCV (cv2.VideoCapture, read sequentially up to the apex; frame
   folders: the sorted image files), converted to grey. The synthetic clips are
   pre-cropped faces: no face detection or alignment.
3. Dual TV-L1 optical flow onset -> apex with OpenCV's default parameters
   (cv2.optflow.DualTVL1OpticalFlow_create()), computed on the grey frames resized
   to 128x128 (cv2.INTER_AREA; mexa's flow work size is 128x128 too).
   Optical strain: e_xx = du/dx, e_yy = dv/dy, e_xy = 0.5 (du/dy + dv/dx),
   strain = sqrt(e_xx^2 + e_yy^2 + 2 e_xy^2), derivatives by np.gradient (central
   differences inside, one-sided at the border; mexa uses a [-1 0 1]/2 kernel with
   reflected borders, so only the outermost pixels differ).
   (u, v, strain) are resized to 28x28 (cv2.INTER_AREA, as mexa) and min-max
   normalised per sample and per channel to [0, 1] (--norm minmax, the default).
   DIFFERENCE: mexa divides u and v by the largest |u| or |v| of the sample
   ([-1, 1], direction kept) and strain by its maximum; --norm mexa does that.
4. STSTNet (Liong et al. 2019): three parallel streams on the 3x28x28 input with
   3, 5 and 8 filters (3x3, padding 1), each ReLU -> BatchNorm -> 3x3 max-pool
   stride 3 padding 1 (28 -> 10); concatenated (16 channels), 2x2 average pool
   stride 2 (-> 5x5), flattened (400), dropout p=0.5, linear to the classes.
   This matches engine/src/models.cpp (StstNet: Conv3d with a 1x3x3 kernel on a
   one-frame clip is the same as Conv2d; adaptive pooling 10x10 -> 5x5 is the same
   as the 2x2/2 average pool; one dropout before the linear layer; no CBAM,
   plain linear head).
5. Training: Adam lr 1e-3, batches of 256 (the whole training set when it is
   smaller; a trailing batch of a single clip is dropped because BatchNorm needs
   two), --epochs (500), plain cross-entropy, the model after the last epoch is
   tested (no selection on the test fold). torch.manual_seed(seed) before each fold.
6. Folds: --folds-from RUN uses a finished `mexa train` run: each
   RUN/folds/*/test_predictions.csv lists (column 1, "id") the test clips of one
   fold; the training set is every other decodable clip of the manifest (if that
   run used --val-fraction > 0, mexa trained on fewer subjects than this script).
   Otherwise --protocol loso (one fold per subject) or --protocol kfold --folds K:
   the sorted distinct subjects are shuffled with Python's random.Random(fold_seed)
   and dealt round-robin into K folds (subject-independent, not mexa's shuffle).
7. Metrics over the test predictions pooled over folds: UF1 = mean over the
   classes present in the ground truth of per-class F1, UAR = mean per-class
   recall over the same classes, accuracy, per-class recall. ("uf1_all_classes"
   and "uar_all_classes" divide by every class, as mexa's report does; they are
   equal when every class occurs.) One JSON object is printed on stdout.
8. With --work DIR the 28x28 (u, v, strain) features before normalisation are
   cached in DIR/flow-<hash of the CSV path>.npz keyed by clip id (plus path,
   onset and apex), so runs with other seeds skip decoding and flow.

Needs numpy, torch and OpenCV with contrib (pip: opencv-contrib-python-headless).

  python3 bench/ststnet_reference.py --data synth/annotations.csv --folds-from run \\
      --work /tmp/ref --seed 0 --out-json ref-seed0.json
"""
import argparse, csv, hashlib, json, os, random, re, sys, time

import numpy as np
import torch
import torch.nn as nn

DFME = ["happiness", "sadness", "anger", "contempt", "fear", "disgust", "surprise"]
MEGC3 = ["negative", "positive", "surprise"]
MEGC3_ALIASES = {"happiness": "positive", "happy": "positive", "positive": "positive", "surprise": "surprise",
                 "anger": "negative", "angry": "negative", "contempt": "negative", "disgust": "negative",
                 "sadness": "negative", "sad": "negative", "fear": "negative", "repression": "negative",
                 "negative": "negative"}
HEADERS = {"subject": "subject", "clip": "clip", "filename": "clip", "path": "path", "onset": "onset",
           "onsetframe": "onset", "onset frame": "onset", "apex": "apex", "apexframe": "apex", "apex frame": "apex",
           "offset": "offset", "offsetframe": "offset", "offset frame": "offset", "emotion": "emotion",
           "estimated emotion": "emotion"}
WORK_SIZE, FEATURE_SIZE = 128, 28


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def frame_number(text):
    text = text.strip()
    return int(float(text)) if text and text.lower() not in ("/", "n/a") else None


def read_manifest(path, classes_mode, index_base):
    """Rows as dicts (id, subject, path, onset, apex, label) and the class names."""
    with open(path, newline="") as f:
        records = [r for r in csv.reader(f) if r]
    head = next(i for i, r in enumerate(records[:40]) if {"onset", "offset"} <= {HEADERS.get(c.strip().lower()) for c in r})
    column = {}
    for i, name in enumerate(records[head]):
        column.setdefault(HEADERS.get(name.strip().lower()), i)
    emotions = [r[column["emotion"]].strip().lower() for r in records[head + 1:]]
    classes = {"dfme": DFME, "megc3": MEGC3, "sorted": sorted(set(emotions))}[classes_mode]
    aliases = MEGC3_ALIASES if classes_mode == "megc3" else {}
    base_dir = os.path.dirname(os.path.abspath(path))
    rows = []
    for r in records[head + 1:]:
        emotion = aliases.get(r[column["emotion"]].strip().lower(), r[column["emotion"]].strip().lower())
        if emotion not in classes:
            log(f"warning: {r[column['subject']]}/{r[column['clip']]}: unknown class '{emotion}' (row skipped)")
            continue
        onset, offset = frame_number(r[column["onset"]]) - index_base, frame_number(r[column["offset"]]) - index_base
        apex = frame_number(r[column["apex"]]) if "apex" in column else None
        apex = (onset + offset) // 2 if apex is None else apex - index_base
        clip_path = r[column["path"]].strip()
        rows.append({"id": f"{r[column['subject']].strip()}/{r[column['clip']].strip()}",
                     "subject": r[column["subject"]].strip(),
                     "path": os.path.normpath(os.path.join(base_dir, clip_path)),
                     "onset": onset, "apex": apex, "label": classes.index(emotion)})
    return rows, classes


def read_onset_apex(cv2, path, onset, apex):
    """Grey onset and apex frames (uint8) of a video file or a folder of numbered images."""
    if os.path.isdir(path):
        files = sorted((f for f in os.listdir(path) if re.search(r"\d", f)),
                       key=lambda f: int(re.findall(r"\d+", f)[-1]))
        return tuple(cv2.imread(os.path.join(path, files[i]), cv2.IMREAD_GRAYSCALE) for i in (onset, apex))
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise IOError(f"cannot open {path}")
    frames = {}
    for index in range(apex + 1):  # sequential reads: exact frame indices, unlike seeking
        ok, frame = cap.read()
        if not ok:
            raise IOError(f"{path}: frame {index} missing (apex {apex})")
        if index in (onset, apex):
            frames[index] = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    cap.release()
    return frames[onset], frames[apex]


def raw_features(cv2, tvl1, onset, apex):
    """Onset -> apex TV-L1 flow at 128x128 -> (u, v, strain) at 28x28, float32 [3, 28, 28], not normalised."""
    a, b = (cv2.resize(img, (WORK_SIZE, WORK_SIZE), interpolation=cv2.INTER_AREA) for img in (onset, apex))
    flow = tvl1.calc(a, b, None)
    u, v = flow[..., 0].astype(np.float64), flow[..., 1].astype(np.float64)
    u_y, u_x = np.gradient(u)  # axis 0 is y, axis 1 is x
    v_y, v_x = np.gradient(v)
    e_xy = 0.5 * (u_y + v_x)
    strain = np.sqrt(u_x ** 2 + v_y ** 2 + 2 * e_xy ** 2)
    small = [cv2.resize(c.astype(np.float32), (FEATURE_SIZE, FEATURE_SIZE), interpolation=cv2.INTER_AREA)
             for c in (u, v, strain)]
    return np.stack(small)


def normalise(x, mode):
    """x [N, 3, 28, 28]: per sample, per channel min-max to [0, 1] ('minmax'), or mexa's scaling ('mexa')."""
    x = x.astype(np.float32).copy()
    if mode == "minmax":
        lo, hi = x.min(axis=(2, 3), keepdims=True), x.max(axis=(2, 3), keepdims=True)
        return np.where(hi > lo, (x - lo) / np.maximum(hi - lo, 1e-12), 0.0).astype(np.float32)
    flow_max = np.abs(x[:, :2]).max(axis=(1, 2, 3), keepdims=True)  # at 28x28: close to, not equal to, mexa (128x128)
    strain_max = x[:, 2:].max(axis=(1, 2, 3), keepdims=True)
    x[:, :2] /= np.where(flow_max > 0, flow_max, 1)
    x[:, 2:] /= np.where(strain_max > 0, strain_max, 1)
    return x


def load_features(rows, csv_path, work, threads):
    """Features of every decodable clip: (ids, array [N, 3, 28, 28]), seconds, failures; cached under work."""
    import cv2
    cv2.setNumThreads(threads)
    make = getattr(getattr(cv2, "optflow", None), "DualTVL1OpticalFlow_create", None)
    if make is None:
        raise SystemExit("OpenCV without optflow (contrib): pip install opencv-contrib-python-headless")
    tvl1 = make()
    cache, cache_file = {}, None
    if work:
        os.makedirs(work, exist_ok=True)
        digest = hashlib.sha1(os.path.abspath(csv_path).encode()).hexdigest()[:12]
        cache_file = os.path.join(work, f"flow-{digest}.npz")
        if os.path.exists(cache_file):
            with np.load(cache_file) as z:
                cache = dict(zip(z["keys"].tolist(), z["features"]))
    seconds, ids, feats, failures, computed = {"decode": 0.0, "flow": 0.0}, [], [], [], 0
    for n, row in enumerate(rows):
        key = f"{row['id']}|{row['path']}|{row['onset']}|{row['apex']}"
        if key not in cache:
            try:
                t0 = time.time()
                onset, apex = read_onset_apex(cv2, row["path"], row["onset"], row["apex"])
                t1 = time.time()
                cache[key] = raw_features(cv2, tvl1, onset, apex)
                seconds["decode"] += t1 - t0
                seconds["flow"] += time.time() - t1
                computed += 1
            except Exception as e:  # an unreadable clip is left out, as mexa does
                log(f"warning: {row['id']}: {e} (clip skipped)")
                failures.append(row["id"])
                continue
            if computed % 50 == 0:
                log(f"flow {n + 1}/{len(rows)}")
        ids.append(row["id"])
        feats.append(cache[key])
    if cache_file and computed:
        keys = list(cache)
        np.savez(cache_file, keys=np.array(keys), features=np.stack([cache[k] for k in keys]))
    log(f"{len(ids)} clips ({computed} computed, {len(ids) - computed} cached, {len(failures)} failed)")
    return ids, np.stack(feats), seconds, failures, len(ids) - computed


class STSTNet(nn.Module):
    def __init__(self, num_classes, in_channels=3):
        super().__init__()
        self.streams = nn.ModuleList(
            nn.Sequential(nn.Conv2d(in_channels, c, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(c),
                          nn.MaxPool2d(3, stride=3, padding=1))
            for c in (3, 5, 8))
        self.pool = nn.AvgPool2d(2, stride=2)
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(16 * 5 * 5, num_classes)

    def forward(self, x):
        y = self.pool(torch.cat([s(x) for s in self.streams], 1)).flatten(1)
        return self.fc(self.dropout(y))


def train_and_predict(x_train, y_train, x_test, num_classes, args):
    torch.manual_seed(args.seed)
    model = STSTNet(num_classes)
    optimiser = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    x_train, y_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for _ in range(args.epochs):
        model.train()
        order = torch.randperm(len(x_train))
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            if len(batch) < 2:
                continue
            optimiser.zero_grad()
            loss_fn(model(x_train[batch]), y_train[batch]).backward()
            optimiser.step()
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(x_test)).argmax(1).numpy()


def make_folds(ids, subjects, args):
    """List of (name, test index array)."""
    if args.folds_from:
        fold_dir = os.path.join(args.folds_from, "folds")
        names = sorted(d for d in os.listdir(fold_dir) if os.path.exists(os.path.join(fold_dir, d, "test_predictions.csv")))
        if not names:
            raise SystemExit(f"no {fold_dir}/*/test_predictions.csv: is the mexa run finished?")
        where, folds = {clip: i for i, clip in enumerate(ids)}, []
        for name in names:
            with open(os.path.join(fold_dir, name, "test_predictions.csv"), newline="") as f:
                table = [r for r in csv.reader(f) if r]
            test = [r[0] for r in table[1:]]
            other = {r[3] for r in table[1:] if len(r) > 3} - set(args.class_names)
            if other:
                raise SystemExit(f"fold {name}: mexa's classes {sorted(other)} are not in --classes {args.classes}")
            missing = [t for t in test if t not in where]
            if missing:
                log(f"warning: fold {name}: {len(missing)} test clips not usable here, e.g. {missing[0]}")
            folds.append((name, np.array([where[t] for t in test if t in where], dtype=np.int64)))
        return folds
    distinct = sorted(set(subjects))
    if args.protocol == "loso":
        groups = [[s] for s in distinct]
    else:
        random.Random(args.fold_seed).shuffle(distinct)
        groups = [distinct[k::args.folds] for k in range(args.folds)]
    return [(f"loso-{g[0]}" if args.protocol == "loso" else f"kfold-{k + 1}", np.array([i for i, s in enumerate(subjects) if s in set(g)], dtype=np.int64))
            for k, g in enumerate(groups)]


def metrics(labels, preds, classes):
    labels, preds = np.asarray(labels), np.asarray(preds)
    f1, recall = {}, {}
    for k, name in enumerate(classes):
        tp = int(np.sum((labels == k) & (preds == k)))
        fn = int(np.sum((labels == k) & (preds != k)))
        fp = int(np.sum((labels != k) & (preds == k)))
        f1[name] = 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0
        recall[name] = tp / (tp + fn) if tp + fn else 0.0
    present = [c for k, c in enumerate(classes) if np.any(labels == k)]
    return {"uf1": float(np.mean([f1[c] for c in present])), "uar": float(np.mean([recall[c] for c in present])),
            "acc": float(np.mean(labels == preds)),
            "uf1_all_classes": float(np.mean(list(f1.values()))), "uar_all_classes": float(np.mean(list(recall.values()))),
            "per_class_recall": {c: recall[c] for c in present}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="annotations.csv (mexa synth / mexa layout)")
    ap.add_argument("--folds-from", help="finished `mexa train` run folder: use its test folds")
    ap.add_argument("--protocol", choices=["kfold", "loso"], default="kfold", help="without --folds-from")
    ap.add_argument("--folds", type=int, default=5, help="kfold: number of folds")
    ap.add_argument("--fold-seed", type=int, default=0, help="kfold: seed of the subject shuffle")
    ap.add_argument("--classes", choices=["dfme", "megc3", "sorted"], default="dfme", help="class names and order")
    ap.add_argument("--index-base", type=int, default=0, help="frame number of the first frame in the CSV")
    ap.add_argument("--norm", choices=["minmax", "mexa"], default="minmax", help="feature normalisation")
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", help="folder for the flow feature cache (.npz)")
    ap.add_argument("--out-json", help="also write the result here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    rows, classes = read_manifest(args.data, args.classes, args.index_base)
    ids, raw, seconds, failures, cached = load_features(rows, args.data, args.work, args.threads)
    by_id = {r["id"]: r for r in rows}
    x = normalise(raw, args.norm)
    y = np.array([by_id[i]["label"] for i in ids], dtype=np.int64)
    subjects = [by_id[i]["subject"] for i in ids]

    args.class_names = classes
    folds = make_folds(ids, subjects, args)
    labels, preds, t0 = [], [], time.time()
    for n, (name, test) in enumerate(folds):
        train = np.setdiff1d(np.arange(len(ids)), test)
        if len(test) == 0 or len(train) < 2:
            log(f"warning: fold {name}: {len(train)} training and {len(test)} test clips (fold skipped)")
            continue
        log(f"fold {name} ({n + 1}/{len(folds)}): {len(train)} train, {len(test)} test")
        preds.extend(train_and_predict(x[train], y[train], x[test], len(classes), args).tolist())
        labels.extend(y[test].tolist())
    seconds["train"] = time.time() - t0

    result = metrics(labels, preds, classes)
    result.update({"seconds": {k: round(v, 3) for k, v in seconds.items()}, "clips": len(labels),
                   "clips_failed": len(failures), "clips_cached": cached, "folds": len(folds), "classes": classes, "seed": args.seed,
                   "epochs": args.epochs, "norm": args.norm,
                   "protocol": f"folds-from {args.folds_from}" if args.folds_from else args.protocol})
    text = json.dumps(result)
    print(text)
    if args.out_json:
        with open(args.out_json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
