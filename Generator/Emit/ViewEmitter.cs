using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// Flatten and Reshape: the same elements in the same order, seen with another shape. The output is the input's memory
/// (no statement runs) unless the input is a network input, which the forward pass does not own; it is then copied.
/// </summary>
internal sealed class ViewEmitter : LayerEmitter
{
    public override bool IsView => true;

    public override bool BackwardReadsInput => false;

    public override string ForwardComment(LayerInfo layer) => $"{layer.Input.BatchText} seen as {layer.Output.BatchText}; row-major order is unchanged";

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        if (layer.Inputs[0].IsNetworkInput) w.Line($"{inputs[0]}.CopyTo({output});");
        else w.Line($"// {output} is a view of {inputs[0]}'s memory: nothing to compute.");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s) =>
        Guarded(w, s.InputGradient, () => w.Line($"{s.OutputGradient}.CopyTo({s.InputGradient.Span}); // the same elements, the input's shape"));
}
