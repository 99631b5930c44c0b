#!/usr/bin/env bash
# Builds the CPU emulator of the CUDA libraries (fake_cuda.c, README in its header) into DIR, behind the sonames of
# the CUDA majors given (default: 13). Every soname is a link to one library, so they share one state.
# Usage: GpuCheck/fake-cuda/build.sh DIR [13] [12]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: build.sh DIR [major...]}; shift
majors=("$@"); [ ${#majors[@]} -gt 0 ] || majors=(13)
mkdir -p "$dir"
gcc -shared -fPIC -O1 -Wall -Werror -o "$dir/libfakecuda.so" "$here/fake_cuda.c" -ldl -lpthread
cp "$here/emu_prelude.h" "$dir/"
ln -sf libfakecuda.so "$dir/libcuda.so.1"
for m in "${majors[@]}"; do
  builtins=libnvrtc-builtins.so.$m.0; [ "$m" = 12 ] && builtins=libnvrtc-builtins.so.12.8
  for so in libcudart.so.$m libcublasLt.so.$m libcublas.so.$m libnvrtc.so.$m $builtins; do ln -sf libfakecuda.so "$dir/$so"; done
done
