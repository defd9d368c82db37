#!/usr/bin/env python3
"""Exact Hessian-vector products and Laplacians of a potential from NumPy, beside
their closed form.

phi(x) = sum_i log cosh(a_i x_i) + 1/2 xᵀ B x has the Hessian
diag(a_i² sech²(a_i x_i)) + B, so both answers are known exactly.

    PYTHONPATH=build/python python3 examples/python/hvp_laplacian.py
"""
import numpy as np

import wengert as w

d = 4
rng = np.random.default_rng(0)
a = rng.uniform(0.5, 2.0, size=(1, d))
M = rng.normal(size=(d, d))
B = M @ M.T / d

# Record phi once; a and B are constants bound at run time.
rec = w.Recorder()
x = rec.data("x", d)
a_in, B_in = rec.constant("a", 1, d), rec.constant("B", d, d)
u = a_in * x
log_cosh = u + w.softplus(-2.0 * u) - np.log(2.0)  # log cosh u, without overflow
rec.output("phi", w.sum_cols(log_cosh) + 0.5 * w.dot(x @ B_in, x))
phi = rec.finish()
print(phi)

# Transform it: forward over reverse for H v, the forward Laplacian for tr H.
hvp = w.Program(w.hvp(phi, "x"), ["x_bar_dot"])
lap = w.Program(w.laplacian(phi, "x"), ["x_laplacian"])

X = rng.normal(size=(5, d))
V = rng.normal(size=(5, d))
Hv = hvp(x=X, x_dot=V, a=a, B=B)["x_bar_dot"]
L = lap(x=X, a=a, B=B)["x_laplacian"][:, 0]

sech2 = 1 / np.cosh(a * X) ** 2
Hv_exact = a**2 * sech2 * V + V @ B  # B is symmetric
L_exact = (a**2 * sech2).sum(axis=1) + np.trace(B)

print("H v, first sample:   ", Hv[0])
print("closed form:         ", Hv_exact[0])
print("Laplacians:          ", L)
print("closed form:         ", L_exact)
err_hv = np.abs(Hv - Hv_exact).max()
err_lap = np.abs(L - L_exact).max()
print(f"largest difference: H v {err_hv:.1e}, Laplacian {err_lap:.1e}")
assert err_hv < 1e-13 and err_lap < 1e-13
