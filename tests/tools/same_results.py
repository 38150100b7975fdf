#!/usr/bin/env python3
"""Do two mexa results files hold the same results? Every group, dataset and
attribute of A and B is compared, except the write time (`created_utc`) and
what --ignore names. Integers and strings must be equal; floating-point values
must agree within --atol + --rtol * |B| (NaN equals NaN). With the defaults
(0, 0) the comparison is exact: bit identity where that is the contract.

The tests use this wherever numbers are compared across runs, ranks, shards
or resumes (tests/apps/check_lib.sh: same_results), saying which tolerance
they use and why.

usage: same_results.py A.h5 B.h5 [--atol X] [--rtol X] [--ignore NAME]... [--quiet]
exit 0 same, 1 different (the first differences are printed), 2 unreadable
"""
import argparse
import sys

import h5py
import numpy as np

ALWAYS_IGNORED = {"created_utc"}


def walk(group, prefix=""):
    """path -> h5py object for every group and dataset below `group`."""
    out = {}
    for name, obj in group.items():
        path = f"{prefix}/{name}"
        out[path] = obj
        if isinstance(obj, h5py.Group):
            out.update(walk(obj, path))
    return out


def as_array(value):
    array = np.asarray(value)
    if array.dtype.kind == "O" or array.dtype.kind == "S":
        return np.vectorize(lambda v: v.decode() if isinstance(v, bytes) else str(v), otypes=[object])(array) \
            if array.size else array.astype(object)
    return array


def compare_values(where, a, b, atol, rtol):
    """None when a and b agree, else one line saying how they differ."""
    a, b = as_array(a), as_array(b)
    if a.shape != b.shape:
        return f"{where}: shape {a.shape} != {b.shape}"
    floating = a.dtype.kind == "f" or b.dtype.kind == "f"
    if floating:
        if a.dtype.kind not in "fiu" or b.dtype.kind not in "fiu":
            return f"{where}: types {a.dtype} and {b.dtype}"
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        both_nan = np.isnan(a64) & np.isnan(b64)
        bad = ~both_nan & ~(np.abs(a64 - b64) <= atol + rtol * np.abs(b64))
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            worst = np.nanmax(np.abs(a64 - b64)[bad])
            return (f"{where}: {int(bad.sum())} value(s) differ beyond atol {atol} rtol {rtol}, "
                    f"max |a - b| = {worst:.3g}, first at {index}: {a64[index]!r} vs {b64[index]!r}")
        return None
    if a.dtype.kind != b.dtype.kind and not (a.dtype.kind in "iu" and b.dtype.kind in "iu"):
        return f"{where}: types {a.dtype} and {b.dtype}"
    if a.dtype.kind == "V":  # compound: compare field by field
        for field in a.dtype.names or ():
            why = compare_values(f"{where}.{field}", a[field], b[field], atol, rtol)
            if why:
                return why
        return None
    bad = a != b
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(np.atleast_1d(bad))[0]) if a.ndim else ()
        return f"{where}: {int(np.sum(bad))} value(s) differ, first at {index}: {a[index]!r} vs {b[index]!r}"
    return None


def compare_files(path_a, path_b, atol, rtol, ignored):
    problems = []
    with h5py.File(path_a, "r") as fa, h5py.File(path_b, "r") as fb:
        ta, tb = walk(fa), walk(fb)
        ta[""], tb[""] = fa, fb
        for path in sorted(ta.keys() | tb.keys()):
            name = path.rsplit("/", 1)[-1]
            if name in ignored or path in ignored:
                continue
            if path not in ta or path not in tb:
                problems.append(f"{path or '/'}: only in {path_a if path in ta else path_b}")
                continue
            a, b = ta[path], tb[path]
            if isinstance(a, h5py.Dataset) != isinstance(b, h5py.Dataset):
                problems.append(f"{path}: a dataset in one file, a group in the other")
                continue
            if isinstance(a, h5py.Dataset):
                why = compare_values(path, a[()], b[()], atol, rtol)
                if why:
                    problems.append(why)
            for attr in sorted(set(a.attrs) | set(b.attrs)):
                if attr in ALWAYS_IGNORED or attr in ignored:
                    continue
                where = f"{path or '/'}@{attr}"
                if attr not in a.attrs or attr not in b.attrs:
                    problems.append(f"{where}: only in {path_a if attr in a.attrs else path_b}")
                    continue
                why = compare_values(where, a.attrs[attr], b.attrs[attr], atol, rtol)
                if why:
                    problems.append(why)
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--atol", type=float, default=0.0)
    parser.add_argument("--rtol", type=float, default=0.0)
    parser.add_argument("--ignore", action="append", default=[], help="an attribute or dataset name or /path")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    try:
        problems = compare_files(args.a, args.b, args.atol, args.rtol, set(args.ignore) | ALWAYS_IGNORED)
    except (OSError, KeyError) as error:
        print(f"same_results: {error}", file=sys.stderr)
        return 2
    if problems:
        if not args.quiet:
            print(f"{args.a} and {args.b} differ ({len(problems)} place(s)):", file=sys.stderr)
            for line in problems[:10]:
                print("  " + line, file=sys.stderr)
        return 1
    if not args.quiet:
        tolerance = "exactly" if args.atol == 0 and args.rtol == 0 else f"within atol {args.atol} rtol {args.rtol}"
        print(f"same results {tolerance}: {args.a} {args.b}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
