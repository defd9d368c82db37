#!/bin/sh
# The command line end to end: a short demo, eval of the model it wrote, and
# clear errors (exit status 2, a message naming the fix) for bad input.
set -eu
wengert=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$wengert" demo --steps 300 --batch 128 --samples 4000 --out "$scratch/demo" > "$scratch/demo.log"
grep -q "^trained" "$scratch/demo.log"
test -s "$scratch/demo/model.wgt"
"$wengert" eval --model "$scratch/demo/model.wgt" --data ring8 --samples 2000 | grep -q "Fisher divergence"
printf '2.1,0.2\n-0.1,-1.8\n' > "$scratch/noisy.csv"
"$wengert" map --prior "$scratch/demo/model.wgt" --in "$scratch/noisy.csv" --sigma 0.3 --out "$scratch/x.csv" | grep -q "converged"
test "$(wc -l < "$scratch/x.csv")" -eq 2
expect_error() {  # expect_error "message" command...
  message=$1; shift
  if "$@" > "$scratch/out.log" 2>&1; then echo "cli: '$*' should have failed"; exit 1; fi
  grep -q "$message" "$scratch/out.log" || { echo "cli: '$*' did not say '$message':"; cat "$scratch/out.log"; exit 1; }
}
"$wengert" train --loss auto --steps 20 --widths 2,8,1 --out "$scratch/auto.wgt" | grep -q "^auto chose"
expect_error "relu has no second derivative" "$wengert" train --activation relu --steps 10 --out "$scratch/m.wgt"
expect_error "data set 'moons' is not known" "$wengert" train --data moons --steps 10 --out "$scratch/m.wgt"
expect_error "but the data has 2 columns" "$wengert" train --widths 3,8,1 --steps 10 --out "$scratch/m.wgt"
printf 'wengert-model 1\nkind mlp\n' > "$scratch/broken.wgt"
expect_error "truncated" "$wengert" eval --model "$scratch/broken.wgt"
printf '1,2\n3,x\n' > "$scratch/bad.csv"
expect_error "bad.csv:2: column 2" "$wengert" train --data "$scratch/bad.csv" --steps 10 --out "$scratch/m.wgt"
# A run killed after its first checkpoint, resumed, writes the model the run that never stopped writes.
run="train --data ring8 --widths 2,32,32,1 --steps 1500 --batch 128 --eval-every 100 --keep ema --threads 1"
"$wengert" $run --checkpoint "$scratch/a.ck" --out "$scratch/a.wgt" > /dev/null
"$wengert" $run --checkpoint "$scratch/b.ck" --out "$scratch/b.wgt" > /dev/null &
pid=$!
while [ ! -e "$scratch/b.ck" ]; do sleep 0.02; done
{ kill -9 $pid; wait $pid; } 2> /dev/null || true
test ! -e "$scratch/b.wgt"
test "$(sed -n '/^record step/{n;p}' "$scratch/b.ck")" -lt 1500
"$wengert" eval --model "$scratch/b.ck" --data ring8 --samples 500 | grep -q "Fisher divergence"  # a checkpoint is a model
"$wengert" $run --checkpoint "$scratch/b.ck" --resume "$scratch/b.ck" --out "$scratch/b.wgt" > "$scratch/b.log"
grep -q "^resuming from" "$scratch/b.log"
cmp "$scratch/a.wgt" "$scratch/b.wgt"
expect_error "this run has 'rate 0.01 cosine 0'" "$wengert" $run --lr 0.01 --resume "$scratch/b.ck" --out "$scratch/c.wgt"
expect_error "is not a wengert-checkpoint file" "$wengert" $run --resume "$scratch/a.wgt" --out "$scratch/c.wgt"
"$wengert" sample --data ring8 --train-steps 200 --width 16 --n 300 --nfe 20 --model "$scratch/diff.wgt" --out "$scratch/samples.csv" > "$scratch/sample.log"
grep -q "histogram TV" "$scratch/sample.log"
grep -q "mass per region" "$scratch/sample.log"
test "$(wc -l < "$scratch/samples.csv")" -eq 300
"$wengert" sample --data ring8 --model "$scratch/diff.wgt" --sampler heun --n 100 --nfe 20 --out "$scratch/s2.csv" | grep -q "heun sampler"
"$wengert" sample --data ring8 --exact-score --sampler dpm --n 100 --nfe 10 --out "$scratch/s4.csv" | grep -q "dpm sampler"
"$wengert" sample --data ring8 --loss exact --train-steps 50 --width 8 --n 50 --nfe 10 --out "$scratch/s3.csv" | grep -q "exact loss"
expect_error "use heun, dpm, sde or langevin" "$wengert" sample --data ring8 --exact-score --sampler ode --n 10
expect_error "is a mlp potential, not time-conditioned" "$wengert" sample --model "$scratch/demo/model.wgt" --n 10
printf '1,2,3\n' > "$scratch/wide.csv"
expect_error "has 3 columns; the identity operator on R^2 observes 2" "$wengert" map --prior "$scratch/demo/model.wgt" --in "$scratch/wide.csv"
expect_error "use identity, blur, mask or subsample" "$wengert" map --prior "$scratch/demo/model.wgt" --in "$scratch/noisy.csv" --operator fft
# The version and the kernels in use; every command's help ends with an example; a bad WENGERT_SIMD is an error.
"$wengert" --version | grep -q "^wengert [0-9]*\.[0-9]*\.[0-9]*$"
"$wengert" --version | grep -q "^kernels: [a-z0-9]* (this build on this CPU: .*scalar)$"
for command in train eval demo map sample; do
  "$wengert" $command --help | tail -n 1 | grep -q "^example: wengert $command " || { echo "cli: $command --help has no example"; exit 1; }
done
expect_error "WENGERT_SIMD='avx9' is not an instruction set" env WENGERT_SIMD=avx9 "$wengert" train --steps 5 --out "$scratch/m.wgt"
# The quadratic model on 3-D Gaussian data (Box-Muller from awk, correlated): its
# Gaussian has the sample mean and covariance, the exact optimum, to 1e-3.
awk 'BEGIN { srand(3); for (i = 0; i < 2000; i++) { for (k = 0; k < 3; k++) z[k] = sqrt(-2 * log(1 - rand())) * cos(6.283185307179586 * rand());
  printf "%.17g,%.17g,%.17g\n", 1 + z[0], -0.5 + 0.8 * z[0] + 0.6 * z[1], 2 + 0.3 * z[1] + 0.5 * z[2] } }' > "$scratch/g3.csv"
"$wengert" train --model quadratic --data "$scratch/g3.csv" --batch 2000 --steps 3000 --lr 0.01 --out "$scratch/q.wgt" > "$scratch/q.log"
"$wengert" eval --model "$scratch/q.wgt" --data "$scratch/g3.csv" > "$scratch/q-eval.log"
for log in "$scratch/q.log" "$scratch/q-eval.log"; do
  grep "sample moments" "$log" | awk '{ gsub(",", ""); if (!($(NF-2) < 1e-3 && $NF < 1e-3)) { print "cli: quadratic moments off: " $0; exit 1 } }'
  grep -q "covariance row 3" "$log"
done
echo "cli: demo, eval, map, sample and error messages as expected"
