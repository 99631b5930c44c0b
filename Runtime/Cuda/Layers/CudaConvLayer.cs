using System;
using System.Collections.Generic;
using SourceGenNN.Kernels;

namespace SourceGenNN.Cuda;

/// <summary>
/// Conv1d/2d and ConvTranspose1d/2d on the GPU: im2col for the whole batch at once, then one cuBLAS product per group.
/// The im2col matrix of one group is [channels·taps, batch·positions], so the product gives each output channel as a
/// row over the batch ([out, batch·positions]); a kernel permutes that to [batch, out, positions] and adds the bias.
/// col2im gathers (each image element sums the column entries read from it), so no atomics: the results are
/// deterministic. Backward of a convolution: dW = dYᵀ-rows·colsᵀ, db by channel sums, dx = col2im(Wᵀ·dY). A transposed
/// convolution runs the same pieces the other way round (its forward is a convolution's input gradient).
/// </summary>
internal sealed class CudaConvLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string Im2ColKernel = "sgnn_im2col";
    private const string Col2ImKernel = "sgnn_col2im";
    private const string ToRowsKernel = "sgnn_channels_to_rows";
    private const string FromRowsKernel = "sgnn_rows_to_channels";
    private DeviceBuffer? _columns, _rows;

    private bool Transposed => Layer.Kind is LayerKindNames.ConvTranspose1d or LayerKindNames.ConvTranspose2d;

    private int InChannels => Layer.Int("in_channels");

    private int OutChannels => Layer.Int("out_channels");

    private int Groups => Layer.Int("groups");

    /// <summary>The window over the convolution's input (for a transposed convolution: over its output).</summary>
    private SlidingWindow Window => CudaWindows.Of(Layer, Transposed);

    /// <summary>The channels on the window's input side (those im2col reads) and on its output side.</summary>
    private (int Image, int Positions) Sides => Transposed ? (OutChannels, InChannels) : (InChannels, OutChannels);

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        // A convolution's forward pass is im2col, products, rows to channels; its backward pass the reverse. A transposed
        // convolution's forward pass is the convolution's backward pass, and the other way round.
        bool im2col = !Transposed || backward, col2im = Transposed || backward;
        if (im2col) b.Kernel(Im2ColKernel, Im2ColCode);
        if (col2im) b.Kernel(Col2ImKernel, Col2ImCode);
        if (Transposed || backward) b.Kernel(ToRowsKernel, ToRowsCode);
        if (!Transposed || backward) b.Kernel(FromRowsKernel, FromRowsCode);
        if (backward && HasParameter("bias")) b.Kernel(CudaKernelSource.ChannelSum, CudaKernelSource.ChannelSumCode);
    }

    public override void Allocate(CudaContext c, int maxBatch, bool training)
    {
        var w = Window;
        // Every group's im2col matrix side by side: [image channels·taps, batch·positions].
        _columns = c.Allocate((long)Sides.Image * w.KernelElements * maxBatch * w.OutPlane);
        // The channel-rows form [channels, batch·positions] of the output (convolution) or the input (transposed).
        _rows = c.Allocate((long)Sides.Positions * maxBatch * w.OutPlane);
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        var w = Window;
        int groups = Groups, taps = Sides.Image / groups * w.KernelElements, rows = Sides.Positions / groups;
        long np = (long)batch * w.OutPlane;
        IntPtr weight = c.Param(Offset("weight"));
        IntPtr bias = HasParameter("bias") ? c.Param(Offset("bias")) : IntPtr.Zero;
        if (!Transposed)
        {
            Im2Col(c, w, t.Input, batch, InChannels);
            // Y_g[o, n·P + p] = Σ_k W_g[o, k]·cols_g[k, n·P + p]
            for (int g = 0; g < groups; g++)
                c.Gemm(false, false, rows, (int)np, taps, 1f, weight + (nint)g * rows * taps * sizeof(float), Column(g, taps, np), 0f, Row(g, rows, np));
            c.Elementwise(FromRowsKernel, (long)batch * OutChannels * w.OutPlane, KernelArg.Ptr(_rows!.Pointer), KernelArg.Ptr(bias),
                KernelArg.Ptr(t.Output), KernelArg.Int(batch), KernelArg.Int(OutChannels), KernelArg.Int(w.OutPlane));
            return;
        }
        // x as rows [in, batch·P]; cols_g = W_gᵀ·x_g (W_g is [in/groups, taps]); y = col2im(cols) + b.
        c.Elementwise(ToRowsKernel, (long)batch * InChannels * w.OutPlane, KernelArg.Ptr(t.Input), KernelArg.Ptr(_rows!.Pointer),
            KernelArg.Int(batch), KernelArg.Int(InChannels), KernelArg.Int(w.OutPlane));
        for (int g = 0; g < groups; g++)
            c.Gemm(true, false, taps, (int)np, rows, 1f, weight + (nint)g * rows * taps * sizeof(float), Row(g, rows, np), 0f, Column(g, taps, np));
        Col2Im(c, w, t.Output, bias, batch, OutChannels);
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        var w = Window;
        int groups = Groups, taps = Sides.Image / groups * w.KernelElements, rows = Sides.Positions / groups;
        long np = (long)batch * w.OutPlane;
        IntPtr weight = c.Param(Offset("weight")), dWeight = c.Grad(Offset("weight"));
        if (HasParameter("bias")) c.ChannelSums(t.OutputGradient, c.Grad(Offset("bias")), batch, OutChannels, Layer.OutputSize / OutChannels);
        if (!Transposed)
        {
            // The forward pass left this batch's im2col matrix in the columns buffer.
            c.Elementwise(ToRowsKernel, (long)batch * OutChannels * w.OutPlane, KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(_rows!.Pointer),
                KernelArg.Int(batch), KernelArg.Int(OutChannels), KernelArg.Int(w.OutPlane));
            for (int g = 0; g < groups; g++) // dW_g = dY_g·cols_gᵀ
                c.Gemm(false, true, rows, taps, (int)np, 1f, Row(g, rows, np), Column(g, taps, np), 0f, dWeight + (nint)g * rows * taps * sizeof(float));
            if (t.InputGradient == IntPtr.Zero) return;
            for (int g = 0; g < groups; g++) // dcols_g = W_gᵀ·dY_g, over the columns (no longer needed)
                c.Gemm(true, false, taps, (int)np, rows, 1f, weight + (nint)g * rows * taps * sizeof(float), Row(g, rows, np), 0f, Column(g, taps, np));
            Col2Im(c, w, t.InputGradient, IntPtr.Zero, batch, InChannels);
            return;
        }
        // cols = im2col(dy); the forward pass left x as rows. dW_g = x_g·cols_gᵀ; dx_g = W_g·cols_g.
        Im2Col(c, w, t.OutputGradient, batch, OutChannels);
        for (int g = 0; g < groups; g++)
            c.Gemm(false, true, rows, taps, (int)np, 1f, Row(g, rows, np), Column(g, taps, np), 0f, dWeight + (nint)g * rows * taps * sizeof(float));
        if (t.InputGradient == IntPtr.Zero) return;
        for (int g = 0; g < groups; g++)
            c.Gemm(false, false, rows, (int)np, taps, 1f, weight + (nint)g * rows * taps * sizeof(float), Column(g, taps, np), 0f, Row(g, rows, np));
        c.Elementwise(FromRowsKernel, (long)batch * InChannels * w.OutPlane, KernelArg.Ptr(_rows!.Pointer), KernelArg.Ptr(IntPtr.Zero),
            KernelArg.Ptr(t.InputGradient), KernelArg.Int(batch), KernelArg.Int(InChannels), KernelArg.Int(w.OutPlane));
    }

    private IntPtr Column(int group, int taps, long np) => _columns!.Pointer + (nint)((long)group * taps * np * sizeof(float));

    private IntPtr Row(int group, int rows, long np) => _rows!.Pointer + (nint)((long)group * rows * np * sizeof(float));

    private void Im2Col(CudaContext c, in SlidingWindow w, IntPtr image, int batch, int channels) =>
        c.Elementwise(Im2ColKernel, (long)channels * w.KernelElements * batch * w.OutPlane, Geometry(w, image, _columns!.Pointer, IntPtr.Zero, batch, channels));

    private void Col2Im(CudaContext c, in SlidingWindow w, IntPtr image, IntPtr bias, int batch, int channels) =>
        c.Elementwise(Col2ImKernel, (long)batch * channels * w.InPlane, Geometry(w, image, _columns!.Pointer, bias, batch, channels));

    private static KernelArg[] Geometry(in SlidingWindow w, IntPtr image, IntPtr columns, IntPtr bias, int batch, int channels) =>
    [
        KernelArg.Ptr(image), KernelArg.Ptr(columns), KernelArg.Ptr(bias), KernelArg.Int(batch), KernelArg.Int(channels),
        KernelArg.Int(w.InHeight), KernelArg.Int(w.InWidth), KernelArg.Int(w.OutHeight), KernelArg.Int(w.OutWidth),
        KernelArg.Int(w.KernelHeight), KernelArg.Int(w.KernelWidth), KernelArg.Int(w.StrideHeight), KernelArg.Int(w.StrideWidth),
        KernelArg.Int(w.PadTop), KernelArg.Int(w.PadLeft), KernelArg.Int(w.DilationHeight), KernelArg.Int(w.DilationWidth),
    ];

    internal const string Im2ColCode = """
// im2col over a batch: cols[(c*kh + i)*kw + j, n*P + p] = image[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (zero
// outside), P = oh*ow positions. One thread per column entry; bias is unused.
extern "C" __global__ void $NAME(const float* image, float* cols, const float* bias, int batch, int channels, int ih, int iw, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
{
    long long P = (long long)oh * ow, NP = batch * P;
    SGNN_LOOP(e, (long long)channels * kh * kw * NP)
    {
        long long row = e / NP, col = e - row * NP;
        int n = (int)(col / P), p = (int)(col - (long long)n * P);
        int c = (int)(row / (kh * kw)), tap = (int)(row - (long long)c * kh * kw);
        int y = (p / ow) * sh - ph + (tap / kw) * dh, x = (p % ow) * sw - pw + (tap % kw) * dw;
        cols[e] = (y >= 0 && y < ih && x >= 0 && x < iw) ? image[(((long long)n * channels + c) * ih + y) * iw + x] : 0.0f;
    }
}

""";

    internal const string Col2ImCode = """
// col2im over a batch, gathered: image[n, c, y, x] = bias[c] (0 when null) + the sum of the column entries im2col read
// from (y, x): taps (i, j) with y = o_y*sh - ph + i*dh and x = o_x*sw - pw + j*dw for a whole position (o_y, o_x).
// One thread per image element, a fixed order: deterministic.
extern "C" __global__ void $NAME(float* image, const float* cols, const float* bias, int batch, int channels, int ih, int iw, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
{
    long long P = (long long)oh * ow, NP = batch * P;
    SGNN_LOOP(e, (long long)batch * channels * ih * iw)
    {
        int x = (int)(e % iw), y = (int)((e / iw) % ih), c = (int)((e / ((long long)iw * ih)) % channels), n = (int)(e / ((long long)iw * ih * channels));
        float s = bias != 0 ? bias[c] : 0.0f;
        for (int i = 0; i < kh; i++)
        {
            int ty = y + ph - i * dh;
            if (ty < 0 || ty % sh != 0 || ty / sh >= oh) continue;
            for (int j = 0; j < kw; j++)
            {
                int tx = x + pw - j * dw;
                if (tx < 0 || tx % sw != 0 || tx / sw >= ow) continue;
                s += cols[((long long)(c * kh + i) * kw + j) * NP + (long long)n * P + (long long)(ty / sh) * ow + tx / sw];
            }
        }
        image[e] = s;
    }
}

""";

    private const string ToRowsCode = """
// [batch, channels, P] to channel rows [channels, batch*P].
extern "C" __global__ void $NAME(const float* x, float* rows, int batch, int channels, int P)
{
    SGNN_LOOP(e, (long long)batch * channels * P)
    {
        long long p = e % P, c = (e / P) % channels, n = e / ((long long)P * channels);
        rows[(c * batch + n) * P + p] = x[e];
    }
}

""";

    private const string FromRowsCode = """
// Channel rows [channels, batch*P] to [batch, channels, P], plus bias[c] (none when null).
extern "C" __global__ void $NAME(const float* rows, const float* bias, float* y, int batch, int channels, int P)
{
    SGNN_LOOP(e, (long long)batch * channels * P)
    {
        long long p = e % P, c = (e / P) % channels, n = e / ((long long)P * channels);
        y[e] = rows[(c * batch + n) * P + p] + (bias != 0 ? bias[c] : 0.0f);
    }
}

""";
}

/// <summary>The sliding window of a layer description (1-D kinds as images of height 1), for the GPU classes.</summary>
internal static class CudaWindows
{
    /// <summary>
    /// The window of a convolution or pooling layer: over its input, or, with <paramref name="overOutput"/> (a
    /// transposed convolution), over its output.
    /// </summary>
    public static SlidingWindow Of(LayerDescription l, bool overOutput = false)
    {
        var (inH, inW) = Plane(overOutput ? l.OutputShape : l.InputShape);
        var (outH, outW) = Plane(overOutput ? l.InputShape : l.OutputShape);
        return new SlidingWindow((inH, inW), (outH, outW), Pair(l, "kernel_size", 1), Pair(l, "stride", 1), Pair(l, "padding", 0), Pair(l, "dilation", 1));
    }

    /// <summary>(height, width) of a [C, L] or [C, H, W] shape.</summary>
    public static (int Height, int Width) Plane(IReadOnlyList<int> shape) => shape.Count == 2 ? (1, shape[1]) : (shape[1], shape[2]);

    private static (int, int) Pair(LayerDescription l, string option, int neutral)
    {
        if (!l.HasOption(option)) return (neutral, neutral);
        var v = l.Ints(option);
        return v.Count == 1 ? (neutral, v[0]) : (v[0], v[1]);
    }
}
