using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// Activations. Element-wise ones call the runtime's activation kernel with their operator struct (value and derivative
/// side by side in Runtime/Kernels/ActivationOperators.cs); Softmax works per row; RReLU draws slopes in training.
/// </summary>
internal sealed class ActivationEmitter : LayerEmitter
{
    private const string K = "global::SourceGenNN.Kernels.";

    // f'(x) is computed from x and f(x) (sigmoid and tanh from the output, the others from the input).
    public override bool BackwardReadsOutput => true;

    public override IEnumerable<LayerBuffer> Buffers(LayerInfo layer)
    {
        var a = (ActivationLayer)layer;
        if (a.ActivationKind == "RReLU")
            yield return new LayerBuffer("Slopes", a.InputSize, "the slope drawn for each element in the last training pass");
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
        "Softmax" => "y[n, i] = e^(x[n, i] − m) / Σⱼ e^(x[n, j] − m), m = maxⱼ x[n, j]",
        "RReLU" => "y = x if x ≥ 0, else a·x; a ~ U(lower, upper) per element in training, (lower + upper)/2 in evaluation",
        _ => "",
    };

    /// <summary>The operator struct for an element-wise activation, or null for Softmax.</summary>
    private static string? Operator(ActivationLayer a) => a.ActivationKind switch
    {
        "Identity" => $"new {K}IdentityOperator()",
        "Sigmoid" => $"new {K}SigmoidOperator()",
        "Tanh" => $"new {K}TanhOperator()",
        "ReLU" => $"new {K}ReluOperator()",
        "LeakyReLU" => $"new {K}LeakyReluOperator({Lit.F(a.P1)})",
        "ELU" => $"new {K}EluOperator({Lit.F(a.P1)})",
        "GELU" => $"new {K}GeluOperator()",
        "SiLU" => $"new {K}SiluOperator()",
        "RReLU" => $"new {K}LeakyReluOperator({Lit.F((a.P1 + a.P2) / 2)})",
        _ => null,
    };

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, string input, string output)
    {
        var a = (ActivationLayer)layer;
        if (a.ActivationKind == "Softmax")
        {
            w.Line($"{K}Softmax.Forward<{c.Dim(a.InputSize)}>({input}, {output}, batch);");
            return;
        }
        if (a.ActivationKind == "RReLU")
        {
            using (w.Block($"if ({EmitContext.TrainingField})"))
                w.Line($"{K}RRelu.ForwardTraining({input}, {output}, {EmitContext.Buffer(a, "Slopes", a.InputSize)}, {Lit.F(a.P1)}, {Lit.F(a.P2)}, {K}CounterRandom.Key({EmitContext.SeedField}, {a.Index}, {EmitContext.StepField}));");
            using (w.Block("else"))
                w.Line($"{K}Activation.Forward({Operator(a)}, {input}, {output});");
            return;
        }
        w.Line($"{K}Activation.Forward({Operator(a)}, {input}, {output});");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, string input, string output, string dOut, string dIn, string? dInGuard)
    {
        var a = (ActivationLayer)layer;
        Guarded(w, dInGuard, () =>
        {
            if (a.ActivationKind == "Softmax")
            {
                w.Line("// dx[n, i] = y[n, i]·(dy[n, i] − Σⱼ dy[n, j]·y[n, j])");
                w.Line($"{K}Softmax.Backward<{c.Dim(a.InputSize)}>({output}, {dOut}, {dIn}, batch);");
                return;
            }
            w.Line("// dx = dy ⊙ f'(x)");
            if (a.ActivationKind == "RReLU")
            {
                using (w.Block($"if ({EmitContext.TrainingField})"))
                    w.Line($"{K}RRelu.Backward({dOut}, {EmitContext.Buffer(a, "Slopes", a.InputSize)}, {dIn});");
                using (w.Block("else"))
                    w.Line($"{K}Activation.Backward({Operator(a)}, {input}, {output}, {dOut}, {dIn});");
                return;
            }
            w.Line($"{K}Activation.Backward({Operator(a)}, {input}, {output}, {dOut}, {dIn});");
        });
    }
}

/// <summary>PReLU: a learnable slope for negative inputs.</summary>
internal sealed class PReluEmitter : LayerEmitter
{
    public override string ForwardComment(LayerInfo layer) =>
        ((PReluLayer)layer).PerFeature ? "y[n, i] = x if x > 0, else a[i]·x  (a learnable, one per feature)" : "y = x if x > 0, else a·x  (a learnable, shared)";

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, string input, string output) =>
        w.Line($"global::SourceGenNN.Kernels.PRelu<{c.Dim(layer.InputSize)}>.Forward({input}, {EmitContext.Param(layer, "weight")}, {output}, batch);");

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, string input, string output, string dOut, string dIn, string? dInGuard)
    {
        // The slope's gradient needs the pass even when dx is not wanted; dIn is then a scratch buffer.
        w.Line("// dx = dy if x > 0, else a·dy;  da += Σ dy·x over x ≤ 0");
        w.Line($"if ({EmitContext.Overwrite}) {EmitContext.Grad(layer, "weight")}.Clear();");
        w.Line($"global::SourceGenNN.Kernels.PRelu<{c.Dim(layer.InputSize)}>.Backward({input}, {EmitContext.Param(layer, "weight")}, {dOut}, {dIn}, {EmitContext.Grad(layer, "weight")}, batch);");
    }
}

/// <summary>Inverted dropout: a seeded mask in training, the identity in evaluation.</summary>
internal sealed class DropoutEmitter : LayerEmitter
{
    // Backward needs only the mask.
    public override bool BackwardReadsInput => false;

    public override IEnumerable<LayerBuffer> Buffers(LayerInfo layer)
    {
        yield return new LayerBuffer("Mask", layer.InputSize, "0 or 1/(1 − p) for each element in the last training pass");
    }

    public override string ForwardComment(LayerInfo layer) => "training: y = x·m, m = 0 with probability p, else 1/(1 − p); evaluation: y = x";

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, string input, string output)
    {
        var d = (DropoutLayer)layer;
        using (w.Block($"if ({EmitContext.TrainingField})"))
            w.Line($"global::SourceGenNN.Kernels.Dropout.Forward({input}, {output}, {EmitContext.Buffer(d, "Mask", d.InputSize)}, {Lit.F(d.P)}, global::SourceGenNN.Kernels.CounterRandom.Key({EmitContext.SeedField}, {d.Index}, {EmitContext.StepField}));");
        using (w.Block("else"))
            w.Line($"{input}.CopyTo({output});");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, string input, string output, string dOut, string dIn, string? dInGuard)
    {
        var d = (DropoutLayer)layer;
        Guarded(w, dInGuard, () =>
        {
            w.Line("// dx = dy·m");
            using (w.Block($"if ({EmitContext.TrainingField})"))
                w.Line($"global::SourceGenNN.Kernels.Dropout.Backward({dOut}, {EmitContext.Buffer(d, "Mask", d.InputSize)}, {dIn});");
            using (w.Block("else"))
                w.Line($"{dOut}.CopyTo({dIn});");
        });
    }
}
