using System;

namespace SourceGenNN;

/// <summary>
/// Gives each sample a new shape with the same number of elements, as <c>x.view(batch, *shape)</c> or
/// <c>nn.Unflatten(1, shape)</c>: <c>[Reshape(16, 7, 7)]</c> turns [784] into [16, 7, 7]. One dimension may be -1,
/// inferred from the others. The elements do not move: the output is a view of the input's memory.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReshapeAttribute : LayerAttribute
{
    /// <summary>Declares the new shape of one sample.</summary>
    /// <param name="shape">The dimensions, batch excluded; at most one -1.</param>
    public ReshapeAttribute(params int[] shape) => Shape = shape;

    /// <summary>The new shape of one sample.</summary>
    public int[] Shape { get; }
}
