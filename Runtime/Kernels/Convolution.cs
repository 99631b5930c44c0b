using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>
/// The geometry of a window sliding over the planes of an image (a sequence is an image of height 1): the input and
/// output plane sizes, the kernel, the stride, the padding before each axis and the dilation. Output position
/// (oh, ow) and kernel tap (kh, kw) read input element
/// <c>(oh·strideH − padTop + kh·dilationH, ow·strideW − padLeft + kw·dilationW)</c>, zero (or, for max pooling, −∞)
/// outside the input. Convolutions and pooling layers share it.
/// </summary>
public readonly struct SlidingWindow
{
    /// <summary>Describes a window; every size, stride and dilation must be positive, the padding zero or more.</summary>
    public SlidingWindow((int Height, int Width) input, (int Height, int Width) output, (int Height, int Width) kernel,
        (int Height, int Width) stride, (int Height, int Width) padding, (int Height, int Width) dilation)
    {
        if (input.Height <= 0 || input.Width <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(input), input, "positive sizes");
        if (output.Height <= 0 || output.Width <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(output), output, "positive sizes");
        if (kernel.Height <= 0 || kernel.Width <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(kernel), kernel, "positive sizes");
        if (stride.Height <= 0 || stride.Width <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(stride), stride, "positive strides");
        if (padding.Height < 0 || padding.Width < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(padding), padding, "zero or more");
        if (dilation.Height <= 0 || dilation.Width <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(dilation), dilation, "positive dilations");
        (InHeight, InWidth) = input;
        (OutHeight, OutWidth) = output;
        (KernelHeight, KernelWidth) = kernel;
        (StrideHeight, StrideWidth) = stride;
        (PadTop, PadLeft) = padding;
        (DilationHeight, DilationWidth) = dilation;
    }

    /// <summary>The input plane's height.</summary>
    public int InHeight { get; }

    /// <summary>The input plane's width.</summary>
    public int InWidth { get; }

    /// <summary>The output plane's height.</summary>
    public int OutHeight { get; }

    /// <summary>The output plane's width.</summary>
    public int OutWidth { get; }

    /// <summary>The kernel's height.</summary>
    public int KernelHeight { get; }

    /// <summary>The kernel's width.</summary>
    public int KernelWidth { get; }

    /// <summary>The vertical stride.</summary>
    public int StrideHeight { get; }

    /// <summary>The horizontal stride.</summary>
    public int StrideWidth { get; }

    /// <summary>The padding above the input.</summary>
    public int PadTop { get; }

    /// <summary>The padding left of the input.</summary>
    public int PadLeft { get; }

    /// <summary>The vertical spacing of the kernel's taps.</summary>
    public int DilationHeight { get; }

    /// <summary>The horizontal spacing of the kernel's taps.</summary>
    public int DilationWidth { get; }

    /// <summary>Elements of one input plane.</summary>
    public int InPlane => InHeight * InWidth;

    /// <summary>Elements of one output plane.</summary>
    public int OutPlane => OutHeight * OutWidth;

    /// <summary>Taps of the kernel.</summary>
    public int KernelElements => KernelHeight * KernelWidth;

    /// <summary>
    /// True when every output position reads exactly the input element at the same place (a 1×1 kernel, stride 1, no
    /// padding, planes of one size): the im2col matrix is the input itself.
    /// </summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1 && PadTop == 0 && PadLeft == 0
                               && InHeight == OutHeight && InWidth == OutWidth;

    /// <summary>
    /// The range [lo, hi) of output columns whose tap at horizontal offset <paramref name="offset"/>
    /// (<c>kw·dilationW − padLeft</c>) reads inside the input.
    /// </summary>
    internal (int Lo, int Hi) ValidColumns(int offset)
    {
        int lo = offset >= 0 ? 0 : (-offset + StrideWidth - 1) / StrideWidth;
        int last = InWidth - 1 - offset; // ow·stride ≤ last
        int hi = last < 0 ? 0 : Math.Min(OutWidth, last / StrideWidth + 1);
        return (lo, Math.Max(lo, hi));
    }
}

/// <summary>
/// Convolutions (<c>nn.Conv1d/2d</c>) and transposed convolutions (<c>nn.ConvTranspose1d/2d</c>) as im2col plus the
/// library's matrix products (<see cref="Gemm"/>), one sample and one group at a time. For each, im2col copies every
/// output position's input window into a column of a [channels·kH·kW, outputs] matrix, so that the convolution is one
/// product with the weight; col2im adds such a matrix back onto an image. Tensors are row-major
/// [batch, channels, height, width]; <c>columns</c> is a scratch of at least <see cref="ColumnsLength"/> floats. Results
/// do not depend on the batch size or the thread count.
/// </summary>
public static unsafe class Convolution
{
    /// <summary>The scratch the calls need: one group's im2col matrix of one sample (none for a pointwise window).</summary>
    /// <param name="window">The window, over the convolution's input (for a transposed convolution: over its output).</param>
    /// <param name="channels">The channels of one group of the window's input (in_channels/groups; out_channels/groups when transposed).</param>
    public static int ColumnsLength(in SlidingWindow window, int channels) => window.IsPointwise ? 0 : channels * window.KernelElements * window.OutPlane;

    /// <summary>
    /// Forward: <c>y[n, o, p] = b[o] + Σ_(c, kh, kw) W[o, c, kh, kw]·x[n, g·C + c, window(p, kh, kw)]</c> for output
    /// channel o of group g (C = in_channels/groups). The weight is [out_channels, in_channels/groups, kH, kW]; an
    /// empty <paramref name="bias"/> means none.
    /// </summary>
    public static void Forward(in SlidingWindow window, int inChannels, int outChannels, int groups,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, Span<float> columns, int batch)
    {
        var s = Sizes.Of(window, inChannels, outChannels, groups, transposed: false);
        s.Check(x.Length, y.Length, weight.Length, bias.Length, columns.Length, batch, nameof(x), nameof(y));
        bool pointwise = window.IsPointwise;
        fixed (float* px = x, pw = weight, pb = bias, py = y, pc = columns)
            for (int n = 0; n < batch; n++)
                for (int g = 0; g < groups; g++)
                {
                    float* xg = px + (long)n * s.InSample + (long)g * s.InGroup * window.InPlane;
                    float* yg = py + (long)n * s.OutSample + (long)g * s.OutGroup * window.OutPlane;
                    float* cols = pointwise ? xg : pc;
                    if (!pointwise) Im2Col(window, s.InGroup, xg, cols);
                    // y_g[o, p] = b[o] + Σ_k W_g[o, k]·cols[k, p]: the bias first, then the product added (or written, without one).
                    if (!bias.IsEmpty) FillBias(pb, none: false, g * s.OutGroup, s.OutGroup, yg, window.OutPlane);
                    Gemm.Broadcast(s.OutGroup, window.OutPlane, s.Taps, pw + (long)g * s.OutGroup * s.Taps, s.Taps, 1, cols, window.OutPlane,
                        yg, window.OutPlane, accumulate: !bias.IsEmpty);
                }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>: <c>dW[o, c, kh, kw] += Σ_(n, p) dy[n, o, p]·x[n, c, window(p, kh, kw)]</c>,
    /// <c>db[o] += Σ_(n, p) dy[n, o, p]</c> (written instead when <paramref name="accumulate"/> is false), and, when
    /// <paramref name="dx"/> is not empty, <c>dx</c> (overwritten) as the col2im of <c>Wᵀ·dy</c>.
    /// </summary>
    public static void Backward(in SlidingWindow window, int inChannels, int outChannels, int groups,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias,
        Span<float> columns, int batch, bool accumulate)
    {
        var s = Sizes.Of(window, inChannels, outChannels, groups, transposed: false);
        s.Check(x.Length, dy.Length, weight.Length, dBias.Length, columns.Length, batch, nameof(x), nameof(dy));
        ThrowHelper.CheckLength(dWeight.Length, weight.Length, nameof(dWeight), "the weight's shape");
        if (!dx.IsEmpty) ThrowHelper.CheckAtLeast(dx.Length, (long)batch * s.InSample, nameof(dx));
        if (!accumulate)
        {
            dWeight.Clear();
            dBias.Clear();
        }
        bool pointwise = window.IsPointwise;
        fixed (float* px = x, pw = weight, pdy = dy, pdx = dx, pdw = dWeight, pc = columns)
            for (int n = 0; n < batch; n++)
                for (int g = 0; g < groups; g++)
                {
                    float* xg = px + (long)n * s.InSample + (long)g * s.InGroup * window.InPlane;
                    float* dyg = pdy + (long)n * s.OutSample + (long)g * s.OutGroup * window.OutPlane;
                    float* cols = pointwise ? xg : pc;
                    if (!pointwise) Im2Col(window, s.InGroup, xg, cols);
                    // dW_g[o, k] += Σ_p dy_g[o, p]·cols[k, p]
                    Gemm.DotNT(s.OutGroup, s.Taps, window.OutPlane, dyg, window.OutPlane, cols, window.OutPlane, pdw + (long)g * s.OutGroup * s.Taps, s.Taps, null, accumulate: true);
                    AddRowSums(dyg, s.OutGroup, window.OutPlane, dBias, g * s.OutGroup);
                    if (dx.IsEmpty) continue;
                    // dcols[k, p] = Σ_o W_g[o, k]·dy_g[o, p], then col2im onto dx (the columns buffer is free again).
                    float* dxg = pdx + (long)n * s.InSample + (long)g * s.InGroup * window.InPlane;
                    float* dcols = pointwise ? dxg : pc;
                    Gemm.Broadcast(s.Taps, window.OutPlane, s.OutGroup, pw + (long)g * s.OutGroup * s.Taps, 1, s.Taps, dyg, window.OutPlane,
                        dcols, window.OutPlane, accumulate: false);
                    if (pointwise) continue;
                    new Span<float>(dxg, s.InGroup * window.InPlane).Clear();
                    Col2ImAdd(window, s.InGroup, dcols, dxg);
                }
    }

    /// <summary>
    /// Transposed forward: <c>y = col2im(Wᵀ·x) + b</c>, the adjoint of <see cref="Forward"/>'s map from input to
    /// output. <paramref name="window"/> is that of the convolution whose input is <paramref name="y"/> and whose output
    /// is <paramref name="x"/>; the weight is [in_channels, out_channels/groups, kH, kW].
    /// </summary>
    public static void TransposedForward(in SlidingWindow window, int inChannels, int outChannels, int groups,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, Span<float> columns, int batch)
    {
        var s = Sizes.Of(window, inChannels, outChannels, groups, transposed: true);
        s.Check(x.Length, y.Length, weight.Length, bias.Length, columns.Length, batch, nameof(x), nameof(y));
        bool pointwise = window.IsPointwise;
        fixed (float* px = x, pw = weight, pb = bias, py = y, pc = columns)
            for (int n = 0; n < batch; n++)
                for (int g = 0; g < groups; g++)
                {
                    float* xg = px + (long)n * s.InSample + (long)g * s.InGroup * window.OutPlane;
                    float* yg = py + (long)n * s.OutSample + (long)g * s.OutGroup * window.InPlane;
                    FillBias(pb, bias.IsEmpty, g * s.OutGroup, s.OutGroup, yg, window.InPlane);
                    // cols[k, p] = Σ_c W_g[c, k]·x_g[c, p], then added onto y by col2im.
                    float* cols = pointwise ? yg : pc;
                    Gemm.Broadcast(s.Taps, window.OutPlane, s.InGroup, pw + (long)g * s.InGroup * s.Taps, 1, s.Taps, xg, window.OutPlane,
                        cols, window.OutPlane, accumulate: pointwise && !bias.IsEmpty);
                    if (!pointwise) Col2ImAdd(window, s.OutGroup, cols, yg);
                }
    }

    /// <summary>
    /// Backward of <see cref="TransposedForward"/>: with <c>cols = im2col(dy)</c>,
    /// <c>dW[c, k] += Σ_(n, p) x[n, c, p]·cols[k, p]</c>, <c>db[o] += Σ dy[n, o, ·]</c> (written when
    /// <paramref name="accumulate"/> is false) and, when wanted, <c>dx = W·cols</c> (overwritten).
    /// </summary>
    public static void TransposedBackward(in SlidingWindow window, int inChannels, int outChannels, int groups,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias,
        Span<float> columns, int batch, bool accumulate)
    {
        var s = Sizes.Of(window, inChannels, outChannels, groups, transposed: true);
        s.Check(x.Length, dy.Length, weight.Length, dBias.Length, columns.Length, batch, nameof(x), nameof(dy));
        ThrowHelper.CheckLength(dWeight.Length, weight.Length, nameof(dWeight), "the weight's shape");
        if (!dx.IsEmpty) ThrowHelper.CheckAtLeast(dx.Length, (long)batch * s.InSample, nameof(dx));
        if (!accumulate)
        {
            dWeight.Clear();
            dBias.Clear();
        }
        bool pointwise = window.IsPointwise;
        fixed (float* px = x, pw = weight, pdy = dy, pdx = dx, pdw = dWeight, pc = columns)
            for (int n = 0; n < batch; n++)
                for (int g = 0; g < groups; g++)
                {
                    float* xg = px + (long)n * s.InSample + (long)g * s.InGroup * window.OutPlane;
                    float* dyg = pdy + (long)n * s.OutSample + (long)g * s.OutGroup * window.InPlane;
                    float* cols = pointwise ? dyg : pc;
                    if (!pointwise) Im2Col(window, s.OutGroup, dyg, cols);
                    // dW_g[c, k] += Σ_p x_g[c, p]·cols[k, p]
                    Gemm.DotNT(s.InGroup, s.Taps, window.OutPlane, xg, window.OutPlane, cols, window.OutPlane, pdw + (long)g * s.InGroup * s.Taps, s.Taps, null, accumulate: true);
                    AddRowSums(dyg, s.OutGroup, window.InPlane, dBias, g * s.OutGroup);
                    if (dx.IsEmpty) continue;
                    // dx_g[c, p] = Σ_k W_g[c, k]·cols[k, p]
                    Gemm.Broadcast(s.InGroup, window.OutPlane, s.Taps, pw + (long)g * s.InGroup * s.Taps, s.Taps, 1, cols, window.OutPlane,
                        pdx + (long)n * s.InSample + (long)g * s.InGroup * window.OutPlane, window.OutPlane, accumulate: false);
                }
    }

    /// <summary>
    /// im2col: <c>cols[(c·kH + kh)·kW + kw, oh·OW + ow] = image[c, oh·sH − pT + kh·dH, ow·sW − pL + kw·dW]</c>, zero
    /// outside the image. Row by row: the columns of an output row that read inside the image are one strided copy.
    /// </summary>
    internal static void Im2Col(in SlidingWindow w, int channels, float* image, float* cols)
    {
        int P = w.OutPlane, OW = w.OutWidth;
        for (int c = 0; c < channels; c++)
        {
            float* plane = image + (long)c * w.InPlane;
            for (int kh = 0; kh < w.KernelHeight; kh++)
                for (int kw = 0; kw < w.KernelWidth; kw++)
                {
                    float* row = cols + ((long)(c * w.KernelHeight + kh) * w.KernelWidth + kw) * P;
                    int rowOffset = kh * w.DilationHeight - w.PadTop, colOffset = kw * w.DilationWidth - w.PadLeft;
                    var (lo, hi) = w.ValidColumns(colOffset);
                    for (int oh = 0; oh < w.OutHeight; oh++)
                    {
                        float* dst = row + oh * OW;
                        int ih = oh * w.StrideHeight + rowOffset;
                        if ((uint)ih >= (uint)w.InHeight)
                        {
                            new Span<float>(dst, OW).Clear();
                            continue;
                        }
                        float* src = plane + ih * w.InWidth + colOffset;
                        if (w.StrideWidth == 1)
                        {
                            CopyRange(dst, src, OW, lo, hi);
                            continue;
                        }
                        for (int ow = 0; ow < lo; ow++) dst[ow] = 0f;
                        for (int ow = lo; ow < hi; ow++) dst[ow] = src[ow * w.StrideWidth];
                        for (int ow = hi; ow < OW; ow++) dst[ow] = 0f;
                    }
                }
        }
    }

    /// <summary>
    /// col2im: the adjoint of <see cref="Im2Col"/>, each column entry added onto the image element it was read from.
    /// With a horizontal stride of 1 it gathers: each image row sums, in vector registers, the column rows that read it
    /// (shifted by their tap), then is added to memory once; adding the shifted rows to memory one after the other would
    /// make each load wait for the store before it. Other strides scatter.
    /// </summary>
    internal static void Col2ImAdd(in SlidingWindow w, int channels, float* cols, float* image)
    {
        if (w.StrideWidth == 1 && (Vector512.IsHardwareAccelerated && Avx512F.IsSupported || Vector256.IsHardwareAccelerated && Avx.IsSupported))
        {
            Col2ImGather(w, channels, cols, image);
            return;
        }
        int P = w.OutPlane, OW = w.OutWidth;
        for (int c = 0; c < channels; c++)
        {
            float* plane = image + (long)c * w.InPlane;
            for (int kh = 0; kh < w.KernelHeight; kh++)
                for (int kw = 0; kw < w.KernelWidth; kw++)
                {
                    float* row = cols + ((long)(c * w.KernelHeight + kh) * w.KernelWidth + kw) * P;
                    int rowOffset = kh * w.DilationHeight - w.PadTop, colOffset = kw * w.DilationWidth - w.PadLeft;
                    var (lo, hi) = w.ValidColumns(colOffset);
                    for (int oh = 0; oh < w.OutHeight; oh++)
                    {
                        int ih = oh * w.StrideHeight + rowOffset;
                        if ((uint)ih >= (uint)w.InHeight) continue;
                        float* src = row + oh * OW;
                        float* dst = plane + ih * w.InWidth + colOffset;
                        for (int ow = lo; ow < hi; ow++) dst[ow * w.StrideWidth] += src[ow];
                    }
                }
        }
    }

    /// <summary>
    /// <see cref="Col2ImAdd"/> for a horizontal stride of 1: image[c, ih, iw] += Σ over taps (kh, kw) whose output row
    /// oh = (ih + padTop − kh·dilationH)/strideH is whole and in range of cols[(c, kh, kw), oh, iw + padLeft − kw·dilationW]
    /// (where that column is in range), summed 16 (or 8) columns at a time in a register.
    /// </summary>
    private static void Col2ImGather(in SlidingWindow w, int channels, float* cols, float* image)
    {
        int P = w.OutPlane, OW = w.OutWidth, W = w.InWidth;
        bool wide = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
        int lanes = wide ? 16 : 8;
        for (int c = 0; c < channels; c++)
        {
            float* plane = image + (long)c * w.InPlane;
            float* taps = cols + (long)c * w.KernelElements * P;
            for (int ih = 0; ih < w.InHeight; ih++)
                for (int j = 0; j < W; j += lanes)
                {
                    var sum512 = Vector512<float>.Zero;
                    var sum256 = Vector256<float>.Zero;
                    for (int kh = 0; kh < w.KernelHeight; kh++)
                    {
                        int t = ih + w.PadTop - kh * w.DilationHeight;
                        if (t < 0 || t % w.StrideHeight != 0 || t / w.StrideHeight >= w.OutHeight) continue;
                        float* rows = taps + (long)kh * w.KernelWidth * P + t / w.StrideHeight * OW;
                        for (int kw = 0; kw < w.KernelWidth; kw++)
                        {
                            // Image column iw reads output column ow = iw + shift.
                            int shift = w.PadLeft - kw * w.DilationWidth;
                            float* src = rows + (long)kw * P + j + shift;
                            int lo = -(j + shift), hi = OW - (j + shift); // lanes l with 0 ≤ j + l + shift < OW
                            if (wide)
                            {
                                var l = Vector512<int>.Indices;
                                var inside = (Vector512.GreaterThanOrEqual(l, Vector512.Create(lo)) & Vector512.LessThan(l, Vector512.Create(hi))).AsSingle();
                                sum512 += Avx512F.MaskLoad(src, inside, Vector512<float>.Zero);
                            }
                            else
                            {
                                var l = Vector256<int>.Indices;
                                var inside = (Vector256.GreaterThanOrEqual(l, Vector256.Create(lo)) & Vector256.LessThan(l, Vector256.Create(hi))).AsSingle();
                                sum256 += Avx.MaskLoad(src, inside);
                            }
                        }
                    }
                    float* dst = plane + ih * W + j;
                    if (wide)
                    {
                        var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(W - j)).AsSingle();
                        Avx512F.MaskStore(dst, tail, Avx512F.MaskLoad(dst, tail, Vector512<float>.Zero) + sum512);
                    }
                    else
                    {
                        var tail = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(W - j)).AsSingle();
                        Avx.MaskStore(dst, tail, Avx.MaskLoad(dst, tail) + sum256);
                    }
                }
        }
    }

    /// <summary>
    /// <c>dst[k] = src[k]</c> for <paramref name="lo"/> ≤ k &lt; <paramref name="hi"/>, else 0, for k in [0, count): one
    /// row of an im2col matrix, whose window runs off the image outside [lo, hi). <paramref name="src"/> is read only
    /// inside [lo, hi): the masked vector loads do not touch the lanes outside it (they may lie before or after the image).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRange(float* dst, float* src, int count, int lo, int hi)
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            var first = Vector512.Create(lo);
            var end = Vector512.Create(hi);
            for (int k = 0; k < count; k += 16)
            {
                var index = Vector512<int>.Indices + Vector512.Create(k);
                var inside = (Vector512.GreaterThanOrEqual(index, first) & Vector512.LessThan(index, end)).AsSingle();
                var v = Avx512F.MaskLoad(src + k, inside, Vector512<float>.Zero);
                if (count - k >= 16) v.Store(dst + k);
                else Avx512F.MaskStore(dst + k, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count - k)).AsSingle(), v);
            }
            return;
        }
        if (Vector256.IsHardwareAccelerated && Avx.IsSupported)
        {
            var first = Vector256.Create(lo);
            var end = Vector256.Create(hi);
            for (int k = 0; k < count; k += 8)
            {
                var index = Vector256<int>.Indices + Vector256.Create(k);
                var inside = (Vector256.GreaterThanOrEqual(index, first) & Vector256.LessThan(index, end)).AsSingle();
                var v = Avx.MaskLoad(src + k, inside); // lanes outside are zero
                if (count - k >= 8) v.Store(dst + k);
                else Avx.MaskStore(dst + k, Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count - k)).AsSingle(), v);
            }
            return;
        }
        for (int k = 0; k < lo; k++) dst[k] = 0f;
        for (int k = lo; k < hi; k++) dst[k] = src[k];
        for (int k = hi; k < count; k++) dst[k] = 0f;
    }

    /// <summary>Each output channel's plane set to its bias, or to zero without one (col2im then adds onto it).</summary>
    private static void FillBias(float* bias, bool none, int first, int channels, float* y, int plane)
    {
        for (int o = 0; o < channels; o++) new Span<float>(y + (long)o * plane, plane).Fill(none ? 0f : bias[first + o]);
    }

    private static void AddRowSums(float* dy, int rows, int length, Span<float> dBias, int first)
    {
        if (dBias.IsEmpty) return;
        for (int o = 0; o < rows; o++) dBias[first + o] += TensorOps.Sum(new ReadOnlySpan<float>(dy + (long)o * length, length));
    }

    /// <summary>The sizes of one call, derived once and checked.</summary>
    private readonly struct Sizes
    {
        public int InGroup { get; init; }
        public int OutGroup { get; init; }
        public int Taps { get; init; }
        public long InSample { get; init; }
        public long OutSample { get; init; }
        public int WeightLength { get; init; }
        public int ColumnsLength { get; init; }
        public int OutChannels { get; init; }

        public static Sizes Of(in SlidingWindow w, int inChannels, int outChannels, int groups, bool transposed)
        {
            if (groups <= 0 || inChannels <= 0 || outChannels <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
                ThrowHelper.ThrowArgumentOutOfRange(nameof(groups), groups, $"a positive divisor of both in_channels ({inChannels}) and out_channels ({outChannels})");
            int inGroup = inChannels / groups, outGroup = outChannels / groups;
            // The window runs over the input of a convolution, and over the output of a transposed one.
            int taps = (transposed ? outGroup : inGroup) * w.KernelElements;
            return new Sizes
            {
                InGroup = inGroup,
                OutGroup = outGroup,
                Taps = taps,
                InSample = (long)inChannels * (transposed ? w.OutPlane : w.InPlane),
                OutSample = (long)outChannels * (transposed ? w.InPlane : w.OutPlane),
                WeightLength = (transposed ? inChannels : outChannels) * taps,
                ColumnsLength = w.IsPointwise ? 0 : taps * w.OutPlane,
                OutChannels = outChannels,
            };
        }

        public void Check(int inLength, int outLength, int weightLength, int biasLength, int columnsLength, int batch, string inName, string outName)
        {
            if (batch <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batch), batch, "a positive batch size");
            ThrowHelper.CheckAtLeast(inLength, batch * InSample, inName);
            ThrowHelper.CheckAtLeast(outLength, batch * OutSample, outName);
            ThrowHelper.CheckLength(weightLength, WeightLength, "weight", "[out, in/groups, k…] ([in, out/groups, k…] when transposed)");
            if (biasLength != 0) ThrowHelper.CheckLength(biasLength, OutChannels, "bias", "[out_channels] or empty");
            ThrowHelper.CheckAtLeast(columnsLength, ColumnsLength, "columns");
        }
    }
}
