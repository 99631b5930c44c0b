using System.Collections.Generic;
using System.Linq;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// Concat along one dimension. Row-major, each sample is <c>Outer</c> blocks; in each block the inputs' blocks are laid
/// side by side, so forward and backward are block copies.
/// </summary>
internal sealed class ConcatEmitter : LayerEmitter
{
    public override bool BackwardReadsInput => false;

    public override string ForwardComment(LayerInfo layer)
    {
        var cat = (ConcatLayer)layer;
        return $"y = cat([{string.Join(", ", cat.Inputs.Select(t => "\"" + t.Name + "\""))}], dim={cat.Dim}): each sample is {cat.Outer} block(s) of {string.Join(" + ", Enumerable.Range(0, cat.Inputs.Count).Select(cat.Block))}";
    }

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var cat = (ConcatLayer)layer;
        int total = cat.Output.Size / cat.Outer;
        Copies(w, cat, total, (k, offset, block) => $"{inputs[k]}.Slice(r * {block}, {block}).CopyTo({output}.Slice(r * {total} + {offset}, {block}));", _ => null);
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        var cat = (ConcatLayer)layer;
        int total = cat.Output.Size / cat.Outer;
        w.Line("// each input's gradient is its part of dy");
        Copies(w, cat, total, (k, offset, block) => $"{s.OutputGradient}.Slice(r * {total} + {offset}, {block}).CopyTo({s.InputGradients[k].Span}.Slice(r * {block}, {block}));",
            k => s.InputGradients[k]);
    }

    /// <summary>One loop over the [batch·Outer] blocks with a copy per input, each under its gradient's guard.</summary>
    private static void Copies(SourceWriter w, ConcatLayer cat, int total, System.Func<int, int, int, string> copy, System.Func<int, InputGradient?> gradient)
    {
        if (cat.Inputs.Count > 0 && Enumerable.Range(0, cat.Inputs.Count).All(k => gradient(k) is { Wanted: false })) return;
        string rows = cat.Outer == 1 ? "batch" : "batch * " + Lit.I(cat.Outer);
        using (w.Block($"for (int r = 0; r < {rows}; r++)"))
        {
            int offset = 0;
            for (int k = 0; k < cat.Inputs.Count; k++)
            {
                int block = cat.Block(k);
                int at = offset;
                var g = gradient(k);
                if (g is null) w.Line(copy(k, at, block));
                else Guarded(w, g, () => w.Line(copy(k, at, block)));
                offset += block;
            }
        }
    }
}
