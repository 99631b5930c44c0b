#!/usr/bin/env bash
# Data-parallel training on Open MPI (Distributed/, docs/distributed.md), checked end to end under mpirun:
#   - equivalence: 1, 2 and 4 processes with global batch B end with the parameters, epoch values and evaluation of one
#     process with batch B, to float tolerance (Distributed.Check's "equivalence" mode compares against an in-process run);
#   - a rank that throws mid-epoch makes the others fail naming it; a rank that never joins makes them time out; a rank
#     declaring a different network is refused at UseDistributed, naming it. Each within seconds, none hanging.
# Needs mpirun (Debian: apt-get install openmpi-bin libopenmpi-dev); without it the checks are skipped, not failed.
# Usage: scripts/mpi-check.sh [--no-build] [--bench STEPS]
# Prints a dotnet-test-style count line ("Passed!  - Failed: 0, Passed: N, Skipped: 0") that scripts/test.sh sums.
set -uo pipefail
cd "$(dirname "$0")/.."
build=1; bench=0
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) build=0 ;;
    --bench) bench=$2; shift ;;
    *) echo "unknown option $1"; exit 2 ;;
  esac
  shift
done
if ! command -v mpirun >/dev/null; then
  echo "mpi-check: skipped (mpirun not found; Debian: apt-get install openmpi-bin libopenmpi-dev)"
  echo "Skipped! - Failed:     0, Passed:     0, Skipped:     1 (mpi-check)"
  exit 0
fi
if [ "$build" = 1 ]; then
  dotnet build Distributed.Check -c Release -v q -nologo >/dev/null || { echo "mpi-check: build failed"; exit 1; }
fi
dll=Distributed.Check/bin/Release/net10.0/SourceGenNN.Distributed.Check.dll
[ -f "$dll" ] || { echo "mpi-check: $dll not built"; exit 1; }
export TERM=dumb DOTNET_CLI_TELEMETRY_OPTOUT=1
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Oversubscribed on a small machine; no single-copy shared memory (CMA needs ptrace rights a container may not have).
mpi=(mpirun --oversubscribe --mca btl_vader_single_copy_mechanism none)
passed=0; failed=0
out=$(mktemp)
check() { # name, expected rc (0, or "nonzero"), pattern the output must hold, then the command
  local name=$1 want=$2 pattern=$3; shift 3
  local start rc=0
  start=$(date +%s)
  timeout 180 "$@" >"$out" 2>&1 || rc=$?
  local secs=$(( $(date +%s) - start ))
  local ok=1
  if [ "$want" = 0 ] && [ "$rc" != 0 ]; then ok=0; fi
  if [ "$want" = nonzero ] && { [ "$rc" = 0 ] || [ "$rc" = 124 ]; }; then ok=0; fi  # 124: it hung until timeout(1)
  grep -qE "$pattern" "$out" || ok=0
  if [ "$ok" = 1 ]; then
    passed=$((passed + 1)); echo "  passed: $name (${secs} s)"; grep -E "$pattern" "$out" | head -n 2 | sed 's/^/    /'
  else
    failed=$((failed + 1)); echo "  FAILED: $name (exit $rc, ${secs} s; expected exit $want and /$pattern/)"; tail -n 25 "$out" | sed 's/^/    /'
  fi
}

check "the resolver's search list, and where libmpi loads from" 0 "resolver: .*PASS" dotnet "$dll" resolver
for np in 1 2 4; do
  check "equivalence, $np process(es)" 0 "equivalence, $np process.*PASS" "${mpi[@]}" -np "$np" dotnet "$dll" equivalence
done
check "a rank that throws: the others fail naming it" nonzero "rank 0: MpiRankFailedException: Rank 1 failed" "${mpi[@]}" -np 3 dotnet "$dll" fault
check "a rank that never joins: the others time out" nonzero "rank 0: MpiTimeoutException: .*did not complete within 3 s" \
  env SOURCEGENNN_MPI_TIMEOUT=3 "${mpi[@]}" -x SOURCEGENNN_MPI_TIMEOUT -np 2 dotnet "$dll" hang
check "different network declarations are refused, naming the rank" nonzero "rank 0: InvalidOperationException: .*rank 1 declares a network" \
  "${mpi[@]}" -np 2 dotnet "$dll" mismatch
# Checkpoints: rank 0 saves after every epoch (atomically); a job stopped after 2 of 4 epochs and started again resumes
# from rank 0's last checkpoint and ends with the parameters of an uninterrupted run, bit for bit.
ck=$(mktemp -d)
check "checkpoints by rank 0: an uninterrupted run of 4 epochs" 0 "checkpoint: 2 process.*epochs 1 to 4" \
  "${mpi[@]}" -np 2 dotnet "$dll" checkpoint "$ck/whole.sgnn" 4
whole=$(grep -o "parameters fnv [0-9a-f]*" "$out" || echo "none")
check "checkpoints by rank 0: a job stopped after 2 epochs" 0 "checkpoint: 2 process.*epochs 1 to 2" \
  "${mpi[@]}" -np 2 dotnet "$dll" checkpoint "$ck/resumed.sgnn" 2
check "a restarted job resumes from the last checkpoint: the uninterrupted run's parameters, bit for bit" 0 "epochs 3 to 4 run here.*$whole\$" \
  "${mpi[@]}" -np 2 dotnet "$dll" checkpoint "$ck/resumed.sgnn" 4
rm -rf "$ck"

# Several hosts: two network namespaces joined by veth pairs play two machines (scripts/mpi-netns.sh), 2 processes on
# each, TCP between them. Needs root and CAP_NET_ADMIN; skipped where namespaces cannot be made, or with
# SOURCEGENNN_MPI_NETNS=0.
skipped=0
net=$(mktemp -d)
hosts=()
: >"$out"
if [ "${SOURCEGENNN_MPI_NETNS:-1}" != 0 ] && [ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v unshare >/dev/null &&
   hostopts=$(bash scripts/mpi-netns.sh up 2 "$net" 2>"$out") && read -r -a hosts <<<"$hostopts" &&
   timeout 60 mpirun "${hosts[@]}" -np 2 true >"$out" 2>&1; then  # the namespaces work as hosts (ssh stand-in, TCP)
  check "2 hosts (network namespaces, TCP), 4 processes: equivalence" 0 "equivalence, 4 process.*PASS" \
    mpirun "${hosts[@]}" -np 4 dotnet "$PWD/$dll" equivalence
  check "2 hosts: a rank that throws is named on the other host" nonzero "rank 2: MpiRankFailedException: Rank 1 failed" \
    mpirun "${hosts[@]}" -np 4 dotnet "$PWD/$dll" fault
  bash scripts/mpi-netns.sh down 2
else
  skipped=1; echo "  skipped: several hosts (SOURCEGENNN_MPI_NETNS=0, or network namespaces could not be made or used as hosts here: needs root, CAP_NET_ADMIN, ip, unshare)"
  bash scripts/mpi-netns.sh down 2 >/dev/null 2>&1 || true
fi
rm -rf "$net"

# The MNIST sample, data-parallel on 2 processes: rank 0 alone prints, and it reaches the single-process bar (93 %).
mnist=samples/Mnist/bin/Release/net10.0/Mnist.dll
if [ -f "$mnist" ]; then
  tmp=$(mktemp -d)
  check "samples/Mnist --mpi on 2 processes reaches the bar, printing from rank 0" 0 "^Held-out accuracy: (9[3-9]|100)" \
    "${mpi[@]}" -np 2 dotnet "$mnist" --mpi --weights "$tmp/mnist.sgnn"
  [ "$(grep -c '^Held-out accuracy' "$out" 2>/dev/null || echo 0)" -le 1 ] || { echo "  FAILED: more than one rank printed"; failed=$((failed + 1)); }
  rm -rf "$tmp"
fi
if [ "$bench" != 0 ]; then
  for np in 1 2; do
    check "W5 benchmark, $np process(es)" 0 "bench W5" "${mpi[@]}" -np "$np" --bind-to none dotnet "$dll" bench "$bench"
  done
fi
rm -f "$out"
if [ "$failed" = 0 ]; then echo "Passed!  - Failed:     0, Passed: $(printf %5d $passed), Skipped: $(printf %5d $skipped) (mpi-check)"
else echo "Failed!  - Failed: $(printf %5d $failed), Passed: $(printf %5d $passed), Skipped: $(printf %5d $skipped) (mpi-check)"; exit 1; fi
