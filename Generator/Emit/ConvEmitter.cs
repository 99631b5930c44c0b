using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// Convolutions and transposed convolutions: the runtime's im2col kernels (Runtime/Kernels/Convolution.cs), given the
/// layer's window as a constant <c>SlidingWindow</c>. Each keeps one im2col matrix (one group of one sample) as scratch.
/// </summary>
internal sealed class ConvEmitter : LayerEmitter
{
    private const string K = EmitContext.Kernels;

    /// <summary>The window the kernels slide: over the input of a convolution, over the output of a transposed one.</summary>
    internal static (int H, int W) WindowInput(ConvLayer c) => ConvLayer.Plane(c.Transposed ? c.Output : c.Input);

    internal static (int H, int W) WindowOutput(ConvLayer c) => ConvLayer.Plane(c.Transposed ? c.Input : c.Output);

    /// <summary>Whether the window is 1×1 with stride 1 and no padding: the input is its own im2col matrix.</summary>
    private static bool Pointwise(ConvLayer c) =>
        c.KernelElements == 1 && All(c.Stride, 1) && All(c.Padding, 0) && WindowInput(c) == WindowOutput(c);

    private static bool All(EquatableArray<int> values, int v)
    {
        foreach (int x in values) if (x != v) return false;
        return true;
    }

    /// <summary>Channels of one group on the window's input side (those im2col reads).</summary>
    private static int WindowChannels(ConvLayer c) => (c.Transposed ? c.OutChannels : c.InChannels) / c.Groups;

    private static int ColumnsLength(ConvLayer c)
    {
        var o = WindowOutput(c);
        return Pointwise(c) ? 0 : WindowChannels(c) * c.KernelElements * o.H * o.W;
    }

    public override IEnumerable<LayerBuffer> Buffers(LayerInfo layer)
    {
        var c = (ConvLayer)layer;
        int n = ColumnsLength(c);
        if (n > 0) yield return new LayerBuffer("Columns", n, "im2col scratch: one group of one sample, [channels·taps, positions]", PerBatch: true);
    }

    /// <summary><c>new SlidingWindow(input: (28, 28), output: (28, 28), kernel: (3, 3), ...)</c>.</summary>
    internal static string Window((int H, int W) input, (int H, int W) output, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation) =>
        $"new {K}SlidingWindow(input: {P(input)}, output: {P(output)}, kernel: {P(kernel)}, stride: {P(stride)}, padding: {P(padding)}, dilation: {P(dilation)})";

    private static string P((int H, int W) v) => $"({Lit.I(v.H)}, {Lit.I(v.W)})";

    private static string Window(ConvLayer c) =>
        Window(WindowInput(c), WindowOutput(c), ConvLayer.Pair(c.Kernel, 1), ConvLayer.Pair(c.Stride, 1), ConvLayer.Pair(c.Padding, 0), ConvLayer.Pair(c.Dilation, 1));

    /// <summary>The input index along one axis for output index <paramref name="o"/> and tap <paramref name="k"/>: <c>2i + p − 1</c>.</summary>
    internal static string Index(string o, string k, int stride, int padding, int dilation)
    {
        string s = (stride == 1 ? "" : Lit.I(stride)) + o + " + " + (dilation == 1 ? "" : Lit.I(dilation)) + k;
        return padding == 0 ? s : s + " − " + Lit.I(padding);
    }

    public override string ForwardComment(LayerInfo layer)
    {
        var c = (ConvLayer)layer;
        string b = c.HasBias ? "b[o] + " : "";
        string group = c.Groups == 1 ? "" : $", c over the {c.InChannels / c.Groups} input channels of o's group";
        if (c.Axes == 1)
        {
            string t = Index("t", "k", c.Stride[0], c.Padding[0], c.Dilation[0]);
            return c.Transposed
                ? $"y[o, {t}] += W[c, o, k]·x[c, t] for every c, t, k{(c.HasBias ? ", plus b[o]" : "")} (the transpose of a convolution{group})"
                : $"y[o, t] = {b}Σ_(c, k) W[o, c, k]·x[c, {t}], zero outside x{group}";
        }
        string i = Index("i", "p", c.Stride[0], c.Padding[0], c.Dilation[0]);
        string j = Index("j", "q", c.Stride[1], c.Padding[1], c.Dilation[1]);
        return c.Transposed
            ? $"y[o, {i}, {j}] += W[c, o, p, q]·x[c, i, j] for every c, i, j, p, q{(c.HasBias ? ", plus b[o]" : "")} (the transpose of a convolution{group})"
            : $"y[o, i, j] = {b}Σ_(c, p, q) W[o, c, p, q]·x[c, {i}, {j}], zero outside x{group}";
    }

    private static string Shape(ConvLayer c) => $"inChannels: {c.InChannels}, outChannels: {c.OutChannels}, groups: {c.Groups}";

    private static string Columns(ConvLayer c) => ColumnsLength(c) > 0 ? EmitContext.FixedBuffer(c, "Columns") : "default";

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext ctx, IReadOnlyList<string> inputs, string output)
    {
        var c = (ConvLayer)layer;
        string bias = c.HasBias ? EmitContext.Param(c, "bias") : "default";
        var o = WindowOutput(c);
        int rows = WindowChannels(c) * c.KernelElements, positions = o.H * o.W;
        if (Pointwise(c))
            w.Line($"// A 1×1 kernel: y = W·x per sample{(c.Groups > 1 ? " and group" : "")}, x itself the [{rows}, {positions}] matrix.");
        else if (!c.Transposed)
            w.Line($"// im2col: each of the {positions} output positions' windows becomes a column of a [{rows}, {positions}] matrix, then y = W·columns per sample{(c.Groups > 1 ? " and group" : "")}.");
        else
            w.Line($"// columns = Wᵀ·x, a [{rows}, {positions}] matrix per sample{(c.Groups > 1 ? " and group" : "")}; col2im adds each column's window onto y.");
        w.Line($"var window{c.Index} = {Window(c)};");
        string method = c.Transposed ? "TransposedForward" : "Forward";
        w.Line($"{K}Convolution.{method}(window{c.Index}, {Shape(c)}, {inputs[0]}, {EmitContext.Param(c, "weight")}, {bias}, {output}, {Columns(c)}, batch);");
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext ctx, BackwardSpans s)
    {
        var c = (ConvLayer)layer;
        string dBias = c.HasBias ? EmitContext.Grad(c, "bias") : "default";
        string dx = s.InputGradient.Guard switch
        {
            null => s.InputGradient.Span,
            InputGradient.Never => "default",
            var guard => $"{guard} ? {s.InputGradient.Span} : default",
        };
        w.Line(c.Transposed
            ? "// columns = im2col(dy);  dW[c, k] += Σ x[c, p]·columns[k, p];  db[o] += Σ dy[o, ·];  dx = W·columns"
            : "// dW[o, k] += Σ dy[o, p]·columns[k, p] (im2col again);  db[o] += Σ dy[o, ·];  dx = col2im(Wᵀ·dy)");
        w.Line($"var window{c.Index} = {Window(c)};");
        string method = c.Transposed ? "TransposedBackward" : "Backward";
        w.Line($"{K}Convolution.{method}(window{c.Index}, {Shape(c)}, {s.Input}, {EmitContext.Param(c, "weight")}, {s.OutputGradient}, {dx}, " +
               $"{EmitContext.Grad(c, "weight")}, {dBias}, {Columns(c)}, batch, accumulate: !{EmitContext.Overwrite});");
    }
}
