using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// Element-wise activations call the runtime's activation kernel with their operator struct (value and derivative side
/// by side in Runtime/Kernels/ActivationOperators.cs); RReLU draws slopes in training. Softmax, PReLU and Dropout have
/// their own emitters below.
/// </summary>
internal sealed class ActivationEmitter : LayerEmitter
{
    private const string K = EmitContext.Kernels;

    // f'(x) is computed from x and f(x) (sigmoid and tanh from the output, the others from the input).
    public override bool BackwardReadsOutput => true;

    public override IEnumerable<LayerBuffer> Buffers(LayerInfo layer)
    {
        var a = (ActivationLayer)layer;
        if (a.ActivationKind == "RReLU")
            yield return new LayerBuffer("Slopes", a.Input.Size, "the slope drawn for each element in the last training pass");
    }

    public override string ForwardComment(LayerInfo layer) => ((ActivationLayer)layer).ActivationKind switch
    {
        "Identity" => "y = x",
        "Sigmoid" => "y = 1 / (1 + e^(−x))",
        "Tanh" => "y = tanh(x)",
        "ReLU" => "y = max(0, x)",
        "LeakyReLU" => "y = x if x ≥ 0, else slope·x",
        "ELU" => "y = x if x > 0, else α·(eˣ − 1)",
        "GELU" => "y = x·Φ(x), Φ the standard normal CDF",
        "SiLU" => "y = x·σ(x)",
        "RReLU" => "y = x if x ≥ 0, else a·x; a ~ U(lower, upper) per element in training, (lower + upper)/2 in evaluation",
        _ => "",
    };

    /// <summary>Activations a product's epilogue can apply: element-wise, deterministic, without parameters.</summary>
    public static bool Fusable(ActivationLayer a) => a.ActivationKind is "Identity" or "Sigmoid" or "Tanh" or "ReLU" or "LeakyReLU" or "ELU" or "GELU" or "SiLU";

    /// <summary>The operator struct of the activation.</summary>
    public static string Operator(ActivationLayer a) => a.ActivationKind switch
    {
        "Identity" => $"new {K}IdentityOperator()",
        "Sigmoid" => $"new {K}SigmoidOperator()",
        "Tanh" => $"new {K}TanhOperator()",
        "ReLU" => $"new {K}ReluOperator()",
        "LeakyReLU" => $"new {K}LeakyReluOperator({Lit.F(a.P1)})",
        "ELU" => $"new {K}EluOperator({Lit.F(a.P1)})",
        "GELU" => $"new {K}GeluOperator()",
        "SiLU" => $"new {K}SiluOperator()",
        _ => $"new {K}LeakyReluOperator({Lit.F((a.P1 + a.P2) / 2)})", // RReLU in evaluation: the mean slope
    };

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var a = (ActivationLayer)layer;
        string input = inputs[0];
        if (a.ActivationKind == "RReLU")
        {
            using (w.Block($"if ({EmitContext.TrainingField})"))
                w.Line($"{K}RRelu.ForwardTraining({input}, {output}, {EmitContext.Buffer(a, "Slopes", a.Input.Size)}, {Lit.F(a.P1)}, {Lit.F(a.P2)}, {K}CounterRandom.Key({EmitContext.SeedField}, {a.Index}, {EmitContext.StepField}));");
            using (w.Block("else"))
                w.Line($"{K}Activation.Forward({Operator(a)}, {input}, {output});");
            return;
        }
        w.Line($"{K}Activation.Forward({Operator(a)}, {input}, {output});");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        var a = (ActivationLayer)layer;
        Guarded(w, s.InputGradient, () =>
        {
            w.Line("// dx = dy ⊙ f'(x)");
            if (a.ActivationKind == "RReLU")
            {
                using (w.Block($"if ({EmitContext.TrainingField})"))
                    w.Line($"{K}RRelu.Backward({s.OutputGradient}, {EmitContext.Buffer(a, "Slopes", a.Input.Size)}, {s.InputGradient.Span});");
                using (w.Block("else"))
                    w.Line($"{K}Activation.Backward({Operator(a)}, {s.Input}, {s.Output}, {s.OutputGradient}, {s.InputGradient.Span});");
                return;
            }
            w.Line($"{K}Activation.Backward({Operator(a)}, {s.Input}, {s.Output}, {s.OutputGradient}, {s.InputGradient.Span});");
        });
    }
}

/// <summary>Softmax along one dimension, computed stably (the maximum subtracted first).</summary>
internal sealed class SoftmaxEmitter : LayerEmitter
{
    private const string K = EmitContext.Kernels;

    // dx needs only y.
    public override bool BackwardReadsInput => false;

    public override bool BackwardReadsOutput => true;

    public override string ForwardComment(LayerInfo layer)
    {
        var s = (SoftmaxLayer)layer;
        return s.Inner == 1
            ? "y[r, i] = e^(x[r, i] − m) / Σⱼ e^(x[r, j] − m), m = maxⱼ x[r, j], over the last dimension"
            : $"softmax over dim {s.Dim}: the sample is [{s.Outer}, {s.Length}, {s.Inner}], normalised along the middle axis";
    }

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var s = (SoftmaxLayer)layer;
        if (s.Inner == 1)
            w.Line($"{K}Softmax.Forward<{c.Dim(s.Length)}>({inputs[0]}, {output}, {Rows(s.Outer)});");
        else
            w.Line($"{K}Softmax.Forward({inputs[0]}, {output}, outer: {Rows(s.Outer)}, length: {s.Length}, inner: {s.Inner});");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans b)
    {
        var s = (SoftmaxLayer)layer;
        Guarded(w, b.InputGradient, () =>
        {
            w.Line("// dx[i] = y[i]·(dy[i] − Σⱼ dy[j]·y[j]) along the softmax axis");
            if (s.Inner == 1)
                w.Line($"{K}Softmax.Backward<{c.Dim(s.Length)}>({b.Output}, {b.OutputGradient}, {b.InputGradient.Span}, {Rows(s.Outer)});");
            else
                w.Line($"{K}Softmax.Backward({b.Output}, {b.OutputGradient}, {b.InputGradient.Span}, outer: {Rows(s.Outer)}, length: {s.Length}, inner: {s.Inner});");
        });
    }
}

/// <summary>PReLU: a learnable slope for negative inputs, shared or one per channel (the first axis of a sample).</summary>
internal sealed class PReluEmitter : LayerEmitter
{
    public override string ForwardComment(LayerInfo layer)
    {
        var p = (PReluLayer)layer;
        if (!p.PerFeature) return "y = x if x > 0, else a·x  (a learnable, shared)";
        return p.Inner == 1
            ? "y[n, i] = x if x > 0, else a[i]·x  (a learnable, one per feature)"
            : "y[n, c, ...] = x if x > 0, else a[c]·x  (a learnable, one per channel)";
    }

    private static string Call(PReluLayer p, string method, string args) =>
        $"{EmitContext.Kernels}PRelu.{method}({args}, {Rows(1)}, channels: {p.Input.Dims[0]}, inner: {p.Inner});";

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var p = (PReluLayer)layer;
        w.Line(Call(p, "Forward", $"{inputs[0]}, {EmitContext.Param(layer, "weight")}, {output}"));
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        // The slope's gradient needs the pass even when dx is not wanted; dx is then a scratch buffer.
        var p = (PReluLayer)layer;
        w.Line("// dx = dy if x > 0, else a·dy;  da += Σ dy·x over x ≤ 0");
        w.Line($"if ({EmitContext.Overwrite}) {EmitContext.Grad(layer, "weight")}.Clear();");
        w.Line(Call(p, "Backward", $"{s.Input}, {EmitContext.Param(layer, "weight")}, {s.OutputGradient}, {s.InputGradient.Span}, {EmitContext.Grad(layer, "weight")}"));
    }
}

/// <summary>Inverted dropout: a seeded mask in training, the identity in evaluation.</summary>
internal sealed class DropoutEmitter : LayerEmitter
{
    // Backward needs only the mask.
    public override bool BackwardReadsInput => false;

    public override IEnumerable<LayerBuffer> Buffers(LayerInfo layer)
    {
        yield return new LayerBuffer("Mask", layer.Input.Size, "0 or 1/(1 − p) for each element in the last training pass");
    }

    public override string ForwardComment(LayerInfo layer) => "training: y = x·m, m = 0 with probability p, else 1/(1 − p); evaluation: y = x";

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var d = (DropoutLayer)layer;
        using (w.Block($"if ({EmitContext.TrainingField})"))
            w.Line($"{EmitContext.Kernels}Dropout.Forward({inputs[0]}, {output}, {EmitContext.Buffer(d, "Mask", d.Input.Size)}, {Lit.F(d.P)}, {EmitContext.Kernels}CounterRandom.Key({EmitContext.SeedField}, {d.Index}, {EmitContext.StepField}));");
        using (w.Block("else"))
            w.Line($"{inputs[0]}.CopyTo({output});");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        var d = (DropoutLayer)layer;
        Guarded(w, s.InputGradient, () =>
        {
            w.Line("// dx = dy·m");
            using (w.Block($"if ({EmitContext.TrainingField})"))
                w.Line($"{EmitContext.Kernels}Dropout.Backward({s.OutputGradient}, {EmitContext.Buffer(d, "Mask", d.Input.Size)}, {s.InputGradient.Span});");
            using (w.Block("else"))
                w.Line($"{s.OutputGradient}.CopyTo({s.InputGradient.Span});");
        });
    }
}
