using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// Dense layers. Small ones (at most <see cref="UnrollLimit"/> weights) are written out in full, one statement per
/// output, so a reader sees every multiply; larger ones call the runtime's vectorised kernel, specialised for their
/// constant sizes. On an input of more than one axis the leading axes are rows like the batch (<c>nn.Linear</c>).
/// </summary>
internal sealed class DenseEmitter : LayerEmitter
{
    public const int UnrollLimit = 64;

    public override string ForwardComment(LayerInfo layer)
    {
        var d = (DenseLayer)layer;
        string row = d.Rows == 1 ? "n" : "r";
        return d.HasBias ? $"y[{row}, o] = b[o] + Σᵢ x[{row}, i]·W[o, i]" : $"y[{row}, o] = Σᵢ x[{row}, i]·W[o, i]";
    }

    internal static bool Unrolled(DenseLayer d) => d.InFeatures * d.Units <= UnrollLimit;

    /// <summary>The loop variable over rows: <c>n</c> (one row a sample) or <c>r</c> (rows of [batch·leading]).</summary>
    private static string RowVar(DenseLayer d) => d.Rows == 1 ? "n" : "r";

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var d = (DenseLayer)layer;
        string input = inputs[0];
        string W = EmitContext.Param(d, "weight");
        string b = d.HasBias ? EmitContext.Param(d, "bias") : "default";
        if (d.Rows > 1) w.Line($"// The input is [batch, {string.Join(", ", d.Input.Dims)}]: {Rows(d.Rows)} rows of {d.InFeatures}.");
        if (!Unrolled(d))
        {
            w.Line($"{EmitContext.Kernels}Dense<{c.Dim(d.InFeatures)}, {c.Dim(d.Units)}>.Forward({input}, {W}, {b}, {output}, {Rows(d.Rows)});");
            return;
        }
        int nIn = d.InFeatures, nOut = d.Units;
        string r = RowVar(d);
        w.Line($"// W{d.Index} is [out, in] = [{nOut}, {nIn}] row-major: W{d.Index}[o * {nIn} + i] is W[o, i].");
        w.Line($"var W{d.Index} = {W};");
        if (d.HasBias) w.Line($"var b{d.Index} = {b};");
        using (w.Block($"for (int {r} = 0; {r} < {Rows(d.Rows)}; {r}++)"))
        {
            w.Line($"var xn = {input}.Slice({r} * {nIn}, {nIn});");
            w.Line($"var yn = {output}.Slice({r} * {nOut}, {nOut});");
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

    /// <summary>The kernel call with the next layer's activation in its epilogue (see <see cref="NetworkPlan.FusedActivation"/>).</summary>
    public static void ForwardFused(SourceWriter w, DenseLayer d, EmitContext c, string input, string output, ActivationLayer activation, string activated)
    {
        string W = EmitContext.Param(d, "weight");
        string b = d.HasBias ? EmitContext.Param(d, "bias") : "default";
        if (d.Rows > 1) w.Line($"// The input is [batch, {string.Join(", ", d.Input.Dims)}]: {Rows(d.Rows)} rows of {d.InFeatures}.");
        w.Line($"// ... and layer {activation.Index}'s {activation.ActivationKind} in the product's epilogue: {activated} = f({output}), each block while it is in cache.");
        w.Line($"{EmitContext.Kernels}Dense<{c.Dim(d.InFeatures)}, {c.Dim(d.Units)}>.Forward({input}, {W}, {b}, {output}, {Rows(d.Rows)}, {ActivationEmitter.Operator(activation)}, {activated});");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        var d = (DenseLayer)layer;
        string W = EmitContext.Param(d, "weight"), dW = EmitContext.Grad(d, "weight");
        string db = d.HasBias ? EmitContext.Grad(d, "bias") : "default";
        int nIn = d.InFeatures, nOut = d.Units;
        string rows = Rows(d.Rows), r = RowVar(d);
        if (!Unrolled(d))
        {
            string k = $"{EmitContext.Kernels}Dense<{c.Dim(nIn)}, {c.Dim(nOut)}>";
            w.Line($"// dW[o, i] += Σ_{r} dy[{r}, o]·x[{r}, i]{(d.HasBias ? $";  db[o] += Σ_{r} dy[{r}, o]" : "")}");
            w.Line($"{k}.BackwardWeights({s.OutputGradient}, {s.Input}, {dW}, {db}, {rows}, accumulate: !{EmitContext.Overwrite});");
            Guarded(w, s.InputGradient, () =>
            {
                w.Line($"// dx[{r}, i] = Σₒ dy[{r}, o]·W[o, i]");
                w.Line($"{k}.BackwardInput({s.OutputGradient}, {W}, {s.InputGradient.Span}, {rows});");
            });
            return;
        }
        w.Line($"// dW[o, i] += dy[{r}, o]·x[{r}, i]{(d.HasBias ? $";  db[o] += dy[{r}, o]" : "")};  dx[{r}, i] = Σₒ dy[{r}, o]·W[o, i]");
        w.Line($"// W{d.Index} and dW{d.Index} are [out, in] = [{nOut}, {nIn}] row-major: index o * {nIn} + i is [o, i].");
        w.Line($"var W{d.Index} = {W};");
        w.Line($"var dW{d.Index} = {dW};");
        if (d.HasBias) w.Line($"var db{d.Index} = {db};");
        w.Line($"if ({EmitContext.Overwrite}) {{ dW{d.Index}.Clear();{(d.HasBias ? $" db{d.Index}.Clear();" : "")} }}");
        using (w.Block($"for (int {r} = 0; {r} < {rows}; {r}++)"))
        {
            w.Line($"var xn = {s.Input}.Slice({r} * {nIn}, {nIn});");
            w.Line($"var dyn = {s.OutputGradient}.Slice({r} * {nOut}, {nOut});");
            for (int o = 0; o < nOut; o++)
            {
                if (d.HasBias) w.Line($"db{d.Index}[{o}] += dyn[{o}];");
                for (int i = 0; i < nIn; i++)
                    w.Line($"dW{d.Index}[{o * nIn + i}] += dyn[{o}] * xn[{i}];");
            }
            Guarded(w, s.InputGradient, () =>
            {
                w.Line($"var dxn = {s.InputGradient.Span}.Slice({r} * {nIn}, {nIn});");
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
