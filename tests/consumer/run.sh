#!/bin/sh
# Installs the build into a scratch prefix, then builds and runs consumer.cpp
# against it with nothing but pkg-config.
set -eu
build=$1
source=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
meson install -C "$build" --destdir "$scratch" --no-rebuild --quiet >/dev/null
pc=$(find "$scratch" -name wengert.pc | head -n 1)
[ -n "$pc" ] || { echo "consumer: no wengert.pc was installed"; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
export PKG_CONFIG_PATH="$(dirname "$pc")"
flags=$(pkg-config --define-variable=prefix="$scratch$prefix" --cflags --libs wengert)
c++ -std=c++20 "$source/consumer.cpp" $flags -o "$scratch/consumer"
libdir=$(pkg-config --define-variable=prefix="$scratch$prefix" --variable=libdir wengert)
LD_LIBRARY_PATH="$libdir" "$scratch/consumer"
echo "consumer: built and ran against $pc"
