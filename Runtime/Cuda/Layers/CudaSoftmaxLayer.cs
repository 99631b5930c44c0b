using System;

namespace SourceGenNN.Cuda;

/// <summary>
/// Softmax along one dimension. Over the last: one block per row with block reductions. Over another: one thread per
/// (outer, inner) position looping along the dimension.
/// </summary>
internal sealed class CudaSoftmaxLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string RowForward = "sgnn_softmax_forward";
    private const string RowBackward = "sgnn_softmax_backward";
    private const string StridedForward = "sgnn_softmax_strided_forward";
    private const string StridedBackward = "sgnn_softmax_strided_backward";

    private (int Outer, int Length, int Inner) Split => SplitAtDim();

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        bool rows = Split.Inner == 1;
        b.Kernel(rows ? RowForward : StridedForward, rows ? RowForwardCode : StridedForwardCode);
        if (backward) b.Kernel(rows ? RowBackward : StridedBackward, rows ? RowBackwardCode : StridedBackwardCode);
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        var (outer, length, inner) = Split;
        if (inner == 1)
            c.Rows(RowForward, batch * outer, length, KernelArg.Ptr(t.Input), KernelArg.Ptr(t.Output), KernelArg.Int(batch * outer), KernelArg.Int(length));
        else
            c.Elementwise(StridedForward, (long)batch * outer * inner, KernelArg.Ptr(t.Input), KernelArg.Ptr(t.Output),
                KernelArg.Int(batch * outer), KernelArg.Int(length), KernelArg.Int(inner));
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        if (t.InputGradient == IntPtr.Zero) return;
        var (outer, length, inner) = Split;
        if (inner == 1)
            c.Rows(RowBackward, batch * outer, length, KernelArg.Ptr(t.Output), KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(t.InputGradient),
                KernelArg.Int(batch * outer), KernelArg.Int(length));
        else
            c.Elementwise(StridedBackward, (long)batch * outer * inner, KernelArg.Ptr(t.Output), KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(t.InputGradient),
                KernelArg.Int(batch * outer), KernelArg.Int(length), KernelArg.Int(inner));
    }

    private const string RowForwardCode = """
// One block per row: a[r, :] = softmax(z[r, :]), the row max subtracted first.
extern "C" __global__ void $NAME(const float* z, float* a, int rows, int cols)
{
    __shared__ float sh[256];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* zr = z + (long long)r * cols;
    float* ar = a + (long long)r * cols;
    float m = -3.402823466e38f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) m = fmaxf(m, zr[i]);
    m = sgnn_block_max(m, sh);
    float s = 0.0f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x)
    {
        float e = expf(zr[i] - m);
        ar[i] = e;
        s += e;
    }
    s = sgnn_block_sum(s, sh);
    float inv = 1.0f / s;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) ar[i] *= inv;
}

""";

    private const string RowBackwardCode = """
// One block per row: dz = a * (da - sum(da * a)) (dz may alias da).
extern "C" __global__ void $NAME(const float* a, const float* da, float* dz, int rows, int cols)
{
    __shared__ float sh[256];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* ar = a + (long long)r * cols;
    const float* gr = da + (long long)r * cols;
    float* dr = dz + (long long)r * cols;
    float dot = 0.0f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) dot += gr[i] * ar[i];
    dot = sgnn_block_sum(dot, sh);
    for (int i = threadIdx.x; i < cols; i += blockDim.x) dr[i] = ar[i] * (gr[i] - dot);
}

""";

    private const string StridedForwardCode = """
// Softmax along the middle axis of [outer, length, inner]: one thread per (outer, inner) position.
extern "C" __global__ void $NAME(const float* z, float* a, int outer, int length, int inner)
{
    SGNN_LOOP(p, (long long)outer * inner)
    {
        long long o = p / inner;
        long long j = p - o * inner;
        long long at = o * length * inner + j;
        float m = -3.402823466e38f;
        for (int i = 0; i < length; i++) m = fmaxf(m, z[at + (long long)i * inner]);
        float s = 0.0f;
        for (int i = 0; i < length; i++)
        {
            float e = expf(z[at + (long long)i * inner] - m);
            a[at + (long long)i * inner] = e;
            s += e;
        }
        float inv = 1.0f / s;
        for (int i = 0; i < length; i++) a[at + (long long)i * inner] *= inv;
    }
}

""";

    private const string StridedBackwardCode = """
// dz = a * (da - sum(da * a)) along the middle axis of [outer, length, inner]: one thread per (outer, inner) position.
extern "C" __global__ void $NAME(const float* a, const float* da, float* dz, int outer, int length, int inner)
{
    SGNN_LOOP(p, (long long)outer * inner)
    {
        long long o = p / inner;
        long long j = p - o * inner;
        long long at = o * length * inner + j;
        float dot = 0.0f;
        for (int i = 0; i < length; i++) dot += da[at + (long long)i * inner] * a[at + (long long)i * inner];
        for (int i = 0; i < length; i++) dz[at + (long long)i * inner] = a[at + (long long)i * inner] * (da[at + (long long)i * inner] - dot);
    }
}

""";
}
