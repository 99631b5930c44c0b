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
        if (wanted("W7")) s_failures += W7Verify.Run();
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
