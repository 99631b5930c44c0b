#!/usr/bin/python3
"""Times SourceGenNN's benchmark workloads in PyTorch on the CPU, as the peer to compare against.

    /usr/bin/python3 bench/pytorch_peer.py [--out FILE] [--quick] [--threads 1,2] [--workloads W1,W5]
    /usr/bin/python3 bench/pytorch_peer.py --export-onnx DIR

Workloads (a train step is zero_grad, forward, loss, backward, optimizer.step, float32, fixed random data):

  W1  train step, MLP 784-128(ReLU)-10, cross entropy, Adam lr 1e-3, batch 64
  W2  forward (eval, inference_mode) of that MLP, batch 1 and 64
  W3  forward (eval, inference_mode) of the course network 3-3(Sigmoid)-2(ReLU)-2(Softmax), batch 1 and 5
  W4  train step, 20-64(ReLU)-32(ReLU)-1(Sigmoid), BCE, Adam lr 1e-3, batch 32
  W5  train step, 1024-1024(ReLU)-1024(ReLU)-10, cross entropy, SGD lr 0.01 momentum 0.9, batch 256
  W5F forward (eval, inference_mode) of W5's network, batch 256
  W6  the small CNN on [1, 28, 28]: conv(1->8, k3, pad 1), ReLU, maxpool 2, conv(8->16, k3, pad 1), ReLU, maxpool 2,
      flatten, Linear(784, 10); train step (cross entropy, Adam lr 1e-3) at batch 32, forward (eval) at batch 1
  W7  nn.LSTM(32, 64, batch_first=True) over 50 steps, nn.Linear(64, 10) on the last step: a train step (cross
      entropy, Adam lr 1e-3) at batch 16, and a forward (eval, inference_mode) at batch 1
  W8  train step, TransformerEncoderLayer(64, 4 heads, ff 128, dropout 0) over 16 tokens, mean, Linear(64, 10), CE, Adam, batch 32
  W8F forward (eval, inference_mode) of W8's network, batch 1

Each (workload, batch, threads) is warmed up, then timed in blocks of R calls (R calibrated so a block lasts about
--block-ms), with time.perf_counter_ns around each block; the result per call is the median and the minimum over the
blocks. Threads: torch.set_num_threads (ATen's OpenMP pool) and openblas_set_num_threads (OpenBLAS's own pthread pool,
which torch.set_num_threads does not govern). For "n threads" with n > 1 two settings are timed, ATen n / OpenBLAS n
and ATen 1 / OpenBLAS n, and the faster is reported (both are recorded), because the two pools' spinning idle threads
can fight over a small machine's cores.

So that OpenBLAS picks its best kernels for this CPU, the script re-executes itself without OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE when either is set, and sets ATEN_CPU_CAPABILITY=avx512 (unless already set) when /proc/cpuinfo shows avx512f, both before torch
is imported. It records the OpenBLAS core and configuration in use, torch's CPU capability, torch's build
configuration, and the CPU model, and writes JSON to stdout (or --out FILE):
{"machine": {...}, "results": [{"workload": "W1", "batch": 64, "threads": 1, "median_us": ..., "min_us": ...}, ...]}

--export-onnx DIR makes the ONNX Runtime peer's models instead of timing anything: for W2 (batch 1 and 64), W3 (batch
1 and 5) and W5F (batch 256) it builds the same nn.Sequential as the timings below, loads DIR/<workload>.safetensors
into it (load_state_dict, strict: the generated network's initial weights, written by
`dotnet .../SourceGenNN.Runtime.Benchmarks.dll --export-weights DIR` with PyTorch's state_dict names), and exports it
in eval mode with torch.onnx.export (opset 17, input "input", output "output", the batch size fixed) to
DIR/<workload>_b<batch>.onnx, plus DIR/onnx-export.json describing what it wrote. It needs torch only (not the onnx
package). The timings themselves start from torch's own initialisation (torch.manual_seed(42)), not these weights.
"""

import os
import sys

_REEXEC_MARK = "PYTORCH_PEER_REMOVED_OPENBLAS_SETTINGS"


def _cpu_flags():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


# --- environment fixes, before torch (and with it OpenBLAS) is loaded ----------------------------------------------
# OPENBLAS_CORETYPE forces one kernel set (e.g. Haswell on an AVX-512 machine) and OPENBLAS_L2_SIZE overrides the
# cache size OpenBLAS blocks for; both are read when the library loads, so the script re-executes itself without them.
_OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
if any(k in os.environ for k in _OPENBLAS_OVERRIDES):
    _env = dict(os.environ)
    _env[_REEXEC_MARK] = ",".join(f"{k}={_env.pop(k)}" for k in _OPENBLAS_OVERRIDES if k in _env)
    os.execve(sys.executable, [sys.executable] + sys.argv, _env)

_ATEN_CAPABILITY_SET_BY_US = False
if "avx512f" in _cpu_flags() and "ATEN_CPU_CAPABILITY" not in os.environ:
    os.environ["ATEN_CPU_CAPABILITY"] = "avx512"
    _ATEN_CAPABILITY_SET_BY_US = True

import argparse  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402


# --- facts about the machine and the libraries --------------------------------------------------------------------

def _blas_libraries():
    """Every mapped shared library whose path mentions BLAS (OpenBLAS, the reference libblas, MKL, BLIS...)."""
    paths = []
    with open("/proc/self/maps", encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and any(k in parts[-1].lower() for k in ("blas", "mkl", "blis")) and parts[-1] not in paths:
                paths.append(parts[-1])
    return paths


def _openblas():
    """The OpenBLAS library torch actually loaded (found in /proc/self/maps), as a ctypes handle, and its path."""
    paths = []
    with open("/proc/self/maps", encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and "openblas" in os.path.basename(parts[-1]).lower():
                if parts[-1] not in paths:
                    paths.append(parts[-1])
    for p in paths:
        try:
            lib = ctypes.CDLL(p)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib, p, paths
        except (OSError, AttributeError):
            continue
    return None, None, paths


_OPENBLAS, _OPENBLAS_PATH, _OPENBLAS_CANDIDATES = _openblas()


def set_threads(torch_threads, blas_threads):
    torch.set_num_threads(torch_threads)
    if _OPENBLAS is not None:
        _OPENBLAS.openblas_set_num_threads(ctypes.c_int(blas_threads))


def thread_variants(n):
    """The (torch, OpenBLAS) thread settings tried for "n threads"; the best is reported, all are recorded.

    torch.set_num_threads(n) sizes ATen's OpenMP pool only; the pthread OpenBLAS keeps its own pool. With both at n,
    the two pools' idle threads spin while the other works, which on a small machine can cost more than the second
    thread gains; so for n > 1 the variant with ATen single-threaded and OpenBLAS at n is tried as well.
    """
    if n <= 1 or _OPENBLAS is None:
        return [(n, n)]
    return [(n, n), (1, n)]


def openblas_threads():
    if _OPENBLAS is None:
        return None
    try:
        _OPENBLAS.openblas_get_num_threads.restype = ctypes.c_int
        return int(_OPENBLAS.openblas_get_num_threads())
    except AttributeError:
        return None


def cpu_model():
    info = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if ":" not in line:
                    continue
                k, v = (s.strip() for s in line.split(":", 1))
                if k in ("model name", "vendor_id", "cpu family", "model", "stepping") and k not in info:
                    info[k] = v
    except OSError:
        pass
    return info


def torch_capability():
    cap = None
    backends_cpu = getattr(torch.backends, "cpu", None)
    if backends_cpu is not None and hasattr(backends_cpu, "get_cpu_capability"):
        cap = backends_cpu.get_cpu_capability()
    line = None
    for l in torch.__config__.show().splitlines():
        if "CPU capability usage" in l:
            line = l.strip().lstrip("- ").strip()
    return cap, line


def blas_line():
    for l in torch.__config__.show().splitlines():
        if "BLAS_INFO" in l:
            for part in l.split(","):
                if "BLAS_INFO" in part:
                    return part.strip().split(": ")[-1]
    return None


def sgemm_gflops(n=512, reps=20):
    """A sanity number: float32 n x n matmul throughput at the current thread setting."""
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    c = torch.empty(n, n)
    for _ in range(3):
        torch.mm(a, b, out=c)
    t0 = time.perf_counter_ns()
    for _ in range(reps):
        torch.mm(a, b, out=c)
    dt = (time.perf_counter_ns() - t0) / 1e9
    return round(2.0 * n ** 3 * reps / dt / 1e9, 1)


def machine_facts():
    cap, cap_line = torch_capability()
    flags = _cpu_flags()
    facts = {
        "cpu": cpu_model(),
        "cpu_flags_simd": sorted(f for f in flags if f.startswith(("avx", "fma", "sse4", "amx"))),
        "logical_cpus": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_cpu_capability": cap,
        "torch_cpu_capability_line": cap_line,
        "torch_blas_info": blas_line(),
        "torch_config": torch.__config__.show().strip().splitlines(),
        "torch_parallel_info": torch.__config__.parallel_info().strip().splitlines(),
        "mkldnn_available": bool(torch.backends.mkldnn.is_available()),
        "openblas_library": _OPENBLAS_PATH,
        "openblas_libraries_mapped": _OPENBLAS_CANDIDATES,
        "blas_libraries_mapped": _blas_libraries(),
        "openblas_corename": _OPENBLAS.openblas_get_corename().decode() if _OPENBLAS is not None else None,
        "openblas_config": _OPENBLAS.openblas_get_config().decode() if _OPENBLAS is not None else None,
        "env": {
            "OPENBLAS_settings_removed": os.environ.get(_REEXEC_MARK),
            "ATEN_CPU_CAPABILITY": os.environ.get("ATEN_CPU_CAPABILITY"),
            "ATEN_CPU_CAPABILITY_set_by_script": _ATEN_CAPABILITY_SET_BY_US,
            "OPENBLAS_vars": {k: v for k, v in sorted(os.environ.items()) if k.startswith("OPENBLAS_")},
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        },
    }
    if facts["openblas_library"] is None:
        facts["note"] = ("torch did not load an OpenBLAS library: the BLAS in use is something else (blas_libraries_mapped, "
                         "torch_config); on Debian, /usr/lib/x86_64-linux-gnu/blas/libblas.so.3 is the unoptimised "
                         "reference BLAS: apt-get install libopenblas0-pthread")
    return facts


# --- workloads ------------------------------------------------------------------------------------------------------

def _mlp(sizes, hidden_act, final=None):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(hidden_act())
    if final is not None:
        layers.append(final)
    return nn.Sequential(*layers)


def make_train(model, loss_fn, opt, x, y):
    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def make_forward(model, x):
    model.eval()

    def fwd():
        with torch.inference_mode():
            model(x)
    return fwd


def forward_model(name):
    """The network of a forward workload (W2, W3, W5F), as an nn.Sequential with PyTorch's default initialisation."""
    if name == "W2":
        return _mlp([784, 128, 10], nn.ReLU)
    if name == "W3":
        return nn.Sequential(nn.Linear(3, 3), nn.Sigmoid(), nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2), nn.Softmax(dim=1))
    if name == "W5F":
        return _mlp([1024, 1024, 1024, 10], nn.ReLU)
    raise ValueError(name)


def workload(name, batch):
    """Returns (description, callable) for one workload at one batch size; fresh model and data each time."""
    torch.manual_seed(42)
    if name == "W1":
        m = _mlp([784, 128, 10], nn.ReLU)
        x, y = torch.randn(batch, 784), torch.randint(0, 10, (batch,))
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        return "train step MLP 784-128(ReLU)-10, CrossEntropyLoss, Adam", make_train(m, nn.CrossEntropyLoss(), opt, x, y)
    if name == "W2":
        m = forward_model("W2")
        return "forward (eval, inference_mode) MLP 784-128(ReLU)-10", make_forward(m, torch.randn(batch, 784))
    if name == "W3":
        m = forward_model("W3")
        return "forward (eval, inference_mode) 3-3(Sigmoid)-2(ReLU)-2(Softmax)", make_forward(m, torch.randn(batch, 3))
    if name == "W4":
        m = _mlp([20, 64, 32, 1], nn.ReLU, final=nn.Sigmoid())
        x, y = torch.randn(batch, 20), torch.randint(0, 2, (batch, 1)).float()
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        return "train step 20-64(ReLU)-32(ReLU)-1(Sigmoid), BCELoss, Adam", make_train(m, nn.BCELoss(), opt, x, y)
    if name == "W5":
        m = _mlp([1024, 1024, 1024, 10], nn.ReLU)
        x, y = torch.randn(batch, 1024), torch.randint(0, 10, (batch,))
        opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
        return ("train step 1024-1024(ReLU)-1024(ReLU)-10, CrossEntropyLoss, SGD momentum 0.9",
                make_train(m, nn.CrossEntropyLoss(), opt, x, y))
    if name == "W5F":
        m = forward_model("W5F")
        return "forward (eval, inference_mode) 1024-1024(ReLU)-1024(ReLU)-10", make_forward(m, torch.randn(batch, 1024))
    if name == "W6":
        m = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(784, 10))
        x = torch.randn(batch, 1, 28, 28)
        if batch == 1:
            return "forward (eval, inference_mode) CNN conv8-pool-conv16-pool-linear10", make_forward(m, x)
        y = torch.randint(0, 10, (batch,))
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        return ("train step CNN conv8-pool-conv16-pool-linear10, CrossEntropyLoss, Adam",
                make_train(m, nn.CrossEntropyLoss(), opt, x, y))
    if name == "W7":
        return w7(batch)
    if name == "W8":
        m = TransformerW8()
        x, y = torch.randn(batch, 16, 64), torch.randint(0, 10, (batch,))
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        return ("train step TransformerEncoderLayer(64, 4 heads, ff 128) over 16 tokens, mean, Linear(64, 10), "
                "CrossEntropyLoss, Adam", make_train(m, nn.CrossEntropyLoss(), opt, x, y))
    if name == "W8F":
        m = TransformerW8()
        return ("forward (eval, inference_mode) TransformerEncoderLayer(64, 4 heads, ff 128) over 16 tokens, mean, "
                "Linear(64, 10)", make_forward(m, torch.randn(batch, 16, 64)))
    raise ValueError(name)


class LstmClassifier(nn.Module):
    """W7: LSTM(32 -> 64, one layer) over 50 steps, Linear(64 -> 10) on the last step (SourceGenNN's
    [Network(50, 32)] [LSTM(64, Output = RecurrentOutput.LastStep)] [Dense(10)])."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(32, 64, batch_first=True)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def w7(batch):
    """W7 pairs a train step at batch 16 with a forward pass at batch 1 (any other batch: a train step)."""
    m = LstmClassifier()
    x = torch.randn(batch, 50, 32)
    if batch == 1:
        return "forward (eval, inference_mode) LSTM(32->64) x50 steps, Linear(64->10) on the last", make_forward(m, x)
    y = torch.randint(0, 10, (batch,))
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    return "train step LSTM(32->64) x50 steps, Linear(64->10) on the last, CrossEntropyLoss, Adam", \
        make_train(m, nn.CrossEntropyLoss(), opt, x, y)

class TransformerW8(nn.Module):
    """W8: Runtime.Benchmarks' TransformerW8: one encoder layer (post-norm, ReLU, no dropout), the mean over the
    tokens, a head."""

    def __init__(self):
        super().__init__()
        self.enc = nn.TransformerEncoderLayer(64, 4, dim_feedforward=128, dropout=0.0, batch_first=True)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        return self.head(self.enc(x).mean(dim=1))


# --- the ONNX Runtime peer's models -------------------------------------------------------------------------------

ONNX_EXPORTS = [("W2", [1, 64]), ("W3", [1, 5]), ("W5F", [256])]  # as OnnxModels.Exported in Runtime.Benchmarks
ONNX_OPSET = 17


def read_safetensors(path):
    """The tensors of a safetensors file as {name: float32 tensor}, read without the safetensors package."""
    import numpy as np
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[base + begin:base + end], dtype="<f4").reshape(info["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


def export_onnx(directory):
    """--export-onnx: the forward workloads with the generated networks' weights, one ONNX model per batch size."""
    written = []
    for name, batches in ONNX_EXPORTS:
        weights = os.path.join(directory, f"{name}.safetensors")
        if not os.path.exists(weights):
            raise SystemExit(f"{weights} is missing: run `dotnet Runtime.Benchmarks/bin/Release/net10.0/"
                             f"SourceGenNN.Runtime.Benchmarks.dll --export-weights {directory}` first")
        model = forward_model(name)
        model.load_state_dict(read_safetensors(weights), strict=True)
        model.eval()
        for batch in batches:
            path = os.path.join(directory, f"{name}_b{batch}.onnx")
            x = torch.zeros(batch, model[0].in_features)
            with torch.no_grad():
                torch.onnx.export(model, (x,), path + ".tmp", input_names=["input"], output_names=["output"],
                                  opset_version=ONNX_OPSET, do_constant_folding=True, export_params=True)
            os.replace(path + ".tmp", path)
            written.append({"workload": name, "batch": batch, "file": os.path.basename(path),
                            "bytes": os.path.getsize(path), "weights": os.path.basename(weights)})
            print(f"wrote {path} ({os.path.getsize(path):,} bytes)", file=sys.stderr)
    with open(os.path.join(directory, "onnx-export.json"), "w", encoding="utf-8") as f:
        json.dump({"torch": torch.__version__, "opset": ONNX_OPSET, "input": "input", "output": "output",
                   "models": written}, f, indent=1)
    return 0


# W6 at batch 32 is its train step, at batch 1 its forward pass.
PLAN = [("W1", 64), ("W2", 1), ("W2", 64), ("W3", 1), ("W3", 5), ("W4", 32), ("W5", 256), ("W5F", 256), ("W6", 32),
        ("W6", 1), ("W7", 16), ("W7", 1), ("W8", 32), ("W8F", 1)]


def time_it(fn, block_ns, blocks, warmup_ns):
    # Warm-up: run for warmup_ns (at least 3 calls), which also estimates the cost of one call.
    t0 = time.perf_counter_ns()
    calls = 0
    while calls < 3 or time.perf_counter_ns() - t0 < warmup_ns:
        fn()
        calls += 1
    per_call = max(1, (time.perf_counter_ns() - t0) // calls)
    reps = max(1, int(block_ns // per_call))
    samples = []
    for _ in range(blocks):
        b0 = time.perf_counter_ns()
        for _ in range(reps):
            fn()
        samples.append((time.perf_counter_ns() - b0) / reps)
    return {
        "median_us": round(statistics.median(samples) / 1000.0, 3),
        "min_us": round(min(samples) / 1000.0, 3),
        "max_us": round(max(samples) / 1000.0, 3),
        "blocks": blocks,
        "calls_per_block": reps,
    }


def main():
    ap = argparse.ArgumentParser(description="PyTorch CPU peer timings for SourceGenNN's benchmark workloads.")
    ap.add_argument("--out", help="write the JSON here (atomically) instead of stdout")
    ap.add_argument("--quick", action="store_true", help="a fast smoke run: short blocks, few of them")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--workloads", default="W1,W2,W3,W4,W5,W5F,W6,W7,W8,W8F", help="comma-separated workloads (default all)")
    ap.add_argument("--block-ms", type=float, default=None, help="target length of one timed block")
    ap.add_argument("--blocks", type=int, default=None, help="timed blocks per measurement")
    ap.add_argument("--export-onnx", metavar="DIR", help="export the ONNX Runtime peer's models into DIR (which holds "
                                                         "the weights from --export-weights) instead of timing")
    args = ap.parse_args()
    if args.export_onnx:
        return export_onnx(args.export_onnx)

    block_ms = args.block_ms if args.block_ms is not None else (20.0 if args.quick else 250.0)
    blocks = args.blocks if args.blocks is not None else (3 if args.quick else 15)
    warmup_ms = 50.0 if args.quick else 500.0
    threads = [int(t) for t in args.threads.split(",") if t]
    wanted = {w.strip() for w in args.workloads.split(",") if w.strip()}

    torch.manual_seed(0)
    torch.set_grad_enabled(True)
    start = time.perf_counter()
    load_before = os.getloadavg()
    if load_before[0] > 0.5:
        print(f"warning: load average {load_before[0]:.2f} before the run; other work on this machine makes the "
              "numbers noisy", file=sys.stderr)
    results = []
    gflops = {}
    for n in threads:
        for tt, bt in thread_variants(n):
            set_threads(tt, bt)
            gflops[f"torch{tt}_openblas{bt}"] = {"sgemm512_gflops": sgemm_gflops(),
                                                 "torch_threads": torch.get_num_threads(),
                                                 "openblas_threads": openblas_threads()}
        for name, batch in PLAN:
            if name not in wanted:
                continue
            variants = []
            for tt, bt in thread_variants(n):
                set_threads(tt, bt)
                desc, fn = workload(name, batch)
                v = {"torch_threads": tt, "openblas_threads": bt}
                v.update(time_it(fn, block_ms * 1e6, blocks, warmup_ms * 1e6))
                variants.append(v)
            best = min(variants, key=lambda v: v["median_us"])
            r = {"workload": name, "batch": batch, "threads": n, "description": desc,
                 "median_us": best["median_us"], "min_us": best["min_us"], "max_us": best["max_us"],
                 "torch_threads": best["torch_threads"], "openblas_threads": best["openblas_threads"],
                 "blocks": best["blocks"], "calls_per_block": best["calls_per_block"]}
            if len(variants) > 1:
                r["variants"] = variants
            results.append(r)
            print(f"{name} batch {batch:4d} threads {n}: median {r['median_us']:10.3f} us  min {r['min_us']:10.3f} us"
                  + ("".join(f"   [torch {v['torch_threads']}/blas {v['openblas_threads']}: {v['median_us']:.1f}]"
                             for v in variants) if len(variants) > 1 else ""), file=sys.stderr)

    doc = {
        "machine": machine_facts(),
        "settings": {"block_ms": block_ms, "blocks": blocks, "warmup_ms": warmup_ms, "quick": args.quick,
                     "dtype": "float32", "timer": "time.perf_counter_ns per block, per-call mean within a block",
                     "thread_settings": gflops, "total_seconds": round(time.perf_counter() - start, 1),
                     "loadavg_before": [round(v, 2) for v in load_before],
                     "loadavg_after": [round(v, 2) for v in os.getloadavg()],
                     "selection": "per (workload, batch, threads) the variant with the lowest median is reported; "
                                  "all variants are under 'variants'"},
        "results": results,
    }
    text = json.dumps(doc, indent=1) + "\n"
    if args.out:
        tmp = args.out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.out)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
