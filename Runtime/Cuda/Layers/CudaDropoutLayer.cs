using System;

namespace SourceGenNN.Cuda;

/// <summary>Inverted dropout: the CPU's counter-based masks in training (kept for backward), a copy in evaluation.</summary>
internal sealed class CudaDropoutLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    internal const string ForwardKernel = "sgnn_dropout_forward";
    private DeviceBuffer? _mask;

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        if (!b.Training) return; // evaluation mode is a copy
        b.Random();
        b.Kernel(ForwardKernel, Code);
        if (backward) b.Kernel(CudaKernelSource.Multiply, CudaKernelSource.MultiplyCode);
    }

    public override void Allocate(CudaContext c, int maxBatch, bool training)
    {
        if (training) _mask = c.Allocate((long)maxBatch * Layer.OutputSize);
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        int n = batch * Layer.OutputSize;
        if (training) // p = 0 gives a mask of ones: the uniform is never below 0
            c.Elementwise(ForwardKernel, n, KernelArg.Ptr(t.Input), KernelArg.Ptr(t.Output), KernelArg.Ptr(_mask!.Pointer), KernelArg.Int(n),
                KernelArg.Float((float)Layer.Double("p")), KernelArg.U64(c.Seed), KernelArg.Int(Layer.Index), KernelArg.Ptr(c.Counters));
        else
            c.Copy(t.Input, t.Output, n);
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        if (t.InputGradient == IntPtr.Zero) return;
        int n = batch * Layer.OutputSize;
        c.Elementwise(CudaKernelSource.Multiply, n, KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(_mask!.Pointer), KernelArg.Ptr(t.InputGradient), KernelArg.Int(n));
    }

    /// <summary>The inverted-dropout kernel, shared with the dropout between stacked recurrent layers.</summary>
    internal const string Code = """
// Inverted dropout in training mode; mask = 0 or 1/(1-p), kept for backward. counters[1] counts the training forwards before this one.
extern "C" __global__ void $NAME(const float* x, float* y, float* mask, int n, float p, sgnn_u64 seed, int layer, const sgnn_u64* counters)
{
    sgnn_u64 key = sgnn_key(seed, layer, counters[1]);
    float scale = 1.0f / (1.0f - p);
    SGNN_LOOP(i, n)
    {
        float m = sgnn_uniform(key, (sgnn_u64)i) < p ? 0.0f : scale;
        mask[i] = m;
        y[i] = x[i] * m;
    }
}

""";
}
