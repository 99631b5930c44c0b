using System.Globalization;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// An element-wise activation without parameters: Identity, Sigmoid, Tanh, ReLU, LeakyReLU(slope), ELU(alpha), GELU,
/// SiLU and RReLU(lower, upper). <see cref="P1"/> and <see cref="P2"/> hold the options the kind has. The output has
/// the input's shape.
/// </summary>
internal sealed record ActivationLayer(LayerCore Core, string ActivationKind, double P1, double P2) : LayerInfo(Core)
{
    public override string Kind => ActivationKind;

    public override EquatableArray<OptionInfo> Options => ActivationKind switch
    {
        LayerKindNames.LeakyReLU => new[] { OptionInfo.Double("slope", P1) }.ToEquatableArray(),
        LayerKindNames.ELU => new[] { OptionInfo.Double("alpha", P1) }.ToEquatableArray(),
        LayerKindNames.RReLU => new[] { OptionInfo.Double("lower", P1), OptionInfo.Double("upper", P2) }.ToEquatableArray(),
        _ => EquatableArray<OptionInfo>.Empty,
    };

    public static LayerInfo? Parse(LayerParseContext c)
    {
        string kind = c.Args.ShortName;
        double p1 = 0, p2 = 0;
        switch (kind)
        {
            case LayerKindNames.LeakyReLU:
                p1 = c.Args.Number("slope", OptionDefaults.LeakyReluSlope);
                c.Require(!double.IsNaN(p1) && !double.IsInfinity(p1), "slope", p1, "a finite number");
                break;
            case LayerKindNames.ELU:
                p1 = c.Args.Number("alpha", OptionDefaults.EluAlpha);
                c.Require(p1 >= 0 && !double.IsInfinity(p1), "alpha", p1, "zero or positive, for example [ELU(1.0)]");
                break;
            case LayerKindNames.RReLU:
                p1 = c.Args.Number("lower", OptionDefaults.RReluLower);
                p2 = c.Args.Number("upper", OptionDefaults.RReluUpper);
                c.Require(p1 >= 0 && p1 < 1, "lower", p1, "in [0, 1)");
                c.Require(p2 >= 0 && p2 < 1, "upper", p2, "in [0, 1)");
                c.Require(p1 <= p2, "lower", p1, "at most upper (" + p2.ToString("R", CultureInfo.InvariantCulture) + "), for example [RReLU(0.125, 0.333)]");
                break;
        }
        return c.HasErrors ? null : new ActivationLayer(c.Core(c.InputShape), kind, p1, p2);
    }
}

/// <summary>
/// Softmax along one dimension (PyTorch's <c>nn.Softmax(dim)</c>, default the last): the input viewed as
/// [<see cref="Outer"/>, <see cref="Length"/>, <see cref="Inner"/>] per sample, normalised along the middle axis.
/// </summary>
internal sealed record SoftmaxLayer(LayerCore Core, int Dim, int Axis) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.Softmax;

    /// <summary>The size of the softmax axis.</summary>
    public int Length => Input.Dims[Axis];

    /// <summary>The product of the axes before it, per sample.</summary>
    public int Outer => Input.Product(0, Axis);

    /// <summary>The product of the axes after it (1 for the last axis: contiguous rows).</summary>
    public int Inner => Input.Product(Axis + 1, Input.Rank);

    public override EquatableArray<OptionInfo> Options =>
        new[] { OptionInfo.Int("dim", Dim, shown: Dim != OptionDefaults.SoftmaxDim) }.ToEquatableArray();

    public static LayerInfo? Parse(LayerParseContext c)
    {
        int dim = (int)c.Args.Number("Dim", OptionDefaults.SoftmaxDim);
        int axis = c.SampleAxis("Dim", dim, c.InputShape);
        return c.HasErrors ? null : new SoftmaxLayer(c.Core(c.InputShape), dim, axis);
    }
}

/// <summary>
/// Parametric ReLU with a learnable slope (PyTorch's <c>nn.PReLU</c>): one shared, or one per channel, the first axis
/// of a sample (dim 1 with the batch; the features of a vector), as <c>nn.PReLU(num_parameters=C)</c>.
/// </summary>
internal sealed record PReluLayer(LayerCore Core, bool PerFeature, double InitialSlope) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.PReLU;

    /// <summary>The number of slopes: 1, or the channels.</summary>
    public int Slopes => PerFeature ? Input.Dims[0] : 1;

    /// <summary>Elements per channel: the product of the axes after the first (1 for a vector).</summary>
    public int Inner => Input.Product(1, Input.Rank);

    public override EquatableArray<OptionInfo> Options =>
        new[] { OptionInfo.Bool("per_feature", PerFeature, shown: PerFeature) }.ToEquatableArray();

    public override EquatableArray<ParameterInfo> Parameters => new[]
    {
        new ParameterInfo("weight", Shape.Of(Slopes), new InitInfo("Constant", InitialSlope, 0, Slopes, Slopes)),
    }.ToEquatableArray();

    public static LayerInfo? Parse(LayerParseContext c)
    {
        bool perFeature = c.Args.Number("PerFeature", 0) != 0;
        double init = c.Args.Number("Init", OptionDefaults.PReluInit);
        c.Require(!double.IsNaN(init) && !double.IsInfinity(init), "Init", init, "a finite number");
        return c.HasErrors ? null : new PReluLayer(c.Core(c.InputShape), perFeature, init);
    }
}

/// <summary>Inverted dropout with drop probability <see cref="P"/>, element-wise on any shape.</summary>
internal sealed record DropoutLayer(LayerCore Core, double P) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.Dropout;

    public override EquatableArray<OptionInfo> Options => new[] { OptionInfo.Double("p", P) }.ToEquatableArray();

    public static LayerInfo? Parse(LayerParseContext c)
    {
        double p = c.Args.Number("p", OptionDefaults.DropoutP);
        // p just below 1 rounds to 1 in float, which would divide by zero in 1/(1 − p).
        c.Require(p >= 0 && p < 1 && (float)p < 1f, "p", p, "in [0, 1) and below 1 in float (0.9999999 at most), for example [Dropout(0.5)]");
        return c.HasErrors ? null : new DropoutLayer(c.Core(c.InputShape), p);
    }
}
