using System;

namespace SourceGenNN;

/// <summary>
/// PyTorch's <c>nn.Flatten(start_dim, end_dim)</c>: the dimensions from <see cref="StartDim"/> to <see cref="EndDim"/>
/// become one. Dims count the batch as dim 0, as PyTorch's do, so the default (1 to -1) flattens each sample to a vector:
/// [8, 7, 7] becomes [392]. The elements do not move: the output is a view of the input's memory.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : LayerAttribute
{
    /// <summary>The first dimension flattened (default 1, the first of a sample).</summary>
    public int StartDim { get; set; } = OptionDefaults.FlattenStartDim;

    /// <summary>The last dimension flattened (default -1, the last).</summary>
    public int EndDim { get; set; } = OptionDefaults.FlattenEndDim;
}
