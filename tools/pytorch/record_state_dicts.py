#!/usr/bin/env python3
"""Writes the PyTorch state_dict files that Runtime.Tests/IO/StateDictTests.cs loads (Runtime.Tests/IO/PyTorch/).

    /usr/bin/python3 tools/pytorch/record_state_dicts.py            write the files
    /usr/bin/python3 tools/pytorch/record_state_dicts.py --check    write them to a temporary folder and fail unless
                                                                    they are byte-identical to the committed ones

A module as PyTorch users save one: a wrapper holding `model` (Linear(4, 3), BatchNorm1d(3), ReLU, Linear(3, 2)) and a
`head` (Linear(2, 1)), so every key of the network sits under the prefix "model." beside keys the network does not
have. The BatchNorm's affine weight and bias are drawn at random, and it has run three training-mode batches, so its running statistics and its num_batches_tracked (int64,
as PyTorch stores it) are not the defaults. The state_dict is written four times, its floating tensors as F32, F16,
BF16 and F64 (the F64 values are not floats: each is nudged by a relative 1e-9, so the conversion to float rounds).

expected.safetensors (all F32) holds what the C# side must get:
  x                       [5, 4]  inputs
  <dtype>.<key>                   each model tensor of that file as PyTorch converts it to float32 (t.to(dtype).float())
  <dtype>.y               [5, 2]  model(x) in eval mode with those float32 tensors

The safetensors package is not installed here, so the files are written from the format's definition, as the
reference implementation writes them: an 8-byte little-endian header length, a compact JSON header (tensors sorted by
dtype size, largest first, then by name; "__metadata__" first) padded with spaces to a multiple of 8, then the data.
Seeds are fixed and nothing depends on time, so reruns give the same bytes.
"""
import json
import os
import struct
import sys
import tempfile

import numpy as np
import torch
from torch import nn

OUT = os.path.join("Runtime.Tests", "IO", "PyTorch")

DTYPES = {  # name -> (torch dtype, safetensors dtype, element size)
    "f32": (torch.float32, "F32", 4),
    "f16": (torch.float16, "F16", 2),
    "bf16": (torch.bfloat16, "BF16", 2),
    "f64": (torch.float64, "F64", 8),
}
SIZES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8}


def raw(t):
    """(safetensors dtype, little-endian bytes) of a tensor."""
    t = t.detach().contiguous()
    if t.dtype == torch.float32:
        return "F32", t.numpy().astype("<f4").tobytes()
    if t.dtype == torch.float16:
        return "F16", t.numpy().astype("<f2").tobytes()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: its bits, as int16
        return "BF16", t.view(torch.int16).numpy().astype("<i2").tobytes()
    if t.dtype == torch.float64:
        return "F64", t.numpy().astype("<f8").tobytes()
    if t.dtype == torch.int64:
        return "I64", t.numpy().astype("<i8").tobytes()
    raise TypeError(t.dtype)


def write_safetensors(path, tensors, metadata=None):
    items = [(name,) + raw(t) + (list(t.shape),) for name, t in tensors.items()]
    items.sort(key=lambda i: (-SIZES[i[1]], i[0]))
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, blob, shape in items:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, blob, _ in items:
            f.write(blob)


class Wrapper(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
        self.head = nn.Linear(2, 1)


def record(out):
    torch.manual_seed(11)
    torch.set_num_threads(1)
    w = Wrapper()
    with torch.no_grad():  # an affine transform that is not the identity, so loading it shows
        w.model[1].weight.uniform_(0.5, 1.5)
        w.model[1].bias.uniform_(-0.5, 0.5)
    w.train()
    for _ in range(3):
        w.model(torch.randn(8, 4) * 2 + 0.5)
    w.eval()
    x = torch.randn(5, 4)
    state = w.state_dict()
    expected = {"x": x}
    meta = {"format": "pt", "torch": torch.__version__, "script": "tools/pytorch/record_state_dicts.py"}
    for name, (dtype, _, _) in DTYPES.items():
        converted = {}
        for key, t in state.items():
            if not t.is_floating_point():
                converted[key] = t
            elif dtype == torch.float64:
                converted[key] = t.double() * (1 + 1e-9 * torch.linspace(-1, 1, t.numel(), dtype=torch.float64).reshape(t.shape))
            else:
                converted[key] = t.to(dtype)
        write_safetensors(os.path.join(out, f"wrapped.{name}.safetensors"), converted, meta)
        # What the network should hold and compute: the converted tensors as float32, in PyTorch.
        model = Wrapper()
        model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in converted.items()})
        model.eval()
        with torch.no_grad():
            expected[f"{name}.y"] = model.model(x)
        for key, t in converted.items():
            if key.startswith("model.") and t.is_floating_point():
                expected[f"{name}.{key}"] = t.float()
    write_safetensors(os.path.join(out, "expected.safetensors"), expected, meta)


def main():
    if "--check" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            record(tmp)
            bad = [f for f in sorted(os.listdir(tmp))
                   if open(os.path.join(tmp, f), "rb").read() != open(os.path.join(OUT, f), "rb").read()]
            if bad:
                sys.exit("differ from the committed files: " + ", ".join(bad))
            print("identical:", ", ".join(sorted(os.listdir(tmp))))
        return
    os.makedirs(OUT, exist_ok=True)
    record(OUT)
    print("wrote", ", ".join(sorted(os.listdir(OUT))))


if __name__ == "__main__":
    main()
