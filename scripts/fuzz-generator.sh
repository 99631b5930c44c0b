#!/usr/bin/env bash
# Random declarations through the source generator (Generator.Tests/DeclarationFuzzTests.cs): the generator must never
# throw, every SGNN diagnostic must be placed in the user's source, the generated code must compile, and every class
# marked [Network] gets its code or an error of its own. CI runs 2,000 cases from a fixed seed; this runs any number.
#
#   scripts/fuzz-generator.sh --cases 100000 --seed 7
#
# A failure prints the case number, the seed and the source files; the same --seed and --cases replay it exactly.
set -euo pipefail
cd "$(dirname "$0")/.."

cases=2000
seed=20261201
while [ $# -gt 0 ]; do
  case $1 in
    --cases) cases=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument '$1' (expected --cases N, --seed S)" >&2; exit 2 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Generator.Tests -c Release -v q -nologo >/dev/null
SOURCEGENNN_FUZZ_CASES=$cases SOURCEGENNN_FUZZ_SEED=$seed \
  dotnet test Generator.Tests -c Release --no-build --filter "FullyQualifiedName~DeclarationFuzzTests.Random_declarations" \
  --logger "console;verbosity=detailed" 2>&1 | grep -vE "^\s*$|^Test run for|^VSTest version|^Starting test execution|^A total of"
