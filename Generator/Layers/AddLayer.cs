using System.Collections.Generic;
using System.Linq;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// The element-wise sum of its input (the previous layer, or <c>Input</c>) and the tensors it names, all of one shape:
/// a residual connection, <c>x + f(x)</c>.
/// </summary>
internal sealed record AddLayer(LayerCore Core) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.Add;

    public static LayerInfo? Parse(LayerParseContext c)
    {
        var inputs = new List<TensorRef> { c.Input };
        var names = c.Args.Texts("others");
        if (names.Count == 0)
            c.ShapeError($"it names nothing to add to '{c.Input.Name}': name the other tensor, for example [Add(\"{c.Input.Name}\")] adds a tensor to itself, [Add(\"input\")] adds the network input");
        foreach (var name in names)
        {
            var t = c.Resolve("others", name);
            if (t is null) continue;
            if (!t.Shape.Equals(c.InputShape))
                c.ShapeError($"it adds '{c.Input.Name}' {c.InputShape.BatchText} and '{t.Name}' {t.Shape.BatchText}, but tensors added must have one shape: add tensors of equal shape, or put a Dense or Reshape layer before the Add");
            inputs.Add(t);
        }
        return c.HasErrors ? null : new AddLayer(c.Core(inputs, c.InputShape));
    }
}
