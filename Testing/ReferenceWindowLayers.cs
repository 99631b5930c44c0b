using System;
using System.Collections.Generic;
using SourceGenNN.Kernels;

namespace SourceGenNN.Testing;

// The references of the sliding-window kinds (convolutions, pooling) and channel dropout, in double, written from
// PyTorch's definitions element by element: no im2col, no shared geometry with the kernels. A [C, L] sample is read as
// [C, 1, L].

/// <summary>The spatial options of a window layer, read from its description (1-D options as height 1).</summary>
internal readonly record struct WindowOptions(int InH, int InW, int OutH, int OutW, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW)
{
    public static WindowOptions Of(LayerDescription l)
    {
        var i = l.InputShape;
        var o = l.OutputShape;
        (int, int) Plane(IReadOnlyList<int> s) => s.Count == 2 ? (1, s[1]) : (s[1], s[2]);
        (int, int) Pair(string name, int one)
        {
            if (!l.HasOption(name)) return (one, one);
            var v = l.Ints(name);
            return v.Count == 1 ? (one, v[0]) : (v[0], v[1]); // a 1-D option is the width; the height is the neutral value
        }
        var (inH, inW) = Plane(i);
        var (outH, outW) = Plane(o);
        var (kh, kw) = Pair("kernel_size", 1);
        var (sh, sw) = Pair("stride", 1);
        var (ph, pw) = Pair("padding", 0);
        var (dh, dw) = Pair("dilation", 1);
        return new WindowOptions(inH, inW, outH, outW, kh, kw, sh, sw, ph, pw, dh, dw);
    }
}

/// <summary>
/// nn.Conv1d/2d: <c>y[n, o, i, j] = b[o] + Σ_(c, p, q) W[o, c, p, q]·x[n, g·Cg + c, i·s − pad + p·d, j·s − pad + q·d]</c>;
/// nn.ConvTranspose1d/2d: each <c>x[n, c, i, j]</c> adds <c>W[c, o, p, q]·x</c> to <c>y[n, g·Og + o, i·s − pad + p·d, …]</c>.
/// </summary>
internal sealed class ConvReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private bool Transposed => Layer.Kind is LayerKindNames.ConvTranspose1d or LayerKindNames.ConvTranspose2d;

    private int In => Layer.Int("in_channels");

    private int Out => Layer.Int("out_channels");

    private int Groups => Layer.Int("groups");

    private int Bias => HasParam("bias") ? Param("bias") : -1;

    /// <summary>
    /// Every (x index, y index, weight index) triple of one sample, the products the layer sums: the convolution and
    /// its transpose read the same triples in opposite directions.
    /// </summary>
    private IEnumerable<(int X, int Y, int W)> Taps()
    {
        var w = WindowOptions.Of(Layer);
        int groups = Groups, inG = In / groups, outG = Out / groups;
        if (!Transposed)
        {
            // Output position (i, j) of channel o reads x around (i·s − pad, j·s − pad).
            for (int o = 0; o < Out; o++)
            {
                int g = o / outG;
                for (int i = 0; i < w.OutH; i++)
                    for (int j = 0; j < w.OutW; j++)
                        for (int c = 0; c < inG; c++)
                            for (int p = 0; p < w.KH; p++)
                                for (int q = 0; q < w.KW; q++)
                                {
                                    int h = i * w.SH - w.PH + p * w.DH, v = j * w.SW - w.PW + q * w.DW;
                                    if (h < 0 || h >= w.InH || v < 0 || v >= w.InW) continue;
                                    yield return (((g * inG + c) * w.InH + h) * w.InW + v, (o * w.OutH + i) * w.OutW + j, ((o * inG + c) * w.KH + p) * w.KW + q);
                                }
            }
            yield break;
        }
        // Input position (i, j) of channel c scatters to y around (i·s − pad, j·s − pad).
        for (int c = 0; c < In; c++)
        {
            int g = c / inG;
            for (int i = 0; i < w.InH; i++)
                for (int j = 0; j < w.InW; j++)
                    for (int o = 0; o < outG; o++)
                        for (int p = 0; p < w.KH; p++)
                            for (int q = 0; q < w.KW; q++)
                            {
                                int h = i * w.SH - w.PH + p * w.DH, v = j * w.SW - w.PW + q * w.DW;
                                if (h < 0 || h >= w.OutH || v < 0 || v >= w.OutW) continue;
                                yield return ((c * w.InH + i) * w.InW + j, (((g * outG + o) * w.OutH + h) * w.OutW) + v, ((c * outG + o) * w.KH + p) * w.KW + q);
                            }
        }
    }

    private int Plane => OutputSize / Out;

    private List<(int X, int Y, int W)>? _taps;

    /// <summary><see cref="Taps"/>, listed once (finite differences run the layer thousands of times).</summary>
    private List<(int X, int Y, int W)> TapList => _taps ??= new List<(int X, int Y, int W)>(Taps());

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        int weight = Param("weight"), bias = Bias;
        var y = new double[c.Batch * OutputSize];
        var taps = TapList;
        for (int s = 0; s < c.Batch; s++)
        {
            if (bias >= 0)
                for (int k = 0; k < OutputSize; k++) y[s * OutputSize + k] = c.Parameters[bias + k / Plane];
            foreach (var (xi, yi, wi) in taps) y[s * OutputSize + yi] += c.Parameters[weight + wi] * x[s * InputSize + xi];
        }
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        var x = inputs[0];
        int weight = Param("weight"), bias = Bias;
        var taps = TapList;
        for (int s = 0; s < c.Batch; s++)
        {
            if (bias >= 0)
                for (int k = 0; k < OutputSize; k++) c.Gradients![bias + k / Plane] += dy[s * OutputSize + k];
            foreach (var (xi, yi, wi) in taps)
            {
                double g = dy[s * OutputSize + yi];
                c.Gradients![weight + wi] += g * x[s * InputSize + xi];
                dx[0][s * InputSize + xi] += g * c.Parameters[weight + wi];
            }
        }
    }

    public override void Initialize(float[] parameters, float[] buffers, ulong seed)
    {
        var w = Network.FindParameter(Layer.Name + ".weight")!;
        int fanIn = w.Length / w.Shape[0];
        Uniform(parameters, "weight", fanIn, seed);
        if (Bias >= 0) Uniform(parameters, "bias", fanIn, seed);
    }
}

/// <summary>
/// nn.MaxPool1d/2d and nn.AvgPool1d/2d per channel plane. Max: the first largest element of each window takes the
/// gradient. Average: the window clipped to the padded input has <c>size</c> elements; the divisor is that size with
/// count_include_pad, else the count of input elements in it.
/// </summary>
internal sealed class PoolReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private bool Max => Layer.Kind is LayerKindNames.MaxPool1d or LayerKindNames.MaxPool2d;

    private (List<int> Elements, int Divisor)[]? _windows;

    /// <summary>For each output element of a plane: the input elements of its window (in row-major order) and its divisor.</summary>
    private (List<int> Elements, int Divisor)[] Windows() => _windows ??= ListWindows();

    private (List<int> Elements, int Divisor)[] ListWindows()
    {
        var w = WindowOptions.Of(Layer);
        bool includePad = !Max && Layer.Bool("count_include_pad");
        var result = new (List<int>, int)[w.OutH * w.OutW];
        for (int i = 0; i < w.OutH; i++)
            for (int j = 0; j < w.OutW; j++)
            {
                var elements = new List<int>();
                for (int p = 0; p < w.KH; p++)
                    for (int q = 0; q < w.KW; q++)
                    {
                        int h = i * w.SH - w.PH + p * w.DH, v = j * w.SW - w.PW + q * w.DW;
                        if (h >= 0 && h < w.InH && v >= 0 && v < w.InW) elements.Add(h * w.InW + v);
                    }
                // PyTorch's avg_pool2d: the window's end clipped to the padded input gives the size counted with padding.
                int h0 = i * w.SH - w.PH, v0 = j * w.SW - w.PW;
                int size = (Math.Min(h0 + w.KH, w.InH + w.PH) - h0) * (Math.Min(v0 + w.KW, w.InW + w.PW) - v0);
                result[i * w.OutW + j] = (elements, includePad ? size : elements.Count);
            }
        return result;
    }

    private int First(double[] x, int offset, List<int> elements)
    {
        int best = elements[0];
        foreach (int e in elements)
            if (x[offset + e] > x[offset + best]) best = e;
        return best;
    }

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        var windows = Windows();
        int planes = c.Batch * Layer.InputShape[0], inPlane = InputSize / Layer.InputShape[0], outPlane = windows.Length;
        var y = new double[planes * outPlane];
        for (int pl = 0; pl < planes; pl++)
            for (int k = 0; k < outPlane; k++)
            {
                var (elements, divisor) = windows[k];
                if (Max)
                {
                    y[pl * outPlane + k] = x[pl * inPlane + First(x, pl * inPlane, elements)];
                    continue;
                }
                double s = 0;
                foreach (int e in elements) s += x[pl * inPlane + e];
                y[pl * outPlane + k] = s / divisor;
            }
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        var x = inputs[0];
        var windows = Windows();
        int planes = c.Batch * Layer.InputShape[0], inPlane = InputSize / Layer.InputShape[0], outPlane = windows.Length;
        for (int pl = 0; pl < planes; pl++)
            for (int k = 0; k < outPlane; k++)
            {
                var (elements, divisor) = windows[k];
                double g = dy[pl * outPlane + k];
                if (Max) dx[0][pl * inPlane + First(x, pl * inPlane, elements)] += g;
                else foreach (int e in elements) dx[0][pl * inPlane + e] += g / divisor;
            }
    }
}

/// <summary>nn.AdaptiveAvgPool2d: cell (i, j) averages rows ⌊i·H/oH⌋ to ⌈(i + 1)·H/oH⌉ − 1 and the columns likewise.</summary>
internal sealed class AdaptivePoolReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private List<int>[]? _cells;

    private List<int>[] Cells() => _cells ??= ListCells();

    private List<int>[] ListCells()
    {
        var i = Layer.InputShape;
        var size = Layer.Ints("output_size");
        int h = i[1], w = i[2];
        var cells = new List<int>[size[0] * size[1]];
        for (int a = 0; a < size[0]; a++)
            for (int b = 0; b < size[1]; b++)
            {
                var list = new List<int>();
                int h0 = (int)Math.Floor((double)a * h / size[0]), h1 = (int)Math.Ceiling((double)(a + 1) * h / size[0]);
                int w0 = (int)Math.Floor((double)b * w / size[1]), w1 = (int)Math.Ceiling((double)(b + 1) * w / size[1]);
                for (int r = h0; r < h1; r++)
                    for (int s = w0; s < w1; s++) list.Add(r * w + s);
                cells[a * size[1] + b] = list;
            }
        return cells;
    }

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        var cells = Cells();
        int planes = c.Batch * Layer.InputShape[0], inPlane = InputSize / Layer.InputShape[0];
        var y = new double[planes * cells.Length];
        for (int p = 0; p < planes; p++)
            for (int k = 0; k < cells.Length; k++)
            {
                double s = 0;
                foreach (int e in cells[k]) s += x[p * inPlane + e];
                y[p * cells.Length + k] = s / cells[k].Count;
            }
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        var cells = Cells();
        int planes = c.Batch * Layer.InputShape[0], inPlane = InputSize / Layer.InputShape[0];
        for (int p = 0; p < planes; p++)
            for (int k = 0; k < cells.Length; k++)
                foreach (int e in cells[k]) dx[0][p * inPlane + e] += dy[p * cells.Length + k] / cells[k].Count;
    }
}

/// <summary>nn.Dropout2d with the generated code's draws: draw n·C + c keeps or drops channel c of sample n.</summary>
internal sealed class Dropout2dReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private double[] _mask = [];

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        double p = Layer.Double("p");
        int channels = Layer.InputShape[0], plane = InputSize / channels;
        ulong key = c.Key(Layer.Index);
        _mask = new double[x.Length];
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int draw = i / plane; // (sample, channel), row-major
            _mask[i] = !c.Training ? 1 : CounterRandom.Uniform(key, (ulong)draw) < (float)p ? 0 : 1 / (1 - p);
            y[i] = x[i] * _mask[i];
        }
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        for (int i = 0; i < dy.Length; i++) dx[0][i] = dy[i] * _mask[i];
    }
}
