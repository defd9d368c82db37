#!/usr/bin/env python3
"""Checks a portable build of libwengert: only the AVX-512 copy of the kernels
may use AVX-512 registers, and only the AVX2 and AVX-512 copies AVX ones. The
linker keeps one out-of-line copy of an inline function that several copies of
the kernels instantiate; if it kept an AVX-512 one for shared code, a CPU
without AVX-512 would stop at it. Usage: isa_check.py libwengert.so"""
import re
import subprocess
import sys

listing = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C", sys.argv[1]], capture_output=True,
                         text=True, check=True).stdout
name, bad, functions = None, {}, 0
for line in listing.splitlines():
    header = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
    if header:
        name = header.group(1)
        functions += 1
        continue
    if name is None or "\t" not in line:
        continue
    if "avx512" in name:
        continue
    wide = "avx2" in name or "fma3" in name  # may use ymm, not zmm or mask registers
    forbidden = r"%zmm|%k[0-7]\b" if wide else r"%ymm|%zmm|%k[0-7]\b"
    if re.search(forbidden, line):
        bad.setdefault(name, line.strip())

for function, instruction in sorted(bad.items()):
    print(f"isa_check: {function} uses an instruction set above its copy's: {instruction}")
print(f"isa_check: {functions} functions read, {len(bad)} with instructions above their copy's")
sys.exit(1 if bad else 0)
