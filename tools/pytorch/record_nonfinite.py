#!/usr/bin/python3
"""Prints what PyTorch does with non-finite values, for SourceGenNN's NaN and infinity tests.

Run from the repository root:

    /usr/bin/python3 tools/pytorch/record_nonfinite.py

The tests do not run this script: Runtime.Tests/Kernels/NonFiniteActivationTests.cs and
Runtime.Tests/Training/LossMisuseTests.cs hold its output as constants. Every value is float32 on the CPU; the
activation parameters are the tests' (LeakyReLU slope 0.07, ELU alpha 1.3, PReLU 0.25, RReLU [1/8, 1/3]).
"""

import math

import torch
import torch.nn.functional as F

torch.manual_seed(0)
NAN, INF = float("nan"), float("inf")
POINTS = [NAN, INF, -INF]


def fmt(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    return repr(v)


def activation(name, f):
    """f(z) and f'(z) (the gradient of sum f(z)) at NaN, +inf and -inf."""
    cells = []
    for p in POINTS:
        z = torch.tensor([p], dtype=torch.float32, requires_grad=True)
        a = f(z)
        a.sum().backward()
        cells.append(f"{fmt(p)} -> {fmt(a.item())}, f' {fmt(z.grad.item())}")
    print(f"{name:<10} " + ";  ".join(cells))


def main():
    print(f"torch {torch.__version__}")
    print("== activations: f(z), f'(z)")
    activation("Identity", lambda z: z)
    activation("Sigmoid", torch.sigmoid)
    activation("Tanh", torch.tanh)
    activation("ReLU", F.relu)
    activation("LeakyReLU", lambda z: F.leaky_relu(z, 0.07))
    activation("ELU", lambda z: F.elu(z, 1.3))
    activation("GELU", F.gelu)
    activation("SiLU", F.silu)
    activation("PReLU", lambda z: F.prelu(z, torch.tensor([0.25])))
    activation("RReLU.eval", lambda z: F.rrelu(z, 1 / 8, 1 / 3, training=False))
    # In training the slope of a negative element is random; at NaN PyTorch takes the positive branch (slope 1).
    z = torch.tensor([NAN], requires_grad=True)
    F.rrelu(z, 1 / 8, 1 / 3, training=True).sum().backward()
    print(f"RReLU.train NaN -> f' {fmt(z.grad.item())}")
    alpha = torch.tensor([0.25], requires_grad=True)
    F.prelu(torch.tensor([NAN, -1.0]), alpha).sum().backward()
    print(f"PReLU d(alpha) with a NaN input: {fmt(alpha.grad.item())}")

    print("== softmax over the last dimension (rows of 3)")
    for row in ([NAN, 1.0, 2.0], [INF, 1.0, 2.0], [-INF, -INF, -INF]):
        z = torch.tensor([row], requires_grad=True)
        a = F.softmax(z, -1)
        a[0, 1].backward()
        print(f"{[fmt(v) for v in row]} -> {[fmt(v) for v in a[0].tolist()]}, grad of a[1]: {[fmt(v) for v in z.grad[0].tolist()]}")
    z = torch.tensor([[NAN, 1.0, 2.0]])
    print(f"cross entropy, logits [NaN, 1, 2], class 1: {fmt(F.cross_entropy(z, torch.tensor([1])))}")

    print("== BCEWithLogitsLoss at infinite logits (one element): loss, dloss/dz")
    for zv in (INF, -INF):
        for y in (0.0, 1.0, 0.5):
            z = torch.tensor([zv], requires_grad=True)
            loss = F.binary_cross_entropy_with_logits(z, torch.tensor([y]))
            loss.backward()
            print(f"z {fmt(zv)}, y {y}: {fmt(loss.item())}, {fmt(z.grad.item())}")

    print("== BCELoss on probabilities outside [0, 1]")
    for p in (1.5, -0.5, NAN, INF):
        try:
            loss = F.binary_cross_entropy(torch.tensor([p]), torch.tensor([0.0]))
            print(f"p {fmt(p)}: {fmt(loss.item())}")
        except RuntimeError as e:
            print(f"p {fmt(p)}: RuntimeError: {e}")
    for y in (1.5, -0.5):
        loss = F.binary_cross_entropy(torch.tensor([0.5]), torch.tensor([y]))
        print(f"p 0.5, target {y}: {fmt(loss.item())} (targets are not checked)")


if __name__ == "__main__":
    main()
