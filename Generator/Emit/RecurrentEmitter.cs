using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// RNN, LSTM and GRU: one runtime call per stacked layer and direction (<c>Kernels.Lstm&lt;TIn, THidden&gt;</c> and its
/// siblings), which projects every step's input in one product and then runs the time loop. The calls are written out
/// so that the stacking is visible: each layer reads the previous one's sequence (through dropout in training), both
/// directions write the halves of one sequence, and the output is that sequence, its last step or its final state.
/// </summary>
internal sealed class RecurrentEmitter : LayerEmitter
{
    private const string K = EmitContext.Kernels;

    // Backward reads the layer's input (stacked layer 0 reads it) and, for a sequence output, the output itself (the
    // last stacked layer's hidden states).
    public override bool BackwardReadsOutput => true;

    public override IEnumerable<LayerBuffer> Buffers(LayerInfo layer)
    {
        var r = (RecurrentLayer)layer;
        int t = r.Steps, g = r.GateRows, h = r.Hidden;
        for (int k = 0; k < r.NumLayers; k++)
            for (int d = 0; d < r.Directions; d++)
            {
                string s = Pascal(RecurrentLayer.Suffix(k, d));
                yield return new LayerBuffer("Gates" + s, t * g, $"the gates' activations of {Which(r, k, d)} at each step, for backward");
                yield return new LayerBuffer("Transposed" + s, 2 * g * (r.LayerInputSize(k) + h), $"W_ih and W_hh of {Which(r, k, d)} and their transposes, which the products read row by row (made again when the weights change)", PerBatch: true);
                if (Kept(r) is { } kept)
                    yield return new LayerBuffer(kept + s, t * h, r.RecurrentKind == LayerKindNames.LSTM
                        ? $"the cell state c_t of {Which(r, k, d)} at each step"
                        : $"h_(t−1)·W_hnᵀ + b_hn of {Which(r, k, d)} at each step (what the reset gate scales)");
            }
        for (int k = 0; k < r.NumLayers; k++)
        {
            if (k < r.NumLayers - 1 || r.Returns != RecurrentLayer.Sequence)
                yield return new LayerBuffer("Seq" + Lit.I(k), t * r.Width, $"the hidden states of stacked layer {k} (both directions side by side)");
            if (k < r.NumLayers - 1 && r.HasDropout)
            {
                yield return new LayerBuffer("Mask" + Lit.I(k), t * r.Width, $"the dropout mask after stacked layer {k} in the last training pass");
                yield return new LayerBuffer("Dropped" + Lit.I(k), t * r.Width, $"stacked layer {k}'s states after dropout: stacked layer {k + 1}'s input in training");
            }
        }
        yield return new LayerBuffer("Scratch", g + 3 * h, "the recurrent product of one step (forward) and the carried gradients (backward)");

        yield return new LayerBuffer("DGates", t * g, "backward scratch: dL/d(gate pre-activations) at each step");
        if (r.RecurrentKind == LayerKindNames.GRU)
            yield return new LayerBuffer("DRecurrent", t * g, "backward scratch: the same on the hidden side (the n gate's is scaled by r)");
        for (int i = 0; i < GradientBuffers(r); i++)
            yield return new LayerBuffer("DSeq" + Lit.I(i), t * r.Width, "backward scratch: dL/d(a stacked layer's sequence)");
    }

    public override string ForwardComment(LayerInfo layer)
    {
        var r = (RecurrentLayer)layer;
        string b = r.HasBias ? " + b_ih" : "", bh = r.HasBias ? " + b_hh" : "";
        return r.RecurrentKind switch
        {
            LayerKindNames.LSTM => $"i, f, g, o = σ, σ, tanh, σ of the 4 blocks of x_t·W_ihᵀ{b} + h_(t−1)·W_hhᵀ{bh};  c_t = f⊙c_(t−1) + i⊙g;  h_t = o⊙tanh(c_t)",
            LayerKindNames.GRU => $"r, z, n blocks of a = x_t·W_ihᵀ{b}, u = h_(t−1)·W_hhᵀ{bh}: r = σ(a_r + u_r), z = σ(a_z + u_z), n = tanh(a_n + r⊙u_n);  h_t = (1 − z)⊙n + z⊙h_(t−1)",
            _ => $"h_t = {(r.Relu ? "relu" : "tanh")}(x_t·W_ihᵀ{b} + h_(t−1)·W_hhᵀ{bh})",
        };
    }

    /// <summary>The per-step buffer the cell keeps besides its gates: LSTM's cell states, GRU's hidden products, none for RNN.</summary>
    private static string? Kept(RecurrentLayer r) => r.RecurrentKind switch
    {
        LayerKindNames.LSTM => "Cells",
        LayerKindNames.GRU => "HiddenProducts",
        _ => null,
    };

    private static string KeptArgument(RecurrentLayer r) => r.RecurrentKind == LayerKindNames.LSTM ? "cells" : "hiddenProducts";

    private static string Which(RecurrentLayer r, int k, int d) =>
        (r.NumLayers > 1 ? $"stacked layer {k}" : "the layer") + (r.Directions == 2 ? d == 0 ? ", forward" : ", backward" : "");

    /// <summary>The gradient buffers the backward pass hands between stacked layers: one or two, used in turn.</summary>
    private static int GradientBuffers(RecurrentLayer r)
    {
        int needed = (r.Returns != RecurrentLayer.Sequence ? 1 : 0) + r.NumLayers - 1;
        return needed < 2 ? needed : 2;
    }

    /// <summary><c>Kernels.Lstm&lt;D32, D64&gt;</c> for stacked layer <paramref name="k"/>.</summary>
    private static string Kernel(RecurrentLayer r, EmitContext c, int k)
    {
        string name = r.RecurrentKind switch { LayerKindNames.LSTM => "Lstm", LayerKindNames.GRU => "Gru", _ => "Rnn" };
        return $"{K}{name}<{c.Dim(r.LayerInputSize(k))}, {c.Dim(r.Hidden)}>";
    }

    private static string Buffer(RecurrentLayer r, string name, int perSample) => EmitContext.Buffer(r, name, perSample);

    /// <summary>A span over stacked layer <paramref name="k"/>'s sequence: the layer's output for the last one when it outputs the sequence.</summary>
    private static string Sequence(RecurrentLayer r, int k, string output) =>
        k == r.NumLayers - 1 && r.Returns == RecurrentLayer.Sequence ? output : Buffer(r, "Seq" + Lit.I(k), r.Steps * r.Width);

    private static string Bias(RecurrentLayer r, string name, bool gradient) =>
        !r.HasBias ? "default" : gradient ? EmitContext.Grad(r, name) : EmitContext.Param(r, name);

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var r = (RecurrentLayer)layer;
        int t = r.Steps, g = r.GateRows, h = r.Hidden;
        w.Line($"// Per direction: the input projection of all {t} steps in one product, then a loop over the steps that adds the");
        w.Line($"// batch's recurrent product h_(t−1)·W_hhᵀ and applies the gates and the state update in one pass. h_(−1){(r.RecurrentKind == LayerKindNames.LSTM ? " = c_(−1)" : "")} = 0.");
        if (r.Directions == 2)
            w.Line($"// The backward direction reads the steps from the last to the first; its h_t fills columns [{h}, {2 * h}) of each step.");
        using (w.Block())
        {
            string input = inputs[0];
            for (int k = 0; k < r.NumLayers; k++)
            {
                if (r.NumLayers > 1) w.Line($"// Stacked layer {k}: [batch, {t}, {r.LayerInputSize(k)}] → [batch, {t}, {r.Width}]");
                string seq = Sequence(r, k, output);
                if (seq != output)
                {
                    w.Line($"var seq{k} = {seq};");
                    seq = "seq" + Lit.I(k);
                }
                for (int d = 0; d < r.Directions; d++)
                {
                    string s = RecurrentLayer.Suffix(k, d), p = Pascal(s);
                    string kept = Kept(r) is { } name ? $"{KeptArgument(r)}: {Buffer(r, name + p, t * h)}, " : "";
                    string nonlinearity = r.RecurrentKind == LayerKindNames.RNN ? $", {(r.Relu ? "global::SourceGenNN.RnnNonlinearity.ReLU" : "global::SourceGenNN.RnnNonlinearity.Tanh")}" : "";
                    w.Line($"{Kernel(r, c, k)}.Forward({input}, {EmitContext.Param(r, "weight_ih_" + s)}, {EmitContext.Param(r, "weight_hh_" + s)}, " +
                           $"{Bias(r, "bias_ih_" + s, false)}, {Bias(r, "bias_hh_" + s, false)},");
                    w.Line($"    {seq}, width: {r.Width}, offset: {d * h}, gates: {Buffer(r, "Gates" + p, t * g)}, {kept}scratch: {Buffer(r, "Scratch", g + 3 * h)},");
                    w.Line($"    transposed: {EmitContext.FixedBuffer(r, "Transposed" + p)}, batch, steps: {t}, reverse: {(d == 1 ? "true" : "false")}{nonlinearity});");
                }
                if (k == r.NumLayers - 1) break;
                string next = "input" + Lit.I(k + 1);
                w.Line($"global::System.ReadOnlySpan<float> {next} = {seq};");
                if (r.HasDropout)
                {
                    w.Line($"// Dropout (p = {Lit.Text(r.Dropout)}) between stacked layers {k} and {k + 1}, in training only: m = 0 with probability p, else 1/(1 − p).");
                    using (w.Block($"if ({EmitContext.TrainingField})"))
                    {
                        string dropped = Buffer(r, "Dropped" + Lit.I(k), t * r.Width);
                        w.Line($"{K}Dropout.Forward({seq}, {dropped}, {Buffer(r, "Mask" + Lit.I(k), t * r.Width)}, {Lit.F(r.Dropout)}, " +
                               $"{K}Recurrent.DropoutKey({EmitContext.SeedField}, {r.Index}, {EmitContext.StepField}, {k}));");
                        w.Line($"{next} = {dropped};");
                    }
                }
                input = next;
            }
            string last = "seq" + Lit.I(r.NumLayers - 1);
            if (r.Returns == RecurrentLayer.LastStep || (r.Returns == RecurrentLayer.FinalHidden && r.Directions == 1))
            {
                w.Line(r.Returns == RecurrentLayer.LastStep
                    ? "// The output: the last step of the sequence."
                    : "// The output: the final hidden state h_n of the last stacked layer (for one direction, its last step).");
                w.Line($"{K}Recurrent.LastStep({last}, {output}, batch, steps: {t}, width: {r.Width});");
            }
            else if (r.Returns == RecurrentLayer.FinalHidden)
            {
                w.Line("// The output: both directions' final hidden states, h_n[-2] and h_n[-1]: the forward one after the last step,");
                w.Line("// the backward one after the first.");
                w.Line($"{K}Recurrent.FinalHidden({last}, {output}, batch, steps: {t}, hidden: {h});");
            }
        }
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        var r = (RecurrentLayer)layer;
        int t = r.Steps, g = r.GateRows, h = r.Hidden, L = r.NumLayers;
        w.Line("// Backpropagation through time, per direction in reverse step order: dL/dh_t is the output's gradient at step t plus");
        w.Line("// the recurrent product's from step t + 1; the weights' gradients are summed over the steps after the loop.");
        using (w.Block())
        {
            int nextBuffer = 0;
            string TakeBuffer()
            {
                string b = Buffer(r, "DSeq" + Lit.I(nextBuffer), t * r.Width);
                nextBuffer = (nextBuffer + 1) % GradientBuffers(r);
                return b;
            }

            // dL/d(the last stacked layer's sequence).
            string dSeq = s.OutputGradient;
            if (r.Returns != RecurrentLayer.Sequence)
            {
                w.Line($"var dSeq{L - 1} = {TakeBuffer()};");
                if (r.Returns == RecurrentLayer.FinalHidden && r.Directions == 2)
                {
                    w.Line("// The final states' gradient, zero at every other step.");
                    w.Line($"{K}Recurrent.FinalHiddenBackward({s.OutputGradient}, dSeq{L - 1}, batch, steps: {t}, hidden: {h});");
                }
                else
                {
                    w.Line("// The last step's gradient, zero at every other step.");
                    w.Line($"{K}Recurrent.LastStepBackward({s.OutputGradient}, dSeq{L - 1}, batch, steps: {t}, width: {r.Width});");
                }
                dSeq = "dSeq" + Lit.I(L - 1);
            }
            for (int k = L - 1; k >= 0; k--)
            {
                if (L > 1) w.Line($"// Stacked layer {k}");
                // What stacked layer k read: the layer's input, or stacked layer k − 1's sequence (after dropout in training).
                string input = k == 0 ? s.Input
                    : r.HasDropout ? Buffer(r, "Dropped" + Lit.I(k - 1), t * r.Width)
                    : Buffer(r, "Seq" + Lit.I(k - 1), t * r.Width);
                string seq = Sequence(r, k, s.Output);
                if (seq != s.Output)
                {
                    w.Line($"var seq{k} = {seq};");
                    seq = "seq" + Lit.I(k);
                }
                if (k > 0)
                {
                    w.Line($"var input{k} = {input};");
                    input = "input" + Lit.I(k);
                }
                string dx;
                if (k > 0)
                {
                    w.Line($"var dSeq{k - 1} = {TakeBuffer()};");
                    dx = "dSeq" + Lit.I(k - 1);
                }
                else
                {
                    dx = s.InputGradient.Guard switch
                    {
                        null => s.InputGradient.Span,
                        InputGradient.Never => "default",
                        var guard => $"{guard} ? {s.InputGradient.Span} : default",
                    };
                }
                for (int d = 0; d < r.Directions; d++)
                {
                    string sfx = RecurrentLayer.Suffix(k, d), p = Pascal(sfx);
                    string kept = Kept(r) is { } name ? $"{KeptArgument(r)}: {Buffer(r, name + p, t * h)}, " : "";
                    string recurrent = r.RecurrentKind == LayerKindNames.GRU ? $", dRecurrent: {Buffer(r, "DRecurrent", t * g)}" : "";
                    string nonlinearity = r.RecurrentKind == LayerKindNames.RNN ? $", {(r.Relu ? "global::SourceGenNN.RnnNonlinearity.ReLU" : "global::SourceGenNN.RnnNonlinearity.Tanh")}" : "";
                    w.Line($"{Kernel(r, c, k)}.Backward({input}, {EmitContext.Param(r, "weight_ih_" + sfx)}, {EmitContext.Param(r, "weight_hh_" + sfx)}, " +
                           $"{seq}, width: {r.Width}, offset: {d * h},");
                    w.Line($"    gates: {Buffer(r, "Gates" + p, t * g)}, {kept}dy: {dSeq}, dx: {dx},");
                    w.Line($"    {EmitContext.Grad(r, "weight_ih_" + sfx)}, {EmitContext.Grad(r, "weight_hh_" + sfx)}, {Bias(r, "bias_ih_" + sfx, true)}, {Bias(r, "bias_hh_" + sfx, true)},");
                    w.Line($"    dGates: {Buffer(r, "DGates", t * g)}{recurrent}, scratch: {Buffer(r, "Scratch", g + 3 * h)},");
                    w.Line($"    batch, steps: {t}, reverse: {(d == 1 ? "true" : "false")}{nonlinearity}, accumulate: !{EmitContext.Overwrite}, " +
                           $"accumulateInput: {(d == 1 ? "true" : "false")});");
                }
                if (k > 0 && r.HasDropout)
                {
                    w.Line($"// Through the dropout between stacked layers {k - 1} and {k}: dx = dy·m.");
                    w.Line($"{K}Dropout.Backward(dSeq{k - 1}, {Buffer(r, "Mask" + Lit.I(k - 1), t * r.Width)}, dSeq{k - 1});");
                }
                if (k > 0) dSeq = "dSeq" + Lit.I(k - 1);
            }
        }
    }

    /// <summary>l0_reverse → L0Reverse.</summary>
    private static string Pascal(string suffix)
    {
        var sb = new System.Text.StringBuilder();
        bool upper = true;
        foreach (char ch in suffix)
        {
            if (ch == '_')
            {
                upper = true;
                continue;
            }
            sb.Append(upper ? char.ToUpperInvariant(ch) : ch);
            upper = false;
        }
        return sb.ToString();
    }
}
