using System;

namespace SourceGenNN.Cuda;

/// <summary>An element-wise activation on its own (after anything but a dense layer, which absorbs it).</summary>
internal sealed class CudaActivationLayer : CudaLayer
{
    public CudaActivationLayer(NetworkDescription network, LayerDescription layer) : base(network, layer)
    {
        if (!CudaActivations.TryGet(layer, out var a, out float p))
            throw new NotSupportedException($"Layer '{layer.Name}' of kind '{layer.Kind}' is not an element-wise activation.");
        Activation = a;
        Parameter = p;
    }

    public CudaActivation Activation { get; }

    /// <summary>The slope (LeakyReLU) or alpha (ELU); 0 for the others.</summary>
    public float Parameter { get; }

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        CudaActivations.AddForward(b, Activation);
        if (backward) CudaActivations.AddBackward(b, Activation);
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        int size = Layer.OutputSize;
        c.Elementwise(CudaActivations.ForwardKernel(Activation), (long)batch * size, KernelArg.Ptr(t.Input), KernelArg.Ptr(IntPtr.Zero),
            KernelArg.Ptr(t.Output), KernelArg.Int(batch), KernelArg.Int(size), KernelArg.Float(Parameter));
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        if (t.InputGradient == IntPtr.Zero) return;
        int n = batch * Layer.OutputSize;
        c.Elementwise(CudaActivations.BackwardKernel(Activation), n, KernelArg.Ptr(t.Input), KernelArg.Ptr(t.Output),
            KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(t.InputGradient), KernelArg.Int(n), KernelArg.Float(Parameter));
    }
}
