using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using SourceGenNN.Kernels;

namespace SourceGenNN.Benchmarks;

/// <summary>Which product of a dense layer a GEMM shape is.</summary>
public enum GemmKind
{
    /// <summary>The forward product <c>X·Wᵀ + b</c> (<see cref="Gemm.DotNT"/>).</summary>
    Forward,

    /// <summary>The weight gradient <c>dYᵀ·X</c> (<see cref="Gemm.Broadcast"/>).</summary>
    WeightGradient,

    /// <summary>The input gradient <c>dY·W</c> (<see cref="Gemm.Broadcast"/>).</summary>
    InputGradient,
}

/// <summary>
/// One matrix product of W1 or W5 as the generated code calls it, through <see cref="Gemm"/>'s public API.
/// <c>M×N×K</c>: C is M×N, and every element of C sums K products.
/// </summary>
/// <param name="Id">The benchmark's parameter value, e.g. <c>fwd 64x128x784</c>.</param>
/// <param name="Kind">Which product.</param>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">Terms per element of C.</param>
/// <param name="Role">Where the workloads use it.</param>
public sealed record GemmShape(string Id, GemmKind Kind, int M, int N, int K, string Role)
{
    /// <summary>The kernel: <c>DotNT</c> or <c>Broadcast</c>.</summary>
    public string Kernel => Kind == GemmKind.Forward ? "DotNT" : "Broadcast";

    /// <summary>Floating-point operations of one product: 2·M·N·K.</summary>
    public long Flops => 2L * M * N * K;
}

/// <summary>The GEMM shapes of W1 and W5.</summary>
public static class GemmShapes
{
    /// <summary>
    /// The shapes: forward <c>DotNT</c> <c>C = X·Wᵀ + b</c> (A = X [M = batch, K = in], lda = K; B = W [N = out, K],
    /// ldb = K; C ldc = N); weight gradient <c>Broadcast</c> <c>dW = dYᵀ·X</c> (M = out, N = in, K = batch; A = dY with
    /// ams = 1, aks = out; B = X, ldb = in); input gradient <c>Broadcast</c> <c>dX = dY·W</c> (M = batch, N = in,
    /// K = out; A = dY with ams = out, aks = 1; B = W, ldb = in). C is written, not added to, as the generated code does.
    /// </summary>
    public static IReadOnlyList<GemmShape> All { get; } =
    [
        new("fwd 64x128x784", GemmKind.Forward, 64, 128, 784, "W1/W2 (batch 64) forward, layer 1: X·Wᵀ + b"),
        new("fwd 256x1024x1024", GemmKind.Forward, 256, 1024, 1024, "W5 forward, layers 1 and 2: X·Wᵀ + b"),
        new("dW 128x784x64", GemmKind.WeightGradient, 128, 784, 64, "W1 weight gradient, layer 1: dYᵀ·X"),
        new("dW 1024x1024x256", GemmKind.WeightGradient, 1024, 1024, 256, "W5 weight gradient, layers 1 and 2: dYᵀ·X"),
        new("dX 256x1024x1024", GemmKind.InputGradient, 256, 1024, 1024, "W5 input gradient, layer 2: dY·W"),
    ];

    /// <summary>The shape with this id.</summary>
    /// <param name="id">The id, e.g. <c>fwd 64x128x784</c>.</param>
    /// <returns>The shape.</returns>
    public static GemmShape Get(string id) =>
        All.FirstOrDefault(s => s.Id == id) ?? throw new ArgumentException($"No GEMM shape '{id}'.", nameof(id));
}

/// <summary>
/// The raw GEMM shapes of W1 and W5 (<see cref="GemmShapes"/>), one thread (<see cref="Parallelism.MaxThreads"/> = 1),
/// operands in 64-byte-aligned native memory filled with standard-normal values. The GFLOP/s and % peak columns come
/// from <see cref="FlopsColumn"/>; the workload id is <c>GEMM</c>.
/// </summary>
[MemoryDiagnoser]
public unsafe class GEMM_Shapes
{
    private GemmShape _shape = null!;
    private float* _a, _b, _c, _bias;

    /// <summary>The shape's id (see <see cref="GemmShapes.All"/>).</summary>
    [ParamsSource(nameof(ShapeIds))]
    public string Shape { get; set; } = "";

    /// <summary>Every shape's id, in order.</summary>
    public static IEnumerable<string> ShapeIds => GemmShapes.All.Select(s => s.Id);

    /// <summary>Allocates and fills the operands and sets one kernel thread.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _shape = GemmShapes.Get(Shape);
        var s = _shape;
        _a = Allocate(BenchData.Normal(s.M * s.K, seed: 21));
        _b = Allocate(BenchData.Normal(s.K * s.N, seed: 22));
        _c = Allocate(new float[s.M * s.N]);
        _bias = Allocate(BenchData.Normal(s.N, seed: 23));
    }

    /// <summary>Frees the operands.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_a);
        NativeMemory.AlignedFree(_b);
        NativeMemory.AlignedFree(_c);
        NativeMemory.AlignedFree(_bias);
        _a = _b = _c = _bias = null;
    }

    /// <summary>One product of the shape, as the generated code calls it.</summary>
    [Benchmark]
    public void Kernel() => Run(_shape, _a, _b, _c, _bias);

    /// <summary>Runs one product of <paramref name="s"/> on operands laid out as <see cref="GemmShapes.All"/> says.</summary>
    /// <param name="s">The shape.</param>
    /// <param name="a">A: M·K floats.</param>
    /// <param name="b">B: K·N floats.</param>
    /// <param name="c">C: M·N floats, overwritten.</param>
    /// <param name="bias">The forward product's bias: N floats.</param>
    public static void Run(GemmShape s, float* a, float* b, float* c, float* bias)
    {
        ArgumentNullException.ThrowIfNull(s);
        switch (s.Kind)
        {
            case GemmKind.Forward:
                Gemm.DotNT(s.M, s.N, s.K, a, s.K, b, s.K, c, s.N, bias, accumulate: false);
                break;
            case GemmKind.WeightGradient:
                Gemm.Broadcast(s.M, s.N, s.K, a, 1, s.M, b, s.N, c, s.N, accumulate: false);
                break;
            case GemmKind.InputGradient:
                Gemm.Broadcast(s.M, s.N, s.K, a, s.K, 1, b, s.N, c, s.N, accumulate: false);
                break;
            default:
                throw new ArgumentException($"Unknown GEMM shape '{s.Id}'.", nameof(s));
        }
    }

    private static float* Allocate(float[] values)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(values.Length, 1) * sizeof(float)), 64);
        values.AsSpan().CopyTo(new Span<float>(p, values.Length));
        return p;
    }
}

/// <summary>
/// <c>--gemm-cputime</c>: the GEMM shapes timed by both clocks outside BenchmarkDotNet, for a shared machine where
/// wall-clock times move with every other process. Each shape runs in blocks of calls lasting about a quarter second
/// (quick: a tenth); per block, the time per call by <see cref="System.Diagnostics.Stopwatch"/> and by the thread's
/// CPU time (<see cref="Peak.ThreadCpuSeconds"/>). Same operands and thread count as <see cref="GEMM_Shapes"/>.
/// </summary>
public static class GemmCpuTime
{
    /// <summary>Times every shape and returns the JSON document <c>bench/compare.py</c> reads.</summary>
    /// <param name="quick">3 blocks of 0.1 s instead of 7 of 0.25 s.</param>
    /// <returns>The document, as nested dictionaries and lists.</returns>
    public static Dictionary<string, object?> Report(bool quick)
    {
        int blocks = quick ? 3 : 7;
        double seconds = quick ? 0.1 : 0.25;
        var rows = new List<Dictionary<string, object?>>();
        string loadBefore = Program.LoadAverage();
        foreach (var shape in GemmShapes.All)
        {
            var bench = new GEMM_Shapes { Shape = shape.Id };
            bench.Setup();
            try
            {
                var (wall, cpu) = Measure(bench, blocks, seconds);
                double Gflops(double secondsPerCall) => shape.Flops / secondsPerCall / 1e9;
                rows.Add(new Dictionary<string, object?>
                {
                    ["shape"] = shape.Id,
                    ["kernel"] = shape.Kernel,
                    ["m"] = shape.M,
                    ["n"] = shape.N,
                    ["k"] = shape.K,
                    ["flops"] = shape.Flops,
                    ["wall_ns_min"] = wall.Min() * 1e9,
                    ["wall_ns_median"] = Median(wall) * 1e9,
                    ["cpu_ns_min"] = cpu?.Min() * 1e9,
                    ["cpu_ns_median"] = cpu is null ? null : Median(cpu) * 1e9,
                    ["gflops_wall_best"] = Gflops(wall.Min()),
                    ["gflops_cpu_best"] = cpu is null ? null : Gflops(cpu.Min()),
                    ["gflops_cpu_median"] = cpu is null ? null : Gflops(Median(cpu)),
                });
                Console.Error.WriteLine(FormattableString.Invariant(
                    $"GEMM {shape.Id}: {Gflops(wall.Min()):F1} GFLOP/s by wall clock (best block)")
                    + (cpu is null ? "" : FormattableString.Invariant($", {Gflops(cpu.Min()):F1} by thread CPU time (median {Gflops(Median(cpu)):F1})")));
            }
            finally
            {
                bench.Cleanup();
            }
        }
        return new Dictionary<string, object?>
        {
            ["instruction_set"] = Peak.InstructionSet,
            ["threads"] = 1,
            ["blocks"] = blocks,
            ["seconds_per_block"] = seconds,
            ["thread_cpu_clock"] = Peak.HasThreadCpuClock,
            ["loadavg_before"] = loadBefore,
            ["loadavg_after"] = Program.LoadAverage(),
            ["results"] = rows,
        };
    }

    private static (List<double> Wall, List<double>? Cpu) Measure(GEMM_Shapes bench, int blocks, double seconds)
    {
        // Warm up (and JIT) for about a block, which also sizes the blocks.
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        int calls = 0;
        while (calls < 3 || System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds < seconds)
        {
            bench.Kernel();
            calls++;
        }
        int reps = Math.Max(1, (int)(calls * seconds / System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds));
        var wall = new List<double>();
        var cpu = Peak.HasThreadCpuClock ? new List<double>() : null;
        for (int b = 0; b < blocks; b++)
        {
            double? c0 = Peak.ThreadCpuSeconds();
            long w0 = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int r = 0; r < reps; r++) bench.Kernel();
            double w = System.Diagnostics.Stopwatch.GetElapsedTime(w0).TotalSeconds;
            double? c1 = Peak.ThreadCpuSeconds();
            wall.Add(w / reps);
            if (cpu is not null && c0 is double a && c1 is double z) cpu.Add((z - a) / reps);
        }
        return (wall, cpu);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
