using System;
using System.Linq;
using SourceGenNN.Tests.Networks;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Training;

/// <summary>
/// clip_grad_norm_ and clip_grad_value_ by their definitions (PyTorch's values in training are in
/// <see cref="PyTorchRecurrentParityTests"/>): the total norm, the scale min(1, max/(total + 1e-6)), the clamp.
/// </summary>
public class GradientClippingTests
{
    [Fact]
    public void Norm_clipping_scales_to_the_largest_norm_and_returns_the_total()
    {
        var g = new float[] { 3, -4, 0, 12 }; // 2-norm 13
        float total = GradientClipping.ClipGradNorm(g, 6.5);
        Assert.Equal(13f, total);
        float scale = (float)(6.5 / (13 + 1e-6));
        Assert.Equal(new[] { 3 * scale, -4 * scale, 0f, 12 * scale }, g);
    }

    [Theory]
    [InlineData(1.0, 19.0)]
    [InlineData(3.0, 12.2071)] // (27 + 64 + 1728)^(1/3)
    [InlineData(double.PositiveInfinity, 12.0)]
    public void The_total_norm_is_the_p_norm_of_every_gradient(double p, double expected)
    {
        var g = new float[] { 3, -4, 0, 12 };
        Assert.Equal(expected, GradientClipping.TotalNorm(g, p), 4);
    }

    [Fact]
    public void Gradients_under_the_largest_norm_are_left_alone()
    {
        var g = new float[] { 0.1f, -0.2f };
        float total = GradientClipping.ClipGradNorm(g, 1.0);
        Assert.Equal(new[] { 0.1f, -0.2f }, g);
        Assert.Equal(Math.Sqrt(0.05), total, 6);
    }

    [Fact]
    public void A_nan_gradient_gives_a_nan_norm_and_nan_gradients_as_in_pytorch()
    {
        var g = new float[] { 1, float.NaN };
        Assert.True(float.IsNaN(GradientClipping.ClipGradNorm(g, 1.0)));
        Assert.All(g, v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void Value_clipping_clamps_each_gradient()
    {
        var g = new float[] { 0.5f, -2, 0.01f, 3, float.NaN };
        GradientClipping.ClipGradValue(g, 0.1);
        Assert.Equal(new[] { 0.1f, -0.1f, 0.01f, 0.1f }, g.Take(4));
        Assert.True(float.IsNaN(g[4]));
    }

    [Theory]
    [InlineData(0.0, 2.0)]
    [InlineData(-1.0, 2.0)]
    [InlineData(double.NaN, 2.0)]
    [InlineData(1.0, 0.0)]
    [InlineData(1.0, double.NaN)]
    public void Invalid_norm_arguments_are_refused(double maxNorm, double normType)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.Norm(maxNorm, normType));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradNorm(new float[1], maxNorm, normType));
    }

    [Fact]
    public void The_trainer_clips_the_networks_gradients_on_request()
    {
        var net = new LstmLastStepNet(seed: 3);
        var trainer = new Trainer(net, new CrossEntropy(), new Sgd(net, 0.1f));
        var x = ForwardTests.RandomInput(2 * LstmLastStepNet.InputSize, 5);
        net.ZeroGrad();
        net.Forward(x, new float[2 * LstmLastStepNet.OutputSize], 2, training: true);
        net.Backward(ForwardTests.RandomInput(2 * LstmLastStepNet.OutputSize, 6));
        double before = GradientClipping.TotalNorm(net.Gradients);
        float total = trainer.ClipGradNorm(before / 4);
        Assert.Equal(before, total, 5);
        Assert.Equal(before / 4, GradientClipping.TotalNorm(net.Gradients), 4);
        trainer.ClipGradValue(1e-3);
        Assert.All(net.Gradients.ToArray(), g => Assert.InRange(g, -1e-3f, 1e-3f));
    }

    [Fact]
    public void Training_steps_report_the_norm_before_clipping()
    {
        var net = new LstmLastStepNet(seed: 3);
        var trainer = new Trainer(net, new CrossEntropy(), new Sgd(net, 0.1f)) { GradientClipping = GradientClipping.Norm(1e-3) };
        Assert.True(float.IsNaN(trainer.LastGradientNorm));
        var x = ForwardTests.RandomInput(4 * LstmLastStepNet.InputSize, 7);
        var y = new float[] { 0, 1, 2, 1 };
        trainer.TrainStep(x, y, 4);
        Assert.True(trainer.LastGradientNorm > 1e-3f);
        Assert.Equal(1e-3, GradientClipping.TotalNorm(net.Gradients), 6); // clipped before the optimiser's step
    }
}
