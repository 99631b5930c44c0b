using System;
using System.Collections.Generic;
using SourceGenNN;
using SourceGenNN.Cuda;
using SourceGenNN.Testing;

namespace GpuCheck;

/// <summary>Whole networks on the GPU against <see cref="CpuNetwork"/>: forward passes, gradients, training steps.</summary>
internal static class NetworkChecks
{
    private sealed record Case(string Name, NetworkDescription Description, CudaTrainingOptions Options, int Batch);

    private static IEnumerable<Case> Cases()
    {
        yield return new("Mlp 784-128-10 softmax, CE, Adam", Descriptions.Build("Mlp", 784, ("Dense", 128, ""), ("ReLU", 0, ""), ("Dense", 10, ""), ("Softmax", 0, "")),
            new(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-3f)), 64);
        yield return new("Zoo (every layer kind), BCE, SGD Nesterov", Descriptions.Build("Zoo", 8,
                ("Dense", 16, ""), ("LeakyReLU", 0, "slope=0.2"), ("Dropout", 0, "p=0.25"), ("Dense", 16, ""), ("ELU", 0, "alpha=0.5"),
                ("Dense", 12, ""), ("GELU", 0, ""), ("PReLU", 0, "perFeature=true"), ("DenseNoBias", 12, ""), ("SiLU", 0, ""),
                ("RReLU", 0, "lower=0.1,upper=0.3"), ("Tanh", 0, ""), ("Identity", 0, ""), ("Dense", 3, ""), ("Sigmoid", 0, "")),
            new(CudaLoss.BinaryCrossEntropy, CudaOptimizer.Sgd(0.1f, momentum: 0.9f, weightDecay: 1e-3f, nesterov: true)), 37);
        yield return new("Regressor with mid-network softmax and shared PReLU, MSE, AdamW", Descriptions.Build("Reg", 5,
                ("Dense", 9, ""), ("Softmax", 0, ""), ("Dense", 7, ""), ("PReLU", 0, ""), ("Dense", 2, "")),
            new(CudaLoss.MeanSquaredError, CudaOptimizer.AdamW(1e-2f)), 16);
        yield return new("Logit classifier without softmax layer, CE, SGD", Descriptions.Build("Logits", 30, ("Dense", 20, ""), ("Tanh", 0, ""), ("Dense", 4, "")),
            new(CudaLoss.CrossEntropy, CudaOptimizer.Sgd(0.5f)), 300);
    }

    public static IEnumerable<(string, Func<string?>)> All(CudaDevice gpu)
    {
        foreach (var c in Cases())
        {
            yield return ($"forward (evaluation) {c.Name}", () => Forward(gpu, c));
            yield return ($"gradients {c.Name}", () => Gradients(gpu, c));
            yield return ($"5 training steps, eager {c.Name}", () => Train(gpu, c, graphs: false));
            yield return ($"5 training steps, CUDA graph {c.Name}", () => Train(gpu, c, graphs: true));
        }
    }

    private static (float[] X, float[] Y) Data(Case c, int seed)
    {
        var r = new Random(seed);
        int outs = c.Description.OutputSize;
        float[] x = Program.RandomArray(r, c.Batch * c.Description.InputSize);
        var y = new float[c.Batch * outs];
        for (int b = 0; b < c.Batch; b++)
        {
            if (c.Options.Loss == CudaLoss.CrossEntropy) y[b * outs + r.Next(outs)] = 1f;
            else
                for (int i = 0; i < outs; i++)
                    y[b * outs + i] = c.Options.Loss == CudaLoss.BinaryCrossEntropy ? r.Next(2) : (float)r.NextDouble();
        }
        return (x, y);
    }

    private static string? Forward(CudaDevice gpu, Case c)
    {
        var cpu = new CpuNetwork(c.Description, seed: 3);
        using var net = CudaNetwork.Create(gpu, cpu, c.Options, c.Batch);
        var (x, _) = Data(c, 1);
        var expected = new float[c.Batch * c.Description.OutputSize];
        var actual = new float[expected.Length];
        cpu.Forward(x, expected, c.Batch);
        net.Forward(x, actual, c.Batch);
        return Program.Compare(actual, expected, "output");
    }

    private static string? Gradients(CudaDevice gpu, Case c)
    {
        var cpu = new CpuNetwork(c.Description, seed: 4) { DropoutSeed = 17 };
        using var net = CudaNetwork.Create(gpu, cpu, c.Options, c.Batch);
        net.DropoutSeed = 17;
        var (x, y) = Data(c, 2);
        double cpuLoss = cpu.TrainStep(x, y, c.Batch, c.Options.Loss, optimizer: null);
        float gpuLoss = net.ComputeGradients(x, y, c.Batch);
        var g = new float[c.Description.ParameterCount];
        net.CopyGradientsTo(g);
        return Program.Compare([gpuLoss], [(float)cpuLoss], "loss") ?? Program.Compare(g, cpu.Gradients.ToArray(), "gradients");
    }

    private static string? Train(CudaDevice gpu, Case c, bool graphs)
    {
        var cpu = new CpuNetwork(c.Description, seed: 5) { DropoutSeed = 23 };
        using var net = CudaNetwork.Create(gpu, cpu, c.Options, c.Batch);
        net.DropoutSeed = 23;
        net.UseCudaGraphs = graphs;
        double cpuLoss = 0;
        for (int step = 0; step < 5; step++)
        {
            var (x, y) = Data(c, 100 + step);
            cpuLoss = cpu.TrainStep(x, y, c.Batch, c.Options.Loss, c.Options.Optimizer);
            net.TrainStep(x, y, c.Batch);
        }
        float gpuLoss = net.ReadLoss();
        if (graphs && net.CapturedGraphs != 1) return $"expected 1 captured graph, found {net.CapturedGraphs}";
        if (net.Step != 5) return $"the device step counter is {net.Step}, expected 5";
        var copy = new CpuNetwork(c.Description, seed: 999);
        net.CopyParametersTo(copy);
        return Program.Compare([gpuLoss], [(float)cpuLoss], "last loss") ?? Program.Compare(copy.Parameters, cpu.Parameters, "parameters after 5 steps");
    }
}
