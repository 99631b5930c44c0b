using System;

namespace SourceGenNN.Cuda;

/// <summary>Add: y = a + b (+ …) element-wise; each input's gradient is a copy of dy.</summary>
internal sealed class CudaAddLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string AddKernel = "sgnn_add";

    public override void Source(CudaSourceBuilder b, bool backward) => b.Kernel(AddKernel, Code);

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        long n = (long)batch * Layer.OutputSize;
        c.Elementwise(AddKernel, n, KernelArg.Ptr(t.Inputs[0]), KernelArg.Ptr(t.Inputs[1]), KernelArg.Ptr(t.Output), KernelArg.Int((int)n));
        for (int k = 2; k < t.Inputs.Length; k++)
            c.Elementwise(AddKernel, n, KernelArg.Ptr(t.Output), KernelArg.Ptr(t.Inputs[k]), KernelArg.Ptr(t.Output), KernelArg.Int((int)n));
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        long n = (long)batch * Layer.OutputSize;
        foreach (var g in t.InputGradients)
            if (g != IntPtr.Zero) c.Copy(t.OutputGradient, g, n);
    }

    private const string Code = """
// y = a + b element-wise (y may alias a).
extern "C" __global__ void $NAME(const float* a, const float* b, float* y, int n)
{
    SGNN_LOOP(i, n) y[i] = a[i] + b[i];
}

""";
}
