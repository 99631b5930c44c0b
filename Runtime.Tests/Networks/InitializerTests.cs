using System;
using System.Linq;
using SourceGenNN;
using Xunit;

namespace SourceGenNN.Tests.Networks;

[Network(400)]
[Dense(500)]
[Dense(500, WeightInit = Init.Uniform, InitLow = -0.3, InitHigh = 0.7, BiasInit = Init.Zeros)]
[Dense(500, WeightInit = Init.Normal, InitMean = 0.2, InitStd = 0.05, BiasInit = Init.Ones)]
[Dense(500, WeightInit = Init.Constant, InitValue = 0.125, BiasInit = Init.Constant, BiasValue = -0.5)]
[Dense(500, WeightInit = Init.KaimingUniform, InitNonlinearity = Nonlinearity.ReLU)]
[Dense(500, WeightInit = Init.KaimingNormal, InitNonlinearity = Nonlinearity.LeakyReLU, InitNegativeSlope = 0.1)]
[Dense(300, WeightInit = Init.XavierUniform, InitGain = 1.5)]
[Dense(200, WeightInit = Init.XavierNormal)]
[Dense(200, WeightInit = Init.Zeros, BiasInit = Init.Normal, InitMean = 1, InitStd = 2)]
[Dense(200, WeightInit = Init.Ones, Bias = false)]
[Dense(500, WeightInit = Init.KaimingNormal)]
public partial class InitNet { }

/// <summary>
/// Initialiser statistics on large tensors against PyTorch's formulas (torch.nn.init): mean, standard deviation and
/// bounds. With n ≥ 2·10⁵ draws, the sample mean is within 4σ/√n and the sample std within about 1% of the truth.
/// </summary>
public class InitializerTests
{
    private static float[] Tensor(string name)
    {
        var net = new InitNet(seed: 77);
        var t = net.Description.FindParameter(name)!;
        return net.Parameters.Slice(t.Offset, t.Length).ToArray();
    }

    private static void CheckUniform(float[] v, double lo, double hi)
    {
        Assert.All(v, x => Assert.InRange(x, (float)lo, (float)hi));
        double mean = v.Average(x => (double)x), sd = (hi - lo) / Math.Sqrt(12);
        Assert.InRange(mean, (lo + hi) / 2 - 4 * sd / Math.Sqrt(v.Length), (lo + hi) / 2 + 4 * sd / Math.Sqrt(v.Length));
        Assert.InRange(Std(v), sd * 0.99, sd * 1.01);
        Assert.True(v.Min() < lo + (hi - lo) * 0.01 && v.Max() > hi - (hi - lo) * 0.01, "draws should reach both ends");
    }

    private static void CheckNormal(float[] v, double mean, double std)
    {
        Assert.InRange(v.Average(x => (double)x), mean - 4 * std / Math.Sqrt(v.Length), mean + 4 * std / Math.Sqrt(v.Length));
        Assert.InRange(Std(v), std * 0.99, std * 1.01);
        // About 68.3% within one standard deviation.
        double within = v.Count(x => Math.Abs(x - mean) < std) / (double)v.Length;
        Assert.InRange(within, 0.6827 - 0.01, 0.6827 + 0.01);
    }

    private static double Std(float[] v)
    {
        double m = v.Average(x => (double)x);
        return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1));
    }

    [Fact]
    public void Default_weight_is_kaiming_uniform_a_sqrt5_and_bias_is_uniform_over_fan_in()
    {
        double b = 1 / Math.Sqrt(400); // gain √(2/(1+5)) · √(3/fan_in) = 1/√fan_in
        CheckUniform(Tensor("0.weight"), -b, b);
        var bias = Tensor("0.bias");
        Assert.All(bias, x => Assert.InRange(x, (float)-b, (float)b));
    }

    [Fact]
    public void Uniform_and_normal() { CheckUniform(Tensor("1.weight"), -0.3, 0.7); CheckNormal(Tensor("2.weight"), 0.2, 0.05); }

    [Fact]
    public void Constant_zeros_and_ones()
    {
        Assert.All(Tensor("3.weight"), x => Assert.Equal(0.125f, x));
        Assert.All(Tensor("3.bias"), x => Assert.Equal(-0.5f, x));
        Assert.All(Tensor("1.bias"), x => Assert.Equal(0f, x));
        Assert.All(Tensor("2.bias"), x => Assert.Equal(1f, x));
        Assert.All(Tensor("8.weight"), x => Assert.Equal(0f, x));
        Assert.All(Tensor("9.weight"), x => Assert.Equal(1f, x));
        Assert.Null(new InitNet().Description.FindParameter("9.bias"));
    }

    [Fact]
    public void Kaiming_uniform_relu() => CheckUniform(Tensor("4.weight"), -Math.Sqrt(2) * Math.Sqrt(3.0 / 500), Math.Sqrt(2) * Math.Sqrt(3.0 / 500));

    [Fact]
    public void Kaiming_normal_leaky_relu() => CheckNormal(Tensor("5.weight"), 0, Math.Sqrt(2 / (1 + 0.01)) / Math.Sqrt(500));

    [Fact]
    public void Kaiming_normal_default_gain_is_sqrt2() => CheckNormal(Tensor("10.weight"), 0, Math.Sqrt(2) / Math.Sqrt(200));

    [Fact]
    public void Xavier_uniform_and_normal()
    {
        double a = 1.5 * Math.Sqrt(6.0 / (500 + 300));
        CheckUniform(Tensor("6.weight"), -a, a);
        CheckNormal(Tensor("7.weight"), 0, Math.Sqrt(2.0 / (300 + 200)));
    }

    [Fact]
    public void Bias_normal() => Assert.InRange(Tensor("8.bias").Average(x => (double)x), 1 - 4 * 2 / Math.Sqrt(200), 1 + 4 * 2 / Math.Sqrt(200));

    [Fact]
    public void Each_tensor_has_its_own_stream()
    {
        // Two layers with the same shape and initialiser, but different names, get different weights.
        var a = Tensor("4.weight");
        var net = new InitNet(seed: 77);
        Assert.NotEqual(a.Take(100), Tensor("5.weight").Take(100));
        Assert.Equal(a, Tensor("4.weight"));
        _ = net;
    }
}
