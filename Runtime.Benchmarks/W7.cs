using System;
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Attributes;
using SourceGenNN.Kernels;
using SourceGenNN.Training;

namespace SourceGenNN.Benchmarks;

// W7, the recurrent workload, kept in one file: the network, its fixture, the two benchmarks and its --verify checks.
// There is no hand-written "plain" twin: the peers are PyTorch's nn.LSTM (bench/pytorch_peer.py) and, for
// correctness, the PyTorch values the tests compare with (Runtime.Tests/Training/PyTorchRecurrentParityTests.cs).

/// <summary>W7: a sequence classifier, LSTM(32→64, one layer) over 50 steps, then Linear(64→10) on the last step.</summary>
[Network(50, 32)]
[LSTM(64, Output = RecurrentOutput.LastStep)]
[Dense(10)]
public partial class LstmClassifier { }

/// <summary>W7's network, trainer (cross entropy, Adam lr 1e-3) and fixed data.</summary>
public sealed class W7Fixture
{
    /// <summary>Builds the fixture for a batch of <paramref name="batch"/> sequences.</summary>
    /// <param name="batch">16 for the train step, 1 for the forward pass.</param>
    public W7Fixture(int batch)
    {
        Batch = batch;
        Net = new LstmClassifier(Workloads.Seed);
        Trainer = new Trainer(Net, new CrossEntropy(), new Adam(Net, learningRate: 1e-3f));
        Input = BenchData.Normal(batch * LstmClassifier.InputSize, seed: 17);
        Targets = BenchData.Labels(batch, LstmClassifier.OutputSize, seed: 19);
        Output = new float[batch * LstmClassifier.OutputSize];
        Trainer.Reserve(batch);
        Net.Reserve(batch);
    }

    /// <summary>The generated network.</summary>
    public LstmClassifier Net { get; }

    /// <summary>The trainer of the train step.</summary>
    public Trainer Trainer { get; }

    /// <summary>The batch size.</summary>
    public int Batch { get; }

    /// <summary>[batch, 50, 32], standard normal.</summary>
    public float[] Input { get; }

    /// <summary>A class index per sequence.</summary>
    public float[] Targets { get; }

    /// <summary>The forward pass's output.</summary>
    public float[] Output { get; }

    /// <summary>One train step: zero the gradients, forward, cross entropy, backpropagation through time, Adam.</summary>
    /// <returns>The loss.</returns>
    public float Step() => Trainer.TrainStep(Input, Targets, Batch);

    /// <summary>The forward pass in evaluation mode.</summary>
    public void Forward() => Net.Forward(Input, Output, Batch, training: false);
}

/// <summary>W7: train step of the LSTM classifier at batch 16.</summary>
[MemoryDiagnoser]
public class W7_TrainLstm
{
    private W7Fixture _f = null!;

    /// <summary>The batch size (fixed).</summary>
    [Params(16)]
    public int Batch { get; set; }

    /// <summary>Builds the network and data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _f = new W7Fixture(Batch);
    }

    /// <summary>The generated network's step through <c>Trainer.TrainStep</c>.</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Generated() => _f.Step();
}

/// <summary>W7: forward (evaluation mode) of the LSTM classifier at batch 1.</summary>
[MemoryDiagnoser]
public class W7_ForwardLstm
{
    private W7Fixture _f = null!;

    /// <summary>The batch size (fixed).</summary>
    [Params(1)]
    public int Batch { get; set; }

    /// <summary>Builds the network and data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _f = new W7Fixture(Batch);
    }

    /// <summary>The generated network's forward pass.</summary>
    [Benchmark]
    public void Generated() => _f.Forward();
}

/// <summary>
/// W7's <c>--verify</c> checks: with no plain twin to agree with, they check what the benchmark relies on: a sample's
/// output is the same alone and in the training batch, training lowers the loss of the fixed batch, and neither the
/// train step nor the forward pass allocates once warm.
/// </summary>
public static class W7Verify
{
    /// <summary>Runs the checks, one line each.</summary>
    /// <returns>The number of failed checks.</returns>
    public static int Run()
    {
        int failures = 0;
        void Check(string what, bool ok)
        {
            Console.WriteLine((ok ? "  ok    " : "  FAIL  ") + what);
            if (!ok) failures++;
        }
        static string Fmt(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

        var train = new W7Fixture(16);
        var one = new W7Fixture(1);
        train.Forward();
        one.Forward();
        Console.WriteLine("  W7 batch 1: first outputs " + string.Join(" ", one.Output.Take(6).Select(v => Fmt(v))));
        Check("W7: the first sequence's output is the same alone and in a batch of 16 (bit for bit)",
            one.Output.AsSpan().SequenceEqual(train.Output.AsSpan(0, LstmClassifier.OutputSize)));

        float first = train.Step(), last = first;
        for (int k = 0; k < 30; k++) last = train.Step();
        Console.WriteLine($"  W7 batch 16: loss {Fmt(first)} before the first step, {Fmt(last)} after 30 more");
        Check("W7: training lowers the loss of the fixed batch", float.IsFinite(last) && last < first);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 3; k++) train.Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Check($"W7: train step allocates nothing ({allocated} bytes in 3 steps)", allocated == 0);
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 10; k++) one.Forward();
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Check($"W7: forward allocates nothing ({allocated} bytes in 10 calls)", allocated == 0);
        return failures;
    }
}
