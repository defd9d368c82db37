#!/bin/sh
# Under mpirun -n 2: data-parallel training gives the same parameters as one
# process with the same global batch (to 1e-12 relative after 100 steps), on a
# stream of fresh samples, on a CSV's rows and for a diffusion model; MAP
# estimates, a diffusion model's likelihood and its samples sharded by rows are
# the single process's; a failure on one rank stops every rank with its message instead of
# a hang; a run killed on any rank resumes from its checkpoint to the bits of
# the run that never stopped.
# Usage: mpi_test.sh WENGERT MPIRUN
set -eu
wengert=$1
mpirun=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root
export OMPI_MCA_rmaps_base_oversubscribe=1                        # two ranks even where fewer slots are seen
run2() { timeout 300 "$mpirun" -n 2 "$@"; }

# The parameters of two model files agree to a relative 1e-12 (every number after the header, not the checksum).
same_parameters() {
  awk 'BEGIN { n = 0; m = 0 }
       $1 == "checksum" { next }
       NR == FNR { if (f) a[n++] = $1; if ($1 == "parameters") f = 1; next }
       g { d = $1 - a[m]; if (d < 0) d = -d; s = a[m] < 0 ? -a[m] : a[m]; if (d > 1e-12 * (s > 1 ? s : 1)) bad++; m++ }
       $1 == "parameters" { g = 1 }
       END { if (bad || m != n || n == 0) { print "mpi: " bad " of " n " parameters differ (compared " m ")"; exit 1 } }' "$1" "$2"
}

common="--widths 2,32,32,1 --steps 100 --batch 256 --threads 1 --eval-every 50"
"$wengert" train --data ring8 $common --out "$scratch/one.wgt" > "$scratch/one.log"
run2 "$wengert" train --data ring8 $common --out "$scratch/two.wgt" > "$scratch/two.log"
grep -q "256 shared by 2 ranks" "$scratch/two.log"
same_parameters "$scratch/one.wgt" "$scratch/two.wgt"

"$wengert" train --data two_moons --samples 3000 $common --loss hutchinson --probes 2 --out "$scratch/one.wgt" > /dev/null
run2 "$wengert" train --data two_moons --samples 3000 $common --loss hutchinson --probes 2 --out "$scratch/two.wgt" \
  > /dev/null
same_parameters "$scratch/one.wgt" "$scratch/two.wgt"

# MAP estimates, the rows shared by the ranks and gathered in order: the same file as one process writes
# (each problem is solved alone, so the bits agree), also with fewer problems than ranks.
printf '2.1,0.2\n-0.1,-1.8\n1.5,1.5\n0.3,-2.2\n-1.9,0.4\n' > "$scratch/b.csv"
"$wengert" map --prior "$scratch/one.wgt" --in "$scratch/b.csv" --sigma 0.3 --out "$scratch/x1.csv" > /dev/null
run2 "$wengert" map --prior "$scratch/one.wgt" --in "$scratch/b.csv" --sigma 0.3 --out "$scratch/x2.csv" > /dev/null
cmp "$scratch/x1.csv" "$scratch/x2.csv"
head -n 1 "$scratch/b.csv" > "$scratch/b1.csv"
run2 "$wengert" map --prior "$scratch/one.wgt" --in "$scratch/b1.csv" --sigma 0.3 --out "$scratch/x3.csv" > /dev/null
test "$(cat "$scratch/x3.csv")" = "$(head -n 1 "$scratch/x1.csv")"

# A diffusion model trained data-parallel by sample: the same parameters.
diffusion="sample --data ring8 --train-steps 100 --width 16 --batch 256 --threads 1 --n 200 --nfe 10"
"$wengert" $diffusion --model "$scratch/diff.wgt" --out "$scratch/s.csv" > /dev/null
run2 "$wengert" $diffusion --model "$scratch/diff2.wgt" --out "$scratch/s2.csv" > /dev/null
same_parameters "$scratch/diff.wgt" "$scratch/diff2.wgt"
test "$(wc -l < "$scratch/s2.csv")" -eq 200

# A plain model's metrics, its held-out rows and density grid shared by the ranks: the same report.
"$wengert" eval --model "$scratch/one.wgt" --data two_moons --samples 3001 > "$scratch/m1.txt"
run2 "$wengert" eval --model "$scratch/one.wgt" --data two_moons --samples 3001 > "$scratch/m2.txt"
grep -q "TV" "$scratch/m1.txt"
diff "$scratch/m1.txt" "$scratch/m2.txt"

# Sampling with the rows shared by the ranks (every rank draws every row's noise, uses its own): the file one
# process writes, for the learned model (deterministic heun, stochastic sde) and the exact score (langevin).
for sampler in heun sde; do
  "$wengert" sample --data ring8 --model "$scratch/diff.wgt" --sampler $sampler --n 301 --nfe 12 --out "$scratch/p1.csv" \
    > /dev/null
  run2 "$wengert" sample --data ring8 --model "$scratch/diff.wgt" --sampler $sampler --n 301 --nfe 12 \
    --out "$scratch/p2.csv" > "$scratch/p2.log"
  grep -q "shared by 2 ranks" "$scratch/p2.log"
  cmp "$scratch/p1.csv" "$scratch/p2.csv"
done
"$wengert" sample --data ring8 --exact-score --sampler langevin --n 301 --nfe 21 --out "$scratch/p1.csv" > /dev/null
run2 "$wengert" sample --data ring8 --exact-score --sampler langevin --n 301 --nfe 21 --out "$scratch/p2.csv" > /dev/null
cmp "$scratch/p1.csv" "$scratch/p2.csv"

# The likelihood of a diffusion model, its rows and grid shared by the ranks: the same report.
likelihood="eval --model $scratch/diff.wgt --data ring8 --samples 300 --likelihood-rows 40 --ode-steps 4 --probes 2"
"$wengert" $likelihood --threads 1 > "$scratch/e1.txt"
run2 "$wengert" $likelihood --threads 1 > "$scratch/e2.txt"
grep -q "density grid" "$scratch/e1.txt"
diff "$scratch/e1.txt" "$scratch/e2.txt"

# Rank 0 alone writes checkpoints: an unwritable one fails there, and rank 1 stops with it.
if run2 "$wengert" train --data ring8 $common --checkpoint /nonexistent/ck.wgt --out "$scratch/x.wgt" \
  > "$scratch/fail.log" 2>&1; then
  echo "mpi: a failing checkpoint on rank 0 should have failed the run"; exit 1
fi
grep -q "nonexistent" "$scratch/fail.log" || { echo "mpi: the failure was not said:"; cat "$scratch/fail.log"; exit 1; }
test ! -e "$scratch/x.wgt"

# A failure on rank 1 alone (its kernels' instruction set cannot be chosen).
if timeout 300 "$mpirun" -n 1 "$wengert" train --data ring8 $common --out "$scratch/y.wgt" : \
  -n 1 env WENGERT_SIMD=vax "$wengert" train --data ring8 $common --out "$scratch/y.wgt" > "$scratch/fail1.log" 2>&1; then
  echo "mpi: a failure on rank 1 should have failed the run"; exit 1
fi
grep -q "vax" "$scratch/fail1.log" || { echo "mpi: rank 1's failure was not said:"; cat "$scratch/fail1.log"; exit 1; }
test ! -e "$scratch/y.wgt"
# Rank 1 killed after the first checkpoint: the run resumed from it writes the model of the run that never stopped
# (bit for bit), and one process resuming the 2-rank checkpoint reaches it too (to 1e-12: another order of sums).
rank_process() {  # the process of rank $1 running with the checkpoint $2
  for d in /proc/[0-9]*; do
    grep -q "$2" "$d/cmdline" 2> /dev/null && tr '\0' '\n' < "$d/environ" 2> /dev/null |
      grep -qx "OMPI_COMM_WORLD_RANK=$1" && { echo "${d#/proc/}"; return; }
  done
}
long="--widths 2,32,32,1 --steps 1500 --batch 256 --threads 1 --eval-every 100 --keep ema"
run2 "$wengert" train --data ring8 $long --checkpoint "$scratch/a.ck" --out "$scratch/a.wgt" > /dev/null
run2 "$wengert" train --data ring8 $long --checkpoint "$scratch/k.ck" --out "$scratch/k.wgt" > /dev/null 2>&1 &
job=$!
while [ ! -e "$scratch/k.ck" ]; do sleep 0.02; done
victim=$(rank_process 1 "$scratch/k.ck")
test -n "$victim" || { echo "mpi: rank 1's process was not found"; exit 1; }
kill -9 "$victim"
if wait $job; then echo "mpi: a killed rank should have failed the run"; exit 1; fi
test ! -e "$scratch/k.wgt"
test "$(sed -n '/^record step/{n;p}' "$scratch/k.ck")" -lt 1500
cp "$scratch/k.ck" "$scratch/k1.ck"
run2 "$wengert" train --data ring8 $long --checkpoint "$scratch/k.ck" --resume "$scratch/k.ck" --out "$scratch/k.wgt" \
  > /dev/null
cmp "$scratch/a.wgt" "$scratch/k.wgt"
"$wengert" train --data ring8 $long --resume "$scratch/k1.ck" --out "$scratch/k1.wgt" > /dev/null
same_parameters "$scratch/a.wgt" "$scratch/k1.wgt"

echo "mpi: 2 ranks train and solve as one process does; a failing rank stops them all"
