#!/usr/bin/env python3
"""The price of runtime dispatch: batch-1024 HVP throughput of a portable build
(kernels for every x86-64 instruction set, the best picked at run time) against
a -Dnative=true build of the same source, measured in one run, alternating the
two binaries, median of the rounds.

    meson setup build-native -Dnative=true && meson compile -C build-native
    python3 bench/dispatch.py build/bench/engine build-native/bench/engine
"""
import os
import re
import statistics
import subprocess
import sys

import machine  # bench/machine.py, beside this script

portable, native = sys.argv[1], sys.argv[2]
ROUNDS = 5
CASES = ["hvp/double/d=16/h=64/batch=1024/threads=1", "hvp/double/d=64/h=128/batch=1024/threads=1",
         "hvp/float/d=16/h=64/batch=1024/threads=1", "hvp/float/d=64/h=128/batch=1024/threads=1"]


def times(binary):
    pattern = "^(" + "|".join(re.escape(c) for c in CASES) + ")$"
    out = subprocess.run([binary, f"--benchmark_filter={pattern}", "--benchmark_color=false",
                          "--benchmark_min_time=0.3", "--benchmark_repetitions=1"], capture_output=True, text=True, check=True,
                         env=dict(os.environ, WENGERT_SIMD="")).stdout
    out = re.sub(r"\x1b\[[0-9;]*m", "", out)  # the engine's reporter colours its lines
    found = {m.group(1): float(m.group(2)) / 1000 for m in re.finditer(r"^(\S+)\s+(\d+) ns", out, re.M)}
    return {case: found[case] for case in CASES}


def version(binary):
    wengert = os.path.join(os.path.dirname(os.path.dirname(binary)), "src", "wengert")
    lines = subprocess.run([wengert, "--version"], capture_output=True, text=True).stdout.splitlines()
    return lines[1] if len(lines) > 1 else "?"


rounds = {"portable": [], "native": []}
for _ in range(ROUNDS):
    rounds["portable"].append(times(portable))
    rounds["native"].append(times(native))
print(f"{machine.cpu()}, {os.cpu_count()} cores; portable build: {version(portable)}; native build: {version(native)}")
print(f"{'case':<44} {'portable µs':>12} {'native µs':>10} {'native/portable throughput':>27}")
worst = 0.0
for case in CASES:
    p = statistics.median(r[case] for r in rounds["portable"])
    n = statistics.median(r[case] for r in rounds["native"])
    worst = max(worst, p / n - 1)
    print(f"{case:<44} {p:>12.1f} {n:>10.1f} {p / n:>27.3f}")
print(f"the portable build is at most {100 * worst:.1f}% slower (median of {ROUNDS} alternating rounds)")
