using System;
using System.Collections.Generic;
using System.Globalization;
using SourceGenNN.CompilerServices;
using SourceGenNN.Training;

namespace SourceGenNN.Cuda;

/// <summary>
/// Runs a network on a GPU: parameters, buffers, gradients and optimiser state live on the device; each layer kind's GPU
/// class (<see cref="CudaLayer"/>) launches its kernels, generated for this network and compiled with NVRTC, and cuBLAS
/// runs the GEMMs. The executor walks the graph without knowing any kind: it gives every tensor a buffer (views share
/// their input's), every tensor whose gradient is needed a gradient buffer (summing the gradients of a tensor that
/// several layers read), and calls the layers in order. A training step (copy the batch through pinned staging
/// buffers, forward, fused loss, backward, optimiser update) is captured once into a CUDA graph per batch size and
/// replayed, for batches up to <see cref="GraphBatchLimit"/>. Use from one thread at a time.
/// </summary>
/// <example>
/// <code>
/// using var gpu = CudaDevice.Open();
/// var mlp = new Mlp(seed: 1);
/// var options = new CudaTrainingOptions(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-3f));
/// using var net = CudaNetwork.Create(gpu, mlp, options, maxBatch: 64);
/// float[] x = new float[64 * Mlp.InputSize], oneHot = new float[64 * Mlp.OutputSize]; // a batch and its targets
/// net.TrainStep(x, oneHot, batch: 64);
/// net.CopyParametersTo(mlp);
///
/// [Network(784)] [Dense(128)] [ReLU] [Dense(10)]
/// public partial class Mlp { }
/// </code>
/// </example>
public sealed class CudaNetwork : IDisposable
{
    private readonly CudaDevice _device;
    private readonly CudaPlan _plan;
    private readonly CudaModule _module;
    private readonly CudaContext _context;
    private readonly CudaTrainingOptions? _training;
    private readonly List<IDisposable> _owned = new();
    private readonly DeviceBuffer _params, _grads, _buffers, _x, _lr, _counters, _loss;
    private readonly DeviceBuffer? _clip, _clipSlices;
    private GradientClipping? _clipping;
    private readonly DeviceBuffer? _state1, _state2, _target, _lossTerms, _buffersBefore;
    private readonly Dictionary<string, IntPtr> _tensor = new(StringComparer.Ordinal), _gradient = new(StringComparer.Ordinal);
    private readonly StepTensors[] _io;
    private readonly List<(int Step, IntPtr Into, IntPtr Part, long PerSample)>[] _additions;
    private readonly PinnedBuffer _pinnedX, _pinnedOut, _pinnedScalar;
    private readonly PinnedBuffer? _pinnedTarget;
    private readonly Dictionary<string, IntPtr> _fn = new(StringComparer.Ordinal);
    private readonly Dictionary<int, IntPtr> _graphs = new();
    private readonly HashSet<int> _warmBatches = new();
    private readonly List<(int Offset, string Input, int Keys, string Layer)> _keyLengths = new();
    private int _graphMathMode;
    private bool _disposed;

    private CudaNetwork(CudaDevice device, INetwork network, CudaTrainingOptions? training, int maxBatch)
    {
        _device = device;
        _training = training;
        Description = network.Description;
        _plan = CudaPlan.Build(Description, training?.Loss ?? CudaLoss.None);
        MaxBatch = maxBatch;
        Source = CudaKernelSource.Generate(_plan, training);
        device.MakeCurrent();
        _module = CudaModule.Load(device, Source.Text);
        foreach (string k in Source.Kernels) _fn[k] = _module.Function(k); // resolved before any graph capture
        foreach (var step in _plan.Steps)
            if (step is CudaAttentionLayer { LengthsInput: { } lengths } a)
                _keyLengths.Add((InputOffset(lengths), lengths, a.Keys, a.Layer.Name));
        _context = new CudaContext(device, _fn, _owned);
        var steps = _plan.Steps;
        _io = new StepTensors[steps.Count];
        _additions = new List<(int, IntPtr, IntPtr, long)>[steps.Count];

        try
        {
        int p = Description.ParameterCount;
        bool train = training is not null;
        _params = Own(new DeviceBuffer(Math.Max(1, p)));
        _grads = Own(new DeviceBuffer(Math.Max(1, p)));
        _buffers = Own(new DeviceBuffer(Math.Max(1, Description.BufferCount)));
        _x = Own(new DeviceBuffer((long)maxBatch * Description.InputSize));
        _lr = Own(new DeviceBuffer(1));
        _counters = Own(new DeviceBuffer(CounterCount, sizeof(ulong)));
        _loss = Own(new DeviceBuffer(1));
        _pinnedX = Own(new PinnedBuffer(maxBatch * Description.InputSize));
        _pinnedOut = Own(new PinnedBuffer(maxBatch * Math.Max(Description.OutputSize, Widest(LogitsSize()))));
        _pinnedScalar = Own(new PinnedBuffer(4));
        _context.Parameters = _params.Pointer;
        _context.Gradients = _grads.Pointer;
        _context.Buffers = _buffers.Pointer;
        _context.Counters = _counters.Pointer;

        // The network inputs: one input is the staged batch itself; several are split out of the packed rows.
        var inputs = Description.Inputs;
        if (inputs.Count == 1) _tensor[inputs[0].Name] = _x.Pointer;
        else foreach (var i in inputs) _tensor[i.Name] = Own(new DeviceBuffer((long)maxBatch * i.Size)).Pointer;

        // Every step's output: views share their input's memory.
        foreach (var step in steps)
        {
            step.Allocate(_context, maxBatch, train);
            _tensor[step.OutputTensor] = step.IsView ? _tensor[step.Layer.Inputs[0]] : Own(new DeviceBuffer((long)maxBatch * step.OutputSize)).Pointer;
        }

        if (train)
        {
            // A gradient buffer for every tensor whose gradient is needed; the first reader (in backward order) writes it,
            // the others write a part that is added to it.
            foreach (var (name, pointer) in _tensor)
                if (_plan.Needs(name)) _gradient[name] = Own(new DeviceBuffer((long)maxBatch * SizeOf(name))).Pointer;
            var written = new HashSet<string> { _plan.LossTensor };
            var parts = new List<DeviceBuffer>();
            for (int s = steps.Count - 1; s >= 0; s--)
            {
                var step = steps[s];
                var layer = step.Layer;
                var grads = new IntPtr[layer.Inputs.Count];
                _additions[s] = new();
                int part = 0;
                if (_plan.RunsBackward(s))
                    for (int k = 0; k < grads.Length; k++)
                    {
                        string t = layer.Inputs[k];
                        if (!_plan.Needs(t)) continue;
                        if (written.Add(t))
                        {
                            grads[k] = _gradient[t];
                            continue;
                        }
                        if (parts.Count <= part) parts.Add(Own(new DeviceBuffer((long)maxBatch * Widest(0))));
                        grads[k] = parts[part++].Pointer;
                        _additions[s].Add((s, _gradient[t], grads[k], SizeOf(t)));
                    }
                _io[s] = new StepTensors(Inputs(layer), _tensor[step.OutputTensor], _gradient.GetValueOrDefault(step.OutputTensor), grads);
            }
            _target = Own(new DeviceBuffer((long)maxBatch * Description.OutputSize));
            _lossTerms = Own(new DeviceBuffer((long)maxBatch * Description.OutputSize));
            _pinnedTarget = Own(new PinnedBuffer(maxBatch * Description.OutputSize));
            var opt = training!.Optimizer;
            if (opt is not null && Description.BufferCount > 0) _buffersBefore = Own(new DeviceBuffer(Description.BufferCount));
            if (opt is not null)
            {
                _clip = Own(new DeviceBuffer(4));
                _clipSlices = Own(new DeviceBuffer(CudaKernelSource.ClipSlices));
            }
            if (opt is { Kind: CudaOptimizerKind.Adam })
            {
                _state1 = Own(new DeviceBuffer(Math.Max(1, p)));
                _state2 = Own(new DeviceBuffer(Math.Max(1, p)));
            }
            else if (opt is { Kind: CudaOptimizerKind.Sgd, Momentum: not 0f })
            {
                _state1 = Own(new DeviceBuffer(Math.Max(1, p)));
            }
        }
        else
        {
            for (int s = 0; s < steps.Count; s++)
                _io[s] = new StepTensors(Inputs(steps[s].Layer), _tensor[steps[s].OutputTensor], IntPtr.Zero, new IntPtr[steps[s].Layer.Inputs.Count]);
        }

        // Zeroed state, the counters at 0, the learning rate, then the network's parameters and buffers.
        foreach (var b in new[] { _grads, _state1, _state2, _counters, _loss })
            if (b is not null && b.Length > 0) device.ZeroAsync(b.Pointer, b.Bytes);
        device.Synchronize();
        SetLearningRate(training?.Optimizer?.LearningRate ?? 0f);
        if (_clip is not null) WriteClipping(null);
        CopyParametersFrom(network);
        }
        catch
        {
            for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose(); // nothing leaks from a failed construction
            throw;
        }

        IntPtr[] Inputs(LayerDescription layer)
        {
            var r = new IntPtr[layer.Inputs.Count];
            for (int k = 0; k < r.Length; k++) r[k] = _tensor[layer.Inputs[k]];
            return r;
        }
    }

    /// <summary>Where a network input starts in a packed sample.</summary>
    private int InputOffset(string input)
    {
        int offset = 0;
        foreach (var i in Description.Inputs)
        {
            if (i.Name == input) return offset;
            offset += i.Size;
        }
        throw new ArgumentException($"'{input}' is not an input of {Description.Name}.", nameof(input));
    }

    /// <summary>
    /// Checks the key lengths in a packed batch on the host, as the CPU kernel does: each a whole number of valid keys in
    /// [0, S]. (The device clamps them too, but a wrong length is a mistake to report, not to train on.)
    /// </summary>
    private void CheckKeyLengths(ReadOnlySpan<float> input, int batch)
    {
        foreach (var (offset, name, keys, layer) in _keyLengths)
            for (int n = 0; n < batch; n++)
            {
                float l = input[n * Description.InputSize + offset];
                if (!(l >= 0 && l <= keys) || l != MathF.Floor(l))
                    throw new ArgumentOutOfRangeException(nameof(input), l,
                        $"The key length '{name}' of sample {n} is {l}, but layer '{layer}' expects a whole number of valid key positions in [0, {keys}].");
            }
    }

    /// <summary>Elements of one sample of a tensor.</summary>
    private int SizeOf(string tensor)
    {
        foreach (var i in Description.Inputs) if (i.Name == tensor) return i.Size;
        return Description.FindLayer(tensor)!.OutputSize;
    }

    private int LogitsSize() => SizeOf(_plan.LogitsTensor);

    /// <summary>The largest tensor of one sample (at least <paramref name="floor"/>).</summary>
    private int Widest(int floor)
    {
        int w = floor;
        foreach (var i in Description.Inputs) w = Math.Max(w, i.Size);
        foreach (var l in Description.Layers) w = Math.Max(w, l.OutputSize);
        return w;
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
        if (training is { ClassesPerStep: not 0 } perStep)
        {
            int classes = perStep.ClassesPerStep, outputs = network.Description.OutputSize;
            if (perStep.Loss != CudaLoss.CrossEntropy || classes < 0 || outputs % classes != 0)
                throw new ArgumentOutOfRangeException(nameof(training), string.Create(CultureInfo.InvariantCulture,
                    $"ClassesPerStep is {classes}: it needs the cross-entropy loss and a positive number of classes that divides the network's {outputs} outputs."));
            if (network.Description.FusedActivation == LayerKindNames.Softmax)
                throw new NotSupportedException(
                    "Cross entropy per step reads each step's logits, but this network ends in Softmax; end it in the Dense that gives the logits.");
        }
        return new CudaNetwork(device, network, training, maxBatch);
    }

    /// <summary>The network's description.</summary>
    public NetworkDescription Description { get; }

    /// <summary>The kernels compiled for this network.</summary>
    internal CudaKernelSource Source { get; }

    /// <summary>The CUDA C source of the kernels compiled for this network.</summary>
    public string KernelSource => Source.Text;

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
            _context.Seed = value;
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

    /// <summary>Copies <paramref name="network"/>'s parameters and state buffers to the device (same structure required).</summary>
    public void CopyParametersFrom(INetwork network)
    {
        CheckSameStructure(network);
        _device.MakeCurrent();
        _params.Upload(network.Parameters);
        if (Description.BufferCount > 0) _buffers.Upload(network.Buffers);
    }

    /// <summary>Copies the device's parameters and state buffers into <paramref name="network"/> (same structure required).</summary>
    public void CopyParametersTo(INetwork network)
    {
        CheckSameStructure(network);
        _device.MakeCurrent();
        _device.Synchronize();
        _params.Download(network.Parameters);
        if (Description.BufferCount > 0) _buffers.Download(network.Buffers);
    }

    /// <summary>Copies the device's state buffers (the layout of <see cref="INetwork.Buffers"/>) to the host.</summary>
    public void CopyBuffersTo(Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowHelper.CheckLength(destination.Length, Description.BufferCount, nameof(destination), "[BufferCount]");
        _device.MakeCurrent();
        _device.Synchronize();
        if (destination.Length > 0) _buffers.Download(destination);
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

    /// <summary>
    /// Gradient clipping in every <see cref="TrainStep"/>, between the backward pass and the update, with PyTorch's
    /// semantics (<see cref="Training.GradientClipping.Norm"/>: <c>clip_grad_norm_</c>,
    /// <see cref="Training.GradientClipping.Value"/>: <c>clip_grad_value_</c>); null, the default, for none. Graphs read it
    /// from device memory, so it can change between steps. <see cref="Training.Trainer.UseDevice"/> sets it from the
    /// trainer's own <see cref="Training.Trainer.GradientClipping"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The executor has no optimiser.</exception>
    public GradientClipping? GradientClipping
    {
        get => _clipping;
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_clip is null) ThrowHelper.ThrowInvalidOperation("Gradient clipping needs training options with an optimizer.");
            WriteClipping(value);
            _clipping = value;
        }
    }

    /// <summary>
    /// The total gradient norm of the last <see cref="TrainStep"/> before it was clipped, as <c>clip_grad_norm_</c>
    /// returns it (waits for the device); NaN when <see cref="GradientClipping"/> does not clip by norm.
    /// </summary>
    public float ReadGradientNorm()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_clip is null || _clipping is not { ByNorm: true }) return float.NaN;
        return ReadScalar(_clip.Pointer + 3 * sizeof(float));
    }

    /// <summary>clip = [mode, limit, p, total] (see the clipping kernels): 0 none, 1 the p-norm, 2 by value, 3 the ∞-norm.</summary>
    private void WriteClipping(GradientClipping? c) => WriteScalars(_clip!.Pointer,
    [
        c is null ? 0f : !c.ByNorm ? 2f : double.IsPositiveInfinity(c.NormType) ? 3f : 1f,
        c is null ? 0f : (float)c.Limit,
        c is { ByNorm: true } && !double.IsPositiveInfinity(c.NormType) ? (float)c.NormType : 0f,
        float.NaN,
    ]);

    /// <summary>Copies a few floats (at most the pinned scalars' 4) to device memory and waits.</summary>
    private void WriteScalars(IntPtr destination, ReadOnlySpan<float> values)
    {
        _device.MakeCurrent();
        _device.Synchronize(); // the pinned scalars may still be in use by an earlier copy
        values.CopyTo(_pinnedScalar.Span);
        _device.CopyToDeviceAsync(_pinnedScalar.Pointer, destination, values.Length);
        _device.Synchronize();
    }

    /// <summary>Reads one float of device memory after the work enqueued before it.</summary>
    private float ReadScalar(IntPtr source)
    {
        _device.MakeCurrent();
        _device.CopyToHostAsync(source, _pinnedScalar.Pointer, 1);
        _device.Synchronize();
        return _pinnedScalar.Span[0];
    }

    /// <summary>Sets the learning rate used by the following steps (graphs read it from device memory).</summary>
    public void SetLearningRate(float learningRate)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WriteScalars(_lr.Pointer, [learningRate]);
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
    // Then two flags: the guard (SkipNonFiniteSteps) and whether the current step is skipped (set by sgnn_step_gate).
    private const int StepCounter = 0, ForwardCounter = 1, GuardFlag = 2, CounterCount = 4;

    /// <summary>
    /// Whether a training step whose loss is NaN or infinite changes nothing: the device skips the update, the step
    /// count and the state buffers' changes (without waiting for the host; the step's graph does it). Off by default,
    /// as on the CPU, where <c>Trainer.TrainStep</c> applies any loss; <c>Trainer.Fit</c> turns it on.
    /// </summary>
    internal bool SkipNonFiniteSteps
    {
        get => _skipNonFinite;
        set
        {
            if (value == _skipNonFinite) return;
            WriteCounter(GuardFlag, value ? 1UL : 0UL);
            _skipNonFinite = value;
        }
    }

    private bool _skipNonFinite;

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
    /// <param name="input">[batch, InputSize]: with several network inputs, each sample's inputs side by side.</param>
    /// <param name="output">[batch, OutputSize]; written.</param>
    /// <param name="batch">The number of samples, 1 to <see cref="MaxBatch"/>.</param>
    /// <param name="training">Training mode.</param>
    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch = 1, bool training = false)
    {
        CheckBatch(batch);
        ThrowHelper.CheckLength(input.Length, batch * Description.InputSize, nameof(input), "[batch, InputSize]");
        ThrowHelper.CheckLength(output.Length, batch * Description.OutputSize, nameof(output), "[batch, OutputSize]");
        if (training && _training is null) ThrowHelper.ThrowInvalidOperation("Training-mode forward passes need training options.");
        CheckKeyLengths(input, batch);
        _device.MakeCurrent();
        _device.Synchronize();
        input.CopyTo(_pinnedX.Span);
        _device.CopyToDeviceAsync(_pinnedX.Pointer, _x.Pointer, (long)batch * Description.InputSize);
        EnqueueForward(batch, training);
        if (training) _context.Single(CudaKernelSource.Increment, _counters.At(ForwardCounter)); // after the pass: it keyed its masks with the count before it
        _device.CopyToHostAsync(Output, _pinnedOut.Pointer, (long)batch * Description.OutputSize);
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
        Download(Output, output);
    }

    /// <summary>
    /// Copies the logits of the last forward pass to the host (waits for the device), as <see cref="INetwork.Logits"/>
    /// defines them: the input of the final Softmax or Sigmoid layer, or the output when the network ends in neither.
    /// </summary>
    public void CopyLogitsTo(Span<float> logits, int batch)
    {
        CheckBatch(batch);
        ThrowHelper.CheckLength(logits.Length, batch * LogitsSize(), nameof(logits), "[batch, OutputSize]");
        Download(_tensor[_plan.LogitsTensor], logits);
    }

    /// <summary>
    /// Copies the attention weights of the attention layer named <paramref name="layer"/> in the last forward pass to the
    /// host (waits for the device): [batch, heads, queries, keys], each row the softmax over the keys the query sees, 0 at
    /// masked keys, before dropout; what a generated network's <c>AttentionWeights(layer)</c> returns.
    /// </summary>
    /// <param name="layer">The name of a MultiheadAttention or ScaledDotProductAttention layer.</param>
    /// <param name="weights">[batch, heads, queries, keys]; written.</param>
    /// <param name="batch">The samples of the last forward pass to copy.</param>
    /// <exception cref="ArgumentException"><paramref name="layer"/> is not an attention layer of this network.</exception>
    public void CopyAttentionWeightsTo(string layer, Span<float> weights, int batch)
    {
        ArgumentNullException.ThrowIfNull(layer);
        CheckBatch(batch);
        CudaAttentionLayer? found = null;
        var names = new List<string>();
        foreach (var step in _plan.Steps)
            if (step is CudaAttentionLayer a)
            {
                names.Add("'" + a.Layer.Name + "'");
                if (a.Layer.Name == layer) found = a;
            }
        if (found is null)
            throw new ArgumentException($"'{layer}' is not an attention layer of {Description.Name}; its attention layers are {(names.Count == 0 ? "none" : string.Join(", ", names))}.", nameof(layer));
        ThrowHelper.CheckLength(weights.Length, batch * found.WeightsPerSample, nameof(weights), "[batch, heads, queries, keys]");
        _device.MakeCurrent();
        _device.Synchronize();
        found.Weights.Download(weights);
    }

    private void Download(IntPtr source, Span<float> destination)
    {
        _device.MakeCurrent();
        _device.Synchronize();
        _device.CopyToHostAsync(source, _pinnedOut.Pointer, destination.Length);
        _device.Synchronize();
        _pinnedOut.Span[..destination.Length].CopyTo(destination);
    }

    private IntPtr Output => _tensor[_plan.OutputTensor];

    private void EnqueueForward(int batch, bool training)
    {
        var inputs = Description.Inputs;
        if (inputs.Count > 1)
        {
            // Split the packed rows [batch, InputSize] into one buffer per input.
            int offset = 0;
            foreach (var i in inputs)
            {
                _context.Elementwise(CudaKernelSource.ReadBlocks, (long)batch * i.Size, KernelArg.Ptr(_x.Pointer), KernelArg.Ptr(_tensor[i.Name]),
                    KernelArg.Int(batch), KernelArg.Int(i.Size), KernelArg.Int(Description.InputSize), KernelArg.Int(offset));
                offset += i.Size;
            }
        }
        var steps = _plan.Steps;
        for (int s = 0; s < steps.Count; s++) steps[s].Forward(_context, _io[s], batch, training);
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
    public float ReadLoss() => ReadScalar(_loss.Pointer);

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
        CheckKeyLengths(input, batch);
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
        // The state buffers before the forward pass changes them, for a step the gate skips (a few floats: BatchNorm's
        // running statistics).
        if (update && _buffersBefore is not null) _context.Copy(_buffers.Pointer, _buffersBefore.Pointer, Description.BufferCount);
        EnqueueForward(batch, training: true);
        _context.Single(CudaKernelSource.Increment, _counters.At(ForwardCounter)); // after the pass, as Forward does

        // The loss, its gradient written where backward starts: dLoss/dLogits when it fuses the final Softmax or
        // Sigmoid (whose backward then does not run), else dLoss/dOutput.
        IntPtr logits = _tensor[_plan.LossTensor];
        IntPtr grad = _gradient[_plan.LossTensor];
        int cols = Description.OutputSize;
        switch (_training!.Loss)
        {
            case CudaLoss.CrossEntropy:
            {
                // One prediction per sample, or per step of a sequence output (ClassesPerStep): rows of C logits.
                int classes = _training.ClassesPerStep > 0 ? _training.ClassesPerStep : cols, rows = batch * (cols / classes);
                _context.Rows(CudaKernelSource.SoftmaxCrossEntropy, rows, classes, KernelArg.Ptr(logits), KernelArg.Ptr(_target.Pointer), KernelArg.Ptr(grad),
                    KernelArg.Ptr(_lossTerms!.Pointer), KernelArg.Int(rows), KernelArg.Int(classes), KernelArg.Float(1f / rows));
                _context.Sum(_lossTerms.Pointer, _loss.Pointer, rows, 1f / rows);
                break;
            }
            case CudaLoss.BinaryCrossEntropy:
                _context.Elementwise(CudaKernelSource.SigmoidBce, outN, KernelArg.Ptr(logits), KernelArg.Ptr(_target.Pointer), KernelArg.Ptr(grad),
                    KernelArg.Ptr(_lossTerms!.Pointer), KernelArg.Int(outN), KernelArg.Float(1f / outN));
                _context.Sum(_lossTerms.Pointer, _loss.Pointer, outN, 1f / outN);
                break;
            case CudaLoss.MeanSquaredError:
                _context.Elementwise(CudaKernelSource.MeanSquared, outN, KernelArg.Ptr(logits), KernelArg.Ptr(_target.Pointer), KernelArg.Ptr(grad),
                    KernelArg.Ptr(_lossTerms!.Pointer), KernelArg.Int(outN), KernelArg.Float(1f / outN));
                _context.Sum(_lossTerms.Pointer, _loss.Pointer, outN, 1f / outN);
                break;
        }

        if (update)
        {
            // The step count advances here, unless the guard is on and the loss is not finite: then the update kernels
            // return at once and the state buffers go back (sgnn_step_gate).
            _context.Launch(CudaKernelSource.StepGate, (1, 1), (1, 1), KernelArg.Ptr(_loss.Pointer), KernelArg.Ptr(_counters.Pointer));
            if (_buffersBefore is not null)
                _context.Elementwise(CudaKernelSource.RestoreIfSkipped, Description.BufferCount, KernelArg.Ptr(_buffers.Pointer), KernelArg.Ptr(_buffersBefore.Pointer),
                    KernelArg.U64((ulong)Description.BufferCount), KernelArg.Ptr(_counters.Pointer));
        }

        var steps = _plan.Steps;
        for (int s = steps.Count - 1; s >= 0; s--)
        {
            if (!_plan.RunsBackward(s)) continue;
            steps[s].Backward(_context, _io[s], batch);
            foreach (var (_, into, part, perSample) in _additions[s])
                _context.Elementwise(CudaKernelSource.AddInPlace, batch * perSample, KernelArg.Ptr(into), KernelArg.Ptr(part), KernelArg.U64((ulong)(batch * perSample)));
        }
        if (update)
        {
            EnqueueClipping();
            EnqueueUpdate();
        }
    }

    /// <summary>The clipping kernels (they return at once when the device's clip mode is none).</summary>
    private void EnqueueClipping()
    {
        int n = Description.ParameterCount;
        if (n == 0 || _clip is null) return;
        const uint slices = CudaKernelSource.ClipSlices;
        _context.Launch(CudaKernelSource.ClipNormPartial, (slices, 1), (256, 1), KernelArg.Ptr(_grads.Pointer), KernelArg.U64((ulong)n),
            KernelArg.Ptr(_clip.Pointer), KernelArg.Ptr(_clipSlices!.Pointer));
        _context.Launch(CudaKernelSource.ClipNormTotal, (1, 1), (1, 1), KernelArg.Ptr(_clipSlices.Pointer), KernelArg.Int((int)slices), KernelArg.Ptr(_clip.Pointer));
        _context.Elementwise(CudaKernelSource.ClipApply, n, KernelArg.Ptr(_grads.Pointer), KernelArg.U64((ulong)n), KernelArg.Ptr(_clip.Pointer));
    }

    private void EnqueueUpdate()
    {
        var o = _training!.Optimizer!;
        int n = Description.ParameterCount;
        if (n == 0) return;
        if (o.Kind == CudaOptimizerKind.Sgd)
            _context.Elementwise(CudaKernelSource.Sgd, n, KernelArg.Ptr(_params.Pointer), KernelArg.Ptr(_grads.Pointer), KernelArg.Ptr(_state1?.Pointer ?? IntPtr.Zero),
                KernelArg.Int(n), KernelArg.Ptr(_lr.Pointer), KernelArg.Float(o.Momentum), KernelArg.Float(o.Dampening), KernelArg.Float(o.WeightDecay),
                KernelArg.Int(o.Nesterov ? 1 : 0), KernelArg.Ptr(_counters.Pointer));
        else
            _context.Elementwise(CudaKernelSource.Adam, n, KernelArg.Ptr(_params.Pointer), KernelArg.Ptr(_grads.Pointer), KernelArg.Ptr(_state1!.Pointer),
                KernelArg.Ptr(_state2!.Pointer), KernelArg.Int(n), KernelArg.Ptr(_lr.Pointer), KernelArg.Float(o.Beta1), KernelArg.Float(o.Beta2),
                KernelArg.Float(o.Epsilon), KernelArg.Float(o.WeightDecay), KernelArg.Int(o.DecoupledWeightDecay ? 1 : 0), KernelArg.Ptr(_counters.Pointer));
    }

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
