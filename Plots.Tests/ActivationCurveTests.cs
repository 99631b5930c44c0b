using System;
using Xunit;

namespace SourceGenNN.Plots.Tests;

/// <summary>The curves drawn are the functions and derivatives they are named for, from the runtime's operators.</summary>
public sealed class ActivationCurveTests
{
    private static readonly ActivationPlotOptions Options = new() { ZMin = -5, ZMax = 5, Points = 201 };

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    private static double Erf(double x)
    {
        // Abramowitz and Stegun 7.1.26 is too coarse for 1e-5; integrate the series instead (|x| ≤ 5 / √2 here).
        double sum = x, term = x;
        for (int n = 1; n < 200; n++)
        {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    public static TheoryData<ActivationFunction> Functions() => new()
    {
        ActivationFunction.Sigmoid, ActivationFunction.Tanh, ActivationFunction.ReLU, ActivationFunction.LeakyReLU,
        ActivationFunction.PReLU, ActivationFunction.ELU, ActivationFunction.RReLU, ActivationFunction.GELU, ActivationFunction.SiLU,
    };

    private static (Func<double, double> F, Func<double, double> D) Closed(ActivationFunction function) => function switch
    {
        ActivationFunction.Sigmoid => (Sigmoid, z => Sigmoid(z) * (1 - Sigmoid(z))),
        ActivationFunction.Tanh => (Math.Tanh, z => 1 - Math.Tanh(z) * Math.Tanh(z)),
        ActivationFunction.ReLU => (z => Math.Max(0, z), z => z > 0 ? 1 : 0),
        ActivationFunction.LeakyReLU => (z => z >= 0 ? z : 0.01 * z, z => z > 0 ? 1 : 0.01),
        ActivationFunction.PReLU => (z => z > 0 ? z : 0.25 * z, z => z > 0 ? 1 : 0.25),
        ActivationFunction.ELU => (z => z > 0 ? z : Math.Exp(z) - 1, z => z > 0 ? 1 : Math.Exp(z)),
        ActivationFunction.RReLU => (z => z >= 0 ? z : (0.125 + 1.0 / 3) / 2 * z, z => z > 0 ? 1 : (0.125 + 1.0 / 3) / 2),
        ActivationFunction.GELU => (z => 0.5 * z * (1 + Erf(z / Math.Sqrt(2))),
            z => 0.5 * (1 + Erf(z / Math.Sqrt(2))) + z * Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI)),
        ActivationFunction.SiLU => (z => z * Sigmoid(z), z => Sigmoid(z) * (1 + z * (1 - Sigmoid(z)))),
        _ => throw new ArgumentOutOfRangeException(nameof(function)),
    };

    [Theory]
    [MemberData(nameof(Functions))]
    public void Curves_match_the_closed_forms(ActivationFunction function)
    {
        var curve = ActivationCurves.Compute(function, Options);
        var (f, d) = Closed(function);
        Assert.Equal(201, curve.Z.Length);
        Assert.Equal(-5, curve.Z[0], 6);
        Assert.Equal(5, curve.Z[^1], 6);
        for (int i = 0; i < curve.Z.Length; i++)
        {
            double z = curve.Z[i];
            Assert.True(Math.Abs(curve.Value[i] - f(z)) <= 2e-5 * (1 + Math.Abs(f(z))), $"{function} f({z}) = {curve.Value[i]}, expected {f(z)}");
            Assert.True(Math.Abs(curve.Derivative[i] - d(z)) <= 2e-5 * (1 + Math.Abs(d(z))), $"{function} f'({z}) = {curve.Derivative[i]}, expected {d(z)}");
        }
    }

    [Fact]
    public void Parameters_are_drawn_as_given()
    {
        var options = new ActivationPlotOptions { LeakyReluSlope = 0.2, PReluSlope = 0.1, EluAlpha = 2 };
        Assert.Equal(-0.8, ActivationCurves.Compute(ActivationFunction.LeakyReLU, options).Value[0], 5); // 0.2 · -4
        Assert.Equal(0.1, ActivationCurves.Compute(ActivationFunction.PReLU, options).Derivative[0], 6);
        Assert.Equal(2 * (Math.Exp(-4) - 1), ActivationCurves.Compute(ActivationFunction.ELU, options).Value[0], 5);
        Assert.Equal("LeakyReLU (slope 0.2)", ActivationCurves.Compute(ActivationFunction.LeakyReLU, options).Title);
    }

    [Fact]
    public void RReLU_training_draws_lie_in_the_band_and_spread_across_it()
    {
        var curve = ActivationCurves.Compute(ActivationFunction.RReLU, Options);
        Assert.NotNull(curve.Band);
        Assert.NotNull(curve.Samples);
        var band = curve.Band!.Value;
        double lowestSlope = double.PositiveInfinity, highestSlope = double.NegativeInfinity;
        for (int i = 0; i < curve.Z.Length; i++)
        {
            double z = curve.Z[i], s = curve.Samples![i];
            Assert.InRange(s, band.Low[i] - 1e-6, band.High[i] + 1e-6);
            Assert.InRange(curve.Value[i], band.Low[i] - 1e-6, band.High[i] + 1e-6);
            if (z < -0.5)
            {
                lowestSlope = Math.Min(lowestSlope, s / z);
                highestSlope = Math.Max(highestSlope, s / z);
            }
            else if (z >= 0) Assert.Equal(z, s);
        }
        Assert.True(lowestSlope < 0.16 && highestSlope > 0.30, $"drawn slopes span [{lowestSlope}, {highestSlope}]; expected most of [1/8, 1/3]");
    }

    [Fact]
    public void Softmax_is_drawn_from_the_runtime_kernels()
    {
        var options = new ActivationPlotOptions { SoftmaxInput = [1f, 2f, 3f] };
        var values = ActivationCurves.SoftmaxOf(options);
        double sum = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        for (int i = 0; i < 3; i++)
        {
            double p = Math.Exp(i + 1) / sum;
            Assert.Equal(p, values.Output[i], 6);
            Assert.Equal(p * (1 - p), values.JacobianDiagonal[i], 6);
        }
        Assert.Throws<ArgumentException>(() => ActivationCurves.Compute(ActivationFunction.Softmax, options));
    }
}
