using System;
using System.Collections.Generic;

namespace SourceGenNN.Cuda;

/// <summary>
/// Runs a dense network on a GPU: parameters, gradients and optimiser state live on the device; forward passes use
/// cuBLAS SGEMM and the network's generated kernels (<see cref="CudaKernelSource"/>); a training step (copy the batch
/// through pinned staging buffers, forward, fused loss, backward, optimiser update) is captured once into a CUDA graph
/// per batch size and replayed, for batches up to <see cref="GraphBatchLimit"/>. Use from one thread at a time.
/// </summary>
/// <example>
/// <code>
/// using var gpu = CudaDevice.Open();
/// var mlp = new Mlp(seed: 1);
/// using var trainer = CudaNetwork.Create(gpu, mlp, new CudaTrainingOptions(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-3f)), maxBatch: 64);
/// trainer.TrainStep(x, oneHot, batch: 64);
/// trainer.CopyParametersTo(mlp);
/// </code>
/// </example>
public sealed class CudaNetwork : IDisposable
{
    private readonly CudaDevice _device;
    private readonly CudaPlan _plan;
    private readonly CudaModule _module;
    private readonly CudaTrainingOptions? _training;
    private readonly List<IDisposable> _owned = new();
    private readonly DeviceBuffer _params, _grads, _x, _lr, _counters, _loss;
    private readonly DeviceBuffer? _state1, _state2, _target, _lossTerms, _dInput;
    private readonly DeviceBuffer[] _z, _a, _g;
    private readonly DeviceBuffer?[] _aux;
    private readonly PinnedBuffer _pinnedX, _pinnedOut, _pinnedScalar;
    private readonly PinnedBuffer? _pinnedTarget;
    private readonly Dictionary<string, IntPtr> _fn = new(StringComparer.Ordinal);
    private readonly Dictionary<int, IntPtr> _graphs = new();
    private readonly HashSet<int> _warmBatches = new();
    private int _graphMathMode;
    private readonly int _threads = CudaKernelSource.BlockSize;
    private readonly uint _maxBlocks;
    private bool _disposed;

    private CudaNetwork(CudaDevice device, INetwork network, CudaTrainingOptions? training, int maxBatch)
    {
        _device = device;
        _training = training;
        Description = network.Description;
        _plan = CudaPlan.Build(Description);
        MaxBatch = maxBatch;
        Source = CudaKernelSource.Generate(_plan, training);
        device.MakeCurrent();
        _module = CudaModule.Load(device, Source.Text);
        foreach (string k in Source.Kernels) _fn[k] = _module.Function(k); // resolved before any graph capture
        _maxBlocks = (uint)Math.Max(1, device.MultiprocessorCount * 32);

        try
        {
        int p = Description.ParameterCount;
        _params = Own(new DeviceBuffer(p));
        _grads = Own(new DeviceBuffer(p));
        _x = Own(new DeviceBuffer((long)maxBatch * Description.InputSize));
        _lr = Own(new DeviceBuffer(1));
        _counters = Own(new DeviceBuffer(2, sizeof(ulong)));
        _loss = Own(new DeviceBuffer(1));
        _pinnedX = Own(new PinnedBuffer(maxBatch * Description.InputSize));
        _pinnedOut = Own(new PinnedBuffer(maxBatch * Description.OutputSize));
        _pinnedScalar = Own(new PinnedBuffer(4));

        var steps = _plan.Steps;
        _z = new DeviceBuffer[steps.Count];
        _a = new DeviceBuffer[steps.Count];
        _g = new DeviceBuffer[steps.Count];
        _aux = new DeviceBuffer?[steps.Count];
        for (int i = 0; i < steps.Count; i++)
        {
            var s = steps[i];
            long n = (long)maxBatch * s.OutputSize;
            _a[i] = Own(new DeviceBuffer(n));
            _z[i] = s.Kind == PlanStepKind.Dense && s.Activation != CudaActivation.Identity ? Own(new DeviceBuffer(n)) : _a[i];
            _g[i] = Own(new DeviceBuffer(n));
            if (s.Kind is PlanStepKind.Dropout or PlanStepKind.RRelu or PlanStepKind.PRelu) _aux[i] = Own(new DeviceBuffer(n));
        }

        if (training is not null)
        {
            _target = Own(new DeviceBuffer((long)maxBatch * Description.OutputSize));
            _lossTerms = Own(new DeviceBuffer((long)maxBatch * Description.OutputSize));
            _dInput = Own(new DeviceBuffer((long)maxBatch * Description.InputSize));
            _pinnedTarget = Own(new PinnedBuffer(maxBatch * Description.OutputSize));
            var opt = training.Optimizer;
            if (opt is { Kind: CudaOptimizerKind.Adam })
            {
                _state1 = Own(new DeviceBuffer(p));
                _state2 = Own(new DeviceBuffer(p));
            }
            else if (opt is { Kind: CudaOptimizerKind.Sgd, Momentum: not 0f })
            {
                _state1 = Own(new DeviceBuffer(p));
            }
        }

        // Zeroed state, the counters at 0, the learning rate, then the network's parameters.
        foreach (var b in new[] { _grads, _state1, _state2, _counters, _loss })
            if (b is not null && b.Length > 0) device.ZeroAsync(b.Pointer, b.Bytes);
        device.Synchronize();
        SetLearningRate(training?.Optimizer?.LearningRate ?? 0f);
        CopyParametersFrom(network);
        }
        catch
        {
            for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose(); // nothing leaks from a failed construction
            throw;
        }
    }

    /// <summary>
    /// Creates the executor for <paramref name="network"/>'s structure and copies its parameters to the device.
    /// </summary>
    /// <param name="device">The GPU.</param>
    /// <param name="network">The network (any <see cref="INetwork"/>: its description and parameters are used).</param>
    /// <param name="training">The loss and optimiser; null for forward passes only.</param>
    /// <param name="maxBatch">The largest batch; device buffers are sized for it.</param>
    /// <exception cref="NotSupportedException">A layer kind has no CUDA implementation.</exception>
    public static CudaNetwork Create(CudaDevice device, INetwork network, CudaTrainingOptions? training = null, int maxBatch = 256)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(network);
        if (maxBatch <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(maxBatch), maxBatch, "a positive batch size");
        if (training is { Loss: CudaLoss.None, Optimizer: not null })
            ThrowHelper.ThrowArgumentOutOfRange(nameof(training), training, "a loss when an optimizer is given");
        return new CudaNetwork(device, network, training, maxBatch);
    }

    /// <summary>The network's description.</summary>
    public NetworkDescription Description { get; }

    /// <summary>The kernels compiled for this network.</summary>
    public CudaKernelSource Source { get; }

    /// <summary>The largest batch.</summary>
    public int MaxBatch { get; }

    /// <summary>Capture training steps into CUDA graphs (default true).</summary>
    public bool UseCudaGraphs { get; set; } = true;

    /// <summary>The largest batch whose training step is captured into a graph (default 1024).</summary>
    public int GraphBatchLimit { get; set; } = 1024;

    /// <summary>
    /// The seed of the dropout and RReLU masks (with the layer index and the training-forward count). Captured graphs
    /// hold it as a kernel argument, so changing it drops them; the next steps capture again.
    /// </summary>
    public ulong DropoutSeed
    {
        get => _dropoutSeed;
        set
        {
            if (value == _dropoutSeed) return;
            _dropoutSeed = value;
            DropGraphs();
        }
    }

    private ulong _dropoutSeed;

    /// <summary>The number of CUDA graphs captured so far (one per batch size).</summary>
    public int CapturedGraphs => _graphs.Count;

    private T Own<T>(T d) where T : IDisposable
    {
        _owned.Add(d);
        return d;
    }

    // ---- host <-> device -------------------------------------------------------------------------------------

    /// <summary>Copies <paramref name="network"/>'s parameters to the device (same structure required).</summary>
    public void CopyParametersFrom(INetwork network)
    {
        CheckSameStructure(network);
        _device.MakeCurrent();
        _params.Upload(network.Parameters);
    }

    /// <summary>Copies the device's parameters into <paramref name="network"/> (same structure required).</summary>
    public void CopyParametersTo(INetwork network)
    {
        CheckSameStructure(network);
        _device.MakeCurrent();
        _device.Synchronize();
        _params.Download(network.Parameters);
    }

    /// <summary>Copies the gradients of the last step (the layout of <see cref="INetwork.Gradients"/>) to the host.</summary>
    public void CopyGradientsTo(Span<float> destination)
    {
        ThrowHelper.CheckLength(destination.Length, Description.ParameterCount, nameof(destination), "[ParameterCount]");
        _device.MakeCurrent();
        _device.Synchronize();
        _grads.Download(destination);
    }

    /// <summary>Copies the device's parameters to the host.</summary>
    public void CopyParametersTo(Span<float> destination)
    {
        ThrowHelper.CheckLength(destination.Length, Description.ParameterCount, nameof(destination), "[ParameterCount]");
        _device.MakeCurrent();
        _device.Synchronize();
        _params.Download(destination);
    }

    private void CheckSameStructure(INetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (network.Description.Fingerprint != Description.Fingerprint)
            throw new ArgumentException($"'{nameof(network)}' is a {network.Description.Name}, whose structure differs from this executor's {Description.Name}.", nameof(network));
    }

    /// <summary>Sets the learning rate used by the following steps (graphs read it from device memory).</summary>
    public void SetLearningRate(float learningRate)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _device.MakeCurrent();
        _device.Synchronize(); // the pinned scalar may still be in use by an earlier copy
        _pinnedScalar.Span[0] = learningRate;
        _device.CopyToDeviceAsync(_pinnedScalar.Pointer, _lr.Pointer, 1);
        _device.Synchronize();
    }

    /// <summary>The optimiser steps taken so far (waits for the device).</summary>
    public ulong Step => ReadCounter(StepCounter);

    /// <summary>
    /// The number of training-mode forward passes so far (waits for the device). The next one keys its dropout and
    /// RReLU masks with it, as a generated network's <see cref="IRandomStream.RandomStep"/> does; set both it and
    /// <see cref="DropoutSeed"/> from a generated network to draw that network's masks.
    /// </summary>
    public ulong RandomStep
    {
        get => ReadCounter(ForwardCounter);
        set => WriteCounter(ForwardCounter, value);
    }

    // The device-side counters (_counters): the optimiser steps, which Adam's bias correction reads, and the
    // training forwards, which key the masks. Graphs read them from device memory, so they stay valid when these change.
    private const int StepCounter = 0, ForwardCounter = 1;

    private unsafe ulong ReadCounter(int index)
    {
        _device.MakeCurrent();
        _device.Synchronize();
        Check.Runtime(CudaNative.cudaMemcpyAsync(_pinnedScalar.Pointer, _counters.At(index), sizeof(ulong), CudaNative.MemcpyDeviceToHost, _device.Stream));
        _device.Synchronize();
        return *(ulong*)_pinnedScalar.Pointer;
    }

    private unsafe void WriteCounter(int index, ulong value)
    {
        _device.MakeCurrent();
        _device.Synchronize();
        *(ulong*)_pinnedScalar.Pointer = value;
        Check.Runtime(CudaNative.cudaMemcpyAsync(_counters.At(index), _pinnedScalar.Pointer, sizeof(ulong), CudaNative.MemcpyHostToDevice, _device.Stream));
        _device.Synchronize();
    }

    /// <summary>
    /// The optimiser's state buffers on the device: 0 without an optimiser or for SGD without momentum, 1 for SGD
    /// with momentum (the momentum buffer), 2 for Adam and AdamW (the first and second moments).
    /// </summary>
    public int OptimizerStateBuffers => (_state1 is null ? 0 : 1) + (_state2 is null ? 0 : 1);

    /// <summary>
    /// Copies the optimiser state to the host (waits for the device): the momentum buffer (SGD) or the first moments
    /// (Adam) into <paramref name="first"/>, the second moments (Adam) into <paramref name="second"/>. Each span is
    /// [ParameterCount] when the buffer exists (<see cref="OptimizerStateBuffers"/>) and empty otherwise.
    /// Returns the number of optimiser steps taken (<see cref="Step"/>).
    /// </summary>
    public ulong CopyOptimizerStateTo(Span<float> first, Span<float> second)
    {
        CheckStateSpans(first.Length, second.Length, nameof(first), nameof(second));
        _device.MakeCurrent();
        _device.Synchronize();
        if (_state1 is not null) _state1.Download(first);
        if (_state2 is not null) _state2.Download(second);
        return Step;
    }

    /// <summary>
    /// Replaces the optimiser state and the step count (to resume training); the layout is that of
    /// <see cref="CopyOptimizerStateTo"/>. Captured graphs stay valid: they read the same buffers.
    /// </summary>
    public void CopyOptimizerStateFrom(ReadOnlySpan<float> first, ReadOnlySpan<float> second, ulong steps)
    {
        CheckStateSpans(first.Length, second.Length, nameof(first), nameof(second));
        _device.MakeCurrent();
        _device.Synchronize();
        if (_state1 is not null) _state1.Upload(first);
        if (_state2 is not null) _state2.Upload(second);
        WriteCounter(StepCounter, steps);
    }

    private void CheckStateSpans(int first, int second, string firstName, string secondName)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int p = Description.ParameterCount;
        ThrowHelper.CheckLength(first, _state1 is null ? 0 : p, firstName, _state1 is null ? "empty: this optimiser has no first state buffer" : "[ParameterCount]");
        ThrowHelper.CheckLength(second, _state2 is null ? 0 : p, secondName, _state2 is null ? "empty: this optimiser has no second state buffer" : "[ParameterCount]");
    }

    // ---- forward ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs the network on <paramref name="batch"/> samples and waits for the result. Training mode draws dropout and
    /// RReLU masks (needs training options).
    /// </summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch = 1, bool training = false)
    {
        CheckBatch(batch);
        ThrowHelper.CheckLength(input.Length, batch * Description.InputSize, nameof(input), "[batch, InputSize]");
        ThrowHelper.CheckLength(output.Length, batch * Description.OutputSize, nameof(output), "[batch, OutputSize]");
        if (training && _training is null) ThrowHelper.ThrowInvalidOperation("Training-mode forward passes need training options.");
        _device.MakeCurrent();
        _device.Synchronize();
        input.CopyTo(_pinnedX.Span);
        _device.CopyToDeviceAsync(_pinnedX.Pointer, _x.Pointer, (long)batch * Description.InputSize);
        EnqueueForward(batch, training);
        if (training) Launch1(CudaKernelSource.Increment, _counters.At(ForwardCounter)); // after the pass: it keyed its masks with the count before it
        _device.CopyToHostAsync(Output.Pointer, _pinnedOut.Pointer, (long)batch * Description.OutputSize);
        _device.Synchronize();
        _pinnedOut.Span[..output.Length].CopyTo(output);
    }

    /// <summary>
    /// Copies the output of the last forward pass (training or evaluation mode) for <paramref name="batch"/> samples
    /// to the host (waits for the device). After <see cref="TrainStep"/> it is the training-mode output of that step.
    /// </summary>
    public void CopyOutputTo(Span<float> output, int batch)
    {
        CheckBatch(batch);
        ThrowHelper.CheckLength(output.Length, batch * Description.OutputSize, nameof(output), "[batch, OutputSize]");
        Download(Output.Pointer, output);
    }

    /// <summary>
    /// Copies the logits of the last forward pass to the host (waits for the device), as <see cref="INetwork.Logits"/>
    /// defines them: the input of the final Softmax or Sigmoid layer, or the output when the network ends in neither.
    /// </summary>
    public void CopyLogitsTo(Span<float> logits, int batch)
    {
        CheckBatch(batch);
        ThrowHelper.CheckLength(logits.Length, batch * Description.OutputSize, nameof(logits), "[batch, OutputSize]");
        var steps = _plan.Steps;
        int last = steps.Count - 1;
        IntPtr source = Output.Pointer;
        if (last >= 0 && (_plan.EndsInSoftmax || steps[last].Kind == PlanStepKind.Activation && _plan.EndsInSigmoid)) source = InputOf(last).Pointer;
        else if (last >= 0 && _plan.EndsInSigmoid) source = _z[last].Pointer; // a dense layer with the sigmoid fused
        Download(source, logits);
    }

    private void Download(IntPtr source, Span<float> destination)
    {
        _device.MakeCurrent();
        _device.Synchronize();
        _device.CopyToHostAsync(source, _pinnedOut.Pointer, destination.Length);
        _device.Synchronize();
        _pinnedOut.Span[..destination.Length].CopyTo(destination);
    }

    private DeviceBuffer Output => _a.Length == 0 ? _x : _a[^1];

    private DeviceBuffer InputOf(int step) => step == 0 ? _x : _a[step - 1];

    private void EnqueueForward(int batch, bool training)
    {
        var steps = _plan.Steps;
        for (int i = 0; i < steps.Count; i++)
        {
            var s = steps[i];
            IntPtr x = InputOf(i).Pointer;
            int n = batch * s.OutputSize;
            switch (s.Kind)
            {
                case PlanStepKind.Dense:
                    RowMajorGemm.Run(_device, false, true, batch, s.OutputSize, s.InputSize, 1f, x, _params.At(s.WeightOffset), 0f, _z[i].Pointer);
                    Elementwise(CudaKernelSource.ForwardKernel(s.Activation), n,
                        KernelArg.Ptr(_z[i].Pointer), KernelArg.Ptr(s.BiasOffset >= 0 ? _params.At(s.BiasOffset) : IntPtr.Zero),
                        KernelArg.Ptr(_a[i].Pointer), KernelArg.Int(batch), KernelArg.Int(s.OutputSize), KernelArg.Float(s.Parameter));
                    break;
                case PlanStepKind.Activation:
                    Elementwise(CudaKernelSource.ForwardKernel(s.Activation), n,
                        KernelArg.Ptr(x), KernelArg.Ptr(IntPtr.Zero), KernelArg.Ptr(_a[i].Pointer),
                        KernelArg.Int(batch), KernelArg.Int(s.OutputSize), KernelArg.Float(s.Parameter));
                    break;
                case PlanStepKind.Softmax:
                    RowKernel(CudaKernelSource.SoftmaxForward, batch, s.OutputSize,
                        KernelArg.Ptr(x), KernelArg.Ptr(_a[i].Pointer), KernelArg.Int(batch), KernelArg.Int(s.OutputSize));
                    break;
                case PlanStepKind.Dropout:
                    if (training) // p = 0 gives a mask of ones: the uniform is never below 0
                        Elementwise(CudaKernelSource.DropoutForward, n, KernelArg.Ptr(x), KernelArg.Ptr(_a[i].Pointer), KernelArg.Ptr(_aux[i]!.Pointer),
                            KernelArg.Int(n), KernelArg.Float(s.Parameter), KernelArg.U64(DropoutSeed), KernelArg.Int(s.LayerIndex), KernelArg.Ptr(_counters.Pointer));
                    else
                        _device.CopyAsync(x, _a[i].Pointer, n);
                    break;
                case PlanStepKind.RRelu:
                    if (training)
                        Elementwise(CudaKernelSource.RReluForward, n, KernelArg.Ptr(x), KernelArg.Ptr(_a[i].Pointer), KernelArg.Ptr(_aux[i]!.Pointer),
                            KernelArg.Int(n), KernelArg.Float(s.Lower), KernelArg.Float(s.Upper), KernelArg.U64(DropoutSeed), KernelArg.Int(s.LayerIndex),
                            KernelArg.Ptr(_counters.Pointer));
                    else
                        Elementwise(CudaKernelSource.ForwardKernel(CudaActivation.LeakyReLU), n, KernelArg.Ptr(x), KernelArg.Ptr(IntPtr.Zero),
                            KernelArg.Ptr(_a[i].Pointer), KernelArg.Int(batch), KernelArg.Int(s.OutputSize), KernelArg.Float((s.Lower + s.Upper) / 2f));
                    break;
                case PlanStepKind.PRelu:
                    Elementwise(CudaKernelSource.PReluForward, n, KernelArg.Ptr(x), KernelArg.Ptr(_params.At(s.AlphaOffset)), KernelArg.Ptr(_a[i].Pointer),
                        KernelArg.Int(batch), KernelArg.Int(s.OutputSize), KernelArg.Int(s.AlphaShared ? 1 : 0));
                    break;
            }
        }
    }

    // ---- training ---------------------------------------------------------------------------------------------

    /// <summary>
    /// Enqueues one training step: copies the batch (through pinned buffers), runs forward in training mode, the loss
    /// with its fused gradient, backward, and the optimiser update. Returns without waiting for the device; the next
    /// call, <see cref="ReadLoss"/>, <see cref="Synchronize"/> and the copies wait. Captured into a CUDA graph from the
    /// second step of each batch size up to <see cref="GraphBatchLimit"/>.
    /// </summary>
    /// <param name="input">[batch, InputSize].</param>
    /// <param name="target">[batch, OutputSize]: one-hot or probabilities for cross entropy, 0/1 for BCE, values for MSE.</param>
    /// <param name="batch">The number of samples, 1 to <see cref="MaxBatch"/>.</param>
    public void TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> target, int batch)
    {
        if (_training?.Optimizer is null) ThrowHelper.ThrowInvalidOperation("TrainStep needs training options with an optimizer.");
        Stage(input, target, batch);
        if (UseCudaGraphs && batch <= GraphBatchLimit)
        {
            if (_graphMathMode != _device.MathModeVersion)
            {
                DropGraphs(); // captured under the other cuBLAS math mode (AllowTf32)
                _graphMathMode = _device.MathModeVersion;
            }
            if (_graphs.TryGetValue(batch, out IntPtr exec))
            {
                Check.Runtime(CudaNative.cudaGraphLaunch(exec, _device.Stream));
                return;
            }
            if (_warmBatches.Contains(batch))
            {
                // Warmed up (modules loaded, cuBLAS heuristics chosen): capture once, then replay.
                Check.Runtime(CudaNative.cudaStreamBeginCapture(_device.Stream, CudaNative.StreamCaptureModeThreadLocal));
                try
                {
                    EnqueueTrainStep(batch, update: true);
                }
                catch
                {
                    // End the broken capture (its status is a consequence, not the cause), free any partial graph,
                    // and let the original exception through.
                    if (CudaNative.cudaStreamEndCapture(_device.Stream, out IntPtr partial) == 0 && partial != IntPtr.Zero)
                        CudaNative.cudaGraphDestroy(partial);
                    throw;
                }
                Check.Runtime(CudaNative.cudaStreamEndCapture(_device.Stream, out IntPtr graph));
                try
                {
                    Check.Runtime(CudaNative.cudaGraphInstantiateWithFlags(out exec, graph, 0));
                }
                finally
                {
                    CudaNative.cudaGraphDestroy(graph);
                }
                _graphs[batch] = exec;
                Check.Runtime(CudaNative.cudaGraphLaunch(exec, _device.Stream));
                return;
            }
            _warmBatches.Add(batch);
        }
        EnqueueTrainStep(batch, update: true);
    }

    /// <summary>
    /// Forward (training mode), loss and backward without an update, then waits: the gradients (overwritten, not
    /// accumulated) can be read with <see cref="CopyGradientsTo(Span{float})"/>. Returns the loss.
    /// </summary>
    public float ComputeGradients(ReadOnlySpan<float> input, ReadOnlySpan<float> target, int batch)
    {
        if (_training is null || _training.Loss == CudaLoss.None) ThrowHelper.ThrowInvalidOperation("ComputeGradients needs training options with a loss.");
        Stage(input, target, batch);
        EnqueueTrainStep(batch, update: false);
        return ReadLoss();
    }

    /// <summary>The mean loss of the last training step (waits for the device).</summary>
    public float ReadLoss()
    {
        _device.MakeCurrent();
        _device.CopyToHostAsync(_loss.Pointer, _pinnedScalar.Pointer, 1);
        _device.Synchronize();
        return _pinnedScalar.Span[0];
    }

    /// <summary>Waits for every enqueued step; kernel faults surface here.</summary>
    public void Synchronize()
    {
        _device.MakeCurrent();
        _device.Synchronize();
    }

    private void Stage(ReadOnlySpan<float> input, ReadOnlySpan<float> target, int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckBatch(batch);
        ThrowHelper.CheckLength(input.Length, batch * Description.InputSize, nameof(input), "[batch, InputSize]");
        ThrowHelper.CheckLength(target.Length, batch * Description.OutputSize, nameof(target), "[batch, OutputSize]");
        _device.MakeCurrent();
        _device.Synchronize(); // the previous step has finished reading the pinned buffers
        input.CopyTo(_pinnedX.Span);
        target.CopyTo(_pinnedTarget!.Span);
    }

    private void CheckBatch(int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (batch <= 0 || batch > MaxBatch) ThrowHelper.ThrowArgumentOutOfRange(nameof(batch), batch, $"a batch in [1, {MaxBatch}]");
    }

    private void EnqueueTrainStep(int batch, bool update)
    {
        int inN = batch * Description.InputSize, outN = batch * Description.OutputSize;
        _device.CopyToDeviceAsync(_pinnedX.Pointer, _x.Pointer, inN);
        _device.CopyToDeviceAsync(_pinnedTarget!.Pointer, _target!.Pointer, outN);
        if (update) Launch1(CudaKernelSource.Increment, _counters.At(StepCounter));
        EnqueueForward(batch, training: true);
        Launch1(CudaKernelSource.Increment, _counters.At(ForwardCounter)); // after the pass, as Forward does

        // The loss, its gradient written where backward starts.
        var steps = _plan.Steps;
        int last = steps.Count - 1;
        CudaLoss loss = _training!.Loss;
        int start = last;             // the step whose output gradient the loss writes
        bool skipActivation = false;  // the loss's gradient is already dZ of a fused dense + sigmoid
        IntPtr logits = Output.Pointer;
        if (loss == CudaLoss.CrossEntropy && _plan.EndsInSoftmax || loss == CudaLoss.BinaryCrossEntropy && steps[last].Kind == PlanStepKind.Activation && _plan.EndsInSigmoid)
        {
            start = last - 1;
            logits = InputOf(last).Pointer;
        }
        else if (loss == CudaLoss.BinaryCrossEntropy && _plan.EndsInSigmoid)
        {
            skipActivation = true;
            logits = _z[last].Pointer;
        }
        IntPtr grad = start >= 0 ? _g[start].Pointer : _dInput!.Pointer;
        int cols = Description.OutputSize;
        switch (loss)
        {
            case CudaLoss.CrossEntropy:
                RowKernel(CudaKernelSource.SoftmaxCrossEntropy, batch, cols, KernelArg.Ptr(logits), KernelArg.Ptr(_target.Pointer), KernelArg.Ptr(grad),
                    KernelArg.Ptr(_lossTerms!.Pointer), KernelArg.Int(batch), KernelArg.Int(cols), KernelArg.Float(1f / batch));
                Reduce(_lossTerms.Pointer, _loss.Pointer, batch, 1f / batch);
                break;
            case CudaLoss.BinaryCrossEntropy:
                Elementwise(CudaKernelSource.SigmoidBce, outN, KernelArg.Ptr(logits), KernelArg.Ptr(_target.Pointer), KernelArg.Ptr(grad),
                    KernelArg.Ptr(_lossTerms!.Pointer), KernelArg.Int(outN), KernelArg.Float(1f / outN));
                Reduce(_lossTerms.Pointer, _loss.Pointer, outN, 1f / outN);
                break;
            case CudaLoss.MeanSquaredError:
                Elementwise(CudaKernelSource.MeanSquared, outN, KernelArg.Ptr(logits), KernelArg.Ptr(_target.Pointer), KernelArg.Ptr(grad),
                    KernelArg.Ptr(_lossTerms!.Pointer), KernelArg.Int(outN), KernelArg.Float(1f / outN));
                Reduce(_lossTerms.Pointer, _loss.Pointer, outN, 1f / outN);
                break;
        }

        EnqueueBackward(batch, start, skipActivation);
        if (update) EnqueueUpdate();
    }

    private void EnqueueBackward(int batch, int start, bool skipActivation)
    {
        var steps = _plan.Steps;
        for (int i = start; i >= 0; i--)
        {
            var s = steps[i];
            IntPtr x = InputOf(i).Pointer;
            IntPtr g = _g[i].Pointer;
            IntPtr dIn = i > 0 ? _g[i - 1].Pointer : _dInput!.Pointer;
            int n = batch * s.OutputSize;
            bool needInputGradient = i > 0;
            switch (s.Kind)
            {
                case PlanStepKind.Dense:
                    if (s.Activation != CudaActivation.Identity && !(skipActivation && i == start))
                        Elementwise(CudaKernelSource.BackwardKernel(s.Activation), n, KernelArg.Ptr(_z[i].Pointer), KernelArg.Ptr(_a[i].Pointer),
                            KernelArg.Ptr(g), KernelArg.Ptr(g), KernelArg.Int(n), KernelArg.Float(s.Parameter));
                    // dW[out, in] = dZᵀ·X ; db = column sums of dZ ; dX = dZ·W.
                    RowMajorGemm.Run(_device, true, false, s.OutputSize, s.InputSize, batch, 1f, g, x, 0f, _grads.At(s.WeightOffset));
                    if (s.BiasOffset >= 0) ColumnSums(g, _grads.At(s.BiasOffset), batch, s.OutputSize);
                    if (needInputGradient)
                        RowMajorGemm.Run(_device, false, false, batch, s.InputSize, s.OutputSize, 1f, g, _params.At(s.WeightOffset), 0f, dIn);
                    break;
                case PlanStepKind.Activation:
                    if (needInputGradient)
                        Elementwise(CudaKernelSource.BackwardKernel(s.Activation), n, KernelArg.Ptr(x), KernelArg.Ptr(_a[i].Pointer),
                            KernelArg.Ptr(g), KernelArg.Ptr(dIn), KernelArg.Int(n), KernelArg.Float(s.Parameter));
                    break;
                case PlanStepKind.Softmax:
                    if (needInputGradient)
                        RowKernel(CudaKernelSource.SoftmaxBackward, batch, s.OutputSize, KernelArg.Ptr(_a[i].Pointer), KernelArg.Ptr(g), KernelArg.Ptr(dIn),
                            KernelArg.Int(batch), KernelArg.Int(s.OutputSize));
                    break;
                case PlanStepKind.Dropout:
                case PlanStepKind.RRelu:
                    if (needInputGradient)
                        Elementwise(CudaKernelSource.Multiply, n, KernelArg.Ptr(g), KernelArg.Ptr(_aux[i]!.Pointer), KernelArg.Ptr(dIn), KernelArg.Int(n));
                    break;
                case PlanStepKind.PRelu:
                    Elementwise(CudaKernelSource.PReluBackward, n, KernelArg.Ptr(x), KernelArg.Ptr(_params.At(s.AlphaOffset)), KernelArg.Ptr(g),
                        KernelArg.Ptr(dIn), KernelArg.Ptr(_aux[i]!.Pointer), KernelArg.Int(batch), KernelArg.Int(s.OutputSize), KernelArg.Int(s.AlphaShared ? 1 : 0));
                    if (s.AlphaShared) Reduce(_aux[i]!.Pointer, _grads.At(s.AlphaOffset), n, 1f);
                    else ColumnSums(_aux[i]!.Pointer, _grads.At(s.AlphaOffset), batch, s.OutputSize);
                    break;
            }
        }
    }

    private void EnqueueUpdate()
    {
        var o = _training!.Optimizer!;
        int n = Description.ParameterCount;
        if (n == 0) return;
        if (o.Kind == CudaOptimizerKind.Sgd)
            Elementwise(CudaKernelSource.Sgd, n, KernelArg.Ptr(_params.Pointer), KernelArg.Ptr(_grads.Pointer), KernelArg.Ptr(_state1?.Pointer ?? IntPtr.Zero),
                KernelArg.Int(n), KernelArg.Ptr(_lr.Pointer), KernelArg.Float(o.Momentum), KernelArg.Float(o.Dampening), KernelArg.Float(o.WeightDecay),
                KernelArg.Int(o.Nesterov ? 1 : 0), KernelArg.Ptr(_counters.Pointer));
        else
            Elementwise(CudaKernelSource.Adam, n, KernelArg.Ptr(_params.Pointer), KernelArg.Ptr(_grads.Pointer), KernelArg.Ptr(_state1!.Pointer),
                KernelArg.Ptr(_state2!.Pointer), KernelArg.Int(n), KernelArg.Ptr(_lr.Pointer), KernelArg.Float(o.Beta1), KernelArg.Float(o.Beta2),
                KernelArg.Float(o.Epsilon), KernelArg.Float(o.WeightDecay), KernelArg.Int(o.DecoupledWeightDecay ? 1 : 0), KernelArg.Ptr(_counters.Pointer));
    }

    // ---- launches ---------------------------------------------------------------------------------------------

    private void Elementwise(string kernel, long n, params ReadOnlySpan<KernelArg> args) =>
        KernelLauncher.Launch(_fn[kernel], (Math.Min(KernelLauncher.Blocks(n, _threads), _maxBlocks), 1), ((uint)_threads, 1), 0, _device.Stream, args);

    private void RowKernel(string kernel, int rows, int cols, params ReadOnlySpan<KernelArg> args)
    {
        uint threads = 32;
        while (threads < 256 && threads < cols) threads <<= 1; // a power of two: the block reductions need it
        KernelLauncher.Launch(_fn[kernel], ((uint)rows, 1), (threads, 1), 0, _device.Stream, args);
    }

    private void ColumnSums(IntPtr x, IntPtr output, int rows, int cols) =>
        KernelLauncher.Launch(_fn[CudaKernelSource.ColumnSum], ((uint)((cols + 31) / 32), 1), (32, 32), 0, _device.Stream,
            [KernelArg.Ptr(x), KernelArg.Ptr(output), KernelArg.Int(rows), KernelArg.Int(cols)]);

    private void Reduce(IntPtr x, IntPtr output, int n, float scale) =>
        KernelLauncher.Launch(_fn[CudaKernelSource.Sum], (1, 1), (256, 1), 0, _device.Stream,
            [KernelArg.Ptr(x), KernelArg.Ptr(output), KernelArg.Int(n), KernelArg.Float(scale)]);

    private void Launch1(string kernel, IntPtr counter) =>
        KernelLauncher.Launch(_fn[kernel], (1, 1), (1, 1), 0, _device.Stream, [KernelArg.Ptr(counter)]);

    /// <summary>Frees the graphs and every device and pinned buffer.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            _device.MakeCurrent();
            CudaNative.cudaStreamSynchronize(_device.Stream);
        }
        catch (Exception e) when (e is CudaException or ObjectDisposedException)
        {
        }
        DropGraphs();
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
    }

    private void DropGraphs()
    {
        foreach (IntPtr exec in _graphs.Values) CudaNative.cudaGraphExecDestroy(exec);
        _graphs.Clear();
    }
}
