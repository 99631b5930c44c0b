using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
    public static unsafe void MaxForward(in SlidingWindow window, int channels, ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        int planes = Check(window, channels, x.Length, y.Length, batch);
        if (IsPairs(window))
        {
            fixed (float* px = x, py = y)
                for (int c = 0; c < planes; c++) MaxPairs(window, px + (long)c * window.InPlane, py + (long)c * window.OutPlane, null, null);
            return;
        }
        for (int c = 0; c < planes; c++)
        {
            var xp = x.Slice(c * window.InPlane, window.InPlane);
            var yp = y.Slice(c * window.OutPlane, window.OutPlane);
            for (int oh = 0, p = 0; oh < window.OutHeight; oh++)
                for (int ow = 0; ow < window.OutWidth; ow++, p++)
                    yp[p] = xp[ArgMax(window, xp, oh, ow)];
        }
    }

    /// <summary>
    /// The gradient of <see cref="MaxForward"/>: <c>dx</c> (overwritten) is zero except at the first maximum of each
    /// window, which receives the window's <c>dy</c> (summed where overlapping windows share it).
    /// </summary>
    public static unsafe void MaxBackward(in SlidingWindow window, int channels, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        int planes = Check(window, channels, x.Length, dy.Length, batch);
        ThrowHelper.CheckAtLeast(dx.Length, (long)planes * window.InPlane, nameof(dx));
        dx.Slice(0, planes * window.InPlane).Clear();
        if (IsPairs(window))
        {
            fixed (float* px = x, pdy = dy, pdx = dx)
                for (int c = 0; c < planes; c++)
                    MaxPairs(window, px + (long)c * window.InPlane, null, pdy + (long)c * window.OutPlane, pdx + (long)c * window.InPlane);
            return;
        }
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

    /// <summary>
    /// One plane of 2×2 windows with stride 2, visited as <see cref="ArgMax"/> visits them (row by row, PyTorch's test):
    /// forward writes each maximum to <paramref name="y"/>; backward (y null) adds each window's dy to its maximum in dx.
    /// </summary>
    private static unsafe void MaxPairs(in SlidingWindow w, float* x, float* y, float* dy, float* dx)
    {
        int width = w.InWidth, outWidth = w.OutWidth;
        for (int oh = 0; oh < w.OutHeight; oh++)
        {
            float* top = x + 2 * oh * width;
            int ow = 0;
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
            {
                for (; ow < outWidth; ow += 16)
                    MaxPairs16(top, width, Math.Min(16, outWidth - ow), ow, y == null ? null : y + oh * outWidth,
                        dy == null ? null : dy + oh * outWidth, dx == null ? null : dx + 2 * oh * width);
                continue;
            }
            if (Vector256.IsHardwareAccelerated && Avx2.IsSupported)
            {
                for (; ow < outWidth; ow += 8)
                    MaxPairs8(top, width, Math.Min(8, outWidth - ow), ow, y == null ? null : y + oh * outWidth,
                        dy == null ? null : dy + oh * outWidth, dx == null ? null : dx + 2 * oh * width);
                continue;
            }
            for (; ow < outWidth; ow++)
            {
                int at = 2 * ow;
                float m = top[at];
                if (top[at + 1] > m || float.IsNaN(top[at + 1])) { m = top[at + 1]; at++; }
                if (top[width + 2 * ow] > m || float.IsNaN(top[width + 2 * ow])) { m = top[width + 2 * ow]; at = width + 2 * ow; }
                if (top[width + 2 * ow + 1] > m || float.IsNaN(top[width + 2 * ow + 1])) { m = top[width + 2 * ow + 1]; at = width + 2 * ow + 1; }
                if (y != null) y[oh * outWidth + ow] = m;
                else dx[2 * oh * width + at] += dy[oh * outWidth + ow];
            }
        }
    }

    /// <summary>
    /// 16 windows of a 2×2 pooling row at once (<paramref name="count"/> of them real), branch-free: the even and odd
    /// elements of the two input rows are pulled apart with permutes, and each maximum is chosen as <see cref="ArgMax"/>
    /// chooses it (a larger value or a NaN takes over, in row-major order). Forward writes the maxima to
    /// <paramref name="y"/>; backward writes each window's dy to its maximum's place in <paramref name="dx"/> (whose
    /// windows do not overlap) and zero to the other three.
    /// </summary>
    private static unsafe void MaxPairs16(float* top, int width, int count, int ow, float* y, float* dy, float* dx)
    {
        var lanes = Vector512<int>.Indices;
        var even = lanes * 2;
        var odd = even + Vector512<int>.One;
        float* t = top + 2 * ow, b = t + width;
        // The row's 2·count elements from 2·ow, in two vectors.
        var first = Vector512.LessThan(lanes, Vector512.Create(2 * count)).AsSingle();
        var second = Vector512.LessThan(lanes, Vector512.Create(2 * count - 16)).AsSingle();
        var t0 = Avx512F.MaskLoad(t, first, Vector512<float>.Zero);
        var t1 = Avx512F.MaskLoad(t + 16, second, Vector512<float>.Zero);
        var b0 = Avx512F.MaskLoad(b, first, Vector512<float>.Zero);
        var b1 = Avx512F.MaskLoad(b + 16, second, Vector512<float>.Zero);
        var m = Avx512F.PermuteVar16x32x2(t0, even, t1);
        var k = Vector512<int>.Zero;
        Take(Avx512F.PermuteVar16x32x2(t0, odd, t1), 1, ref m, ref k);
        Take(Avx512F.PermuteVar16x32x2(b0, even, b1), 2, ref m, ref k);
        Take(Avx512F.PermuteVar16x32x2(b0, odd, b1), 3, ref m, ref k);
        var outputs = Vector512.LessThan(lanes, Vector512.Create(count)).AsSingle();
        if (y != null)
        {
            Avx512F.MaskStore(y + ow, outputs, m);
            return;
        }
        var g = Avx512F.MaskLoad(dy + ow, outputs, Vector512<float>.Zero);
        var g0 = Vector512.ConditionalSelect(Vector512.Equals(k, Vector512<int>.Zero).AsSingle(), g, Vector512<float>.Zero);
        var g1 = Vector512.ConditionalSelect(Vector512.Equals(k, Vector512.Create(1)).AsSingle(), g, Vector512<float>.Zero);
        var g2 = Vector512.ConditionalSelect(Vector512.Equals(k, Vector512.Create(2)).AsSingle(), g, Vector512<float>.Zero);
        var g3 = Vector512.ConditionalSelect(Vector512.Equals(k, Vector512.Create(3)).AsSingle(), g, Vector512<float>.Zero);
        // Interleave back: element 2i of a row is window i's left, 2i + 1 its right.
        var low = (lanes >> 1) + (lanes & Vector512<int>.One) * 16;
        var high = low + Vector512.Create(8);
        float* dt = dx + 2 * ow, db = dt + width;
        Avx512F.MaskStore(dt, first, Avx512F.PermuteVar16x32x2(g0, low, g1));
        Avx512F.MaskStore(dt + 16, second, Avx512F.PermuteVar16x32x2(g0, high, g1));
        Avx512F.MaskStore(db, first, Avx512F.PermuteVar16x32x2(g2, low, g3));
        Avx512F.MaskStore(db + 16, second, Avx512F.PermuteVar16x32x2(g2, high, g3));

        static void Take(Vector512<float> v, int index, ref Vector512<float> m, ref Vector512<int> k)
        {
            var wins = Vector512.GreaterThan(v, m) | ~Vector512.Equals(v, v);
            m = Vector512.ConditionalSelect(wins, v, m);
            k = Vector512.ConditionalSelect(wins.AsInt32(), Vector512.Create(index), k);
        }
    }

    /// <summary>
    /// <see cref="MaxPairs16"/> for AVX2: 8 windows at a time (<paramref name="count"/> of them real). The even and odd
    /// elements of each row are pulled apart with an in-lane shuffle and a cross-lane permute, and put back together in
    /// backward with unpacks; the maxima are chosen in the same order. Without it the scalar loop's data-dependent
    /// branches made W6's pooling most of its step on AVX2.
    /// </summary>
    private static unsafe void MaxPairs8(float* top, int width, int count, int ow, float* y, float* dy, float* dx)
    {
        var lanes = Vector256<int>.Indices;
        float* t = top + 2 * ow, b = t + width;
        // The row's 2·count elements from 2·ow, in two vectors.
        var first = Vector256.LessThan(lanes, Vector256.Create(2 * count)).AsSingle();
        var second = Vector256.LessThan(lanes, Vector256.Create(2 * count - 8)).AsSingle();
        var t0 = Avx.MaskLoad(t, first);
        var t1 = Avx.MaskLoad(t + 8, second);
        var b0 = Avx.MaskLoad(b, first);
        var b1 = Avx.MaskLoad(b + 8, second);
        var m = Even(t0, t1);
        var k = Vector256<int>.Zero;
        Take(Odd(t0, t1), 1, ref m, ref k);
        Take(Even(b0, b1), 2, ref m, ref k);
        Take(Odd(b0, b1), 3, ref m, ref k);
        var outputs = Vector256.LessThan(lanes, Vector256.Create(count)).AsSingle();
        if (y != null)
        {
            Avx.MaskStore(y + ow, outputs, m);
            return;
        }
        var g = Avx.MaskLoad(dy + ow, outputs);
        var g0 = Vector256.ConditionalSelect(Vector256.Equals(k, Vector256<int>.Zero).AsSingle(), g, Vector256<float>.Zero);
        var g1 = Vector256.ConditionalSelect(Vector256.Equals(k, Vector256.Create(1)).AsSingle(), g, Vector256<float>.Zero);
        var g2 = Vector256.ConditionalSelect(Vector256.Equals(k, Vector256.Create(2)).AsSingle(), g, Vector256<float>.Zero);
        var g3 = Vector256.ConditionalSelect(Vector256.Equals(k, Vector256.Create(3)).AsSingle(), g, Vector256<float>.Zero);
        float* dt = dx + 2 * ow, db = dt + width;
        // Interleave back: element 2i of a row is window i's left, 2i + 1 its right. The unpacks interleave within each
        // 128-bit half ([l0 r0 l1 r1 | l4 r4 l5 r5] and [l2 r2 l3 r3 | l6 r6 l7 r7]); the permutes put the halves in order.
        var tl = Avx.UnpackLow(g0, g1);
        var th = Avx.UnpackHigh(g0, g1);
        Avx.MaskStore(dt, first, Avx.Permute2x128(tl, th, 0x20));
        Avx.MaskStore(dt + 8, second, Avx.Permute2x128(tl, th, 0x31));
        var bl = Avx.UnpackLow(g2, g3);
        var bh = Avx.UnpackHigh(g2, g3);
        Avx.MaskStore(db, first, Avx.Permute2x128(bl, bh, 0x20));
        Avx.MaskStore(db + 8, second, Avx.Permute2x128(bl, bh, 0x31));

        // [a0 a2 b0 b2 | a4 a6 b4 b6], then the 64-bit quarters reordered 0, 2, 1, 3: [a0 a2 a4 a6 b0 b2 b4 b6].
        static Vector256<float> Even(Vector256<float> a, Vector256<float> b) =>
            Avx2.Permute4x64(Avx.Shuffle(a, b, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();

        static Vector256<float> Odd(Vector256<float> a, Vector256<float> b) =>
            Avx2.Permute4x64(Avx.Shuffle(a, b, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();

        static void Take(Vector256<float> v, int index, ref Vector256<float> m, ref Vector256<int> k)
        {
            var wins = Vector256.GreaterThan(v, m) | ~Vector256.Equals(v, v);
            m = Vector256.ConditionalSelect(wins, v, m);
            k = Vector256.ConditionalSelect(wins.AsInt32(), Vector256.Create(index), k);
        }
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
