using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// A new shape for each sample, the batch kept (<c>x.view(batch, *shape)</c>, <c>nn.Unflatten</c>); one dimension may
/// be -1, inferred from the others. The data does not move: the output is a view of the input's memory.
/// </summary>
internal sealed record ReshapeLayer(LayerCore Core) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.Reshape;

    public override EquatableArray<OptionInfo> Options =>
        new[] { OptionInfo.IntList("shape", Output.Dims, shown: false) }.ToEquatableArray();

    public static LayerInfo? Parse(LayerParseContext c)
    {
        var input = c.InputShape;
        var given = c.Args.Numbers("shape");
        if (given.Count == 0)
        {
            c.ShapeError($"it has no target shape: write the shape of one sample, for example [Reshape({input.Size})] or [Reshape(-1)] for the input {input.BatchText}");
            return null;
        }
        var dims = new int[given.Count];
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = (int)given[i];
            if (dims[i] == -1 && inferred < 0) inferred = i;
            else if (dims[i] <= 0)
            {
                c.ShapeError($"dimension {i} of the shape is {dims[i]}: each must be positive, with at most one -1 to infer from the input's {input.Size} elements");
                return null;
            }
            else known *= dims[i];
        }
        string target = "(" + string.Join(", ", dims) + ")";
        if (inferred >= 0)
        {
            if (known == 0 || input.Size % known != 0)
            {
                c.ShapeError($"the shape {target} cannot hold the input's {input.Size} elements ({input.BatchText}): {input.Size} is not a multiple of {known}");
                return null;
            }
            dims[inferred] = (int)(input.Size / known);
        }
        else if (known != input.Size)
        {
            c.ShapeError($"the shape {target} holds {known} elements, but the input {input.BatchText} has {input.Size}: make the product of the dimensions {input.Size}, or use -1 for one of them");
            return null;
        }
        return new ReshapeLayer(c.Core(Shape.Of(dims)));
    }
}
