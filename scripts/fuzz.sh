#!/usr/bin/env bash
# The file readers' fuzzer (Fuzz/, docs/reliability.md). Any exception other than WeightFileException, a refused load
# that changed the network or optimiser, an allocation over the harness's bound or a hang fails it.
#
#   bash scripts/fuzz.sh                   replay Fuzz/corpus and 50,000 deterministic mutations (seed 1) through both
#                                          readers, then kill 10 saves mid-write; pure .NET, what CI runs (~30 s)
#   bash scripts/fuzz.sh --afl SECONDS     then an AFL++ campaign of that length on the instrumented readers
#                                          (needs afl-fuzz: apt-get install afl++); fails on any crash or hang
#   options: --mutations N  --seed S  --kills K  --no-build
set -euo pipefail
cd "$(dirname "$0")/.."

mutations=50000 seed=1 kills=10 afl=0 build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --mutations) mutations=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --kills) kills=$2; shift 2 ;;
    --afl) afl=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ "$build" = 1 ]; then
  dotnet build Fuzz -c Release >/dev/null || { dotnet build Fuzz -c Release 2>&1 | grep -E "error" | sort -u; exit 1; }
fi
fuzz=Fuzz/bin/Release/net10.0/SourceGenNN.Fuzz.dll
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== replay: the corpus and $mutations mutations (seed $seed)"
dotnet "$fuzz" --replay Fuzz/corpus --mutations "$mutations" --seed "$seed" --crashes Fuzz/findings

if [ "$kills" -gt 0 ]; then
  echo "== $kills saves killed mid-write"
  dotnet "$fuzz" --kill-saves "$work/kills" "$kills" --seed "$seed"
fi

if [ "$afl" -gt 0 ]; then
  command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 1; }
  echo "== AFL++ for $afl s"
  # A copy of the build whose reader code (SourceGenNN.IO) SharpFuzz instruments in place.
  cp -r Fuzz/bin/Release/net10.0 "$work/bin"
  dotnet "$work/bin/SourceGenNN.Fuzz.dll" --instrument "$work/bin/SourceGenNN.dll"
  # dotnet itself is not instrumented (AFL_SKIP_BIN_CHECK); the harness speaks AFL's protocol through SharpFuzz.
  AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 \
    afl-fuzz -i Fuzz/corpus -o "$work/findings" -x Fuzz/afl.dict -t 5000 -m none -V "$afl" \
    -- dotnet "$work/bin/SourceGenNN.Fuzz.dll" --afl >"$work/afl.log" 2>&1 || { tail -n 20 "$work/afl.log"; exit 1; }
  stats="$work/findings/default/fuzzer_stats"
  grep -E "^(run_time|execs_done|execs_per_sec|corpus_count|edges_found|bitmap_cvg|saved_crashes|saved_hangs|stability) " "$stats"
  found=$(find "$work/findings/default/crashes" "$work/findings/default/hangs" -type f ! -name README.txt | wc -l)
  if [ "$found" != 0 ]; then
    mkdir -p Fuzz/findings
    find "$work/findings/default/crashes" "$work/findings/default/hangs" -type f ! -name README.txt -exec cp {} Fuzz/findings/ \;
    echo "FAILED: AFL++ saved $found crashing or hanging inputs, copied to Fuzz/findings (replay one: dotnet $fuzz --run FILE)"
    exit 1
  fi
  echo "AFL++: no crashes, no hangs"
fi
