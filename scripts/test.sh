#!/usr/bin/env bash
# Builds the solution and runs every test: the generator tests once, the numeric tests on every vector path
# (AVX-512 where the CPU has it, AVX2, 128-bit, and scalar), and the GPU path on a CPU emulator of CUDA.
# Ends with one line: "Tests: N passed, M failed, K skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
status=0

echo "== build (Release)"
out=$(mktemp)
if ! dotnet build SourceGenNN.sln -c Release >"$out" 2>&1; then
  grep -E "error|warn" "$out" | sort -u; echo "build failed"; exit 1
fi
grep -E "Warning\(s\)|Error\(s\)" "$out"

run() { # name, then the command with its environment
  local name=$1; shift
  echo "== $name"
  local rc=0
  timeout 1200 env "$@" >"$out" 2>&1 || rc=$?  # a hang fails the run instead of stalling it
  cat "$out" >>"$log"
  grep -E "Passed!|Failed!|^\s+Failed |Error Message|^\s+Assert|^replay:|^kill-saves:|FAILURE|FAILED" -A2 "$out" || tail -n 3 "$out"
  if [ "$rc" != "0" ]; then status=1; echo "(exit code $rc)"; fi
}

run "generator tests" dotnet test Generator.Tests -c Release --no-build --blame-hang-timeout 15m  # the fuzz test is one long test
run "plot tests (SourceGenNN.Plots: every figure renders)" dotnet test Plots.Tests -c Release --no-build --blame-hang-timeout 5m
run "benchmark baselines compute the same as the generated networks (--verify)" dotnet Runtime.Benchmarks/bin/Release/net10.0/SourceGenNN.Runtime.Benchmarks.dll --verify
run "numeric tests, widest vectors" SOURCEGENNN_EXPECT_SIMD=512-if-available dotnet test Runtime.Tests -c Release --no-build --blame-hang-timeout 5m
run "numeric tests, AVX2 (DOTNET_EnableAVX512=0)" DOTNET_EnableAVX512=0 SOURCEGENNN_EXPECT_SIMD=256 dotnet test Runtime.Tests -c Release --no-build --blame-hang-timeout 5m
run "numeric tests, 128-bit (DOTNET_EnableAVX2=0)" DOTNET_EnableAVX2=0 SOURCEGENNN_EXPECT_SIMD=128 dotnet test Runtime.Tests -c Release --no-build --blame-hang-timeout 5m
run "numeric tests, scalar (DOTNET_EnableHWIntrinsic=0)" DOTNET_EnableHWIntrinsic=0 SOURCEGENNN_EXPECT_SIMD=scalar dotnet test Runtime.Tests -c Release --no-build --blame-hang-timeout 5m
run "file readers fuzzer: corpus, 50,000 mutations, 10 saves killed mid-write (scripts/fuzz.sh)" bash scripts/fuzz.sh --no-build

# The GPU path on fake-cuda, a CPU emulator of the CUDA libraries (GpuCheck/fake-cuda/fake_cuda.c): the generated kernels
# compiled as host C++ and run on the CPU, with allocations, copies, SGEMM operands and graph capture checked. It runs
# GpuCheck end to end and the GPU unit tests with SOURCEGENNN_REQUIRE_GPU=1, so none of them skips. Needs gcc and c++.
if command -v gcc >/dev/null && command -v c++ >/dev/null; then
  emu=$(mktemp -d)
  GpuCheck/fake-cuda/build.sh "$emu" 13 || status=1
  run "GPU path on the CUDA emulator: GpuCheck, the resolver and the error paths" bash GpuCheck/fake_cuda_smoke.sh
  run "GPU tests on the CUDA emulator (SOURCEGENNN_REQUIRE_GPU=1, deferred streams)" SOURCEGENNN_REQUIRE_GPU=1 SOURCEGENNN_CUDA_LIBDIR="$emu" FAKE_CUDA_DEFER=1 \
    dotnet test Runtime.Tests -c Release --no-build --blame-hang-timeout 5m --filter "FullyQualifiedName~SourceGenNN.Tests.Cuda|FullyQualifiedName~TrainerDevice"
  rm -rf "$emu"
else
  echo "== GPU path on the CUDA emulator: skipped (needs gcc and c++)"
fi

# Sum the per-run counts that dotnet test prints ("Failed: 0, Passed: 55, Skipped: 0").
read -r passed failed skipped < <(grep -Eo "Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+" "$log" |
  awk -F'[:,]' '{f+=$2; p+=$4; s+=$6} END {print p+0, f+0, s+0}')
rm -f "$log" "$out"
echo "Tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" = "0" ] || status=1
[ "$passed" != "0" ] || status=1
exit $status
