#!/usr/bin/python3
"""Runs SourceGenNN's CPU benchmarks and its PyTorch peer in one go and prints one comparison table.

    bash bench/run.sh [--quick] [--workloads W1,W5] [--no-write] [--ours FILE] [--torch FILE]

Steps, in this order (sequentially, so the two suites never compete for the cores):
  1. records the machine (CPU model, cores, load average) before the run;
  2. builds Runtime.Benchmarks (Release) and runs its --verify mode: the hand-written "plain" C# versions must compute
     the same outputs, losses and parameters as the generated networks (else the run stops);
  3. runs the BenchmarkDotNet suite (in process, one thread) -> artifacts/bench/sourcegennn-results.json
     (BenchmarkDotNet's own JSON/CSV/Markdown reports land in artifacts/bench/results/);
  4. runs bench/pytorch_peer.py at 1 and 2 threads -> artifacts/bench/pytorch.json;
  5. records the load average after, prints the table, writes it (Markdown) to artifacts/bench/table.md and, unless
     --no-write, into docs/benchmarks.md between the BENCH-TABLE markers, replacing the previous table.

--ours FILE / --torch FILE reuse earlier result files instead of running that suite (to re-render a table).
--quick passes --quick to both suites: fewer, shorter iterations; a smoke run, noisier numbers.
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
BEGIN, END = "<!-- BENCH-TABLE:BEGIN (written by bench/compare.py) -->", "<!-- BENCH-TABLE:END -->"
BENCH_PROJECT = os.path.join(ROOT, "Runtime.Benchmarks")
BENCH_DLL = os.path.join(BENCH_PROJECT, "bin", "Release", "net10.0", "SourceGenNN.Runtime.Benchmarks.dll")

PEAK_GFLOPS = 235.0  # a register-only 512-bit FMA loop measured on this machine's CPU (see docs/benchmarks.md)
# One W5 step: batch 256, layers 1024->1024->1024->10.
W5_FORWARD_MACS = 256 * (1024 * 1024 + 1024 * 1024 + 1024 * 10)
W5_WEIGHT_GRAD_MACS = W5_FORWARD_MACS
W5_INPUT_GRAD_MACS = 256 * (1024 * 1024 + 1024 * 10)  # layers 2 and 3 only; layer 1's input gradient is not computed
W5_FLOPS = 2 * (W5_FORWARD_MACS + W5_WEIGHT_GRAD_MACS + W5_INPUT_GRAD_MACS)

ROWS = [("W1", 64, "train step, 784-128(ReLU)-10, CE, Adam"),
        ("W2", 1, "forward, 784-128(ReLU)-10"),
        ("W2", 64, "forward, 784-128(ReLU)-10"),
        ("W3", 1, "forward, 3-3(σ)-2(ReLU)-2(softmax)"),
        ("W3", 5, "forward, 3-3(σ)-2(ReLU)-2(softmax)"),
        ("W4", 32, "train step, 20-64-32-1(σ), BCE, Adam"),
        ("W5", 256, "train step, 1024-1024-1024-10, CE, SGD+momentum"),
        ("W7", 16, "train step, LSTM(32→64)×50 steps → Linear(64→10) on the last, CE, Adam"),
        ("W7", 1, "forward, LSTM(32→64)×50 steps → Linear(64→10) on the last")]
# Targets from the issue "CPU speed": PyTorch (1 thread) time / our time.
TARGETS = {("W1", 64): 2.5, ("W2", 1): 6.0, ("W2", 64): 1.3, ("W3", 1): 300.0, ("W3", 5): 300.0,
           ("W4", 32): 25.0, ("W5", 256): 1.15,
           ("W7", 16): 3.0, ("W7", 1): 10.0}  # W7: the recurrent-layers issue
W5_TWO_THREAD_TARGET = 1.8  # our 2-thread W5 speed-up over our 1-thread W5


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(cmd, log_file=None):
    """Runs a command from the repository root; with log_file, its output goes there (the tail is shown on failure)."""
    log("$ " + " ".join(cmd) + (f"   (output: {os.path.relpath(log_file, ROOT)})" if log_file else ""))
    if log_file is None:
        subprocess.run(cmd, cwd=ROOT, check=True)
        return
    with open(log_file, "w", encoding="utf-8") as f:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        with open(log_file, encoding="utf-8", errors="replace") as f:
            sys.stderr.write("".join(f.readlines()[-60:]))
        raise SystemExit(f"{cmd[0]} failed with exit code {proc.returncode}; full output in {log_file}")


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
        if r.get("success") and r.get("median_ns") is not None:
            out[(r["workload"], r["batch"], r["implementation"], r.get("threads", 1))] = r
    return out


def index_torch(doc):
    return {(r["workload"], r["batch"], r["threads"]): r for r in doc["results"]}


def build_table(ours_doc, torch_doc, meta):
    ours, torch = index_ours(ours_doc), index_torch(torch_doc)
    lines = []
    header = ["Workload", "Batch", "Ours (1 thread)", "PyTorch 1 thread", "PyTorch 2 threads", "Plain C#",
              "PyTorch 1T / ours", "Target", "Plain / ours", "Ours, 2 threads", "Alloc/op (ours)"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|")
    summary = []
    for w, batch, what in ROWS:
        g = ours.get((w, batch, "generated", 1))
        p = ours.get((w, batch, "plain", 1))
        g2 = ours.get((w, batch, "generated", 2))
        t1, t2 = torch.get((w, batch, 1)), torch.get((w, batch, 2))
        g_ns = g["median_ns"] if g else None
        t1_ns = t1["median_us"] * 1e3 if t1 else None
        t2_ns = t2["median_us"] * 1e3 if t2 else None
        p_ns = p["median_ns"] if p else None
        r_torch = ratio(t1_ns, g_ns)
        target = TARGETS.get((w, batch))
        verdict = "" if r_torch is None or target is None else (" ✓" if r_torch >= target else " ✗")
        alloc = g.get("allocated_bytes_per_op") if g else None
        row = [f"{w} ({what})", str(batch), fmt_time(g_ns), fmt_time(t1_ns), fmt_time(t2_ns), fmt_time(p_ns),
               fmt_ratio(r_torch) + verdict, f"≥ {target:g}×" if target else "",
               fmt_ratio(ratio(p_ns, g_ns)), fmt_time(g2["median_ns"]) if g2 else "n/a",
               "n/a" if alloc is None else f"{alloc} B"]
        lines.append("| " + " | ".join(row) + " |")
        summary.append({"workload": w, "batch": batch, "ours_ns": g_ns, "torch1_ns": t1_ns, "torch2_ns": t2_ns,
                        "plain_ns": p_ns, "torch1_over_ours": r_torch, "plain_over_ours": ratio(p_ns, g_ns),
                        "target": target, "ours_2threads_ns": g2["median_ns"] if g2 else None})

    notes = []
    w5 = ours.get(("W5", 256, "generated", 1))
    w5_2 = ours.get(("W5", 256, "generated", 2))
    if w5:
        gflops = W5_FLOPS / w5["median_ns"]
        notes.append(f"- **W5 throughput (ours, 1 thread): {gflops:.1f} GFLOP/s = {100 * gflops / PEAK_GFLOPS:.0f}% of "
                     f"{PEAK_GFLOPS:g} GFLOP/s** (a register-only 512-bit FMA loop on this CPU).")
    t1w5 = torch.get(("W5", 256, 1))
    if t1w5:
        notes.append(f"- W5 throughput, PyTorch 1 thread: {W5_FLOPS / (t1w5['median_us'] * 1e3):.1f} GFLOP/s.")
    if w5 and w5_2:
        s = w5["median_ns"] / w5_2["median_ns"]
        notes.append(f"- **W5 at 2 threads (ours, Parallelism.MaxThreads = 2): {fmt_time(w5_2['median_ns'])}, "
                     f"{W5_FLOPS / w5_2['median_ns']:.1f} GFLOP/s, {s:.2f}× our 1-thread speed** "
                     f"(target ≥ {W5_TWO_THREAD_TARGET:g}×){' ✓' if s >= W5_TWO_THREAD_TARGET else ' ✗'}.")
    else:
        notes.append(f"- W5 at 2 threads (ours): **n/a**: no 2-thread result in this run (the suite's W5_TrainWideThreads "
                     f"benchmark sets Parallelism.MaxThreads = 2; target ≥ {W5_TWO_THREAD_TARGET:g}× our 1-thread speed).")
    notes.append(f"- W5 flops per step: 2·(forward MACs {W5_FORWARD_MACS:,}) + 2·(weight-gradient MACs "
                 f"{W5_WEIGHT_GRAD_MACS:,}) + 2·(input-gradient MACs of layers 2 and 3 {W5_INPUT_GRAD_MACS:,}; layer 1's "
                 f"input gradient is not computed) = {W5_FLOPS:,} ≈ {W5_FLOPS / 1e9:.3f} GFLOP. Bias, activation, loss "
                 "and optimiser work is not counted.")
    notes.append("- Times are medians per call. Ours and plain C#: BenchmarkDotNet "
                 f"({'quick' if ours_doc.get('quick') else 'short'} job, in process; ours with "
                 "SourceGenNN.Kernels.Parallelism.MaxThreads = 1 except in the 2-thread column; plain is "
                 "single-threaded). PyTorch: "
                 "bench/pytorch_peer.py (median over timed blocks; for 2 threads the faster of ATen 2/OpenBLAS 2 and "
                 "ATen 1/OpenBLAS 2). ✓/✗: the PyTorch-1-thread/ours ratio against the issue's target.")
    m = meta["machine"]
    tm = torch_doc.get("machine", {})
    ts = torch_doc.get("settings", {})
    notes.append(f"- Machine: {m.get('cpu_model')}; {m.get('logical_cpus')} logical CPUs ({m.get('cores')} cores, "
                 f"{m.get('affinity_cpus')} usable by this process), {m.get('memory_gib')} GiB; {m.get('simd')}; "
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
    return "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n", summary


def write_doc(table):
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC} lacks the markers {BEGIN!r} ... {END!r}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    tmp = DOC + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(head + BEGIN + "\n" + table + END + tail)
    os.replace(tmp, DOC)


def main():
    ap = argparse.ArgumentParser(description="Run SourceGenNN's CPU benchmarks and the PyTorch peer; print one table.")
    ap.add_argument("--quick", action="store_true", help="short smoke run of both suites (noisier)")
    ap.add_argument("--workloads", default=None, help="comma-separated subset, e.g. W1,W5 (default all)")
    ap.add_argument("--ours", help="reuse this sourcegennn-results.json instead of running BenchmarkDotNet")
    ap.add_argument("--torch", help="reuse this pytorch.json instead of running the PyTorch peer")
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
    ours_path = args.ours
    if ours_path is None:
        run(["dotnet", "build", BENCH_PROJECT, "-c", "Release", "--nologo", "-v", "q"])
        run(["dotnet", BENCH_DLL, "--verify"] + sel)
        ours_path = os.path.join(ARTIFACTS, "sourcegennn-results.json")
        run(["dotnet", BENCH_DLL, "--artifacts", ARTIFACTS] + (["--quick"] if args.quick else []) + sel,
            log_file=os.path.join(ARTIFACTS, "benchmarkdotnet-console.log"))
    torch_path = args.torch
    if torch_path is None:
        torch_path = os.path.join(ARTIFACTS, "pytorch.json")
        run(["/usr/bin/python3", os.path.join(ROOT, "bench", "pytorch_peer.py"), "--out", torch_path,
             "--threads", "1,2"] + (["--quick"] if args.quick else []) + sel)
    meta["load_after"] = loadavg()
    meta["reused"] = bool(args.ours or args.torch)
    meta["seconds"] = (datetime.datetime.now(datetime.timezone.utc) - start).total_seconds()

    with open(ours_path, encoding="utf-8") as f:
        ours_doc = json.load(f)
    with open(torch_path, encoding="utf-8") as f:
        torch_doc = json.load(f)
    table, summary = build_table(ours_doc, torch_doc, meta)
    print(table)
    with open(os.path.join(ARTIFACTS, "table.md"), "w", encoding="utf-8") as f:
        f.write(table)
    with open(os.path.join(ARTIFACTS, "comparison.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "rows": summary, "w5_flops": W5_FLOPS, "peak_gflops": PEAK_GFLOPS}, f, indent=1)
    if not args.no_write:
        write_doc(table)
        log(f"table written to {os.path.relpath(DOC, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
