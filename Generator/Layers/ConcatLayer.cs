using System.Collections.Generic;
using System.Linq;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// <c>torch.cat</c> of its input (the previous layer, or <c>Input</c>) and the tensors it names, along one dimension
/// (PyTorch's dims, batch = dim 0; default the last). The other dimensions must agree.
/// </summary>
internal sealed record ConcatLayer(LayerCore Core, int Dim, int Axis) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.Concat;

    /// <summary>The product of the dimensions before the axis, per sample: the number of blocks each input contributes.</summary>
    public int Outer => Output.Product(0, Axis);

    /// <summary>The size of one block of input <paramref name="k"/>: its axis length times the dimensions after it.</summary>
    public int Block(int k) => Inputs[k].Shape.Product(Axis, Inputs[k].Shape.Rank);

    public override EquatableArray<OptionInfo> Options =>
        new[] { OptionInfo.Int("dim", Dim, shown: Dim != OptionDefaults.ConcatDim) }.ToEquatableArray();

    public static LayerInfo? Parse(LayerParseContext c)
    {
        var first = c.InputShape;
        int dim = (int)c.Args.Number("Dim", OptionDefaults.ConcatDim);
        int axis = c.SampleAxis("Dim", dim, first);
        var inputs = new List<TensorRef> { c.Input };
        var names = c.Args.Texts("others");
        if (names.Count == 0)
            c.ShapeError($"it names nothing to concatenate with '{c.Input.Name}': name the other tensors, for example [Concat(\"input\")]");
        foreach (var name in names)
        {
            var t = c.Resolve("others", name);
            if (t is null) continue;
            inputs.Add(t);
        }
        if (c.HasErrors) return null;
        int total = 0;
        foreach (var t in inputs)
        {
            bool fits = t.Shape.Rank == first.Rank;
            for (int i = 0; fits && i < first.Rank; i++)
                fits = i == axis || t.Shape.Dims[i] == first.Dims[i];
            if (!fits)
            {
                c.ShapeError($"it concatenates '{c.Input.Name}' {first.BatchText} and '{t.Name}' {t.Shape.BatchText} along dim {dim}, but all other dimensions must be equal: " +
                    "reshape one of them, or choose the dim along which they differ");
                return null;
            }
            total += t.Shape.Dims[axis];
        }
        var dims = first.Dims.ToArray();
        dims[axis] = total;
        return new ConcatLayer(c.Core(inputs, Shape.Of(dims)), dim, axis);
    }
}
