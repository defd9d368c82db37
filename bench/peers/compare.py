"""wengert beside PyTorch and ADOL-C on the same networks, weights and inputs,
in one run on one machine: checks that all agree on the numbers, then prints
microseconds per sample and the ratios.

    /usr/bin/python3 bench/peers/compare.py build/bench/engine

PyTorch (Debian's python3-torch) and ADOL-C (libadolc-dev) are used when
installed. Debian's torch uses the system BLAS: with libopenblas0 installed it
is OpenBLAS (the report says which); the reference BLAS is about 15x slower at
products and would make the comparison meaningless.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SIZES = [(2, 64), (16, 64), (64, 128)]


def lines_of(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({out.returncode}): {out.stderr[-2000:]}")
    return out.stdout.splitlines()


def run_engine(engine):
    report = os.path.join(tempfile.mkdtemp(), "engine.json")
    # The engine's three repetitions (interleaved): their median beside the peers' medians, their best for
    # the engine's own ratios, as it prints them.
    shown = subprocess.run([engine, "--benchmark_report_aggregates_only=true",
                            f"--benchmark_out={report}", "--benchmark_out_format=json"],
                           check=True, capture_output=True, text=True).stdout.splitlines()
    # Its lines naming the CPU, the instruction set and the compiler, and its summary (from the table's
    # header to the line before the profile).
    machine = [line for line in shown if line.startswith(("machine:", "kernels:"))]
    start = next((i for i, line in enumerate(shown) if line.startswith("type ")), len(shown))
    end = next((i for i in range(start, len(shown)) if shown[i].startswith("the HVP, double")), len(shown))
    summary = shown[start:end]
    times, info = {"median": {}, "min": {}}, json.load(open(report))
    for b in info["benchmarks"]:
        kind = b.get("aggregate_name")
        if kind not in times:
            continue
        name = b["run_name"]
        t = times[kind][name] = b["real_time"] * {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b["time_unit"]]
        if name.startswith("peak_fma"):
            times[kind][name] = b["flop/run"] / (t * 1e3)  # GFLOP/s at that time (flop per ns)
    checksums = {}
    for line in lines_of([engine, "--checksum"]):
        # checksum d=2 h=64 batch=1: phi ... grad ... hvp ...
        head, values = line.split(":", 1)
        d, h, rows = (int(part.split("=")[1]) for part in head.split()[1:])
        v = values.split()
        checksums[(d, h, rows)] = {"phi": float(v[1]), "grad": float(v[3]), "hvp": float(v[5])}
    return times, checksums, machine, summary


def torch_env():
    """OPENBLAS_CORETYPE pins an old kernel on some machines; benchmark without it if OpenBLAS then still works."""
    env = dict(os.environ, PEER_THREADS="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    free = {k: v for k, v in env.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    probe = ("import torch; a = torch.rand(300, 300, dtype=torch.float64); "
             "assert torch.allclose(a @ a, (a.unsqueeze(2) * a.unsqueeze(0)).sum(1))")
    ok = subprocess.run(["/usr/bin/python3", "-c", probe], env=free, capture_output=True).returncode == 0
    return free if ok else env


def run_peers(build_include):
    peers, checksums, notes = [], {}, []
    if subprocess.run(["/usr/bin/python3", "-c", "import torch"], capture_output=True).returncode == 0:
        for line in lines_of(["/usr/bin/python3", os.path.join(HERE, "torch_mlp.py")], env=torch_env()):
            peers.append(json.loads(line))
    else:
        notes.append("PyTorch not installed (apt-get install python3-torch libopenblas0): skipped")
    if os.path.exists("/usr/include/adolc/adolc.h"):
        exe = os.path.join(tempfile.mkdtemp(), "adolc_mlp")
        subprocess.run(["c++", "-std=c++20", "-O3", "-march=native", "-I", ROOT, "-I", os.path.join(ROOT, "include"),
                        "-I", build_include, os.path.join(HERE, "adolc_mlp.cpp"), "-ladolc", "-o", exe], check=True)
        for line in lines_of([exe]):
            peers.append(json.loads(line))
    else:
        notes.append("ADOL-C not installed (apt-get install libadolc-dev): skipped")
    rows = []
    for p in peers:
        if "info" in p:
            notes.append(f"{p['peer']}: {p['info']}")
        elif "checksum" in p:
            checksums[(p["peer"], *p["checksum"])] = p
        else:
            rows.append(p)
    return rows, checksums, notes


def main():
    engine = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bench", "engine")
    times, ours, machine, summary = run_engine(engine)
    # The build's own generated headers (wengert/version.hpp) sit beside its bench/ folder.
    build_include = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(engine))), "include")
    peers, theirs, notes = run_peers(build_include)
    for line in machine:  # the CPU and its instruction set, beside every table below
        print(line)
    for n in notes:
        print(n)

    # 1. Everyone computes the same numbers.
    worst = 0.0
    for (peer, d, h, rows), c in sorted(theirs.items()):
        for q in ("phi", "grad", "hvp"):
            ref = ours[(d, h, rows)][q]
            worst = max(worst, abs(c[q] - ref) / max(abs(ref), 1e-300))
    print(f"\nagreement: largest relative difference of the checksums (Σ|phi|, Σ|grad|, Σ|Hv|) "
          f"between wengert and the peers: {worst:.1e}" + ("" if worst < 1e-9 else "  <-- DISAGREE"))

    # 2. Time per sample, side by side.
    def ours_us(kind, dtype, d, h, rows, threads=1, statistic="median"):
        t = times[statistic].get(f"{kind}/{dtype}/d={d}/h={h}/batch={rows}/threads={threads}")
        return None if t is None else t / rows

    def best(peer, dtype, d, h, rows, prefix):
        found = [(p["us_per_sample"], p["quantity"]) for p in peers
                 if p["peer"] == peer and p["type"] == dtype and p["d"] == d and p["h"] == h and p["batch"] == rows
                 and p["quantity"].startswith(prefix)]
        return min(found) if found else (None, None)

    fmt = lambda x: "-" if x is None else (f"{x:.3f}" if x < 100 else f"{x:.0f}")
    ratio = lambda a, b: "-" if a is None or b is None else f"{b / a:.1f}x"
    print("\nmicroseconds per sample (one thread); ratio = peer time / wengert time")
    print(f"{'type':6} {'d':>3} {'h':>4} {'batch':>5} {'quantity':10} {'wengert':>9} {'torch':>9} {'ratio':>7} "
          f"{'adolc':>9} {'ratio':>7}  torch's fastest variant")
    targets = []
    for dtype in ("double", "float"):
        for d, h in SIZES:
            for rows in (1, 1024):
                for kind in ("forward", "gradient", "hvp", "laplacian"):
                    w = ours_us(kind, dtype, d, h, rows)
                    t, tq = best("torch", dtype, d, h, rows, kind)
                    a, _ = best("adolc", dtype, d, h, rows, kind)
                    print(f"{dtype:6} {d:>3} {h:>4} {rows:>5} {kind:10} {fmt(w):>9} {fmt(t):>9} {ratio(w, t):>7} "
                          f"{fmt(a):>9} {ratio(w, a):>7}  {tq or ''}")
                    if kind == "hvp" and w:
                        targets.append((dtype, d, h, rows, w, t, a))

    # 3. The engine's own ratios.
    print("\nthe engine alone (same run, the best of its three repetitions): HVP / forward at batch 1024; share of "
          "peak FMA (4 forward passes of work per HVP); two threads / one thread on batch-1024 HVPs")
    for dtype in ("double", "float"):
        peak = times["min"].get(f"peak_fma/{dtype}")
        for d, h in SIZES:
            f, hv, hv2 = (ours_us("forward", dtype, d, h, 1024, 1, "min"), ours_us("hvp", dtype, d, h, 1024, 1, "min"),
                          ours_us("hvp", dtype, d, h, 1024, 2, "min"))
            flops = 4 * 2 * (d * h + h * h + h) / (hv * 1e-6) / 1e9
            print(f"  {dtype:6} d={d:<3} h={h:<4} HVP/forward {hv / f:4.2f}   {100 * flops / peak:5.1f}% of "
                  f"{peak:.0f} GFLOP/s   2 threads {hv / hv2:4.2f}x")
    print("\nthe engine's own summary of the same run:")
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()
