using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// Positional embeddings: a [T, E] table added to every sample, learned (<c>weight</c>) or the fixed sinusoidal one
/// (computed once, into a static table).
/// </summary>
internal sealed class PositionalEmitter : LayerEmitter
{
    public override bool BackwardReadsInput => false;

    public override string ForwardComment(LayerInfo layer) => layer is PositionalEmbeddingLayer
        ? "y[t] = x[t] + weight[t]: a learned vector per position"
        : "y[t, 2i] = x[t, 2i] + sin(t·ωᵢ), y[t, 2i + 1] = x[t, 2i + 1] + cos(t·ωᵢ), ωᵢ = 10000^(−2i/E)";

    private static string Table(LayerInfo layer) => layer is PositionalEmbeddingLayer
        ? EmitContext.Param(layer, "weight")
        : "s_l" + Lit.I(layer.Index) + "Positions";

    public override void Members(SourceWriter w, LayerInfo layer, EmitContext c)
    {
        if (layer is not SinusoidalPositionalEncodingLayer s) return;
        w.Line($"/// <summary>Layer {s.Index} \"{s.Name}\"'s sinusoidal table [{s.Input.Dims[0]}, {s.Input.Last}], computed once.</summary>");
        w.Line($"private static readonly float[] {Table(s)} = {EmitContext.Kernels}Sequence.Sinusoidal({s.Input.Dims[0]}, {s.Input.Last});");
    }

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output) =>
        w.Line($"{EmitContext.Kernels}Sequence.AddTable({inputs[0]}, {Table(layer)}, {output}, batch);");

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        if (layer is PositionalEmbeddingLayer)
        {
            w.Line("// dweight += Σₙ dy[n]");
            w.Line($"{EmitContext.Kernels}Sequence.TableGradient({s.OutputGradient}, {EmitContext.Grad(layer, "weight")}, batch, accumulate: !{EmitContext.Overwrite});");
        }
        Guarded(w, s.InputGradient, () =>
        {
            w.Line("// dx = dy");
            w.Line($"{s.OutputGradient}.CopyTo({s.InputGradient.Span});");
        });
    }
}

/// <summary>The mean over one dimension: the sample seen as [Outer, Length, Inner], averaged along the middle axis.</summary>
internal sealed class MeanEmitter : LayerEmitter
{
    public override bool BackwardReadsInput => false;

    public override string ForwardComment(LayerInfo layer)
    {
        var m = (MeanLayer)layer;
        return $"y = mean over dim {m.Dim} ({m.Length} values): the sample is [{m.Outer}, {m.Length}, {m.Inner}], averaged along the middle axis";
    }

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var m = (MeanLayer)layer;
        w.Line($"{EmitContext.Kernels}Sequence.Mean({inputs[0]}, {output}, outer: {Rows(m.Outer)}, length: {m.Length}, inner: {m.Inner});");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        var m = (MeanLayer)layer;
        Guarded(w, s.InputGradient, () =>
        {
            w.Line($"// dx[o, i, j] = dy[o, j]/{m.Length}");
            w.Line($"{EmitContext.Kernels}Sequence.MeanBackward({s.OutputGradient}, {s.InputGradient.Span}, outer: {Rows(m.Outer)}, length: {m.Length}, inner: {m.Inner});");
        });
    }
}
