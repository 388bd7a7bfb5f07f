#!/usr/bin/env bash
# Builds the RTNeural peer of the W1 rows, perf/peers/rtneural/build/librtneural_peer.so: RTNeural's
# compile-time ModelT (LSTMLayerT or GRULayerT, then DenseT) at 8, 16, 32, 40, 64 and 128 units, Eigen
# backend, -O3 -march=native, behind the C interface of perf/peers/rtneural/rtneural_peer.cpp.
#
# RTNEURAL_DIR: RTNeural's checkout (the folder holding RTNeural/RTNeural.h); default ../shared/peers/RTNeural
# beside the repository. Where that does not exist and RTNEURAL_DIR is not set, the pinned commit is cloned
# into perf/peers/rtneural/RTNeural-<commit>. EIGEN_DIR: Eigen 3.4's headers (default Debian's, from
# `apt-get install libeigen3-dev`). CXX: the compiler (default g++).
# Rebuilds only when the source, this script, the flags or RTNEURAL_DIR changed; prints the library's path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
pinned=1fb1f075a5d66e85bfc8f488c3f3626840cb3a1d

if [[ -n "${RTNEURAL_DIR:-}" ]]; then
  [[ -f "$RTNEURAL_DIR/RTNeural/RTNeural.h" ]] || { echo "RTNEURAL_DIR=$RTNEURAL_DIR has no RTNeural/RTNeural.h" >&2; exit 1; }
else
  RTNEURAL_DIR="$repo/../shared/peers/RTNeural"
  if [[ ! -f "$RTNEURAL_DIR/RTNeural/RTNeural.h" ]]; then
    RTNEURAL_DIR="$here/rtneural/RTNeural-$pinned"
    if [[ ! -f "$RTNEURAL_DIR/RTNeural/RTNeural.h" ]]; then
      echo "cloning RTNeural at $pinned into $RTNEURAL_DIR" >&2
      rm -rf "$RTNEURAL_DIR"
      git clone --quiet https://github.com/jatinchowdhury18/RTNeural.git "$RTNEURAL_DIR" >&2
      git -C "$RTNEURAL_DIR" checkout --quiet "$pinned" >&2
    fi
  fi
fi
RTNEURAL_DIR="$(cd "$RTNEURAL_DIR" && pwd)"

EIGEN_DIR="${EIGEN_DIR:-/usr/include/eigen3}"
[[ -f "$EIGEN_DIR/Eigen/Core" ]] || { echo "no Eigen at EIGEN_DIR=$EIGEN_DIR: apt-get install libeigen3-dev, or set EIGEN_DIR" >&2; exit 1; }
# RTNeural's model loader includes nlohmann/json; the copy beside this project points it at Debian's.
if grep -qs '#include <nlohmann/json.hpp>' "$RTNEURAL_DIR/modules/json/json.hpp" && [[ ! -f /usr/include/nlohmann/json.hpp ]]; then
  echo "RTNeural's modules/json/json.hpp wants Debian's nlohmann/json: apt-get install nlohmann-json3-dev" >&2
  exit 1
fi

CXX="${CXX:-g++}"
source="$here/rtneural/rtneural_peer.cpp"
out="$here/rtneural/build/librtneural_peer.so"
flags=(-O3 -march=native -std=c++17 -fPIC -shared -DRTNEURAL_USE_EIGEN=1 -DRTNEURAL_DEFAULT_ALIGNMENT=32
       -DEIGEN_STACK_ALLOCATION_LIMIT=0 -I "$RTNEURAL_DIR" -I "$EIGEN_DIR")
recipe="$CXX $("$CXX" --version | head -n 1) ${flags[*]}"
if [[ -f "$out" && "$out" -nt "$source" && "$out" -nt "$0" && "$(cat "$out.recipe" 2>/dev/null)" == "$recipe" ]]; then
  echo "$out"
  exit 0
fi
mkdir -p "$(dirname "$out")"
echo "building $out: $recipe" >&2
"$CXX" "${flags[@]}" "$source" -o "$out.tmp" >&2
mv "$out.tmp" "$out"
echo "$recipe" > "$out.recipe"
echo "$out"
