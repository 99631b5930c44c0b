#!/usr/bin/env bash
# One command for the CPU benchmarks: builds and verifies Runtime.Benchmarks, runs the BenchmarkDotNet suite and the
# PyTorch peer (1 and 2 threads), prints the comparison table and writes it into docs/benchmarks.md.
#   bash bench/run.sh            # full run (about 4 minutes on 2 cores)
#   bash bench/run.sh --quick    # smoke run (about 2 minutes), noisier numbers
# Other options: see /usr/bin/python3 bench/compare.py --help.
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/compare.py "$@"
