#!/usr/bin/python3
"""Runs SourceGenNN's CPU benchmarks and its peers (PyTorch, ONNX Runtime) in one go and prints one comparison table.

    bash bench/run.sh [--quick] [--workloads W1,W5,W5F,W6,W7,GEMM] [--no-write] [--ours FILE] [--torch FILE] [--peak FILE]

Steps, in this order (sequentially, so the suites never compete for the cores):
  1. records the machine (CPU model, cores, load average) before the run;
  2. builds Runtime.Benchmarks (Release) and measures the machine's peak (its --peak mode: register-only FMA loops at
     the vector width the kernels use, 1 and 2 threads) -> artifacts/bench/peak.json;
  3. makes the ONNX Runtime peer's models: Runtime.Benchmarks --export-weights writes the generated networks' initial
     weights (safetensors), bench/pytorch_peer.py --export-onnx loads them into its nn.Sequential and exports ONNX
     -> artifacts/bench/onnx/ (W2 batch 1 and 64, W3 batch 1 and 5, W5F batch 256);
  4. runs --verify: the hand-written "plain" C# versions and ONNX Runtime must compute the same outputs (and the plain
     versions the same losses and parameters) as the generated networks, and the GEMM benchmark the right products
     (else the run stops);
  5. runs the BenchmarkDotNet suite (in process, one thread; ONNX Runtime in the same process)
     -> artifacts/bench/sourcegennn-results.json (BenchmarkDotNet's own reports land in artifacts/bench/results/),
     then the GEMM shapes again by thread CPU time (--gemm-cputime) -> artifacts/bench/gemm-cputime.json;
  6. runs bench/pytorch_peer.py at 1 and 2 threads -> artifacts/bench/pytorch.json, with OPENBLAS_CORETYPE and
     OPENBLAS_L2_SIZE unset for it;
  7. records the load average after, prints the table (GFLOP/s as % of the measured peak, the instruction set named,
     issue 12's targets marked), writes it (Markdown) to artifacts/bench/table.md and, unless --no-write, into
     docs/benchmarks.md between the BENCH-TABLE markers of the instruction set in use, replacing that set's previous
     table: "avx512" (AVX-512), "avx2" (an AVX2 CPU without AVX-512), "avx2-on-avx512" (DOTNET_EnableAVX512=0 on an
     AVX-512 CPU, where the peers still use AVX-512), so a run on one kind of machine keeps the other kinds' tables.

--ours FILE / --torch FILE / --peak FILE reuse earlier result files instead of running that part (to re-render a table).
--quick passes --quick to every suite: fewer, shorter iterations; a smoke run, noisier numbers.
bench/run.sh first checks (and, as root on Debian, installs) what this needs: torch and numpy for /usr/bin/python3 and
OpenBLAS for torch.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARTIFACTS = os.path.join(ROOT, "artifacts", "bench")
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
BENCH_PROJECT = os.path.join(ROOT, "Runtime.Benchmarks")
BENCH_DLL = os.path.join(BENCH_PROJECT, "bin", "Release", "net10.0", "SourceGenNN.Runtime.Benchmarks.dll")
GEMM_CPU_PATH = os.path.join(ARTIFACTS, "gemm-cputime.json")  # Runtime.Benchmarks --gemm-cputime
ONNX_DIR = os.path.join(ARTIFACTS, "onnx")  # the ONNX Runtime peer's models, made by every run (not committed)
# Read by OpenBLAS when it loads; they pin a kernel set or cache size that may not be this CPU's. Unset for the PyTorch
# peer only (pytorch_peer.py also re-executes itself without them when run directly).
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

# One W5 step: batch 256, layers 1024->1024->1024->10.
W5_FORWARD_MACS = 256 * (1024 * 1024 + 1024 * 1024 + 1024 * 10)
W5_WEIGHT_GRAD_MACS = W5_FORWARD_MACS
W5_INPUT_GRAD_MACS = 256 * (1024 * 1024 + 1024 * 10)  # layers 2 and 3 only; layer 1's input gradient is not computed
W5_FLOPS = 2 * (W5_FORWARD_MACS + W5_WEIGHT_GRAD_MACS + W5_INPUT_GRAD_MACS)
# W6 per sample: conv1 8·9·28·28, conv2 16·72·14·14, dense 784·10 multiply-adds. A train step at batch 32 does the
# forward ones, the same again for the weight gradients, and the input gradients of conv2 and the dense layer (conv1's
# input gradient is not computed). Pooling, activation, loss and optimiser work is not counted.
W6_CONV1_MACS, W6_CONV2_MACS, W6_DENSE_MACS = 8 * 9 * 28 * 28, 16 * 72 * 14 * 14, 784 * 10
W6_FORWARD_FLOPS = 2 * (W6_CONV1_MACS + W6_CONV2_MACS + W6_DENSE_MACS)
W6_TRAIN_FLOPS = 32 * (2 * W6_FORWARD_FLOPS + 2 * (W6_CONV2_MACS + W6_DENSE_MACS))
W5F_FLOPS = 2 * W5_FORWARD_MACS  # W5F: the forward pass alone

ROWS = [("W1", 64, "train step, 784-128(ReLU)-10, CE, Adam"),
        ("W2", 1, "forward, 784-128(ReLU)-10"),
        ("W2", 64, "forward, 784-128(ReLU)-10"),
        ("W3", 1, "forward, 3-3(σ)-2(ReLU)-2(softmax)"),
        ("W3", 5, "forward, 3-3(σ)-2(ReLU)-2(softmax)"),
        ("W4", 32, "train step, 20-64-32-1(σ), BCE, Adam"),
        ("W5", 256, "train step, 1024-1024-1024-10, CE, SGD+momentum"),
        ("W5F", 256, "forward only, 1024-1024(ReLU)-1024(ReLU)-10"),
        ("W6", 32, "train step, CNN conv8-pool-conv16-pool-dense10, CE, Adam"),
        ("W6", 1, "forward, CNN conv8-pool-conv16-pool-dense10"),
        ("W7", 16, "train step, LSTM(32→64)×50 steps → Linear(64→10) on the last, CE, Adam"),
        ("W7", 1, "forward, LSTM(32→64)×50 steps → Linear(64→10) on the last"),
        ("W8", 32, "train step, encoder layer d64 4 heads ff128 T16, mean, 10, CE, Adam"),
        ("W8F", 1, "forward, encoder layer d64 4 heads ff128 T16, mean, 10")]
# Targets from issue 12 ("CPU speed on every machine"), for W6 from issue 14 (convolution) and for W7 from issue 15
# (recurrent layers): PyTorch (1 thread) time /
# our time, same run, medians.
TARGETS = {("W1", 64): 2.5, ("W2", 1): 6.0, ("W2", 64): 1.5, ("W3", 1): 300.0, ("W3", 5): 150.0,
           ("W4", 32): 25.0, ("W5", 256): 1.3, ("W6", 32): 3.0, ("W6", 1): 5.0,
           ("W7", 16): 3.0, ("W7", 1): 10.0,
           ("W8", 32): 2.0, ("W8F", 1): 8.0}  # W8, W8F: issue 16 (attention)
W5_TWO_THREAD_TARGET = 1.8  # our 2-thread W5 speed-up over our 1-thread W5
W5_PEAK_TARGET = 0.75  # W5 (ours, 1 thread) at least this fraction of the measured peak of the vector width in use
# ONNX Runtime (1 thread) time / our time, same run, medians. ORT_ROWS: the rows with an ONNX Runtime column.
ORT_TARGETS = {("W2", 1): 1.5, ("W2", 64): 1.0, ("W3", 1): 20.0}
ORT_ROWS = {("W2", 1), ("W2", 64), ("W3", 1), ("W3", 5), ("W5F", 256)}


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(cmd, log_file=None, stdout_file=None, env=None):
    """Runs a command from the repository root; with log_file, its output goes there (the tail is shown on failure);
    with stdout_file, its standard output goes there (written atomically) and its standard error to the console."""
    target = log_file or stdout_file
    log("$ " + " ".join(cmd) + (f"   (output: {os.path.relpath(target, ROOT)})" if target else ""))
    if target is None:
        subprocess.run(cmd, cwd=ROOT, check=True, env=env)
        return
    if stdout_file is not None:
        with open(stdout_file + ".tmp", "w", encoding="utf-8") as f:
            proc = subprocess.run(cmd, cwd=ROOT, stdout=f, env=env)
        if proc.returncode != 0:
            raise SystemExit(f"{cmd[0]} failed with exit code {proc.returncode}")
        os.replace(stdout_file + ".tmp", stdout_file)
        return
    with open(log_file, "w", encoding="utf-8") as f:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, env=env)
    if proc.returncode != 0:
        with open(log_file, encoding="utf-8", errors="replace") as f:
            sys.stderr.write("".join(f.readlines()[-60:]))
        raise SystemExit(f"{cmd[0]} failed with exit code {proc.returncode}; full output in {log_file}")


def peer_environment(meta):
    """The environment for the PyTorch peer: this one without OPENBLAS_OVERRIDES (recorded in meta)."""
    env = dict(os.environ)
    removed = {k: env.pop(k) for k in OPENBLAS_OVERRIDES if k in env}
    meta["openblas_env_removed_for_pytorch"] = removed
    if removed:
        log("for the PyTorch peer only: unset " + ", ".join(f"{k} (was {v})" for k, v in removed.items()))
    return env


def machine():
    info = {"cpu_model": None, "logical_cpus": os.cpu_count(), "cores": None, "sockets": None,
            "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "memory_gib": None, "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            text = f.read()
        m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        info["cpu_model"] = m.group(1).strip() if m else None
        cores = {(p, c) for p, c in re.findall(r"^physical id\s*:\s*(\d+)\s*$.*?^core id\s*:\s*(\d+)\s*$", text, re.M | re.S)}
        info["cores"] = len(cores) or None
        info["sockets"] = len({p for p, _ in cores}) or None
        flags = re.search(r"^flags\s*:\s*(.+)$", text, re.M)
        info["simd"] = " ".join(sorted(f for f in flags.group(1).split() if f.startswith(("avx512f", "avx2", "fma")))) if flags else None
    except OSError:
        pass
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kb = int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1))
        info["memory_gib"] = round(kb / 1024 / 1024, 1)
    except (OSError, AttributeError):
        pass
    return info


def loadavg():
    return [round(v, 2) for v in os.getloadavg()]


def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


# --- formatting -----------------------------------------------------------------------------------------------------

def fmt_time(ns):
    if ns is None:
        return "n/a"
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs" if ns < 1e4 else f"{ns / 1e3:.1f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms" if ns < 1e7 else f"{ns / 1e6:.1f} ms"
    return f"{ns / 1e9:.2f} s"


def fmt_ratio(r):
    if r is None:
        return "n/a"
    return f"{r:.0f}×" if r >= 100 else f"{r:.1f}×" if r >= 10 else f"{r:.2f}×"


def ratio(a, b):
    return a / b if a is not None and b else None


# --- the table ------------------------------------------------------------------------------------------------------

def index_ours(doc):
    out = {}
    for r in doc["results"]:
        if r.get("success") and r.get("median_ns") is not None and r["workload"] != "GEMM":
            out[(r["workload"], r["batch"], r["implementation"], r.get("threads", 1))] = r
    return out


def gemm_table(ours_doc, peak_doc, cpu_doc):
    """The raw GEMM shapes of W1 and W5 (the GEMM_Shapes benchmark, and --gemm-cputime's thread-CPU-time figures), or
    "" when the run has none."""
    rows = sorted((r for r in ours_doc["results"] if r["workload"] == "GEMM"), key=lambda r: r.get("shape_index") or 0)
    if not rows:
        return ""
    cpu = {r["shape"]: r for r in (cpu_doc or {}).get("results", [])}
    peak = peak_gflops(peak_doc, 1)
    isa = peak_doc.get("instruction_set", "unknown") if peak_doc else "unknown"
    lines = [f"Raw GEMM shapes of W1 and W5 (SourceGenNN.Kernels.Gemm, 1 thread; % of the measured 1-thread {isa} peak, "
             f"{peak:.1f} GFLOP/s):" if peak else "Raw GEMM shapes of W1 and W5 (1 thread; no peak measured):", "",
             "| Shape (M×N×K) | Kernel | Where | Time (BDN median) | GFLOP/s | % of peak | GFLOP/s by thread CPU time "
             "(best / median) | % of peak (CPU time, best) |", "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        ok = r.get("success") and r.get("median_ns")
        g = r["flops"] / r["median_ns"] if ok else None
        c = cpu.get(r["shape"])
        cb, cm = (c.get("gflops_cpu_best"), c.get("gflops_cpu_median")) if c else (None, None)
        lines.append(f"| {r['shape']} | {r['kernel']} | {r['role']} | {fmt_time(r['median_ns'] if ok else None)} | "
                     f"{'n/a' if g is None else f'{g:.1f}'} | {'n/a' if g is None else pct(g, peak)} | "
                     f"{'n/a' if cb is None else f'{cb:.1f} / {cm:.1f}'} | {'n/a' if cb is None else pct(cb, peak)} |")
    lines.append("")
    lines.append("The BenchmarkDotNet columns are wall clock; the CPU-time columns (Runtime.Benchmarks --gemm-cputime: "
                 "blocks of calls timed by the thread's CPU time) do not count time the thread spent descheduled, so "
                 "they hold on a loaded machine, where the wall-clock figures fall.")
    return "\n".join(lines) + "\n"


def index_torch(doc):
    return {(r["workload"], r["batch"], r["threads"]): r for r in doc["results"]}


def peak_gflops(peak_doc, threads):
    """The measured peak at this many threads (the figure to divide by), or None."""
    if not peak_doc:
        return None
    for r in peak_doc.get("results", []):
        if r["threads"] == threads:
            return r["gflops"]
    return None


def pct(gflops, peak):
    return f"{100 * gflops / peak:.0f}%" if peak else "n/a (no peak measured)"


def mark(value, target):
    """ ✓ or ✗ for a value against a target (higher is better), or "" when either is missing."""
    return "" if value is None or target is None else (" ✓" if value >= target else " ✗")


def build_table(ours_doc, torch_doc, peak_doc, meta, cpu_doc=None):
    ours, torch = index_ours(ours_doc), index_torch(torch_doc)
    peak1, peak2 = peak_gflops(peak_doc, 1), peak_gflops(peak_doc, 2)
    isa = peak_doc.get("instruction_set", "unknown") if peak_doc else "unknown"
    m = meta["machine"]
    tm = torch_doc.get("machine", {})
    env = " ".join(f"{k}={v}" for k, v in sorted((peak_doc or {}).get("env", {}).items()))
    summary_peak = {}
    caption = (f"**{m.get('cpu_model')}, {m.get('logical_cpus')} logical CPUs; instruction set in use: {isa}"
               + (f" ({env})" if env else "") + "; measured peak "
               + (", ".join(f"{r['gflops']:.0f} GFLOP/s at {r['threads']} thread{'s' if r['threads'] > 1 else ''}"
                            for r in peak_doc["results"]) if peak_doc else "not measured")
               + f". {meta['date']}, commit {meta['commit']}.**")
    lines = [caption, ""]
    header = ["Workload", "Batch", "Ours (1 thread)", "PyTorch 1 thread", "PyTorch 2 threads", "ONNX Runtime 1 thread",
              "Plain C#", "PyTorch 1T / ours", "Target", "ORT / ours", "Target", "Plain / ours", "Ours, 2 threads",
              "Alloc/op (ours)"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|")
    summary = []
    for w, batch, what in ROWS:
        g = ours.get((w, batch, "generated", 1))
        p = ours.get((w, batch, "plain", 1))
        o = ours.get((w, batch, "onnxruntime", 1))
        g2 = ours.get((w, batch, "generated", 2))
        t1, t2 = torch.get((w, batch, 1)), torch.get((w, batch, 2))
        if not any((g, p, o, g2, t1, t2)):
            continue  # not in this run (--workloads)
        g_ns = g["median_ns"] if g else None
        t1_ns = t1["median_us"] * 1e3 if t1 else None
        t2_ns = t2["median_us"] * 1e3 if t2 else None
        p_ns = p["median_ns"] if p else None
        o_ns = o["median_ns"] if o else None
        r_torch, r_ort = ratio(t1_ns, g_ns), ratio(o_ns, g_ns)
        target, ort_target = TARGETS.get((w, batch)), ORT_TARGETS.get((w, batch))
        alloc = g.get("allocated_bytes_per_op") if g else None
        ort_cell = fmt_time(o_ns) if o_ns is not None else ("n/a" if (w, batch) not in ORT_ROWS else "n/a (no model)")
        row = [f"{w} ({what})", str(batch), fmt_time(g_ns), fmt_time(t1_ns), fmt_time(t2_ns), ort_cell, fmt_time(p_ns),
               fmt_ratio(r_torch) + mark(r_torch, target), f"≥ {target:g}×" if target else "",
               (fmt_ratio(r_ort) + mark(r_ort, ort_target)) if (w, batch) in ORT_ROWS else "",
               f"≥ {ort_target:g}×" if ort_target else "",
               fmt_ratio(ratio(p_ns, g_ns)), fmt_time(g2["median_ns"]) if g2 else "n/a",
               "n/a" if alloc is None else f"{alloc} B"]
        lines.append("| " + " | ".join(row) + " |")
        summary.append({"workload": w, "batch": batch, "ours_ns": g_ns, "torch1_ns": t1_ns, "torch2_ns": t2_ns,
                        "onnxruntime_ns": o_ns, "plain_ns": p_ns, "torch1_over_ours": r_torch,
                        "onnxruntime_over_ours": r_ort, "plain_over_ours": ratio(p_ns, g_ns), "target": target,
                        "onnxruntime_target": ort_target, "ours_2threads_ns": g2["median_ns"] if g2 else None,
                        "onnxruntime_alloc_bytes_per_op": o.get("allocated_bytes_per_op") if o else None})

    notes = []
    if peak_doc:
        notes.append(f"- **Instruction set in use: {isa}.** Measured peak (Runtime.Benchmarks --peak: register-only FMA "
                     f"loop, {peak_doc.get('accumulators')} independent accumulators per thread, best run by thread CPU "
                     "time): " + "; ".join(f"{r['threads']} thread{'s' if r['threads'] > 1 else ''} **{r['gflops']:.1f} "
                                           f"GFLOP/s** (wall clock best {r['gflops_wall_best']:.1f})"
                                           for r in peak_doc["results"]) + ".")
    else:
        notes.append("- No peak measured: percentages of peak are n/a.")
    blas_warning = torch_blas_warning(tm)
    if blas_warning:
        notes.append(blas_warning)
    w5 = ours.get(("W5", 256, "generated", 1))
    w5_2 = ours.get(("W5", 256, "generated", 2))
    if w5:
        gflops = W5_FLOPS / w5["median_ns"]
        notes.append(f"- **W5 throughput (ours, 1 thread): {gflops:.1f} GFLOP/s = {pct(gflops, peak1)} of the measured "
                     f"1-thread {isa} peak** (target ≥ {100 * W5_PEAK_TARGET:.0f}%)"
                     f"{mark(gflops / peak1 if peak1 else None, W5_PEAK_TARGET)}.")
        summary_peak["w5_gflops"] = gflops
        summary_peak["w5_fraction_of_peak"] = gflops / peak1 if peak1 else None
    w5f = ours.get(("W5F", 256, "generated", 1))
    if w5f:
        g = W5F_FLOPS / w5f["median_ns"]
        o = ours.get(("W5F", 256, "onnxruntime", 1))
        notes.append(f"- W5F (W5's forward pass alone, {W5F_FLOPS:,} flops = 2·forward MACs), 1 thread: ours {g:.1f} "
                     f"GFLOP/s = {pct(g, peak1)} of the peak"
                     + (f"; ONNX Runtime {W5F_FLOPS / o['median_ns']:.1f} GFLOP/s = "
                        f"{pct(W5F_FLOPS / o['median_ns'], peak1)}" if o else "") + ".")
    t1w5 = torch.get(("W5", 256, 1))
    if t1w5:
        g = W5_FLOPS / (t1w5["median_us"] * 1e3)
        notes.append(f"- W5 throughput, PyTorch 1 thread: {g:.1f} GFLOP/s = {pct(g, peak1)} of the peak.")
    if w5 and w5_2:
        s = w5["median_ns"] / w5_2["median_ns"]
        g2 = W5_FLOPS / w5_2["median_ns"]
        notes.append(f"- **W5 at 2 threads (ours, Parallelism.MaxThreads = 2): {fmt_time(w5_2['median_ns'])}, "
                     f"{g2:.1f} GFLOP/s = {pct(g2, peak2)} of the measured 2-thread peak, {s:.2f}× our 1-thread speed** "
                     f"(target ≥ {W5_TWO_THREAD_TARGET:g}×){mark(s, W5_TWO_THREAD_TARGET)}.")
    elif w5:
        notes.append(f"- W5 at 2 threads (ours): **n/a**: no 2-thread result in this run (the suite's W5_TrainWideThreads "
                     f"benchmark sets Parallelism.MaxThreads = 2; target ≥ {W5_TWO_THREAD_TARGET:g}× our 1-thread speed).")
    w6 = ours.get(("W6", 32, "generated", 1))
    w6f = ours.get(("W6", 1, "generated", 1))
    if w6 or w6f:
        parts = []
        if w6:
            g = W6_TRAIN_FLOPS / w6["median_ns"]
            parts.append(f"train step {g:.1f} GFLOP/s = {pct(g, peak1)}")
        if w6f:
            g = W6_FORWARD_FLOPS / w6f["median_ns"]
            parts.append(f"forward at batch 1 {g:.1f} GFLOP/s = {pct(g, peak1)}")
        t6 = torch.get(("W6", 32, 1))
        notes.append(f"- **W6 throughput (ours, 1 thread): {', '.join(parts)} of the measured 1-thread {isa} peak**"
                     + (f"; PyTorch 1 thread: train step {W6_TRAIN_FLOPS / (t6['median_us'] * 1e3):.1f} GFLOP/s" if t6 else "")
                     + f". W6 flops: {W6_FORWARD_FLOPS:,} per sample forward (2·multiply-adds of conv1 {W6_CONV1_MACS:,}, conv2 "
                     f"{W6_CONV2_MACS:,}, dense {W6_DENSE_MACS:,}); a train step at batch 32 adds the weight gradients and the "
                     f"input gradients of conv2 and the dense layer: {W6_TRAIN_FLOPS:,} ≈ {W6_TRAIN_FLOPS / 1e6:.1f} MFLOP. "
                     "Its convolutions are small products (8 or 16 rows), far from a GEMM's best case.")
    if w5:
        notes.append(f"- W5 flops per step: 2·(forward MACs {W5_FORWARD_MACS:,}) + 2·(weight-gradient MACs "
                     f"{W5_WEIGHT_GRAD_MACS:,}) + 2·(input-gradient MACs of layers 2 and 3 {W5_INPUT_GRAD_MACS:,}; "
                     f"layer 1's input gradient is not computed) = {W5_FLOPS:,} ≈ {W5_FLOPS / 1e9:.3f} GFLOP. Bias, "
                     "activation, loss and optimiser work is not counted.")
    ort_version = ours_doc.get("onnxruntime_version")
    notes.append("- Times are medians per call. Ours, plain C# and ONNX Runtime: BenchmarkDotNet "
                 f"({'quick' if ours_doc.get('quick') else 'short'} job, in process; ours with "
                 "SourceGenNN.Kernels.Parallelism.MaxThreads = 1 except in the 2-thread column; plain is "
                 "single-threaded; ONNX Runtime "
                 + (f"{ort_version} " if ort_version else "")
                 + "with intra-op 1, inter-op 1, all graph optimisations, input and output bound once to preallocated "
                 "buffers, the model exported by torch.onnx.export from the generated network's weights). PyTorch: "
                 "bench/pytorch_peer.py (median over timed blocks; for 2 threads the faster of ATen 2/OpenBLAS 2 and "
                 "ATen 1/OpenBLAS 2). ✓/✗: the PyTorch-1-thread/ours and ORT/ours ratios against issue 12's targets.")
    ts = torch_doc.get("settings", {})
    notes.append(f"- Machine: {m.get('cpu_model')}; {m.get('logical_cpus')} logical CPUs ({m.get('cores')} cores, "
                 f"{m.get('affinity_cpus')} usable by this process), {m.get('memory_gib')} GiB; CPU flags {m.get('simd')}; "
                 f"{'environment ' + env + '; ' if env else ''}"
                 f"{ours_doc.get('machine', {}).get('runtime')}; torch {tm.get('torch')} "
                 f"(capability {tm.get('torch_cpu_capability')}, OpenBLAS core {tm.get('openblas_corename')}).")
    notes.append(f"- Load average (1/5/15 min) before the run: {' / '.join(map(str, meta['load_before']))}; after: "
                 f"{' / '.join(map(str, meta['load_after']))}"
                 + (f"; around the BenchmarkDotNet part: {ours_doc['loadavg_before']} → {ours_doc['loadavg_after']}"
                    if ours_doc.get("loadavg_before") else "")
                 + (f"; around the PyTorch part: {' / '.join(map(str, ts.get('loadavg_before', [])))} → "
                    f"{' / '.join(map(str, ts.get('loadavg_after', [])))}" if ts.get("loadavg_before") else "")
                 + ". This machine is shared: with a load above ~1 per core the numbers are noisy; rerun on a quiet "
                 "machine before quoting them.")
    kinds = (f"ours {'quick' if ours_doc.get('quick') else 'full'}, PyTorch "
             f"{'quick' if ts.get('quick') else 'full'}")
    reused = " (re-rendered from earlier result files)" if meta.get("reused") else ""
    notes.append(f"- Run: {meta['date']}, commit {meta['commit']}, {kinds}, {meta['seconds']:.0f} s end to end{reused}.")
    summary.append({"peak": summary_peak})
    gemm = gemm_table(ours_doc, peak_doc, cpu_doc)
    return "\n".join(lines) + "\n\n" + (gemm + "\n" if gemm else "") + "\n".join(notes) + "\n", summary


def torch_blas_warning(torch_machine):
    """A note when PyTorch did not run on OpenBLAS (e.g. Debian's reference libblas), else None."""
    if not torch_machine or torch_machine.get("openblas_library"):
        return None
    mapped = torch_machine.get("blas_libraries_mapped") or []
    return ("- **Warning: PyTorch did not use OpenBLAS** (BLAS libraries it loaded: "
            + (", ".join(mapped) if mapped else "none found") + "). Debian's default libblas.so.3 is the unoptimised "
            "reference BLAS, many times slower than OpenBLAS on the matrix products, so PyTorch's W1, W2 b64, W5 and W5F "
            "times here are not representative. Install `libopenblas0-pthread` (bench/run.sh does, as root) and rerun.")


def markers(key):
    """The Markdown comments around the table of one kind of machine in docs/benchmarks.md."""
    return f"<!-- BENCH-TABLE:BEGIN {key} (written by bench/compare.py) -->", f"<!-- BENCH-TABLE:END {key} -->"


def table_key(peak_doc):
    """Which table a run belongs to: the vector width .NET used, and whether the CPU itself has AVX-512."""
    bits = peak_doc.get("vector_bits")
    if bits == 512:
        return "avx512"
    if bits == 256:
        return "avx2-on-avx512" if peak_doc.get("avx512f_supported") else "avx2"
    return f"{bits or 0}-bit"


def write_doc(table, key):
    begin, end = markers(key)
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    if begin not in text or end not in text:
        raise SystemExit(f"{DOC} has no table for this kind of machine ({key}): add the two lines {begin!r} and "
                         f"{end!r} where it should go, or rerun with --no-write (the table is in "
                         f"{os.path.relpath(os.path.join(ARTIFACTS, 'table.md'), ROOT)})")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    tmp = DOC + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(head + begin + "\n" + table + end + tail)
    os.replace(tmp, DOC)


def main():
    ap = argparse.ArgumentParser(description="Run SourceGenNN's CPU benchmarks and the PyTorch and ONNX Runtime peers; "
                                             "print one table.")
    ap.add_argument("--quick", action="store_true", help="short smoke run of both suites (noisier)")
    ap.add_argument("--workloads", default=None, help="comma-separated subset of W1,W2,W3,W4,W5,W5F,W6,W7,GEMM, e.g. W1,W5 "
                                                      "(default all; W5F is W5's forward pass, GEMM the raw products)")
    ap.add_argument("--ours", help="reuse this sourcegennn-results.json instead of running BenchmarkDotNet")
    ap.add_argument("--torch", help="reuse this pytorch.json instead of running the PyTorch peer")
    ap.add_argument("--peak", help="reuse this peak.json instead of measuring the peak (default with --ours: "
                                   "artifacts/bench/peak.json when it exists)")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args()

    os.makedirs(ARTIFACTS, exist_ok=True)
    start = datetime.datetime.now(datetime.timezone.utc)
    meta = {"machine": machine(), "load_before": loadavg(), "quick": args.quick, "commit": git_commit(),
            "date": start.strftime("%Y-%m-%d %H:%M UTC")}
    log(f"machine: {meta['machine']}; load average before: {meta['load_before']}")
    if meta["load_before"][0] > 0.5 * (meta["machine"]["logical_cpus"] or 1):
        log("warning: the machine is busy; timings will be noisy")

    sel = ["--workloads", args.workloads] if args.workloads else []
    quick = ["--quick"] if args.quick else []
    wanted = set(args.workloads.split(",")) if args.workloads else None
    torch_env = peer_environment(meta)
    ours_path = args.ours
    peak_path = args.peak
    if peak_path is None and args.ours and os.path.exists(os.path.join(ARTIFACTS, "peak.json")):
        peak_path = os.path.join(ARTIFACTS, "peak.json")
        log(f"reusing the peak measured earlier: {os.path.relpath(peak_path, ROOT)}")
    if ours_path is None or peak_path is None:
        run(["dotnet", "build", BENCH_PROJECT, "-c", "Release", "--nologo", "-v", "q"])
    if peak_path is None:
        # The machine's peak, measured with the same JIT as the library: register-only FMA loops at the vector width the
        # kernels use (so DOTNET_EnableAVX512=0 gives the 256-bit peak), at 1 and 2 threads.
        peak_path = os.path.join(ARTIFACTS, "peak.json")
        run(["dotnet", BENCH_DLL, "--peak"] + quick, stdout_file=peak_path)
    if ours_path is None:
        onnx = []
        if wanted is None or wanted & {"W2", "W3", "W5F"}:
            # The ONNX Runtime peer's models: the generated networks' initial weights as safetensors, loaded into the
            # PyTorch peer's nn.Sequential and exported with torch.onnx.export, one model per batch size.
            run(["dotnet", BENCH_DLL, "--export-weights", ONNX_DIR])
            run(["/usr/bin/python3", os.path.join(ROOT, "bench", "pytorch_peer.py"), "--export-onnx", ONNX_DIR],
                env=torch_env)
            onnx = ["--onnx", ONNX_DIR]
        run(["dotnet", BENCH_DLL, "--verify"] + onnx + sel)
        ours_path = os.path.join(ARTIFACTS, "sourcegennn-results.json")
        run(["dotnet", BENCH_DLL, "--artifacts", ARTIFACTS, "--peak-file", peak_path] + onnx + quick + sel,
            log_file=os.path.join(ARTIFACTS, "benchmarkdotnet-console.log"))
        if wanted is None or "GEMM" in wanted:
            # The same shapes by thread CPU time, which a loaded machine does not skew.
            run(["dotnet", BENCH_DLL, "--gemm-cputime"] + quick, stdout_file=GEMM_CPU_PATH)
        elif os.path.exists(GEMM_CPU_PATH):
            os.remove(GEMM_CPU_PATH)  # not from this run
    torch_path = args.torch
    if torch_path is None:
        torch_path = os.path.join(ARTIFACTS, "pytorch.json")
        run(["/usr/bin/python3", os.path.join(ROOT, "bench", "pytorch_peer.py"), "--out", torch_path,
             "--threads", "1,2"] + quick + sel, env=torch_env)
    meta["load_after"] = loadavg()
    meta["reused"] = bool(args.ours or args.torch)
    meta["seconds"] = (datetime.datetime.now(datetime.timezone.utc) - start).total_seconds()

    with open(ours_path, encoding="utf-8") as f:
        ours_doc = json.load(f)
    with open(torch_path, encoding="utf-8") as f:
        torch_doc = json.load(f)
    with open(peak_path, encoding="utf-8") as f:
        peak_doc = json.load(f)
    cpu_doc = None
    if os.path.exists(GEMM_CPU_PATH):
        with open(GEMM_CPU_PATH, encoding="utf-8") as f:
            cpu_doc = json.load(f)
    table, summary = build_table(ours_doc, torch_doc, peak_doc, meta, cpu_doc)
    print(table)
    with open(os.path.join(ARTIFACTS, "table.md"), "w", encoding="utf-8") as f:
        f.write(table)
    with open(os.path.join(ARTIFACTS, "comparison.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "rows": summary, "w5_flops": W5_FLOPS, "w6_train_flops": W6_TRAIN_FLOPS,
                   "w6_forward_flops": W6_FORWARD_FLOPS, "peak": peak_doc}, f, indent=1)
    if not args.no_write:
        key = table_key(peak_doc)
        write_doc(table, key)
        log(f"table written to {os.path.relpath(DOC, ROOT)} (the {key} table)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
