using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// LayerNorm: the runtime's kernel normalises each group of the last <c>normalized_shape</c> elements and keeps each
/// group's mean and 1/σ for the backward pass.
/// </summary>
internal sealed class LayerNormEmitter : LayerEmitter
{
    public override IEnumerable<LayerBuffer> Buffers(LayerInfo layer)
    {
        var n = (LayerNormLayer)layer;
        yield return new LayerBuffer("Mean", n.Groups, "the mean of each normalised group in the last forward pass");
        yield return new LayerBuffer("Rstd", n.Groups, "1/√(var + eps) of each normalised group in the last forward pass");
    }

    public override string ForwardComment(LayerInfo layer) => ((LayerNormLayer)layer).Affine
        ? "y = (x − μ)/√(σ² + eps)·w + b, μ and σ² (biased) over each group of the last dims"
        : "y = (x − μ)/√(σ² + eps), μ and σ² (biased) over each group of the last dims";

    private static string Affine(LayerNormLayer n, string suffix, bool gradient) =>
        !n.Affine ? "default" : gradient ? EmitContext.Grad(n, suffix) : EmitContext.Param(n, suffix);

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var n = (LayerNormLayer)layer;
        w.Line($"{EmitContext.Kernels}LayerNorm.Forward({inputs[0]}, {Affine(n, "weight", false)}, {Affine(n, "bias", false)}, {output}, " +
               $"{EmitContext.Buffer(n, "Mean", n.Groups)}, {EmitContext.Buffer(n, "Rstd", n.Groups)}, rows: {Rows(n.Groups)}, size: {n.GroupSize}, eps: {Lit.F(n.Eps)});");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        var n = (LayerNormLayer)layer;
        if (!n.Affine && !s.InputGradient.Wanted) return;
        w.Line("// x̂ = (x − μ)/σ, g = dy·w:  dx = (g − mean(g) − x̂·mean(g·x̂))/σ;  dw += Σ dy·x̂;  db += Σ dy");
        string dx = s.InputGradient.Guard switch
        {
            null => s.InputGradient.Span,
            InputGradient.Never => "default",
            var guard => $"{guard} ? {s.InputGradient.Span} : default",
        };
        string call = $"{EmitContext.Kernels}LayerNorm.Backward({s.Input}, {Affine(n, "weight", false)}, {EmitContext.Buffer(n, "Mean", n.Groups)}, " +
                      $"{EmitContext.Buffer(n, "Rstd", n.Groups)}, {s.OutputGradient}, {dx}, {Affine(n, "weight", true)}, {Affine(n, "bias", true)}, " +
                      $"rows: {Rows(n.Groups)}, size: {n.GroupSize}, accumulate: !{EmitContext.Overwrite});";
        if (n.Affine) w.Line(call);
        else Guarded(w, s.InputGradient, () => w.Line(call));
    }
}
