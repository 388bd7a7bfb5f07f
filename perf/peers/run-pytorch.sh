#!/usr/bin/env bash
# Installs Debian's PyTorch with the multithreaded OpenBLAS (the reference BLAS that Debian falls
# back to is ~15x slower) and runs perf/peers/pytorch_bench.py on the FastSeq workload shapes.
# One thread everywhere (with --default-threads: W3 and W4 only, at PyTorch's and OpenBLAS's default thread counts,
# one per core); OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (set on some machines here to work
# around old OpenBLAS bugs) are unset for this command only, so OpenBLAS picks its own kernel,
# which the script prints.
set -euo pipefail
cd "$(dirname "$0")"

if ! /usr/bin/python3 -c 'import torch' 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch libopenblas0-pthread
fi

if [ "${1:-}" = --default-threads ]; then
  exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS -u MKL_NUM_THREADS \
    /usr/bin/python3 pytorch_bench.py "$@"
fi
exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
  /usr/bin/python3 pytorch_bench.py "$@"
