using System;

namespace SourceGenNN;

/// <summary>
/// The element-wise sum of the layer's input (the previous layer's output, or <see cref="LayerAttribute.Input"/>) and
/// the tensors named, all of one shape: a residual connection. <c>[Add("block_in")]</c> after a block computes
/// <c>block(x) + x</c> where the block's first layer is named so, or reads a layer named <c>block_in</c>.
/// </summary>
/// <example>
/// <code>
/// [Network(32)]
/// [Dense(32, Name = "fc1")] [ReLU]
/// [Dense(32)]
/// [Add("input")]          // y = fc(relu(fc1(x))) + x
/// [LayerNorm]
/// public partial class Residual { }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AddAttribute : LayerAttribute
{
    /// <summary>Declares the sum of the input and the tensors named <paramref name="others"/>.</summary>
    /// <param name="others">Network inputs or earlier layers, each of the input's shape.</param>
    public AddAttribute(params string[] others) => Others = others;

    /// <summary>The tensors added to the input.</summary>
    public string[] Others { get; }
}
