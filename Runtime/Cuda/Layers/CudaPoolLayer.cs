using System;

namespace SourceGenNN.Cuda;

/// <summary>
/// MaxPool1d/2d and AvgPool1d/2d on the GPU, one thread per output in forward. Max pooling keeps each window's argmax
/// (the first maximum, a NaN the last, as PyTorch and the CPU pick it) for backward. Backward gathers: each input
/// element sums the gradients of the windows that contain it (those whose argmax it is, for max pooling), so overlapping
/// windows need no atomics and the sums are deterministic.
/// </summary>
internal sealed class CudaPoolLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string MaxForwardKernel = "sgnn_max_pool_forward";
    private const string MaxBackwardKernel = "sgnn_max_pool_backward";
    private const string AvgForwardKernel = "sgnn_avg_pool_forward";
    private const string AvgBackwardKernel = "sgnn_avg_pool_backward";
    private DeviceBuffer? _argmax;

    private bool Max => Layer.Kind is LayerKindNames.MaxPool1d or LayerKindNames.MaxPool2d;

    private int Channels => Layer.InputShape[0];

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        b.Kernel(Max ? MaxForwardKernel : AvgForwardKernel, Max ? MaxForwardCode : AvgForwardCode);
        if (backward) b.Kernel(Max ? MaxBackwardKernel : AvgBackwardKernel, Max ? MaxBackwardCode : AvgBackwardCode);
    }

    public override void Allocate(CudaContext c, int maxBatch, bool training)
    {
        // One int per output (a float's four bytes).
        if (Max && training) _argmax = c.Allocate((long)maxBatch * Layer.OutputSize);
    }

    private KernelArg[] Args(IntPtr x, IntPtr y, IntPtr extra, int batch)
    {
        var w = CudaWindows.Of(Layer);
        int flag = Max ? 0 : Layer.Bool("count_include_pad") ? 1 : 0;
        return
        [
            KernelArg.Ptr(x), KernelArg.Ptr(y), KernelArg.Ptr(extra), KernelArg.Int(batch * Channels),
            KernelArg.Int(w.InHeight), KernelArg.Int(w.InWidth), KernelArg.Int(w.OutHeight), KernelArg.Int(w.OutWidth),
            KernelArg.Int(w.KernelHeight), KernelArg.Int(w.KernelWidth), KernelArg.Int(w.StrideHeight), KernelArg.Int(w.StrideWidth),
            KernelArg.Int(w.PadTop), KernelArg.Int(w.PadLeft), KernelArg.Int(w.DilationHeight), KernelArg.Int(w.DilationWidth), KernelArg.Int(flag),
        ];
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        long n = (long)batch * Layer.OutputSize;
        // In evaluation mode no argmax is kept (null).
        c.Elementwise(Max ? MaxForwardKernel : AvgForwardKernel, n, Args(t.Input, t.Output, training ? _argmax?.Pointer ?? IntPtr.Zero : IntPtr.Zero, batch));
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        if (t.InputGradient == IntPtr.Zero) return;
        // The arguments are those of forward, with dy as "x" and dx as "y".
        c.Elementwise(Max ? MaxBackwardKernel : AvgBackwardKernel, (long)batch * Layer.InputSize,
            Args(t.OutputGradient, t.InputGradient, Max ? _argmax!.Pointer : IntPtr.Zero, batch));
    }

    private const string MaxForwardCode = """
// Max pooling over planes [planes, ih, iw]: y = the window's maximum, argmax (when not null) its index in the plane: the
// first maximum, a NaN the last (PyTorch's test: val > max || isnan(val)). Padding never wins. flag is unused.
extern "C" __global__ void $NAME(const float* x, float* y, int* argmax, int planes, int ih, int iw, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int flag)
{
    SGNN_LOOP(e, (long long)planes * oh * ow)
    {
        int o = (int)(e % ((long long)oh * ow));
        long long plane = e / ((long long)oh * ow);
        const float* xp = x + plane * ih * iw;
        int y0 = (o / ow) * sh - ph, x0 = (o % ow) * sw - pw, best = -1;
        float m = 0.0f;
        for (int i = 0; i < kh; i++)
        {
            int r = y0 + i * dh;
            if (r < 0 || r >= ih) continue;
            for (int j = 0; j < kw; j++)
            {
                int col = x0 + j * dw;
                if (col < 0 || col >= iw) continue;
                float v = xp[r * iw + col];
                if (best < 0 || v > m || v != v) { m = v; best = r * iw + col; }
            }
        }
        y[e] = m;
        if (argmax != 0) argmax[e] = best;
    }
}

""";

    private const string MaxBackwardCode = """
// Max pooling's gradient, gathered: dx[plane, r, col] = the sum of dy over the windows containing (r, col) whose argmax
// it is. Called with dy as x and dx as y; flag is unused.
extern "C" __global__ void $NAME(const float* dy, float* dx, const int* argmax, int planes, int ih, int iw, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int flag)
{
    SGNN_LOOP(e, (long long)planes * ih * iw)
    {
        int k = (int)(e % ((long long)ih * iw));
        long long plane = e / ((long long)ih * iw), base = plane * oh * ow;
        int r = k / iw, col = k % iw;
        float s = 0.0f;
        for (int i = 0; i < kh; i++)
        {
            int ty = r + ph - i * dh;
            if (ty < 0 || ty % sh != 0 || ty / sh >= oh) continue;
            for (int j = 0; j < kw; j++)
            {
                int tx = col + pw - j * dw;
                if (tx < 0 || tx % sw != 0 || tx / sw >= ow) continue;
                long long o = base + (long long)(ty / sh) * ow + tx / sw;
                if (argmax[o] == k) s += dy[o];
            }
        }
        dx[e] = s;
    }
}

""";

    private const string AvgForwardCode = """
// Average pooling (PyTorch's avg_pool2d): the window clipped to the padded input has `size` elements; the divisor is that
// size when flag (count_include_pad) is set, else the count of input elements in it. argmax and the dilations are unused.
extern "C" __global__ void $NAME(const float* x, float* y, int* argmax, int planes, int ih, int iw, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int flag)
{
    SGNN_LOOP(e, (long long)planes * oh * ow)
    {
        int o = (int)(e % ((long long)oh * ow));
        const float* xp = x + (e / ((long long)oh * ow)) * ih * iw;
        int h0 = (o / ow) * sh - ph, w0 = (o % ow) * sw - pw;
        int h1 = min(h0 + kh, ih + ph), w1 = min(w0 + kw, iw + pw);
        int size = (h1 - h0) * (w1 - w0);
        h0 = max(h0, 0); w0 = max(w0, 0); h1 = min(h1, ih); w1 = min(w1, iw);
        float s = 0.0f;
        for (int r = h0; r < h1; r++)
            for (int col = w0; col < w1; col++) s += xp[r * iw + col];
        int divisor = flag ? size : (h1 - h0) * (w1 - w0);
        y[e] = (h0 >= h1 || w0 >= w1) ? 0.0f : s / (float)divisor;
    }
}

""";

    private const string AvgBackwardCode = """
// Average pooling's gradient, gathered: dx[plane, r, col] = the sum over the windows containing (r, col) of dy/divisor,
// the divisor as in forward. Called with dy as x and dx as y.
extern "C" __global__ void $NAME(const float* dy, float* dx, int* argmax, int planes, int ih, int iw, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int flag)
{
    SGNN_LOOP(e, (long long)planes * ih * iw)
    {
        int k = (int)(e % ((long long)ih * iw));
        long long base = (e / ((long long)ih * iw)) * oh * ow;
        int r = k / iw, col = k % iw;
        float s = 0.0f;
        for (int i = 0; i < kh; i++)
        {
            int ty = r + ph - i;
            if (ty < 0 || ty % sh != 0 || ty / sh >= oh) continue;
            for (int j = 0; j < kw; j++)
            {
                int tx = col + pw - j;
                if (tx < 0 || tx % sw != 0 || tx / sw >= ow) continue;
                int h0 = ty - ph, w0 = tx - pw;
                int h1 = min(h0 + kh, ih + ph), w1 = min(w0 + kw, iw + pw);
                int size = (h1 - h0) * (w1 - w0);
                h0 = max(h0, 0); w0 = max(w0, 0); h1 = min(h1, ih); w1 = min(w1, iw);
                int divisor = flag ? size : (h1 - h0) * (w1 - w0);
                s += dy[base + (long long)(ty / sh) * ow + tx / sw] / (float)divisor;
            }
        }
        dx[e] = s;
    }
}

""";
}
