using System;

namespace SourceGenNN;

/// <summary>
/// A fully connected layer, PyTorch's <c>nn.Linear</c>: <c>y = x·Wᵀ + b</c> with <c>W</c> of shape [units, in_features],
/// applied to the last dimension of its input: in_features is that dimension, and an input [T, F] gives [T, units].
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : LayerAttribute
{
    /// <summary>Declares a dense layer with <paramref name="units"/> outputs.</summary>
    /// <param name="units">The number of outputs; must be positive.</param>
    public DenseAttribute(int units) => Units = units;

    /// <summary>The number of outputs.</summary>
    public int Units { get; }

    /// <summary>Whether the layer has a bias (default true).</summary>
    public bool Bias { get; set; } = OptionDefaults.DenseBias;

    /// <summary>The weight initialiser (default: PyTorch's <c>nn.Linear</c> default).</summary>
    public Init WeightInit { get; set; }

    /// <summary>The bias initialiser: <see cref="Init.Default"/>, Zeros, Ones, Constant (<see cref="BiasValue"/>), Uniform or Normal.</summary>
    public Init BiasInit { get; set; }

    /// <summary>Lower bound of <see cref="Init.Uniform"/> (default 0).</summary>
    public double InitLow { get; set; } = OptionDefaults.InitLow;

    /// <summary>Upper bound of <see cref="Init.Uniform"/> (default 1).</summary>
    public double InitHigh { get; set; } = OptionDefaults.InitHigh;

    /// <summary>Mean of <see cref="Init.Normal"/> (default 0).</summary>
    public double InitMean { get; set; } = OptionDefaults.InitMean;

    /// <summary>Standard deviation of <see cref="Init.Normal"/> (default 1).</summary>
    public double InitStd { get; set; } = OptionDefaults.InitStd;

    /// <summary>The value of <see cref="Init.Constant"/> for the weight.</summary>
    public double InitValue { get; set; }

    /// <summary>The gain of the Xavier initialisers (default 1).</summary>
    public double InitGain { get; set; } = OptionDefaults.InitGain;

    /// <summary>The nonlinearity whose gain the Kaiming initialisers use (default LeakyReLU, as in PyTorch).</summary>
    public Nonlinearity InitNonlinearity { get; set; }

    /// <summary>The negative slope the Kaiming gain uses for <see cref="Nonlinearity.LeakyReLU"/> (default 0).</summary>
    public double InitNegativeSlope { get; set; }

    /// <summary>The value of <see cref="Init.Constant"/> for the bias.</summary>
    public double BiasValue { get; set; }
}

/// <summary>
/// Inverted dropout, PyTorch's <c>nn.Dropout(p)</c>: in training each element is zeroed with probability <c>p</c>
/// and the survivors are scaled by 1/(1-p); in evaluation it is the identity. The mask is drawn from the network's seed.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : LayerAttribute
{
    /// <summary>Declares dropout with drop probability <paramref name="p"/>, in [0, 1).</summary>
    public DropoutAttribute(double p = OptionDefaults.DropoutP) => P = p;

    /// <summary>The probability of zeroing an element, in [0, 1).</summary>
    public double P { get; }
}
