using System;

namespace SourceGenNN.Cuda;

/// <summary>
/// Concat along one dimension: each sample is <c>outer</c> blocks, and each input's block is written at its offset in
/// every block of the output; backward reads each input's part back out of dy.
/// </summary>
internal sealed class CudaConcatLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private int Axis
    {
        get
        {
            int dim = Layer.Int("dim");
            return dim < 0 ? Layer.OutputShape.Count + dim : dim - 1;
        }
    }

    private int Outer
    {
        get
        {
            int n = 1;
            for (int i = 0; i < Axis; i++) n *= Layer.OutputShape[i];
            return n;
        }
    }

    private int Block(int k) => Shapes.Size(Layer.InputShapes[k]) / Outer;

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        b.Kernel(CudaKernelSource.WriteBlocks, CudaKernelSource.WriteBlocksCode);
        if (backward) b.Kernel(CudaKernelSource.ReadBlocks, CudaKernelSource.ReadBlocksCode);
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        int rows = batch * Outer, total = Layer.OutputSize / Outer, offset = 0;
        for (int k = 0; k < t.Inputs.Length; k++)
        {
            int block = Block(k);
            c.Elementwise(CudaKernelSource.WriteBlocks, (long)rows * block, KernelArg.Ptr(t.Inputs[k]), KernelArg.Ptr(t.Output),
                KernelArg.Int(rows), KernelArg.Int(block), KernelArg.Int(total), KernelArg.Int(offset));
            offset += block;
        }
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        int rows = batch * Outer, total = Layer.OutputSize / Outer, offset = 0;
        for (int k = 0; k < t.Inputs.Length; k++)
        {
            int block = Block(k);
            if (t.InputGradients[k] != IntPtr.Zero)
                c.Elementwise(CudaKernelSource.ReadBlocks, (long)rows * block, KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(t.InputGradients[k]),
                    KernelArg.Int(rows), KernelArg.Int(block), KernelArg.Int(total), KernelArg.Int(offset));
            offset += block;
        }
    }
}
