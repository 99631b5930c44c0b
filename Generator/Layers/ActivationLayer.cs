using System.Globalization;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// An activation without parameters: Identity, Sigmoid, Tanh, ReLU, LeakyReLU(slope), ELU(alpha), GELU, SiLU,
/// Softmax and RReLU(lower, upper). <see cref="P1"/> and <see cref="P2"/> hold the options the kind has.
/// </summary>
internal sealed record ActivationLayer(int Index, string Name, int Size, string ActivationKind, double P1, double P2)
    : LayerInfo(Index, Name, Size, Size)
{
    public override string Kind => ActivationKind;

    public override string ArgumentsText => ActivationKind switch
    {
        "LeakyReLU" => "slope=" + Lit.Text(P1),
        "ELU" => "alpha=" + Lit.Text(P1),
        "RReLU" => "lower=" + Lit.Text(P1) + ",upper=" + Lit.Text(P2),
        _ => "",
    };

    public static LayerInfo? Parse(LayerParseContext c)
    {
        string kind = c.Args.ShortName;
        double p1 = 0, p2 = 0;
        switch (kind)
        {
            case "LeakyReLU":
                p1 = c.Args.Number("slope", 0.01);
                c.Require(!double.IsNaN(p1) && !double.IsInfinity(p1), "slope", p1, "a finite number");
                break;
            case "ELU":
                p1 = c.Args.Number("alpha", 1.0);
                c.Require(p1 >= 0 && !double.IsInfinity(p1), "alpha", p1, "zero or positive, for example [ELU(1.0)]");
                break;
            case "RReLU":
                p1 = c.Args.Number("lower", 0.125);
                p2 = c.Args.Number("upper", 1.0 / 3.0);
                c.Require(p1 >= 0 && p1 < 1, "lower", p1, "in [0, 1)");
                c.Require(p2 >= 0 && p2 < 1, "upper", p2, "in [0, 1)");
                c.Require(p1 <= p2, "lower", p1, "at most upper (" + p2.ToString("R", CultureInfo.InvariantCulture) + "), for example [RReLU(0.125, 0.333)]");
                break;
        }
        return c.HasErrors ? null : new ActivationLayer(c.Index, c.Name, c.InputSize, kind, p1, p2);
    }
}

/// <summary>Parametric ReLU with a learnable slope: one shared, or one per feature.</summary>
internal sealed record PReluLayer(int Index, string Name, int Size, bool PerFeature, double InitialSlope)
    : LayerInfo(Index, Name, Size, Size)
{
    public override string Kind => "PReLU";

    public override string ArgumentsText => PerFeature ? "per_feature" : "";

    public override EquatableArray<ParameterInfo> Parameters => new[]
    {
        new ParameterInfo("weight", new[] { PerFeature ? InputSize : 1 }.ToEquatableArray(), new InitInfo("Constant", InitialSlope, 0, InputSize, InputSize)),
    }.ToEquatableArray();

    public static LayerInfo? Parse(LayerParseContext c)
    {
        bool perFeature = c.Args.Number("PerFeature", 0) != 0;
        double init = c.Args.Number("Init", 0.25);
        c.Require(!double.IsNaN(init) && !double.IsInfinity(init), "Init", init, "a finite number");
        return c.HasErrors ? null : new PReluLayer(c.Index, c.Name, c.InputSize, perFeature, init);
    }
}

/// <summary>Inverted dropout with drop probability <see cref="P"/>.</summary>
internal sealed record DropoutLayer(int Index, string Name, int Size, double P) : LayerInfo(Index, Name, Size, Size)
{
    public override string Kind => "Dropout";

    public override string ArgumentsText => "p=" + Lit.Text(P);

    public static LayerInfo? Parse(LayerParseContext c)
    {
        double p = c.Args.Number("p", 0.5);
        c.Require(p >= 0 && p < 1, "p", p, "in [0, 1), for example [Dropout(0.5)]");
        return c.HasErrors ? null : new DropoutLayer(c.Index, c.Name, c.InputSize, p);
    }
}
