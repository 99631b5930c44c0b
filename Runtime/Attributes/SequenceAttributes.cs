using System;

namespace SourceGenNN;

/// <summary>
/// A learned positional embedding: <c>y[t] = x[t] + weight[t]</c> over [T, E] samples, <c>weight</c> [T, E] trained
/// with the rest. PyTorch's equivalent is an <c>nn.Embedding(T, E)</c> looked up at the positions 0..T−1 and added, so
/// its <c>weight</c> loads directly; initialised as nn.Embedding's, N(0, 1), or N(0, <see cref="InitStd"/>²).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PositionalEmbeddingAttribute : LayerAttribute
{
    /// <summary>The standard deviation of the initial values (default 1, as nn.Embedding).</summary>
    public double InitStd { get; set; } = OptionDefaults.PositionalEmbeddingStd;
}

/// <summary>
/// The fixed sinusoidal positional encoding of "Attention Is All You Need", added to [T, E] samples:
/// <c>PE[t, 2i] = sin(t/10000^(2i/E))</c>, <c>PE[t, 2i + 1] = cos(t/10000^(2i/E))</c>. No parameters.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SinusoidalPositionalEncodingAttribute : LayerAttribute
{
}

/// <summary>
/// The mean over one dimension, <c>torch.mean(x, dim)</c>, which is removed: <c>[Mean(1)]</c> on [T, E] samples averages
/// the positions and gives [E] (mean pooling over a sequence). Dims are PyTorch's: the batch is dim 0.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MeanAttribute : LayerAttribute
{
    /// <summary>Declares the mean over <paramref name="dim"/>.</summary>
    /// <param name="dim">PyTorch's dim: 1 is the first dimension of a sample, −1 the last.</param>
    public MeanAttribute(int dim) => Dim = dim;

    /// <summary>The dimension averaged.</summary>
    public int Dim { get; }

    /// <summary>Keep the averaged dimension with size 1 (<c>keepdim</c>; default false).</summary>
    public bool KeepDim { get; set; } = OptionDefaults.MeanKeepDim;
}
