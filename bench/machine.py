"""What machine a benchmark script ran on, printed above its tables, as
bench/machine.hpp does for the C++ benchmarks: figures measured on different
CPUs or instruction sets are not to be compared."""
import platform


def _cpuinfo():
    try:
        with open("/proc/cpuinfo") as f:
            return f.read().splitlines()
    except OSError:
        return []


def cpu_name():
    lines = _cpuinfo()
    found = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), None)
    return found or platform.processor() or "unknown CPU"


def isa():
    """The widest x86 vector instructions the CPU reports (its flags)."""
    flags = set(next((line.split(":", 1)[1] for line in _cpuinfo() if line.startswith("flags")), "").split())
    if "avx512f" in flags:
        return "AVX-512"
    if {"avx2", "fma"} <= flags:
        return "AVX2 with FMA"
    return "SSE2" if "sse2" in flags else "unknown ISA"


def cpu():
    """The CPU and its instruction set: 'AMD EPYC (AVX-512)'."""
    return f"{cpu_name()} ({isa()})"
