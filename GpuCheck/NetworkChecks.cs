using System;
using System.Collections.Generic;
using SourceGenNN;
using SourceGenNN.Cuda;
using SourceGenNN.Testing;

namespace GpuCheck;

/// <summary>Whole networks on the GPU against the double-precision reference: forward passes, gradients, training steps.</summary>
internal static class NetworkChecks
{
    /// <param name="Name">What the case covers.</param>
    /// <param name="Create">The network, from a seed.</param>
    /// <param name="Options">The loss and optimiser.</param>
    /// <param name="Batch">The batch size.</param>
    /// <param name="Fix">Rewrites the random inputs where they must hold something else (key lengths: whole numbers).</param>
    private sealed record Case(string Name, Func<ulong, INetwork> Create, CudaTrainingOptions Options, int Batch, Action<float[], int>? Fix = null);

    /// <summary>
    /// Sets the key-length input (at <paramref name="offset"/> in each packed sample) of every sample to a whole number in
    /// [0, <paramref name="keys"/>], every value appearing: 0 (no key: weights of 0) and all keys included.
    /// </summary>
    private static Action<float[], int> KeyLengths(int offset, int keys) => (x, batch) =>
    {
        int size = x.Length / batch;
        for (int n = 0; n < batch; n++) x[n * size + offset] = (n * 3 + 1) % (keys + 1);
    };

    private static IEnumerable<Case> Cases()
    {
        yield return new("Mlp 784-128-10 softmax, CE, Adam", s => new CheckMlp(s), new(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-3f)), 64);
        yield return new("Zoo (every element-wise kind), BCE, SGD Nesterov", s => new CheckZoo(s),
            new(CudaLoss.BinaryCrossEntropy, CudaOptimizer.Sgd(0.1f, momentum: 0.9f, weightDecay: 1e-3f, nesterov: true)), 37);
        yield return new("Regressor with mid-network softmax and shared PReLU, MSE, AdamW", s => new CheckRegressor(s),
            new(CudaLoss.MeanSquaredError, CudaOptimizer.AdamW(1e-2f)), 16);
        yield return new("Logit classifier without softmax layer, CE, SGD", s => new CheckLogits(s), new(CudaLoss.CrossEntropy, CudaOptimizer.Sgd(0.5f)), 300);
        yield return new("Residual MLP (Add, LayerNorm), MSE, Adam", s => new CheckResidual(s), new(CudaLoss.MeanSquaredError, CudaOptimizer.Adam(1e-2f)), 19);
        yield return new("Two inputs (Concat), CE, Adam", s => new CheckTwoInputs(s), new(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-2f)), 23);
        yield return new("Sequence [5, 6] (Dense per step, LayerNorm, softmax over time, Flatten), MSE, SGD momentum", s => new CheckSequence(s),
            new(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.1f, momentum: 0.5f)), 11);
        yield return new("Channels [3, 7] (per-channel PReLU, Reshape, LayerNorm over 2 dims and without affine), BCE, Adam", s => new CheckChannels(s),
            new(CudaLoss.BinaryCrossEntropy, CudaOptimizer.Adam(1e-2f)), 13);
        yield return new("BatchNorm2d and BatchNorm1d (running statistics), MSE, Adam", s => new CheckNorm(s),
            new(CudaLoss.MeanSquaredError, CudaOptimizer.Adam(1e-2f)), 17);
        yield return new("CNN (Conv2d, BatchNorm2d, MaxPool2d, Dropout2d, groups, global pooling), CE, Adam", s => new CheckCnn(s),
            new(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-2f)), 9);
        yield return new("Window kinds (ConvTranspose2d/1d, AvgPool2d/1d, AdaptiveAvgPool2d, Conv1d, MaxPool1d), MSE, SGD momentum", s => new CheckWindows(s),
            new(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.05f, momentum: 0.9f)), 6);
        yield return new("LSTM (stacked, bidirectional, dropout between layers, h_n of both directions), CE, Adam", s => new CheckLstm(s),
            new(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-2f)), 7);
        yield return new("GRU (bidirectional sequence, Dense per step, stacked without bias, last step), MSE, SGD momentum", s => new CheckGru(s),
            new(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.1f, momentum: 0.9f)), 9);
        yield return new("RNN (ReLU stacked, tanh bidirectional h_n, one step), BCE, AdamW", s => new CheckRnn(s),
            new(CudaLoss.BinaryCrossEntropy, CudaOptimizer.AdamW(1e-2f)), 5);
        // Attention with a key bias trains with SGD: the key bias's gradient is exactly 0 (softmax ignores a shift shared
        // by all keys, and q·b is one), and Adam would turn its rounding noise into steps of ±lr (as CheckNorm explains).
        yield return new("Self-attention (MultiheadAttention, biases, key lengths incl. 0) and Mean(1), CE, SGD momentum", s => new CheckSelfAttention(s),
            new(CudaLoss.CrossEntropy, CudaOptimizer.Sgd(0.1f, momentum: 0.9f)), 7, KeyLengths(5 * 8, 5));
        yield return new("Causal self-attention, 4 heads, no bias, attention dropout 0.2, MSE, Adam", s => new CheckCausalAttention(s),
            new(CudaLoss.MeanSquaredError, CudaOptimizer.Adam(1e-2f)), 5);
        yield return new("Cross-attention (second input, kdim 7, vdim 5, q/k/v_proj_weight), CE, SGD momentum", s => new CheckCrossAttention(s),
            new(CudaLoss.CrossEntropy, CudaOptimizer.Sgd(0.1f, momentum: 0.9f)), 6);
        yield return new("ScaledDotProductAttention (causal, key lengths, narrower values), MSE, SGD momentum", s => new CheckSdpa(s),
            new(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.1f, momentum: 0.9f)), 7, KeyLengths(5 * 6, 5));
        yield return new("ScaledDotProductAttention on one tensor as q, k and v, dropout 0.25, MSE, SGD", s => new CheckSdpaSelf(s),
            new(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.1f)), 5);
        yield return new("PositionalEmbedding, SinusoidalPositionalEncoding, Mean(-1, keepdim), MSE, Adam", s => new CheckPositional(s),
            new(CudaLoss.MeanSquaredError, CudaOptimizer.Adam(1e-2f)), 6);
        yield return new("TransformerEncoderLayer (post-norm, dropout 0.1, key lengths), CE, SGD momentum", s => new CheckEncoderPostNorm(s),
            new(CudaLoss.CrossEntropy, CudaOptimizer.Sgd(0.1f, momentum: 0.9f)), 5, KeyLengths(6 * 8, 6));
        yield return new("TransformerEncoderLayer (norm_first, GELU, causal, dropout 0.1), MSE, SGD weight decay", s => new CheckEncoderPreNorm(s),
            new(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.1f, weightDecay: 1e-2f)), 5);
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

    private static (float[] X, float[] Y) Data(Case c, INetwork net, int seed)
    {
        var r = new Random(seed);
        int outs = net.OutputSize;
        float[] x = Program.RandomArray(r, c.Batch * net.InputSize);
        c.Fix?.Invoke(x, c.Batch);
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
        var net = c.Create(3);
        // Running statistics away from their initial 0 and 1, so that evaluation reads real ones.
        for (int i = 0; i < net.Buffers.Length; i++) net.Buffers[i] = 0.5f + 0.25f * (i % 3);
        var reference = new ReferenceNetwork(net);
        using var gpuNet = CudaNetwork.Create(gpu, net, c.Options, c.Batch);
        var (x, _) = Data(c, net, 1);
        var expected = new float[c.Batch * net.OutputSize];
        var actual = new float[expected.Length];
        reference.Forward(x, expected, c.Batch);
        gpuNet.Forward(x, actual, c.Batch);
        return Program.Compare(actual, expected, "output");
    }

    private static string? Gradients(CudaDevice gpu, Case c)
    {
        var net = c.Create(4);
        var reference = new ReferenceNetwork(net) { RandomSeed = 17 };
        using var gpuNet = CudaNetwork.Create(gpu, net, c.Options, c.Batch);
        gpuNet.DropoutSeed = 17;
        var (x, y) = Data(c, net, 2);
        double expectedLoss = reference.TrainStep(null, x, y, c.Batch, c.Options.Loss);
        float loss = gpuNet.ComputeGradients(x, y, c.Batch);
        var g = new float[net.Description.ParameterCount];
        gpuNet.CopyGradientsTo(g);
        return Program.Compare([loss], [(float)expectedLoss], "loss") ?? Program.Compare(g, reference.Gradients, "gradients");
    }

    private static string? Train(CudaDevice gpu, Case c, bool graphs)
    {
        var net = c.Create(5);
        var reference = new ReferenceNetwork(net) { RandomSeed = 23 };
        var optimizer = new ReferenceOptimizer(c.Options.Optimizer!, net.Description.ParameterCount);
        using var gpuNet = CudaNetwork.Create(gpu, net, c.Options, c.Batch);
        gpuNet.DropoutSeed = 23;
        gpuNet.UseCudaGraphs = graphs;
        double expectedLoss = 0;
        for (int step = 0; step < 5; step++)
        {
            var (x, y) = Data(c, net, 100 + step);
            expectedLoss = reference.TrainStep(optimizer, x, y, c.Batch, c.Options.Loss);
            gpuNet.TrainStep(x, y, c.Batch);
        }
        float loss = gpuNet.ReadLoss();
        if (graphs && gpuNet.CapturedGraphs != 1) return $"expected 1 captured graph, found {gpuNet.CapturedGraphs}";
        if (gpuNet.Step != 5) return $"the device step counter is {gpuNet.Step}, expected 5";
        var copy = c.Create(999);
        gpuNet.CopyParametersTo(copy);
        return Program.Compare([loss], [(float)expectedLoss], "last loss") ?? Program.Compare(copy.Parameters, reference.Parameters, "parameters after 5 steps")
            ?? Program.Compare(copy.Buffers, reference.Buffers, "state buffers after 5 steps");
    }
}
