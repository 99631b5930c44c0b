using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>Max and average pooling: the runtime's pooling kernels (Runtime/Kernels/Pooling.cs), given the layer's window.</summary>
internal sealed class PoolEmitter : LayerEmitter
{
    private const string K = EmitContext.Kernels;

    // Max pooling's backward finds each window's maximum again in its input; average pooling needs neither.
    public override bool BackwardReadsInput => true;

    private static string Window(PoolLayer p) =>
        ConvEmitter.Window(ConvLayer.Plane(p.Input), ConvLayer.Plane(p.Output), ConvLayer.Pair(p.Kernel, 1), ConvLayer.Pair(p.Stride, 1),
            ConvLayer.Pair(p.Padding, 0), ConvLayer.Pair(p.Dilation, 1));

    public override string ForwardComment(LayerInfo layer)
    {
        var p = (PoolLayer)layer;
        string where = p.Axes == 1
            ? $"x[c, {ConvEmitter.Index("t", "k", p.Stride[0], p.Padding[0], p.Dilation[0])}] over k < {p.Kernel[0]}"
            : $"x[c, {ConvEmitter.Index("i", "p", p.Stride[0], p.Padding[0], p.Dilation[0])}, {ConvEmitter.Index("j", "q", p.Stride[1], p.Padding[1], p.Dilation[1])}] over p < {p.Kernel[0]}, q < {p.Kernel[1]}";
        string at = p.Axes == 1 ? "y[c, t]" : "y[c, i, j]";
        if (p.IsMax) return $"{at} = max of {where} (padding never wins)";
        bool padded = p.Padding[0] != 0 || (p.Axes == 2 && p.Padding[1] != 0);
        string divisor = !padded && !p.CeilMode ? "the window's size"
            : p.CountIncludePad ? "the window's size, padding included" : "the number of x's elements in it";
        return $"{at} = mean of {where}, divided by {divisor}";
    }

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var p = (PoolLayer)layer;
        w.Line($"var window{p.Index} = {Window(p)};");
        w.Line(p.IsMax
            ? $"{K}Pooling.MaxForward(window{p.Index}, channels: {p.Channels}, {inputs[0]}, {output}, batch);"
            : $"{K}Pooling.AvgForward(window{p.Index}, channels: {p.Channels}, countIncludePad: {Bool(p.CountIncludePad)}, {inputs[0]}, {output}, batch);");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        var p = (PoolLayer)layer;
        Guarded(w, s.InputGradient, () =>
        {
            w.Line(p.IsMax
                ? "// dx: each window's dy goes to its first maximum (found again in x), as in PyTorch; zero elsewhere"
                : "// dx: each window's dy / divisor added to every element of the window");
            w.Line($"var window{p.Index} = {Window(p)};");
            w.Line(p.IsMax
                ? $"{K}Pooling.MaxBackward(window{p.Index}, channels: {p.Channels}, {s.Input}, {s.OutputGradient}, {s.InputGradient.Span}, batch);"
                : $"{K}Pooling.AvgBackward(window{p.Index}, channels: {p.Channels}, countIncludePad: {Bool(p.CountIncludePad)}, {s.OutputGradient}, {s.InputGradient.Span}, batch);");
        });
    }

    private static string Bool(bool b) => b ? "true" : "false";
}

/// <summary>Adaptive average pooling (and global average pooling, its 1×1 case).</summary>
internal sealed class AdaptivePoolEmitter : LayerEmitter
{
    private const string K = EmitContext.Kernels;

    public override bool BackwardReadsInput => false;

    public override string ForwardComment(LayerInfo layer)
    {
        var a = (AdaptivePoolLayer)layer;
        return a.Global
            ? "y[c, 0, 0] = the mean of x[c] (global average pooling)"
            : "y[c, i, j] = mean of x[c, ⌊i·H/oH⌋ … ⌈(i + 1)·H/oH⌉ − 1, ⌊j·W/oW⌋ … ⌈(j + 1)·W/oW⌉ − 1]";
    }

    private static string Planes(AdaptivePoolLayer a)
    {
        var i = ConvLayer.Plane(a.Input);
        return $"channels: {a.Channels}, input: ({i.Height}, {i.Width}), output: ({a.OutputSize[0]}, {a.OutputSize[1]})";
    }

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output) =>
        w.Line($"{K}Pooling.AdaptiveAvgForward({Planes((AdaptivePoolLayer)layer)}, {inputs[0]}, {output}, batch);");

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s) =>
        Guarded(w, s.InputGradient, () =>
        {
            w.Line("// dx: each cell's dy / (its window's size) added to every element of its window");
            w.Line($"{K}Pooling.AdaptiveAvgBackward({Planes((AdaptivePoolLayer)layer)}, {s.OutputGradient}, {s.InputGradient.Span}, batch);");
        });
}

/// <summary>Channel dropout: a seeded keep-or-drop draw per (sample, channel) in training, the identity in evaluation.</summary>
internal sealed class Dropout2dEmitter : LayerEmitter
{
    // Backward needs only the mask.
    public override bool BackwardReadsInput => false;

    public override IEnumerable<LayerBuffer> Buffers(LayerInfo layer)
    {
        yield return new LayerBuffer("Mask", ((Dropout2dLayer)layer).Channels, "0 or 1/(1 − p) for each channel of each sample in the last training pass");
    }

    public override string ForwardComment(LayerInfo layer) =>
        "training: y[c] = x[c]·m_c, m_c = 0 with probability p, else 1/(1 − p), per channel; evaluation: y = x";

    private static string Sizes(Dropout2dLayer d) => $"batch, channels: {d.Channels}, plane: {d.Plane}";

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var d = (Dropout2dLayer)layer;
        using (w.Block($"if ({EmitContext.TrainingField})"))
            w.Line($"{EmitContext.Kernels}Dropout2d.Forward({inputs[0]}, {output}, {EmitContext.Buffer(d, "Mask", d.Channels)}, {Lit.F(d.P)}, " +
                   $"{EmitContext.Kernels}CounterRandom.Key({EmitContext.SeedField}, {d.Index}, {EmitContext.StepField}), {Sizes(d)});");
        using (w.Block("else"))
            w.Line($"{inputs[0]}.CopyTo({output});");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        var d = (Dropout2dLayer)layer;
        Guarded(w, s.InputGradient, () =>
        {
            w.Line("// dx[c] = dy[c]·m_c");
            using (w.Block($"if ({EmitContext.TrainingField})"))
                w.Line($"{EmitContext.Kernels}Dropout2d.Backward({s.OutputGradient}, {EmitContext.Buffer(d, "Mask", d.Channels)}, {s.InputGradient.Span}, {Sizes(d)});");
            using (w.Block("else"))
                w.Line($"{s.OutputGradient}.CopyTo({s.InputGradient.Span});");
        });
    }
}
