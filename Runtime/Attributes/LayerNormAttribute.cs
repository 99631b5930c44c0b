using System;

namespace SourceGenNN;

/// <summary>
/// Layer normalisation, PyTorch's <c>nn.LayerNorm(normalized_shape, eps, elementwise_affine)</c>: every group of the
/// last dimensions (<c>normalized_shape</c>) is shifted to zero mean and scaled to unit variance (the biased variance,
/// as PyTorch), then multiplied by a learnable <c>weight</c> and shifted by a learnable <c>bias</c> of that shape,
/// initialised to ones and zeros. <c>[LayerNorm]</c> normalises the last dimension; <c>[LayerNorm(7, 7)]</c> the last two,
/// which must then be 7 and 7.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LayerNormAttribute : LayerAttribute
{
    /// <summary>Declares layer normalisation over the trailing dimensions <paramref name="normalizedShape"/> (none: the last dimension).</summary>
    /// <param name="normalizedShape">The last dimensions of the input, as PyTorch's <c>normalized_shape</c>.</param>
    public LayerNormAttribute(params int[] normalizedShape) => NormalizedShape = normalizedShape;

    /// <summary>The normalised trailing dimensions (empty: the last).</summary>
    public int[] NormalizedShape { get; }

    /// <summary>Added to the variance before the square root (default 1e-5).</summary>
    public double Eps { get; set; } = OptionDefaults.LayerNormEps;

    /// <summary>Whether the layer has the learnable <c>weight</c> and <c>bias</c> (default true).</summary>
    public bool ElementwiseAffine { get; set; } = OptionDefaults.LayerNormAffine;
}
