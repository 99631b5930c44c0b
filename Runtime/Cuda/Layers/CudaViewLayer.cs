namespace SourceGenNN.Cuda;

/// <summary>Identity, Flatten and Reshape: the output is the input's memory; backward copies the gradient through.</summary>
internal sealed class CudaViewLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    public override bool IsView => true;

    public override void Source(CudaSourceBuilder b, bool backward) { }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training) { }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        if (t.InputGradient != System.IntPtr.Zero) c.Copy(t.OutputGradient, t.InputGradient, (long)batch * Layer.OutputSize);
    }
}
