using System;
using System.Collections.Generic;

namespace SourceGenNN.Tests.Cuda;

/// <summary>Network descriptions built by hand, the way the generator describes its networks.</summary>
internal static class TestNetworks
{
    /// <summary>784 → Dense(128) ReLU → Dense(10) Softmax, as <c>[Network(784)] [Dense(128)] [ReLU] [Dense(10)] [Softmax]</c>.</summary>
    public static NetworkDescription Mlp() => Build("Mlp", 784,
        ("Dense", 128, ""), ("ReLU", 0, ""), ("Dense", 10, ""), ("Softmax", 0, ""));

    /// <summary>Every layer kind the CUDA path supports, ending in Sigmoid.</summary>
    public static NetworkDescription Zoo() => Build("Zoo", 8,
        ("Dense", 16, ""), ("LeakyReLU", 0, "slope=0.2"), ("Dropout", 0, "p=0.25"),
        ("Dense", 16, ""), ("ELU", 0, "alpha=0.5"),
        ("Dense", 12, ""), ("GELU", 0, ""), ("PReLU", 0, "perFeature=true"),
        ("DenseNoBias", 12, ""), ("SiLU", 0, ""), ("RReLU", 0, "lower=0.1,upper=0.3"), ("Tanh", 0, ""), ("Identity", 0, ""),
        ("Dense", 3, ""), ("Sigmoid", 0, ""));

    /// <summary>
    /// Builds a description: Dense layers get <c>i.weight</c> [out, in] and <c>i.bias</c> [out] (none for
    /// "DenseNoBias"), PReLU <c>i.weight</c> [features] (or [1] without perFeature=true).
    /// </summary>
    public static NetworkDescription Build(string name, int inputs, params (string Kind, int Units, string Args)[] spec)
    {
        var layers = new List<LayerDescription>();
        var tensors = new List<TensorDescription>();
        int width = inputs, offset = 0;
        for (int i = 0; i < spec.Length; i++)
        {
            var (kind, units, args) = spec[i];
            string layerName = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
