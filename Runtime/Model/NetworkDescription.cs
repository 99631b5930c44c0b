using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace SourceGenNN;

/// <summary>One parameter tensor of a network: its stable name, where it lives in the parameter buffer, and its shape.</summary>
/// <param name="Name">The name, as in PyTorch's <c>state_dict</c> (<c>0.weight</c>, <c>fc1.bias</c>).</param>
/// <param name="Offset">The index of its first element in <see cref="INetwork.Parameters"/>.</param>
/// <param name="Shape">Its shape, PyTorch's layout (<c>[out, in]</c> for a dense weight).</param>
public sealed record TensorDescription(string Name, int Offset, IReadOnlyList<int> Shape)
{
    /// <summary>The number of elements.</summary>
    public int Length
    {
        get
        {
            int n = 1;
            foreach (int d in Shape) n *= d;
            return n;
        }
    }

    /// <summary>The shape written as <c>[a, b]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>One layer of a network, as declared.</summary>
/// <param name="Name">The layer's stable name (its index by default).</param>
/// <param name="Kind">The layer kind, as written in the declaration (<c>Dense</c>, <c>ReLU</c>, ...).</param>
/// <param name="InputSize">Features per sample going in.</param>
/// <param name="OutputSize">Features per sample coming out.</param>
/// <param name="ParameterCount">The number of trainable parameters.</param>
/// <param name="Arguments">The layer's options as text, for the summary and fingerprints (<c>p=0.5</c>).</param>
public sealed record LayerDescription(string Name, string Kind, int InputSize, int OutputSize, int ParameterCount, string Arguments);

/// <summary>The static shape of a generated network: its layers and its parameter tensors.</summary>
public sealed class NetworkDescription
{
    /// <summary>Creates a description. Generated code calls this once per network type.</summary>
    public NetworkDescription(string name, int inputSize, LayerDescription[] layers, TensorDescription[] parameters)
    {
        Name = name;
        InputSize = inputSize;
        Layers = layers;
        Parameters = parameters;
        int count = 0;
        foreach (var t in parameters) count += t.Length;
        ParameterCount = count;
        OutputSize = layers.Length == 0 ? inputSize : layers[^1].OutputSize;
    }

    /// <summary>The network's type name.</summary>
    public string Name { get; }

    /// <summary>Features per input sample.</summary>
    public int InputSize { get; }

    /// <summary>Features per output sample.</summary>
    public int OutputSize { get; }

    /// <summary>The layers in forward order.</summary>
    public IReadOnlyList<LayerDescription> Layers { get; }

    /// <summary>The parameter tensors, in buffer order.</summary>
    public IReadOnlyList<TensorDescription> Parameters { get; }

    /// <summary>The total number of trainable parameters.</summary>
    public int ParameterCount { get; }

    /// <summary>Finds a parameter tensor by name, or null.</summary>
    public TensorDescription? FindParameter(string name)
    {
        foreach (var t in Parameters)
            if (t.Name == name) return t;
        return null;
    }

    /// <summary>
    /// A text that identifies the network's structure: every layer's kind, sizes and options, and every tensor's name
    /// and shape. Weight files store a hash of it, so that weights never load into a different network.
    /// </summary>
    public string Fingerprint
    {
        get
        {
            var sb = new StringBuilder();
            sb.Append("in=").Append(InputSize.ToString(CultureInfo.InvariantCulture)).Append(';');
            foreach (var l in Layers)
                sb.Append(l.Name).Append(':').Append(l.Kind).Append('(').Append(l.Arguments).Append(')')
                  .Append(l.InputSize.ToString(CultureInfo.InvariantCulture)).Append("->")
                  .Append(l.OutputSize.ToString(CultureInfo.InvariantCulture)).Append(';');
            foreach (var t in Parameters)
                sb.Append(t.Name).Append(t.ShapeText).Append(';');
            return sb.ToString();
        }
    }

    /// <summary>
    /// Formats a torchsummary-style table: each layer's name, type, output shape and parameter count, then the totals
    /// and the memory the parameters and the activations of <paramref name="batchSize"/> samples take.
    /// </summary>
    public string FormatSummary(int batchSize = 1)
    {
        if (batchSize <= 0)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(batchSize), batchSize, "a positive batch size");
        var inv = CultureInfo.InvariantCulture;
        const int wName = 14, wType = 16, wShape = 18, wParams = 12;
        string rule = new string('-', wName + wType + wShape + wParams + 3);
        var sb = new StringBuilder();
        sb.Append(Name).Append('\n');
        sb.Append(rule).Append('\n');
        sb.Append("Layer".PadRight(wName)).Append(' ').Append("Type".PadRight(wType)).Append(' ')
          .Append("Output Shape".PadRight(wShape)).Append(' ').Append("Param #".PadLeft(wParams)).Append('\n');
        sb.Append(new string('=', rule.Length)).Append('\n');
        sb.Append("input".PadRight(wName)).Append(' ').Append("Input".PadRight(wType)).Append(' ')
          .Append(("[-1, " + InputSize.ToString(inv) + "]").PadRight(wShape)).Append(' ').Append("0".PadLeft(wParams)).Append('\n');
        long activations = InputSize;
        foreach (var l in Layers)
        {
            string kind = l.Arguments.Length == 0 ? l.Kind : l.Kind + "(" + l.Arguments + ")";
            sb.Append(l.Name.PadRight(wName)).Append(' ').Append(kind.PadRight(wType)).Append(' ')
              .Append(("[-1, " + l.OutputSize.ToString(inv) + "]").PadRight(wShape)).Append(' ')
              .Append(l.ParameterCount.ToString("N0", inv).PadLeft(wParams)).Append('\n');
            activations += l.OutputSize;
        }
        sb.Append(new string('=', rule.Length)).Append('\n');
        sb.Append("Total params: ").Append(ParameterCount.ToString("N0", inv)).Append('\n');
        sb.Append("Trainable params: ").Append(ParameterCount.ToString("N0", inv)).Append('\n');
        sb.Append("Non-trainable params: 0\n");
        sb.Append(rule).Append('\n');
        sb.Append("Batch size: ").Append(batchSize.ToString(inv)).Append('\n');
        sb.Append("Input size (KiB): ").Append(Kib(4L * InputSize * batchSize)).Append('\n');
        sb.Append("Forward activations (KiB): ").Append(Kib(4L * (activations - InputSize) * batchSize)).Append('\n');
        sb.Append("Params size (KiB): ").Append(Kib(4L * ParameterCount)).Append('\n');
        sb.Append("Estimated total size (KiB): ").Append(Kib(4L * (activations * batchSize + ParameterCount))).Append('\n');
        sb.Append(rule).Append('\n');
        return sb.ToString();

        static string Kib(long bytes) => (bytes / 1024.0).ToString("0.00", CultureInfo.InvariantCulture);
    }
}
