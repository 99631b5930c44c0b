using System;
using SourceGenNN.Kernels;

namespace SourceGenNN.Cuda;

/// <summary>
/// PositionalEmbedding and SinusoidalPositionalEncoding: <c>y[n] = x[n] + table</c> for every sample. The learned table
/// is the layer's <c>weight</c>, whose gradient is the column sum of dy over the samples (deterministic); the sinusoidal
/// table is the CPU's (<see cref="Sequence.Sinusoidal"/>), computed once on the host and copied to the device. dx = dy.
/// </summary>
internal sealed class CudaPositionalLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string AddTableKernel = "sgnn_add_table";
    private DeviceBuffer? _table;

    private bool Learned => Layer.Kind == LayerKindNames.PositionalEmbedding;

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        b.Kernel(AddTableKernel, AddTableCode);
        if (backward && Learned) b.Kernel(CudaKernelSource.ColumnSum, CudaKernelSource.ColumnSumCode);
    }

    public override void Allocate(CudaContext c, int maxBatch, bool training)
    {
        if (Learned) return;
        var shape = Layer.InputShape;
        _table = c.Allocate(Layer.InputSize);
        _table.Upload(Sequence.Sinusoidal(shape[0], shape[1]));
    }

    private IntPtr Table(CudaContext c) => Learned ? c.Param(Offset("weight")) : _table!.Pointer;

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        int size = Layer.InputSize;
        c.Elementwise(AddTableKernel, (long)batch * size, KernelArg.Ptr(t.Input), KernelArg.Ptr(Table(c)), KernelArg.Ptr(t.Output),
            KernelArg.Int(batch), KernelArg.Int(size));
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        int size = Layer.InputSize;
        // dweight = Σₙ dy[n]: the column sums of dy viewed as [batch, size].
        if (Learned) c.ColumnSums(t.OutputGradient, c.Grad(Offset("weight")), batch, size);
        if (t.InputGradient != IntPtr.Zero) c.Copy(t.OutputGradient, t.InputGradient, (long)batch * size);
    }

    private const string AddTableCode = """
// y[n, i] = x[n, i] + table[i]: one table of size elements added to every sample.
extern "C" __global__ void $NAME(const float* x, const float* table, float* y, int batch, int size)
{
    SGNN_LOOP(i, (long long)batch * size) y[i] = x[i] + table[i % size];
}

""";
}

/// <summary>
/// Mean over one dimension: each sample viewed as [outer, length, inner], one thread per output (o, j) sums its
/// <c>length</c> inputs in order (deterministic). Backward: <c>dx[o, i, j] = dy[o, j]/length</c>.
/// </summary>
internal sealed class CudaMeanLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string ForwardKernel = "sgnn_mean_forward";
    private const string BackwardKernel = "sgnn_mean_backward";

    private (int Outer, int Length, int Inner) Split => SplitAtDim();

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        b.Kernel(ForwardKernel, ForwardCode);
        if (backward) b.Kernel(BackwardKernel, BackwardCode);
    }

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        var (outer, length, inner) = Split;
        c.Elementwise(ForwardKernel, (long)batch * outer * inner, KernelArg.Ptr(t.Input), KernelArg.Ptr(t.Output),
            KernelArg.Int(batch * outer), KernelArg.Int(length), KernelArg.Int(inner));
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        if (t.InputGradient == IntPtr.Zero) return;
        var (outer, length, inner) = Split;
        c.Elementwise(BackwardKernel, (long)batch * outer * length * inner, KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(t.InputGradient),
            KernelArg.Int(batch * outer), KernelArg.Int(length), KernelArg.Int(inner));
    }

    private const string ForwardCode = """
// y[o, j] = (1/length)·Σᵢ x[o, i, j], x viewed as [outer, length, inner] (the batch folded into outer); the sum in order.
extern "C" __global__ void $NAME(const float* x, float* y, int outer, int length, int inner)
{
    SGNN_LOOP(p, (long long)outer * inner)
    {
        long long o = p / inner;
        long long j = p - o * inner;
        const float* xo = x + o * length * inner + j;
        float s = xo[0];
        for (int i = 1; i < length; i++) s += xo[(long long)i * inner];
        y[p] = s * (1.0f / length);
    }
}

""";

    private const string BackwardCode = """
// dx[o, i, j] = dy[o, j]/length.
extern "C" __global__ void $NAME(const float* dy, float* dx, int outer, int length, int inner)
{
    SGNN_LOOP(q, (long long)outer * length * inner)
    {
        long long o = q / ((long long)length * inner);
        long long j = q % inner;
        dx[q] = dy[o * inner + j] * (1.0f / length);
    }
}

""";
}
