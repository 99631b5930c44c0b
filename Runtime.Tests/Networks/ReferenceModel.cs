using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace SourceGenNN.Tests.Networks;

/// <summary>
/// A plain double-precision implementation of the layers, written from the math and driven only by a network's
/// <see cref="NetworkDescription"/> and its parameters: an independent reference for the generated code.
/// Dropout and RReLU are evaluated in evaluation mode.
/// </summary>
internal static class ReferenceModel
{
    public static double[] Forward(NetworkDescription desc, ReadOnlySpan<float> parameters, double[] x, int batch)
    {
        var p = parameters.ToArray().Select(v => (double)v).ToArray();
        return Forward(desc, p, x, batch);
    }

    public static double[] Forward(NetworkDescription desc, double[] p, double[] x, int batch)
    {
        var a = (double[])x.Clone();
        foreach (var layer in desc.Layers)
        {
            int nIn = layer.InputSize, nOut = layer.OutputSize;
            var y = new double[batch * nOut];
            var args = ParseArgs(layer.Arguments);
            switch (layer.Kind)
            {
                case "Dense":
                {
                    var w = desc.FindParameter(layer.Name + ".weight")!;
                    var b = desc.FindParameter(layer.Name + ".bias");
                    for (int n = 0; n < batch; n++)
                        for (int o = 0; o < nOut; o++)
                        {
                            double s = b is null ? 0 : p[b.Offset + o];
                            for (int i = 0; i < nIn; i++) s += a[n * nIn + i] * p[w.Offset + o * nIn + i];
                            y[n * nOut + o] = s;
                        }
                    break;
                }
                case "Softmax":
                    for (int n = 0; n < batch; n++)
                    {
                        double max = double.NegativeInfinity;
                        for (int i = 0; i < nIn; i++) max = Math.Max(max, a[n * nIn + i]);
                        double sum = 0;
                        for (int i = 0; i < nIn; i++) sum += Math.Exp(a[n * nIn + i] - max);
                        for (int i = 0; i < nIn; i++) y[n * nIn + i] = Math.Exp(a[n * nIn + i] - max) / sum;
                    }
                    break;
                case "PReLU":
                {
                    var w = desc.FindParameter(layer.Name + ".weight")!;
                    for (int n = 0; n < batch; n++)
                        for (int i = 0; i < nIn; i++)
                        {
                            double v = a[n * nIn + i], slope = p[w.Offset + (w.Length == 1 ? 0 : i)];
                            y[n * nIn + i] = v > 0 ? v : slope * v;
                        }
                    break;
                }
                default:
                    for (int k = 0; k < a.Length; k++) y[k] = Activation(layer.Kind, args, a[k]);
                    break;
            }
            a = y;
        }
        return a;
    }

    /// <summary>The closed form of each element-wise activation, in double.</summary>
    public static double Activation(string kind, IReadOnlyDictionary<string, double> args, double x) => kind switch
    {
        "Identity" or "Dropout" => x,
        "Sigmoid" => 1 / (1 + Math.Exp(-x)),
        "Tanh" => Math.Tanh(x),
        "ReLU" => Math.Max(0, x),
        "LeakyReLU" => x >= 0 ? x : args["slope"] * x,
        "RReLU" => x >= 0 ? x : (args["lower"] + args["upper"]) / 2 * x,
        "ELU" => x > 0 ? x : args["alpha"] * (Math.Exp(x) - 1),
        "GELU" => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))),
        "SiLU" => x / (1 + Math.Exp(-x)),
        _ => throw new NotSupportedException(kind),
    };

    public static IReadOnlyDictionary<string, double> ParseArgs(string text)
    {
        var d = new Dictionary<string, double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=');
            if (kv.Length == 2 && double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) d[kv[0]] = v;
        }
        return d;
    }

    /// <summary>erf by its Maclaurin series (|x| &lt; 3) or continued fraction: accurate to ~1e-15, independent of the kernel's approximation.</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        double r;
        if (ax < 3)
        {
            double term = ax, sum = ax;
            for (int n = 1; n < 200; n++)
            {
                term *= -ax * ax / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17) break;
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc by Lentz's continued fraction.
            double f = ax, c = ax, d = 0;
            for (int n = 1; n < 200; n++)
            {
                double an = n / 2.0;
                d = ax + an * d; d = 1 / d;
                c = ax + an / c;
                f *= c * d;
            }
            r = 1 - Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        }
        return Math.Sign(x) * r;
    }
}
