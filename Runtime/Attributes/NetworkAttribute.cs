using System;

namespace SourceGenNN;

/// <summary>
/// Marks a <c>partial class</c> as a network whose code SourceGenNN generates at compile time.
/// The layer attributes that follow on the same class, in source order, are the layers in forward order.
/// </summary>
/// <example>
/// <code>
/// [Network(Inputs = 784)]
/// [Dense(128)] [ReLU]
/// [Dense(10)]
/// public partial class Mlp { }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Declares a network with <paramref name="inputs"/> input features.</summary>
    /// <param name="inputs">The number of input features of one sample; must be positive.</param>
    public NetworkAttribute(int inputs) => Inputs = inputs;

    /// <summary>The number of input features of one sample. Every other shape is inferred from it.</summary>
    public int Inputs { get; }
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
}
