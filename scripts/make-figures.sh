#!/usr/bin/env bash
# Regenerates the figures committed under docs/images (shown by the README and docs/training.md): the activation
# functions (tools/DocFigures) and the MNIST sample's training history, confusion matrix and weight histograms
# (samples/Mnist --plots). Every run is seeded, so on one machine the figures come out the same each time.
#   bash scripts/make-figures.sh [DIR]      (default docs/images)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out=${1:-docs/images}
mkdir -p "$out"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

dotnet run -c Release --project tools/DocFigures -- "$out"
# The sample's weight files go to the scratch folder, not over a mnist.sgnn of yours.
dotnet run -c Release --project samples/Mnist -- --plots "$out" --weights "$scratch/mnist.sgnn" | grep -E "Plots written|Held-out"
# The CNN's kernels and feature maps (the other CNN figures go to the scratch folder).
dotnet run -c Release --project samples/MnistCnn -- --plots "$scratch" | grep -E "Plots written|Held-out"
cp "$scratch/mnist-cnn-filters.png" "$scratch/mnist-cnn-feature-maps.png" "$out"/
ls -l "$out"/*.png
