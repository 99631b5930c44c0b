using SourceGenNN.Generator.Diagnostics;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// A dense layer, PyTorch's <c>nn.Linear</c>: <c>y = x·Wᵀ + b</c> on the last axis, W of shape [units, in_features].
/// An input [..., in_features] gives [..., units]: the leading axes are rows, like the batch.
/// </summary>
internal sealed record DenseLayer(LayerCore Core, int Units, bool HasBias, InitInfo WeightInit, InitInfo? BiasInit) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.Dense;

    /// <summary>in_features: the last axis of the input.</summary>
    public int InFeatures => Input.Last;

    /// <summary>The rows of one sample: the product of the input's leading axes (1 for a vector).</summary>
    public int Rows => Input.Leading;

    public override EquatableArray<OptionInfo> Options => new[] { OptionInfo.Bool("bias", HasBias, shown: !HasBias) }.ToEquatableArray();

    public override EquatableArray<ParameterInfo> Parameters => HasBias
        ? new[] { Weight, new ParameterInfo("bias", Shape.Of(Units), BiasInit!) }.ToEquatableArray()
        : new[] { Weight }.ToEquatableArray();

    private ParameterInfo Weight => new("weight", Shape.Of(Units, InFeatures), WeightInit);

    // Init enum values, as the runtime declares them.
    private static readonly string[] InitNames =
        { "Default", "Uniform", "Normal", "Constant", "Zeros", "Ones", "KaimingUniform", "KaimingNormal", "XavierUniform", "XavierNormal" };

    private static readonly string[] NonlinearityNames = { "LeakyReLU", "ReLU", "Linear", "Sigmoid", "Tanh", "SELU" };

    public static LayerInfo? Parse(LayerParseContext c)
    {
        var a = c.Args;
        int units = (int)a.Number("units", 0);
        if (units <= 0)
            c.Report(DiagnosticDescriptors.NonPositiveSize, "Dense", "units", units.ToString(System.Globalization.CultureInfo.InvariantCulture));
        bool hasBias = a.Number("Bias", OptionDefaults.DenseBias ? 1 : 0) != 0;

        // Every enum option is checked, used or not: (Init)99 is a mistake even on a layer without a bias.
        foreach (var (option, count) in new[] { ("WeightInit", InitNames.Length), ("BiasInit", InitNames.Length), ("InitNonlinearity", NonlinearityNames.Length) })
        {
            double v = a.Number(option, 0);
            if (v < 0 || v >= count) c.Require(false, option, v, option == "InitNonlinearity" ? "one of the Nonlinearity values" : "one of the Init values");
        }
        if (c.HasErrors) return null;
        var weight = ReadInit(c, "WeightInit", isBias: false, units);
        var bias = hasBias ? ReadInit(c, "BiasInit", isBias: true, units) : null;
        return c.HasErrors ? null : new DenseLayer(c.Core(c.InputShape.WithLast(units)), units, hasBias, weight, bias);
    }

    private static InitInfo ReadInit(LayerParseContext c, string property, bool isBias, int units)
    {
        var a = c.Args;
        int kindValue = (int)a.Number(property, 0);
        string kind = kindValue >= 0 && kindValue < InitNames.Length ? InitNames[kindValue] : "Default";
        if (kindValue < 0 || kindValue >= InitNames.Length)
            c.Require(false, property, kindValue, "one of the Init values");
        int fanIn = c.InputShape.Last, fanOut = units;
        switch (kind)
        {
            case "Uniform":
            {
                // Uniform and Normal read the same options for a weight and a bias.
                double lo = a.Number("InitLow", OptionDefaults.InitLow), hi = a.Number("InitHigh", OptionDefaults.InitHigh);
                c.Require(hi > lo, "InitHigh", hi, "greater than InitLow");
                return new InitInfo(kind, lo, hi, fanIn, fanOut);
            }
            case "Normal":
            {
                double mean = a.Number("InitMean", OptionDefaults.InitMean), std = a.Number("InitStd", OptionDefaults.InitStd);
                c.Require(std > 0, "InitStd", std, "positive");
                return new InitInfo(kind, mean, std, fanIn, fanOut);
            }
            case "Constant":
                return new InitInfo(kind, a.Number(isBias ? "BiasValue" : "InitValue", 0), 0, fanIn, fanOut);
            case "Zeros":
            case "Ones":
            case "Default":
                return new InitInfo(kind, 0, 0, fanIn, fanOut);
            case "KaimingUniform":
            case "KaimingNormal":
            {
                if (isBias) { c.Report(DiagnosticDescriptors.InitNotApplicable, "Dense", property, kind); return new InitInfo("Default", 0, 0, fanIn, fanOut); }
                int nl = (int)a.Number("InitNonlinearity", 0);
                double slope = a.Number("InitNegativeSlope", 0);
                c.Require(nl >= 0 && nl < NonlinearityNames.Length, "InitNonlinearity", nl, "one of the Nonlinearity values");
                c.Require(slope >= 0, "InitNegativeSlope", slope, "zero or positive");
                // A is the gain, computed here exactly as torch.nn.init.calculate_gain does.
                double gain = (nl >= 0 && nl < NonlinearityNames.Length ? NonlinearityNames[nl] : "LeakyReLU") switch
                {
                    "LeakyReLU" => System.Math.Sqrt(2.0 / (1.0 + slope * slope)),
                    "ReLU" => System.Math.Sqrt(2.0),
                    "Tanh" => 5.0 / 3.0,
                    "SELU" => 0.75,
                    _ => 1.0,
                };
                return new InitInfo(kind, gain, 0, fanIn, fanOut);
            }
            default: // Xavier
            {
                if (isBias) { c.Report(DiagnosticDescriptors.InitNotApplicable, "Dense", property, kind); return new InitInfo("Default", 0, 0, fanIn, fanOut); }
                double gain = a.Number("InitGain", OptionDefaults.InitGain);
                c.Require(gain > 0, "InitGain", gain, "positive");
                return new InitInfo(kind, gain, 0, fanIn, fanOut);
            }
        }
    }
}
