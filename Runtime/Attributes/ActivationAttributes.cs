using System;

namespace SourceGenNN;

/// <summary>The identity activation, <c>f(x) = x</c> (PyTorch's <c>nn.Identity</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class IdentityAttribute : LayerAttribute { }

/// <summary>The logistic sigmoid, <c>σ(x) = 1 / (1 + e⁻ˣ)</c>; derivative <c>σ(x)(1 - σ(x))</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SigmoidAttribute : LayerAttribute { }

/// <summary>The hyperbolic tangent; derivative <c>1 - tanh²(x)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TanhAttribute : LayerAttribute { }

/// <summary>The rectified linear unit, <c>max(0, x)</c>; derivative 1 for x &gt; 0, else 0.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReLUAttribute : LayerAttribute { }

/// <summary>Leaky ReLU, <c>x</c> for x ≥ 0 and <c>slope·x</c> otherwise.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LeakyReLUAttribute : LayerAttribute
{
    /// <summary>Declares a leaky ReLU with the given negative slope (default 0.01, as PyTorch).</summary>
    public LeakyReLUAttribute(double slope = OptionDefaults.LeakyReluSlope) => Slope = slope;

    /// <summary>The slope for negative inputs.</summary>
    public double Slope { get; }
}

/// <summary>
/// Parametric ReLU, PyTorch's <c>nn.PReLU</c>: <c>x</c> for x ≥ 0 and <c>a·x</c> otherwise, with a learnable slope
/// <c>a</c>, one shared by all elements or one per channel, initialised to <see cref="Init"/> (0.25). The channels are
/// the first dimension of a sample (PyTorch's dim 1): the features of a vector, the channels of an image.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PReLUAttribute : LayerAttribute
{
    /// <summary>One learnable slope per channel, as <c>nn.PReLU(num_parameters=C)</c> (true), or one shared slope (false, the default).</summary>
    public bool PerFeature { get; set; }

    /// <summary>The initial slope (default 0.25).</summary>
    public double Init { get; set; } = OptionDefaults.PReluInit;
}

/// <summary>The exponential linear unit, <c>x</c> for x &gt; 0 and <c>alpha·(eˣ - 1)</c> otherwise.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ELUAttribute : LayerAttribute
{
    /// <summary>Declares an ELU with the given alpha (default 1; must not be negative).</summary>
    public ELUAttribute(double alpha = OptionDefaults.EluAlpha) => Alpha = alpha;

    /// <summary>The scale of the negative part.</summary>
    public double Alpha { get; }
}

/// <summary>
/// Randomised leaky ReLU, PyTorch's <c>nn.RReLU</c>: in training the negative slope of each element is drawn from
/// U(lower, upper); in evaluation it is the mean (lower + upper) / 2.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RReLUAttribute : LayerAttribute
{
    /// <summary>Declares an RReLU with slopes drawn from U(<paramref name="lower"/>, <paramref name="upper"/>).</summary>
    public RReLUAttribute(double lower = OptionDefaults.RReluLower, double upper = OptionDefaults.RReluUpper)
    {
        Lower = lower;
        Upper = upper;
    }

    /// <summary>The smallest slope (default 1/8).</summary>
    public double Lower { get; }

    /// <summary>The largest slope (default 1/3).</summary>
    public double Upper { get; }
}

/// <summary>
/// Softmax along one dimension, PyTorch's <c>nn.Softmax(dim)</c>: <c>softmax(x)ᵢ = eˣⁱ / Σⱼ eˣʲ</c>, computed stably
/// (the maximum subtracted first). The default is the last dimension.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftmaxAttribute : LayerAttribute
{
    /// <summary>
    /// The dimension normalised, as PyTorch counts it: the batch is dim 0 (which cannot be chosen), so dim 1 is the first
    /// dimension of a sample; negative counts from the end (default -1, the last).
    /// </summary>
    public int Dim { get; set; } = OptionDefaults.SoftmaxDim;
}

/// <summary>The Gaussian error linear unit, <c>x·Φ(x)</c> (exact, with erf, as PyTorch's default).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GELUAttribute : LayerAttribute { }

/// <summary>The sigmoid linear unit (swish), <c>x·σ(x)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SiLUAttribute : LayerAttribute { }
