#!/usr/bin/env python3
"""PyTorch/CUDA peer of `GpuCheck --bench`: the same training steps, timed the same way, on the same machine.

W1: 784-128-10 (ReLU), batch 64, Adam(lr=1e-3), cross entropy from logits.
W5: 1024-1024-1024-10 (ReLU), SGD(lr=0.01, momentum=0.9), batches 256 and 4096, cross entropy.
W6: conv(1->8, k3, pad 1) ReLU maxpool 2, conv(8->16, k3, pad 1) ReLU maxpool 2, flatten, Linear(784, 10), on [1, 28, 28]
    inputs, batch 32, Adam(lr=1e-3), cross entropy (cuDNN, FP32).
W7: LSTM(32->64, batch_first) over 50 steps, Linear(64, 10) on the last step, batch 16, Adam(lr=1e-3), cross entropy
    (cuDNN's LSTM, FP32).
Each step copies the batch from pinned host memory to the GPU (non_blocking), as GpuCheck's executor copies through
its pinned staging buffers; 8 distinct batches are cycled; 20 warm-up steps; the median of 5 timed runs is printed.
FP32 throughout (TF32 disabled), like GpuCheck's default cuBLAS math mode.

Usage: python3 GpuCheck/torch_cuda_peer.py [--graphs]   (--graphs also times a CUDA-graph-captured step)
"""
import statistics
import sys
import time

import torch


class LastStepLstm(torch.nn.Module):
    """W7: nn.LSTM(32, 64, batch_first=True), then nn.Linear(64, 10) on out[:, -1]."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(32, 64, batch_first=True)
        self.fc = torch.nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(self.lstm(x)[0][:, -1])


def make(widths):
    if widths == "W7":
        return LastStepLstm().cuda()
    if widths == "W6":
        return torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(784, 10)).cuda()
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).cuda()


def bench(name, widths, batch, make_opt, steps, graphs):
    torch.manual_seed(1)
    model = make(widths)
    opt = make_opt(model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    shape = {"W6": (1, 28, 28), "W7": (50, 32)}.get(widths) if isinstance(widths, str) else (widths[0],)
    classes = 10 if isinstance(widths, str) else widths[-1]
    xs = [torch.randn(batch, *shape).pin_memory() for _ in range(8)]
    ys = [torch.randint(0, classes, (batch,)).pin_memory() for _ in range(8)]
    x_dev = torch.empty(batch, *shape, device="cuda")
    y_dev = torch.empty(batch, dtype=torch.long, device="cuda")

    def step_body():
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model(x_dev), y_dev)
        loss.backward()
        opt.step()
        return loss

    def eager(i):
        x_dev.copy_(xs[i % 8], non_blocking=True)
        y_dev.copy_(ys[i % 8], non_blocking=True)
        return step_body()

    run = eager
    if graphs:
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for i in range(3):
                eager(i)
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            static_loss = step_body()

        def replay(i):
            x_dev.copy_(xs[i % 8], non_blocking=True)
            y_dev.copy_(ys[i % 8], non_blocking=True)
            g.replay()
            return static_loss

        run = replay

    for i in range(20):
        loss = run(i)
    torch.cuda.synchronize()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for i in range(steps):
            loss = run(i)
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1000 / steps)
    ms = statistics.median(times)
    print(f"{name}, {batch}, {'yes' if graphs else 'no'}, {ms:.4f}, {batch / ms * 1000:.0f}  (loss {loss.item():.4f})")


def main():
    if not torch.cuda.is_available():
        print("CUDA not available to PyTorch", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    print("workload, batch, graphs, ms/step (median of 5 runs), samples/s")
    adam = lambda p: torch.optim.Adam(p, lr=1e-3, capturable="--graphs" in sys.argv)
    sgd = lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)
    for graphs in ([False, True] if "--graphs" in sys.argv else [False]):
        bench("W1", [784, 128, 10], 64, adam, 500, graphs)
        bench("W5", [1024, 1024, 1024, 10], 256, sgd, 200, graphs)
        bench("W5", [1024, 1024, 1024, 10], 4096, sgd, 50, graphs)
        bench("W6", "W6", 32, adam, 500, graphs)
        bench("W7", "W7", 16, adam, 500, graphs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
