using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// A learned positional embedding: <c>y = x + weight</c>, <c>weight</c> of the sample's shape ([T, E]), initialised
/// N(0, <see cref="Std"/>²) as <c>nn.Embedding</c>'s weight.
/// </summary>
internal sealed record PositionalEmbeddingLayer(LayerCore Core, double Std) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.PositionalEmbedding;

    public override EquatableArray<OptionInfo> Options => EquatableArray<OptionInfo>.Empty;

    public override EquatableArray<ParameterInfo> Parameters => new[]
    {
        new ParameterInfo("weight", Input, new InitInfo("Normal", 0, Std, Input.Last, Input.Last)),
    }.ToEquatableArray();

    public static LayerInfo? Parse(LayerParseContext c)
    {
        if (c.InputShape.Rank != 2)
            c.ShapeError($"it adds a position table to sequences [T, E], but its input is {c.InputShape.BatchText}");
        double std = c.Args.Number("InitStd", OptionDefaults.PositionalEmbeddingStd);
        c.Require(std > 0, "InitStd", std, "positive, for example 0.02");
        return c.HasErrors ? null : new PositionalEmbeddingLayer(c.Core(c.InputShape), std);
    }
}

/// <summary>The fixed sinusoidal positional encoding added to [T, E] samples: no parameters.</summary>
internal sealed record SinusoidalPositionalEncodingLayer(LayerCore Core) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.SinusoidalPositionalEncoding;

    public static LayerInfo? Parse(LayerParseContext c)
    {
        if (c.InputShape.Rank != 2)
            c.ShapeError($"it adds the sinusoidal table to sequences [T, E], but its input is {c.InputShape.BatchText}");
        return c.HasErrors ? null : new SinusoidalPositionalEncodingLayer(c.Core(c.InputShape));
    }
}

/// <summary>
/// The mean over one dimension (<c>torch.mean(x, dim, keepdim)</c>): the sample viewed as
/// [<see cref="Outer"/>, <see cref="Length"/>, <see cref="Inner"/>], averaged along the middle axis.
/// </summary>
internal sealed record MeanLayer(LayerCore Core, int Dim, int Axis, bool KeepDim) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.Mean;

    public int Length => Input.Dims[Axis];

    public int Outer => Input.Product(0, Axis);

    public int Inner => Input.Product(Axis + 1, Input.Rank);

    public override EquatableArray<OptionInfo> Options => new[]
    {
        OptionInfo.Int("dim", Dim),
        OptionInfo.Bool("keepdim", KeepDim, shown: KeepDim != OptionDefaults.MeanKeepDim),
    }.ToEquatableArray();

    public static LayerInfo? Parse(LayerParseContext c)
    {
        int dim = (int)c.Args.Number("dim", 0);
        int axis = c.SampleAxis("dim", dim, c.InputShape);
        bool keep = c.Args.Number("KeepDim", OptionDefaults.MeanKeepDim ? 1 : 0) != 0;
        if (c.HasErrors) return null;
        var dims = new System.Collections.Generic.List<int>();
        for (int i = 0; i < c.InputShape.Rank; i++)
            if (i != axis) dims.Add(c.InputShape.Dims[i]);
            else if (keep) dims.Add(1);
        if (dims.Count == 0) dims.Add(1); // the mean of a vector: one value a sample
        return new MeanLayer(c.Core(Shape.Of(dims.ToArray())), dim, axis, keep);
    }
}
