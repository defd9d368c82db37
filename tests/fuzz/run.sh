#!/bin/sh
# Runs one fuzz target for a while on a scratch copy of its seed corpus (the
# fuzzer adds what it finds to its corpus; the repository's stays as it is),
# with the limits of a real run: 5 s and 1 GiB per input.
set -eu
target=$1
seeds=$2
seconds=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$seeds/." "$scratch/"
"$target" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 "$scratch" 2>&1 | tail -n 12
