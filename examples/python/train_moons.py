#!/usr/bin/env python3
"""Score matching on two moons from Python: train an MLP potential with the exact
(third-order) loss, watch its progress, and draw exp(-phi) beside the data as a
picture (moons.png).

    PYTHONPATH=build/python python3 examples/python/train_moons.py [steps]
"""
import struct
import sys
import zlib

import numpy as np

import wengert as w

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
moons = w.dataset("two_moons")
phi = w.mlp([2, 64, 64, 1], "softplus")


def report(p):
    print(f"step {p['step']:>5}/{p['steps']}  held-out loss {p['holdout_loss']:+.4f}  Fisher {p['fisher']:.4f}")


result = w.train(phi, phi.initial_parameters(seed=1), moons, steps=steps, batch=256, learning_rate=3e-3,
                 eval_every=max(1, steps // 5), callback=report)
theta = result["theta"]

# exp(-phi) on a grid, normalised there, beside a histogram of exact samples.
grid = np.linspace(-2.0, 3.0, 160)
gx, gy = np.meshgrid(grid, grid[::-1] * 0.7 + 0.25)
points = np.column_stack([gx.ravel(), gy.ravel()])
values = w.Program(phi.tape, ["phi"])
for name, rows, cols, offset in phi.blocks:
    values.set(name, theta[offset:offset + rows * cols].reshape(rows, cols).copy())
potential = values(x=points)["phi"][:, 0]
density = np.exp(-(potential - potential.min())).reshape(gx.shape)
samples = moons.sample(20000, seed=2)
hist, _, _ = np.histogram2d(samples[:, 1], samples[:, 0], bins=[gy[:, 0][::-1], grid])
hist = np.pad(hist[::-1], ((0, 1), (0, 1)))


def gray(image):
    return (255 * image / image.max()).astype(np.uint8)


def write_png(path, pixels):  # 8-bit grey, each row after a 0 (no filter) byte
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + row.tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", pixels.shape[1], pixels.shape[0], 8, 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


write_png("moons.png", np.hstack([gray(density), np.full((density.shape[0], 4), 255, np.uint8), gray(hist)]))
print("moons.png: the learned density exp(-phi) (left) beside a histogram of exact samples (right)")
assert result["history"][-1]["fisher"] < result["history"][0]["fisher"]
