using System;

namespace SourceGenNN.Cuda;

/// <summary>
/// Dropout2d on the GPU: the CPU's counter-based draws, one per (sample, channel), kept as a mask for backward; a copy
/// in evaluation.
/// </summary>
internal sealed class CudaDropout2dLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string ForwardKernel = "sgnn_dropout2d_forward";
    private const string BackwardKernel = "sgnn_dropout2d_backward";
    private DeviceBuffer? _mask;

    private int Channels => Layer.InputShape[0];

    private int Plane => Layer.InputSize / Channels;

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        if (!backward) return; // evaluation mode is a copy
        b.Random();
        b.Kernel(ForwardKernel, ForwardCode);
        b.Kernel(BackwardKernel, BackwardCode);
    }

    public override void Allocate(CudaContext c, int maxBatch, bool training)
    {
        if (training) _mask = c.Allocate((long)maxBatch * Channels);
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        long n = (long)batch * Layer.OutputSize;
        if (training)
            c.Elementwise(ForwardKernel, n, KernelArg.Ptr(t.Input), KernelArg.Ptr(t.Output), KernelArg.Ptr(_mask!.Pointer), KernelArg.U64((ulong)n),
                KernelArg.Int(Plane), KernelArg.Float((float)Layer.Double("p")), KernelArg.U64(c.Seed), KernelArg.Int(Layer.Index), KernelArg.Ptr(c.Counters));
        else
            c.Copy(t.Input, t.Output, n);
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        if (t.InputGradient == IntPtr.Zero) return;
        long n = (long)batch * Layer.OutputSize;
        c.Elementwise(BackwardKernel, n, KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(_mask!.Pointer), KernelArg.Ptr(t.InputGradient),
            KernelArg.U64((ulong)n), KernelArg.Int(Plane));
    }

    private const string ForwardCode = """
// Channel dropout in training mode: draw d = i / plane decides (sample, channel) d; mask[d] = 0 or 1/(1-p), written by
// the channel's first element, kept for backward. counters[1] counts the training forwards before this one.
extern "C" __global__ void $NAME(const float* x, float* y, float* mask, sgnn_u64 n, int plane, float p, sgnn_u64 seed, int layer, const sgnn_u64* counters)
{
    sgnn_u64 key = sgnn_key(seed, layer, counters[1]);
    float scale = 1.0f / (1.0f - p);
    SGNN_LOOP(i, n)
    {
        sgnn_u64 d = (sgnn_u64)i / (sgnn_u64)plane;
        float m = sgnn_uniform(key, d) < p ? 0.0f : scale;
        if ((sgnn_u64)i % (sgnn_u64)plane == 0) mask[d] = m;
        y[i] = x[i] * m;
    }
}

""";

    private const string BackwardCode = """
// dx = dy * mask[(sample, channel)].
extern "C" __global__ void $NAME(const float* dy, const float* mask, float* dx, sgnn_u64 n, int plane)
{
    SGNN_LOOP(i, n) dx[i] = dy[i] * mask[(sgnn_u64)i / (sgnn_u64)plane];
}

""";
}
