"""Score-matching training in PyTorch, the peer of bench/train.cpp: the same
MLP, initial weights (theta0.csv, wengert's layout W1, b1, W2, b2, W3), data,
loss, Adam with a cosine schedule. Prints samples/s and the final Fisher
divergence on the held-out samples.

usage: torch_train.py FOLDER LOSS STEPS BATCH THREADS   (LOSS: exact, hutchinson or sliced)
"""
import math
import sys
import time

import numpy as np
import torch

folder, loss_kind, steps, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(0)
data = torch.tensor(np.loadtxt(f"{folder}/data.csv", delimiter=","), dtype=torch.float64)
held = torch.tensor(np.loadtxt(f"{folder}/held.csv", delimiter=","), dtype=torch.float64)
held_score = torch.tensor(np.loadtxt(f"{folder}/held_score.csv", delimiter=","), dtype=torch.float64)
theta0 = np.loadtxt(f"{folder}/theta0.csv")
d, h = data.shape[1], 64

shapes = [("W1", (d, h)), ("b1", (1, h)), ("W2", (h, h)), ("b2", (1, h)), ("W3", (h, 1))]
params, offset = [], 0
for name, shape in shapes:
    n = shape[0] * shape[1]
    params.append(torch.tensor(theta0[offset:offset + n].reshape(shape), dtype=torch.float64, requires_grad=True))
    offset += n
W1, b1, W2, b2, W3 = params


def phi(x):
    hidden = torch.nn.functional.softplus(torch.nn.functional.softplus(x @ W1 + b1) @ W2 + b2)
    return hidden @ W3 + 0.005 * (x * x).sum(1, keepdim=True)


def loss_of(x):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(phi(x).sum(), x, create_graph=True)
    if loss_kind == "exact":  # the Laplacian: d backward passes through the gradient
        lap = sum(torch.autograd.grad(g[:, j].sum(), x, create_graph=True)[0][:, j] for j in range(d))
        return (0.5 * (g * g).sum(1) - lap).mean()
    z = torch.randint(0, 2, x.shape, dtype=x.dtype) * 2 - 1  # one Rademacher probe
    (hz,) = torch.autograd.grad((g * z).sum(), x, create_graph=True)
    curvature = (hz * z).sum(1)  # zᵀ H z
    if loss_kind == "hutchinson":
        return (0.5 * (g * g).sum(1) - curvature).mean()
    return (0.5 * (g * z).sum(1) ** 2 - curvature).mean()  # sliced


optimizer = torch.optim.Adam(params, lr=3e-3)
schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
start = time.perf_counter()
for step in range(steps):
    rows = torch.randint(0, data.shape[0], (batch,))
    optimizer.zero_grad()
    loss_of(data[rows]).backward()
    optimizer.step()
    schedule.step()
seconds = time.perf_counter() - start

x = held.clone().requires_grad_(True)
(g,) = torch.autograd.grad(phi(x).sum(), x)
fisher = ((-g - held_score) ** 2).sum(1).mean().item()
print(steps * batch / seconds, fisher)
