using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// PyTorch's <c>nn.Flatten(start_dim, end_dim)</c>: the dimensions from start_dim to end_dim (batch = dim 0) become
/// one. The data does not move: the output is a view of the input's memory.
/// </summary>
internal sealed record FlattenLayer(LayerCore Core, int StartDim, int EndDim) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.Flatten;

    public override EquatableArray<OptionInfo> Options => new[]
    {
        OptionInfo.Int("start_dim", StartDim, shown: StartDim != OptionDefaults.FlattenStartDim),
        OptionInfo.Int("end_dim", EndDim, shown: EndDim != OptionDefaults.FlattenEndDim),
    }.ToEquatableArray();

    public static LayerInfo? Parse(LayerParseContext c)
    {
        var input = c.InputShape;
        int start = (int)c.Args.Number("StartDim", OptionDefaults.FlattenStartDim);
        int end = (int)c.Args.Number("EndDim", OptionDefaults.FlattenEndDim);
        int a = c.SampleAxis("StartDim", start, input), b = c.SampleAxis("EndDim", end, input);
        if (c.HasErrors) return null;
        if (a > b)
        {
            c.Require(false, "EndDim", end, $"at or after StartDim ({start}) for an input of shape {input.BatchText}");
            return null;
        }
        var dims = new List<int>();
        for (int i = 0; i < a; i++) dims.Add(input.Dims[i]);
        dims.Add(input.Product(a, b + 1));
        for (int i = b + 1; i < input.Rank; i++) dims.Add(input.Dims[i]);
        return new FlattenLayer(c.Core(Shape.Of(dims.ToArray())), start, end);
    }
}
