using System;
using System.Linq;
using SourceGenNN.Testing;
using Xunit;

namespace SourceGenNN.Tests.Networks;

// Recurrent networks over short sequences, at sizes that exercise whole vectors and tails (19 = 16 + 3).

/// <summary>An Elman RNN (tanh) over [5, 3], its whole sequence read by a Dense per step.</summary>
[Network(5, 3)]
[RNN(4, Name = "rnn")]
[Dense(2)]
public partial class RnnSequenceNet { }

/// <summary>Two stacked ReLU RNNs, the last step read by a Dense.</summary>
[Network(4, 3)]
[RNN(5, Nonlinearity = RnnNonlinearity.ReLU, NumLayers = 2, Output = RecurrentOutput.LastStep, Name = "rnn")]
[Dense(2)]
public partial class RnnReluStackedNet { }

/// <summary>A bidirectional tanh RNN with both directions' final states.</summary>
[Network(4, 2)]
[RNN(3, Bidirectional = true, Output = RecurrentOutput.FinalHidden)]
[Dense(2)]
public partial class RnnBidirectionalNet { }

/// <summary>An LSTM's last step, as a sequence classifier.</summary>
[Network(6, 3)]
[LSTM(4, Output = RecurrentOutput.LastStep, Name = "lstm")]
[Dense(3)]
public partial class LstmLastStepNet { }

/// <summary>Two stacked bidirectional LSTMs with dropout between them and the final hidden states.</summary>
[Network(5, 3)]
[LSTM(4, NumLayers = 2, Bidirectional = true, Dropout = 0.3, Output = RecurrentOutput.FinalHidden, Name = "lstm")]
[Dense(2)]
public partial class LstmStackedBidirectionalNet { }

/// <summary>An LSTM of 19 hidden features (a vector and a tail) over its whole sequence.</summary>
[Network(3, 5)]
[LSTM(19)]
[Dense(2)]
public partial class LstmWideNet { }

/// <summary>A bidirectional GRU over the whole sequence, read per step.</summary>
[Network(5, 3)]
[GRU(4, Bidirectional = true, Name = "gru")]
[Dense(2)]
public partial class GruBidirectionalNet { }

/// <summary>Two stacked GRUs without biases, 19 hidden features, the last step.</summary>
[Network(4, 3)]
[GRU(19, NumLayers = 2, Bias = false, Output = RecurrentOutput.LastStep)]
[Dense(2)]
public partial class GruStackedNet { }

/// <summary>
/// A bidirectional LSTM wide enough for every tile of the recurrent product: 320 gate columns (16 vectors of 16, then 4)
/// in the forward pass, 80 hidden columns (4 vectors, then 1) in the backward pass.
/// </summary>
[Network(6, 5)]
[LSTM(80, Bidirectional = true)]
[Dense(3)]
public partial class LstmWideBidirectionalNet { }

/// <summary>
/// Recurrent layers against the double-precision reference: the forward pass, and backpropagation through time against
/// central finite differences of the reference for every parameter (weight_hh included) and every input element.
/// </summary>
public class RecurrentTests
{
    internal static INetwork[] Networks() =>
    [
        new RnnSequenceNet(seed: 1), new RnnReluStackedNet(seed: 2), new RnnBidirectionalNet(seed: 3), new LstmLastStepNet(seed: 4),
        new LstmStackedBidirectionalNet(seed: 5), new LstmWideNet(seed: 6), new GruBidirectionalNet(seed: 7), new GruStackedNet(seed: 8),
    ];

    public static TheoryData<string> Names => new(Networks().Select(n => n.Description.Name));

    /// <summary>Networks too large for finite differences over every parameter, checked against the reference only.</summary>
    internal static INetwork[] WideNetworks() => [new LstmWideBidirectionalNet(seed: 9)];

    public static TheoryData<string> WideNames => new(WideNetworks().Select(n => n.Description.Name));

    private static INetwork Create(string name) => Networks().Concat(WideNetworks()).Single(n => n.Description.Name == name);

    [Theory]
    [MemberData(nameof(Names))]
    [MemberData(nameof(WideNames))]
    public void Forward_matches_the_reference(string name)
    {
        foreach (int batch in new[] { 1, 3 })
        {
            var net = Create(name);
            var x = ForwardTests.RandomInput(batch * net.InputSize, 7 + batch, scale: 1.5f);
            var y = new float[batch * net.OutputSize];
            net.Forward(x, y, batch);
            var expected = new ReferenceNetwork(net).Evaluate(x.Select(v => (double)v).ToArray(), batch);
            for (int i = 0; i < y.Length; i++)
                Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"batch {batch}, output {i}: {y[i]} vs reference {expected[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    [MemberData(nameof(WideNames))]
    public void A_sample_gives_the_same_output_alone_and_in_a_batch(string name)
    {
        var net = Create(name);
        const int batch = 4;
        var x = ForwardTests.RandomInput(batch * net.InputSize, 11);
        var all = new float[batch * net.OutputSize];
        net.Forward(x, all, batch);
        var one = new float[net.OutputSize];
        for (int n = 0; n < batch; n++)
        {
            net.Forward(x.AsSpan(n * net.InputSize, net.InputSize), one, 1);
            Assert.Equal(all.AsSpan(n * net.OutputSize, net.OutputSize).ToArray(), one);
        }
    }

    /// <summary>
    /// Backward in training mode against central differences of the reference in double, with the training pass's
    /// dropout masks replayed (RandomStep fixed). L = Σ r ⊙ output, so dL/dOutput = r.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void Backpropagation_through_time_matches_finite_differences(string name)
    {
        var net = Create(name);
        const int batch = 2;
        const ulong step = 77;
        var x = ForwardTests.RandomInput(batch * net.InputSize, 30, scale: 1.5f);
        var r = ForwardTests.RandomInput(batch * net.OutputSize, 31);
        var pass = FiniteDifferences.Run(net, x, r, batch, referenceTraining: true, step: step);
        var grads = pass.Gradients;
        FiniteDifferences.AssertMatch(pass.Parameters, grads, pass.Loss, k => $"d/d{FiniteDifferences.ParameterAt(net, k)}[{k}]");
        FiniteDifferences.AssertMatch(pass.Input, pass.InputGradient, pass.Loss, k => $"d/dx[{k}]");
        // The test can fail: the hidden-to-hidden weights get a gradient, and it reaches the first steps.
        Assert.Contains(net.Description.Parameters, t => t.Name.Contains("weight_hh", StringComparison.Ordinal) && grads.AsSpan(t.Offset, t.Length).ToArray().Any(g => Math.Abs(g) > 1e-4));
    }

    [Theory]
    [MemberData(nameof(Names))]
    [MemberData(nameof(WideNames))]
    public void The_reference_backward_matches_the_generated_one(string name)
    {
        // The GPU checks compare against the reference's own backward pass: it must agree with the generated one.
        var net = Create(name);
        const int batch = 3;
        var x = ForwardTests.RandomInput(batch * net.InputSize, 40);
        var r = ForwardTests.RandomInput(batch * net.OutputSize, 41);
        var reference = new ReferenceNetwork(net);
        var dx = new float[x.Length];
        var dxRef = new float[x.Length];
        net.ZeroGrad();
        net.Forward(x, new float[r.Length], batch, training: true);
        net.Backward(r, dx);
        reference.ZeroGrad();
        reference.Forward(x, new float[r.Length], batch, training: true);
        reference.Backward(r, dxRef);
        var g = net.Gradients.ToArray();
        var gRef = reference.Gradients.ToArray();
        for (int i = 0; i < g.Length; i++) Assert.True(Math.Abs(g[i] - gRef[i]) <= 1e-5 * (1 + Math.Abs(gRef[i])), $"gradient {i}: {g[i]} vs reference {gRef[i]}");
        for (int i = 0; i < dx.Length; i++) Assert.True(Math.Abs(dx[i] - dxRef[i]) <= 1e-5 * (1 + Math.Abs(dxRef[i])), $"dx[{i}]: {dx[i]} vs reference {dxRef[i]}");
    }

    [Fact]
    public void Stacked_dropout_draws_a_mask_in_training_only()
    {
        var net = new LstmStackedBidirectionalNet(seed: 5);
        var x = ForwardTests.RandomInput(2 * LstmStackedBidirectionalNet.InputSize, 60);
        var eval = new float[2 * LstmStackedBidirectionalNet.OutputSize];
        var train = new float[eval.Length];
        var again = new float[eval.Length];
        net.Forward(x, eval, 2);
        net.RandomStep = 3;
        net.Forward(x, train, 2, training: true);
        Assert.NotEqual(eval, train);
        net.RandomStep = 3;
        net.Forward(x, again, 2, training: true);
        Assert.Equal(train, again); // the same step replays the same masks
        net.Forward(x, again, 2, training: true);
        Assert.NotEqual(train, again); // the next step draws new ones
    }

    [Fact]
    public void Parameters_have_pytorch_names_shapes_and_order()
    {
        var d = new LstmStackedBidirectionalNet().Description;
        Assert.Equal(
            [
                "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
                "lstm.weight_ih_l0_reverse", "lstm.weight_hh_l0_reverse", "lstm.bias_ih_l0_reverse", "lstm.bias_hh_l0_reverse",
                "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1",
                "lstm.weight_ih_l1_reverse", "lstm.weight_hh_l1_reverse", "lstm.bias_ih_l1_reverse", "lstm.bias_hh_l1_reverse",
                "1.weight", "1.bias",
            ], d.Parameters.Select(t => t.Name));
        Assert.Equal([16, 3], d.FindParameter("lstm.weight_ih_l0")!.Shape);
        Assert.Equal([16, 4], d.FindParameter("lstm.weight_hh_l0")!.Shape);
        Assert.Equal([16, 8], d.FindParameter("lstm.weight_ih_l1_reverse")!.Shape);
        Assert.Equal([16], d.FindParameter("lstm.bias_hh_l1")!.Shape);
        Assert.Equal([12, 3], new GruBidirectionalNet().Description.FindParameter("gru.weight_ih_l0")!.Shape);
        Assert.DoesNotContain(new GruStackedNet().Description.Parameters, t => t.Name.Contains("bias_", StringComparison.Ordinal) && t.Name.StartsWith("0.", StringComparison.Ordinal));
    }

    [Fact]
    public void Initialisation_is_uniform_within_one_over_root_hidden()
    {
        var net = new LstmWideNet(seed: 9);
        double bound = 1 / Math.Sqrt(19);
        foreach (var t in net.Description.Parameters.Where(t => t.Name.StartsWith("0.", StringComparison.Ordinal)))
        {
            var values = net.Parameters.Slice(t.Offset, t.Length).ToArray();
            Assert.All(values, v => Assert.InRange(v, -bound, bound));
            Assert.True(values.Max() > 0.8 * bound && values.Min() < -0.8 * bound, $"{t.Name} does not fill U(−1/√19, 1/√19)");
        }
    }

    [Fact]
    public void Summary_shows_the_options_not_at_their_default()
    {
        string summary = new LstmStackedBidirectionalNet().Summary();
        Assert.Contains("LSTM(hidden_size=4, num_layers=2, dropout=0.3, bidirectional, output=final_hidden)", summary);
        Assert.Contains("[-1, 8]", summary);
        Assert.Contains("RNN(hidden_size=5, num_layers=2, nonlinearity=relu, output=last_step)", new RnnReluStackedNet().Summary());
    }

    [Fact]
    public void Changed_weights_are_read_by_the_next_pass()
    {
        // The kernels keep transposed copies of W_ih and W_hh between calls and make them again when the weights
        // differ: a network whose weights were changed after a pass computes what a fresh one with those weights does.
        var net = new LstmWideBidirectionalNet(seed: 10);
        var x = ForwardTests.RandomInput(2 * LstmWideBidirectionalNet.InputSize, 70);
        var y = new float[2 * LstmWideBidirectionalNet.OutputSize];
        net.Forward(x, y, 2);
        foreach (string tensor in new[] { "0.weight_hh_l0", "0.weight_ih_l0_reverse" })
        {
            var t = net.Description.FindParameter(tensor)!;
            net.Parameters[t.Offset + 5] += 0.25f;
            net.Parameters[t.Offset + t.Length - 1] = -0f;
            var fresh = new LstmWideBidirectionalNet(seed: 11);
            net.Parameters.CopyTo(fresh.Parameters);
            var changed = new float[y.Length];
            var expected = new float[y.Length];
            net.Forward(x, changed, 2);
            fresh.Forward(x, expected, 2);
            Assert.NotEqual(y, changed);
            Assert.Equal(expected, changed);
            y = changed;
        }
    }

    [Fact]
    public void A_warm_forward_and_backward_allocate_nothing()
    {
        var net = new LstmStackedBidirectionalNet(seed: 1);
        const int batch = 3;
        var x = ForwardTests.RandomInput(batch * LstmStackedBidirectionalNet.InputSize, 1);
        var y = new float[batch * LstmStackedBidirectionalNet.OutputSize];
        net.Reserve(batch);
        net.Forward(x, y, batch, training: true);
        net.Backward(y);
        Assert.Equal(0, Allocations.SteadyBytes(() =>
        {
            net.Forward(x, y, batch, training: true);
            net.Backward(y);
            net.Forward(x, y, batch);
        }));
    }
}
