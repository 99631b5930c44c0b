using System;

namespace SourceGenNN;

/// <summary>
/// <c>torch.cat</c> of the layer's input (the previous layer's output, or <see cref="LayerAttribute.Input"/>) and the
/// tensors named, in that order, along <see cref="Dim"/>; the other dimensions must be equal. <c>[Concat("a")]</c> after a
/// layer of [16] features and a layer "a" of [8] gives [24].
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConcatAttribute : LayerAttribute
{
    /// <summary>Declares the concatenation of the input and the tensors named <paramref name="others"/>.</summary>
    /// <param name="others">Network inputs or earlier layers.</param>
    public ConcatAttribute(params string[] others) => Others = others;

    /// <summary>The tensors concatenated after the input.</summary>
    public string[] Others { get; }

    /// <summary>
    /// The dimension joined, as PyTorch counts it: the batch is dim 0 (which cannot be chosen), dim 1 the first of a
    /// sample; negative counts from the end (default -1, the last).
    /// </summary>
    public int Dim { get; set; } = OptionDefaults.ConcatDim;
}
