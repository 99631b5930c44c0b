namespace SourceGenNN.Cuda;

/// <summary>
/// AdaptiveAvgPool2d on the GPU: one thread per output cell in forward; backward gathers, each input element summing
/// dy/size over the (possibly overlapping) cells whose range contains it.
/// </summary>
internal sealed class CudaAdaptivePoolLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string ForwardKernel = "sgnn_adaptive_avg_pool_forward";
    private const string BackwardKernel = "sgnn_adaptive_avg_pool_backward";

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        b.Helper("adaptive_range", RangeCode);
        b.Kernel(ForwardKernel, ForwardCode);
        if (backward) b.Kernel(BackwardKernel, BackwardCode);
    }

    private KernelArg[] Args(System.IntPtr x, System.IntPtr y, int batch)
    {
        var i = Layer.InputShape;
        var o = Layer.OutputShape;
        return [KernelArg.Ptr(x), KernelArg.Ptr(y), KernelArg.Int(batch * i[0]), KernelArg.Int(i[1]), KernelArg.Int(i[2]), KernelArg.Int(o[1]), KernelArg.Int(o[2])];
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training) =>
        c.Elementwise(ForwardKernel, (long)batch * Layer.OutputSize, Args(t.Input, t.Output, batch));

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        if (t.InputGradient != System.IntPtr.Zero)
            c.Elementwise(BackwardKernel, (long)batch * Layer.InputSize, Args(t.OutputGradient, t.InputGradient, batch));
    }

    private const string RangeCode = """

// Adaptive pooling's cell i of n over a length of len covers [floor(i*len/n), ceil((i+1)*len/n)).
__device__ __forceinline__ int sgnn_adaptive_start(int i, int len, int n) { return (int)(((long long)i * len) / n); }
__device__ __forceinline__ int sgnn_adaptive_end(int i, int len, int n) { return (int)((((long long)i + 1) * len + n - 1) / n); }

""";

    private const string ForwardCode = """
// y[plane, i, j] = the mean of x[plane] over the rows and columns of cell (i, j).
extern "C" __global__ void $NAME(const float* x, float* y, int planes, int ih, int iw, int oh, int ow)
{
    SGNN_LOOP(e, (long long)planes * oh * ow)
    {
        int i = (int)((e / ow) % oh), j = (int)(e % ow);
        const float* xp = x + (e / ((long long)oh * ow)) * ih * iw;
        int h0 = sgnn_adaptive_start(i, ih, oh), h1 = sgnn_adaptive_end(i, ih, oh);
        int w0 = sgnn_adaptive_start(j, iw, ow), w1 = sgnn_adaptive_end(j, iw, ow);
        float s = 0.0f;
        for (int r = h0; r < h1; r++)
            for (int c = w0; c < w1; c++) s += xp[r * iw + c];
        y[e] = s / (float)((h1 - h0) * (w1 - w0));
    }
}

""";

    private const string BackwardCode = """
// dx[plane, r, c] = the sum of dy/size over the cells containing (r, c). Called with dy as x and dx as y.
extern "C" __global__ void $NAME(const float* dy, float* dx, int planes, int ih, int iw, int oh, int ow)
{
    SGNN_LOOP(e, (long long)planes * ih * iw)
    {
        int r = (int)((e / iw) % ih), c = (int)(e % iw);
        const float* g = dy + (e / ((long long)ih * iw)) * oh * ow;
        float s = 0.0f;
        for (int i = 0; i < oh; i++)
        {
            int h0 = sgnn_adaptive_start(i, ih, oh), h1 = sgnn_adaptive_end(i, ih, oh);
            if (r < h0 || r >= h1) continue;
            for (int j = 0; j < ow; j++)
            {
                int w0 = sgnn_adaptive_start(j, iw, ow), w1 = sgnn_adaptive_end(j, iw, ow);
                if (c >= w0 && c < w1) s += g[i * ow + j] / (float)((h1 - h0) * (w1 - w0));
            }
        }
        dx[e] = s;
    }
}

""";
}
