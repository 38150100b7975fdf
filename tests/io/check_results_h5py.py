"""Reads a mexa results file with h5py (an independent reader) and checks the
schema v1 names, shapes and dtypes of DESIGN.md section 6.

usage: check_results_h5py.py RESULTS_TOOL WORKDIR
"""
import os
import subprocess
import sys

import h5py
import numpy as np

tool, workdir = sys.argv[1], sys.argv[2]
os.makedirs(workdir, exist_ok=True)
path = os.path.join(workdir, "sample.h5")
subprocess.run([tool, "sample", path, "3"], check=True)

failures = []


def expect(condition, what):
    if not condition:
        failures.append(what)


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


with h5py.File(path, "r") as f:
    attrs = f.attrs
    expect(text(attrs["schema"]) == "mexa-results", "schema attribute")
    expect(int(attrs["schema_version"]) == 1, "schema_version attribute")
    for name in ("engine_version", "created_utc", "model", "checkpoint_sha256", "config"):
        expect(name in attrs, f"root attribute {name}")
    classes = [text(c) for c in attrs["class_names"]]
    expect(classes == ["happiness", "sadness", "anger", "contempt", "fear", "disgust", "surprise"], "class_names")
    C = len(classes)

    N, M, K, D = 12, None, 3, 16
    clips = f["clips"]
    expected_clips = {
        "id": ("str", (N,)), "source": ("str", (N,)), "subject": ("str", (N,)), "error": ("str", (N,)),
        "status": (np.int8, (N,)), "fps": (np.float64, (N,)), "n_frames": (np.int64, (N,)),
        "onset": (np.int32, (N,)), "apex": (np.int32, (N,)), "offset": (np.int32, (N,)),
        "apex_source": (np.int8, (N,)), "label": (np.int16, (N,)), "pred": (np.int16, (N,)),
        "probs": (np.float32, (N, C)), "apex_feature": (np.float32, (N, D)),
        "frame_start": (np.int64, (N,)), "frame_count": (np.int64, (N,)), "face_found": (np.uint8, (N,)),
    }
    expect(set(clips.keys()) == set(expected_clips), f"/clips datasets: {sorted(clips.keys())}")
    M = int(clips["frame_count"][:].sum())
    expect(list(f["committed_rows"][:]) == [N, M, K], "/committed_rows")

    frames = f["frames"]
    expected_frames = {
        "clip": (np.int64, (M,)), "index": (np.int64, (M,)), "time": (np.float64, (M,)),
        "face_box": (np.float32, (M, 4)), "face_confidence": (np.float32, (M,)), "success": (np.uint8, (M,)), "face_id": (np.int32, (M,)),
        "motion": (np.float32, (M,)), "phase": (np.int8, (M,)),
        "landmarks": (np.float32, (M, 68, 2)), "probs": (np.float32, (M, C)),
    }
    expect(set(frames.keys()) == set(expected_frames), f"/frames datasets: {sorted(frames.keys())}")
    intervals = f["intervals"]
    expected_intervals = {
        "clip": (np.int64, (K,)), "onset": (np.int32, (K,)), "apex": (np.int32, (K,)), "offset": (np.int32, (K,)),
        "score": (np.float32, (K,)), "pred": (np.int16, (K,)), "probs": (np.float32, (K, C)),
    }
    expect(set(intervals.keys()) == set(expected_intervals), f"/intervals datasets: {sorted(intervals.keys())}")

    for group, expected in ((clips, expected_clips), (frames, expected_frames), (intervals, expected_intervals)):
        for name, (dtype, shape) in expected.items():
            if name not in group:
                continue
            ds = group[name]
            expect(ds.shape == shape, f"{ds.name} shape {ds.shape} != {shape}")
            if dtype == "str":
                expect(h5py.check_string_dtype(ds.dtype) is not None, f"{ds.name} is not a string dataset")
            else:
                expect(ds.dtype == np.dtype(dtype), f"{ds.name} dtype {ds.dtype} != {np.dtype(dtype)}")
            expect(ds.chunks is not None and ds.maxshape[0] is None, f"{ds.name} not chunked and extendable")
            expect(ds.compression == "gzip" and ds.shuffle, f"{ds.name} not gzip+shuffle")

    # Values, read independently: ids, clip links of frames, frame ranges.
    ids = [text(i) for i in clips["id"][:]]
    expect(ids[:4] == ["b0_c0", "b0_c1", "b0_c2", "b0_c3"], f"ids {ids[:4]}")
    starts, counts = clips["frame_start"][:], clips["frame_count"][:]
    clip_of_frame = frames["clip"][:]
    for row in range(N):
        span = clip_of_frame[starts[row]:starts[row] + counts[row]]
        expect(bool(np.all(span == row)), f"frames of clip {row} not linked to it")
    expect(text(clips["error"][3]).endswith("Invalid data"), "error text of a failed clip")
    expect(int(clips["status"][3]) == 2, "status of a failed clip")

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"h5py read {path}: schema v1 names, shapes and dtypes as documented ({N} clips, {M} frames, {K} intervals)")
