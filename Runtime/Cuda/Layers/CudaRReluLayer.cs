using System;

namespace SourceGenNN.Cuda;

/// <summary>RReLU: the CPU's counter-based slopes in training (kept for backward), the mean slope in evaluation.</summary>
internal sealed class CudaRReluLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string TrainingKernel = "sgnn_rrelu_forward_train";
    private DeviceBuffer? _slopes;

    private float Lower => (float)Layer.Double("lower");

    private float Upper => (float)Layer.Double("upper");

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        CudaActivations.AddForward(b, CudaActivation.LeakyReLU); // evaluation mode: the mean slope
        if (!b.Training) return;
        b.Random();
        b.Kernel(TrainingKernel, Code);
        if (backward) b.Kernel(CudaKernelSource.Multiply, CudaKernelSource.MultiplyCode);
    }

    public override void Allocate(CudaContext c, int maxBatch, bool training)
    {
        if (training) _slopes = c.Allocate((long)maxBatch * Layer.OutputSize);
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        int size = Layer.OutputSize, n = batch * size;
        if (training)
            c.Elementwise(TrainingKernel, n, KernelArg.Ptr(t.Input), KernelArg.Ptr(t.Output), KernelArg.Ptr(_slopes!.Pointer), KernelArg.Int(n),
                KernelArg.Float(Lower), KernelArg.Float(Upper), KernelArg.U64(c.Seed), KernelArg.Int(Layer.Index), KernelArg.Ptr(c.Counters));
        else
            c.Elementwise(CudaActivations.ForwardKernel(CudaActivation.LeakyReLU), n, KernelArg.Ptr(t.Input), KernelArg.Ptr(IntPtr.Zero),
                KernelArg.Ptr(t.Output), KernelArg.Int(batch), KernelArg.Int(size), KernelArg.Float((Lower + Upper) / 2f));
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        if (t.InputGradient == IntPtr.Zero) return;
        int n = batch * Layer.OutputSize;
        c.Elementwise(CudaKernelSource.Multiply, n, KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(_slopes!.Pointer), KernelArg.Ptr(t.InputGradient), KernelArg.Int(n));
    }

    private const string Code = """
// RReLU in training mode: each negative element gets a slope from U(lower, upper), kept for backward; NaN passes with
// slope 1, as in PyTorch and on the CPU.
extern "C" __global__ void $NAME(const float* z, float* a, float* slopes, int n, float lower, float upper, sgnn_u64 seed, int layer, const sgnn_u64* counters)
{
    sgnn_u64 key = sgnn_key(seed, layer, counters[1]);
    SGNN_LOOP(i, n)
    {
        float v = z[i];
        if (!(v < 0.0f))
        {
            a[i] = v;
            slopes[i] = 1.0f;
        }
        else
        {
            float s = lower + (upper - lower) * sgnn_uniform(key, (sgnn_u64)i);
            a[i] = s * v;
            slopes[i] = s;
        }
    }
}

""";
}
