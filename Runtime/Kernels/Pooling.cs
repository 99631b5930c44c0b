using System;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>
/// Pooling over each channel plane of [batch, channels, height, width] tensors (a sequence is a plane of height 1),
/// with PyTorch's semantics: max pooling's padding never wins and its gradient goes to the first maximum of each
/// window; average pooling divides by the window's size as <c>nn.AvgPool2d</c> does (below).
/// </summary>
public static class Pooling
{
    /// <summary><c>y[p] = max of the window of p</c> (NaN wins, as in PyTorch).</summary>
    public static void MaxForward(in SlidingWindow window, int channels, ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        int planes = Check(window, channels, x.Length, y.Length, batch);
        for (int c = 0; c < planes; c++)
        {
            var xp = x.Slice(c * window.InPlane, window.InPlane);
            var yp = y.Slice(c * window.OutPlane, window.OutPlane);
            if (IsPairs(window))
            {
                MaxPairs(window, xp, yp);
                continue;
            }
            for (int oh = 0, p = 0; oh < window.OutHeight; oh++)
                for (int ow = 0; ow < window.OutWidth; ow++, p++)
                    yp[p] = xp[ArgMax(window, xp, oh, ow)];
        }
    }

    /// <summary>
    /// The gradient of <see cref="MaxForward"/>: <c>dx</c> (overwritten) is zero except at the first maximum of each
    /// window, which receives the window's <c>dy</c> (summed where overlapping windows share it).
    /// </summary>
    public static void MaxBackward(in SlidingWindow window, int channels, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        int planes = Check(window, channels, x.Length, dy.Length, batch);
        ThrowHelper.CheckAtLeast(dx.Length, (long)planes * window.InPlane, nameof(dx));
        dx.Slice(0, planes * window.InPlane).Clear();
        for (int c = 0; c < planes; c++)
        {
            var xp = x.Slice(c * window.InPlane, window.InPlane);
            var dyp = dy.Slice(c * window.OutPlane, window.OutPlane);
            var dxp = dx.Slice(c * window.InPlane, window.InPlane);
            for (int oh = 0, p = 0; oh < window.OutHeight; oh++)
                for (int ow = 0; ow < window.OutWidth; ow++, p++)
                    dxp[ArgMax(window, xp, oh, ow)] += dyp[p];
        }
    }

    /// <summary>The index in the plane of the first maximum of window (oh, ow) (the last NaN if any; the first in-image element when all are −∞).</summary>
    private static int ArgMax(in SlidingWindow w, ReadOnlySpan<float> plane, int oh, int ow)
    {
        int best = -1;
        float max = float.NegativeInfinity;
        int ih0 = oh * w.StrideHeight - w.PadTop, iw0 = ow * w.StrideWidth - w.PadLeft;
        for (int kh = 0; kh < w.KernelHeight; kh++)
        {
            int ih = ih0 + kh * w.DilationHeight;
            if ((uint)ih >= (uint)w.InHeight) continue;
            for (int kw = 0; kw < w.KernelWidth; kw++)
            {
                int iw = iw0 + kw * w.DilationWidth;
                if ((uint)iw >= (uint)w.InWidth) continue;
                int i = ih * w.InWidth + iw;
                float v = plane[i];
                // PyTorch's test: a larger value or a NaN takes over, so ties keep the first and a NaN the last.
                if (best < 0 || v > max || float.IsNaN(v))
                {
                    max = v;
                    best = i;
                }
            }
        }
        return best;
    }

    /// <summary>The common 2×2 window with stride 2, no padding and no dilation.</summary>
    private static bool IsPairs(in SlidingWindow w) =>
        w.KernelHeight == 2 && w.KernelWidth == 2 && w.StrideHeight == 2 && w.StrideWidth == 2 && w.PadTop == 0 && w.PadLeft == 0
        && w.DilationHeight == 1 && w.DilationWidth == 1 && w.OutHeight * 2 <= w.InHeight && w.OutWidth * 2 <= w.InWidth;

    private static void MaxPairs(in SlidingWindow w, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int oh = 0; oh < w.OutHeight; oh++)
        {
            var top = x.Slice(2 * oh * w.InWidth, w.InWidth);
            var bottom = x.Slice((2 * oh + 1) * w.InWidth, w.InWidth);
            var row = y.Slice(oh * w.OutWidth, w.OutWidth);
            for (int ow = 0; ow < row.Length; ow++)
                row[ow] = First(First(top[2 * ow], top[2 * ow + 1]), First(bottom[2 * ow], bottom[2 * ow + 1]));
        }

        // The larger of a and b, a on a tie; NaN wins (the order ArgMax visits them in).
        static float First(float a, float b) => float.IsNaN(a) ? a : b > a || float.IsNaN(b) ? b : a;
    }

    /// <summary>
    /// <c>y[p] = Σ window / divisor</c>: the window clipped to the padded input has <c>size</c> elements, and the divisor
    /// is that size with <paramref name="countIncludePad"/>, else the number of input elements in it (PyTorch's rule).
    /// </summary>
    public static void AvgForward(in SlidingWindow window, int channels, bool countIncludePad, ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        int planes = Check(window, channels, x.Length, y.Length, batch);
        for (int c = 0; c < planes; c++)
        {
            var xp = x.Slice(c * window.InPlane, window.InPlane);
            var yp = y.Slice(c * window.OutPlane, window.OutPlane);
            for (int oh = 0, p = 0; oh < window.OutHeight; oh++)
                for (int ow = 0; ow < window.OutWidth; ow++, p++)
                {
                    var (h0, h1, w0, w1, divisor) = AvgWindow(window, oh, ow, countIncludePad);
                    float s = 0f;
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++) s += xp[ih * window.InWidth + iw];
                    yp[p] = divisor == 0 ? 0f : s / divisor;
                }
        }
    }

    /// <summary>The gradient of <see cref="AvgForward"/>: each input element gets <c>dy/divisor</c> of every window it is in (dx overwritten).</summary>
    public static void AvgBackward(in SlidingWindow window, int channels, bool countIncludePad, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        int planes = Check(window, channels, dx.Length, dy.Length, batch);
        dx.Slice(0, planes * window.InPlane).Clear();
        for (int c = 0; c < planes; c++)
        {
            var dyp = dy.Slice(c * window.OutPlane, window.OutPlane);
            var dxp = dx.Slice(c * window.InPlane, window.InPlane);
            for (int oh = 0, p = 0; oh < window.OutHeight; oh++)
                for (int ow = 0; ow < window.OutWidth; ow++, p++)
                {
                    var (h0, h1, w0, w1, divisor) = AvgWindow(window, oh, ow, countIncludePad);
                    if (divisor == 0) continue;
                    float g = dyp[p] / divisor;
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++) dxp[ih * window.InWidth + iw] += g;
                }
        }
    }

    /// <summary>The input rows [h0, h1) and columns [w0, w1) of a window, and its divisor (PyTorch's avg_pool2d).</summary>
    private static (int H0, int H1, int W0, int W1, int Divisor) AvgWindow(in SlidingWindow w, int oh, int ow, bool countIncludePad)
    {
        int h0 = oh * w.StrideHeight - w.PadTop, w0 = ow * w.StrideWidth - w.PadLeft;
        // Clipped to the padded input first: that is the size when the padding counts.
        int h1 = Math.Min(h0 + w.KernelHeight, w.InHeight + w.PadTop), w1 = Math.Min(w0 + w.KernelWidth, w.InWidth + w.PadLeft);
        int size = (h1 - h0) * (w1 - w0);
        h0 = Math.Max(h0, 0);
        w0 = Math.Max(w0, 0);
        h1 = Math.Min(h1, w.InHeight);
        w1 = Math.Min(w1, w.InWidth);
        if (h0 >= h1 || w0 >= w1) return (0, 0, 0, 0, 0);
        return (h0, h1, w0, w1, countIncludePad ? size : (h1 - h0) * (w1 - w0));
    }

    /// <summary>
    /// Adaptive average pooling: output cell (i, j) is the mean of input rows ⌊i·H/oH⌋ … ⌈(i + 1)·H/oH⌉ − 1 and the
    /// columns likewise (<c>nn.AdaptiveAvgPool2d</c>).
    /// </summary>
    public static void AdaptiveAvgForward(int channels, (int Height, int Width) input, (int Height, int Width) output, ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        int inPlane = input.Height * input.Width, outPlane = output.Height * output.Width;
        int planes = CheckAdaptive(channels, inPlane, outPlane, x.Length, y.Length, batch);
        for (int c = 0; c < planes; c++)
        {
            var xp = x.Slice(c * inPlane, inPlane);
            var yp = y.Slice(c * outPlane, outPlane);
            for (int oh = 0, p = 0; oh < output.Height; oh++)
            {
                var (h0, h1) = AdaptiveRange(oh, input.Height, output.Height);
                for (int ow = 0; ow < output.Width; ow++, p++)
                {
                    var (w0, w1) = AdaptiveRange(ow, input.Width, output.Width);
                    float s = 0f;
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++) s += xp[ih * input.Width + iw];
                    yp[p] = s / ((h1 - h0) * (w1 - w0));
                }
            }
        }
    }

    /// <summary>The gradient of <see cref="AdaptiveAvgForward"/> (dx overwritten).</summary>
    public static void AdaptiveAvgBackward(int channels, (int Height, int Width) input, (int Height, int Width) output, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        int inPlane = input.Height * input.Width, outPlane = output.Height * output.Width;
        int planes = CheckAdaptive(channels, inPlane, outPlane, dx.Length, dy.Length, batch);
        dx.Slice(0, planes * inPlane).Clear();
        for (int c = 0; c < planes; c++)
        {
            var dyp = dy.Slice(c * outPlane, outPlane);
            var dxp = dx.Slice(c * inPlane, inPlane);
            for (int oh = 0, p = 0; oh < output.Height; oh++)
            {
                var (h0, h1) = AdaptiveRange(oh, input.Height, output.Height);
                for (int ow = 0; ow < output.Width; ow++, p++)
                {
                    var (w0, w1) = AdaptiveRange(ow, input.Width, output.Width);
                    float g = dyp[p] / ((h1 - h0) * (w1 - w0));
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++) dxp[ih * input.Width + iw] += g;
                }
            }
        }
    }

    /// <summary>[⌊i·in/out⌋, ⌈(i + 1)·in/out⌉).</summary>
    private static (int Start, int End) AdaptiveRange(int i, int input, int output) =>
        ((int)((long)i * input / output), (int)(((long)(i + 1) * input + output - 1) / output));

    private static int Check(in SlidingWindow w, int channels, int inLength, int outLength, int batch)
    {
        if (batch <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batch), batch, "a positive batch size");
        if (channels <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(channels), channels, "a positive channel count");
        long planes = (long)batch * channels;
        ThrowHelper.CheckAtLeast(inLength, planes * w.InPlane, "x");
        ThrowHelper.CheckAtLeast(outLength, planes * w.OutPlane, "y");
        return (int)planes;
    }

    private static int CheckAdaptive(int channels, int inPlane, int outPlane, int inLength, int outLength, int batch)
    {
        if (batch <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batch), batch, "a positive batch size");
        if (channels <= 0 || inPlane <= 0 || outPlane <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(channels), channels, "positive sizes");
        long planes = (long)batch * channels;
        ThrowHelper.CheckAtLeast(inLength, planes * inPlane, "x");
        ThrowHelper.CheckAtLeast(outLength, planes * outPlane, "y");
        return (int)planes;
    }
}

/// <summary>
/// Channel dropout (<c>nn.Dropout2d</c>): in training each channel of each sample is kept, scaled by 1/(1 − p), or
/// zeroed with probability p. Draw i = n·channels + c of the counter-based stream decides channel c of sample n.
/// </summary>
public static class Dropout2d
{
    /// <summary>Training-mode forward; <paramref name="mask"/> keeps 0 or 1/(1 − p) per (sample, channel) for backward.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> mask, float p, ulong key, int batch, int channels, int plane)
    {
        int planes = Check(x.Length, y.Length, mask.Length, batch, channels, plane);
        float scale = 1f / (1f - p);
        for (int i = 0; i < planes; i++)
        {
            float m = CounterRandom.Uniform(key, (ulong)i) < p ? 0f : scale;
            mask[i] = m;
            var yp = y.Slice(i * plane, plane);
            if (m == 0f) yp.Clear();
            else Scale(x.Slice(i * plane, plane), m, yp);
        }
    }

    /// <summary>Backward: <c>dx = dy·m</c> per channel.</summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> mask, Span<float> dx, int batch, int channels, int plane)
    {
        int planes = Check(dy.Length, dx.Length, mask.Length, batch, channels, plane);
        for (int i = 0; i < planes; i++)
        {
            var dxp = dx.Slice(i * plane, plane);
            if (mask[i] == 0f) dxp.Clear();
            else Scale(dy.Slice(i * plane, plane), mask[i], dxp);
        }
    }

    private static void Scale(ReadOnlySpan<float> x, float m, Span<float> y)
    {
        for (int k = 0; k < x.Length; k++) y[k] = x[k] * m;
    }

    private static int Check(int inLength, int outLength, int maskLength, int batch, int channels, int plane)
    {
        long planes = (long)batch * channels;
        ThrowHelper.CheckAtLeast(inLength, planes * plane, "x");
        ThrowHelper.CheckAtLeast(outLength, planes * plane, "y");
        ThrowHelper.CheckAtLeast(maskLength, planes, "mask");
        return (int)planes;
    }
}
