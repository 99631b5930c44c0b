using System;
using System.Collections.Generic;
using System.Globalization;

namespace SourceGenNN.Testing;

/// <summary>
/// Network descriptions built by hand, the way the generator describes its networks, for code that cannot use the
/// generator (GpuCheck: the trimmed publish) or wants layer kinds it refuses. Shared by GpuCheck and Runtime.Tests
/// (linked there as a source file).
/// </summary>
internal static class Descriptions
{
    /// <summary>
    /// Builds a description: Dense layers get <c>i.weight</c> [out, in] and <c>i.bias</c> [out] (none for
    /// "DenseNoBias"), PReLU <c>i.weight</c> [features] (or [1] without perFeature=true). Other kinds keep the width.
    /// </summary>
    public static NetworkDescription Build(string name, int inputs, params (string Kind, int Units, string Args)[] spec)
    {
        var layers = new List<LayerDescription>();
        var tensors = new List<TensorDescription>();
        int width = inputs, offset = 0;
        for (int i = 0; i < spec.Length; i++)
        {
            var (kind, units, args) = spec[i];
            string layerName = i.ToString(CultureInfo.InvariantCulture);
            int count = 0, outWidth = width;
            if (kind is "Dense" or "DenseNoBias")
            {
                outWidth = units;
                tensors.Add(new TensorDescription(layerName + ".weight", offset, new[] { units, width }));
                offset += units * width;
                count += units * width;
                if (kind == "Dense")
                {
                    tensors.Add(new TensorDescription(layerName + ".bias", offset, new[] { units }));
                    offset += units;
                    count += units;
                }
                kind = "Dense";
            }
            else if (kind == "PReLU")
            {
                int n = args.Contains("perFeature=true", StringComparison.Ordinal) ? width : 1;
                tensors.Add(new TensorDescription(layerName + ".weight", offset, new[] { n }));
                offset += n;
                count = n;
            }
            layers.Add(new LayerDescription(layerName, kind, width, outWidth, count, args));
            width = outWidth;
        }
        return new NetworkDescription(name, inputs, layers.ToArray(), tensors.ToArray());
    }
}
