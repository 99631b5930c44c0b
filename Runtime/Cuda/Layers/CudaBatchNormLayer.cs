using System;

namespace SourceGenNN.Cuda;

/// <summary>
/// BatchNorm1d/2d on the GPU. Training: one block per channel reduces the batch's mean and variance (updating the
/// running statistics in the device's state buffers), then an element-wise kernel normalises. Evaluation: the running
/// statistics. Backward: one block per channel reduces Σ dy and Σ dy·x̂ (giving the weight and bias gradients), then an
/// element-wise kernel writes dx.
/// </summary>
internal sealed class CudaBatchNormLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string StatsKernel = "sgnn_batch_norm_stats";
    private const string ApplyKernel = "sgnn_batch_norm_apply";
    private const string EvalKernel = "sgnn_batch_norm_eval";
    private const string ReduceKernel = "sgnn_batch_norm_backward_reduce";
    private const string InputKernel = "sgnn_batch_norm_backward_input";
    private DeviceBuffer? _mean, _rstd, _sums;

    private int Channels => Layer.InputShape[0];

    private int Inner => Layer.InputSize / Channels;

    private bool Affine => Layer.Bool("affine");

    private bool Track => Layer.Bool("track_running_stats");

    private IntPtr Buffer(CudaContext c, string suffix) =>
        c.Buffers + (nint)(Network.FindBuffer(Layer.Name + "." + suffix)
            ?? throw new NotSupportedException($"Layer '{Layer.Name}' has no state buffer '{suffix}'.")).Offset * sizeof(float);

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        b.Kernel(StatsKernel, StatsCode);
        b.Kernel(ApplyKernel, ApplyCode);
        if (Track) b.Kernel(EvalKernel, EvalCode);
        if (!backward) return;
        b.Kernel(ReduceKernel, ReduceCode);
        b.Kernel(InputKernel, InputCode);
    }

    public override void Allocate(CudaContext c, int maxBatch, bool training)
    {
        _mean = c.Allocate(Channels);
        _rstd = c.Allocate(Channels);
        if (training) _sums = c.Allocate(2L * Channels);
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        long n = (long)batch * Layer.OutputSize;
        IntPtr w = Affine ? c.Param(Offset("weight")) : IntPtr.Zero, b = Affine ? c.Param(Offset("bias")) : IntPtr.Zero;
        if (Track && !training)
        {
            c.Elementwise(EvalKernel, n, KernelArg.Ptr(t.Input), KernelArg.Ptr(w), KernelArg.Ptr(b), KernelArg.Ptr(t.Output),
                KernelArg.Ptr(Buffer(c, "running_mean")), KernelArg.Ptr(Buffer(c, "running_var")), KernelArg.Int(batch), KernelArg.Int(Channels),
                KernelArg.Int(Inner), KernelArg.Float((float)Layer.Double("eps")));
            return;
        }
        if ((long)batch * Inner < 2)
            throw new InvalidOperationException($"Layer '{Layer.Name}' ({Layer.Kind}) in training needs more than one value per channel, but the batch has {batch} sample(s) of {Inner} value(s) per channel: train with batches of 2 or more.");
        c.Launch(StatsKernel, ((uint)Channels, 1), (256, 1), KernelArg.Ptr(t.Input), KernelArg.Ptr(_mean!.Pointer), KernelArg.Ptr(_rstd!.Pointer),
            KernelArg.Ptr(Track ? Buffer(c, "running_mean") : IntPtr.Zero), KernelArg.Ptr(Track ? Buffer(c, "running_var") : IntPtr.Zero),
            KernelArg.Ptr(Track ? Buffer(c, "num_batches_tracked") : IntPtr.Zero), KernelArg.Int(batch), KernelArg.Int(Channels), KernelArg.Int(Inner),
            KernelArg.Float((float)Layer.Double("eps")), KernelArg.Float((float)Layer.Double("momentum")));
        c.Elementwise(ApplyKernel, n, KernelArg.Ptr(t.Input), KernelArg.Ptr(w), KernelArg.Ptr(b), KernelArg.Ptr(t.Output), KernelArg.Ptr(_mean.Pointer),
            KernelArg.Ptr(_rstd.Pointer), KernelArg.Int(batch), KernelArg.Int(Channels), KernelArg.Int(Inner));
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        c.Launch(ReduceKernel, ((uint)Channels, 1), (256, 1), KernelArg.Ptr(t.Input), KernelArg.Ptr(_mean!.Pointer), KernelArg.Ptr(_rstd!.Pointer),
            KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(_sums!.Pointer), KernelArg.Ptr(Affine ? c.Grad(Offset("weight")) : IntPtr.Zero),
            KernelArg.Ptr(Affine ? c.Grad(Offset("bias")) : IntPtr.Zero), KernelArg.Int(batch), KernelArg.Int(Channels), KernelArg.Int(Inner));
        if (t.InputGradient != IntPtr.Zero)
            c.Elementwise(InputKernel, (long)batch * Layer.OutputSize, KernelArg.Ptr(t.Input), KernelArg.Ptr(Affine ? c.Param(Offset("weight")) : IntPtr.Zero),
                KernelArg.Ptr(_mean.Pointer), KernelArg.Ptr(_rstd.Pointer), KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(t.InputGradient),
                KernelArg.Ptr(_sums.Pointer), KernelArg.Int(batch), KernelArg.Int(Channels), KernelArg.Int(Inner));
    }

    private const string StatsCode = """
// One block per channel c of x [batch, channels, inner]: the batch mean and biased variance (two passes), kept as mean
// and 1/sqrt(var + eps); with running statistics (not null) running = (1 - momentum) * running + momentum * batch, the
// variance unbiased, and block 0 adds one to num_batches_tracked.
extern "C" __global__ void $NAME(const float* x, float* mean, float* rstd, float* runningMean, float* runningVar, float* tracked, int batch, int channels, int inner, float eps, float momentum)
{
    __shared__ float sh[256];
    int c = blockIdx.x;
    long long count = (long long)batch * inner;
    float s = 0.0f;
    for (long long i = threadIdx.x; i < count; i += blockDim.x)
    {
        long long n = i / inner;
        s += x[(n * channels + c) * inner + (i - n * inner)];
    }
    float mu = sgnn_block_sum(s, sh) / (float)count;
    float q = 0.0f;
    for (long long i = threadIdx.x; i < count; i += blockDim.x)
    {
        long long n = i / inner;
        float d = x[(n * channels + c) * inner + (i - n * inner)] - mu;
        q += d * d;
    }
    float variance = sgnn_block_sum(q, sh) / (float)count;
    if (threadIdx.x == 0)
    {
        mean[c] = mu;
        rstd[c] = 1.0f / sqrtf(variance + eps);
        if (runningMean != 0)
        {
            runningMean[c] = (1.0f - momentum) * runningMean[c] + momentum * mu;
            runningVar[c] = (1.0f - momentum) * runningVar[c] + momentum * variance * (float)count / (float)(count - 1);
            if (c == 0) tracked[0] += 1.0f;
        }
    }
}

""";

    private const string ApplyCode = """
// y = (x - mean[c]) * rstd[c] * w[c] + b[c] (w null: no affine transform), c the channel of each element.
extern "C" __global__ void $NAME(const float* x, const float* w, const float* b, float* y, const float* mean, const float* rstd, int batch, int channels, int inner)
{
    SGNN_LOOP(i, (long long)batch * channels * inner)
    {
        int c = (int)((i / inner) % channels);
        float h = (x[i] - mean[c]) * rstd[c];
        y[i] = w != 0 ? h * w[c] + b[c] : h;
    }
}

""";

    private const string EvalCode = """
// Evaluation: y = (x - running_mean[c]) / sqrt(running_var[c] + eps) * w[c] + b[c].
extern "C" __global__ void $NAME(const float* x, const float* w, const float* b, float* y, const float* runningMean, const float* runningVar, int batch, int channels, int inner, float eps)
{
    SGNN_LOOP(i, (long long)batch * channels * inner)
    {
        int c = (int)((i / inner) % channels);
        float h = (x[i] - runningMean[c]) / sqrtf(runningVar[c] + eps);
        y[i] = w != 0 ? h * w[c] + b[c] : h;
    }
}

""";

    private const string ReduceCode = """
// One block per channel: sums[c] = sum(dy), sums[channels + c] = sum(dy * x̂) over the batch; with affine, db[c] and dw[c]
// (overwritten).
extern "C" __global__ void $NAME(const float* x, const float* mean, const float* rstd, const float* dy, float* sums, float* dw, float* db, int batch, int channels, int inner)
{
    __shared__ float sh[256];
    int c = blockIdx.x;
    long long count = (long long)batch * inner;
    float mu = mean[c], inv = rstd[c];
    float s = 0.0f, sx = 0.0f;
    for (long long i = threadIdx.x; i < count; i += blockDim.x)
    {
        long long n = i / inner;
        long long k = (n * channels + c) * inner + (i - n * inner);
        s += dy[k];
        sx += dy[k] * (x[k] - mu) * inv;
    }
    s = sgnn_block_sum(s, sh);
    sx = sgnn_block_sum(sx, sh);
    if (threadIdx.x == 0)
    {
        sums[c] = s;
        sums[channels + c] = sx;
        if (dw != 0)
        {
            dw[c] = sx;
            db[c] = s;
        }
    }
}

""";

    private const string InputCode = """
// dx = rstd * (dy * w - mean(g) - x̂ * mean(g * x̂)) per channel, with mean(g) = w * sum(dy) / n, mean(g * x̂) = w * sum(dy * x̂) / n.
extern "C" __global__ void $NAME(const float* x, const float* w, const float* mean, const float* rstd, const float* dy, float* dx, const float* sums, int batch, int channels, int inner)
{
    float count = (float)((long long)batch * inner);
    SGNN_LOOP(i, (long long)batch * channels * inner)
    {
        int c = (int)((i / inner) % channels);
        float wc = w != 0 ? w[c] : 1.0f;
        float h = (x[i] - mean[c]) * rstd[c];
        dx[i] = rstd[c] * (dy[i] * wc - wc * sums[c] / count - h * wc * sums[channels + c] / count);
    }
}

""";
}
