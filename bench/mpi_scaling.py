#!/usr/bin/env python3
"""Data-parallel training throughput: the same global batch trained by one process
with one thread and by 2 ranks under mpirun with one thread each, measured in one
run (wall time of `wengert train`, steps after the first).

    python3 bench/mpi_scaling.py build/src/wengert
"""
import os
import random
import re
import subprocess
import sys
import time

import machine  # bench/machine.py, beside this script

wengert = sys.argv[1] if len(sys.argv) > 1 else "build/src/wengert"
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def gaussian_csv(d, rows=8192, path="/tmp/wengert-mpi-scaling.csv"):
    if os.path.exists(path):
        return path
    rng = random.Random(1)
    with open(path, "w") as f:
        for _ in range(rows):
            f.write(",".join(f"{rng.gauss(0, 1):.6f}" for _ in range(d)) + "\n")
    return path


def seconds(prefix, widths, batch, steps):
    data = gaussian_csv(64) if widths.startswith("64") else "ring8"
    args = prefix + [wengert, "train", "--data", data,
                     "--widths", widths, "--batch", str(batch), "--steps", str(steps), "--threads", "1",
                     "--eval-every", str(steps), "--out", "/tmp/wengert-mpi-scaling.wgt"]
    out = subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout
    return float(re.search(r"done in ([0-9.]+) s", out).group(1))


def main():
    if os.path.exists("/tmp/wengert-mpi-scaling.csv"):
        os.remove("/tmp/wengert-mpi-scaling.csv")  # made afresh, 64 columns
    print(f"machine: {machine.cpu()}, {os.cpu_count()} hardware threads; 1 rank x 1 thread against 2 ranks x 1 thread")
    print(f"{'MLP':<20} {'global batch':>12} {'1 rank s':>10} {'2 ranks s':>10} {'speed-up':>9}")
    for widths, steps in [("2,64,64,1", 300), ("64,256,256,1", 40)]:
        for batch in (256, 1024, 4096):
            one = min(seconds([], widths, batch, steps) for _ in range(2))
            two = min(seconds(["mpirun", "-n", "2"], widths, batch, steps) for _ in range(2))
            print(f"[{widths}]".ljust(20) + f" {batch:>12} {one:>10.2f} {two:>10.2f} {one / two:>8.2f}x")


if __name__ == "__main__":
    main()
