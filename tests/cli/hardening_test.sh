#!/bin/sh
# The command line against careless and hostile input: every case ends with
# exit status 2 and one line on stderr that says what is wrong, and nothing is
# overwritten or written from a failed run. One case per finding, named after
# what it checks.
set -u
wengert=$1
sign=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
case_name=""

# refused "message" command...: exit 2, one line on stderr containing the message, in at most 20 s.
refused() {
  message=$1; shift
  timeout 20 "$@" > "$scratch/out" 2> "$scratch/err"
  status=$?
  lines=$(wc -l < "$scratch/err")
  if [ "$status" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$message" "$scratch/err"; then
    echo "FAIL $case_name: '$*' gave status $status and $lines stderr line(s), wanted 2, one line with '$message':"
    cat "$scratch/err"
    failures=$((failures + 1))
  else
    echo "ok   $case_name"
  fi
}
check() {  # check "what" test-expression...
  what=$1; shift
  if "$@"; then echo "ok   $case_name: $what"; else echo "FAIL $case_name: $what"; failures=$((failures + 1)); fi
}
model() { printf "$1" | "$sign" > "$scratch/$2"; }  # a model file with a valid checksum

case_name="crafted widths overflow the parameter count"
model 'wengert-model 1\nkind mlp\nwidths 1 6148914691236517206 1\nactivation tanh\nparameters 1\n0\n' over.wgt
refused "width 6148914691236517206 is not in 1 to 2^31" "$wengert" eval --model "$scratch/over.wgt"
case_name="crafted widths larger than the file are refused before allocating"
model 'wengert-model 1\nkind mlp\nwidths 2 1000000000 1\nactivation tanh\nparameters 4000000000\n0\n' huge.wgt
refused "ends before all its parameters" "$wengert" eval --model "$scratch/huge.wgt"
model 'wengert-model 1\nkind mlp\nwidths 2 75000000 1\nactivation tanh\nparameters 300000000\n0\n' short.wgt
refused "ends before all its parameters" "$wengert" eval --model "$scratch/short.wgt"
case_name="crafted time features are bounded before building"
model 'wengert-model 1\nkind time_mlp\nwidths 2 8 1\nactivation tanh\ntime_features 3000000\nparameters 1\n0\n' tf.wgt
refused "only a time_mlp or edm_mlp has them, at most 4096" "$wengert" sample --model "$scratch/tf.wgt" --n 10
model 'wengert-model 1\nkind time_mlp\nwidths 2 8 1\ntime_features 92233720368547758078\nparameters 1\n0\n' tf2.wgt
refused "is not a whole number in range" "$wengert" sample --model "$scratch/tf2.wgt" --n 10
case_name="crafted numbers, versions and keys are read strictly"
model 'wengert-model 1\nkind mlp\nwidths 2 1\nconfinement nan\nparameters 2\n0\n0\n' nan.wgt
refused "confinement 'nan' is not a finite number" "$wengert" eval --model "$scratch/nan.wgt"
model 'wengert-model 1\nkind mlp\nwidths 2 1\nconfinement abc\nparameters 2\n0\n0\n' abc.wgt
refused "confinement 'abc'" "$wengert" eval --model "$scratch/abc.wgt"
model 'wengert-model 01\n' v01.wgt
refused "has format version '01'" "$wengert" eval --model "$scratch/v01.wgt"
model 'wengert-model 1junk\n' vjunk.wgt
refused "has format version '1junk'" "$wengert" eval --model "$scratch/vjunk.wgt"
model 'wengert-model 1\nkind mlp\nwidths 2 1\nwidths 2 1\nparameters 2\n0\n0\n' twice.wgt
refused "repeats 'widths'" "$wengert" eval --model "$scratch/twice.wgt"
model 'wengert-model 1\nkind mlp\nwidths 2 1\nparameters 2\n0\n0\n0\n' extra.wgt
refused "holds 1 lines after its 2 parameters" "$wengert" eval --model "$scratch/extra.wgt"
case_name="parameters that overflow the model give an error, not -nan"
model 'wengert-model 1\nkind mlp\nwidths 2 3 1\nactivation tanh\nparameters 12\n1e300\n1e300\n1e300\n1e300\n1e300\n1e300\n1e300\n1e300\n1e300\n1e300\n1e300\n1e300\n' big.wgt
refused "non-finite values" "$wengert" eval --model "$scratch/big.wgt" --samples 100
case_name="a device is not read until memory runs out"
refused "is not a regular file" "$wengert" eval --model /dev/zero
case_name="model-file errors name the file"
model 'wengert-model 1\nkind mlp\nwidths 2 -3 1\nparameters 12\n' neg.wgt
refused "neg.wgt' line 3: width '-3'" "$wengert" eval --model "$scratch/neg.wgt"
model 'wengert-model 1\nkind mlp\nwidths 2 3 1\nactivation gelu\nparameters 12\n0\n0\n0\n0\n0\n0\n0\n0\n0\n0\n0\n0\n' gelu.wgt
refused "gelu.wgt' line 4: activation 'gelu' is not known" "$wengert" eval --model "$scratch/gelu.wgt"
model 'wengert-model 1\nkind mlp\nwidths 2 1\nconfinement -1\nparameters 2\n0\n0\n' conf.wgt
refused "conf.wgt' line 4: has confinement -1" "$wengert" eval --model "$scratch/conf.wgt"

case_name="negative counts are refused, not wrapped"
refused "--steps: '-5': use a whole number from 1 to" "$wengert" train --steps -5 --out "$scratch/m.wgt"
refused "--batch: '-1'" "$wengert" train --batch -1 --out "$scratch/m.wgt"
refused "--samples: '-1'" "$wengert" train --samples -1 --out "$scratch/m.wgt"
refused "--n: '-1'" "$wengert" sample --n -1
refused "--threads: '0'" "$wengert" train --threads 0 --out "$scratch/m.wgt"
case_name="widths are whole numbers"
refused "'2x' is not a width" "$wengert" train --widths 2x,8,1 --out "$scratch/m.wgt"
refused "'2.9' is not a width" "$wengert" train --widths 2.9,8.5,1 --out "$scratch/m.wgt"
case_name="absurd widths are refused against the machine's memory"
refused "needs about" "$wengert" train --widths 2,100000000,1 --out "$scratch/m.wgt"
case_name="a very long path is an error, not an abort"
long=$(printf '%5000s' x | tr ' ' a)
refused "cannot open" "$wengert" train --data "$long.csv" --out "$scratch/m.wgt"

case_name="output equal to an input is refused"
printf '1,2\n3,4\n5,6\n' > "$scratch/d.csv"
cp "$scratch/d.csv" "$scratch/d.orig"
refused "would destroy the input" "$wengert" train --data "$scratch/d.csv" --out "$scratch/d.csv" --steps 5
check "the input is intact" cmp -s "$scratch/d.csv" "$scratch/d.orig"
refused "would destroy the input" "$wengert" map --in "$scratch/d.csv" --out "$scratch/./d.csv"
case_name="temporaries of interrupted saves are removed"
printf 'half' > "$scratch/m.wgt.tmp.999999999"
"$wengert" train --steps 5 --samples 500 --out "$scratch/m.wgt" > /dev/null 2>&1
check "no temporary is left" test ! -e "$scratch/m.wgt.tmp.999999999"
check "the model is written" test -s "$scratch/m.wgt"

case_name="divergence is an error and writes no model"
refused "training diverged" "$wengert" train --lr 1e9 --steps 200 --samples 2000 --out "$scratch/div.wgt"
check "no model from a diverged run" test ! -e "$scratch/div.wgt"
refused "--lr: '-1': use a number above 0" "$wengert" train --lr -1 --out "$scratch/div.wgt"

case_name="data of the wrong dimension for a model is refused up front"
printf '1,2,3\n4,5,6\n7,8,9\n' > "$scratch/wide.csv"
"$wengert" sample --data ring8 --train-steps 20 --width 8 --n 20 --nfe 5 --model "$scratch/t.wgt" --out "$scratch/s.csv" > /dev/null 2>&1
refused "has 3 columns, but the model" "$wengert" sample --model "$scratch/t.wgt" --data "$scratch/wide.csv" --out "$scratch/s2.csv"
"$wengert" sample --data "$scratch/wide.csv" --train-steps 20 --width 8 --n 20 --nfe 5 --model "$scratch/t3.wgt" --out "$scratch/s3.csv" > /dev/null 2>&1
rm -f "$scratch/s4.csv"
refused "has 2 columns, but the model" "$wengert" sample --model "$scratch/t3.wgt" --data ring8 --out "$scratch/s4.csv"
check "no samples written" test ! -e "$scratch/s4.csv"
refused "has 3 columns, but the model" "$wengert" eval --model "$scratch/m.wgt" --data "$scratch/wide.csv"
case_name="time-conditioned models are refused where a plain one is needed"
refused "is a time-conditioned potential (edm_mlp)" "$wengert" map --prior "$scratch/t.wgt" --in "$scratch/d.csv"
check "eval gives a time-conditioned model's likelihood" sh -c "'$wengert' eval --model '$scratch/t.wgt' --likelihood-rows 10 --ode-steps 4 --probes 2 --data gaussian --samples 10 | grep -q 'mean log-likelihood'"

case_name="CSV: a trailing comma, overflow, scale and a byte-order mark"
printf '1,2,\n3,4,\n' > "$scratch/trail.csv"
refused "trail.csv:1: column 3 is empty" "$wengert" train --data "$scratch/trail.csv" --out "$scratch/m2.wgt"
printf '1e308,2\n3,4\n' > "$scratch/huge.csv"
refused "standardise the data" "$wengert" train --data "$scratch/huge.csv" --out "$scratch/m2.wgt"
printf '1e309,2\n3,4\n' > "$scratch/over.csv"
refused "beyond the largest double" "$wengert" train --data "$scratch/over.csv" --out "$scratch/m2.wgt"
printf '\357\273\2771e-310,2\n3,4\n5,6\n' > "$scratch/bom.csv"
"$wengert" train --data "$scratch/bom.csv" --steps 3 --out "$scratch/m3.wgt" > "$scratch/out" 2>&1
check "a byte-order mark and a subnormal are read" test -s "$scratch/m3.wgt"
case_name="folders and missing files are named as such"
refused "is a folder, not a file" "$wengert" train --data "$scratch" --out "$scratch/m2.wgt"
refused "cannot open 'x.csv': No such file" "$wengert" train --data x.csv --out "$scratch/m2.wgt"
refused "data set 'moons' is not known" "$wengert" train --data moons --out "$scratch/m2.wgt"

case_name="parse errors end in one line and status 2"
refused "The following argument was not expected: --frobnicate" "$wengert" train --frobnicate
refused "--in is required" "$wengert" map
"$wengert" train --help > "$scratch/help" 2>&1
check "--help exits 0" test $? -eq 0

echo "hardening: $failures failure(s)"
[ "$failures" -eq 0 ]
