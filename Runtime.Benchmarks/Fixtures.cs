using System;
using SourceGenNN.Benchmarks.Plain;
using SourceGenNN.Training;

namespace SourceGenNN.Benchmarks;

/// <summary>Deterministic benchmark data.</summary>
public static class BenchData
{
    /// <summary>Standard-normal floats (Box–Muller over <see cref="Random"/> with a fixed seed).</summary>
    /// <param name="count">How many.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>A new array.</returns>
    public static float[] Normal(int count, int seed)
    {
        var rng = new Random(seed);
        var values = new float[count];
        for (int k = 0; k < count; k++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            values[k] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }
        return values;
    }

    /// <summary>Uniform class indices in [0, classes), stored as floats.</summary>
    /// <param name="count">How many.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>A new array.</returns>
    public static float[] Labels(int count, int classes, int seed)
    {
        var rng = new Random(seed);
        var values = new float[count];
        for (int k = 0; k < count; k++) values[k] = rng.Next(classes);
        return values;
    }

    /// <summary>
    /// A plain network with the same layers as <paramref name="network"/> and a copy of its weights, read from the
    /// network's parameter tensors (PyTorch layout, [out, in]) in declaration order.
    /// </summary>
    /// <param name="network">The generated network to copy.</param>
    /// <param name="layers">The plain network's layers; must match the generated one's dense layers.</param>
    /// <returns>The plain network.</returns>
    public static PlainMlp PlainCopyOf(INetwork network, params (int Units, PlainActivation Activation)[] layers)
    {
        ArgumentNullException.ThrowIfNull(network);
        return CopyWeights(network, new PlainMlp(network.InputSize, layers));
    }

    /// <summary>Copies <paramref name="network"/>'s parameter tensors, in declaration order, into <paramref name="plain"/>'s.</summary>
    /// <typeparam name="TPlain">The plain network's type.</typeparam>
    /// <param name="network">The generated network to copy.</param>
    /// <param name="plain">A plain network with the same tensors (same order and sizes).</param>
    /// <returns><paramref name="plain"/>.</returns>
    public static TPlain CopyWeights<TPlain>(INetwork network, TPlain plain) where TPlain : IPlainNetwork
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plain);
        var tensors = network.Description.Parameters;
        if (tensors.Count != plain.Tensors.Length)
            throw new InvalidOperationException($"{network.Description.Name} has {tensors.Count} parameter tensors; the plain copy has {plain.Tensors.Length}.");
        var parameters = network.Parameters;
        for (int t = 0; t < tensors.Count; t++)
        {
            var target = plain.Tensors[t];
            if (tensors[t].Length != target.Length)
                throw new InvalidOperationException($"Tensor '{tensors[t].Name}' has {tensors[t].Length} values; the plain copy's tensor {t} has {target.Length}.");
            parameters.Slice(tensors[t].Offset, target.Length).CopyTo(target);
        }
        return plain;
    }
}

/// <summary>A forward-pass workload: a generated network, its plain twin with the same weights, and one input batch.</summary>
/// <typeparam name="TNet">The generated network's class.</typeparam>
public sealed class ForwardFixture<TNet> where TNet : INetwork
{
    /// <summary>Builds the fixture.</summary>
    /// <param name="net">The generated network.</param>
    /// <param name="batch">The batch size.</param>
    /// <param name="layers">The plain twin's layers.</param>
    public ForwardFixture(TNet net, int batch, params (int Units, PlainActivation Activation)[] layers)
        : this(net, batch, BenchData.PlainCopyOf(net, layers))
    {
    }

    /// <summary>Builds the fixture with a plain twin of another kind (its weights are copied from <paramref name="net"/>).</summary>
    /// <param name="net">The generated network.</param>
    /// <param name="batch">The batch size.</param>
    /// <param name="plain">The plain twin, with the generated network's tensors in order.</param>
    public ForwardFixture(TNet net, int batch, IPlainNetwork plain)
    {
        Net = net;
        Batch = batch;
        Plain = BenchData.CopyWeights(net, plain);
        Input = BenchData.Normal(batch * net.InputSize, seed: 7);
        Output = new float[batch * net.OutputSize];
        PlainOutput = new float[batch * net.OutputSize];
        Plain.Reserve(batch);
    }

    /// <summary>The generated network.</summary>
    public TNet Net { get; }

    /// <summary>The hand-written twin.</summary>
    public IPlainNetwork Plain { get; }

    /// <summary>The batch size.</summary>
    public int Batch { get; }

    /// <summary>The input batch.</summary>
    public float[] Input { get; }

    /// <summary>The generated network's output buffer.</summary>
    public float[] Output { get; }

    /// <summary>The plain network's output buffer.</summary>
    public float[] PlainOutput { get; }
}

/// <summary>
/// A training workload: a generated network with the library's <see cref="Trainer"/>, its plain twin with the same
/// weights and a hand-written optimiser of the same kind, and one fixed batch.
/// </summary>
/// <typeparam name="TNet">The generated network's class.</typeparam>
public sealed class TrainFixture<TNet> where TNet : INetwork
{
    private readonly float[] _plainOutput, _plainGradient;
    private readonly bool _binary;

    /// <summary>Builds the fixture.</summary>
    /// <param name="net">The generated network.</param>
    /// <param name="batch">The batch size.</param>
    /// <param name="loss">The library loss (cross entropy or binary cross entropy).</param>
    /// <param name="optimizer">The library optimiser for <paramref name="net"/>.</param>
    /// <param name="plainOptimizer">Makes the hand-written optimiser of the same kind and settings.</param>
    /// <param name="layers">The plain twin's layers.</param>
    public TrainFixture(TNet net, int batch, Loss loss, Optimizer optimizer, Func<IPlainNetwork, PlainOptimizer> plainOptimizer,
        params (int Units, PlainActivation Activation)[] layers)
        : this(net, batch, loss, optimizer, plainOptimizer, BenchData.PlainCopyOf(net, layers))
    {
    }

    /// <summary>Builds the fixture with a plain twin of another kind (its weights are copied from <paramref name="net"/>).</summary>
    /// <param name="net">The generated network.</param>
    /// <param name="batch">The batch size.</param>
    /// <param name="loss">The library loss (cross entropy or binary cross entropy).</param>
    /// <param name="optimizer">The library optimiser for <paramref name="net"/>.</param>
    /// <param name="plainOptimizer">Makes the hand-written optimiser of the same kind and settings.</param>
    /// <param name="plain">The plain twin, with the generated network's tensors in order.</param>
    public TrainFixture(TNet net, int batch, Loss loss, Optimizer optimizer, Func<IPlainNetwork, PlainOptimizer> plainOptimizer, IPlainNetwork plain)
    {
        ArgumentNullException.ThrowIfNull(plainOptimizer);
        Net = net;
        Batch = batch;
        Trainer = new Trainer(net, loss, optimizer);
        _binary = loss is BinaryCrossEntropy;
        Input = BenchData.Normal(batch * net.InputSize, seed: 11);
        Targets = _binary
            ? BenchData.Labels(batch * net.OutputSize, 2, seed: 13)
            : BenchData.Labels(batch, net.OutputSize, seed: 13);
        Plain = BenchData.CopyWeights(net, plain);
        PlainOptimizer = plainOptimizer(Plain);
        _plainOutput = new float[batch * net.OutputSize];
        _plainGradient = new float[batch * net.OutputSize];
        Trainer.Reserve(batch);
        Plain.Reserve(batch);
    }

    /// <summary>The generated network.</summary>
    public TNet Net { get; }

    /// <summary>The library trainer that runs the generated network's step.</summary>
    public Trainer Trainer { get; }

    /// <summary>The hand-written twin.</summary>
    public IPlainNetwork Plain { get; }

    /// <summary>The twin's optimiser.</summary>
    public PlainOptimizer PlainOptimizer { get; }

    /// <summary>The batch size.</summary>
    public int Batch { get; }

    /// <summary>The input batch.</summary>
    public float[] Input { get; }

    /// <summary>The targets: class indices for cross entropy, 0/1 per output for binary cross entropy.</summary>
    public float[] Targets { get; }

    /// <summary>One train step of the generated network through <see cref="Trainer.TrainStep"/>.</summary>
    /// <returns>The loss.</returns>
    public float GeneratedStep() => Trainer.TrainStep(Input, Targets, Batch);

    /// <summary>One hand-written train step of the plain twin.</summary>
    /// <returns>The loss.</returns>
    public float PlainStep() => _binary
        ? PlainTraining.BinaryCrossEntropyStep(Plain, PlainOptimizer, Input, Targets, Batch, _plainOutput, _plainGradient)
        : PlainTraining.CrossEntropyStep(Plain, PlainOptimizer, Input, Targets, Batch, _plainOutput, _plainGradient);
}

/// <summary>The five workloads, built the same way for the benchmarks and for <c>--verify</c>.</summary>
public static class Workloads
{
    /// <summary>Seed of every generated network's initial weights.</summary>
    public const ulong Seed = 42;

    /// <summary>W1: train step, 784-128(ReLU)-10, cross entropy, Adam lr 1e-3, batch 64.</summary>
    /// <returns>The fixture.</returns>
    public static TrainFixture<MnistMlp> W1()
    {
        var net = new MnistMlp(Seed);
        return new TrainFixture<MnistMlp>(net, 64, new CrossEntropy(), new Adam(net, learningRate: 1e-3f),
            p => new PlainAdam(p, 1e-3f), (128, PlainActivation.ReLU), (10, PlainActivation.None));
    }

    /// <summary>W2: forward (evaluation mode) of 784-128(ReLU)-10.</summary>
    /// <param name="batch">1 or 64.</param>
    /// <returns>The fixture.</returns>
    public static ForwardFixture<MnistMlp> W2(int batch) =>
        new(new MnistMlp(Seed), batch, (128, PlainActivation.ReLU), (10, PlainActivation.None));

    /// <summary>W3: forward (evaluation mode) of the course network 3-3(sigmoid)-2(ReLU)-2(softmax).</summary>
    /// <param name="batch">1 or 5.</param>
    /// <returns>The fixture.</returns>
    public static ForwardFixture<CourseNet> W3(int batch) =>
        new(new CourseNet(Seed), batch, (3, PlainActivation.Sigmoid), (2, PlainActivation.ReLU), (2, PlainActivation.Softmax));

    /// <summary>W4: train step, 20-64(ReLU)-32(ReLU)-1(sigmoid), binary cross entropy, Adam lr 1e-3, batch 32.</summary>
    /// <returns>The fixture.</returns>
    public static TrainFixture<BinaryNet> W4()
    {
        var net = new BinaryNet(Seed);
        return new TrainFixture<BinaryNet>(net, 32, new BinaryCrossEntropy(), new Adam(net, learningRate: 1e-3f),
            p => new PlainAdam(p, 1e-3f), (64, PlainActivation.ReLU), (32, PlainActivation.ReLU), (1, PlainActivation.Sigmoid));
    }

    /// <summary>W5: train step, 1024-1024(ReLU)-1024(ReLU)-10, cross entropy, SGD lr 0.01 momentum 0.9, batch 256.</summary>
    /// <returns>The fixture.</returns>
    public static TrainFixture<WideMlp> W5()
    {
        var net = new WideMlp(Seed);
        return new TrainFixture<WideMlp>(net, 256, new CrossEntropy(), new Sgd(net, learningRate: 0.01f, momentum: 0.9f),
            p => new PlainSgd(p, 0.01f, 0.9f), (1024, PlainActivation.ReLU), (1024, PlainActivation.ReLU), (10, PlainActivation.None));
    }

    /// <summary>W6: train step of the small CNN on [1, 28, 28], cross entropy, Adam lr 1e-3, batch 32.</summary>
    /// <returns>The fixture.</returns>
    public static TrainFixture<SmallCnn> W6Train()
    {
        var net = new SmallCnn(Seed);
        return new TrainFixture<SmallCnn>(net, 32, new CrossEntropy(), new Adam(net, learningRate: 1e-3f), p => new PlainAdam(p, 1e-3f), PlainW6());
    }

    /// <summary>W6: forward (evaluation mode) of the small CNN.</summary>
    /// <param name="batch">1.</param>
    /// <returns>The fixture.</returns>
    public static ForwardFixture<SmallCnn> W6Forward(int batch) => new(new SmallCnn(Seed), batch, PlainW6());

    private static PlainCnn PlainW6() => new(1, 28, 28, [8, 16], 10);

    /// <summary>
    /// Floating-point operations of one W6 forward pass per sample, counting the multiply-adds of the convolutions
    /// and the dense layer (2 each): conv1 8·9·28·28, conv2 16·72·14·14, dense 784·10.
    /// </summary>
    public const long W6ForwardFlopsPerSample = 2 * (8L * 9 * 28 * 28 + 16L * 72 * 14 * 14 + 784L * 10);

    /// <summary>
    /// Floating-point operations of one W6 train step at batch 32: forward, weight gradients (the same multiply-adds),
    /// and input gradients of conv2 and the dense layer (conv1's input gradient is not computed).
    /// </summary>
    public const long W6TrainFlops = 32 * (2 * W6ForwardFlopsPerSample + 2 * (16L * 72 * 14 * 14 + 784L * 10));

    /// <summary>W5's network forward (evaluation mode), batch 256: the forward half of a W5 step.</summary>
    /// <param name="batch">The batch size (256 in the suite).</param>
    /// <returns>The fixture.</returns>
    public static ForwardFixture<WideMlp> W5Forward(int batch) =>
        new(new WideMlp(Seed), batch, (1024, PlainActivation.ReLU), (1024, PlainActivation.ReLU), (10, PlainActivation.None));

    /// <summary>W8: the transformer's trainer (cross entropy, Adam lr 1e-3), an input batch and class indices.</summary>
    /// <param name="batch">The batch size (32 in the suite).</param>
    /// <returns>The trainer, reserved for <paramref name="batch"/>, the inputs and the targets.</returns>
    public static (Trainer Trainer, float[] Input, float[] Targets) W8(int batch)
    {
        var net = new TransformerW8(Seed);
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, learningRate: 1e-3f));
        trainer.Reserve(batch);
        return (trainer, BenchData.Normal(batch * TransformerW8.InputSize, seed: 11), BenchData.Labels(batch, TransformerW8.OutputSize, seed: 13));
    }

    /// <summary>Floating-point operations of one W5 forward pass at batch 256: 2·(forward MACs).</summary>
    public static long W5ForwardFlops => 2 * 256 * (1024L * 1024 + 1024L * 1024 + 1024L * 10);

    /// <summary>
    /// Floating-point operations of one W5 step, as counted in docs/benchmarks.md: 2·(forward MACs) + 2·(weight-gradient
    /// MACs) + 2·(input-gradient MACs of layers 2 and 3; layer 1's input gradient is not computed).
    /// </summary>
    public static long W5Flops
    {
        get
        {
            const long batch = 256;
            long forward = batch * (1024L * 1024 + 1024L * 1024 + 1024L * 10);
            long weightGrad = forward;
            long inputGrad = batch * (1024L * 1024 + 1024L * 10);
            return 2 * (forward + weightGrad + inputGrad);
        }
    }
}
