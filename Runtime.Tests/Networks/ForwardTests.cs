using System;
using System.Linq;
using SourceGenNN.Testing;
using Xunit;

namespace SourceGenNN.Tests.Networks;

/// <summary>Generated forward passes against the plain double-precision reference, on every layer kind.</summary>
public class ForwardTests
{
    internal static float[] RandomInput(int count, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((r.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    internal static void CheckAgainstReference(INetwork net, int batch, double tolerance)
    {
        var x = RandomInput(batch * net.InputSize, 7 + batch);
        var y = new float[batch * net.OutputSize];
        net.Forward(x, y, batch);
        var expected = new ReferenceNetwork(net).Evaluate(x.Select(v => (double)v).ToArray(), batch);
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"output {i}: {y[i]} vs reference {expected[i]}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Seed_network_matches_reference(int batch) => CheckAgainstReference(new SeedNet(seed: 3), batch, 1e-5);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Mnist_mlp_matches_reference(int batch) => CheckAgainstReference(new MnistMlp(seed: 1), batch, 1e-5);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Every_layer_kind_matches_reference(int batch) => CheckAgainstReference(new EveryLayerNet(seed: 5), batch, 1e-5);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Residual_network_matches_reference(int batch) => CheckAgainstReference(new ResidualNet(seed: 5), batch, 1e-5);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Two_input_network_matches_reference(int batch) => CheckAgainstReference(new TwoInputNet(seed: 5), batch, 1e-5);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Sequence_network_matches_reference(int batch) => CheckAgainstReference(new SequenceNet(seed: 5), batch, 1e-5);

    [Fact]
    public void Batch_norm_network_in_evaluation_matches_reference_with_its_running_statistics()
    {
        var net = new NormNet(seed: 5);
        // Non-trivial running statistics: a few training passes move them.
        var x = RandomInput(6 * 24, 3, scale: 2f);
        for (int i = 0; i < 3; i++) net.Forward(x, new float[6 * 2], 6, training: true);
        Assert.Contains(net.Buffers.ToArray(), v => v != 0f && v != 1f);
        CheckAgainstReference(net, 4, 1e-5);
    }

    [Fact]
    public void Batch_norm_training_pass_matches_reference_and_moves_the_running_statistics_the_same()
    {
        var net = new NormNet(seed: 6);
        var reference = new ReferenceNetwork(net);
        var x = RandomInput(5 * 24, 4, scale: 2f);
        var y = new float[5 * 2];
        var expected = new float[5 * 2];
        for (int i = 0; i < 3; i++)
        {
            net.Forward(x, y, 5, training: true);
            reference.Forward(x, expected, 5, training: true);
            for (int k = 0; k < y.Length; k++) Assert.True(Math.Abs(y[k] - expected[k]) <= 1e-5 * (1 + Math.Abs(expected[k])), $"pass {i}, output {k}: {y[k]} vs {expected[k]}");
        }
        var buffers = net.Buffers.ToArray();
        var want = reference.Buffers.ToArray();
        for (int k = 0; k < buffers.Length; k++) Assert.True(Math.Abs(buffers[k] - want[k]) <= 1e-5 * (1 + Math.Abs(want[k])), $"buffer {k}: {buffers[k]} vs {want[k]}");
        // num_batches_tracked of each BatchNorm counted the three passes.
        foreach (string layer in new[] { "0", "2", "5" })
            Assert.Equal(3f, net.Buffers[net.Description.FindBuffer(layer + ".num_batches_tracked")!.Offset]);
    }

    [Fact]
    public void Random_layers_in_evaluation_mode_match_reference() => CheckAgainstReference(new RandomLayersNet(seed: 2), 3, 1e-5);

    [Fact]
    public void Activation_first_network_matches_reference() => CheckAgainstReference(new ActivationFirstNet(seed: 2), 2, 1e-5);

    [Fact]
    public void Softmax_output_rows_sum_to_one()
    {
        var net = new SeedNet(seed: 11);
        var y = new float[5 * 2];
        net.Forward(RandomInput(15, 1, scale: 100f), y, 5);
        for (int n = 0; n < 5; n++) Assert.Equal(1.0, y[2 * n] + y[2 * n + 1], 6);
    }

    [Fact]
    public void Batch_forward_equals_one_sample_at_a_time()
    {
        var net = new EveryLayerNet(seed: 9);
        var x = RandomInput(6 * 7, 4);
        var batched = new float[6 * 5];
        net.Forward(x, batched, 6);
        var single = new float[5];
        for (int n = 0; n < 6; n++)
        {
            net.Forward(x.AsSpan(n * 7, 7), single);
            for (int o = 0; o < 5; o++) Assert.Equal(batched[n * 5 + o], single[o], 6);
        }
    }

    [Fact]
    public void Logits_are_the_input_of_the_final_softmax()
    {
        var net = new SeedNet(seed: 1);
        var x = RandomInput(3 * 3, 2);
        var y = new float[6];
        net.Forward(x, y, 3);
        var logits = net.Logits.ToArray();
        Assert.Equal(6, logits.Length);
        for (int n = 0; n < 3; n++)
        {
            double m = Math.Max(logits[2 * n], logits[2 * n + 1]);
            double e0 = Math.Exp(logits[2 * n] - m), e1 = Math.Exp(logits[2 * n + 1] - m);
            Assert.Equal(e0 / (e0 + e1), y[2 * n], 6);
        }
    }
}
