using System;
using System.Collections.Generic;
using System.Linq;
using SourceGenNN.Kernels;
using SourceGenNN.Testing;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Networks;

/// <summary>
/// The attention kinds (MultiheadAttention self, causal and cross, ScaledDotProductAttention, the positional tables, Mean,
/// and TransformerEncoderLayer's parts): forward against the double-precision reference, backward against central
/// finite differences of the reference (every parameter and every input, both inputs of cross-attention, through the
/// masks and the dropout draws), the masks' meaning, the weights readable after a pass, and extreme scores.
/// </summary>
public class AttentionTests
{
    /// <summary>
    /// Packed inputs with random sequences and, for an input of shape [1] (the key lengths), a whole number of valid keys
    /// per sample: <paramref name="lengths"/>[n] when given, else the full length.
    /// </summary>
    internal static float[] Inputs(INetwork net, int batch, int seed, int[]? lengths = null, float scale = 1f)
    {
        var x = ForwardTests.RandomInput(batch * net.InputSize, seed, scale);
        int at = 0;
        foreach (var input in net.Description.Inputs)
        {
            if (input.Shape.Count == 1 && input.Shape[0] == 1)
                for (int n = 0; n < batch; n++)
                    x[n * net.InputSize + at] = lengths?[n % lengths.Length] ?? KeysOf(net, input.Name);
            at += input.Size;
        }
        return x;
    }

    /// <summary>The key positions of the attention layer that reads <paramref name="lengths"/>.</summary>
    private static int KeysOf(INetwork net, string lengths)
    {
        var layer = net.Description.Layers.First(l => l.Inputs.Contains(lengths));
        return layer.InputShapes[layer.Int("key")][0];
    }

    /// <summary>Which packed elements are key lengths (not differentiable).</summary>
    private static bool[] LengthElements(INetwork net)
    {
        var isLength = new bool[net.InputSize];
        int at = 0;
        foreach (var input in net.Description.Inputs)
        {
            if (input.Shape.Count == 1 && input.Shape[0] == 1) isLength[at] = true;
            at += input.Size;
        }
        return isLength;
    }

    private static void CheckForward(INetwork net, int batch, int[]? lengths = null, double tolerance = 1e-5)
    {
        var x = Inputs(net, batch, 7 + batch, lengths);
        var y = new float[batch * net.OutputSize];
        net.Forward(x, y, batch);
        var expected = new ReferenceNetwork(net).Evaluate(x.Select(v => (double)v).ToArray(), batch);
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"output {i}: {y[i]} vs reference {expected[i]}");
    }

    /// <summary>
    /// Backward against central differences of the reference, in the forward pass's mode: a training pass (dropout) is
    /// replayed with the same draws (the step before the network's <see cref="IRandomStream.RandomStep"/>).
    /// </summary>
    private static void CheckGradients(INetwork net, int batch, int seed, int[]? lengths = null, bool training = false)
    {
        var x = Inputs(net, batch, seed, lengths);
        var r = ForwardTests.RandomInput(batch * net.OutputSize, seed + 1);
        var pass = FiniteDifferences.Run(net, x, r, batch, referenceTraining: training);
        FiniteDifferences.AssertMatch(pass.Parameters, pass.Gradients, pass.Loss, k => $"d/d{FiniteDifferences.ParameterAt(net, k)}[{k}]");
        var isLength = LengthElements(net);
        for (int k = 0; k < pass.Input.Length; k++)
            if (isLength[k % net.InputSize]) Assert.Equal(0f, pass.InputGradient[k]); // counts: no gradient
        FiniteDifferences.AssertMatch(pass.Input, pass.InputGradient, pass.Loss, k => $"d/dx[{k}]", include: k => !isLength[k % net.InputSize]);
        Assert.Contains(pass.Gradients, g => g != 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Self_attention_matches_reference(int batch) => CheckForward(new SelfAttentionNet(seed: 3), batch);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Causal_masked_attention_matches_reference(int batch) => CheckForward(new CausalMaskedAttentionNet(seed: 3), batch, lengths: [4, 6, 1]);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Cross_attention_matches_reference(int batch) => CheckForward(new CrossAttentionNet(seed: 3), batch);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Packed_cross_attention_with_key_lengths_matches_reference(int batch) => CheckForward(new PackedCrossAttentionNet(seed: 3), batch, lengths: [2, 5, 3]);

    [Fact]
    public void Scaled_dot_product_attention_matches_reference() => CheckForward(new SdpaNet(seed: 3), 3);

    [Fact]
    public void Encoder_layers_match_reference() => CheckForward(new EncoderNet(seed: 3), 3);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Self_attention_backward_matches_finite_differences(int batch) => CheckGradients(new SelfAttentionNet(seed: 4), batch, 10);

    [Fact]
    public void Causal_masked_attention_backward_matches_finite_differences() => CheckGradients(new CausalMaskedAttentionNet(seed: 4), 3, 20, lengths: [4, 6, 2]);

    [Fact]
    public void Cross_attention_backward_matches_finite_differences_for_both_inputs() => CheckGradients(new CrossAttentionNet(seed: 4), 2, 30);

    [Fact]
    public void Packed_cross_attention_backward_with_dropout_and_key_lengths_matches_finite_differences() =>
        CheckGradients(new PackedCrossAttentionNet(seed: 4), 3, 40, lengths: [5, 2, 4], training: true);

    [Fact]
    public void Scaled_dot_product_attention_backward_matches_finite_differences() => CheckGradients(new SdpaNet(seed: 4), 2, 50);

    [Fact]
    public void Encoder_layers_backward_with_dropout_matches_finite_differences() => CheckGradients(new EncoderNet(seed: 4), 2, 60, training: true);

    [Fact]
    public void Encoder_layer_declares_pytorchs_submodules_and_parameter_names()
    {
        var d = new EncoderNet().Description;
        string[] postNorm = ["enc.self_attn", "enc.add1", "enc.norm1", "enc.linear1", "enc.activation", "enc.linear2", "enc.add2", "enc.norm2"];
        string[] preNorm = ["1.norm1", "1.self_attn", "1.dropout1", "1.add1", "1.norm2", "1.linear1", "1.activation", "1.dropout", "1.linear2", "1.dropout2", "1.add2"];
        Assert.Equal(postNorm.Concat(preNorm).Append("2").Append("3"), d.Layers.Select(l => l.Name));
        Assert.Equal(["enc.self_attn.in_proj_weight", "enc.self_attn.in_proj_bias", "enc.self_attn.out_proj.weight", "enc.self_attn.out_proj.bias"],
            d.Parameters.Select(p => p.Name).Where(n => n.StartsWith("enc.self_attn", StringComparison.Ordinal)));
        foreach (var name in new[] { "enc.linear1.weight", "enc.linear1.bias", "enc.linear2.weight", "enc.linear2.bias", "enc.norm1.weight", "enc.norm1.bias", "enc.norm2.weight", "enc.norm2.bias", "1.norm2.bias", "3.weight" })
            Assert.NotNull(d.FindParameter(name));
        Assert.Equal([24, 8], d.FindParameter("enc.self_attn.in_proj_weight")!.Shape);
        Assert.Equal([12, 8], d.FindParameter("enc.linear1.weight")!.Shape);
        Assert.Equal(LayerKindNames.GELU, d.FindLayer("1.activation")!.Kind);
        Assert.Equal(0.2, d.FindLayer("1.self_attn")!.Double("dropout"));
        // The pre-norm block's output is its second residual sum; the Mean reads it.
        Assert.Equal(["1.add2"], d.FindLayer("2")!.Inputs);
    }

    [Fact]
    public void Attention_weights_of_the_last_pass_are_readable_and_masked()
    {
        var net = new CausalMaskedAttentionNet(seed: 5);
        const int batch = 3, heads = 2, T = 6;
        int[] lengths = [4, 6, 1];
        var x = Inputs(net, batch, 3, lengths);
        ((INetwork)net).Forward(x, new float[batch * 3], batch);
        Assert.Equal([heads, T, T], CausalMaskedAttentionNet.Layer1AttentionShape.ToArray());
        var w = net.Layer1AttentionWeights;
        Assert.Equal(batch * heads * T * T, w.Length);
        for (int n = 0; n < batch; n++)
            for (int h = 0; h < heads; h++)
                for (int t = 0; t < T; t++)
                {
                    var row = w.Slice(((n * heads + h) * T + t) * T, T);
                    int valid = Math.Min(lengths[n], t + 1);
                    double sum = 0;
                    for (int s = 0; s < T; s++)
                    {
                        if (s >= valid) Assert.Equal(0f, row[s]); // causal and padding: exactly 0
                        else Assert.True(row[s] > 0);
                        sum += row[s];
                    }
                    Assert.Equal(1.0, sum, 5);
                }
    }

    [Fact]
    public void Attention_weights_are_found_by_layer_name()
    {
        var net = new EncoderNet(seed: 5);
        ((INetwork)net).Forward(ForwardTests.RandomInput(2 * 40, 3), new float[2 * ((INetwork)net).OutputSize], 2);
        foreach (var name in new[] { "enc.self_attn", "1.self_attn" })
        {
            var w = net.AttentionWeights(name);
            var shape = EncoderNet.AttentionShape(name);
            Assert.Equal(2 * shape[0] * shape[1] * shape[2], w.Length);
            for (int row = 0; row < w.Length / shape[2]; row++)
            {
                double sum = 0;
                foreach (float v in w.Slice(row * shape[2], shape[2])) sum += v;
                Assert.Equal(1.0, sum, 5);
            }
        }
        Assert.Equal(net.Layer0AttentionWeights.ToArray(), net.AttentionWeights("enc.self_attn").ToArray());
        var e = Assert.Throws<ArgumentException>(() => net.AttentionWeights("enc"));
        Assert.Contains("'enc.self_attn', '1.self_attn'", e.Message);
    }

    [Fact]
    public void Layer_outputs_of_an_encoder_are_its_submodules_outputs()
    {
        INetwork net = new EncoderNet(seed: 5);
        const int batch = 2;
        var y = new float[batch * net.OutputSize];
        net.Forward(ForwardTests.RandomInput(batch * net.InputSize, 4), y, batch);
        var layers = net.Description.Layers;
        for (int i = 0; i < layers.Count; i++) Assert.Equal(batch * layers[i].OutputSize, net.LayerOutput(i).Length);
        Assert.Equal(y, net.LayerOutput(layers.Count - 1).ToArray());
        // The mean over the tokens is the mean of the second encoder layer's output (the layer before it).
        int pool = layers.Count - 2;
        var tokens = net.LayerOutput(pool - 1).ToArray();
        var pooled = net.LayerOutput(pool).ToArray();
        for (int n = 0; n < batch; n++)
            for (int e = 0; e < 8; e++)
            {
                double sum = 0;
                for (int t = 0; t < 5; t++) sum += tokens[(n * 5 + t) * 8 + e];
                Assert.Equal(sum / 5, pooled[n * 8 + e], 5);
            }
    }

    [Fact]
    public void Padded_keys_and_future_positions_do_not_change_the_output()
    {
        // Cross-attention with 3 valid memory positions: changing positions 3 and 4 of the memory changes nothing.
        INetwork net = new PackedCrossAttentionNet(seed: 6);
        var x = Inputs(net, 1, 8, lengths: [3]);
        var y0 = new float[net.OutputSize];
        net.Forward(x, y0);
        int memory = 3 * 8;
        for (int i = memory + 3 * 6; i < memory + 5 * 6; i++) x[i] += 5f;
        var y1 = new float[net.OutputSize];
        net.Forward(x, y1);
        Assert.Equal(y0, y1);
        x[memory] += 1f; // a valid position does change it
        net.Forward(x, y1);
        Assert.NotEqual(y0, y1);

        // Causal SDPA: the attention output at position t depends on positions 0..t only.
        var sdpa = new SdpaNet(seed: 6);
        var xs = ForwardTests.RandomInput(30, 9);
        sdpa.Forward(xs, new float[2]);
        var before = sdpa.Layer2AttentionWeights.ToArray();
        for (int i = 24; i < 30; i++) xs[i] += 3f; // the last position
        sdpa.Forward(xs, new float[2]);
        var after = sdpa.Layer2AttentionWeights.ToArray();
        for (int h = 0; h < 2; h++)
            for (int t = 0; t < 4; t++)
                for (int s = 0; s < 5; s++)
                    Assert.Equal(before[(h * 5 + t) * 5 + s], after[(h * 5 + t) * 5 + s]);
    }

    [Fact]
    public void A_sample_without_valid_keys_gets_zero_weights_and_finite_output()
    {
        var concrete = new PackedCrossAttentionNet(seed: 7);
        INetwork net = concrete;
        var x = Inputs(net, 2, 9, lengths: [0, 5]);
        var y = new float[2 * net.OutputSize];
        net.Forward(x, y, 2, training: true);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        Assert.All(concrete.Layer2AttentionWeights.Slice(0, 4 * 3 * 5).ToArray(), v => Assert.Equal(0f, v));
        var dx = new float[x.Length];
        net.Backward(ForwardTests.RandomInput(y.Length, 1), dx);
        Assert.All(net.Gradients.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.All(dx, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(2.5f)]
    [InlineData(6f)]
    [InlineData(float.NaN)]
    public void A_key_length_that_is_not_a_count_of_keys_is_refused(float length)
    {
        INetwork net = new PackedCrossAttentionNet(seed: 7);
        var x = Inputs(net, 1, 9, lengths: [3]);
        x[net.InputSize - 1] = length;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.Forward(x, new float[net.OutputSize]));
        Assert.Contains("[0, 5]", e.Message);
    }

    [Fact]
    public void Scores_of_plus_minus_ten_thousand_give_finite_weights_and_gradients()
    {
        // One head, 4 queries and 4 keys of 2 features: q·k reaches ±2e4·√2 before the scale.
        var shape = new AttentionShape(heads: 1, queries: 4, keys: 4, headDim: 2, valueDim: 2, causal: false);
        float[] q = [1e4f, 0, -1e4f, 0, 0, 1e4f, 1e4f, -1e4f];
        float[] k = [1, 0, -1, 0, 0, 1, 0.5f, 1];
        float[] v = [1, 2, 3, 4, 5, 6, 7, 8];
        var weights = new float[16];
        var context = new float[8];
        Attention.Forward(q, 2, k, 2, v, 2, default, weights, context, 2, 1, shape);
        Assert.All(weights, w => Assert.True(float.IsFinite(w) && w >= 0 && w <= 1));
        Assert.All(context, c => Assert.True(float.IsFinite(c)));
        Assert.Equal(1f, weights[0]); // query 0 picks key 0
        var dq = new float[8];
        var dk = new float[8];
        var dv = new float[8];
        Attention.Backward(q, 2, k, 2, v, 2, default, weights, default, Enumerable.Repeat(1f, 8).ToArray(), 2, dq, 2, dk, 2, dv, 2, new float[32], 1, shape);
        Assert.All(dq.Concat(dk).Concat(dv), g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void Batch_forward_equals_one_sample_at_a_time()
    {
        INetwork net = new EncoderNet(seed: 9);
        var x = Inputs(net, 4, 4);
        var batched = new float[4 * 3];
        net.Forward(x, batched, 4);
        var single = new float[3];
        for (int n = 0; n < 4; n++)
        {
            net.Forward(x.AsSpan(n * net.InputSize, net.InputSize), single);
            Assert.Equal(batched.AsSpan(n * 3, 3).ToArray(), single);
        }
    }

    [Fact]
    public void Dropout_on_the_weights_is_seeded_and_replayable()
    {
        var concrete = new PackedCrossAttentionNet(seed: 2);
        INetwork a = concrete, b = new PackedCrossAttentionNet(seed: 2);
        var x = Inputs(a, 2, 5, lengths: [5, 5]);
        var ya = new float[2 * a.OutputSize];
        var yb = new float[2 * a.OutputSize];
        a.Forward(x, ya, 2, training: true);
        b.Forward(x, yb, 2, training: true);
        Assert.Equal(ya, yb);
        var dropped = concrete.Layer2AttentionWeights.ToArray();
        a.Forward(x, ya, 2, training: true); // the next step draws other masks
        Assert.NotEqual(yb, ya);
        concrete.RandomStep = 0; // replays the first
        a.Forward(x, ya, 2, training: true);
        Assert.Equal(yb, ya);
        // Training matches the reference with the same draws.
        var reference = new ReferenceNetwork(new PackedCrossAttentionNet(seed: 2));
        var expected = new float[ya.Length];
        reference.Forward(x, expected, 2, training: true);
        for (int i = 0; i < ya.Length; i++) Assert.True(Math.Abs(ya[i] - expected[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"output {i}: {ya[i]} vs {expected[i]}");
        Assert.Equal(dropped, concrete.Layer2AttentionWeights.ToArray()); // the weights readable are before dropout
    }

    [Fact]
    public void Forward_and_backward_allocate_nothing_once_reserved()
    {
        var concrete = new EncoderNet(seed: 1);
        INetwork net = concrete;
        const int batch = 4;
        concrete.Reserve(batch);
        var x = Inputs(net, batch, 2);
        var y = new float[batch * net.OutputSize];
        var dy = ForwardTests.RandomInput(y.Length, 3);
        var dx = new float[x.Length];
        net.Forward(x, y, batch, training: true);
        net.Backward(dy, dx);
        Assert.Equal(0, Allocations.SteadyBytes(() =>
        {
            net.Forward(x, y, batch, training: true);
            net.Backward(dy, dx);
            net.Forward(x, y, batch);
        }));
    }

    [Fact]
    public void A_train_step_allocates_nothing_once_warm()
    {
        var net = new TransformerW8Net(seed: 1);
        using var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, learningRate: 1e-3f));
        const int batch = 32;
        trainer.Reserve(batch);
        var x = ForwardTests.RandomInput(batch * TransformerW8Net.InputSize, 5);
        var y = new float[batch];
        for (int n = 0; n < batch; n++) y[n] = n % 10;
        trainer.TrainStep(x, y, batch);
        trainer.TrainStep(x, y, batch);
        Assert.Equal(0, Allocations.SteadyBytes(() => trainer.TrainStep(x, y, batch)));
    }

    [Fact]
    public void Mean_pools_a_sequence_and_sinusoidal_table_is_the_closed_form()
    {
        var table = Sequence.Sinusoidal(3, 4);
        for (int t = 0; t < 3; t++)
            for (int j = 0; j < 4; j++)
            {
                double omega = Math.Pow(10000, -2.0 * (j / 2) / 4);
                Assert.Equal(j % 2 == 0 ? Math.Sin(t * omega) : Math.Cos(t * omega), table[t * 4 + j], 6);
            }
        var y = new float[2 * 4];
        Sequence.Mean(new float[] { 1, 2, 3, 4, 3, 4, 5, 6, 0, 0, 0, 0, 2, 2, 2, 2 }, y, outer: 2, length: 2, inner: 4);
        Assert.Equal([2f, 3, 4, 5, 1, 1, 1, 1], y);
    }
}
