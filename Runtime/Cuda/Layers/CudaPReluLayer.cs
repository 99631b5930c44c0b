using System;

namespace SourceGenNN.Cuda;

/// <summary>
/// PReLU with one slope or one per channel (the first dimension of a sample, of <c>inner</c> elements each). Backward
/// writes each element's contribution da·z to a scratch buffer, then sums it per slope.
/// </summary>
internal sealed class CudaPReluLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string ForwardKernel = "sgnn_prelu_forward";
    private const string BackwardKernel = "sgnn_prelu_backward";
    private DeviceBuffer? _contributions;

    private bool Shared => !Layer.Bool("per_feature");

    private int Channels => Layer.InputShape[0];

    private int Inner => Layer.InputSize / Channels;

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        b.Kernel(ForwardKernel, ForwardCode);
        if (!backward) return;
        b.Kernel(BackwardKernel, BackwardCode);
        if (!Shared && Inner == 1) b.Kernel(CudaKernelSource.ColumnSum, CudaKernelSource.ColumnSumCode);
        if (!Shared && Inner > 1) b.Kernel(CudaKernelSource.ChannelSum, CudaKernelSource.ChannelSumCode);
    }

    public override void Allocate(CudaContext c, int maxBatch, bool training)
    {
        if (training) _contributions = c.Allocate((long)maxBatch * Layer.OutputSize);
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training) =>
        c.Elementwise(ForwardKernel, (long)batch * Layer.OutputSize, KernelArg.Ptr(t.Input), KernelArg.Ptr(c.Param(Offset("weight"))), KernelArg.Ptr(t.Output),
            KernelArg.Int(batch), KernelArg.Int(Channels), KernelArg.Int(Inner), KernelArg.Int(Shared ? 1 : 0));

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        int n = batch * Layer.OutputSize;
        IntPtr contributions = _contributions!.Pointer, dAlpha = c.Grad(Offset("weight"));
        c.Elementwise(BackwardKernel, n, KernelArg.Ptr(t.Input), KernelArg.Ptr(c.Param(Offset("weight"))), KernelArg.Ptr(t.OutputGradient),
            KernelArg.Ptr(t.InputGradient), KernelArg.Ptr(contributions), KernelArg.Int(batch), KernelArg.Int(Channels), KernelArg.Int(Inner), KernelArg.Int(Shared ? 1 : 0));
        if (Shared) c.Sum(contributions, dAlpha, n, 1f);
        else if (Inner == 1) c.ColumnSums(contributions, dAlpha, batch, Channels);
        else c.ChannelSums(contributions, dAlpha, batch, Channels, Inner);
    }

    private const string ForwardCode = """
// PReLU: a = z for z > 0, else alpha * z; alpha has one element (shared) or one per channel ([batch, channels, inner]).
extern "C" __global__ void $NAME(const float* z, const float* alpha, float* a, int batch, int channels, int inner, int shared)
{
    SGNN_LOOP(i, (long long)batch * channels * inner)
    {
        float v = z[i];
        float s = alpha[shared ? 0 : (int)((i / inner) % channels)];
        a[i] = v > 0.0f ? v : s * v;
    }
}

""";

    private const string BackwardCode = """
// PReLU backward: dz = da or alpha * da (skipped when dz is null); contrib = da * z where z <= 0 (summed into d(alpha) afterwards).
extern "C" __global__ void $NAME(const float* z, const float* alpha, const float* da, float* dz, float* contrib, int batch, int channels, int inner, int shared)
{
    SGNN_LOOP(i, (long long)batch * channels * inner)
    {
        float v = z[i];
        float g = da[i];
        if (v > 0.0f)
        {
            if (dz != 0) dz[i] = g;
            contrib[i] = 0.0f;
        }
        else
        {
            if (dz != 0) dz[i] = alpha[shared ? 0 : (int)((i / inner) % channels)] * g;
            contrib[i] = g * v;
        }
    }
}

""";
}
