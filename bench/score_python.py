#!/usr/bin/env python3
"""The plain Python script a researcher would write instead of `mexa score`
(issue 11): the baseline of bench/score_vs_python.py.

For every row of an annotation CSV (mexa's manifest: subject, clip, path,
onset, apex, offset, ...): OpenCV decodes the clip up to its offset, keeps
T frames spread evenly over onset..offset (rounded positions, as mexa's
`uniform` sampling), converts them to RGB or grey, resizes the whole frame to
HxW (INTER_AREA), scales to [0, 1] and normalises ((x - 0.5) / 0.25, mexa's
defaults). Batches of --batch clips go through the model under
torch.inference_mode(); softmax probabilities, predictions and the penultimate
features are written with h5py.

The weights are read from a mexa checkpoint (a LibTorch archive: torch.jit.load
gives its `model` submodule's parameters and buffers): r3d_18 is torchvision's
(mexa's r3d_18 has the same parameter names), small3d the copy of mexa's in
bench/mexa_models.py. So both sides compute the same function and their
probabilities can be compared.

    python3 bench/score_python.py --data S/annotations.csv --checkpoint R/folds/split/last.pt \\
        --model r3d_18 --frames 16 --size 112 --channels 3 --out py.h5
"""
import argparse
import csv
import json
import os
import statistics
import sys
import time
import warnings

import cv2
import h5py
import numpy as np
import torch

from mexa_models import Small3D


def load_model(name, checkpoint, channels, classes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        archive = torch.jit.load(checkpoint, map_location="cpu")
    state = {k: v for k, v in list(archive.model.named_parameters()) + list(archive.model.named_buffers())}
    if name == "r3d_18":
        from torchvision.models.video import r3d_18
        model = r3d_18(num_classes=classes)
        features = lambda x: torch.flatten(model.avgpool(model.layer4(model.layer3(model.layer2(model.layer1(model.stem(x)))))), 1)
    elif name == "small3d":
        model = Small3D(channels, classes)
        features = model.features
    else:
        sys.exit(f"unknown model {name}")
    model.load_state_dict(state)
    return model.eval(), features


def even(first, last, t):
    """mexa's uniform key frames: t positions evenly over [first, last], rounded half up."""
    if t == 1:
        return [first + (last - first) // 2]
    return [int(np.floor(first + (last - first) * i / (t - 1) + 0.5)) for i in range(t)]


def clip_input(path, onset, offset, frames, size, channels):
    """[C, T, H, W] float32 for one clip."""
    wanted = even(onset, offset, frames)
    keep = set(wanted)
    got = {}
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise RuntimeError(f"{path}: cannot open")
    index = 0
    while index <= offset:
        ok, bgr = cap.read()
        if not ok:
            break
        if index in keep:
            image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB if channels == 3 else cv2.COLOR_BGR2GRAY)
            got[index] = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
        index += 1
    cap.release()
    missing = [i for i in wanted if i not in got]
    if missing:
        raise RuntimeError(f"{path}: frame {missing[0]} is beyond the end of the clip")
    x = np.stack([got[i] for i in wanted]).astype(np.float32) / 255.0  # T, H, W[, C]
    x = (x - 0.5) / 0.25
    if channels == 3:
        return x.transpose(3, 0, 1, 2)
    return x[None]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="annotation CSV (mexa manifest)")
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--model", required=True, choices=["r3d_18", "small3d"])
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--size", type=int, default=112)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--classes", type=int, default=7)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", help="results file (HDF5)")
    ap.add_argument("--model-only", type=int, default=0, metavar="N",
                    help="instead: time the model alone on one random batch, N times, print the median clips/s")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, features = load_model(a.model, a.checkpoint, a.channels, a.classes)
    if a.model_only:
        x = torch.randn(a.batch, a.channels, a.frames, a.size, a.size)
        times = []
        with torch.inference_mode():
            model(x)  # warm-up
            for _ in range(a.model_only):
                start = time.perf_counter()
                model(x)
                times.append(time.perf_counter() - start)
        print(json.dumps({"impl": "python", "model": a.model, "batch": a.batch,
                          "infer_clips_per_s": a.batch / statistics.median(times)}))
        return
    if not a.out:
        ap.error("--out is required")
    root = os.path.dirname(os.path.abspath(a.data))
    with open(a.data, newline="") as f:
        rows = list(csv.DictReader(f))

    ids, probs, preds, feats = [], [], [], []

    def flush(batch_ids, batch):
        if not batch:
            return
        with torch.inference_mode():
            x = torch.from_numpy(np.stack(batch))
            f = features(x)
            logits = model.fc(f)  # dropout is the identity in eval mode
            p = torch.softmax(logits, 1)
        ids.extend(batch_ids)
        probs.append(p.numpy())
        preds.append(p.argmax(1).numpy())
        feats.append(f.numpy())

    batch_ids, batch = [], []
    for r in rows:
        path = os.path.join(root, r["path"])
        batch_ids.append(f"{r['subject']}/{r['clip']}")
        batch.append(clip_input(path, int(r["onset"]), int(r["offset"]), a.frames, a.size, a.channels))
        if len(batch) == a.batch:
            flush(batch_ids, batch)
            batch_ids, batch = [], []
    flush(batch_ids, batch)

    with h5py.File(a.out, "w") as h:
        h.create_dataset("id", data=np.array(ids, dtype="S"))
        h.create_dataset("probs", data=np.concatenate(probs))
        h.create_dataset("pred", data=np.concatenate(preds).astype(np.int16))
        h.create_dataset("apex_feature", data=np.concatenate(feats))
    print(f"{a.out}: {len(ids)} clips")


if __name__ == "__main__":
    main()
