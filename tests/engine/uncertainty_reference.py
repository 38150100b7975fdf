#!/usr/bin/env python3
"""Independent NumPy values for tests/engine/uncertainty_test.cpp (the
label-uncertainty formulas of engine/uncertainty.h on fixed inputs).
Run: python3 tests/engine/uncertainty_reference.py"""
import math
import numpy as np


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# EAC: MSE(cams, mirror_W(cams_of_flipped)); cams [1, 2, 1, 2, 3]
a = np.arange(12, dtype=np.float64).reshape(1, 2, 1, 2, 3) / 10
b = (np.arange(12, dtype=np.float64)[::-1].reshape(1, 2, 1, 2, 3)) / 7
print("attention_consistency", np.mean((a - b[..., ::-1]) ** 2))

# RUL: z_i = u_i/(u_i+u_j) mu_i + u_j/(u_i+u_j) mu_j, u = mean_d exp(logvar)
mu = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0]])
logvar = np.array([[0.0, 0.2], [-1.0, 0.4], [0.3, -0.3]])
partner = np.array([1, 2, 0])
u = np.exp(logvar).mean(axis=1)
z = (u / (u + u[partner]))[:, None] * mu + (u[partner] / (u + u[partner]))[:, None] * mu[partner]
print("rul_mix", z.ravel().tolist())

# SCN rank regularisation: top int(0.7 B) (SCN's code) vs the rest, margin 0.15
alpha = np.array([0.55, 0.5, 0.52, 0.49, 0.51])
k = int(0.7 * len(alpha))
s = np.sort(alpha)[::-1]
print("scn_rank_loss", max(0.0, 0.15 - (s[:k].mean() - s[k:].mean())))

# Candidate-set loss: mean of -log sum_{c in S} softmax(z)_c
logits = np.array([[1.0, 2.0, 0.5], [0.2, -1.0, 3.0]])
mask = np.array([[1, 1, 0], [0, 0, 1]], dtype=bool)
p = softmax(logits)
print("candidate_loss", np.mean([-math.log(p[i][mask[i]].sum()) for i in range(2)]))

# AU loss: BCE with logits, mean over clips and AUs
x = np.array([[0.5, -1.0, 2.0], [-0.3, 0.0, 1.5]])
t = np.array([[1, 0, 1], [0, 1, 0]], dtype=np.float64)
sig = 1 / (1 + np.exp(-x))
print("au_loss", np.mean(-(t * np.log(sig) + (1 - t) * np.log(1 - sig))))

# Phased progressive learning, phases from epoch 3 (phase 2) and 7 (phase 3):
# s = (epoch - 3 + 1) / (7 - 3 + 1)
for epoch in (3, 4, 5):
    s = (epoch - 3 + 1) / 5
    print("phase_alpha", epoch, "parabolic", 1 - s * s, "linear", 1 - s, "cosine", (1 + math.cos(math.pi * s)) / 2)

# AU loss over the annotated clips only (the second clip unannotated)
per = -(t * np.log(sig) + (1 - t) * np.log(1 - sig))
print("au_loss annotated", per[0].mean())
