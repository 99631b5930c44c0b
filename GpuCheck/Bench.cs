using System;
using System.Diagnostics;
using System.Globalization;
using SourceGenNN;
using SourceGenNN.Cuda;

namespace GpuCheck;

/// <summary>
/// Times training steps on the GPU: W1 (784-128-10, ReLU, batch 64, Adam, cross entropy) and W5 (1024-1024-1024-10,
/// ReLU, SGD momentum 0.9, batches 256 and 4096), W6 (the small CNN on [1, 28, 28], batch 32, Adam, cross entropy) and
/// W7 (LSTM(32→64) over 50 steps, then Linear(64→10) on the last step, batch 16, Adam, cross entropy).
/// Each step copies the batch from host memory through the pinned
/// staging buffers, as a trainer would. GpuCheck/torch_cuda_peer.py times the same in PyTorch.
/// </summary>
internal static class Bench
{
    /// <summary>
    /// Runs the timings. <paramref name="smoke"/> runs the same code on small networks for a few steps, to check the
    /// benchmark itself on the CUDA emulator (its times mean nothing). Returns 1 when a loss is not finite.
    /// </summary>
    public static int Run(CudaDevice gpu, bool smoke = false)
    {
        int wide = smoke ? 64 : 1024;
        Func<INetwork> w1 = () => new W1(1);
        Func<INetwork> w5 = smoke ? () => new W5Small(1) : () => new W5(1);
        (int Warm, int Runs, int Scale) plan = smoke ? (3, 1, 100) : (20, 5, 1);
        Console.WriteLine(smoke
            ? $"bench smoke test: W5 is {wide} wide and each timing runs a few steps; the times mean nothing"
            : "workload, batch, graphs, ms/step (median of 5 runs), samples/s");
        bool finite = true;
        foreach (bool graphs in new[] { true, false })
        {
            finite &= Time(gpu, "W1", w1, new(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-3f)), 64, graphs, 500 / plan.Scale, plan.Warm, plan.Runs);
            finite &= Time(gpu, "W5", w5, new(CudaLoss.CrossEntropy, CudaOptimizer.Sgd(0.01f, momentum: 0.9f)), smoke ? 32 : 256, graphs, 200 / plan.Scale, plan.Warm, plan.Runs);
            finite &= Time(gpu, "W5", w5, new(CudaLoss.CrossEntropy, CudaOptimizer.Sgd(0.01f, momentum: 0.9f)), smoke ? 256 : 4096, graphs, Math.Max(1, 50 / plan.Scale), plan.Warm, plan.Runs);
            finite &= Time(gpu, "W6", () => new W6(1), new(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-3f)), smoke ? 4 : 32, graphs, 500 / plan.Scale, plan.Warm, plan.Runs);
            finite &= Time(gpu, "W7", () => new W7(1), new(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-3f)), smoke ? 2 : 16, graphs, 500 / plan.Scale, plan.Warm, plan.Runs);
        }
        if (!finite) Console.WriteLine("FAIL a training loss is not finite");
        return finite ? 0 : 1;
    }

    private static bool Time(CudaDevice gpu, string name, Func<INetwork> create, CudaTrainingOptions o, int batch, bool graphs, int steps, int warm, int runCount)
    {
        var cpu = create();
        var d = cpu.Description;
        using var net = CudaNetwork.Create(gpu, cpu, o, batch);
        net.UseCudaGraphs = graphs;
        net.GraphBatchLimit = int.MaxValue;
        var r = new Random(1);
        const int distinct = 8;
        var xs = new float[distinct][];
        var ys = new float[distinct][];
        for (int k = 0; k < distinct; k++)
        {
            xs[k] = Program.RandomArray(r, batch * d.InputSize);
            ys[k] = new float[batch * d.OutputSize];
            for (int b = 0; b < batch; b++) ys[k][b * d.OutputSize + r.Next(d.OutputSize)] = 1f;
        }
        for (int i = 0; i < warm; i++) net.TrainStep(xs[i % distinct], ys[i % distinct], batch); // warm-up (and capture)
        net.Synchronize();
        var runs = new double[runCount];
        for (int run = 0; run < runs.Length; run++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++) net.TrainStep(xs[i % distinct], ys[i % distinct], batch);
            net.Synchronize();
            runs[run] = sw.Elapsed.TotalMilliseconds / steps;
        }
        Array.Sort(runs);
        double ms = runs[runs.Length / 2];
        float loss = net.ReadLoss();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}, {batch}, {(graphs ? "yes" : "no")}, {ms:F4}, {batch / ms * 1000:F0}  (loss {loss:F4})"));
        return float.IsFinite(loss);
    }
}
