#!/usr/bin/env python3
"""What calling wengert from Python costs beside calling it from C++, in one run:
the same planned program timed by a C++ loop (Program.time_run) and by a Python
loop that binds the inputs, runs and fetches the output each time.

    PYTHONPATH=build/python python3 bench/python_overhead.py
"""
import platform
import time

import numpy as np

import wengert as w

import machine  # bench/machine.py, beside this script


def mlp_potential(d, h):
    rec = w.Recorder()
    x = rec.data("x", d)
    W1, b1 = rec.parameter("W1", d, h), rec.parameter("b1", 1, h)
    W2, b2 = rec.parameter("W2", h, h), rec.parameter("b2", 1, h)
    W3 = rec.parameter("W3", h, 1)
    rec.output("phi", w.tanh(w.tanh(x @ W1 + b1) @ W2 + b2) @ W3)
    return rec.finish()


def best_of(f, repeat=5):
    return min(f() for _ in range(repeat))


def python_loop(p, inputs, output, n):
    start = time.perf_counter()
    for _ in range(n):
        for name, value in inputs.items():
            p.set(name, value)
        p.run()
        p.get(output)
    return (time.perf_counter() - start) / n


def main():
    print(f"machine: {machine.cpu()}; kernels: {w.simd_target()} (wengert {w.__version__}); "
          f"Python {platform.python_version()}")
    print(f"{'quantity':<34} {'C++ run':>12} {'from Python':>14} {'overhead':>12} {'ratio':>8}")
    rng = np.random.default_rng(1)
    for d, h in [(2, 64), (16, 64), (64, 128)]:
        f = mlp_potential(d, h)
        weights = {"W1": rng.normal(size=(d, h)) / np.sqrt(d), "b1": np.zeros((1, h)),
                   "W2": rng.normal(size=(h, h)) / np.sqrt(h), "b2": np.zeros((1, h)), "W3": rng.normal(size=(h, 1))}
        for quantity, tape, output, extra in [("HVP", w.hvp(f, "x"), "x_bar_dot", ["x_dot"]),
                                              ("Laplacian", w.laplacian(f, "x"), "x_laplacian", [])]:
            for rows in (1, 1024):
                p = w.Program(tape, [output])
                for name, value in weights.items():
                    p.set(name, value)
                inputs = {name: rng.normal(size=(rows, d)) for name in ["x"] + extra}
                for name, value in inputs.items():
                    p.set(name, value)
                n = 20000 if rows == 1 else 200
                cpp = best_of(lambda: p.time_run(n))
                py = best_of(lambda: python_loop(p, inputs, output, n))
                label = f"{quantity} d={d} h={h} batch {rows}"
                print(f"{label:<34} {cpp * 1e6:>10.2f}us {py * 1e6:>12.2f}us {(py - cpp) * 1e6:>10.2f}us "
                      f"{py / cpp:>7.3f}x")


if __name__ == "__main__":
    main()
