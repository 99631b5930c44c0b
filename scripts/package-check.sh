#!/usr/bin/env bash
# Packs the solution into a local feed folder and builds and runs tests/PackageConsumer against it: a project outside
# the solution, with no project references, that installs SourceGenNN from the feed as a user would, declares a network,
# trains it and checks the generated members. A package without its generator fails here: the consumer does not compile.
#   bash scripts/package-check.sh            feed: artifacts/package-feed (emptied first)
# The packages get a unique pre-release version (0.1.0-check.<time>.<pid>; the assemblies keep the solution's version,
# so nothing is rebuilt for it), so that a package cached by an earlier run is never used; that version is removed from
# the NuGet cache again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

feed=artifacts/package-feed
rm -rf "$feed"
prefix=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props)
version="$prefix-check.$(date -u +%Y%m%d%H%M%S).$$"
cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
cleanup() { # the cache keeps ids in lower case
  rm -rf "$cache/sourcegennn/$version" "$cache/sourcegennn.plots/$version"
  rmdir "$cache/sourcegennn" "$cache/sourcegennn.plots" 2>/dev/null || true
}
trap cleanup EXIT

echo "== pack SourceGenNN.sln as $version into $feed"
out=$(mktemp)
if ! dotnet pack SourceGenNN.sln -c Release -o "$feed" -p:PackageVersion="$version" >"$out" 2>&1; then
  grep -E "error|warn" "$out" | sort -u; rm -f "$out"; echo "pack failed"; exit 1
fi
rm -f "$out"
ls "$feed"

echo "== tests/PackageConsumer against the feed"
dotnet run -c Release --project tests/PackageConsumer -p:SourceGenNNVersion="$version" -- --check-packages "$feed"
