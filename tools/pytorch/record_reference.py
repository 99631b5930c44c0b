#!/usr/bin/python3
"""Records reference numbers from PyTorch for SourceGenNN's tests.

Run from the repository root:

    /usr/bin/python3 tools/pytorch/record_reference.py [--out Runtime.Tests/Reference] [--check]

For every case it writes, under the output folder:

  <case>.init.safetensors   the network's initial state_dict (nn.Sequential keys: "0.weight" [out, in], "0.bias", ...)
  <case>.data.safetensors   the fixed inputs "x" [N, in] and targets "y" (float32; class indices as float32 for CE)
  <case>.grad0.safetensors  the gradients of the loss at the initial parameters (the first step's backward pass)
  <case>.final.safetensors  the parameters after the case's optimiser steps
  <case>.json               the description (layers, loss, optimiser, steps, batch), the loss before each step,
                            the loss after the last step, the initial forward output on x (flattened row-major),
                            and the names of the files above

and, for every learning-rate schedule case, <schedule case>.json: the scheduler, its arguments and the learning rate
of each epoch as torch.optim.lr_scheduler sets it (optimizer.step() then scheduler.step(), once per epoch).

Everything is float32, one thread, deterministic algorithms, fixed seeds, no timestamps: running the script twice
gives byte-identical files (--check runs it twice into temporary folders and compares).

The safetensors files are written by hand (the safetensors package is not installed): an 8-byte little-endian header
length, a UTF-8 JSON header {"__metadata__": {...}, "<name>": {"dtype": "F32", "shape": [...],
"data_offsets": [begin, end]}, ...} with the tensor names sorted and the data offsets contiguous in that order, padded
with spaces to a multiple of 8 bytes, then the raw little-endian float32 data.
"""

import argparse
import filecmp
import hashlib
import json
import math
import os
import struct
import sys
import tempfile
import warnings

import numpy as np
import torch
from torch import nn

SCRIPT = "tools/pytorch/record_reference.py"
FORMAT_VERSION = "1"
KINK_MARGIN_MIN = 1e-4  # no ReLU/LeakyReLU/PReLU input nearer 0 than this, in any recorded forward pass


# ----------------------------------------------------------------------------------------------------------------------
# safetensors, by hand
# ----------------------------------------------------------------------------------------------------------------------

def write_safetensors(path, tensors, metadata):
    """Writes float32 tensors (name -> torch.Tensor or np.ndarray) and str->str metadata to a safetensors file."""
    names = sorted(tensors)
    header = {"__metadata__": {k: str(metadata[k]) for k in sorted(metadata)}}
    blobs = []
    offset = 0
    for name in names:
        t = tensors[name]
        a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        if a.dtype == np.float32:
            dtype, blob = "F32", np.ascontiguousarray(a, dtype="<f4").tobytes(order="C")
        elif a.dtype == np.int64:  # BatchNorm's num_batches_tracked, as PyTorch stores it
            dtype, blob = "I64", np.ascontiguousarray(a, dtype="<i8").tobytes(order="C")
        else:
            raise TypeError(f"{name}: expected float32 or int64, got {a.dtype}")
        header[name] = {"dtype": dtype, "shape": [int(d) for d in a.shape],
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def read_safetensors(path):
    """Reads a safetensors file written by write_safetensors (F32 and I64); returns (tensors, metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    out = {}
    expected = 0
    for name in sorted(header):
        info = header[name]
        assert info["dtype"] in ("F32", "I64"), (path, name)
        begin, end = info["data_offsets"]
        assert begin == expected, (path, name, "offsets not contiguous")
        expected = end
        out[name] = np.frombuffer(data[begin:end], dtype="<f4" if info["dtype"] == "F32" else "<i8").reshape(info["shape"])
    assert expected == len(data), (path, "trailing bytes")
    return out, metadata


# ----------------------------------------------------------------------------------------------------------------------
# cases
# ----------------------------------------------------------------------------------------------------------------------

def linear(i, o, weight_init="default", bias_init="default"):
    return {"kind": "Linear", "in": i, "out": o, "weight_init": weight_init, "bias_init": bias_init}


def act(kind, **kw):
    d = {"kind": kind}
    d.update(kw)
    return d


CASES = [
    {
        "name": "course_sgd_momentum",
        "summary": "The course network: 3 -> Linear(3,3) xavier_normal_, Sigmoid -> Linear(3,2) kaiming_normal_, ReLU "
                   "-> Linear(2,2), Softmax. Loss: nn.CrossEntropyLoss on the last Linear's output (the final Softmax "
                   "is fused into the loss).",
        "seed": 1016,
        "input": 3,
        "layers": [linear(3, 3, weight_init="xavier_normal_"), act("Sigmoid"),
                   linear(3, 2, weight_init="kaiming_normal_"), act("ReLU"),
                   linear(2, 2), act("Softmax", dim=1)],
        "loss": "CrossEntropyLoss", "loss_on": "logits", "classes": 2,
        "n": 8,
        "optimizer": ("SGD", {"lr": 0.1, "momentum": 0.9}),
        "steps": 5,
    },
    {
        "name": "mlp_relu_ce_adam",
        "summary": "MLP 20 -> 16 ReLU -> 3, nn.CrossEntropyLoss on the logits, Adam lr 1e-2.",
        "seed": 1005,
        "input": 20,
        "layers": [linear(20, 16), act("ReLU"), linear(16, 3)],
        "loss": "CrossEntropyLoss", "loss_on": "output", "classes": 3,
        "n": 16,
        "optimizer": ("Adam", {"lr": 1e-2}),
        "steps": 5,
    },
    {
        "name": "mlp_tanh_relu_bce_nesterov",
        "summary": "MLP 20 -> 16 Tanh -> 8 ReLU -> 1 Sigmoid, nn.BCELoss on the sigmoid output, SGD lr 0.05 momentum 0.9 "
                   "nesterov weight_decay 1e-3.",
        "seed": 1007,
        "input": 20,
        "layers": [linear(20, 16), act("Tanh"), linear(16, 8), act("ReLU"), linear(8, 1), act("Sigmoid")],
        "loss": "BCELoss", "loss_on": "output",
        "n": 24,
        "optimizer": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
        "steps": 5,
    },
    {
        "name": "mlp_elu_mse_adamw",
        "summary": "MLP 10 -> 8 ELU(alpha 1) -> 4, nn.MSELoss, AdamW lr 1e-2 weight_decay 0.01.",
        "seed": 1004,
        "input": 10,
        "layers": [linear(10, 8), act("ELU", alpha=1.0), linear(8, 4)],
        "loss": "MSELoss", "loss_on": "output",
        "n": 12,
        "optimizer": ("AdamW", {"lr": 1e-2, "weight_decay": 0.01}),
        "steps": 5,
    },
    {
        "name": "mlp_leaky_prelu_mse_rmsprop",
        "summary": "MLP 6 -> 5 LeakyReLU(0.1) -> 5 PReLU(shared, init 0.25) -> 3, nn.MSELoss, RMSprop lr 1e-2.",
        "seed": 1007,
        "input": 6,
        "layers": [linear(6, 5), act("LeakyReLU", negative_slope=0.1), linear(5, 5),
                   act("PReLU", num_parameters=1, init=0.25), linear(5, 3)],
        "loss": "MSELoss", "loss_on": "output",
        "n": 10,
        "optimizer": ("RMSprop", {"lr": 1e-2}),
        "steps": 3,
    },
    {
        "name": "mlp_gelu_silu_mse_adam",
        "summary": "MLP 8 -> 12 GELU(exact, erf) -> 6 SiLU -> 2, nn.MSELoss, Adam lr 1e-2.",
        "seed": 1006,
        "input": 8,
        "layers": [linear(8, 12), act("GELU", approximate="none"), linear(12, 6), act("SiLU"), linear(6, 2)],
        "loss": "MSELoss", "loss_on": "output",
        "n": 20,
        "optimizer": ("Adam", {"lr": 1e-2}),
        "steps": 5,
    },
    {
        "name": "mlp_prelu_perfeature_tanh_mse_sgd",
        "summary": "MLP 4 -> 6 PReLU(per feature, init 0.25) -> 3 Tanh -> 2, nn.MSELoss, plain SGD lr 0.1.",
        "seed": 1007,
        "input": 4,
        "layers": [linear(4, 6), act("PReLU", num_parameters=6, init=0.25), linear(6, 3), act("Tanh"),
                   linear(3, 2)],
        "loss": "MSELoss", "loss_on": "output",
        "n": 8,
        "optimizer": ("SGD", {"lr": 0.1}),
        "steps": 4,
    },
]


def build_layer(spec):
    k = spec["kind"]
    if k == "Linear":
        m = nn.Linear(spec["in"], spec["out"])  # default init runs here, drawing from the global generator
        w = spec["weight_init"]
        if w == "xavier_normal_":
            nn.init.xavier_normal_(m.weight)  # gain 1
        elif w == "kaiming_normal_":
            nn.init.kaiming_normal_(m.weight)  # a=0, mode='fan_in', nonlinearity='leaky_relu' -> gain sqrt(2)
        elif w != "default":
            raise ValueError(w)
        if spec["bias_init"] != "default":
            raise ValueError(spec["bias_init"])
        return m
    if k == "Sigmoid":
        return nn.Sigmoid()
    if k == "Tanh":
        return nn.Tanh()
    if k == "ReLU":
        return nn.ReLU()
    if k == "Softmax":
        return nn.Softmax(dim=spec["dim"])
    if k == "ELU":
        return nn.ELU(alpha=spec["alpha"])
    if k == "LeakyReLU":
        return nn.LeakyReLU(negative_slope=spec["negative_slope"])
    if k == "PReLU":
        return nn.PReLU(num_parameters=spec["num_parameters"], init=spec["init"])
    if k == "GELU":
        return nn.GELU(approximate=spec["approximate"])
    if k == "SiLU":
        return nn.SiLU()
    raise ValueError(k)


INIT_NOTES = {
    "default": "nn.Linear default: weight kaiming_uniform_(a=sqrt(5)) i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); "
               "bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))",
    "xavier_normal_": "nn.init.xavier_normal_(weight), gain 1: N(0, 2/(fan_in+fan_out))",
    "kaiming_normal_": "nn.init.kaiming_normal_(weight) with defaults a=0, mode='fan_in', nonlinearity='leaky_relu' "
                       "(gain sqrt(2)): N(0, 2/fan_in)",
}


def make_optimizer(name, kwargs, params):
    cls = getattr(torch.optim, name)
    extra = {"foreach": False}  # the single-tensor code path, stated rather than left to a heuristic
    return cls(params, **kwargs, **extra)


def group_hyperparameters(opt):
    g = opt.param_groups[0]
    out = {}
    for k in sorted(g):
        if k == "params":
            continue
        v = g[k]
        if isinstance(v, tuple):
            v = list(v)
        out[k] = v
    return out


def f32_list(t):
    """A flat list of Python floats holding the float32 values exactly (JSON keeps them round-trippable)."""
    return [float(v) for v in t.detach().reshape(-1).to(torch.float32).numpy().tolist()]


def run_case(case, out_dir, meta_common):
    name = case["name"]
    torch.manual_seed(case["seed"])
    layers = [build_layer(s) for s in case["layers"]]
    model = nn.Sequential(*layers).to(torch.float32)

    n, d_in = case["n"], case["input"]
    x = torch.randn(n, d_in, dtype=torch.float32)
    if case["loss"] == "CrossEntropyLoss":
        y_idx = torch.randint(0, case["classes"], (n,))
        y_loss = y_idx
        y_store = y_idx.to(torch.float32)
        loss_fn = nn.CrossEntropyLoss()
    elif case["loss"] == "BCELoss":
        out_features = case["layers"][-2]["out"]
        y_store = torch.randint(0, 2, (n, out_features)).to(torch.float32)
        y_loss = y_store
        loss_fn = nn.BCELoss()
    elif case["loss"] == "MSELoss":
        out_features = [s for s in case["layers"] if s["kind"] == "Linear"][-1]["out"]
        y_store = torch.randn(n, out_features, dtype=torch.float32)
        y_loss = y_store
        loss_fn = nn.MSELoss()
    else:
        raise ValueError(case["loss"])

    # The part of the network whose output the loss sees.
    if case["loss_on"] == "logits":
        assert case["layers"][-1]["kind"] == "Softmax"
        loss_net = model[:-1]
    else:
        loss_net = model

    # Inputs to the piecewise-linear activations (ReLU, LeakyReLU, PReLU) on every forward pass: the seeds are chosen
    # so that no input lies near the kink (where another implementation's rounding could take the other branch) and
    # every such layer is partly active at the start (so the backward pass through it is exercised).
    kink_inputs = []
    for m in model:
        if isinstance(m, (nn.ReLU, nn.LeakyReLU, nn.PReLU)):
            m.register_forward_hook(lambda mod, inp, out: kink_inputs.append((mod, inp[0].detach().clone())))

    init_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        initial_output = model(x)
    for _, z in kink_inputs:
        active = float((z > 0).to(torch.float32).mean().item())
        if not (0.2 <= active <= 0.85 and bool((z > 0).any(0).all())):
            raise AssertionError(f"{case['name']}: a piecewise-linear layer is mostly dead or saturated at the start "
                                 f"(active fraction {active:.2f}); choose another seed")

    opt_name, opt_kwargs = case["optimizer"]
    opt = make_optimizer(opt_name, opt_kwargs, model.parameters())

    losses = []
    grad0 = None
    for step in range(case["steps"]):
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(loss_net(x), y_loss)
        losses.append(float(loss.item()))
        loss.backward()
        if step == 0:
            grad0 = {k: p.grad.detach().clone() for k, p in model.named_parameters()}
        opt.step()
    with torch.no_grad():
        final_loss = float(loss_fn(loss_net(x), y_loss).item())
        final_output = model(x)
    final_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    kink_margin = min((float(z.abs().min().item()) for _, z in kink_inputs), default=None)
    if kink_margin is not None and kink_margin < KINK_MARGIN_MIN:
        raise AssertionError(f"{case['name']}: an activation input lies {kink_margin:g} from a kink; choose another seed")

    meta = dict(meta_common)
    meta["case"] = name
    files = {
        "init": f"{name}.init.safetensors",
        "data": f"{name}.data.safetensors",
        "grad0": f"{name}.grad0.safetensors",
        "final": f"{name}.final.safetensors",
    }
    write_safetensors(os.path.join(out_dir, files["init"]), init_state, dict(meta, content="initial state_dict"))
    write_safetensors(os.path.join(out_dir, files["data"]), {"x": x, "y": y_store},
                      dict(meta, content="inputs x [N, in]; targets y" +
                           (" (class indices as float32) [N]" if case["loss"] == "CrossEntropyLoss" else " [N, out]")))
    write_safetensors(os.path.join(out_dir, files["grad0"]), grad0,
                      dict(meta, content="gradients of the loss at the initial parameters (mean reduction)"))
    write_safetensors(os.path.join(out_dir, files["final"]), final_state,
                      dict(meta, content=f"state_dict after {case['steps']} optimiser steps"))

    layer_desc = []
    for i, s in enumerate(case["layers"]):
        d = {"index": i}
        d.update(s)
        if s["kind"] == "Linear":
            d["weight_init_formula"] = INIT_NOTES[s["weight_init"]]
            d["bias_init_formula"] = INIT_NOTES["default"].split("; ")[1]
            d["tensors"] = [f"{i}.weight", f"{i}.bias"]
        elif s["kind"] == "PReLU":
            d["tensors"] = [f"{i}.weight"]
        else:
            d["tensors"] = []
        layer_desc.append(d)

    loss_desc = {
        "module": f"nn.{case['loss']}",
        "reduction": "mean",
        "applied_to": ("the output of the last Linear (logits); the network's final Softmax is treated as fused into "
                       "the loss" if case["loss_on"] == "logits" else "the network's output"),
    }
    if case["loss"] == "CrossEntropyLoss":
        loss_desc["targets"] = "class indices in y, stored as float32"

    doc = {
        "format_version": FORMAT_VERSION,
        "case": name,
        "summary": case["summary"],
        "generator": SCRIPT,
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "seed": case["seed"],
        "input_size": d_in,
        "output_size": int(initial_output.shape[1]),
        "layers": layer_desc,
        "loss": loss_desc,
        "optimizer": {"name": f"torch.optim.{opt_name}", "arguments": dict(opt_kwargs),
                      "param_group": group_hyperparameters(opt)},
        "steps": case["steps"],
        "batch": n,
        "batch_note": "every step uses the full batch of N samples (no shuffling)",
        "step_definition": "zero_grad, forward, loss, backward, optimizer.step",
        "files": files,
        "losses": losses,
        "losses_note": "losses[k] is the loss before step k+1, i.e. computed at the parameters after k steps",
        "final_loss": final_loss,
        "initial_output": f32_list(initial_output),
        "initial_output_shape": list(initial_output.shape),
        "initial_output_note": "the full network (including any final Softmax or Sigmoid) applied to x at the initial parameters, "
                               "flattened row-major",
        "final_output": f32_list(final_output),
        "kink_margin": kink_margin,
        "kink_margin_note": "the smallest |input| to a ReLU/LeakyReLU/PReLU over every forward pass recorded here "
                            "(null when there is none); no input is nearer a kink than this",
    }
    with open(os.path.join(out_dir, f"{name}.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, indent=1, sort_keys=False, ensure_ascii=True)
        f.write("\n")

    # Self-check: the files read back equal what was computed.
    for key, state in (("init", init_state), ("final", final_state), ("grad0", grad0)):
        back, _ = read_safetensors(os.path.join(out_dir, files[key]))
        assert sorted(back) == sorted(state), (name, key)
        for k in state:
            assert np.array_equal(back[k], state[k].numpy()), (name, key, k)
    back, _ = read_safetensors(os.path.join(out_dir, files["data"]))
    assert np.array_equal(back["x"], x.numpy()) and np.array_equal(back["y"], y_store.numpy())
    return name, losses, final_loss


# ----------------------------------------------------------------------------------------------------------------------
# graph cases: modules that are not a chain (a residual Add, two inputs and a Concat, LayerNorm over [T, F], BatchNorm
# with its running statistics). Each module's docstring is the SourceGenNN declaration it matches; attribute names are
# the layer names, so the state_dict keys are the same on both sides.
# ----------------------------------------------------------------------------------------------------------------------

class ResidualMlp(nn.Module):
    """[Network(10)] [Dense(16, Name = "fc1")] [ReLU(Name = "relu")] [Dense(16, Name = "fc2")] [Add("fc1")]
    [LayerNorm(Name = "norm")] [Dense(3, Name = "head")]"""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 16)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(16, 16)
        self.norm = nn.LayerNorm(16)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        h = self.fc1(x)
        return self.head(self.norm(self.fc2(self.relu(h)) + h))


class TwoInputs(nn.Module):
    """[Network(6)] [Input("context", 4)] [Dense(8, Name = "a")] [Tanh(Name = "t")] [Dense(5, Name = "b", Input = "context")]
    [Concat("t")] [Dense(3, Name = "head")]"""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 8)
        self.b = nn.Linear(4, 5)
        self.head = nn.Linear(13, 3)

    def forward(self, x, context):
        return self.head(torch.cat([self.b(context), torch.tanh(self.a(x))], dim=-1))


class SequenceNorm(nn.Module):
    """[Network(5, 8)] [Dense(8, Name = "proj")] [LayerNorm(Name = "norm")] [GELU(Name = "gelu")]
    [LayerNorm(5, 8, Name = "norm2")] [Flatten(Name = "flat")] [Dense(4, Name = "head")]: LayerNorm over the features
    of each step of [T, F], then over the whole [T, F]."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 8)
        self.norm = nn.LayerNorm(8)
        self.norm2 = nn.LayerNorm([5, 8])
        self.head = nn.Linear(40, 4)

    def forward(self, x):
        h = nn.functional.gelu(self.norm(self.proj(x)))
        return self.head(torch.flatten(self.norm2(h), 1))


class BatchNormNet(nn.Module):
    """[Network(3, 6)] [BatchNorm1d(Name = "bn")] [Tanh(Name = "t")] [Flatten(Name = "flat")]
    [Dense(6, Name = "fc", Bias = false)] [BatchNorm1d(Name = "bn2", Momentum = 0.2)] [ReLU(Name = "relu")]
    [Dense(2, Name = "head")]: BatchNorm1d over [C, L] and over vectors."""

    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(3)
        self.fc = nn.Linear(18, 6, bias=False)
        self.bn2 = nn.BatchNorm1d(6, momentum=0.2)
        self.relu = nn.ReLU()
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        h = torch.flatten(torch.tanh(self.bn(x)), 1)
        return self.head(self.relu(self.bn2(self.fc(h))))


class SmallCnn(nn.Module):
    """[Network(1, 8, 8)] [Conv2d(4, 3, Padding = 1, Name = "conv1")] [ReLU(Name = "relu1")] [MaxPool2d(2, Name = "pool1")]
    [Conv2d(6, 3, Padding = 1, Name = "conv2")] [ReLU(Name = "relu2")] [MaxPool2d(2, Name = "pool2")] [Flatten(Name = "flat")]
    [Dense(3, Name = "head")]: the course's CNN, small: [4, 8, 8] -> [4, 4, 4] -> [6, 4, 4] -> [6, 2, 2] -> 3."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 6, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.head = nn.Linear(24, 3)

    def forward(self, x):
        h = self.pool1(self.relu1(self.conv1(x)))
        h = self.pool2(self.relu2(self.conv2(h)))
        return self.head(torch.flatten(h, 1))


class ConvOptions(nn.Module):
    """[Network(4, 9, 8)] [Conv2d(6, new[] { 3, 2 }, Stride = new[] { 2, 1 }, Padding = new[] { 1, 0 }, Dilation = new[] { 1, 2 },
    Groups = 2, Bias = false, Name = "conv")] [Tanh(Name = "t")] [MaxPool2d(3, Stride = 2, Padding = 1, CeilMode = true, Name = "pool")]
    [Flatten(Name = "flat")] [Dense(3, Name = "head")]: per-axis kernel, stride, padding and dilation, two groups, no bias
    ([6, 5, 6]); max pooling with padding and ceil_mode ([6, 3, 4])."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, bias=False)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        self.head = nn.Linear(72, 3)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(torch.tanh(self.conv(x))), 1))


class DepthwiseCnn(nn.Module):
    """[Network(3, 6, 6)] [Conv2d(3, 4, Padding = "same", Groups = 3, Name = "dw")] [Tanh(Name = "t")]
    [AvgPool2d(3, Stride = 2, Padding = 1, CeilMode = true, CountIncludePad = false, Name = "avg")] [Conv2d(4, 1, Bias = false, Name = "pw")]
    [BatchNorm2d(Name = "bn")] [ReLU(Name = "relu")] [AdaptiveAvgPool2d(new[] { 3, 3 }, Name = "adapt")] [Flatten(Name = "flat")]
    [Dense(2, Name = "head")]: a depthwise 4x4 convolution with padding 'same' (1 before, 2 after), average pooling that
    skips the padding with ceil_mode ([3, 4, 4]), a pointwise convolution without bias (BatchNorm would cancel it: its
    gradient is rounding noise, which Adam's g/sqrt(v) amplifies), BatchNorm2d and adaptive pooling with overlapping
    windows ([4, 3, 3])."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(3, 3, 4, padding="same", groups=3)
        self.avg = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.pw = nn.Conv2d(3, 4, 1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.adapt = nn.AdaptiveAvgPool2d((3, 3))
        self.head = nn.Linear(36, 2)

    def forward(self, x):
        h = self.relu(self.bn(self.pw(self.avg(torch.tanh(self.dw(x))))))
        return self.head(torch.flatten(self.adapt(h), 1))


class SequenceCnn(nn.Module):
    """[Network(3, 10)] [Conv1d(4, 3, Stride = 2, Padding = 2, Dilation = 2, Name = "conv")] [ELU(Name = "elu")]
    [MaxPool1d(2, Stride = 1, Padding = 1, Dilation = 2, Name = "pool")] [AvgPool1d(3, Stride = 2, Padding = 1, CeilMode = true, Name = "avg")]
    [ConvTranspose1d(2, 3, Stride = 2, Padding = 1, OutputPadding = 1, Name = "up")] [Conv1d(3, 4, Padding = "same", Name = "same")]
    [Flatten(Name = "flat")] [Dense(2, Name = "head")]: sequences [C, L]: [4, 5] -> [4, 5] -> [4, 3] -> [2, 6] -> [3, 6]."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 3, stride=2, padding=2, dilation=2)
        self.pool = nn.MaxPool1d(2, stride=1, padding=1, dilation=2)
        self.avg = nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True)
        self.up = nn.ConvTranspose1d(4, 2, 3, stride=2, padding=1, output_padding=1)
        self.same = nn.Conv1d(2, 3, 4, padding="same")
        self.head = nn.Linear(18, 2)

    def forward(self, x):
        h = self.avg(self.pool(nn.functional.elu(self.conv(x))))
        return self.head(torch.flatten(self.same(self.up(h)), 1))


class TransposedCnn(nn.Module):
    """[Network(4, 3, 4)] [ConvTranspose2d(6, new[] { 3, 2 }, Stride = 2, Padding = new[] { 1, 0 }, OutputPadding = 1,
    Dilation = new[] { 1, 2 }, Groups = 2, Bias = false, Name = "up")] [BatchNorm2d(Name = "bn")] [Tanh(Name = "t")] [AvgPool2d(2, Padding = 1, Name = "avg")]
    [Conv2d(4, 3, Stride = 2, Padding = "valid", Name = "down")] [AdaptiveAvgPool2d(1, Name = "gap")] [Flatten(Name = "flat")]
    [Dense(3, Name = "head")]: a transposed convolution with groups, dilation and output_padding ([6, 6, 10]), BatchNorm2d,
    average pooling counting its padding ([6, 4, 6]), a strided convolution ([4, 1, 2]) and global average pooling. The
    transposed convolution has no bias: BatchNorm would cancel it."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(4, 6, (3, 2), stride=2, padding=(1, 0), output_padding=1, dilation=(1, 2), groups=2, bias=False)
        self.bn = nn.BatchNorm2d(6)
        self.avg = nn.AvgPool2d(2, padding=1)
        self.down = nn.Conv2d(6, 4, 3, stride=2, padding="valid")
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        h = self.avg(torch.tanh(self.bn(self.up(x))))
        return self.head(torch.flatten(self.gap(self.down(h)), 1))
class AttnSelf(nn.Module):
    """[Network(5, 8)] [MultiheadAttention(2, Name = "attn")] [Flatten(Name = "flat")] [Dense(3, Name = "head")]:
    self-attention, two heads of 4 features, batch_first."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.head = nn.Linear(40, 3)

    def forward(self, x):
        a, _ = self.attn(x, x, x)
        return self.head(torch.flatten(a, 1))


class AttnCausal(nn.Module):
    """[Network(6, 8)] [Input("len", 1)] [MultiheadAttention(4, IsCausal = true, KeyLengths = "len", Name = "attn")]
    [Flatten(Name = "flat")] [Dense(3, Name = "head")]: causal self-attention, four heads of 2 features, and a
    key-padding mask per sample (key j is masked when j >= len)."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 4, batch_first=True)
        self.head = nn.Linear(48, 3)

    def forward(self, x, len):
        t = x.shape[1]
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        padding = torch.arange(t)[None, :] >= len[:, 0:1]
        a, _ = self.attn(x, x, x, attn_mask=causal, key_padding_mask=padding)
        return self.head(torch.flatten(a, 1))


class AttnCross(nn.Module):
    """[Network(4, 8)] [Input("memory", 6, 5)] [Input("len", 1)]
    [MultiheadAttention(2, Key = "memory", Value = "memory", KeyLengths = "len", Name = "cross")]
    [Flatten(Name = "flat")] [Dense(3, Name = "head")]: cross-attention, queries from x [4, 8], keys and values from
    memory [6, 5] (kdim = vdim = 5: q_proj_weight, k_proj_weight, v_proj_weight), a key-padding mask per sample."""

    def __init__(self):
        super().__init__()
        self.cross = nn.MultiheadAttention(8, 2, kdim=5, vdim=5, batch_first=True)
        self.head = nn.Linear(32, 3)

    def forward(self, x, memory, len):
        padding = torch.arange(memory.shape[1])[None, :] >= len[:, 0:1]
        a, _ = self.cross(x, memory, memory, key_padding_mask=padding)
        return self.head(torch.flatten(a, 1))


class EncoderPost(nn.Module):
    """[Network(5, 8)] [TransformerEncoderLayer(8, 2, DimFeedforward = 16, Dropout = 0.0, Name = "enc")]
    [Flatten(Name = "flat")] [Dense(3, Name = "head")]: nn.TransformerEncoderLayer, post-norm (norm_first=False), ReLU."""

    def __init__(self):
        super().__init__()
        self.enc = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
        self.head = nn.Linear(40, 3)

    def forward(self, x):
        return self.head(torch.flatten(self.enc(x), 1))


class EncoderPre(nn.Module):
    """[Network(5, 8)] [TransformerEncoderLayer(8, 2, DimFeedforward = 12, Dropout = 0.0, NormFirst = true,
    Activation = TransformerActivation.GELU, Name = "enc")] [Mean(1, Name = "pool")] [Dense(3, Name = "head")]:
    nn.TransformerEncoderLayer, pre-norm (norm_first=True), GELU, then the mean over the tokens."""

    def __init__(self):
        super().__init__()
        self.enc = nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, dropout=0.0, activation="gelu",
                                              batch_first=True, norm_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.enc(x).mean(dim=1))


def perturb_attention(model):
    """nn.MultiheadAttention starts its biases at 0, where a bias left out of the forward pass cannot show: move them."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.MultiheadAttention) and m.in_proj_bias is not None:
                m.in_proj_bias.uniform_(-0.5, 0.5)
                m.out_proj.bias.uniform_(-0.5, 0.5)


def perturb_norms(model):
    """Norm layers start at weight 1, bias 0, where a wrong gradient formula can still look right: move them."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.LayerNorm, nn.BatchNorm1d, nn.BatchNorm2d)) and m.weight is not None:
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


MODULE_CASES = [
    {
        "name": "graph_residual_layernorm_mse_adam",
        "summary": "Residual MLP: fc1 -> ReLU -> fc2, plus fc1's output (Add), LayerNorm, head. nn.MSELoss, Adam lr 1e-2.",
        "module": ResidualMlp, "seed": 2001,
        "inputs": {"x": [10]}, "loss": "MSELoss", "outputs": 3, "n": 12,
        "optimizer": ("Adam", {"lr": 1e-2}), "steps": 5,
    },
    {
        "name": "graph_two_inputs_concat_ce_adam",
        "summary": "Two inputs: tanh(a(x)) and b(context), concatenated as cat([b, tanh(a)]), head. nn.CrossEntropyLoss, Adam lr 1e-2.",
        "module": TwoInputs, "seed": 2002,
        "inputs": {"x": [6], "context": [4]}, "loss": "CrossEntropyLoss", "outputs": 3, "n": 10,
        "optimizer": ("Adam", {"lr": 1e-2}), "steps": 5,
    },
    {
        "name": "graph_layernorm_sequence_mse_sgd",
        "summary": "A sequence [T=5, F=8]: Linear per step, LayerNorm(8) per step, GELU, LayerNorm([5, 8]), flatten, head. "
                   "nn.MSELoss, SGD lr 0.05 momentum 0.9.",
        "module": SequenceNorm, "seed": 2003,
        "inputs": {"x": [5, 8]}, "loss": "MSELoss", "outputs": 4, "n": 6,
        "optimizer": ("SGD", {"lr": 0.05, "momentum": 0.9}), "steps": 5,
    },
    {
        "name": "graph_batchnorm_mse_sgd",
        "summary": "BatchNorm1d over [C=3, L=6] samples, tanh, flatten, Linear without bias, BatchNorm1d(momentum 0.2), ReLU, "
                   "head. nn.MSELoss, SGD lr 0.1 momentum 0.9, in training mode; the running statistics after the steps "
                   "are in the final state_dict, and the final loss and output are in evaluation mode.",
        "module": BatchNormNet, "seed": 2004,
        "inputs": {"x": [3, 6]}, "loss": "MSELoss", "outputs": 2, "n": 16,
        "optimizer": ("SGD", {"lr": 0.1, "momentum": 0.9}), "steps": 4,
    },
]


# The convolution cases: each module twice, trained with SGD with momentum and with Adam.
CONV_MODULES = [
    ("cnn_conv2d_maxpool_ce", SmallCnn, 3313, {"x": [1, 8, 8]}, "CrossEntropyLoss", 3, 8),
    ("cnn_conv2d_options_mse", ConvOptions, 3002, {"x": [4, 9, 8]}, "MSELoss", 3, 6),
    ("cnn_depthwise_avgpool_batchnorm_ce", DepthwiseCnn, 3005, {"x": [3, 6, 6]}, "CrossEntropyLoss", 2, 8),
    ("cnn_conv1d_sequence_mse", SequenceCnn, 3004, {"x": [3, 10]}, "MSELoss", 2, 8),
    ("cnn_conv_transpose2d_ce", TransposedCnn, 3005, {"x": [4, 3, 4]}, "CrossEntropyLoss", 3, 6),
]

for stem, module, seed, inputs, loss, outputs, n in CONV_MODULES:
    for suffix, optimizer in (("sgd", ("SGD", {"lr": 0.05, "momentum": 0.9})), ("adam", ("Adam", {"lr": 1e-2}))):
        MODULE_CASES.append({
            "name": f"{stem}_{suffix}",
            "summary": f"{module.__name__}: " + " ".join(module.__doc__.split(": ", 1)[-1].split()) +
                       f" {loss}, {optimizer[0]} {optimizer[1]}, 5 steps in training mode.",
            "module": module, "seed": seed, "inputs": inputs, "loss": loss, "outputs": outputs, "n": n,
            "optimizer": optimizer, "steps": 5,
        })

MAXPOOL_MARGIN_MIN = 1e-5  # no max-pooling window whose two largest inputs are nearer than this (unless both are exactly 0)


def maxpool_margin(module, x, y):
    """The smallest gap between the two largest inputs of any window of a MaxPool1d/2d forward pass (windows enumerated
    from PyTorch's definition; exact ties of zeros, which ReLU makes, are safe: the gradient is zero either way)."""
    k = module.kernel_size if isinstance(module.kernel_size, tuple) else (module.kernel_size,)
    st = module.stride if isinstance(module.stride, tuple) else (module.stride,)
    pd = module.padding if isinstance(module.padding, tuple) else (module.padding,)
    dl = module.dilation if isinstance(module.dilation, tuple) else (module.dilation,)
    a = x.detach().numpy()
    if a.ndim == 3:  # [N, C, L] as [N, C, 1, L]
        a = a[:, :, None, :]
        k, st, pd, dl = (1,) + k, (1,) + st, (0,) + pd, (1,) + dl
        out_h, out_w = 1, y.shape[-1]
    else:
        k, st, pd, dl = tuple(k) * (2 // len(k)), tuple(st) * (2 // len(st)), tuple(pd) * (2 // len(pd)), tuple(dl) * (2 // len(dl))
        out_h, out_w = y.shape[-2], y.shape[-1]
    h, w = a.shape[2], a.shape[3]
    worst = float("inf")
    for oh in range(out_h):
        for ow in range(out_w):
            rows = [oh * st[0] - pd[0] + i * dl[0] for i in range(k[0])]
            cols = [ow * st[1] - pd[1] + j * dl[1] for j in range(k[1])]
            rows = [r for r in rows if 0 <= r < h]
            cols = [c for c in cols if 0 <= c < w]
            if len(rows) * len(cols) < 2:
                continue
            window = np.sort(a[:, :, rows][:, :, :, cols].reshape(a.shape[0], a.shape[1], -1), axis=-1)
            top, second = window[..., -1], window[..., -2]
            gap = np.where((top == 0) & (second == 0), np.inf, top - second)
            worst = min(worst, float(gap.min()))
    return worst

# ----------------------------------------------------------------------------------------------------------------------
# recurrent cases: nn.RNN, nn.LSTM and nn.GRU with batch_first=True, each kind stacked, bidirectional and with each
# output choice (the whole sequence read by a Linear per step, the last step, the final hidden state h_n of the last
# layer), trained by SGD and by Adam. Losses on sequences: MSE per step (mean over every element) and cross entropy
# per step (one class per step, mean over every step of every sample). Dropout between stacked layers is not recorded:
# PyTorch's masks come from its own generator (the C# tests check dropout against the double reference instead).
# ----------------------------------------------------------------------------------------------------------------------

class RnnSequence(nn.Module):
    """[Network(5, 4)] [RNN(6, Name = "rnn")] [Dense(3, Name = "head")]: tanh, the whole sequence, a Linear per step."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(4, 6, batch_first=True)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out)


class RnnReluStackedLastStep(nn.Module):
    """[Network(6, 3)] [RNN(5, Nonlinearity = RnnNonlinearity.ReLU, NumLayers = 2, Output = RecurrentOutput.LastStep,
    Name = "rnn")] [Dense(3, Name = "head")]"""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(3, 5, num_layers=2, nonlinearity="relu", batch_first=True)
        self.head = nn.Linear(5, 3)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class RnnBidirectionalFinal(nn.Module):
    """[Network(5, 3)] [RNN(4, Bidirectional = true, Output = RecurrentOutput.FinalHidden, Name = "rnn")]
    [Dense(2, Name = "head")]: h_n of both directions, torch.cat([h_n[-2], h_n[-1]], 1)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(3, 4, bidirectional=True, batch_first=True)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        _, h = self.rnn(x)
        return self.head(torch.cat([h[-2], h[-1]], 1))


class LstmLastStep(nn.Module):
    """[Network(7, 4)] [LSTM(8, Output = RecurrentOutput.LastStep, Name = "lstm")] [Dense(3, Name = "head")]"""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 8, batch_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


class LstmStackedBidirectionalFinal(nn.Module):
    """[Network(6, 3)] [LSTM(5, NumLayers = 2, Bidirectional = true, Output = RecurrentOutput.FinalHidden, Name = "lstm")]
    [Dense(2, Name = "head")]: h_n of the last layer's two directions."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(10, 2)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.head(torch.cat([h[-2], h[-1]], 1))


class LstmSequencePerStep(nn.Module):
    """[Network(6, 4)] [LSTM(5, Name = "lstm")] [Dense(3, Name = "head")]: a class per step (cross entropy per step)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 5, batch_first=True)
        self.head = nn.Linear(5, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out)


class GruBidirectionalSequence(nn.Module):
    """[Network(5, 3)] [GRU(4, Bidirectional = true, Name = "gru")] [Dense(2, Name = "head")]: both directions' states
    at each step, a Linear per step."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(3, 4, bidirectional=True, batch_first=True)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out)


class GruStackedFinal(nn.Module):
    """[Network(6, 4)] [GRU(5, NumLayers = 2, Bias = false, Output = RecurrentOutput.FinalHidden, Name = "gru")]
    [Dense(3, Name = "head")]: h_n[-1], without biases in the GRU."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 5, num_layers=2, bias=False, batch_first=True)
        self.head = nn.Linear(5, 3)

    def forward(self, x):
        _, h = self.gru(x)
        return self.head(h[-1])


def relu_rnn_preactivations(rnn, x):
    """Every pre-activation of a ReLU nn.RNN on x (batch_first), recomputed by hand: the kink margin is taken on them."""
    pre = []
    with torch.no_grad():
        seq = x
        for k in range(rnn.num_layers):
            outs = []
            for d, sfx in enumerate(["", "_reverse"][: 2 if rnn.bidirectional else 1]):
                w_ih, w_hh = getattr(rnn, f"weight_ih_l{k}{sfx}"), getattr(rnn, f"weight_hh_l{k}{sfx}")
                b_ih = getattr(rnn, f"bias_ih_l{k}{sfx}") if rnn.bias else 0
                b_hh = getattr(rnn, f"bias_hh_l{k}{sfx}") if rnn.bias else 0
                h = torch.zeros(seq.shape[0], rnn.hidden_size)
                hs = [None] * seq.shape[1]
                for t in (range(seq.shape[1]) if d == 0 else reversed(range(seq.shape[1]))):
                    a = seq[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
                    pre.append(a.reshape(-1))
                    h = torch.relu(a)
                    hs[t] = h
                outs.append(torch.stack(hs, 1))
            seq = torch.cat(outs, 2)
    return torch.cat(pre)


RECURRENT_MODULES = [
    # (name, module, seed, input shape [T, F], loss, outputs (classes or features per prediction), per_step)
    ("rnn_sequence_mse", RnnSequence, 3001, [5, 4], "MSELoss", 3, True),
    ("rnn_relu_stacked_laststep_ce", RnnReluStackedLastStep, 3002, [6, 3], "CrossEntropyLoss", 3, False),
    ("rnn_bidirectional_finalhidden_mse", RnnBidirectionalFinal, 3003, [5, 3], "MSELoss", 2, False),
    ("lstm_laststep_ce", LstmLastStep, 3004, [7, 4], "CrossEntropyLoss", 3, False),
    ("lstm_stacked_bidirectional_finalhidden_mse", LstmStackedBidirectionalFinal, 3005, [6, 3], "MSELoss", 2, False),
    ("lstm_sequence_ce_per_step", LstmSequencePerStep, 3006, [6, 4], "CrossEntropyLoss", 3, True),
    ("gru_bidirectional_sequence_mse", GruBidirectionalSequence, 3007, [5, 3], "MSELoss", 2, True),
    ("gru_stacked_finalhidden_ce", GruStackedFinal, 3008, [6, 4], "CrossEntropyLoss", 3, False),
]

RECURRENT_OPTIMIZERS = [("sgd", ("SGD", {"lr": 0.1})), ("adam", ("Adam", {"lr": 1e-2}))]

# Gradient clipping in each step, between backward and optimizer.step: clip_grad_norm_ (2-norm and max-norm) and
# clip_grad_value_, with limits below the gradients' size so that every step clips. The total norms returned by
# clip_grad_norm_ are recorded ("grad_norms"), and grad0 holds the clipped gradients of the first step.
CLIP_CASES = [
    ("lstm_laststep_ce", "sgd_clip_norm", ("SGD", {"lr": 0.1}), ("norm", 0.05, 2.0)),
    ("gru_bidirectional_sequence_mse", "adam_clip_norm_inf", ("Adam", {"lr": 1e-2}), ("norm", 0.02, "inf")),
    ("rnn_sequence_mse", "sgd_clip_value", ("SGD", {"lr": 0.1}), ("value", 0.01, None)),
]

for _name, _module, _seed, _shape, _loss, _outputs, _per_step in RECURRENT_MODULES:
    for _suffix, _optimizer in RECURRENT_OPTIMIZERS:
        MODULE_CASES.append({
            "name": f"{_name}_{_suffix}",
            "summary": f"{_module.__name__}: {' '.join(_module.__doc__.split())} {_loss}"
                       f"{' per step' if _per_step else ''}, {_optimizer[0]} {_optimizer[1]}.",
            "module": _module, "seed": _seed,
            "inputs": {"x": _shape}, "loss": _loss, "outputs": _outputs, "n": 4,
            "per_step": _shape[0] if _per_step else None,
            "optimizer": _optimizer, "steps": 5,
        })
    for _clip_module, _suffix, _optimizer, _clip in CLIP_CASES:
        if _clip_module != _name:
            continue
        MODULE_CASES.append({
            "name": f"{_name}_{_suffix}",
            "summary": f"{_module.__name__} as {_name}, {_optimizer[0]} {_optimizer[1]}, with "
                       + (f"clip_grad_norm_(max_norm={_clip[1]}, norm_type={_clip[2]})" if _clip[0] == "norm"
                          else f"clip_grad_value_(clip_value={_clip[1]})") + " in every step.",
            "module": _module, "seed": _seed,
            "inputs": {"x": _shape}, "loss": _loss, "outputs": _outputs, "n": 4,
            "per_step": _shape[0] if _per_step else None,
            "optimizer": _optimizer, "steps": 5, "clip": _clip,
ATTENTION_MODULES = [
    ("attention_self", AttnSelf, 3001, {"x": [5, 8]}, "MSELoss", 3, 6, None),
    ("attention_causal_lengths", AttnCausal, 3002, {"x": [6, 8], "len": [1]}, "CrossEntropyLoss", 3, 6, 6),
    ("attention_cross_lengths", AttnCross, 3003, {"x": [4, 8], "memory": [6, 5], "len": [1]}, "MSELoss", 3, 6, 6),
    ("encoder_post_norm", EncoderPost, 3004, {"x": [5, 8]}, "MSELoss", 3, 6, None),
    ("encoder_pre_norm_gelu", EncoderPre, 3005, {"x": [5, 8]}, "CrossEntropyLoss", 3, 6, None),
]

# Each attention module with SGD (momentum) and with Adam, 5 steps each. Adam's eps is 1e-3, not 1e-8: the gradient of
# the key bias (in_proj_bias[E:2E]) is exactly 0 in exact arithmetic (it adds q·b_k to every score of a query, which the
# softmax ignores), so both sides hold rounding noise of ~1e-9 there, and with eps = 1e-8 Adam would turn that noise
# into steps of ~lr in a direction no two implementations share. With eps = 1e-3 the noise moves nothing measurable
# while the real gradients (~1e-3 to 1e-1) still take Adam's normalised steps.
for _name, _module, _seed, _inputs, _loss, _outputs, _n, _max_len in ATTENTION_MODULES:
    for _opt, _kwargs in (("SGD", {"lr": 0.05, "momentum": 0.9}), ("Adam", {"lr": 1e-2, "eps": 1e-3})):
        MODULE_CASES.append({
            "name": f"{_name}_{_opt.lower()}",
            "summary": " ".join(_module.__doc__.split(":", 1)[1].split()) if ":" in _module.__doc__ else _name,
            "module": _module, "seed": _seed,
            "inputs": _inputs, "loss": _loss, "outputs": _outputs, "n": _n,
            "optimizer": (_opt, dict(_kwargs)), "steps": 5,
            # "len" holds valid key counts in [1, max_len], as float32
            "lengths": _max_len,
        })


def run_module_case(case, out_dir, meta_common):
    name = case["name"]
    torch.manual_seed(case["seed"])
    model = case["module"]().to(torch.float32)
    perturb_norms(model)
    n = case["n"]
    perturb_attention(model)
    inputs = {k: torch.randn(n, *shape, dtype=torch.float32) for k, shape in case["inputs"].items()}
    steps = case.get("per_step")  # a target per step of the sequence output
    if case["loss"] == "CrossEntropyLoss" and steps:
        classes = case["outputs"]
        y_loss = torch.randint(0, classes, (n, steps))
        y_store = y_loss.to(torch.float32)
        ce = nn.CrossEntropyLoss()

        def loss_fn(out, y):  # one prediction per step: the mean over every step of every sample
            return ce(out.reshape(-1, classes), y.reshape(-1))
    elif case["loss"] == "CrossEntropyLoss":
    if case.get("lengths"):
        # Valid key counts: every one from 1 to the full length appears (1 masks all keys but the first).
        inputs["len"] = torch.tensor([[float(1 + (i * 7) % case["lengths"])] for i in range(n)], dtype=torch.float32)
    if case["loss"] == "CrossEntropyLoss":
        y_loss = torch.randint(0, case["outputs"], (n,))
        y_store = y_loss.to(torch.float32)
        loss_fn = nn.CrossEntropyLoss()
    else:
        y_store = torch.randn(n, *([steps] if steps else []), case["outputs"], dtype=torch.float32)
        y_loss = y_store
        loss_fn = nn.MSELoss()
    args = [inputs[k] for k in case["inputs"]]

    kink_inputs = []
    pool_margins = []
    for m in model.modules():
        if isinstance(m, nn.ReLU):
            m.register_forward_hook(lambda mod, inp, out: kink_inputs.append(inp[0].detach().clone()))
        if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d)):
            m.register_forward_hook(lambda mod, inp, out: pool_margins.append(maxpool_margin(mod, inp[0], out)))
        if isinstance(m, nn.RNN) and m.nonlinearity == "relu":
            m.register_forward_hook(lambda mod, inp, out: kink_inputs.append(relu_rnn_preactivations(mod, inp[0].detach())))

    init_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.eval()
    with torch.no_grad():
        initial_output = model(*args)
    model.train()
    opt_name, opt_kwargs = case["optimizer"]
    opt = make_optimizer(opt_name, opt_kwargs, model.parameters())
    losses = []
    grad_norms = []
    grad0 = None
    for step in range(case["steps"]):
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model(*args), y_loss)
        losses.append(float(loss.item()))
        loss.backward()
        clip = case.get("clip")
        if clip and clip[0] == "norm":
            norm_type = float("inf") if clip[2] == "inf" else clip[2]
            grad_norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), clip[1], norm_type)))
        elif clip:
            nn.utils.clip_grad_value_(model.parameters(), clip[1])
        if step == 0:
            grad0 = {k: p.grad.detach().clone() for k, p in model.named_parameters()}
        opt.step()
    model.eval()
    with torch.no_grad():
        final_output = model(*args)
        final_loss = float(loss_fn(final_output, y_loss).item())
    final_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    kink_margin = min((float(z.abs().min().item()) for z in kink_inputs), default=None)
    if kink_margin is not None and kink_margin < KINK_MARGIN_MIN:
        raise AssertionError(f"{name}: a ReLU input lies {kink_margin:g} from the kink; choose another seed")
    pool_margin = min(pool_margins, default=None)
    if pool_margin is not None and pool_margin < MAXPOOL_MARGIN_MIN:
        raise AssertionError(f"{name}: a max-pooling window's two largest inputs are {pool_margin:g} apart; choose another seed")

    meta = dict(meta_common)
    meta["case"] = name
    files = {"init": f"{name}.init.safetensors", "data": f"{name}.data.safetensors",
             "grad0": f"{name}.grad0.safetensors", "final": f"{name}.final.safetensors"}
    write_safetensors(os.path.join(out_dir, files["init"]), init_state, dict(meta, content="initial state_dict"))
    data = dict(inputs)
    data["y"] = y_store
    write_safetensors(os.path.join(out_dir, files["data"]), data,
                      dict(meta, content="inputs by name [N, ...shape]; targets y" +
                           ((" (class indices as float32) [N, T]" if steps else " (class indices as float32) [N]")
                            if case["loss"] == "CrossEntropyLoss" else " [N, T, out]" if steps else " [N, out]")))
    write_safetensors(os.path.join(out_dir, files["grad0"]), grad0,
                      dict(meta, content="gradients of the loss at the initial parameters (mean reduction, training mode)"))
    write_safetensors(os.path.join(out_dir, files["final"]), final_state,
                      dict(meta, content=f"state_dict (parameters and buffers) after {case['steps']} optimiser steps"))
    doc = {
        "format_version": FORMAT_VERSION,
        "case": name,
        "summary": case["summary"],
        "declaration": " ".join(case["module"].__doc__.split()),
        "generator": SCRIPT,
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "seed": case["seed"],
        "inputs": [{"name": k, "shape": v} for k, v in case["inputs"].items()],
        "output_size": int(np.prod(initial_output.shape[1:])),
        "loss": dict({"module": f"nn.{case['loss']}", "reduction": "mean", "applied_to": "the network's output"},
                     **({"per_step": "one prediction per step: the output [N, T, C] against targets [N, T], the mean over "
                                     "N·T steps (cross entropy) or over every element (MSE)"} if steps else {})),
        "optimizer": {"name": f"torch.optim.{opt_name}", "arguments": dict(opt_kwargs),
                      "param_group": group_hyperparameters(opt)},
        "steps": case["steps"],
        "batch": n,
        "step_definition": "zero_grad, forward (training mode), loss, backward, optimizer.step",
        "files": files,
        "losses": losses,
        "final_loss": final_loss,
        "final_loss_note": "after the steps, in evaluation mode (BatchNorm uses its running statistics)",
        "initial_output": f32_list(initial_output),
        "initial_output_note": "evaluation mode, at the initial parameters and buffers, flattened row-major",
        "final_output": f32_list(final_output),
        "kink_margin": kink_margin,
    }
    if pool_margin is not None:
        doc["maxpool_margin"] = pool_margin
        doc["maxpool_margin_note"] = ("the smallest gap between the two largest inputs of a max-pooling window over every "
                                      "forward pass recorded here (windows of exact zeros excepted): no window is nearer a tie")
    if case.get("clip"):
        clip = case["clip"]
        doc["clip"] = ({"function": "torch.nn.utils.clip_grad_norm_", "max_norm": clip[1], "norm_type": clip[2]}
                       if clip[0] == "norm" else {"function": "torch.nn.utils.clip_grad_value_", "clip_value": clip[1]})
        doc["clip_note"] = "applied after backward and before optimizer.step in every step; grad0 holds the clipped gradients"
        if grad_norms:
            doc["grad_norms"] = grad_norms
    with open(os.path.join(out_dir, f"{name}.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, indent=1, sort_keys=False, ensure_ascii=True)
        f.write("\n")
    for key, state in (("init", init_state), ("final", final_state), ("grad0", grad0)):
        back, _ = read_safetensors(os.path.join(out_dir, files[key]))
        assert sorted(back) == sorted(state), (name, key)
        for k in state:
            assert np.array_equal(back[k], state[k].numpy()), (name, key, k)
    return name, losses, final_loss


# ----------------------------------------------------------------------------------------------------------------------
# learning-rate schedules
# ----------------------------------------------------------------------------------------------------------------------

SCHEDULE_CASES = [
    {
        "name": "schedule_cosine_annealing",
        "summary": "torch.optim.lr_scheduler.CosineAnnealingLR for epochs 0 to 3 * T_max: down to eta_min, back up to "
                   "the base rate (the cosine has period 2 * T_max), down again.",
        "scheduler": "CosineAnnealingLR",
        "runs": [
            {"base_lr": 0.1, "arguments": {"T_max": 8, "eta_min": 0.001}, "epochs": 25},
            {"base_lr": 0.5, "arguments": {"T_max": 5, "eta_min": 0.05}, "epochs": 16},
        ],
    },
]


def cosine_closed_form(base_lr, t_max, eta_min, epoch):
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / t_max)) / 2


def run_schedule_case(case, out_dir):
    name = case["name"]
    runs = []
    for run in case["runs"]:
        param = torch.zeros(1, requires_grad=True)  # no gradient: optimizer.step() leaves it alone
        opt = torch.optim.SGD([param], lr=run["base_lr"])
        sched = getattr(torch.optim.lr_scheduler, case["scheduler"])(opt, **run["arguments"])
        lrs = []
        for _ in range(run["epochs"]):
            lrs.append(float(opt.param_groups[0]["lr"]))  # the rate of this epoch
            opt.step()
            sched.step()  # the recursive form PyTorch uses from epoch to epoch, not the closed form
        if case["scheduler"] == "CosineAnnealingLR":
            # The recursive form agrees with the closed form past T_max too (a cosine of period 2 * T_max).
            a = run["arguments"]
            worst = max(abs(lr - cosine_closed_form(run["base_lr"], a["T_max"], a["eta_min"], t)) for t, lr in enumerate(lrs))
            if worst > 1e-12 * run["base_lr"]:
                raise AssertionError(f"{name}: the recursive and closed forms differ by {worst:g}")
        runs.append({"base_lr": run["base_lr"], "arguments": dict(run["arguments"]), "epochs": run["epochs"], "lrs": lrs})

    doc = {
        "format_version": FORMAT_VERSION,
        "case": name,
        "summary": case["summary"],
        "generator": SCRIPT,
        "torch_version": torch.__version__,
        "scheduler": f"torch.optim.lr_scheduler.{case['scheduler']}",
        "optimizer": "torch.optim.SGD with lr = base_lr",
        "step_definition": "per epoch: read param_groups[0]['lr'], optimizer.step(), scheduler.step()",
        "runs": runs,
        "lrs_note": "lrs[t] is the learning rate of epoch t (from 0), as Python floats (doubles, shortest round-trip "
                    "decimal)",
    }
    with open(os.path.join(out_dir, f"{name}.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, indent=1, sort_keys=False, ensure_ascii=True)
        f.write("\n")
    return name, runs


def configure():
    # An even kernel with padding='same' pads asymmetrically through a copy of the input; PyTorch says so each time.
    warnings.filterwarnings("ignore", message="Using padding='same' with even kernel lengths")
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    torch.use_deterministic_algorithms(True)


def record(out_dir, verbose=True):
    os.makedirs(out_dir, exist_ok=True)
    configure()
    meta_common = {"generator": SCRIPT, "torch": torch.__version__, "format_version": FORMAT_VERSION}
    for case in CASES:
        name, losses, final_loss = run_case(case, out_dir, meta_common)
        if verbose:
            print(f"{name}: losses {['%.6f' % v for v in losses]} -> {final_loss:.6f}", file=sys.stderr)
    for case in MODULE_CASES:
        name, losses, final_loss = run_module_case(case, out_dir, meta_common)
        if verbose:
            print(f"{name}: losses {['%.6f' % v for v in losses]} -> {final_loss:.6f}", file=sys.stderr)
    for case in SCHEDULE_CASES:
        name, runs = run_schedule_case(case, out_dir)
        if verbose:
            print(f"{name}: {len(runs)} runs, {sum(len(r['lrs']) for r in runs)} rates", file=sys.stderr)


def digest(folder):
    h = {}
    for fn in sorted(os.listdir(folder)):
        with open(os.path.join(folder, fn), "rb") as f:
            h[fn] = hashlib.sha256(f.read()).hexdigest()
    return h


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "..", "Runtime.Tests", "Reference"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=default_out, help="output folder (default: Runtime.Tests/Reference)")
    ap.add_argument("--check", action="store_true",
                    help="record twice into temporary folders and fail unless the files are byte-identical "
                         "and equal to those in --out")
    args = ap.parse_args()
    if not args.check:
        record(args.out)
        return 0
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        record(a, verbose=False)
        record(b, verbose=False)
        da, db = digest(a), digest(b)
        if da != db:
            print("NOT deterministic: two runs differ", file=sys.stderr)
            return 1
        print(f"two runs byte-identical ({len(da)} files)", file=sys.stderr)
        if os.path.isdir(args.out):
            committed = {k: v for k, v in digest(args.out).items() if k != "README.md"}
            if committed != da:
                diff = sorted(set(committed.items()) ^ set(da.items()))
                print(f"differs from {args.out}: {[k for k, _ in diff]}", file=sys.stderr)
                return 1
            print(f"and identical to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
