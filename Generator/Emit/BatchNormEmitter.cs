using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// BatchNorm: the runtime's kernel normalises each channel over the batch in training (keeping the batch's mean and
/// 1/σ for backward, and updating the running statistics) and with the running statistics in evaluation.
/// </summary>
internal sealed class BatchNormEmitter : LayerEmitter
{
    public override IEnumerable<LayerBuffer> Buffers(LayerInfo layer)
    {
        var b = (BatchNormLayer)layer;
        yield return new LayerBuffer("Mean", b.Channels, "each channel's batch mean in the last training pass", PerBatch: true);
        yield return new LayerBuffer("Rstd", b.Channels, "each channel's 1/√(batch var + eps) in the last training pass", PerBatch: true);
    }

    public override string ForwardComment(LayerInfo layer) => ((BatchNormLayer)layer).Affine
        ? "y = (x − μ_c)/√(σ²_c + eps)·w_c + b_c per channel c; training: batch statistics, evaluation: running ones"
        : "y = (x − μ_c)/√(σ²_c + eps) per channel c; training: batch statistics, evaluation: running ones";

    private static string Param(BatchNormLayer b, string suffix, bool gradient) =>
        !b.Affine ? "default" : gradient ? EmitContext.Grad(b, suffix) : EmitContext.Param(b, suffix);

    private static string State(BatchNormLayer b, string suffix) => b.Track ? EmitContext.State(b, suffix) : "default";

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var b = (BatchNormLayer)layer;
        string k = EmitContext.Kernels + "BatchNorm.";
        string shape = $"batch, channels: {b.Channels}, inner: {b.Inner}";
        string common = $"{inputs[0]}, {Param(b, "weight", false)}, {Param(b, "bias", false)}, {output}";
        string training = $"{k}ForwardTraining({common}, {EmitContext.FixedBuffer(b, "Mean")}, {EmitContext.FixedBuffer(b, "Rstd")}, " +
                          $"{State(b, "running_mean")}, {State(b, "running_var")}, {State(b, "num_batches_tracked")}, {shape}, eps: {Lit.F(b.Eps)}, momentum: {Lit.F(b.Momentum)});";
        if (!b.Track)
        {
            w.Line("// No running statistics: the batch's are used in evaluation too.");
            w.Line(training);
            return;
        }
        using (w.Block($"if ({EmitContext.TrainingField})"))
        {
            w.Line("// The batch's statistics; running = (1 − momentum)·running + momentum·batch (the variance unbiased), num_batches_tracked += 1.");
            w.Line(training);
        }
        using (w.Block("else"))
            w.Line($"{k}ForwardEvaluation({common}, {State(b, "running_mean")}, {State(b, "running_var")}, {shape}, eps: {Lit.F(b.Eps)});");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        var b = (BatchNormLayer)layer;
        if (!b.Affine && !s.InputGradient.Wanted) return;
        w.Line("// x̂ = (x − μ)/σ, g = dy·w, per channel over the batch:  dx = (g − mean(g) − x̂·mean(g·x̂))/σ;  dw += Σ dy·x̂;  db += Σ dy");
        string dx = s.InputGradient.Guard switch
        {
            null => s.InputGradient.Span,
            InputGradient.Never => "default",
            var guard => $"{guard} ? {s.InputGradient.Span} : default",
        };
        string call = $"{EmitContext.Kernels}BatchNorm.Backward({s.Input}, {Param(b, "weight", false)}, {EmitContext.FixedBuffer(b, "Mean")}, {EmitContext.FixedBuffer(b, "Rstd")}, " +
                      $"{s.OutputGradient}, {dx}, {Param(b, "weight", true)}, {Param(b, "bias", true)}, batch, channels: {b.Channels}, inner: {b.Inner}, accumulate: !{EmitContext.Overwrite});";
        if (b.Affine) w.Line(call);
        else Guarded(w, s.InputGradient, () => w.Line(call));
    }
}
