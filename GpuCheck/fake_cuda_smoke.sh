#!/usr/bin/env bash
# Runs the published GpuCheck against a CPU stand-in for the CUDA libraries (fake-cuda/fake_cuda.c), on a machine
# without a GPU: it exercises the library resolver, the LibraryImport signatures, the error paths and the row-major
# SGEMM mapping through cublasSgemm_v2 (computed on the host by the stand-in). Kernel checks fail there by design
# (no NVRTC). Usage, from the repository root after publishing to .gpu/gpucheck: GpuCheck/fake_cuda_smoke.sh
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
src=$(dirname "$0")/fake-cuda/fake_cuda.c
for so in libcuda.so.1 libcudart.so.13 libcublasLt.so.13 libcublas.so.13 libnvrtc.so.13 libnvrtc-builtins.so.13.0; do
  gcc -shared -fPIC -O1 -o "$dir/$so" "$src"
done
exe=${GPUCHECK:-.gpu/gpucheck/GpuCheck}
echo "== no devices"
FAKE_CUDA_DEVICES=0 SOURCEGENNN_CUDA_LIBDIR="$dir" "$exe" --require-gpu -v && rc=0 || rc=$?
echo "exit $rc (expected 2)"; [ "$rc" = 2 ]
echo "== one fake device"
SOURCEGENNN_CUDA_LIBDIR="$dir" "$exe" -v | tee "$dir/out.txt" || true
grep -q '^PASS sgemm row-major' "$dir/out.txt"
grep -q 'NVRTC call failed' "$dir/out.txt"
echo "fake CUDA smoke test: resolver, bindings and SGEMM mapping OK"
