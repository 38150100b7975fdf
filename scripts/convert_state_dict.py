#!/usr/bin/env python3
"""Converts a PyTorch state_dict file (e.g. torchvision's Kinetics-400 weights
for r3d_18 / mc3_18 / r2plus1d_18) into the form mexa's C++ loader reads.

torch.save writes a state_dict as a Python OrderedDict, which LibTorch's
unpickler cannot read back; this re-saves the same tensors in a plain dict.
Checkpoints that wrap the weights (a "state_dict" or "model" key) are unwrapped.

usage: scripts/convert_state_dict.py IN.pth OUT.pt
"""
import sys

import torch


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, target = sys.argv[1], sys.argv[2]
    data = torch.load(source, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model"):
        if isinstance(data, dict) and key in data and isinstance(data[key], dict):
            data = data[key]
    tensors = {k: v for k, v in data.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        sys.exit(f"{source}: no tensors found")
    torch.save(dict(tensors), target)
    print(f"{target}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
