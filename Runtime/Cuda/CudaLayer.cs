using System;
using System.Collections.Generic;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Cuda;

/// <summary>
/// One layer kind on the GPU: the kernels it needs, the device memory it keeps besides its output, and the launches of
/// its forward and backward passes. <see cref="CudaNetwork"/> runs the graph without knowing any kind: it allocates
/// each tensor and each needed gradient, and calls these in order. <see cref="CudaLayers"/> maps kind names to classes.
/// </summary>
internal abstract class CudaLayer
{
    protected CudaLayer(NetworkDescription network, LayerDescription layer)
    {
        Network = network;
        Layer = layer;
    }

    public NetworkDescription Network { get; }

    public LayerDescription Layer { get; }

    /// <summary>The following element-wise layer this one computes in the same pass (a dense layer's activation), or null.</summary>
    public CudaLayer? Absorbed { get; protected set; }

    /// <summary>The tensor this step produces: the layer's output, or the absorbed layer's.</summary>
    public string OutputTensor => (Absorbed ?? this).Layer.Name;

    /// <summary>Elements of one sample of <see cref="OutputTensor"/>.</summary>
    public int OutputSize => (Absorbed ?? this).Layer.OutputSize;

    /// <summary>True when the output is the main input's memory (Identity, Flatten, Reshape): no buffer of its own.</summary>
    public virtual bool IsView => false;

    /// <summary>Whether the step trains parameters (its own or its absorbed layer's).</summary>
    public bool HasParameters => Layer.ParameterCount > 0 || (Absorbed?.HasParameters ?? false);

    /// <summary>
    /// Takes <paramref name="next"/> into this step when it can compute it in the same pass (the plan has checked that
    /// <paramref name="next"/> reads only this step's output, which nothing else reads). Returns whether it did.
    /// </summary>
    public virtual bool TryAbsorb(CudaLayer next) => false;

    /// <summary>Adds the kernels the forward pass (and, when <paramref name="backward"/>, the backward pass) launches.</summary>
    public abstract void Source(CudaSourceBuilder b, bool backward);

    /// <summary>Allocates what the layer keeps besides its output, for batches up to <paramref name="maxBatch"/>.</summary>
    public virtual void Allocate(CudaContext c, int maxBatch, bool training) { }

    /// <summary>Enqueues the forward pass.</summary>
    public abstract void Forward(CudaContext c, StepTensors t, int batch, bool training);

    /// <summary>
    /// Enqueues the backward pass: writes the parameter gradients (overwriting them) and each wanted input gradient
    /// (<see cref="StepTensors.InputGradients"/> entries that are not zero).
    /// </summary>
    public abstract void Backward(CudaContext c, StepTensors t, int batch);

    /// <summary>The offset of the layer's parameter <c>name.suffix</c> in the parameter buffer.</summary>
    protected int Offset(string suffix) => Offset(Layer, suffix);

    protected int Offset(LayerDescription layer, string suffix)
    {
        var t = Network.FindParameter(layer.Name + "." + suffix)
                ?? throw new NotSupportedException($"Layer '{layer.Name}' ({layer.Kind}) has no parameter '{layer.Name}.{suffix}'.");
        return t.Offset;
    }

    protected bool HasParameter(string suffix) => Network.FindParameter(Layer.Name + "." + suffix) is not null;

    /// <summary>
    /// One sample viewed as [outer, length, inner] around the dimension the option <c>dim</c> names (PyTorch's: the batch
    /// is dim 0; negative counts from the end): Softmax's and Mean's.
    /// </summary>
    protected (int Outer, int Length, int Inner) SplitAtDim()
    {
        var s = Layer.InputShape;
        int dim = Layer.Int("dim");
        int axis = dim < 0 ? s.Count + dim : dim - 1;
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= s[i];
        for (int i = axis + 1; i < s.Count; i++) inner *= s[i];
        return (outer, s[axis], inner);
    }
}

/// <summary>The device pointers of one step: what it reads and writes, for buffers sized for the largest batch.</summary>
/// <param name="Inputs">Each tensor the layer reads.</param>
/// <param name="Output">The tensor it writes.</param>
/// <param name="OutputGradient">dLoss/dOutput (zero when backward does not run).</param>
/// <param name="InputGradients">Where to write dLoss/dInput for each input; zero when not wanted.</param>
internal sealed record StepTensors(IntPtr[] Inputs, IntPtr Output, IntPtr OutputGradient, IntPtr[] InputGradients)
{
    public IntPtr Input => Inputs[0];

    public IntPtr InputGradient => InputGradients[0];
}

/// <summary>What layers launch with: the device, the parameters, the compiled kernels and the launch shapes.</summary>
internal sealed class CudaContext
{
    private readonly Dictionary<string, IntPtr> _functions;
    private readonly List<IDisposable> _owned;
    private readonly uint _maxBlocks;

    public CudaContext(CudaDevice device, Dictionary<string, IntPtr> functions, List<IDisposable> owned)
    {
        Device = device;
        _functions = functions;
        _owned = owned;
        _maxBlocks = (uint)Math.Max(1, device.MultiprocessorCount * 32);
    }

    public CudaDevice Device { get; }

    public IntPtr Parameters { get; set; }

    public IntPtr Gradients { get; set; }

    public IntPtr Buffers { get; set; }

    /// <summary>The device counters: [0] optimiser steps, [1] training forwards (which key the random draws).</summary>
    public IntPtr Counters { get; set; }

    /// <summary>The seed of the dropout and RReLU draws (a kernel argument: captured graphs hold it by value).</summary>
    public ulong Seed { get; set; }

    public IntPtr Param(int offset) => Parameters + (nint)offset * sizeof(float);

    public IntPtr Grad(int offset) => Gradients + (nint)offset * sizeof(float);

    /// <summary>Device memory owned by the network (freed with it).</summary>
    public DeviceBuffer Allocate(long length)
    {
        var b = new DeviceBuffer(Math.Max(1, length));
        _owned.Add(b);
        return b;
    }

    /// <summary>A grid-stride kernel over <paramref name="n"/> elements.</summary>
    public void Elementwise(string kernel, long n, params ReadOnlySpan<KernelArg> args) =>
        KernelLauncher.Launch(Function(kernel), (Math.Min(KernelLauncher.Blocks(n, CudaKernelSource.BlockSize), _maxBlocks), 1),
            ((uint)CudaKernelSource.BlockSize, 1), 0, Device.Stream, args);

    /// <summary>One block per row; the block is a power of two of at most 256 threads (the block reductions need it).</summary>
    public void Rows(string kernel, int rows, int cols, params ReadOnlySpan<KernelArg> args)
    {
        uint threads = 32;
        while (threads < 256 && threads < cols) threads <<= 1;
        KernelLauncher.Launch(Function(kernel), ((uint)rows, 1), (threads, 1), 0, Device.Stream, args);
    }

    /// <summary>out[c] = Σ_r x[r, c], overwritten (deterministic).</summary>
    public void ColumnSums(IntPtr x, IntPtr output, int rows, int cols) =>
        KernelLauncher.Launch(Function(CudaKernelSource.ColumnSum), ((uint)((cols + 31) / 32), 1), (32, 32), 0, Device.Stream,
            [KernelArg.Ptr(x), KernelArg.Ptr(output), KernelArg.Int(rows), KernelArg.Int(cols)]);

    /// <summary>out[c] = Σ x[n, c, j] over n and j, overwritten (deterministic).</summary>
    public void ChannelSums(IntPtr x, IntPtr output, int batch, int channels, int inner) =>
        KernelLauncher.Launch(Function(CudaKernelSource.ChannelSum), ((uint)channels, 1), (256, 1), 0, Device.Stream,
            [KernelArg.Ptr(x), KernelArg.Ptr(output), KernelArg.Int(batch), KernelArg.Int(channels), KernelArg.Int(inner)]);

    /// <summary>out[0] = scale·Σ x, overwritten (one block, deterministic).</summary>
    public void Sum(IntPtr x, IntPtr output, int n, float scale) =>
        KernelLauncher.Launch(Function(CudaKernelSource.Sum), (1, 1), (256, 1), 0, Device.Stream,
            [KernelArg.Ptr(x), KernelArg.Ptr(output), KernelArg.Int(n), KernelArg.Float(scale)]);

    /// <summary>C = α·op(A)·op(B) + β·C, row-major (cuBLAS SGEMM).</summary>
    public void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, IntPtr a, IntPtr b, float beta, IntPtr c) =>
        RowMajorGemm.Run(Device, transposeA, transposeB, m, n, k, alpha, a, b, beta, c);

    /// <summary>
    /// <c>C_b = α·op(A_b)·op(B_b) + β·C_b</c> for b &lt; <paramref name="batch"/>, row-major, each operand at its own
    /// leading dimension and stride (cuBLAS strided batched SGEMM).
    /// </summary>
    public void StridedGemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, StridedMatrix a, StridedMatrix b, float beta, StridedMatrix c, int batch) =>
        RowMajorStridedGemm.Run(Device, transposeA, transposeB, m, n, k, alpha, a, b, beta, c, batch);

    /// <summary>Copies <paramref name="count"/> floats on the device.</summary>
    public void Copy(IntPtr source, IntPtr destination, long count) => Device.CopyAsync(source, destination, count);

    /// <summary>A single-thread launch with one pointer argument (the counters).</summary>
    public void Single(string kernel, IntPtr argument) =>
        KernelLauncher.Launch(Function(kernel), (1, 1), (1, 1), 0, Device.Stream, [KernelArg.Ptr(argument)]);

    /// <summary>A launch with an explicit grid and block.</summary>
    public void Launch(string kernel, (uint X, uint Y) grid, (uint X, uint Y) block, params ReadOnlySpan<KernelArg> args) =>
        KernelLauncher.Launch(Function(kernel), grid, block, 0, Device.Stream, args);

    private IntPtr Function(string kernel) =>
        _functions.TryGetValue(kernel, out var f) ? f : throw new InvalidOperationException($"The kernel '{kernel}' was not compiled for this network.");
}

/// <summary>
/// The GPU class of every layer kind, one line each. Kinds not listed are CPU-only: <see cref="Create"/> throws
/// <see cref="NotSupportedException"/> naming the layer. A test checks this table against the generator's kinds.
/// </summary>
internal static class CudaLayers
{
    private static readonly Dictionary<string, Func<NetworkDescription, LayerDescription, CudaLayer>> Table = new()
    {
        [LayerKindNames.Dense] = (n, l) => new CudaDenseLayer(n, l),
        [LayerKindNames.Identity] = (n, l) => new CudaViewLayer(n, l),
        [LayerKindNames.Sigmoid] = (n, l) => new CudaActivationLayer(n, l),
        [LayerKindNames.Tanh] = (n, l) => new CudaActivationLayer(n, l),
        [LayerKindNames.ReLU] = (n, l) => new CudaActivationLayer(n, l),
        [LayerKindNames.LeakyReLU] = (n, l) => new CudaActivationLayer(n, l),
        [LayerKindNames.ELU] = (n, l) => new CudaActivationLayer(n, l),
        [LayerKindNames.GELU] = (n, l) => new CudaActivationLayer(n, l),
        [LayerKindNames.SiLU] = (n, l) => new CudaActivationLayer(n, l),
        [LayerKindNames.RReLU] = (n, l) => new CudaRReluLayer(n, l),
        [LayerKindNames.Dropout] = (n, l) => new CudaDropoutLayer(n, l),
        [LayerKindNames.PReLU] = (n, l) => new CudaPReluLayer(n, l),
        [LayerKindNames.Softmax] = (n, l) => new CudaSoftmaxLayer(n, l),
        [LayerKindNames.LayerNorm] = (n, l) => new CudaLayerNormLayer(n, l),
        [LayerKindNames.Flatten] = (n, l) => new CudaViewLayer(n, l),
        [LayerKindNames.Reshape] = (n, l) => new CudaViewLayer(n, l),
        [LayerKindNames.Add] = (n, l) => new CudaAddLayer(n, l),
        [LayerKindNames.Concat] = (n, l) => new CudaConcatLayer(n, l),
        [LayerKindNames.BatchNorm1d] = (n, l) => new CudaBatchNormLayer(n, l),
        [LayerKindNames.BatchNorm2d] = (n, l) => new CudaBatchNormLayer(n, l),
        [LayerKindNames.Conv1d] = (n, l) => new CudaConvLayer(n, l),
        [LayerKindNames.Conv2d] = (n, l) => new CudaConvLayer(n, l),
        [LayerKindNames.ConvTranspose1d] = (n, l) => new CudaConvLayer(n, l),
        [LayerKindNames.ConvTranspose2d] = (n, l) => new CudaConvLayer(n, l),
        [LayerKindNames.MaxPool1d] = (n, l) => new CudaPoolLayer(n, l),
        [LayerKindNames.MaxPool2d] = (n, l) => new CudaPoolLayer(n, l),
        [LayerKindNames.AvgPool1d] = (n, l) => new CudaPoolLayer(n, l),
        [LayerKindNames.AvgPool2d] = (n, l) => new CudaPoolLayer(n, l),
        [LayerKindNames.AdaptiveAvgPool2d] = (n, l) => new CudaAdaptivePoolLayer(n, l),
        [LayerKindNames.Dropout2d] = (n, l) => new CudaDropout2dLayer(n, l),
        [LayerKindNames.RNN] = (n, l) => new CudaRecurrentLayer(n, l),
        [LayerKindNames.LSTM] = (n, l) => new CudaRecurrentLayer(n, l),
        [LayerKindNames.GRU] = (n, l) => new CudaRecurrentLayer(n, l),
        [LayerKindNames.MultiheadAttention] = (n, l) => new CudaAttentionLayer(n, l),
        [LayerKindNames.ScaledDotProductAttention] = (n, l) => new CudaAttentionLayer(n, l),
        [LayerKindNames.PositionalEmbedding] = (n, l) => new CudaPositionalLayer(n, l),
        [LayerKindNames.SinusoidalPositionalEncoding] = (n, l) => new CudaPositionalLayer(n, l),
        [LayerKindNames.Mean] = (n, l) => new CudaMeanLayer(n, l),
    };

    /// <summary>
    /// Kinds that run on the CPU only: using one on the GPU throws <see cref="NotSupportedException"/>. None today; a new
    /// kind goes here until it has a GPU class (a test checks every generator kind is in exactly one of the two).
    /// </summary>
    public static readonly IReadOnlyCollection<string> CpuOnly = [];

    /// <summary>The kinds with a GPU class.</summary>
    public static IEnumerable<string> Kinds => Table.Keys;

    /// <summary>The kinds the GPU supports, for error messages.</summary>
    public static string Supported => string.Join(", ", Table.Keys);

    public static CudaLayer Create(NetworkDescription network, LayerDescription layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!Table.TryGetValue(layer.Kind, out var create))
            throw new NotSupportedException($"Layer '{layer.Name}' of kind '{layer.Kind}' has no CUDA implementation; it runs on the CPU only.");
        return create(network, layer);
    }

    internal static void CheckLength(int actual, int expected, string what)
    {
        if (actual != expected) ThrowHelper.ThrowLength(what, expected, actual, "the description");
    }
}
