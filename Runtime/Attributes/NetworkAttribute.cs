using System;

namespace SourceGenNN;

/// <summary>
/// Marks a <c>partial class</c> as a network whose code SourceGenNN generates at compile time, and declares the shape
/// of one sample of its input (the batch is not part of it): <c>[Network(784)]</c> for vectors,
/// <c>[Network(1, 28, 28)]</c> for images, <c>[Network(10, 16)]</c> for sequences. The input is named <c>input</c>.
/// The layer attributes that follow on the same class, in source order, are the layers in forward order; each reads
/// the previous layer's output unless it names another tensor with <see cref="LayerAttribute.Input"/>.
/// </summary>
/// <example>
/// <code>
/// [Network(784)]
/// [Dense(128)] [ReLU]
/// [Dense(10)]
/// public partial class Mlp { }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Declares a network whose input sample has the shape <paramref name="inputShape"/>.</summary>
    /// <param name="inputShape">The shape of one input sample, batch excluded; every dimension positive.</param>
    public NetworkAttribute(params int[] inputShape) => InputShape = inputShape;

    /// <summary>The shape of one input sample. Every other shape is inferred from it.</summary>
    public int[] InputShape { get; }
}

/// <summary>
/// Declares a further input of the network, with its own name and shape, for layers that read two tensors (the keys and
/// values of cross-attention, a side input concatenated in). Layers read it by naming it in
/// <see cref="LayerAttribute.Input"/>, <c>[Add]</c> or <c>[Concat]</c>. The generated <c>Forward</c> then takes one span
/// per input, in declaration order, and <c>Backward</c> returns the gradient of each on request.
/// </summary>
/// <example>
/// <code>
/// [Network(8)]                              // "input", 8 features
/// [Input("context", 4)]                     // "context", 4 features
/// [Dense(16)] [ReLU(Name = "a")]
/// [Dense(16, Name = "b", Input = "context")]
/// [Concat("a")]                             // cat([b, a], dim=-1): 32 features
/// [Dense(2)]
/// public partial class TwoInputs { }        // Forward(input, context, output, batch)
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Declares an input named <paramref name="name"/> whose sample has the shape <paramref name="shape"/>.</summary>
    /// <param name="name">A C# identifier; it names the Forward parameter and the constants (<c>ContextSize</c>).</param>
    /// <param name="shape">The shape of one sample, batch excluded.</param>
    public InputAttribute(string name, params int[] shape)
    {
        Name = name;
        Shape = shape;
    }

    /// <summary>The input's name.</summary>
    public string Name { get; }

    /// <summary>The shape of one sample.</summary>
    public int[] Shape { get; }
}

/// <summary>The base of every layer attribute.</summary>
public abstract class LayerAttribute : Attribute
{
    /// <summary>
    /// The layer's stable name, used in the summary and as the prefix of its parameters in weight files
    /// (<c>fc1</c> gives <c>fc1.weight</c> and <c>fc1.bias</c>). When unset, the layer's index in forward order
    /// is used, as PyTorch's <c>nn.Sequential</c> does (<c>0.weight</c>).
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// The tensor the layer reads: a network input (<c>"input"</c>, or one declared with <see cref="InputAttribute"/>) or
    /// an earlier layer's name. When unset, the layer reads the previous layer's output (the network input for the first).
    /// </summary>
    public string? Input { get; set; }
}
