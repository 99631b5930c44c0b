using System;
using SourceGenNN.Kernels;

namespace SourceGenNN;

/// <summary>
/// Parameter initialisers with PyTorch's formulas (<c>torch.nn.init</c>). Fan-in and fan-out are those of a dense
/// weight <c>[out, in]</c>: fan_in = in, fan_out = out. The random streams are this library's own (seeded, deterministic),
/// not PyTorch's, so the same seed gives the same weights here, not the same weights as PyTorch.
/// </summary>
public static class Initializers
{
    /// <summary><c>calculate_gain(nonlinearity, param)</c>.</summary>
    public static double Gain(Nonlinearity nonlinearity, double negativeSlope = 0.0) => nonlinearity switch
    {
        Nonlinearity.LeakyReLU => Math.Sqrt(2.0 / (1.0 + negativeSlope * negativeSlope)),
        Nonlinearity.ReLU => Math.Sqrt(2.0),
        Nonlinearity.Tanh => 5.0 / 3.0,
        Nonlinearity.SELU => 0.75,
        _ => 1.0,
    };

    /// <summary>U(low, high).</summary>
    public static void Uniform(Span<float> tensor, double low, double high, ref Rng rng)
    {
        for (int i = 0; i < tensor.Length; i++) tensor[i] = (float)(low + (high - low) * rng.NextDouble());
    }

    /// <summary>N(mean, std²).</summary>
    public static void Normal(Span<float> tensor, double mean, double std, ref Rng rng)
    {
        for (int i = 0; i < tensor.Length; i++) tensor[i] = (float)(mean + std * rng.NextNormal());
    }

    /// <summary>Every element set to <paramref name="value"/>.</summary>
    public static void Constant(Span<float> tensor, double value) => tensor.Fill((float)value);

    /// <summary>U(−b, b), b = gain·sqrt(3 / fan_in).</summary>
    public static void KaimingUniform(Span<float> tensor, int fanIn, double gain, ref Rng rng)
    {
        double bound = gain * Math.Sqrt(3.0 / fanIn);
        Uniform(tensor, -bound, bound, ref rng);
    }

    /// <summary>N(0, std²), std = gain / sqrt(fan_in).</summary>
    public static void KaimingNormal(Span<float> tensor, int fanIn, double gain, ref Rng rng) =>
        Normal(tensor, 0.0, gain / Math.Sqrt(fanIn), ref rng);

    /// <summary>U(−a, a), a = gain·sqrt(6 / (fan_in + fan_out)).</summary>
    public static void XavierUniform(Span<float> tensor, int fanIn, int fanOut, double gain, ref Rng rng)
    {
        double a = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        Uniform(tensor, -a, a, ref rng);
    }

    /// <summary>N(0, std²), std = gain·sqrt(2 / (fan_in + fan_out)).</summary>
    public static void XavierNormal(Span<float> tensor, int fanIn, int fanOut, double gain, ref Rng rng) =>
        Normal(tensor, 0.0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), ref rng);

    /// <summary>PyTorch's <c>nn.Linear</c> weight default, <c>kaiming_uniform_(a = sqrt(5))</c>: U(−1/sqrt(fan_in), 1/sqrt(fan_in)).</summary>
    public static void LinearWeightDefault(Span<float> tensor, int fanIn, ref Rng rng) =>
        KaimingUniform(tensor, fanIn, Gain(Nonlinearity.LeakyReLU, Math.Sqrt(5.0)), ref rng);

    /// <summary>PyTorch's <c>nn.Linear</c> bias default: U(−1/sqrt(fan_in), 1/sqrt(fan_in)).</summary>
    public static void LinearBiasDefault(Span<float> tensor, int fanIn, ref Rng rng)
    {
        double bound = 1.0 / Math.Sqrt(fanIn);
        Uniform(tensor, -bound, bound, ref rng);
    }
}
