"""PyTorch on the benchmark networks of bench/mlp.hpp: the same weights and
inputs (closed formulas), the same quantities, one JSON line per measurement.

Run by compare.py; by hand: /usr/bin/python3 bench/peers/torch_mlp.py
"""
import json
import math
import os
import statistics
import sys
import time

import torch

try:
    from functorch import grad as ft_grad, jvp as ft_jvp, vmap
except ImportError:  # functorch ships with torch >= 2 as torch.func
    from torch.func import grad as ft_grad, jvp as ft_jvp, vmap

torch.set_num_threads(int(os.environ.get("PEER_THREADS", "1")))
DTYPE = {"double": torch.float64, "float": torch.float32}


def weight(l, i, j, fan_in):
    return math.sin(1.3 * i + 0.7 * j + l) / math.sqrt(fan_in)


def network(d, h, dtype):
    w1 = torch.tensor([[weight(1, i, j, d) for j in range(h)] for i in range(d)], dtype=dtype)
    w2 = torch.tensor([[weight(2, i, j, h) for j in range(h)] for i in range(h)], dtype=dtype)
    w3 = torch.tensor([[weight(3, i, 0, h)] for i in range(h)], dtype=dtype)
    b1 = torch.tensor([0.1 * math.cos(0.9 * j + 1) for j in range(h)], dtype=dtype)
    b2 = torch.tensor([0.1 * math.cos(0.9 * j + 2) for j in range(h)], dtype=dtype)

    def phi(x):  # (B, d) -> (B, 1)
        return torch.tanh(torch.tanh(x @ w1 + b1) @ w2 + b2) @ w3

    return phi


def inputs(rows, d, dtype):
    x = torch.tensor([[math.cos(0.1 * r + 0.3 * j) for j in range(d)] for r in range(rows)], dtype=dtype)
    v = torch.tensor([[math.sin(0.2 * r - 0.5 * j) for j in range(d)] for r in range(rows)], dtype=dtype)
    return x, v


def hvp_double_backward(phi, x, v):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(phi(x).sum(), x, create_graph=True)
    (hv,) = torch.autograd.grad((g * v).sum(), x)
    return hv


def hvp_functorch(phi, x, v):
    scalar = lambda xi: phi(xi.unsqueeze(0)).squeeze()
    one = lambda xi, vi: ft_jvp(ft_grad(scalar), (xi,), (vi,))[1]
    return vmap(one)(x, v)


def laplacian_loop(phi, x):
    """d double-backward passes through one gradient graph."""
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(phi(x).sum(), x, create_graph=True)
    lap = torch.zeros(x.shape[0], dtype=x.dtype)
    for j in range(x.shape[1]):
        (hj,) = torch.autograd.grad(g[:, j].sum(), x, retain_graph=True)
        lap += hj[:, j]
    return lap


def laplacian_stacked(phi, x):
    """One HVP over B·d rows with the basis vectors, as wengert does."""
    rows, d = x.shape
    xs = x.repeat_interleave(d, dim=0)
    basis = torch.eye(d, dtype=x.dtype).repeat(rows, 1)
    return hvp_double_backward(phi, xs, basis).mul(basis).sum(1).view(rows, d).sum(1)


def gradient(phi, x):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(phi(x).sum(), x)
    return g


def median_time(fn, budget=0.3, repeats=5):
    """Median over `repeats` runs of the mean time of as many calls as fit in budget/repeats seconds."""
    fn()
    times = []
    for _ in range(repeats):
        n, start = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed > budget / repeats:
                break
        times.append(elapsed / n)
    return statistics.median(times)


def main():
    sizes = [(2, 64), (16, 64), (64, 128)]
    for dtype_name in ("double", "float"):
        dtype = DTYPE[dtype_name]
        for d, h in sizes:
            phi = network(d, h, dtype)
            for rows in (1, 1024):
                x, v = inputs(rows, d, dtype)
                with torch.no_grad():
                    value = phi(x)
                hv = hvp_double_backward(phi, x, v)
                if dtype_name == "double":
                    g = gradient(phi, x)
                    print(json.dumps({"peer": "torch", "checksum": [d, h, rows],
                                      "phi": value.abs().sum().item(), "grad": g.abs().sum().item(),
                                      "hvp": hv.abs().sum().item()}), flush=True)
                    ft = hvp_functorch(phi, x, v)
                    assert torch.allclose(ft, hv, rtol=1e-10, atol=1e-12), "functorch and double backward disagree"
                    lap_a, lap_b = laplacian_loop(phi, x), laplacian_stacked(phi, x)
                    assert torch.allclose(lap_a, lap_b, rtol=1e-9, atol=1e-12), "Laplacian variants disagree"

                def forward():
                    with torch.no_grad():
                        phi(x)

                timings = {
                    "forward": median_time(forward),
                    "gradient": median_time(lambda: gradient(phi, x)),
                    "hvp (double backward)": median_time(lambda: hvp_double_backward(phi, x, v)),
                    "hvp (functorch jvp of grad)": median_time(lambda: hvp_functorch(phi, x, v)),
                    "laplacian (d backward passes)": median_time(lambda: laplacian_loop(phi, x)),
                    "laplacian (stacked HVP)": median_time(lambda: laplacian_stacked(phi, x)),
                }
                for quantity, seconds in timings.items():
                    print(json.dumps({"peer": "torch", "type": dtype_name, "d": d, "h": h, "batch": rows,
                                      "quantity": quantity, "us_per_sample": 1e6 * seconds / rows}), flush=True)


if __name__ == "__main__":
    blas = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower()})
    torch.ones(64, 64, dtype=torch.float64) @ torch.ones(64, 64, dtype=torch.float64)
    blas = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower()})
    print(json.dumps({"peer": "torch", "info": f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
                      f"BLAS {', '.join(os.path.basename(b) for b in blas) or 'unknown'}, "
                      f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}"}), flush=True)
    sys.exit(main())
