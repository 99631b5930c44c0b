using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>Add: y = a + b (+ …), element-wise. Each input's gradient is dy itself.</summary>
internal sealed class AddEmitter : LayerEmitter
{
    public override bool BackwardReadsInput => false;

    public override string ForwardComment(LayerInfo layer) => "y = " + string.Join(" + ", Names(layer));

    private static IEnumerable<string> Names(LayerInfo layer)
    {
        foreach (var t in layer.Inputs) yield return "\"" + t.Name + "\"";
    }

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        w.Line($"{EmitContext.Kernels}TensorOps.Add({inputs[0]}, {inputs[1]}, {output});");
        for (int k = 2; k < inputs.Count; k++)
            w.Line($"{EmitContext.Kernels}TensorOps.AddInPlace({output}, {inputs[k]});");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        w.Line("// d(input) = dy for every input");
        foreach (var g in s.InputGradients)
            Guarded(w, g, () => w.Line($"{s.OutputGradient}.CopyTo({g.Span});"));
    }
}
