#!/bin/sh
# Runs one fuzz target for a while on a scratch copy of its seed corpus (the
# fuzzer adds what it finds to its corpus; the repository's stays as it is),
# with the limits of a real run: 5 s and 1 GiB per input. Any crash, leak,
# timeout, out-of-memory or undefined behaviour fails the run.
set -eu
target=$1
seeds=$2
seconds=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/corpus"
cp -r "$seeds/." "$scratch/corpus/"
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
status=0
"$target" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 "$scratch/corpus" \
  > "$scratch/log" 2>&1 || status=$?
tail -n 12 "$scratch/log"
exit "$status"
