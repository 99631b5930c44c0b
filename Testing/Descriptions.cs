using System;
using System.Collections.Generic;
using System.Globalization;

namespace SourceGenNN.Testing;

/// <summary>
/// Network descriptions built by hand, the way the generator describes its networks, for tests that need a kind the
/// generator does not have (a CPU-only or unknown kind) or a structure built at run time. Everything else is declared
/// with attributes. Shared (as source) by Runtime.Tests and GpuCheck.
/// </summary>
internal static class Descriptions
{
    /// <summary>One layer of a chain: its kind, its output width (a Dense's units; 0 keeps the width), and its options.</summary>
    internal sealed record Spec(string Kind, int Units = 0, params LayerOption[] Options);

    /// <summary>
    /// A chain over a vector input: layer i reads layer i − 1 (the first reads <c>input</c>); a Dense gets
    /// <c>i.weight</c> [units, in] and <c>i.bias</c> [units] (none with option bias=false); other kinds keep the width and
    /// have no parameters.
    /// </summary>
    public static NetworkDescription Chain(string name, int inputs, params Spec[] spec)
    {
        var layers = new List<LayerDescription>();
        var tensors = new List<TensorDescription>();
        int width = inputs, offset = 0;
        for (int i = 0; i < spec.Length; i++)
        {
            var s = spec[i];
            string layerName = i.ToString(CultureInfo.InvariantCulture);
            int count = 0, outWidth = width;
            if (s.Kind == LayerKindNames.Dense)
            {
                outWidth = s.Units;
                tensors.Add(new TensorDescription(layerName + ".weight", offset, [s.Units, width]));
                offset += s.Units * width;
                count += s.Units * width;
                if (Array.Find(s.Options, o => o.Name == "bias") is not { Value: false })
                {
                    tensors.Add(new TensorDescription(layerName + ".bias", offset, [s.Units]));
                    offset += s.Units;
                    count += s.Units;
                }
            }
            string input = i == 0 ? "input" : (i - 1).ToString(CultureInfo.InvariantCulture);
            layers.Add(new LayerDescription(layerName, s.Kind, [input], [outWidth], count, s.Options));
            width = outWidth;
        }
        return new NetworkDescription(name, [new InputDescription("input", [inputs])], layers.ToArray(), tensors.ToArray());
    }
}
