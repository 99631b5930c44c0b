using System;

namespace SourceGenNN.Cuda;

/// <summary>
/// LayerNorm: one block per normalised group computes its mean and 1/σ (kept for backward) and the output. Backward: one
/// block per group for dx, and a column reduction over the groups for the weight and bias gradients.
/// </summary>
internal sealed class CudaLayerNormLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string ForwardKernel = "sgnn_layer_norm_forward";
    private const string InputKernel = "sgnn_layer_norm_backward_input";
    private const string ParamsKernel = "sgnn_layer_norm_backward_params";
    private DeviceBuffer? _mean, _rstd;

    private int Size
    {
        get
        {
            int g = 1;
            foreach (int d in Layer.Ints("normalized_shape")) g *= d;
            return g;
        }
    }

    private int Groups => Layer.InputSize / Size;

    private bool Affine => Layer.Bool("elementwise_affine");

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        b.Kernel(ForwardKernel, ForwardCode);
        if (!backward) return;
        b.Kernel(InputKernel, InputCode);
        if (Affine) b.Kernel(ParamsKernel, ParamsCode);
    }

    public override void Allocate(CudaContext c, int maxBatch, bool training)
    {
        _mean = c.Allocate((long)maxBatch * Groups);
        _rstd = c.Allocate((long)maxBatch * Groups);
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        int rows = batch * Groups;
        c.Rows(ForwardKernel, rows, Size, KernelArg.Ptr(t.Input), KernelArg.Ptr(Affine ? c.Param(Offset("weight")) : IntPtr.Zero),
            KernelArg.Ptr(Affine ? c.Param(Offset("bias")) : IntPtr.Zero), KernelArg.Ptr(t.Output), KernelArg.Ptr(_mean!.Pointer),
            KernelArg.Ptr(_rstd!.Pointer), KernelArg.Int(rows), KernelArg.Int(Size), KernelArg.Float((float)Layer.Double("eps")));
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        int rows = batch * Groups;
        IntPtr w = Affine ? c.Param(Offset("weight")) : IntPtr.Zero;
        if (t.InputGradient != IntPtr.Zero)
            c.Rows(InputKernel, rows, Size, KernelArg.Ptr(t.Input), KernelArg.Ptr(w), KernelArg.Ptr(_mean!.Pointer), KernelArg.Ptr(_rstd!.Pointer),
                KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(t.InputGradient), KernelArg.Int(rows), KernelArg.Int(Size));
        if (Affine)
            c.Launch(ParamsKernel, ((uint)((Size + 31) / 32), 1), (32, 32), KernelArg.Ptr(t.Input), KernelArg.Ptr(_mean!.Pointer), KernelArg.Ptr(_rstd!.Pointer),
                KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(c.Grad(Offset("weight"))), KernelArg.Ptr(c.Grad(Offset("bias"))), KernelArg.Int(rows), KernelArg.Int(Size));
    }

    private const string ForwardCode = """
// One block per group of size elements: mean, biased variance (two passes), y = (x - mean) / sqrt(var + eps) * w + b.
extern "C" __global__ void $NAME(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd, int rows, int size, float eps)
{
    __shared__ float sh[256];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* xr = x + (long long)r * size;
    float* yr = y + (long long)r * size;
    float s = 0.0f;
    for (int i = threadIdx.x; i < size; i += blockDim.x) s += xr[i];
    float mu = sgnn_block_sum(s, sh) / size;
    float q = 0.0f;
    for (int i = threadIdx.x; i < size; i += blockDim.x)
    {
        float d = xr[i] - mu;
        q += d * d;
    }
    float inv = 1.0f / sqrtf(sgnn_block_sum(q, sh) / size + eps);
    if (threadIdx.x == 0)
    {
        mean[r] = mu;
        rstd[r] = inv;
    }
    for (int i = threadIdx.x; i < size; i += blockDim.x)
    {
        float h = (xr[i] - mu) * inv;
        yr[i] = w != 0 ? h * w[i] + b[i] : h;
    }
}

""";

    private const string InputCode = """
// One block per group: g = dy * w, x̂ = (x - mean) / σ, dx = (g - mean(g) - x̂ * mean(g * x̂)) / σ.
extern "C" __global__ void $NAME(const float* x, const float* w, const float* mean, const float* rstd, const float* dy, float* dx, int rows, int size)
{
    __shared__ float sh[256];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* xr = x + (long long)r * size;
    const float* gr = dy + (long long)r * size;
    float* dr = dx + (long long)r * size;
    float mu = mean[r], inv = rstd[r];
    float sg = 0.0f, sgx = 0.0f;
    for (int i = threadIdx.x; i < size; i += blockDim.x)
    {
        float g = w != 0 ? gr[i] * w[i] : gr[i];
        sg += g;
        sgx += g * (xr[i] - mu) * inv;
    }
    float meanG = sgnn_block_sum(sg, sh) / size;
    float meanGx = sgnn_block_sum(sgx, sh) / size;
    for (int i = threadIdx.x; i < size; i += blockDim.x)
    {
        float g = w != 0 ? gr[i] * w[i] : gr[i];
        float h = (xr[i] - mu) * inv;
        dr[i] = inv * (g - meanG - h * meanGx);
    }
}

""";

    private const string ParamsCode = """
// dw[c] = sum over groups of dy * x̂, db[c] = sum of dy, overwritten. Block (32, 32): 32 columns, groups strided by 32,
// then a fixed-order reduction: deterministic.
extern "C" __global__ void $NAME(const float* x, const float* mean, const float* rstd, const float* dy, float* dw, float* db, int rows, int size)
{
    __shared__ float tw[32][33];
    __shared__ float tb[32][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    float sw = 0.0f, sb = 0.0f;
    if (c < size)
        for (int r = threadIdx.y; r < rows; r += 32)
        {
            long long k = (long long)r * size + c;
            sw += dy[k] * (x[k] - mean[r]) * rstd[r];
            sb += dy[k];
        }
    tw[threadIdx.y][threadIdx.x] = sw;
    tb[threadIdx.y][threadIdx.x] = sb;
    __syncthreads();
    if (threadIdx.y == 0 && c < size)
    {
        float a = 0.0f, b = 0.0f;
        for (int k = 0; k < 32; k++)
        {
            a += tw[k][threadIdx.x];
            b += tb[k][threadIdx.x];
        }
        dw[c] = a;
        db[c] = b;
    }
}

""";
}
