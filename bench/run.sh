#!/usr/bin/env bash
# One command for the CPU benchmarks: measures the machine's peak, builds and verifies Runtime.Benchmarks, exports the
# ONNX Runtime peer's models, runs the BenchmarkDotNet suite (ours, plain C#, ONNX Runtime, the raw GEMM shapes) and
# the PyTorch peer (1 and 2 threads), prints the comparison table and writes it into docs/benchmarks.md.
#   bash bench/run.sh            # full run (about 5-8 minutes on 2 cores)
#   bash bench/run.sh --quick    # smoke run (about 2 minutes), noisier numbers
# Other options: see /usr/bin/python3 bench/compare.py --help.
#
# First it checks what it needs and says what it does about it:
#   - the .NET SDK (`dotnet`): not installed here; see https://dot.net/download;
#   - torch and numpy for /usr/bin/python3: Debian's python3-torch and python3-numpy;
#   - OpenBLAS for torch: Debian's python3-torch links libblas.so.3, which without libopenblas0-pthread is the
#     unoptimised reference BLAS (PyTorch's matrix products then run many times slower than they can).
# As root with apt-get it installs the missing packages (apt-get update && apt-get install -y ...); otherwise it prints
# the exact command and stops (torch missing) or warns and goes on (OpenBLAS missing).
# BENCH_NO_INSTALL=1 never installs, only reports.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "[bench] $*" >&2; }

for a in "$@"; do
  case "$a" in -h|--help) exec /usr/bin/python3 bench/compare.py --help ;; esac
done

if ! command -v dotnet >/dev/null 2>&1; then
  say "the .NET SDK is missing: install .NET 10 (https://dot.net/download) so that 'dotnet' is on PATH, then rerun"
  exit 1
fi
if [ ! -x /usr/bin/python3 ]; then
  say "/usr/bin/python3 is missing: as root, run: apt-get update && apt-get install -y python3 python3-torch python3-numpy libopenblas0-pthread"
  exit 1
fi

have_torch() { /usr/bin/python3 -c "import torch, numpy" >/dev/null 2>&1; }
have_openblas() {
  # Debian's OpenBLAS packages (any threading flavour) provide the libblas.so.3 alternative torch loads.
  command -v dpkg-query >/dev/null 2>&1 || return 0   # not Debian: nothing to check this way
  local p
  for p in libopenblas0-pthread libopenblas0-openmp libopenblas0-serial; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && return 0
  done
  return 1
}

missing=()
have_torch || missing+=(python3-torch python3-numpy)
have_openblas || missing+=(libopenblas0-pthread)
if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get update && apt-get install -y ${missing[*]}"
  if [ "${BENCH_NO_INSTALL:-0}" != "1" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing what the PyTorch and ONNX Runtime peers need (${missing[*]}): $cmd"
    if ! (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}") >&2; then
      say "the install failed (no network or no package list?); run it yourself: $cmd"
      have_torch || exit 1
    fi
  elif ! have_torch; then
    say "/usr/bin/python3 has no torch (or numpy); the PyTorch peer and the ONNX export need them."
    if [ "$(id -u)" = "0" ]; then say "run: $cmd"; else say "run: sudo sh -c '$cmd'"; fi
    exit 1
  else
    say "warning: OpenBLAS is not installed, so PyTorch runs on the reference BLAS and its times are not representative."
    if [ "$(id -u)" = "0" ]; then say "to fix it, run: $cmd"; else say "to fix it, run: sudo sh -c '$cmd'"; fi
  fi
fi
if have_torch; then
  say "using $(/usr/bin/python3 -c 'import torch, numpy; print(f"torch {torch.__version__}, numpy {numpy.__version__}")' 2>/dev/null) for the PyTorch peer"
fi

exec /usr/bin/python3 bench/compare.py "$@"
