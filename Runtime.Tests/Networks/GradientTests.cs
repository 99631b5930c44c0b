using System;
using System.Linq;
using SourceGenNN.Testing;
using Xunit;

namespace SourceGenNN.Tests.Networks;

/// <summary>
/// Every generated backward pass against central finite differences. For the deterministic layers the differences are
/// taken on the independent double-precision reference (<see cref="ReferenceNetwork"/>), so they are exact to ~1e-9.
/// The loss is L = Σ r ⊙ output for a fixed random r, so dL/dOutput = r.
/// </summary>
public class GradientTests
{
    internal static void CheckGradients(INetwork net, int batch, int seed)
    {
        var x = ForwardTests.RandomInput(batch * net.InputSize, seed);
        var r = ForwardTests.RandomInput(batch * net.OutputSize, seed + 1);
        var pass = FiniteDifferences.Run(net, x, r, batch);
        FiniteDifferences.AssertMatch(pass.Parameters, pass.Gradients, pass.Loss, k => $"d/d{FiniteDifferences.ParameterAt(net, k)}[{k}]");
        FiniteDifferences.AssertMatch(pass.Input, pass.InputGradient, pass.Loss, k => $"d/dx[{k}]");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Seed_network_backward_matches_finite_differences(int batch) => CheckGradients(new SeedNet(seed: 4), batch, 10);

    [Fact]
    public void Every_layer_kind_backward_matches_finite_differences() => CheckGradients(new EveryLayerNet(seed: 8), 3, 20);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Residual_network_backward_sums_the_gradients_of_a_tensor_read_twice(int batch) => CheckGradients(new ResidualNet(seed: 4), batch, 60);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Two_input_network_backward_matches_finite_differences_for_both_inputs(int batch) => CheckGradients(new TwoInputNet(seed: 4), batch, 70);

    [Fact]
    public void Sequence_network_backward_matches_finite_differences() => CheckGradients(new SequenceNet(seed: 4), 2, 80);

    [Fact]
    public void Two_input_network_returns_each_input_gradient_through_its_own_span()
    {
        // The packed INetwork form above and the named form agree: dx for "input" and for "side" separately.
        var net = new TwoInputNet(seed: 9);
        const int batch = 3;
        var x = ForwardTests.RandomInput(batch * 5, 1);
        var side = ForwardTests.RandomInput(batch * 3, 2);
        var r = ForwardTests.RandomInput(batch * 2, 3);
        net.Forward(x, side, new float[batch * 2], batch, training: true);
        var dx = new float[x.Length];
        var dSide = new float[side.Length];
        net.Backward(r, dx, dSide);
        var packed = new float[batch * TwoInputNet.PackedInputSize];
        for (int n = 0; n < batch; n++)
        {
            x.AsSpan(n * 5, 5).CopyTo(packed.AsSpan(n * 8));
            side.AsSpan(n * 3, 3).CopyTo(packed.AsSpan(n * 8 + 5));
        }
        INetwork asNetwork = new TwoInputNet(seed: 9);
        asNetwork.Forward(packed, new float[batch * 2], batch, training: true);
        var dPacked = new float[packed.Length];
        asNetwork.Backward(r, dPacked);
        for (int n = 0; n < batch; n++)
        {
            Assert.Equal(dx.AsSpan(n * 5, 5).ToArray(), dPacked.AsSpan(n * 8, 5).ToArray());
            Assert.Equal(dSide.AsSpan(n * 3, 3).ToArray(), dPacked.AsSpan(n * 8 + 5, 3).ToArray());
        }
        Assert.Contains(dSide, g => Math.Abs(g) > 1e-4);
    }

    [Fact]
    public void Batch_norm_training_backward_matches_finite_differences_through_the_batch_statistics()
    {
        // In training BatchNorm normalises with the batch's own statistics, so every output depends on every sample of
        // the batch: the differences are taken on the reference in training mode (buffers restored between evaluations).
        var net = new NormNet(seed: 4);
        const int batch = 3;
        var x = ForwardTests.RandomInput(batch * 24, 90, scale: 2f);
        var r = ForwardTests.RandomInput(batch * 2, 91);
        var pass = FiniteDifferences.Run(net, x, r, batch, referenceTraining: true);
        FiniteDifferences.AssertMatch(pass.Parameters, pass.Gradients, pass.Loss, k => $"parameter {k}");
        FiniteDifferences.AssertMatch(pass.Input, pass.InputGradient, pass.Loss, k => $"d/dx[{k}]");
    }

    [Fact]
    public void Sigmoid_network_backward_matches_finite_differences() => CheckGradients(new SigmoidNet(seed: 8), 5, 30);

    [Fact]
    public void Activation_first_network_backward_matches_finite_differences() => CheckGradients(new ActivationFirstNet(seed: 8), 2, 40);

    [Fact]
    public void Mnist_mlp_backward_matches_finite_differences_on_a_sample_of_parameters()
    {
        // 101,770 parameters are too many to difference one by one; every 97th one (and all of fc2) is checked.
        var net = new MnistMlp(seed: 2);
        const int batch = 2;
        var x = ForwardTests.RandomInput(batch * 784, 3);
        var r = ForwardTests.RandomInput(batch * 10, 4);
        var pass = FiniteDifferences.Run(net, x, r, batch);
        int fc2 = net.Description.FindParameter("fc2.weight")!.Offset;
        FiniteDifferences.AssertMatch(pass.Parameters, pass.Gradients, pass.Loss, k => $"parameter {k}", next: k => k + (k >= fc2 ? 1 : 97));
    }

    [Fact]
    public void Random_layers_in_training_backward_matches_finite_differences_with_the_same_draws()
    {
        // Dropout and RReLU draw from (seed, layer, RandomStep): fixing RandomStep replays the same masks and slopes,
        // so the training-mode network is a fixed function that can be differenced (here in float, with a larger step and tolerance).
        var net = new RandomLayersNet(seed: 6);
        const int batch = 4;
        const ulong step = 12345;
        var x = ForwardTests.RandomInput(batch * 6, 50);
        var r = ForwardTests.RandomInput(batch * 3, 51);
        var y = new float[batch * 3];
        var dx = new float[x.Length];
        net.ZeroGrad();
        net.RandomStep = step;
        net.Forward(x, y, batch, training: true);
        net.Backward(r, dx);
        var grads = net.Gradients.ToArray();

        double Loss(float[] input)
        {
            net.RandomStep = step;
            var o = new float[batch * 3];
            net.Forward(input, o, batch, training: true);
            return o.Select((v, i) => (double)r[i] * v).Sum();
        }

        const float h = 2e-3f;
        var parameters = net.Parameters;
        for (int k = 0; k < parameters.Length; k++)
        {
            float saved = parameters[k];
            parameters[k] = saved + h; double up = Loss(x);
            parameters[k] = saved - h; double down = Loss(x);
            parameters[k] = saved;
            double fd = (up - down) / (2 * h);
            Assert.True(Math.Abs(grads[k] - fd) <= 5e-3 + 1e-2 * Math.Abs(fd), $"parameter {k}: backward {grads[k]}, finite differences {fd}");
        }
        for (int k = 0; k < x.Length; k++)
        {
            float saved = x[k];
            x[k] = saved + h; double up = Loss(x);
            x[k] = saved - h; double down = Loss(x);
            x[k] = saved;
            double fd = (up - down) / (2 * h);
            Assert.True(Math.Abs(dx[k] - fd) <= 5e-3 + 1e-2 * Math.Abs(fd), $"d/dx[{k}]: backward {dx[k]}, finite differences {fd}");
        }
    }

    [Fact]
    public void Fused_logits_gradient_equals_the_chain_through_softmax()
    {
        // Cross entropy with a one-hot target y: dL/dp = −y/p through softmax's Jacobian equals p − y at the logits.
        var x = ForwardTests.RandomInput(3 * 3, 70);
        int[] labels = { 0, 1, 1 };
        var a = new SeedNet(seed: 3);
        var b = new SeedNet(seed: 3);
        var p = new float[6];
        a.Forward(x, p, 3, training: true);
        b.Forward(x, new float[6], 3, training: true);
        var viaSoftmax = new float[6];
        var fused = new float[6];
        for (int n = 0; n < 3; n++)
            for (int c = 0; c < 2; c++)
            {
                float target = labels[n] == c ? 1f : 0f;
                viaSoftmax[n * 2 + c] = -target / p[n * 2 + c];
                fused[n * 2 + c] = p[n * 2 + c] - target;
            }
        a.Backward(viaSoftmax);
        b.Backward(fused, fromLogits: true);
        var ga = a.Gradients.ToArray();
        var gb = b.Gradients.ToArray();
        for (int k = 0; k < ga.Length; k++) Assert.Equal(ga[k], gb[k], 5);
        Assert.Contains(ga, g => Math.Abs(g) > 1e-4);
    }

    [Fact]
    public void Gradients_accumulate_until_zero_grad()
    {
        var net = new SeedNet(seed: 1);
        var x = ForwardTests.RandomInput(3, 1);
        var r = ForwardTests.RandomInput(2, 2);
        net.Forward(x, new float[2], 1, training: true);
        net.Backward(r);
        var once = net.Gradients.ToArray();
        net.Backward(r);
        var twice = net.Gradients.ToArray();
        for (int k = 0; k < once.Length; k++) Assert.Equal(2 * once[k], twice[k], 5);
        net.ZeroGrad();
        Assert.All(net.Gradients.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Every_layer_kind_accumulates_and_zero_grad_is_lazy_but_exact()
    {
        // ZeroGrad only marks the gradients: the next backward pass writes them (every layer kind, kernel and unrolled
        // paths), a second one adds, and reading Gradients in between sees zeros.
        var net = new EveryLayerNet(seed: 4);
        var x = ForwardTests.RandomInput(3 * 7, 1);
        var r = ForwardTests.RandomInput(3 * 5, 2);
        net.Forward(x, new float[15], 3, training: true);
        net.Backward(r);
        net.Backward(r);
        net.ZeroGrad();
        Assert.All(net.Gradients.ToArray(), g => Assert.Equal(0f, g));
        net.Backward(r); // after the lazy clear above: adds to real zeros
        var once = net.Gradients.ToArray();
        net.ZeroGrad();
        net.Backward(r); // overwrites without a clearing pass
        Assert.Equal(once, net.Gradients.ToArray());
        net.Backward(r);
        var twice = net.Gradients.ToArray();
        for (int k = 0; k < once.Length; k++) Assert.Equal(2 * once[k], twice[k], 4);
        Assert.Contains(once, g => Math.Abs(g) > 1e-3);
    }

    [Fact]
    public void Dropout_drops_about_p_and_scales_survivors()
    {
        var net = new RandomLayersNet(seed: 1);
        const int batch = 256;
        var x = ForwardTests.RandomInput(batch * 6, 3);
        var y = new float[batch * 3];
        net.Forward(x, y, batch, training: true);
        var field = typeof(RandomLayersNet).GetField("_l2Mask", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var mask = ((SourceGenNN.Kernels.AlignedBuffer)field.GetValue(net)!).Span.ToArray().Take(batch * 21).ToArray();
        double dropped = mask.Count(m => m == 0f) / (double)mask.Length;
        Assert.InRange(dropped, 0.3 - 0.04, 0.3 + 0.04); // 5,376 draws: σ ≈ 0.006
        Assert.All(mask.Where(m => m != 0f), m => Assert.Equal(1f / 0.7f, m, 5));
        // A new training pass draws a new mask; evaluation mode draws none.
        net.Forward(x, y, batch, training: true);
        var mask2 = ((SourceGenNN.Kernels.AlignedBuffer)field.GetValue(net)!).Span.ToArray().Take(batch * 21).ToArray();
        Assert.NotEqual(mask, mask2);
    }
}
