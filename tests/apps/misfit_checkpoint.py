"""Writes a copy of a mexa checkpoint whose last weight tensor has one row
more than its model's (what LibTorch's load would take silently):
    misfit_checkpoint.py IN.pt OUT.pt   -> prints the tensor's name"""
import sys
import warnings

import torch

warnings.simplefilter("ignore")  # torch.jit.load's deprecation notice
archive = torch.jit.load(sys.argv[1])
name, weight = [(n, p) for n, p in archive.model.named_parameters() if n.endswith("weight")][-1]
owner = archive.model
for part in name.split(".")[:-1]:
    owner = getattr(owner, part)
owner._c.setattr("weight", torch.zeros(weight.shape[0] + 1, *weight.shape[1:]))
torch.jit.save(archive, sys.argv[2])
print(name)
