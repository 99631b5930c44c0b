using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using SourceGenNN;
using SourceGenNN.Cuda;
using SourceGenNN.Kernels;

namespace GpuCheck;

/// <summary>
/// Checks the CUDA path against the CPU path on a GPU machine: SGEMM, each generated kernel, forward passes and
/// training steps (eager and CUDA-graph), and Trainer.Fit on the GPU against the CPU. Prints "GPU checks: N passed, M failed"; exits 0 when all pass, 1 on a
/// failure, 2 when there is no usable GPU and --require-gpu was given (otherwise 0, with the reason).
/// --bench times W1 and W5 training steps instead; --bench-smoke runs the same code small and short (for the CUDA
/// emulator). -v prints where the CUDA libraries came from.
/// </summary>
internal static class Program
{
    private const double Tolerance = 1e-3;
    private static int _passed, _failed;
    private static bool _verbose;

    private static int Main(string[] args)
    {
        bool requireGpu = args.Contains("--require-gpu");
        _verbose = args.Contains("-v") || args.Contains("--verbose");
        bool bench = args.Contains("--bench");
        bool benchSmoke = args.Contains("--bench-smoke");
        var unknown = args.Where(a => a is not ("--require-gpu" or "-v" or "--verbose" or "--bench" or "--bench-smoke" or "-h" or "--help")).ToArray();
        if (args.Contains("-h") || args.Contains("--help") || unknown.Length > 0)
        {
            if (unknown.Length > 0) Console.Error.WriteLine("unknown option(s): " + string.Join(' ', unknown));
            Console.WriteLine("usage: GpuCheck [--require-gpu] [-v] [--bench | --bench-smoke]");
            return unknown.Length > 0 ? 64 : 0;
        }

        string? reason = Cuda.UnavailableReason();
        if (_verbose)
        {
            Console.WriteLine("CUDA libraries:");
            foreach (string line in CudaLibraries.Log) Console.WriteLine("  " + line);
            if (CudaLibraries.Log.Count == 0) Console.WriteLine("  (none loaded)");
        }
        if (reason is not null)
        {
            Console.WriteLine("CUDA not available: " + reason);
            Console.WriteLine(requireGpu ? "GPU checks: 0 passed, 0 failed (no GPU, --require-gpu given)" : "GPU checks: skipped (no GPU)");
            return requireGpu ? 2 : 0;
        }

        using var gpu = CudaDevice.Open();
        Console.WriteLine("device: " + gpu.Describe());
        if (bench || benchSmoke) return Bench.Run(gpu, smoke: benchSmoke);

        Run("sgemm row-major (4 transpose cases)", () => CheckSgemm(gpu));
        KernelChecks? kernels = null;
        Run("NVRTC compile and load of the generated kernels", () =>
        {
            kernels = new KernelChecks(gpu);
            return null;
        });
        if (kernels is not null)
            foreach (var (name, check) in kernels.All()) Run(name, check);
        foreach (var (name, check) in NetworkChecks.All(gpu)) Run(name, check);
        foreach (var (name, check) in TrainerChecks.All(gpu)) Run(name, check);

        Console.WriteLine($"GPU checks: {_passed} passed, {_failed} failed");
        return _failed == 0 ? 0 : 1;
    }

    private static void Run(string name, Func<string?> check)
    {
        string? failure;
        try
        {
            failure = check();
        }
        catch (Exception e)
        {
            failure = e.GetType().Name + ": " + e.Message;
        }
        if (failure is null)
        {
            _passed++;
            Console.WriteLine("PASS " + name);
        }
        else
        {
            _failed++;
            Console.WriteLine("FAIL " + name + ": " + failure);
        }
    }

    /// <summary>Null when every element is within tolerance (|a − e| ≤ tol·(1 + |e|)); else the worst element.</summary>
    internal static string? Compare(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what, double tolerance = Tolerance)
    {
        if (actual.Length != expected.Length) return $"{what}: length {actual.Length}, expected {expected.Length}";
        double worst = 0;
        int at = -1;
        for (int i = 0; i < actual.Length; i++)
        {
            double err = Math.Abs((double)actual[i] - expected[i]) / (1 + Math.Abs((double)expected[i]));
            if (double.IsNaN(err) || err > worst)
            {
                worst = double.IsNaN(err) ? double.PositiveInfinity : err;
                at = i;
            }
        }
        if (worst <= tolerance) return null;
        return string.Create(CultureInfo.InvariantCulture, $"{what}: element {at} is {actual[at]}, expected {expected[at]} (relative error {worst:G3} > {tolerance:G3})");
    }

    internal static float[] RandomArray(Random r, int n, double scale = 1)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)((r.NextDouble() * 2 - 1) * scale);
        return a;
    }

    private static string? CheckSgemm(CudaDevice gpu)
    {
        var r = new Random(7);
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            int m = 37, n = 53, k = 129;
            float[] a = RandomArray(r, m * k), b = RandomArray(r, k * n), c0 = RandomArray(r, m * n);
            var expected = new float[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                        s += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                    expected[i * n + j] = (float)(0.5 * s + 2 * c0[i * n + j]);
                }
            using var da = new DeviceBuffer(a.Length);
            using var db = new DeviceBuffer(b.Length);
            using var dc = new DeviceBuffer(c0.Length);
            da.Upload(a);
            db.Upload(b);
            dc.Upload(c0);
            RowMajorGemm.Run(gpu, ta, tb, m, n, k, 0.5f, da.Pointer, db.Pointer, 2f, dc.Pointer);
            gpu.Synchronize();
            string? f = Compare(dc.ToArray(), expected, $"C = 0.5·op(A)·op(B) + 2·C, transA={ta}, transB={tb}");
            if (f is not null) return f;
        }
        return null;
    }

    internal static void Log(string line)
    {
        if (_verbose) Console.WriteLine("  " + line);
    }
}
