#!/bin/sh
# Builds and runs consumer.cpp outside the project, the three ways users take
# wengert: against the installed library with pkg-config alone, with CMake's
# find_package(wengert CONFIG), as a meson subproject of another project, and
# the installed Python module imported by the Python that built it.
# Usage: run.sh BUILD SOURCE pkg-config|cmake|meson|python [PYTHON]
set -eu
build=$1
source=$2
kind=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

install() {  # into $scratch/root; sets prefix
  meson install -C "$build" --destdir "$scratch/root" --no-rebuild --quiet >/dev/null
  pc=$(find "$scratch/root" -name wengert.pc | head -n 1)
  [ -n "$pc" ] || { echo "consumer: no wengert.pc was installed"; exit 1; }
  prefix="$scratch/root$(sed -n 's/^prefix=//p' "$pc")"
  libdir=$(dirname "$(dirname "$pc")")
}

case $kind in
pkg-config)
  install
  export PKG_CONFIG_PATH="$(dirname "$pc")"
  flags=$(pkg-config --define-variable=prefix="$prefix" --cflags --libs wengert)
  c++ -std=c++20 "$source/consumer.cpp" $flags -o "$scratch/consumer"
  LD_LIBRARY_PATH="$libdir" "$scratch/consumer"
  ;;
cmake)
  install
  cmake -S "$source/cmake" -B "$scratch/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$scratch/cmake" >/dev/null
  LD_LIBRARY_PATH="$libdir" "$scratch/cmake/consumer"
  ;;
meson)
  mkdir -p "$scratch/project/subprojects"
  cp "$source/meson/meson.build" "$source/consumer.cpp" "$scratch/project/"
  ln -s "$(cd "$source/../.." && pwd)" "$scratch/project/subprojects/wengert"
  meson setup "$scratch/project/build" "$scratch/project" >/dev/null
  meson compile -C "$scratch/project/build" >/dev/null
  "$scratch/project/build/consumer"
  ;;
python)
  install
  module=$(find "$scratch/root" -name '_wengert*.so' | head -n 1)
  [ -n "$module" ] || { echo "consumer: no Python module was installed"; exit 1; }
  cd "$scratch"  # not the source tree: the import must find the installed package
  PYTHONPATH="$(dirname "$(dirname "$module")")" LD_LIBRARY_PATH="$libdir" "$4" -c '
import numpy as np, wengert as w
rec = w.Recorder(); x = rec.data("x", 2)
rec.output("phi", w.sum_cols(w.square(x)))
lap = w.Program(w.laplacian(rec.finish(), "x"))(x=np.ones((3, 2)))["x_laplacian"]
assert lap.ravel().tolist() == [4.0, 4.0, 4.0], lap
print("wengert", w.__version__, "from", w.__file__)'
  ;;
*)
  echo "consumer: unknown kind '$kind'; use pkg-config, cmake, meson or python"
  exit 1
  ;;
esac
echo "consumer ($kind): built and ran a program against wengert"
