#!/usr/bin/env python3
"""The quality of what wengert's own commands produce, from their defaults, against
exact answers: densities on the 256² grid over [-4, 4]² (TV, the mass of every
region), histograms of 50 000 samples beside the floor of as many exact samples,
the diffusion model's likelihood (exact against Hutchinson), and the quadratic
model's moments. Three seeds each; the table shows the median and the range.

    python3 bench/quality.py [build/src/wengert] [--quick]

--quick runs one seed. About 15 minutes on two cores (the diffusion models train
for 20 000 steps each).
"""
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

import machine  # bench/machine.py, beside this script

args = [a for a in sys.argv[1:] if not a.startswith("--")]
WENGERT = args[0] if args else "build/src/wengert"
SEEDS = [1] if "--quick" in sys.argv else [1, 2, 3]
scratch = tempfile.mkdtemp(prefix="wengert-quality-")
rows = []  # (what, figure, target, passed)


def run(*argv):
    started = time.perf_counter()
    out = subprocess.run([WENGERT, *argv], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"quality: wengert {' '.join(argv)} failed: {out.stderr.strip()}")
    return out.stdout, time.perf_counter() - started


def number(pattern, text):
    m = re.search(pattern, text)
    if not m:
        sys.exit(f"quality: no match for {pattern!r} in:\n{text}")
    return float(m.group(1))


def masses(label, text):
    """The masses printed on the line after `label` (or on it)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(label):
            for candidate in lines[i:i + 2]:
                if "mass per region" in candidate:
                    inside = candidate.split("mass per region")[1].split("(true")[0]
                    return [float(v) for v in inside.split()]
    sys.exit(f"quality: no masses after {label!r}")


def report(what, values, target, ok):
    shown = statistics.median(values)
    spread = f" ({min(values):.4g}–{max(values):.4g})" if len(values) > 1 else ""
    rows.append((what, f"{shown:.4g}{spread}", target, ok(shown)))


def demo():
    tv, low, high, seconds = [], [], [], []
    for seed in SEEDS:
        out, took = run("demo", "--seed", str(seed), "--out", f"{scratch}/demo{seed}")
        tv.append(number(r"trained .*TV\s+([\d.]+)", out))
        m = masses("trained", out)
        low.append(min(m))
        high.append(max(m))
        seconds.append(took)
    report("demo (ring8, std 0.2): grid TV", tv, "<= 0.08", lambda v: v <= 0.08)
    report("demo: smallest mode mass", low, ">= 0.10", lambda v: v >= 0.10)
    report("demo: largest mode mass", high, "<= 0.15", lambda v: v <= 0.15)
    report("demo: seconds, all included", seconds, "<= 10", lambda v: v <= 10)


def train(label, target, *extra):
    tv = []
    for seed in SEEDS:
        out, _ = run("train", "--seed", str(seed), "--out", f"{scratch}/plain{seed}.wgt", *extra)
        tv.append(number(r"trained .*TV\s+([\d.]+)", out))
    report(f"train defaults, {label}: grid TV", tv, f"<= {target}", lambda v: v <= target)
    return tv


def sample(data, ratio_target=None, tv_target=None, mass_range=None):
    ratios, tvs, low, high = [], [], [], []
    for seed in SEEDS:
        model = f"{scratch}/{data}{seed}.wgt"
        out, _ = run("sample", "--data", data, "--seed", str(seed), "--model", model, "--retrain",
                     "--out", f"{scratch}/{data}{seed}.csv")
        tvs.append(number(r"histogram TV .*?([\d.]+), floor", out))
        ratios.append(number(r"\(ratio ([\d.]+)\)", out))
        if mass_range:
            m = masses("  samples'", out)
            low.append(min(m))
            high.append(max(m))
    if ratio_target:
        report(f"sample {data}: histogram TV / exact-sample floor", ratios, f"<= {ratio_target}",
               lambda v: v <= ratio_target)
    if tv_target:
        report(f"sample {data}: histogram TV", tvs, f"<= {tv_target}", lambda v: v <= tv_target)
    if mass_range:
        report(f"sample {data}: smallest region mass", low, f">= {mass_range[0]}", lambda v: v >= mass_range[0])
        report(f"sample {data}: largest region mass", high, f"<= {mass_range[1]}", lambda v: v <= mass_range[1])


def exact_samplers():
    for sampler, nfe in [("heun", 50), ("dpm", 50), ("sde", 50), ("langevin", 50), ("langevin", 200)]:
        ratios = []
        for seed in SEEDS:
            out, _ = run("sample", "--data", "ring8", "--exact-score", "--sampler", sampler, "--nfe", str(nfe),
                         "--seed", str(seed), "--out", f"{scratch}/exact.csv")
            ratios.append(number(r"\(ratio ([\d.]+)\)", out))
        report(f"exact ring8 score, {sampler} at {nfe} evaluations: TV / floor", ratios, "<= 1.2",
               lambda v: v <= 1.2)


def likelihood(plain_tv):
    agreement, tv, mass = [], [], []
    for seed in SEEDS:
        out, _ = run("eval", "--model", f"{scratch}/ring8{seed}.wgt", "--data", "ring8")
        difference = number(r"difference from the exact ([-+\d.]+)", out)
        error = number(r"\(standard error ([\d.]+)\)", out)
        agreement.append(abs(difference) / error)
        tv.append(number(r"density grid .* TV ([\d.]+)", out))
        mass.append(number(r"mass ([\d.]+) on", out))
    report("diffusion likelihood: |Hutchinson - exact| / its standard error", agreement, "<= 2",
           lambda v: v <= 2)
    report("diffusion model (ring8): grid TV of the ODE density", tv, "reported", lambda v: True)
    report("  beside the plain model (train defaults, ring8): grid TV", plain_tv, "reported", lambda v: True)
    report("diffusion model: mass of its density on the grid", mass, "about 1", lambda v: abs(v - 1) < 0.01)


def quadratic():
    rng = random.Random(7)
    path = f"{scratch}/g3.csv"
    with open(path, "w") as f:  # a correlated 3-D Gaussian
        for _ in range(5000):
            a, b, c = (rng.gauss(0, 1) for _ in range(3))
            f.write(f"{1 + a},{-2 + 0.5 * a + b},{0.3 * b + 0.7 * c}\n")
    out, _ = run("train", "--model", "quadratic", "--data", path, "--batch", "2000", "--steps", "3000",
                 "--lr", "0.01", "--out", f"{scratch}/q.wgt")
    m = re.search(r"sample moments.*mean ([\d.e+-]+), covariance ([\d.e+-]+)", out)
    worst = max(float(m.group(1)), float(m.group(2)))
    report("quadratic model, 3-D Gaussian data: moments' largest error", [worst], "<= 1e-3", lambda v: v <= 1e-3)


started = time.perf_counter()
demo()
plain = train("ring8 std 0.2", 1.0)  # the plain model the diffusion model is compared with
rows.pop()  # not a target of its own
train("ring8 std 0.3", 0.015, "--noise", "0.3")
train("two moons (noise 0.1)", 0.08, "--data", "two_moons")
exact_samplers()
sample("ring8", ratio_target=1.5)
sample("two_moons", ratio_target=1.5)
sample("rings", tv_target=0.15, mass_range=(0.45, 0.55))
likelihood(plain)
quadratic()

print(f"wengert quality on {machine.cpu_name()}, {os.cpu_count()} cores, {machine.isa()}; seeds {SEEDS}; median (range)")
width = max(len(r[0]) for r in rows)
for what, figure, target, ok in rows:
    print(f"{what:<{width}}  {figure:<24} {target:<10} {'ok' if ok else 'MISSED'}")
print(f"{sum(r[3] for r in rows)} of {len(rows)} targets met in {time.perf_counter() - started:.0f} s")
sys.exit(0 if all(r[3] for r in rows) else 1)
