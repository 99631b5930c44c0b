using System;
using SourceGenNN.Cuda;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Training;

public sealed partial class Trainer
{
    private CudaNetwork? _gpu;
    private CudaTrainingOptions? _gpuOptions;
    private float[] _oneHot = [], _logits = [];
    private float _deviceRate = float.NaN;
    private bool _deviceAhead; // the device holds newer weights and optimiser state than Network and Optimizer
    private bool _disposed;

    /// <summary>The GPU that <see cref="Fit"/>, <see cref="Evaluate"/>, <see cref="Predict(ReadOnlySpan{float}, Span{float}, int)"/> and <see cref="TrainStep"/> run on, or null for the CPU.</summary>
    public CudaDevice? Device { get; private set; }

    /// <summary>
    /// Runs training and inference on <paramref name="device"/> from now on (null: back on the CPU). One line moves a
    /// trainer to the GPU:
    /// <code>using var gpu = CudaDevice.Open(); trainer.UseDevice(gpu);</code>
    /// The loss and the optimiser are mapped to their CUDA forms with the same (PyTorch) semantics, the network is
    /// compiled for the device and its current weights are copied there. Learning-rate schedules keep working.
    /// <see cref="Fit"/> copies the trained weights and the optimiser state back into <see cref="Network"/> and
    /// <see cref="Optimizer"/> when it ends (and keeps early-stopping snapshots on the host), so saving afterwards saves
    /// the trained weights. Between calls the host network is the reference: weights loaded into it are uploaded by the
    /// next call; after bare <see cref="TrainStep"/> calls, <see cref="CopyWeightsToHost"/> brings them back.
    /// Metrics are computed on the host from outputs copied back.
    /// </summary>
    /// <param name="device">An open device (<see cref="CudaDevice.Open"/>, which throws <see cref="CudaUnavailableException"/> with the reason when there is no GPU); the trainer does not dispose it.</param>
    /// <returns>This trainer.</returns>
    /// <exception cref="NotSupportedException">The loss, the optimiser or a layer has no GPU implementation; the message names it and lists what is supported. Nothing changes.</exception>
    public Trainer UseDevice(CudaDevice? device)
    {
        bool entered = Enter(nameof(UseDevice));
        try
        {
            return UseDeviceCore(device);
        }
        finally
        {
            Exit(entered);
        }
    }

    private Trainer UseDeviceCore(CudaDevice? device)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ReferenceEquals(device, Device)) return this;
        if (device is not null && _group is not null)
            throw new NotSupportedException("Data-parallel training (UseDistributed) runs on the CPU; a trainer in a group cannot move to a GPU.");
        CudaTrainingOptions? options = device is null ? null : CudaTrainingMapping.Map(Loss, Optimizer, Network.Description);
        ReleaseDevice(copyBack: true);
        if (device is null) return this;
        _gpuOptions = options;
        Device = device;
        try
        {
            CreateExecutor(Math.Max(256, _output.Length / Network.OutputSize));
        }
        catch
        {
            Device = null;
            _gpuOptions = null;
            throw;
        }
        return this;
    }

    /// <summary>
    /// After <see cref="TrainStep"/> calls on a device, copies the weights into <see cref="Network"/> and the optimiser
    /// state (moments, step count) into <see cref="Optimizer"/>. Does nothing on the CPU or when the host is current.
    /// <see cref="Fit"/> calls it when it ends.
    /// </summary>
    public void CopyWeightsToHost()
    {
        bool entered = Enter(nameof(CopyWeightsToHost));
        try
        {
            CopyWeightsToHostCore();
        }
        finally
        {
            Exit(entered);
        }
    }

    private void CopyWeightsToHostCore()
    {
        if (_gpu is null || !_deviceAhead) return;
        _gpu.CopyParametersTo(Network);
        var state = Optimizer.ExportState();
        int k = _gpu.OptimizerStateBuffers;
        ulong steps = _gpu.CopyOptimizerStateTo(k >= 1 ? state.Buffers[0].Value : default, k >= 2 ? state.Buffers[1].Value : default);
        Optimizer.ImportState(state with { Steps = (long)steps });
        if (Network is IRandomStream random) random.RandomStep = _gpu.RandomStep; // the training forwards run on the device
        _deviceAhead = false;
    }

    /// <summary>Frees the device memory of the GPU executor (without copying weights back; <see cref="Fit"/> already has). The device itself is not disposed.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ReleaseDevice(copyBack: false);
    }

    private int DeviceBatchLimit => _gpu?.MaxBatch ?? int.MaxValue;

    private void CreateExecutor(int maxBatch)
    {
        _gpu = CudaNetwork.Create(Device!, Network, _gpuOptions, maxBatch);
        // The network's own random stream, so that dropout and RReLU draw the masks the CPU would.
        if (Network is IRandomStream random) _gpu.DropoutSeed = random.RandomSeed;
        _deviceRate = _gpuOptions!.Optimizer!.LearningRate;
        _deviceAhead = false; // Create copied the host weights; the optimiser state follows at the first step
        int o = maxBatch * Network.OutputSize;
        if (_logits.Length < o) _logits = new float[o];
        if (Loss is CrossEntropy { Targets: CrossEntropyTarget.ClassIndex } && _oneHot.Length < o) _oneHot = new float[o];
    }

    private void ReleaseDevice(bool copyBack)
    {
        if (_gpu is null) return;
        try
        {
            if (copyBack) CopyWeightsToHost();
        }
        finally
        {
            _gpu.Dispose();
            _gpu = null;
            Device = null;
            _gpuOptions = null;
            _deviceAhead = false;
        }
    }

    /// <summary>Grows the device buffers for <paramref name="batch"/> (a new executor, after copying the state back).</summary>
    private void ReserveDevice(int batch)
    {
        if (_gpu is null || batch <= _gpu.MaxBatch) return;
        CopyWeightsToHost();
        _gpu.Dispose();
        _gpu = null;
        CreateExecutor(batch);
    }

    /// <summary>Before training on the device: when the host is current, upload its weights and optimiser state.</summary>
    private void BeginDeviceTraining()
    {
        if (_gpu is null || _deviceAhead) return;
        _gpu.CopyParametersFrom(Network);
        var state = Optimizer.ExportState();
        int k = _gpu.OptimizerStateBuffers;
        _gpu.CopyOptimizerStateFrom(k >= 1 ? state.Buffers[0].Value : default, k >= 2 ? state.Buffers[1].Value : default, (ulong)state.Steps);
        if (Network is IRandomStream random)
        {
            _gpu.DropoutSeed = random.RandomSeed; // Initialize may have changed it since the executor was made
            _gpu.RandomStep = random.RandomStep;
        }
        _deviceAhead = true;
    }

    /// <summary>Before inference on the device: when the host is current, upload its weights (they may have been loaded since).</summary>
    private void BeginDeviceInference()
    {
        if (_gpu is null || _deviceAhead) return;
        _gpu.CopyParametersFrom(Network);
    }

    /// <summary>
    /// The current parameters and state buffers into <paramref name="destination"/>, side by side (an early-stopping
    /// snapshot), from wherever they are newest.
    /// </summary>
    private void CopyCurrentWeightsTo(float[] destination)
    {
        int p = Network.Parameters.Length;
        if (_gpu is not null && _deviceAhead)
        {
            _gpu.CopyParametersTo(destination.AsSpan(0, p));
            _gpu.CopyBuffersTo(destination.AsSpan(p));
        }
        else
        {
            Network.Parameters.CopyTo(destination);
            Network.Buffers.CopyTo(destination.AsSpan(p));
        }
    }

    private float DeviceTrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> target, int batch, bool wantOutput, out ReadOnlySpan<float> output, bool guard)
    {
        var gpu = _gpu!;
        int nOut = Network.OutputSize;
        // The trainer's clipping runs on the device, in the same step (its graph reads the setting from device memory).
        if (!ReferenceEquals(gpu.GradientClipping, GradientClipping)) gpu.GradientClipping = GradientClipping;
        BeginDeviceTraining();
        ReadOnlySpan<float> deviceTarget = target;
        if (Loss is CrossEntropy { Targets: CrossEntropyTarget.ClassIndex } ce)
        {
            // One class index per sample, or per step for CrossEntropy.PerStep(C): one-hot rows of C.
            int classes = ce.Classes > 0 ? ce.Classes : nOut;
            var oneHot = _oneHot.AsSpan(0, batch * nOut);
            OneHot(target, oneHot, batch * (nOut / classes), classes);
            deviceTarget = oneHot;
        }
        float rate = Optimizer.LearningRate;
        if (rate != _deviceRate)
        {
            gpu.SetLearningRate(rate);
            _deviceRate = rate;
        }
        // Fit's guard: the device itself skips a step whose loss is not finite (update, step count, state buffers), in the
        // same captured graph, so nothing reaches the weights before the loss is read back below.
        gpu.SkipNonFiniteSteps = guard;
        gpu.TrainStep(input, deviceTarget, batch);
        float loss = gpu.ReadLoss();
        // As on the CPU: the norm before clipping (NaN when clipping by value), unchanged for a step the guard skipped.
        if (GradientClipping is { } clipping && (!guard || float.IsFinite(loss)))
            LastGradientNorm = clipping.ByNorm ? gpu.ReadGradientNorm() : float.NaN;
        if (wantOutput)
        {
            var o = _output.AsSpan(0, batch * nOut);
            gpu.CopyOutputTo(o, batch);
            output = o;
        }
        else output = default;
        return loss;
    }

    /// <summary>Class indices (one per sample, whole numbers in [0, classes)) as one-hot rows, as the CPU loss reads them.</summary>
    internal static void OneHot(ReadOnlySpan<float> classIndices, Span<float> oneHot, int batch, int classes)
    {
        oneHot.Clear();
        for (int n = 0; n < batch; n++)
        {
            float v = classIndices[n];
            int c = (int)v;
            if (c != v || c < 0 || c >= classes)
                ThrowHelper.ThrowArgumentOutOfRange("target", v, $"a class index in [0, {classes}) for sample {n}");
            oneHot[n * classes + c] = 1f;
        }
    }
}
