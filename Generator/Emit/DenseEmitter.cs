using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// Dense layers. Small ones (at most <see cref="UnrollLimit"/> weights) are written out in full, one statement per
/// output, so a reader sees every multiply; larger ones call the runtime's vectorised kernel, specialised for their
/// constant sizes.
/// </summary>
internal sealed class DenseEmitter : LayerEmitter
{
    public const int UnrollLimit = 64;

    public override string ForwardComment(LayerInfo layer)
    {
        var d = (DenseLayer)layer;
        return d.HasBias ? "y[n, o] = b[o] + Σᵢ x[n, i]·W[o, i]" : "y[n, o] = Σᵢ x[n, i]·W[o, i]";
    }

    private static bool Unrolled(DenseLayer d) => d.InputSize * d.OutputSize <= UnrollLimit;

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, string input, string output)
    {
        var d = (DenseLayer)layer;
        string W = EmitContext.Param(d, "weight");
        string b = d.HasBias ? EmitContext.Param(d, "bias") : "default";
        if (!Unrolled(d))
        {
            w.Line($"global::SourceGenNN.Kernels.Dense<{c.Dim(d.InputSize)}, {c.Dim(d.OutputSize)}>.Forward({input}, {W}, {b}, {output}, batch);");
            return;
        }
        int nIn = d.InputSize, nOut = d.OutputSize;
        w.Line($"// W{d.Index} is [out, in] = [{nOut}, {nIn}] row-major: W{d.Index}[o * {nIn} + i] is W[o, i].");
        w.Line($"var W{d.Index} = {W};");
        if (d.HasBias) w.Line($"var b{d.Index} = {b};");
        using (w.Block("for (int n = 0; n < batch; n++)"))
        {
            w.Line($"var xn = {input}.Slice(n * {nIn}, {nIn});");
            w.Line($"var yn = {output}.Slice(n * {nOut}, {nOut});");
            for (int o = 0; o < nOut; o++)
            {
                var sb = new System.Text.StringBuilder();
                sb.Append($"yn[{o}] = ");
                if (d.HasBias) sb.Append($"b{d.Index}[{o}]");
                for (int i = 0; i < nIn; i++)
                {
                    if (i > 0 || d.HasBias) sb.Append(" + ");
                    sb.Append($"W{d.Index}[{o * nIn + i}] * xn[{i}]");
                }
                sb.Append(';');
                w.Line(sb.ToString());
            }
        }
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, string input, string output, string dOut, string dIn, string? dInGuard)
    {
        var d = (DenseLayer)layer;
        string W = EmitContext.Param(d, "weight"), dW = EmitContext.Grad(d, "weight");
        string db = d.HasBias ? EmitContext.Grad(d, "bias") : "default";
        int nIn = d.InputSize, nOut = d.OutputSize;
        if (!Unrolled(d))
        {
            string k = $"global::SourceGenNN.Kernels.Dense<{c.Dim(nIn)}, {c.Dim(nOut)}>";
            w.Line($"// dW[o, i] += Σₙ dy[n, o]·x[n, i]{(d.HasBias ? ";  db[o] += Σₙ dy[n, o]" : "")}");
            w.Line($"{k}.BackwardWeights({dOut}, {input}, {dW}, {db}, batch, accumulate: !{EmitContext.Overwrite});");
            w.Line("// dx[n, i] = Σₒ dy[n, o]·W[o, i]");
            Guarded(w, dInGuard, () => w.Line($"{k}.BackwardInput({dOut}, {W}, {dIn}, batch);"));
            return;
        }
        w.Line($"// dW[o, i] += dy[n, o]·x[n, i]{(d.HasBias ? ";  db[o] += dy[n, o]" : "")};  dx[n, i] = Σₒ dy[n, o]·W[o, i]");
        w.Line($"// W{d.Index} and dW{d.Index} are [out, in] = [{nOut}, {nIn}] row-major: index o * {nIn} + i is [o, i].");
        w.Line($"var W{d.Index} = {W};");
        w.Line($"var dW{d.Index} = {dW};");
        if (d.HasBias) w.Line($"var db{d.Index} = {db};");
        w.Line($"if ({EmitContext.Overwrite}) {{ dW{d.Index}.Clear();{(d.HasBias ? $" db{d.Index}.Clear();" : "")} }}");
        using (w.Block("for (int n = 0; n < batch; n++)"))
        {
            w.Line($"var xn = {input}.Slice(n * {nIn}, {nIn});");
            w.Line($"var dyn = {dOut}.Slice(n * {nOut}, {nOut});");
            for (int o = 0; o < nOut; o++)
            {
                if (d.HasBias) w.Line($"db{d.Index}[{o}] += dyn[{o}];");
                for (int i = 0; i < nIn; i++)
                    w.Line($"dW{d.Index}[{o * nIn + i}] += dyn[{o}] * xn[{i}];");
            }
            Guarded(w, dInGuard, () =>
            {
                w.Line($"var dxn = {dIn}.Slice(n * {nIn}, {nIn});");
                for (int i = 0; i < nIn; i++)
                {
                    var sb = new System.Text.StringBuilder($"dxn[{i}] = ");
                    for (int o = 0; o < nOut; o++)
                    {
                        if (o > 0) sb.Append(" + ");
                        sb.Append($"dyn[{o}] * W{d.Index}[{o * nIn + i}]");
                    }
                    w.Line(sb.Append(';').ToString());
                }
            });
        }
    }
}
