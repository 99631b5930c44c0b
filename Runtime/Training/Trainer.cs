using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using SourceGenNN.Data;
using SourceGenNN.Kernels;
using SourceGenNN.Metrics;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Training;

/// <summary>
/// Trains, evaluates and runs an <see cref="INetwork"/> with a loss, an optimiser and metrics. Every buffer a training
/// step needs is allocated for the batch size once; a steady-state <see cref="TrainStep"/> allocates nothing.
/// When the network ends in the layer the loss fuses with (Softmax for cross entropy, Sigmoid for binary cross
/// entropy) the loss is computed from <see cref="INetwork.Logits"/> and back-propagated with <c>fromLogits: true</c>.
/// <see cref="UseDevice"/> moves training and inference to a GPU with one call.
/// </summary>
public sealed partial class Trainer : IDisposable
{
    private readonly Metric[] _metrics;
    private float[] _output = [], _gradient = [], _xBatch = [], _yBatch = [], _buffersBefore = [];

    /// <summary>Creates a trainer.</summary>
    /// <param name="network">The network trained.</param>
    /// <param name="loss">The loss minimised.</param>
    /// <param name="optimizer">The optimiser, sized for the network's parameters.</param>
    /// <param name="metrics">Metrics reported per epoch (names must differ).</param>
    public Trainer(INetwork network, Loss loss, Optimizer optimizer, params Metric[] metrics)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(metrics);
        ThrowHelper.CheckLength(optimizer.ParameterCount, network.Parameters.Length, nameof(optimizer), "the optimiser's parameter count must be the network's");
        var names = new HashSet<string> { "loss" };
        foreach (var m in metrics)
        {
            ArgumentNullException.ThrowIfNull(m, nameof(metrics));
            if (!names.Add(m.Name)) throw new ArgumentException($"Two metrics are named '{m.Name}'.", nameof(metrics));
        }
        CheckLossFitsOutput(network, loss);
        Network = network;
        Loss = loss;
        Optimizer = optimizer;
        _metrics = metrics;
        Fused = loss.FusedActivation is not null && network.Description.FusedActivation == loss.FusedActivation;
    }

    /// <summary>The network trained.</summary>
    public INetwork Network { get; }

    // A trainer's buffers (and its network's) belong to one call at a time. The thread inside a public call owns the
    // trainer; a call from another thread meanwhile is an error rather than a race, and nested calls (Fit evaluating,
    // reserving) pass through.
    private int _owner;

    /// <summary>Claims the trainer for this thread: true when this call claimed it, false when the thread already held it.</summary>
    private bool Enter(string operation)
    {
        int me = Environment.CurrentManagedThreadId;
        int owner = System.Threading.Interlocked.CompareExchange(ref _owner, me, 0);
        if (owner == 0) return true;
        if (owner == me) return false;
        throw new InvalidOperationException(
            $"Trainer.{operation} was called while another thread was using the same trainer. A trainer (and its network) runs one call at a time; " +
            "give each thread its own, or for inference use the network's CloneForInference() on each thread.");
    }

    private void Exit(bool entered)
    {
        if (entered) System.Threading.Volatile.Write(ref _owner, 0);
    }

    /// <summary>The loss minimised.</summary>
    public Loss Loss { get; }

    /// <summary>The optimiser.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The metrics reported.</summary>
    public IReadOnlyList<Metric> Metrics => _metrics;

    /// <summary>Whether the loss is fused with the network's final activation (computed from the logits).</summary>
    public bool Fused { get; }

    /// <summary>Target values per sample the loss expects.</summary>
    public int TargetWidth => Loss.TargetWidth(Network.OutputSize);

    /// <summary>
    /// Preallocates the step buffers for batches of up to <paramref name="batchSize"/> samples, so that no later step
    /// of that size allocates. <see cref="Fit"/> and <see cref="TrainStep"/> call it as needed.
    /// </summary>
    public void Reserve(int batchSize)
    {
        bool entered = Enter(nameof(Reserve));
        try
        {
            ReserveCore(batchSize);
        }
        finally
        {
            Exit(entered);
        }
    }

    private void ReserveCore(int batchSize)
    {
        if (batchSize <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batchSize), batchSize, "a positive batch size");
        int o = OutputLength(batchSize, nameof(batchSize));
        if (_output.Length < o)
        {
            _output = new float[o];
            _gradient = new float[o];
        }
        if (_gpu is not null) ReserveDevice(batchSize);
    }

    /// <summary>
    /// One training step on a batch: zero the gradients, forward in training mode, loss and its gradient, backward,
    /// optimiser step. Returns the batch's loss. Allocates nothing once buffers for this batch size exist.
    /// </summary>
    /// <param name="input">[batch, InputSize].</param>
    /// <param name="target">[batch, <see cref="TargetWidth"/>].</param>
    /// <param name="batch">The number of samples.</param>
    /// <remarks>
    /// On a device (<see cref="UseDevice"/>) the step runs on the GPU and the weights stay there: call
    /// <see cref="CopyWeightsToHost"/> before reading or saving <see cref="Network"/> or the optimiser's state
    /// (<see cref="Fit"/>, <see cref="Evaluate"/> and <see cref="Predict(ReadOnlySpan{float}, Span{float}, int)"/> do it
    /// or need not).
    /// </remarks>
    public float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> target, int batch)
    {
        bool entered = Enter(nameof(TrainStep));
        try
        {
            return TrainStepCore(input, target, batch, wantOutput: false, out _, guard: false);
        }
        finally
        {
            Exit(entered);
        }
    }

    /// <summary>
    /// One training step. With <paramref name="guard"/> (<see cref="Fit"/>), a non-finite loss updates nothing: no
    /// backward pass, no optimiser step, and the state buffers (which the training forward pass updates) put back; the
    /// loss is returned for the caller to throw or skip.
    /// </summary>
    private float TrainStepCore(ReadOnlySpan<float> input, ReadOnlySpan<float> target, int batch, bool wantOutput, out ReadOnlySpan<float> output, bool guard)
    {
        if (batch <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batch), batch, "a positive batch size");
        int nOut = Network.OutputSize;
        ThrowHelper.CheckShape(input.Length, batch, Network.InputSize, nameof(input), nameof(batch));
        if (target.Length != (long)batch * TargetWidth) ThrowTargetShape(target.Length, batch);
        Reserve(batch);
        if (_gpu is not null) return DeviceTrainStep(input, target, batch, wantOutput, out output, guard);
        var outSpan = _output.AsSpan(0, batch * nOut);
        var grad = _gradient.AsSpan(0, batch * nOut);
        output = outSpan;
        var buffers = Network.Buffers;
        bool keepBuffers = guard && buffers.Length > 0;
        if (keepBuffers) buffers.CopyTo(_buffersBefore);
        Network.ZeroGrad();
        Network.Forward(input, outSpan, batch, training: true);
        float loss;
        if (Fused) loss = Loss.ComputeFromLogits(Network.Logits[..(batch * nOut)], target, grad, batch, nOut);
        // A non-finite output makes the loss non-finite; asked first because BCE throws for an output outside [0, 1].
        else if (guard && TensorOps.IndexOfNonFinite(outSpan) >= 0) loss = float.NaN;
        else loss = Loss.Compute(outSpan, target, grad, batch, nOut);
        if (guard && !float.IsFinite(loss))
        {
            if (keepBuffers) _buffersBefore.AsSpan(0, buffers.Length).CopyTo(buffers);
            return loss;
        }
        Network.Backward(grad, default, fromLogits: Fused);
        Optimizer.Step(Network.Parameters, Network.Gradients);
        return loss;
    }

    /// <summary>
    /// Trains for <see cref="FitOptions.Epochs"/> epochs of shuffled batches, with optional validation, early stopping,
    /// a learning-rate schedule and progress output. Returns the loss and metrics of every epoch.
    /// </summary>
    public TrainingHistory Fit(Dataset train, FitOptions? options = null)
    {
        bool entered = Enter(nameof(Fit));
        try
        {
            return FitCore(train, options);
        }
        finally
        {
            Exit(entered);
        }
    }

    private TrainingHistory FitCore(Dataset train, FitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new FitOptions();
        if (options.Epochs <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(options.Epochs), options.Epochs, "a positive number of epochs");
        if (options.BatchSize <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(options.BatchSize), options.BatchSize, "a positive batch size");
        CheckDataset(train, nameof(train));
        Dataset? validation = options.ValidationData;
        if (validation is not null) CheckDataset(validation, nameof(options.ValidationData));
        double split = options.ValidationSplit;
        if (!(split >= 0 && split < 1))
            ThrowHelper.ThrowArgumentOutOfRange(nameof(options.ValidationSplit), split, "a fraction in [0, 1) of the training data to hold out for validation (0 for none)");
        // Every value, once, before any update: a NaN or ∞ in the data would turn every weight NaN at the first batch
        // holding it, and a bad label would surface mid-epoch, named by its row in a shuffled batch. Checked before the
        // validation split, so indices are those of the caller's data set.
        CheckValues(train, nameof(train));
        if (validation is not null) CheckValues(validation, nameof(options.ValidationData));
        else if (split != 0)
        {
            int held = (int)Math.Round(train.Count * split, MidpointRounding.AwayFromZero); // as Dataset.Split rounds
            if (held == 0 || held == train.Count)
                ThrowHelper.ThrowArgumentOutOfRange(nameof(options.ValidationSplit), split,
                    $"a fraction that leaves samples on both sides: {split} of the {train.Count} training samples holds out {held}");
            (train, validation) = train.Split(split, options.Seed);
        }

        var stop = options.EarlyStopping;
        bool higherBetter = false;
        if (stop is not null)
        {
            if (stop.Patience < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(stop.Patience), stop.Patience, "a non-negative patience");
            if (!HasValue(stop.Monitor, validation is not null))
                throw new ArgumentException(
                    $"Early stopping monitors '{stop.Monitor}', which this training does not produce; it produces: {string.Join(", ", ValueNames(validation is not null))}.",
                    nameof(options));
            higherBetter = stop.HigherIsBetter ?? IsHigherBetter(stop.Monitor);
        }

        int batchSize = Math.Min(options.BatchSize, train.Count);
        Reserve(batchSize);
        int nIn = Network.InputSize, width = TargetWidth, nOut = Network.OutputSize;
        if (_xBatch.Length < batchSize * nIn) _xBatch = new float[batchSize * nIn];
        if (_yBatch.Length < batchSize * width) _yBatch = new float[batchSize * width];
        var order = Shuffling.Identity(train.Count);
        var rng = new Rng(options.Seed, "fit");
        // The best epoch's parameters and state buffers (BatchNorm's running statistics), side by side.
        float[]? best = stop is not null && stop.RestoreBestWeights ? new float[Network.Parameters.Length + Network.Buffers.Length] : null;
        if (_buffersBefore.Length < Network.Buffers.Length) _buffersBefore = new float[Network.Buffers.Length];
        var onNonFinite = options.NonFiniteLoss;
        if (onNonFinite is not (NonFiniteLossAction.Throw or NonFiniteLossAction.Skip))
            ThrowHelper.ThrowArgumentOutOfRange(nameof(options.NonFiniteLoss), onNonFinite, "NonFiniteLossAction.Throw or NonFiniteLossAction.Skip");
        BeginDeviceTraining();
        double bestValue = higherBetter ? double.NegativeInfinity : double.PositiveInfinity;
        int wait = 0;
        double baseRate = Optimizer.LearningRate;
        long batchStep = 0;
        int batchesPerEpoch = (train.Count + batchSize - 1) / batchSize;
        if (options.Schedule is not null) CheckSchedule(options.Schedule, baseRate, options.Epochs, batchesPerEpoch);
        var history = new TrainingHistory();
        using var progress = new ProgressPrinter(options.Progress, options.Output);

        try
        {
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                long start = Stopwatch.GetTimestamp();
                if (options.Schedule is { Interval: ScheduleInterval.Epoch } es) Optimizer.LearningRate = ScheduledRate(es, baseRate, epoch, epoch, batch: -1);
                if (options.Shuffle) Shuffling.Shuffle(order, ref rng);
                foreach (var m in _metrics) m.Reset();
                progress.BeginEpoch(epoch + 1, options.Epochs, batchesPerEpoch);
                double lossSum = 0;
                int trained = 0, skipped = 0; // samples in batches that updated, batches skipped for a non-finite loss
                for (int b = 0; b < batchesPerEpoch; b++)
                {
                    int first = b * batchSize, n = Math.Min(batchSize, train.Count - first);
                    var x = _xBatch.AsSpan(0, n * nIn);
                    var y = _yBatch.AsSpan(0, n * width);
                    for (int i = 0; i < n; i++)
                    {
                        int s = order[first + i];
                        train.Features.AsSpan(s * nIn, nIn).CopyTo(x[(i * nIn)..]);
                        train.Targets.AsSpan(s * width, width).CopyTo(y[(i * width)..]);
                    }
                    if (options.Schedule is { Interval: ScheduleInterval.Batch } bs) Optimizer.LearningRate = ScheduledRate(bs, baseRate, batchStep, epoch, b);
                    batchStep++;
                    float loss = TrainStepCore(x, y, n, wantOutput: _metrics.Length > 0, out var output, guard: true);
                    if (!float.IsFinite(loss))
                    {
                        // The step updated nothing (TrainStepCore's guard, on the GPU too).
                        if (onNonFinite == NonFiniteLossAction.Throw) ThrowNonFiniteLoss(loss, epoch, options.Epochs, b, batchesPerEpoch, first, n);
                        skipped++;
                    }
                    else
                    {
                        lossSum += (double)loss * n;
                        trained += n;
                        foreach (var m in _metrics) m.Update(output, y, n, nOut);
                    }
                    progress.Batch(b + 1, trained == 0 ? double.NaN : lossSum / trained, _metrics, first + n, Stopwatch.GetElapsedTime(start), skipped);
                }

                var values = new Dictionary<string, double> { ["loss"] = trained == 0 ? double.NaN : lossSum / trained };
                foreach (var m in _metrics) values[m.Name] = m.Result;
                if (validation is not null)
                {
                    var v = EvaluateCore(validation, Math.Max(batchSize, 256)); // checked when Fit started
                    values["val_loss"] = v.Loss;
                    foreach (var kv in v.Metrics) values["val_" + kv.Key] = kv.Value;
                }
                var elapsed = Stopwatch.GetElapsedTime(start);
                var record = new EpochRecord(epoch + 1, values, Optimizer.LearningRate, elapsed, train.Count / Math.Max(elapsed.TotalSeconds, 1e-9), skipped);
                history.Add(record);
                progress.EndEpoch(record, options.Epochs);

                if (stop is not null)
                {
                    double value = values[stop.Monitor];
                    // NaN (an epoch whose batches were all skipped) is never an improvement, nor a first best.
                    bool improved = higherBetter ? value > bestValue + stop.MinDelta : value < bestValue - stop.MinDelta;
                    if (improved || (history.BestEpoch is null && !double.IsNaN(value)))
                    {
                        bestValue = value;
                        history.BestEpoch = epoch + 1;
                        wait = 0;
                        if (best is not null) CopyCurrentWeightsTo(best);
                    }
                    else if (++wait >= Math.Max(1, stop.Patience))
                    {
                        history.StoppedEarly = epoch + 1 < options.Epochs;
                        progress.Message($"Early stopping after epoch {epoch + 1}: '{stop.Monitor}' has not improved for {wait} epochs; best was epoch {history.BestEpoch}.");
                        break;
                    }
                }
            }
            CopyWeightsToHost(); // on a device: the trained weights and optimiser state back in Network and Optimizer
            if (best is not null && history.BestEpoch is not null)
            {
                int p = Network.Parameters.Length;
                best.AsSpan(0, p).CopyTo(Network.Parameters); // on a device the next use uploads them
                best.AsSpan(p).CopyTo(Network.Buffers);
                history.RestoredBestWeights = true;
            }
        }
        finally
        {
            // A schedule describes the rate within this Fit: leave the optimiser at the rate it came with (also when
            // training stops on an error), so that a second Fit with the same options replays the schedule instead of
            // decaying an already-decayed rate.
            if (options.Schedule is not null) Optimizer.LearningRate = (float)baseRate;
        }
        return history;
    }

    /// <summary>
    /// The mean loss and the metrics over a data set, in evaluation mode. The data is checked first, as by
    /// <see cref="Fit"/>: a non-finite input, or a target the loss or a metric cannot use, throws an
    /// <see cref="ArgumentException"/> naming the sample.
    /// </summary>
    public EvaluationResult Evaluate(Dataset data, int batchSize = 256)
    {
        bool entered = Enter(nameof(Evaluate));
        try
        {
            return EvaluateChecked(data, batchSize);
        }
        finally
        {
            Exit(entered);
        }
    }

    private EvaluationResult EvaluateChecked(Dataset data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckDataset(data, nameof(data));
        if (batchSize <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batchSize), batchSize, "a positive batch size");
        CheckValues(data, nameof(data));
        return EvaluateCore(data, batchSize);
    }

    private EvaluationResult EvaluateCore(Dataset data, int batchSize)
    {
        batchSize = Math.Min(batchSize, Math.Min(data.Count, DeviceBatchLimit));
        Reserve(batchSize);
        BeginDeviceInference();
        int nIn = Network.InputSize, nOut = Network.OutputSize, width = TargetWidth;
        foreach (var m in _metrics) m.Reset();
        double lossSum = 0;
        for (int first = 0; first < data.Count; first += batchSize)
        {
            int n = Math.Min(batchSize, data.Count - first);
            var x = data.Features.AsSpan(first * nIn, n * nIn);
            var y = data.Targets.AsSpan(first * width, n * width);
            var output = _output.AsSpan(0, n * nOut);
            ReadOnlySpan<float> logits;
            if (_gpu is not null)
            {
                _gpu.Forward(x, output, n);
                if (Fused) _gpu.CopyLogitsTo(_logits.AsSpan(0, n * nOut), n);
                logits = _logits.AsSpan(0, Fused ? n * nOut : 0);
            }
            else
            {
                Network.Forward(x, output, n, training: false);
                logits = Fused ? Network.Logits[..(n * nOut)] : default;
            }
            float loss = Fused
                ? Loss.ComputeFromLogits(logits, y, default, n, nOut)
                : Loss.Compute(output, y, default, n, nOut);
            lossSum += (double)loss * n;
            foreach (var m in _metrics) m.Update(output, y, n, nOut);
        }
        var values = new Dictionary<string, double>();
        foreach (var m in _metrics) values[m.Name] = m.Result;
        return new EvaluationResult(lossSum / data.Count, values);
    }

    /// <summary>The network's outputs for every sample of <paramref name="input"/> ([count, InputSize]), in evaluation mode.</summary>
    public float[] Predict(ReadOnlySpan<float> input, int batchSize = 256)
    {
        int count = input.Length / Network.InputSize;
        var output = new float[OutputLength(count, nameof(input))];
        Predict(input, output, batchSize);
        return output;
    }

    /// <summary>
    /// The length of <paramref name="rows"/> outputs, [rows, OutputSize], worked out in long: a network with more
    /// outputs than inputs can give an input that fits an array an output that does not (and that wraps around in int).
    /// </summary>
    private int OutputLength(int rows, string parameter)
    {
        long n = (long)rows * Network.OutputSize;
        if (n > Array.MaxLength)
            ThrowHelper.ThrowArgumentOutOfRange(parameter, rows, string.Create(CultureInfo.InvariantCulture,
                $"at most {Array.MaxLength / Network.OutputSize} samples at once: [{rows}, {Network.OutputSize}] outputs are {n} values, more than an array holds"));
        return (int)n;
    }

    /// <summary>The network's outputs for a data set's features.</summary>
    public float[] Predict(Dataset data, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Predict(data.Features, batchSize);
    }

    /// <summary>Writes the network's outputs [count, OutputSize] for <paramref name="input"/> [count, InputSize].</summary>
    public void Predict(ReadOnlySpan<float> input, Span<float> output, int batchSize = 256)
    {
        bool entered = Enter(nameof(Predict));
        try
        {
            PredictCore(input, output, batchSize);
        }
        finally
        {
            Exit(entered);
        }
    }

    private void PredictCore(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        if (batchSize <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batchSize), batchSize, "a positive batch size");
        int nIn = Network.InputSize, nOut = Network.OutputSize;
        if (input.Length == 0 || input.Length % nIn != 0)
            ThrowHelper.ThrowLength(nameof(input), Math.Max(nIn, input.Length / nIn * nIn), input.Length, $"[count ≥ 1, {nIn}]");
        int count = input.Length / nIn;
        ThrowHelper.CheckShape(output.Length, count, nOut, nameof(output), "count", "OutputSize"); // in long: no wrap-around
        batchSize = Math.Min(batchSize, DeviceBatchLimit);
        BeginDeviceInference();
        for (int first = 0; first < count; first += batchSize)
        {
            int n = Math.Min(batchSize, count - first);
            if (_gpu is not null) _gpu.Forward(input.Slice(first * nIn, n * nIn), output.Slice(first * nOut, n * nOut), n);
            else Network.Forward(input.Slice(first * nIn, n * nIn), output.Slice(first * nOut, n * nOut), n, training: false);
        }
    }

    /// <summary>The predicted class of each sample: the arg-max of its outputs, or output ≥ threshold for one output.</summary>
    public int[] PredictClasses(ReadOnlySpan<float> input, float threshold = 0.5f, int batchSize = 256)
    {
        var output = Predict(input, batchSize);
        int nOut = Network.OutputSize, count = output.Length / nOut;
        var classes = new int[count];
        for (int i = 0; i < count; i++) classes[i] = ClassificationMetrics.PredictedClass(output, i, nOut, threshold);
        return classes;
    }

    /// <summary>
    /// Stops <see cref="Fit"/> at a non-finite loss. The batch updated nothing; on a device the weights and optimiser
    /// state of the batches before it are copied back first, so the host network holds them.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowNonFiniteLoss(float loss, int epoch, int epochs, int batch, int batches, int first, int count)
    {
        CopyWeightsToHost();
        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
            $"The loss is {loss} at epoch {epoch + 1} of {epochs}, batch {batch + 1} of {batches} (samples {first + 1} to {first + count} of the epoch's order). " +
            $"Training stopped before this batch updated anything: the network and the optimiser are as the previous batch left them. " +
            $"A learning rate too high, or inputs or targets of a very large scale, are the usual causes; FitOptions.NonFiniteLoss = NonFiniteLossAction.Skip skips such batches instead."));
    }

    /// <summary>
    /// Before the first update: every rate the schedule will set in this Fit (up to 2²² steps; later ones are checked as
    /// they come), so that a schedule going negative or NaN at epoch 40 fails now rather than after 39 epochs.
    /// </summary>
    private static void CheckSchedule(LearningRateSchedule schedule, double baseRate, int epochs, int batchesPerEpoch)
    {
        bool perBatch = schedule.Interval == ScheduleInterval.Batch;
        long steps = perBatch ? (long)epochs * batchesPerEpoch : epochs;
        for (long t = 0, last = Math.Min(steps, 1L << 22); t < last; t++)
            if (!schedule.TryRate(baseRate, t, out _))
                ScheduledRate(schedule, baseRate, t, perBatch ? (int)(t / batchesPerEpoch) : (int)t, perBatch ? (int)(t % batchesPerEpoch) : -1);
    }

    /// <summary>
    /// A schedule's rate at step <paramref name="t"/>; a rate an optimiser cannot take throws naming the schedule, the
    /// epoch (and batch, for a per-batch schedule; -1 otherwise), the step and the rate. Allocates nothing otherwise.
    /// </summary>
    private static float ScheduledRate(LearningRateSchedule schedule, double baseRate, long t, int epoch, int batch)
    {
        if (!schedule.TryRate(baseRate, t, out double rate))
        {
            var inv = CultureInfo.InvariantCulture;
            string where = "epoch " + (epoch + 1).ToString(inv) + (batch < 0 ? "" : ", batch " + (batch + 1).ToString(inv));
            schedule.ThrowInvalidRate(rate, baseRate, t, where);
        }
        return (float)rate;
    }

    private void CheckDataset(Dataset data, string name)
    {
        if (data.FeatureCount != Network.InputSize)
            throw new ArgumentException($"'{name}' has {data.FeatureCount} features per sample, but the network takes {Network.InputSize}.", name);
        if (data.TargetWidth != TargetWidth)
            throw new ArgumentException(
                $"'{name}' has {data.TargetWidth} target values per sample, but the loss '{Loss.Name}' expects {TargetWidth} for {Network.OutputSize} outputs.{TargetWidthHint(data.TargetWidth)}", name);
        if (data.Count == 0) throw new ArgumentException($"'{name}' holds no samples.", name);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowTargetShape(int length, int batch)
    {
        string hint = length % batch == 0 ? TargetWidthHint(length / batch) : "";
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"'target' has length {length}, but {(long)batch * TargetWidth} was expected ([batch, target width] = [{batch}, {TargetWidth}] for the loss '{Loss.Name}' and {Network.OutputSize} outputs).{hint}"),
            "target");
    }

    /// <summary>
    /// What targets of the wrong width most likely are, and what to do, for the end of the width error: one-hot rows given
    /// to a loss that takes class indices, or class indices given to one that compares every output with a target.
    /// </summary>
    private string TargetWidthHint(int width)
    {
        int outputs = Network.OutputSize;
        if (outputs <= 1) return "";
        if (TargetWidth == 1 && width == outputs)
            return Loss is CrossEntropy
                ? " These look like one-hot rows or class probabilities: for those, use new CrossEntropy(CrossEntropyTarget.Probabilities); or give one class index per sample."
                : $" These look like one-hot rows, but the loss '{Loss.Name}' takes one class index per sample.";
        if (width == 1 && TargetWidth == outputs)
            return $" These look like class indices: the loss '{Loss.Name}' compares each of the {outputs} outputs with a target, so give one-hot rows " +
                   $"(Dataset.OneHotTargets({outputs}), OneHot.Encode), or for classification use CrossEntropy, which takes class indices.";
        return "";
    }

    /// <summary>
    /// Refuses a loss that would silently compute something else on this network's output: NLLLoss reads
    /// log-probabilities, and a final Softmax gives probabilities, so the "loss" would be −p instead of −log p.
    /// </summary>
    private static void CheckLossFitsOutput(INetwork network, Loss loss)
    {
        var layers = network.Description.Layers;
        if (loss is NegativeLogLikelihood && layers.Count > 0 && layers[^1].Kind == LayerKindNames.Softmax)
            throw new ArgumentException(
                $"The loss 'nll' (NegativeLogLikelihood, PyTorch's NLLLoss) takes log-probabilities, but the network ends in a Softmax (layer '{layers[^1].Name}'), " +
                "whose outputs are probabilities: it would minimise -p instead of -log p, and report a negative loss. Use CrossEntropy, which takes the " +
                "Softmax's input (the logits) and computes log-softmax itself, stably; it gives what NLLLoss after LogSoftmax gives in PyTorch.",
                nameof(loss));
    }

    /// <summary>
    /// Checks every value of a data set once: the inputs finite, the targets usable by the loss and by each metric.
    /// The error names the data set, the sample's index in it and the feature or target column.
    /// </summary>
    private void CheckValues(Dataset data, string name)
    {
        int f = data.FeatureCount, w = data.TargetWidth;
        int at = TensorOps.IndexOfNonFinite(data.Features);
        if (at >= 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"'{name}' sample {at / f}, feature {at % f} is {data.Features[at]}: the inputs must be finite (a NaN or infinity would turn every weight NaN at the first batch that holds it)."),
                name);
        string? problem = Loss.TargetProblem(data.Targets, Network.OutputSize, out at);
        foreach (var m in _metrics)
        {
            if (problem is not null) break;
            problem = m.TargetProblem(data.Targets, w, Network.OutputSize, out at);
        }
        if (problem is not null)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"'{name}' sample {at / w}{(w > 1 ? $", target {at % w}," : "'s target")} {problem}."), name);
    }

    private IEnumerable<string> ValueNames(bool validation)
    {
        yield return "loss";
        foreach (var m in _metrics) yield return m.Name;
        if (!validation) yield break;
        yield return "val_loss";
        foreach (var m in _metrics) yield return "val_" + m.Name;
    }

    private bool HasValue(string name, bool validation)
    {
        foreach (var n in ValueNames(validation)) if (n == name) return true;
        return false;
    }

    private bool IsHigherBetter(string name)
    {
        string bare = name.StartsWith("val_", StringComparison.Ordinal) ? name[4..] : name;
        foreach (var m in _metrics) if (m.Name == bare) return m.HigherIsBetter;
        return false;
    }
}
