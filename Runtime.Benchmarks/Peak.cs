using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Threading;

namespace SourceGenNN.Benchmarks;

/// <summary>One timed run of the peak loop on one thread.</summary>
/// <param name="WallSeconds">Wall-clock seconds (<see cref="Stopwatch"/>).</param>
/// <param name="CpuSeconds">Seconds of CPU time the thread received (null where the thread CPU clock is unavailable).</param>
public sealed record PeakThreadRun(double WallSeconds, double? CpuSeconds);

/// <summary>The peak measured at one thread count: every run, and the best and median over them.</summary>
/// <param name="Threads">Threads running the loop at the same time.</param>
/// <param name="FlopsPerThread">Floating-point operations each thread does in one run.</param>
/// <param name="GflopsWall">Per run: all threads' flops over the wall time from the first start to the last end.</param>
/// <param name="GflopsCpu">Per run: the sum over threads of the thread's flops over its CPU time (null without a thread CPU clock).</param>
public sealed record PeakResult(int Threads, long FlopsPerThread, IReadOnlyList<double> GflopsWall, IReadOnlyList<double>? GflopsCpu)
{
    /// <summary>The highest wall-clock figure: the best the machine gave while other work shared it.</summary>
    public double BestWall => GflopsWall.Max();

    /// <summary>The highest thread-CPU-time figure (null without a thread CPU clock): what the core does while it runs the loop.</summary>
    public double? BestCpu => GflopsCpu?.Max();

    /// <summary>
    /// The figure other GFLOP/s are divided by: the best thread-CPU-time figure where there is a thread CPU clock (time
    /// the thread spent descheduled by other processes does not count against the hardware), else the best wall-clock one.
    /// </summary>
    public double Gflops => BestCpu ?? BestWall;
}

/// <summary>
/// The machine's measured peak: register-only loops of independent fused multiply-adds at the widest vector width the
/// runtime's kernels use (the same rule as <c>PackedGemm.Width</c>: 512 bits with AVX-512 when the JIT accelerates
/// <see cref="Vector512"/>, 256 with AVX2 and FMA, else 128, else scalar), compiled by the same JIT as the library.
/// Each thread keeps <see cref="Accumulators"/> independent accumulators (16 zmm, or 12 ymm/xmm/scalars), enough to
/// cover the FMA latency times its throughput on current x86 cores (4–5 cycles × 2 per cycle), and touches no memory
/// inside the loop. The accumulators converge to a fixed normal value (c ← c·a + b with a just below 1), so no run
/// meets denormals or infinities.
/// </summary>
public static partial class Peak
{
    private const int ClockThreadCpuTimeId = 3; // CLOCK_THREAD_CPUTIME_ID on Linux

    /// <summary>The vector width in bits used by the loop and by the runtime's GEMM kernels: 512, 256, 128, or 0 (scalar).</summary>
    public static int VectorBits { get; } =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? 512 :
        Vector256.IsHardwareAccelerated && Fma.IsSupported ? 256 :
        Vector128.IsHardwareAccelerated ? 128 : 0;

    /// <summary>The instruction set of the loop, as the benchmark table names it (e.g. "AVX-512 (512-bit)").</summary>
    public static string InstructionSet => VectorBits switch
    {
        512 => "AVX-512 (512-bit)",
        256 => "AVX2+FMA (256-bit)",
        128 when Fma.IsSupported => "FMA (128-bit)",
        128 when AdvSimd.IsSupported => "NEON (128-bit)",
        128 => "SSE, no FMA (128-bit)",
        _ => "scalar",
    };

    /// <summary>The operation counted: one fused multiply-add instruction, or a multiply and an add where there is no FMA.</summary>
    public static string Operation => VectorBits switch
    {
        512 => "vfmadd (Avx512F.FusedMultiplyAdd) on zmm",
        256 => "vfmadd (Fma.MultiplyAdd) on ymm",
        128 when Fma.IsSupported => "vfmadd (Fma.MultiplyAdd) on xmm",
        128 when AdvSimd.IsSupported => "fmla (AdvSimd.FusedMultiplyAdd)",
        128 => "mulps + addps",
        _ => "scalar multiply + add",
    };

    /// <summary>Float lanes per vector.</summary>
    public static int Lanes => VectorBits == 0 ? 1 : VectorBits / 32;

    /// <summary>Independent accumulators per thread: 16 at 512 bits (of 32 zmm), 12 otherwise (of 16 ymm/xmm).</summary>
    public static int Accumulators => VectorBits == 512 ? 16 : 12;

    /// <summary>Floating-point operations per loop iteration on one thread (2 per lane per multiply-add).</summary>
    public static long FlopsPerIteration => 2L * Lanes * Accumulators;

    /// <summary>Whether the thread CPU clock (<c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>, Linux) is available.</summary>
    public static bool HasThreadCpuClock { get; } = ProbeThreadCpuClock();

    // Read from fields so that the JIT cannot fold the loop's constants.
    private static float s_a = 0.9999f, s_b = 1e-3f;

    /// <summary>Measures the peak with <paramref name="threads"/> threads running the loop at once.</summary>
    /// <param name="threads">Threads (1 or more).</param>
    /// <param name="runs">Timed runs (the first starts after a calibration that also warms the core up).</param>
    /// <param name="seconds">About how long one run lasts.</param>
    /// <returns>Every run's figures.</returns>
    public static PeakResult Measure(int threads, int runs, double seconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        long iterations = Calibrate(seconds);
        var samples = new PeakThreadRun[threads, runs];
        var starts = new long[threads, runs];
        var ends = new long[threads, runs];
        using var barrier = new Barrier(threads);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                Loop(iterations / 16); // warm this thread's core up before the first timed run
                for (int r = 0; r < runs; r++)
                {
                    barrier.SignalAndWait();
                    double? cpu0 = ThreadCpuSeconds();
                    long t0 = Stopwatch.GetTimestamp();
                    Loop(iterations);
                    long t1 = Stopwatch.GetTimestamp();
                    double? cpu1 = ThreadCpuSeconds();
                    starts[id, r] = t0;
                    ends[id, r] = t1;
                    samples[id, r] = new PeakThreadRun((t1 - t0) / (double)Stopwatch.Frequency, cpu1 - cpu0);
                }
            }) { IsBackground = true, Name = $"peak-{id}" };
        }
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();

        long flops = iterations * FlopsPerIteration;
        var wall = new List<double>();
        var cpu = HasThreadCpuClock ? new List<double>() : null;
        for (int r = 0; r < runs; r++)
        {
            long first = long.MaxValue, last = long.MinValue;
            double cpuSum = 0;
            for (int t = 0; t < threads; t++)
            {
                first = Math.Min(first, starts[t, r]);
                last = Math.Max(last, ends[t, r]);
                if (samples[t, r].CpuSeconds is double c && c > 0) cpuSum += flops / c / 1e9;
            }
            wall.Add(threads * (double)flops / ((last - first) / (double)Stopwatch.Frequency) / 1e9);
            cpu?.Add(cpuSum);
        }
        return new PeakResult(threads, flops, wall, cpu);
    }

    /// <summary>Iterations of the loop that take about <paramref name="seconds"/> on this thread.</summary>
    private static long Calibrate(double seconds)
    {
        long iterations = 1 << 14;
        while (true)
        {
            long t0 = Stopwatch.GetTimestamp();
            Loop(iterations);
            double elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (elapsed > 0.02 || iterations > (1L << 40))
                return Math.Max(1, (long)(iterations * seconds / elapsed));
            iterations *= 4;
        }
    }

    /// <summary>Runs the loop of the width in use; returns a value that depends on every accumulator.</summary>
    private static float Loop(long iterations) => VectorBits switch
    {
        512 => Loop512(iterations, s_a, s_b),
        256 => Loop256(iterations, s_a, s_b),
        128 => Loop128(iterations, s_a, s_b),
        _ => LoopScalar(iterations, s_a, s_b),
    };

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop512(long iterations, float x, float y)
    {
        Vector512<float> a = Vector512.Create(x), b = Vector512.Create(y);
        Vector512<float> c0 = b, c1 = b + b, c2 = a, c3 = a + b, c4 = a + a, c5 = c3 + b, c6 = c4 + b, c7 = c4 + a;
        Vector512<float> c8 = c0 + c7, c9 = c1 + c7, c10 = c2 + c7, c11 = c3 + c7, c12 = c4 + c7, c13 = c5 + c7, c14 = c6 + c7, c15 = c7 + c7;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, a, b);
            c1 = Avx512F.FusedMultiplyAdd(c1, a, b);
            c2 = Avx512F.FusedMultiplyAdd(c2, a, b);
            c3 = Avx512F.FusedMultiplyAdd(c3, a, b);
            c4 = Avx512F.FusedMultiplyAdd(c4, a, b);
            c5 = Avx512F.FusedMultiplyAdd(c5, a, b);
            c6 = Avx512F.FusedMultiplyAdd(c6, a, b);
            c7 = Avx512F.FusedMultiplyAdd(c7, a, b);
            c8 = Avx512F.FusedMultiplyAdd(c8, a, b);
            c9 = Avx512F.FusedMultiplyAdd(c9, a, b);
            c10 = Avx512F.FusedMultiplyAdd(c10, a, b);
            c11 = Avx512F.FusedMultiplyAdd(c11, a, b);
            c12 = Avx512F.FusedMultiplyAdd(c12, a, b);
            c13 = Avx512F.FusedMultiplyAdd(c13, a, b);
            c14 = Avx512F.FusedMultiplyAdd(c14, a, b);
            c15 = Avx512F.FusedMultiplyAdd(c15, a, b);
        }
        return Vector512.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)) + ((c12 + c13) + (c14 + c15)));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop256(long iterations, float x, float y)
    {
        Vector256<float> a = Vector256.Create(x), b = Vector256.Create(y);
        Vector256<float> c0 = b, c1 = b + b, c2 = a, c3 = a + b, c4 = a + a, c5 = c3 + b;
        Vector256<float> c6 = c0 + c5, c7 = c1 + c5, c8 = c2 + c5, c9 = c3 + c5, c10 = c4 + c5, c11 = c5 + c5;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Fma.MultiplyAdd(c0, a, b);
            c1 = Fma.MultiplyAdd(c1, a, b);
            c2 = Fma.MultiplyAdd(c2, a, b);
            c3 = Fma.MultiplyAdd(c3, a, b);
            c4 = Fma.MultiplyAdd(c4, a, b);
            c5 = Fma.MultiplyAdd(c5, a, b);
            c6 = Fma.MultiplyAdd(c6, a, b);
            c7 = Fma.MultiplyAdd(c7, a, b);
            c8 = Fma.MultiplyAdd(c8, a, b);
            c9 = Fma.MultiplyAdd(c9, a, b);
            c10 = Fma.MultiplyAdd(c10, a, b);
            c11 = Fma.MultiplyAdd(c11, a, b);
        }
        return Vector256.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fma128(Vector128<float> c, Vector128<float> a, Vector128<float> b) =>
        Fma.IsSupported ? Fma.MultiplyAdd(c, a, b) : AdvSimd.IsSupported ? AdvSimd.FusedMultiplyAdd(b, c, a) : c * a + b;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop128(long iterations, float x, float y)
    {
        Vector128<float> a = Vector128.Create(x), b = Vector128.Create(y);
        Vector128<float> c0 = b, c1 = b + b, c2 = a, c3 = a + b, c4 = a + a, c5 = c3 + b;
        Vector128<float> c6 = c0 + c5, c7 = c1 + c5, c8 = c2 + c5, c9 = c3 + c5, c10 = c4 + c5, c11 = c5 + c5;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Fma128(c0, a, b);
            c1 = Fma128(c1, a, b);
            c2 = Fma128(c2, a, b);
            c3 = Fma128(c3, a, b);
            c4 = Fma128(c4, a, b);
            c5 = Fma128(c5, a, b);
            c6 = Fma128(c6, a, b);
            c7 = Fma128(c7, a, b);
            c8 = Fma128(c8, a, b);
            c9 = Fma128(c9, a, b);
            c10 = Fma128(c10, a, b);
            c11 = Fma128(c11, a, b);
        }
        return Vector128.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float LoopScalar(long iterations, float a, float b)
    {
        float c0 = b, c1 = b + b, c2 = a, c3 = a + b, c4 = a + a, c5 = c3 + b;
        float c6 = c0 + c5, c7 = c1 + c5, c8 = c2 + c5, c9 = c3 + c5, c10 = c4 + c5, c11 = c5 + c5;
        for (long i = 0; i < iterations; i++)
        {
            c0 = c0 * a + b;
            c1 = c1 * a + b;
            c2 = c2 * a + b;
            c3 = c3 * a + b;
            c4 = c4 * a + b;
            c5 = c5 * a + b;
            c6 = c6 * a + b;
            c7 = c7 * a + b;
            c8 = c8 * a + b;
            c9 = c9 * a + b;
            c10 = c10 * a + b;
            c11 = c11 * a + b;
        }
        return ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
    }

    /// <summary>This thread's CPU time in seconds, or null where the clock is unavailable.</summary>
    public static double? ThreadCpuSeconds()
    {
        if (!HasThreadCpuClock) return null;
        return ClockGetTime(ClockThreadCpuTimeId, out var ts) == 0 ? ts.Seconds + ts.Nanoseconds * 1e-9 : null;
    }

    private static bool ProbeThreadCpuClock()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return ClockGetTime(ClockThreadCpuTimeId, out _) == 0; }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out Timespec time);

    /// <summary>
    /// <c>--peak</c>: measures at each thread count and returns the JSON document that <c>bench/compare.py</c> reads
    /// (<c>instruction_set</c>, <c>vector_bits</c>, and per thread count <c>gflops</c>, the figure to divide by, with
    /// the best and median of both clocks and every run).
    /// </summary>
    /// <param name="threadCounts">Thread counts to measure (e.g. 1 and 2).</param>
    /// <param name="quick">3 runs of 0.1 s instead of 7 of 0.25 s.</param>
    /// <returns>The document, as nested dictionaries and lists.</returns>
    public static Dictionary<string, object?> Report(IReadOnlyList<int> threadCounts, bool quick)
    {
        ArgumentNullException.ThrowIfNull(threadCounts);
        int runs = quick ? 3 : 7;
        double seconds = quick ? 0.1 : 0.25;
        string loadBefore = Program.LoadAverage();
        var results = new List<Dictionary<string, object?>>();
        foreach (int threads in threadCounts)
        {
            var r = Measure(threads, runs, seconds);
            results.Add(new Dictionary<string, object?>
            {
                ["threads"] = threads,
                ["gflops"] = Round(r.Gflops),
                ["basis"] = r.BestCpu is null ? "wall clock (best run)" : "thread CPU time (best run)",
                ["gflops_wall_best"] = Round(r.BestWall),
                ["gflops_wall_median"] = Round(Median(r.GflopsWall)),
                ["gflops_cpu_best"] = r.BestCpu is double b ? Round(b) : null,
                ["gflops_cpu_median"] = r.GflopsCpu is null ? null : Round(Median(r.GflopsCpu)),
                ["gflops_wall_runs"] = r.GflopsWall.Select(Round).ToArray(),
                ["gflops_cpu_runs"] = r.GflopsCpu?.Select(Round).ToArray(),
                ["flops_per_thread_per_run"] = r.FlopsPerThread,
            });
            string line = string.Create(CultureInfo.InvariantCulture,
                $"peak, {threads} thread(s), {InstructionSet}: {r.Gflops:F1} GFLOP/s (wall clock best {r.BestWall:F1}, median {Median(r.GflopsWall):F1}");
            if (r.GflopsCpu is not null)
                line += string.Create(CultureInfo.InvariantCulture, $"; thread CPU time best {r.BestCpu:F1}, median {Median(r.GflopsCpu):F1}");
            Console.Error.WriteLine(line + ")");
        }
        return new Dictionary<string, object?>
        {
            ["instruction_set"] = InstructionSet,
            ["vector_bits"] = VectorBits,
            ["lanes"] = Lanes,
            ["accumulators"] = Accumulators,
            ["operation"] = Operation,
            ["flops_per_iteration"] = FlopsPerIteration,
            ["avx512f_supported"] = Avx512F.IsSupported,
            ["vector512_accelerated"] = Vector512.IsHardwareAccelerated,
            ["env"] = Environment.GetEnvironmentVariables().Keys.Cast<string>()
                .Where(k => k.StartsWith("DOTNET_Enable", StringComparison.Ordinal) || k == "DOTNET_PreferredVectorBitWidth")
                .OrderBy(k => k, StringComparer.Ordinal)
                .ToDictionary(k => k, k => Environment.GetEnvironmentVariable(k)),
            ["runs"] = runs,
            ["seconds_per_run"] = seconds,
            ["thread_cpu_clock"] = HasThreadCpuClock,
            ["processor_count"] = Environment.ProcessorCount,
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["loadavg_before"] = loadBefore,
            ["loadavg_after"] = Program.LoadAverage(),
            ["results"] = results,
        };
    }

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double Round(double v) => Math.Round(v, 2);
}
