using System;
using System.Collections.Generic;
using SourceGenNN.Data;

namespace SourceGenNN.Training;

/// <summary>How <see cref="Trainer.Fit"/> reports progress.</summary>
public enum ProgressMode
{
    /// <summary>A live bar when the output is a terminal, one line per epoch when it is redirected.</summary>
    Auto,

    /// <summary>Nothing.</summary>
    None,

    /// <summary>One plain line per epoch.</summary>
    Lines,

    /// <summary>A live bar redrawn in place, then one line per epoch.</summary>
    Bar,
}

/// <summary>Stops training when a monitored value stops improving, optionally restoring the best weights.</summary>
public sealed class EarlyStopping
{
    /// <summary>The history key watched: <c>val_loss</c>, <c>loss</c>, <c>val_accuracy</c>, … (default <c>val_loss</c>).</summary>
    public string Monitor { get; init; } = "val_loss";

    /// <summary>How many epochs in a row without improvement stop training (as Keras: 2 stops at the second; 0 acts as 1).</summary>
    public int Patience { get; init; } = 5;

    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta { get; init; }

    /// <summary>Whether to put back the weights of the best epoch when training ends.</summary>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>
    /// Whether larger is better; null to decide from the name (losses and error metrics lower, other metrics higher).
    /// </summary>
    public bool? HigherIsBetter { get; init; }
}

/// <summary>What <see cref="Trainer.Fit"/> does with a batch whose loss is NaN or infinite.</summary>
public enum NonFiniteLossAction
{
    /// <summary>
    /// Stop with an <see cref="InvalidOperationException"/> naming the epoch, the batch and the loss. The batch updates
    /// nothing: the network (weights and state buffers) and the optimiser are as the previous batch left them.
    /// </summary>
    Throw,

    /// <summary>
    /// Skip the batch: no update of the weights, the state buffers (BatchNorm's running statistics) or the optimiser
    /// (its moments and step count), and no part in the epoch's loss and metrics; <see cref="EpochRecord.SkippedBatches"/>
    /// counts it and the progress line shows it.
    /// </summary>
    Skip,
}

/// <summary>What <see cref="Trainer.Fit"/> does.</summary>
public sealed class FitOptions
{
    /// <summary>The number of passes over the training data.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Samples per batch; the last batch of an epoch may be smaller.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>The seed of the shuffles and of the validation split: the same seed gives the same training.</summary>
    public ulong Seed { get; init; }

    /// <summary>Whether to shuffle the training samples every epoch.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>A fraction of the training data to hold out (after a seeded shuffle) for validation; 0 for none.</summary>
    public double ValidationSplit { get; init; }

    /// <summary>An explicit validation set; takes precedence over <see cref="ValidationSplit"/>.</summary>
    public Dataset? ValidationData { get; init; }

    /// <summary>Early stopping, or null to train every epoch.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>A learning-rate schedule, or null for a constant rate.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>How progress is reported.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where progress goes; null for the console.</summary>
    public System.IO.TextWriter? Output { get; init; }

    /// <summary>
    /// What to do with a batch whose loss is NaN or infinite (a learning rate too high, overflowing logits): stop with an
    /// error naming the epoch and batch (the default), or skip the batch. Either way that batch changes nothing, on the
    /// CPU and on a GPU, so a NaN never reaches the weights and early stopping never restores NaN weights.
    /// </summary>
    public NonFiniteLossAction NonFiniteLoss { get; init; } = NonFiniteLossAction.Throw;
}

/// <summary>The loss and metrics of one evaluation.</summary>
public sealed class EvaluationResult
{
    internal EvaluationResult(double loss, IReadOnlyDictionary<string, double> metrics)
    {
        Loss = loss;
        Metrics = metrics;
    }

    /// <summary>The mean loss over every sample.</summary>
    public double Loss { get; }

    /// <summary>Each metric by name.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; }

    /// <summary>A metric by name, or the loss for <c>loss</c>.</summary>
    public double this[string name] => name == "loss" ? Loss :
        Metrics.TryGetValue(name, out double v) ? v :
        throw new KeyNotFoundException($"No metric '{name}'; there are: loss, {string.Join(", ", Metrics.Keys)}.");
}

/// <summary>The record of one epoch.</summary>
public sealed class EpochRecord
{
    internal EpochRecord(int epoch, IReadOnlyDictionary<string, double> values, double learningRate, TimeSpan duration, double samplesPerSecond,
        int skippedBatches = 0)
    {
        SkippedBatches = skippedBatches;
        Epoch = epoch;
        Values = values;
        LearningRate = learningRate;
        Duration = duration;
        SamplesPerSecond = samplesPerSecond;
    }

    /// <summary>The epoch number, from 1.</summary>
    public int Epoch { get; }

    /// <summary><c>loss</c>, each metric by name, and <c>val_</c>-prefixed ones when there is validation data.</summary>
    public IReadOnlyDictionary<string, double> Values { get; }

    /// <summary>The learning rate at the end of the epoch.</summary>
    public double LearningRate { get; }

    /// <summary>How long the epoch took.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Training throughput.</summary>
    public double SamplesPerSecond { get; }

    /// <summary>
    /// The batches skipped for a non-finite loss (<see cref="NonFiniteLossAction.Skip"/>); their samples are not in the
    /// epoch's loss and metrics (the loss is NaN when every batch was skipped).
    /// </summary>
    public int SkippedBatches { get; }

    /// <summary>The mean training loss.</summary>
    public double Loss => Values["loss"];

    /// <summary>A value by name.</summary>
    public double this[string name] => Values.TryGetValue(name, out double v) ? v :
        throw new KeyNotFoundException($"Epoch {Epoch} has no value '{name}'; it has: {string.Join(", ", Values.Keys)}.");
}

/// <summary>The loss and metrics of every epoch of a <see cref="Trainer.Fit"/> call.</summary>
public sealed class TrainingHistory
{
    private readonly List<EpochRecord> _epochs = [];

    /// <summary>Every epoch trained, in order.</summary>
    public IReadOnlyList<EpochRecord> Epochs => _epochs;

    /// <summary>Whether early stopping ended training before the last epoch.</summary>
    public bool StoppedEarly { get; internal set; }

    /// <summary>The epoch (from 1) with the best monitored value when early stopping was used, else null.</summary>
    public int? BestEpoch { get; internal set; }

    /// <summary>Whether the best epoch's weights were put back at the end.</summary>
    public bool RestoredBestWeights { get; internal set; }

    /// <summary>The batches skipped for a non-finite loss over every epoch (<see cref="NonFiniteLossAction.Skip"/>).</summary>
    public int SkippedBatches
    {
        get
        {
            int n = 0;
            foreach (var e in _epochs) n += e.SkippedBatches;
            return n;
        }
    }

    /// <summary>The series of a value over the epochs (<c>loss</c>, <c>val_accuracy</c>, …).</summary>
    public double[] this[string name]
    {
        get
        {
            var series = new double[_epochs.Count];
            for (int i = 0; i < series.Length; i++) series[i] = _epochs[i][name];
            return series;
        }
    }

    internal void Add(EpochRecord record) => _epochs.Add(record);
}
