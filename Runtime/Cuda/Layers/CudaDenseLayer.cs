using System;

namespace SourceGenNN.Cuda;

/// <summary>
/// Dense on the GPU: <c>Z = X·Wᵀ</c> by cuBLAS, then one kernel adds the bias and applies the activation absorbed from the
/// next layer (identity when none), keeping Z for the activation's derivative. Backward: dZ = dA·f'(Z) in place, then
/// <c>dW = dZᵀ·X</c>, <c>db = Σ dZ</c> and <c>dX = dZ·W</c> (only when wanted).
/// </summary>
internal sealed class CudaDenseLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private CudaActivation _activation = CudaActivation.Identity;
    private float _parameter;
    private DeviceBuffer? _z;

    private int In => Layer.InputShape[^1];

    private int Out => Layer.OutputShape[^1];

    /// <summary>Rows of one sample: the product of the input's leading dimensions.</summary>
    private int RowsPerSample => Layer.InputSize / In;

    public override bool TryAbsorb(CudaLayer next)
    {
        if (Absorbed is not null || next is not CudaActivationLayer a) return false;
        _activation = a.Activation;
        _parameter = a.Parameter;
        Absorbed = next;
        return true;
    }

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        CudaActivations.AddForward(b, _activation);
        if (!backward) return;
        if (_activation != CudaActivation.Identity) CudaActivations.AddBackward(b, _activation);
        if (HasParameter("bias")) b.Kernel(CudaKernelSource.ColumnSum, CudaKernelSource.ColumnSumCode);
    }

    public override void Allocate(CudaContext c, int maxBatch, bool training)
    {
        // With an activation the pre-activation Z is kept apart from the output A for the derivative.
        if (_activation != CudaActivation.Identity) _z = c.Allocate((long)maxBatch * Layer.OutputSize);
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        int rows = batch * RowsPerSample;
        IntPtr z = _z?.Pointer ?? t.Output;
        c.Gemm(false, true, rows, Out, In, 1f, t.Input, c.Param(Offset("weight")), 0f, z);
        bool bias = HasParameter("bias");
        if (bias || _activation != CudaActivation.Identity)
            c.Elementwise(CudaActivations.ForwardKernel(_activation), (long)rows * Out,
                KernelArg.Ptr(z), KernelArg.Ptr(bias ? c.Param(Offset("bias")) : IntPtr.Zero), KernelArg.Ptr(t.Output),
                KernelArg.Int(rows), KernelArg.Int(Out), KernelArg.Float(_parameter));
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        int rows = batch * RowsPerSample;
        long n = (long)rows * Out;
        IntPtr g = t.OutputGradient;
        if (_activation != CudaActivation.Identity)
            c.Elementwise(CudaActivations.BackwardKernel(_activation), n, KernelArg.Ptr(_z!.Pointer), KernelArg.Ptr(t.Output),
                KernelArg.Ptr(g), KernelArg.Ptr(g), KernelArg.Int((int)n), KernelArg.Float(_parameter));
        // dW[out, in] = dZᵀ·X ; db = column sums of dZ ; dX = dZ·W.
        c.Gemm(true, false, Out, In, rows, 1f, g, t.Input, 0f, c.Grad(Offset("weight")));
        if (HasParameter("bias")) c.ColumnSums(g, c.Grad(Offset("bias")), rows, Out);
        if (t.InputGradient != IntPtr.Zero)
            c.Gemm(false, false, rows, In, Out, 1f, g, c.Param(Offset("weight")), 0f, t.InputGradient);
    }
}
