using System;
using System.Diagnostics;
using System.Globalization;
using SourceGenNN;
using SourceGenNN.Cuda;

namespace GpuCheck;

/// <summary>
/// Times training steps on the GPU: W1 (784-128-10, ReLU, batch 64, Adam, cross entropy) and W5 (1024-1024-1024-10,
/// ReLU, SGD momentum 0.9, batches 256 and 4096). Each step copies the batch from host memory through the pinned
/// staging buffers, as a trainer would. GpuCheck/torch_cuda_peer.py times the same in PyTorch.
/// </summary>
internal static class Bench
{
    public static int Run(CudaDevice gpu)
    {
        var w1 = CpuNetwork.Describe("W1", 784, ("Dense", 128, ""), ("ReLU", 0, ""), ("Dense", 10, ""));
        var w5 = CpuNetwork.Describe("W5", 1024, ("Dense", 1024, ""), ("ReLU", 0, ""), ("Dense", 1024, ""), ("ReLU", 0, ""), ("Dense", 10, ""));
        Console.WriteLine("workload, batch, graphs, ms/step (median of 5 runs), samples/s");
        foreach (bool graphs in new[] { true, false })
        {
            Time(gpu, "W1", w1, new(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-3f)), 64, graphs, steps: 500);
            Time(gpu, "W5", w5, new(CudaLoss.CrossEntropy, CudaOptimizer.Sgd(0.01f, momentum: 0.9f)), 256, graphs, steps: 200);
            Time(gpu, "W5", w5, new(CudaLoss.CrossEntropy, CudaOptimizer.Sgd(0.01f, momentum: 0.9f)), 4096, graphs, steps: 50);
        }
        return 0;
    }

    private static void Time(CudaDevice gpu, string name, NetworkDescription d, CudaTrainingOptions o, int batch, bool graphs, int steps)
    {
        var cpu = new CpuNetwork(d, seed: 1);
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
        for (int i = 0; i < 20; i++) net.TrainStep(xs[i % distinct], ys[i % distinct], batch); // warm-up (and capture)
        net.Synchronize();
        var runs = new double[5];
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
    }
}
