using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SourceGenNN.Data;
using SourceGenNN.Training;
using Xunit;
using Xunit.Abstractions;

namespace SourceGenNN.Tests.Networks;

/// <summary>
/// The thread-safety contract: one instance runs one pass at a time, and a second thread entering gets an
/// <see cref="InvalidOperationException"/> instead of a race; <c>CloneForInference</c> gives each thread an instance of
/// its own that shares the weights.
/// </summary>
public class ConcurrencyTests(ITestOutputHelper output)
{
    private const int Batch = 64;

    private static float[] Inputs(int rows, int features, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, rows * features).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    private static float[] Expected(MnistMlp net, float[] x, int batch)
    {
        var y = new float[batch * MnistMlp.OutputSize];
        net.Forward(x, y, batch);
        return y;
    }

    [Fact]
    public void A_second_call_while_a_pass_runs_throws_and_names_the_fix()
    {
        // Deterministic: mark the instance busy as a pass in flight does, then enter.
        var net = new MnistMlp(1);
        var field = typeof(MnistMlp).GetField("_inUse", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;
        field.SetValue(net, 1);
        var x = new float[MnistMlp.InputSize];
        var y = new float[MnistMlp.OutputSize];
        var e = Assert.Throws<InvalidOperationException>(() => net.Forward(x, y));
        Assert.Contains("MnistMlp.Forward", e.Message);
        Assert.Contains("CloneForInference", e.Message);
        Assert.Throws<InvalidOperationException>(() => net.Backward(y));
        Assert.Throws<InvalidOperationException>(() => net.Reserve(4));
        Assert.Throws<InvalidOperationException>(() => net.Initialize(2));
        Assert.Throws<InvalidOperationException>(() => ((INetwork)net).Forward(x, y));
        field.SetValue(net, 0);
        net.Forward(x, y);
    }

    [Fact]
    public void A_call_that_throws_releases_the_instance()
    {
        var net = new MnistMlp(1);
        var y = new float[MnistMlp.OutputSize];
        Assert.Throws<ArgumentException>(() => net.Forward(new float[3], y));
        Assert.Throws<InvalidOperationException>(() => net.Backward(y)); // no training pass yet
        net.Forward(new float[MnistMlp.InputSize], y, training: true); // not left claimed
        net.Backward(y);
    }

    [Fact]
    public void Forward_from_four_threads_on_one_instance_is_caught_and_never_silently_wrong()
    {
        var net = new MnistMlp(3);
        // Each thread its own inputs: a pass that ran on another thread's activations would give another result.
        var xs = Enumerable.Range(0, 4).Select(k => Inputs(Batch, MnistMlp.InputSize, 5 + k)).ToArray();
        var expected = xs.Select(x => Expected(net, x, Batch)).ToArray();
        int calls = 0, detected = 0, wrong = 0;
        using var start = new Barrier(4);
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            var y = new float[Batch * MnistMlp.OutputSize];
            start.SignalAndWait();
            for (int i = 0; i < 300; i++)
            {
                Interlocked.Increment(ref calls);
                try
                {
                    net.Forward(xs[k], y, Batch);
                    if (!y.AsSpan().SequenceEqual(expected[k])) Interlocked.Increment(ref wrong);
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref detected);
                }
            }
        });
        output.WriteLine($"{calls} calls from 4 threads: {detected} refused, {wrong} wrong results");
        Assert.Equal(0, wrong);
        // With four threads looping on a 784-128-10 pass, some calls overlap (on one core too, through preemption).
        Assert.True(detected > 0, "no concurrent call was detected");
    }

    [Fact]
    public void Training_steps_from_two_threads_are_caught_and_never_silently_wrong()
    {
        var net = new MnistMlp(3);
        var x = Inputs(Batch, MnistMlp.InputSize, 6);
        var dy = Enumerable.Repeat(1f, Batch * MnistMlp.OutputSize).ToArray();
        // The gradient of one step, G, from an identical network. Both threads run the same step and nothing updates the
        // weights, so however completed calls interleave, the gradients end as (completed steps) × G; a pass that raced
        // another inside a call would leave something else.
        var single = new MnistMlp(3);
        var y0 = new float[Batch * MnistMlp.OutputSize];
        single.Forward(x, y0, Batch, training: true);
        single.Backward(dy);
        var g = single.Gradients.ToArray();

        net.ZeroGrad();
        int calls = 0, detected = 0, completed = 0;
        using var start = new Barrier(2);
        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, _ =>
        {
            var y = new float[Batch * MnistMlp.OutputSize];
            start.SignalAndWait();
            for (int i = 0; i < 300; i++)
            {
                Interlocked.Increment(ref calls);
                try
                {
                    net.Forward(x, y, Batch, training: true);
                    net.Backward(dy);
                    Interlocked.Increment(ref completed);
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref detected);
                }
            }
        });
        var grads = net.Gradients;
        int wrong = 0;
        for (int i = 0; i < g.Length; i++)
            if (Math.Abs(grads[i] - completed * g[i]) > 1e-3 * Math.Abs(completed * g[i]) + 1e-4) wrong++;
        output.WriteLine($"{calls} training steps from 2 threads: {detected} refused, {completed} completed, {wrong} wrong gradient elements");
        Assert.Equal(0, wrong);
        Assert.True(detected > 0, "no concurrent call was detected");
    }

    [Fact]
    public void Inference_clones_on_many_threads_give_the_originals_results_bit_for_bit()
    {
        var net = new MnistMlp(7);
        var inputs = Enumerable.Range(0, 8).Select(k => Inputs(Batch, MnistMlp.InputSize, 100 + k)).ToArray();
        var expected = inputs.Select(x => Expected(net, x, Batch)).ToArray();
        var results = new float[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k =>
        {
            var clone = net.CloneForInference();
            var y = new float[Batch * MnistMlp.OutputSize];
            for (int rep = 0; rep < 50; rep++) clone.Forward(inputs[k], y, Batch);
            results[k] = y;
        });
        for (int k = 0; k < 8; k++) Assert.Equal(expected[k], results[k]);
    }

    [Fact]
    public void A_clone_shares_the_weights_and_state_and_cannot_train()
    {
        var net = new NormNet(2);
        var x = Inputs(4, NormNet.InputSize, 9);
        var y = new float[4 * NormNet.OutputSize];
        net.Forward(x, y, 4, training: true); // moves BatchNorm's running statistics
        var clone = net.CloneForInference();
        Assert.True(clone.Parameters.Overlaps(net.Parameters) && clone.Parameters.Length == net.Parameters.Length);
        Assert.True(clone.Buffers.Overlaps(net.Buffers) && clone.Buffers.Length == net.Buffers.Length);
        Assert.Equal(0, clone.Gradients.Length);

        var a = new float[4 * NormNet.OutputSize];
        var b = new float[4 * NormNet.OutputSize];
        net.Forward(x, a, 4);
        clone.Forward(x, b, 4);
        Assert.Equal(a, b);

        // It sees later changes to the weights (no copy was made).
        net.Parameters[0] += 1;
        net.Forward(x, a, 4);
        clone.Forward(x, b, 4);
        Assert.Equal(a, b);

        Assert.Contains("CloneForInference", Assert.Throws<InvalidOperationException>(() => clone.Forward(x, b, 4, training: true)).Message);
        Assert.Throws<InvalidOperationException>(() => clone.Backward(b));
        Assert.Throws<InvalidOperationException>(() => clone.Initialize(1));
        Assert.Equal(a, b); // nothing changed by the refused calls
    }

    [Fact]
    public void A_two_input_clone_runs_the_packed_interface()
    {
        var net = new TwoInputNet(4);
        var x = Inputs(3, ((INetwork)net).InputSize, 11);
        var a = new float[3 * TwoInputNet.OutputSize];
        var b = new float[3 * TwoInputNet.OutputSize];
        ((INetwork)net).Forward(x, a, 3);
        ((INetwork)net.CloneForInference()).Forward(x, b, 3);
        Assert.Equal(a, b);
    }

    [Fact]
    public void A_trainer_used_from_two_threads_refuses_the_second_and_nested_calls_pass()
    {
        var net = new MnistMlp(5);
        var trainer = new Trainer(net, new CrossEntropy(), new Sgd(net, 0.01f));
        var x = Inputs(Batch, MnistMlp.InputSize, 12);
        var y = Enumerable.Range(0, Batch).Select(i => (float)(i % 10)).ToArray();
        // Deterministic: another thread holds the trainer.
        var owner = typeof(Trainer).GetField("_owner", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;
        owner.SetValue(trainer, -1);
        var e = Assert.Throws<InvalidOperationException>(() => trainer.TrainStep(x, y, Batch));
        Assert.Contains("Trainer.TrainStep", e.Message);
        Assert.Throws<InvalidOperationException>(() => trainer.Predict(x));
        Assert.Throws<InvalidOperationException>(() => trainer.Fit(new Dataset(x, y, MnistMlp.InputSize), new FitOptions { Epochs = 1 }));
        owner.SetValue(trainer, 0);
        // Fit reserves, evaluates and predicts inside itself: nested calls on the same thread pass.
        var history = trainer.Fit(new Dataset(x, y, MnistMlp.InputSize), new FitOptions { Epochs = 2, BatchSize = 16, ValidationSplit = 0.25, Progress = ProgressMode.None });
        Assert.Equal(2, history.Epochs.Count);

        // Two threads fitting at once: one of them is refused (or they happen not to overlap), never a silent race.
        int refused = 0;
        var data = new Dataset(Inputs(512, MnistMlp.InputSize, 13), Enumerable.Range(0, 512).Select(i => (float)(i % 10)).ToArray(), MnistMlp.InputSize);
        using var start = new Barrier(2);
        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, _ =>
        {
            start.SignalAndWait();
            try
            {
                trainer.Fit(data, new FitOptions { Epochs = 3, BatchSize = 32, Progress = ProgressMode.None });
            }
            catch (InvalidOperationException)
            {
                Interlocked.Increment(ref refused);
            }
        });
        output.WriteLine($"two threads fitting one trainer: {refused} refused");
        Assert.True(refused >= 1);
    }
}
