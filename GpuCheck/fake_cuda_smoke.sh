#!/usr/bin/env bash
# Runs GpuCheck against fake-cuda/fake_cuda.c, a CPU emulator of the CUDA libraries, on a machine without a GPU.
# The emulator compiles the generated kernels as host C++ and runs them on the CPU, so every check runs end to end:
# the library resolver, the LibraryImport bindings, the row-major SGEMM mapping, the generated kernels, the executor's
# forward, backward and training steps, and CUDA-graph capture and replay. It checks copies, SGEMM operands and kernel
# pointer arguments against the allocations, puts a guard page after every device block, and fills new device memory
# with NaN. It cannot stand in for real NVRTC, the real memory model, real cuBLAS or timings (docs/gpu.md).
# Needs gcc and c++. Usage, from the repository root:
#   GpuCheck/fake_cuda_smoke.sh            builds GpuCheck (Release, framework-dependent) and runs it
#   GPUCHECK=path/to/GpuCheck GpuCheck/fake_cuda_smoke.sh    runs that one instead (e.g. the trimmed publish)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v gcc >/dev/null && command -v c++ >/dev/null || { echo "fake CUDA smoke test: skipped (needs gcc and c++)"; exit 0; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
if [ -n "${GPUCHECK:-}" ]; then run=("$GPUCHECK"); else
  dotnet build GpuCheck -c Release -v q -nologo >/dev/null
  run=(dotnet GpuCheck/bin/Release/net10.0/GpuCheck.dll)
fi
expect() { # what, file, pattern
  grep -q -- "$3" "$2" || { echo "FAIL $1: expected '$3' in:"; cat "$2"; exit 1; }
  echo "ok   $1"
}

GpuCheck/fake-cuda/build.sh "$root/13" 13
GpuCheck/fake-cuda/build.sh "$root/both" 13 12
GpuCheck/fake-cuda/build.sh "$root/part" 13 12
rm "$root/part/libnvrtc.so.13"

echo "== the emulator's own checks (fake-cuda/selftest.c)"
gcc -O1 -Wall -Werror -o "$root/selftest" GpuCheck/fake-cuda/selftest.c -L"$root/13" -lfakecuda -Wl,-rpath,"$root/13"
"$root/selftest" 2>/dev/null | tail -n 1

echo "== the library resolver and the error paths"
rc=0; FAKE_CUDA_DEVICES=0 SOURCEGENNN_CUDA_LIBDIR="$root/13" "${run[@]}" --require-gpu -v >"$root/out" 2>&1 || rc=$?
expect "no device: exit 2 (got $rc)" "$root/out" "cudaErrorNoDevice"; [ "$rc" = 2 ]
rc=0; FAKE_CUDA_DRIVER_VERSION=12080 SOURCEGENNN_CUDA_LIBDIR="$root/13" "${run[@]}" --require-gpu -v >"$root/out" 2>&1 || rc=$?
expect "a 12.8 driver refuses CUDA 13 and says so" "$root/out" "CUDA 13 skipped: the driver supports up to CUDA 12.8"; [ "$rc" = 2 ]
FAKE_CUDA_DRIVER_VERSION=12080 SOURCEGENNN_CUDA_LIBDIR="$root/both" "${run[@]}" --require-gpu -v >"$root/out" 2>&1 || true
expect "a 12.8 driver loads CUDA 12 when both are present" "$root/out" "libcudart.so.12 (CUDA 12)"
SOURCEGENNN_CUDA_LIBDIR="$root/part" "${run[@]}" --require-gpu -v >"$root/out" 2>&1 || true
expect "CUDA 13 without NVRTC falls back to a complete CUDA 12" "$root/out" "libnvrtc.so.12"
FAKE_CUDA_NO_NVRTC=1 SOURCEGENNN_CUDA_LIBDIR="$root/13" "${run[@]}" >"$root/out" 2>&1 || true
expect "the NVRTC log reaches the exception" "$root/out" "NVRTC is switched off"

export SOURCEGENNN_CUDA_LIBDIR="$root/13"
echo "== every check, on the emulator"
"${run[@]}" --require-gpu -v
echo "== every check, blocks and threads in reverse order"
FAKE_CUDA_REVERSE=1 "${run[@]}" --require-gpu | tail -n 1
echo "== every check, with stream operations deferred until waited for, on 1 SM (grid-stride loops go round)"
FAKE_CUDA_DEFER=1 FAKE_CUDA_SMS=1 "${run[@]}" --require-gpu | tail -n 1
echo "== the benchmark's code, small and short (--bench-smoke)"
"${run[@]}" --bench-smoke
echo "fake CUDA smoke test: passed"
