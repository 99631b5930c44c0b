using System;
using System.Globalization;
using System.Linq;
using SourceGenNN.Kernels;

namespace SourceGenNN.Benchmarks;

/// <summary>
/// <c>--verify</c>: checks that each plain version does the same work as the generated one. From the same initial
/// weights and data, forward workloads must give the same outputs, and training workloads the same loss at every step
/// and the same parameters after several steps (to float rounding). It also checks that a generated step or forward
/// call allocates nothing once warm.
/// </summary>
public static class Verify
{
    private static int s_failures;

    /// <summary>Runs every check and prints one line per check.</summary>
    /// <param name="wanted">Which workloads to check (W1…W5).</param>
    /// <returns>The number of failed checks.</returns>
    public static int Run(Func<string, bool> wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        s_failures = 0;
        Parallelism.MaxThreads = 1; // as the benchmarks run; W5 is checked at 2 threads as well
        if (wanted("W1")) Train("W1", Workloads.W1(), steps: 5);
        if (wanted("W2")) { Forward("W2 batch 1", Workloads.W2(1)); Forward("W2 batch 64", Workloads.W2(64)); }
        if (wanted("W3")) { Forward("W3 batch 1", Workloads.W3(1)); Forward("W3 batch 5", Workloads.W3(5)); }
        if (wanted("W4")) Train("W4", Workloads.W4(), steps: 5);
        if (wanted("W5"))
        {
            Train("W5", Workloads.W5(), steps: 3);
            Parallelism.MaxThreads = 2;
            try { Train("W5 (kernels on 2 threads)", Workloads.W5(), steps: 3); }
            finally { Parallelism.MaxThreads = 1; }
        }
        if (wanted("W5F")) Forward("W5F batch 256", Workloads.W5Forward(256));
        if (wanted("GEMM")) foreach (var shape in GemmShapes.All) Gemm(shape);
        OnnxRuntime(wanted);
        Console.WriteLine(s_failures == 0 ? "verify: all checks passed" : $"verify: {s_failures} check(s) FAILED");
        return s_failures;
    }

    private static void Forward<TNet>(string name, ForwardFixture<TNet> f) where TNet : INetwork
    {
        f.Net.Forward(f.Input, f.Output, f.Batch, training: false);
        f.Plain.Forward(f.Input, f.Batch, f.PlainOutput);
        double diff = MaxRelativeDifference(f.Output, f.PlainOutput, out double scale);
        Console.WriteLine($"  {name}: first outputs " + string.Join(" ", f.Output.Take(6).Select(v => Fmt(v))));
        Check($"{name}: outputs agree (max |Δ| / max |y| = {Fmt(diff)}, max |y| = {Fmt(scale)})", diff <= 1e-5);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 10; k++) f.Net.Forward(f.Input, f.Output, f.Batch, training: false);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Check($"{name}: generated forward allocates nothing ({allocated} bytes in 10 calls)", allocated == 0);
    }

    private static void Train<TNet>(string name, TrainFixture<TNet> f, int steps) where TNet : INetwork
    {
        double worstLoss = 0;
        for (int s = 0; s < steps; s++)
        {
            float generated = f.GeneratedStep();
            float plain = f.PlainStep();
            double rel = Math.Abs(generated - plain) / Math.Max(Math.Abs(plain), 1e-6);
            worstLoss = Math.Max(worstLoss, rel);
            if (s == 0) Console.WriteLine($"  {name}: first loss generated {Fmt(generated)}, plain {Fmt(plain)}");
        }
        Check($"{name}: losses agree over {steps} steps (max relative Δ = {Fmt(worstLoss)})", worstLoss <= 1e-4);

        // Parameters after the steps, tensor by tensor, relative to the tensor's largest value.
        var tensors = f.Net.Description.Parameters;
        var parameters = f.Net.Parameters;
        double worstParam = 0;
        for (int t = 0; t < tensors.Count; t++)
        {
            var generated = parameters.Slice(tensors[t].Offset, tensors[t].Length).ToArray();
            worstParam = Math.Max(worstParam, MaxRelativeDifference(generated, f.Plain.Tensors[t], out _));
        }
        Check($"{name}: parameters agree after {steps} steps (max |Δ| / max |p| per tensor = {Fmt(worstParam)})", worstParam <= 1e-4);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 3; k++) f.GeneratedStep();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Check($"{name}: generated train step allocates nothing ({allocated} bytes in 3 steps)", allocated == 0);
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 3; k++) f.PlainStep();
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Check($"{name}: plain train step allocates nothing ({allocated} bytes in 3 steps)", allocated == 0);
    }

    /// <summary>
    /// The ONNX Runtime peer computes what the generated network computes: for every exported model present in
    /// <see cref="OnnxModels.Directory"/>, ONNX Runtime's output on the benchmark's input must agree with the generated
    /// network's to 1e-5 of the largest output. Without models (CI: nothing has exported them) this is skipped with a
    /// line saying so; models exported from other weights than the benchmarks build now are skipped as stale.
    /// </summary>
    private static void OnnxRuntime(Func<string, bool> wanted)
    {
        var present = OnnxModels.Exported.Where(e => wanted(e.Workload))
            .SelectMany(e => e.Batches.Where(b => OnnxModels.Has(e.Workload, b)).Select(b => (e.Workload, Batch: b)))
            .ToList();
        if (present.Count == 0)
        {
            Console.WriteLine($"  skip  ONNX Runtime: no models in {OnnxModels.Directory} (to make them, {OnnxModels.HowToMake})");
            return;
        }
        foreach (var (workload, batch) in present)
        {
            string name = $"{workload} batch {batch}, ONNX Runtime";
            if (!OnnxModels.WeightsAreCurrent(workload))
            {
                Console.WriteLine($"  skip  {name}: {OnnxModels.WeightsOf(workload)} is missing or holds other weights than the benchmarks build now (stale export; {OnnxModels.HowToMake})");
                continue;
            }
            switch (workload)
            {
                case "W2": CompareOnnx(name, Workloads.W2(batch), OnnxModels.PathOf(workload, batch)); break;
                case "W3": CompareOnnx(name, Workloads.W3(batch), OnnxModels.PathOf(workload, batch)); break;
                default: CompareOnnx(name, Workloads.W5Forward(batch), OnnxModels.PathOf(workload, batch)); break;
            }
        }
    }

    private static void CompareOnnx<TNet>(string name, ForwardFixture<TNet> f, string model) where TNet : INetwork
    {
        f.Net.Forward(f.Input, f.Output, f.Batch, training: false);
        using var ort = new OrtForward(model, f.Input, f.Batch, f.Output.Length / f.Batch);
        ort.Run();
        double diff = MaxRelativeDifference(ort.Output, f.Output, out double scale);
        Console.WriteLine($"  {name}: first outputs " + string.Join(" ", ort.Output.Take(6).Select(v => Fmt(v))));
        Check($"{name}: outputs agree with the generated network's (max |Δ| / max |y| = {Fmt(diff)}, max |y| = {Fmt(scale)})", diff <= 1e-5);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 10; k++) ort.Run();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"  info  {name}: {allocated} managed bytes allocated in 10 bound runs");
    }

    /// <summary>
    /// The GEMM benchmark computes what its shape says: 256 sampled elements of C against a double-precision sum over the
    /// operands laid out as <see cref="GemmShapes.All"/> describes, each within 1e-4 of the sum of its terms' magnitudes;
    /// and a second (warm) call allocates nothing.
    /// </summary>
    private static unsafe void Gemm(GemmShape s)
    {
        float[] a = BenchData.Normal(s.M * s.K, seed: 21), b = BenchData.Normal(s.K * s.N, seed: 22), bias = BenchData.Normal(s.N, seed: 23);
        float[] c = new float[s.M * s.N];
        long allocated;
        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            GEMM_Shapes.Run(s, pa, pb, pc, pbias);
            long before = GC.GetAllocatedBytesForCurrentThread();
            GEMM_Shapes.Run(s, pa, pb, pc, pbias);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        var rng = new Random(5);
        double worst = 0;
        for (int sample = 0; sample < 256; sample++)
        {
            int m = rng.Next(s.M), n = rng.Next(s.N);
            double sum = s.Kind == GemmKind.Forward ? bias[n] : 0, magnitude = Math.Abs(sum);
            for (int k = 0; k < s.K; k++)
            {
                double term = s.Kind switch
                {
                    GemmKind.Forward => (double)a[m * s.K + k] * b[n * s.K + k],
                    GemmKind.WeightGradient => (double)a[k * s.M + m] * b[k * s.N + n],
                    _ => (double)a[m * s.K + k] * b[k * s.N + n],
                };
                sum += term;
                magnitude += Math.Abs(term);
            }
            worst = Math.Max(worst, Math.Abs(c[m * s.N + n] - sum) / Math.Max(magnitude, 1e-30));
        }
        Check($"GEMM {s.Kernel} {s.Id}: 256 sampled elements agree with a double-precision sum (max |Δ| / Σ|terms| = {Fmt(worst)})", worst <= 1e-4);
        Check($"GEMM {s.Kernel} {s.Id}: a warm call allocates nothing ({allocated} bytes)", allocated == 0);
    }

    private static double MaxRelativeDifference(float[] a, float[] b, out double scale)
    {
        if (a.Length != b.Length) throw new InvalidOperationException($"Lengths differ: {a.Length} and {b.Length}.");
        double diff = 0;
        scale = 0;
        for (int k = 0; k < a.Length; k++)
        {
            diff = Math.Max(diff, Math.Abs((double)a[k] - b[k]));
            scale = Math.Max(scale, Math.Abs((double)b[k]));
        }
        return diff / Math.Max(scale, 1e-30);
    }

    private static void Check(string what, bool ok)
    {
        Console.WriteLine((ok ? "  ok    " : "  FAIL  ") + what);
        if (!ok) s_failures++;
    }

    private static string Fmt(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
