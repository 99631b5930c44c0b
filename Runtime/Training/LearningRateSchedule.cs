using System;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Training;

/// <summary>When a learning-rate schedule advances.</summary>
public enum ScheduleInterval
{
    /// <summary>Once per epoch: step t is the epoch index.</summary>
    Epoch,

    /// <summary>Once per batch: step t is the number of batches trained so far.</summary>
    Batch,
}

/// <summary>
/// A learning-rate schedule: the learning rate at step t (from 0) as a function of the base learning rate. The trainer
/// sets <see cref="Optimizer.LearningRate"/> from it before each epoch or batch, as <see cref="Interval"/> says.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>Creates a schedule advancing per epoch or per batch.</summary>
    protected LearningRateSchedule(ScheduleInterval interval) => Interval = interval;

    /// <summary>Whether t counts epochs or batches.</summary>
    public ScheduleInterval Interval { get; }

    /// <summary>The learning rate at step <paramref name="t"/> (0 for the first epoch or batch).</summary>
    /// <param name="baseLearningRate">The optimiser's initial learning rate.</param>
    /// <param name="t">The step, from 0.</param>
    public double LearningRate(double baseLearningRate, long t)
    {
        if (t < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(t), t, "a non-negative step");
        return Rate(baseLearningRate, t);
    }

    /// <summary>The learning rate at a validated step.</summary>
    protected abstract double Rate(double baseLearningRate, long t);

    /// <summary>Checks that a schedule length is positive.</summary>
    protected static int Positive(int value, string name)
    {
        if (value <= 0) ThrowHelper.ThrowArgumentOutOfRange(name, value, "a positive value");
        return value;
    }
}

/// <summary>Step decay, PyTorch's <c>StepLR</c>: η·γ^⌊t / stepSize⌋.</summary>
public sealed class StepDecay : LearningRateSchedule
{
    /// <summary>Creates a step decay.</summary>
    /// <param name="stepSize">How many steps between decays.</param>
    /// <param name="gamma">The factor applied at each decay.</param>
    /// <param name="interval">Per epoch or per batch.</param>
    public StepDecay(int stepSize, double gamma = 0.1, ScheduleInterval interval = ScheduleInterval.Epoch) : base(interval)
    {
        StepSize = Positive(stepSize, nameof(stepSize));
        Gamma = gamma;
    }

    /// <summary>Steps between decays.</summary>
    public int StepSize { get; }

    /// <summary>The decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    protected override double Rate(double baseLearningRate, long t) => baseLearningRate * Math.Pow(Gamma, t / StepSize);
}

/// <summary>Exponential decay, PyTorch's <c>ExponentialLR</c>: η·γ^t.</summary>
public sealed class ExponentialDecay : LearningRateSchedule
{
    /// <summary>Creates an exponential decay.</summary>
    /// <param name="gamma">The factor applied each step.</param>
    /// <param name="interval">Per epoch or per batch.</param>
    public ExponentialDecay(double gamma, ScheduleInterval interval = ScheduleInterval.Epoch) : base(interval) => Gamma = gamma;

    /// <summary>The decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    protected override double Rate(double baseLearningRate, long t) => baseLearningRate * Math.Pow(Gamma, t);
}

/// <summary>
/// Cosine annealing, PyTorch's <c>CosineAnnealingLR</c> in closed form: η_min + (η − η_min)(1 + cos(πt/T))/2 for every t.
/// Like PyTorch's, it does not stop at T: it rises back to η over the next T steps (a cosine of period 2T), neither
/// held at η_min nor restarted (for restarts PyTorch has <c>CosineAnnealingWarmRestarts</c>).
/// </summary>
public sealed class CosineAnnealing : LearningRateSchedule
{
    /// <summary>Creates a cosine annealing schedule.</summary>
    /// <param name="period">T (PyTorch's <c>T_max</c>), the number of steps from the base rate down to the minimum.</param>
    /// <param name="minimumLearningRate">η_min.</param>
    /// <param name="interval">Per epoch or per batch.</param>
    public CosineAnnealing(int period, double minimumLearningRate = 0, ScheduleInterval interval = ScheduleInterval.Epoch) : base(interval)
    {
        Period = Positive(period, nameof(period));
        MinimumLearningRate = minimumLearningRate;
    }

    /// <summary>T.</summary>
    public int Period { get; }

    /// <summary>η_min.</summary>
    public double MinimumLearningRate { get; }

    /// <inheritdoc />
    protected override double Rate(double baseLearningRate, long t)
    {
        // The same value mathematically (the period is 2T); reducing t first keeps the argument below 2π, so rounding does
        // not grow with t over long per-batch runs.
        long phase = t % (2L * Period);
        return MinimumLearningRate + (baseLearningRate - MinimumLearningRate) * (1 + Math.Cos(Math.PI * phase / Period)) / 2;
    }
}

/// <summary>
/// Linear warm-up: for t &lt; W, η·(s + (1 − s)·t/W), rising from the start factor s; from t = W on, the inner
/// schedule at t − W (or η when there is none). It advances at the inner schedule's interval, or per batch alone.
/// </summary>
public sealed class LinearWarmup : LearningRateSchedule
{
    /// <summary>Creates a linear warm-up, optionally followed by another schedule.</summary>
    /// <param name="warmupSteps">W.</param>
    /// <param name="then">The schedule after warm-up, or null for a constant rate.</param>
    /// <param name="startFactor">s, the fraction of the base rate at t = 0, in [0, 1].</param>
    /// <param name="interval">Per epoch or per batch; must match <paramref name="then"/>'s interval when given.</param>
    public LinearWarmup(int warmupSteps, LearningRateSchedule? then = null, double startFactor = 0.1, ScheduleInterval? interval = null)
        : base(interval ?? then?.Interval ?? ScheduleInterval.Batch)
    {
        WarmupSteps = Positive(warmupSteps, nameof(warmupSteps));
        if (!(startFactor >= 0 && startFactor <= 1)) ThrowHelper.ThrowArgumentOutOfRange(nameof(startFactor), startFactor, "a factor in [0, 1]");
        if (then is not null && interval is not null && then.Interval != interval)
            throw new ArgumentException($"The warm-up advances per {interval}, but the schedule after it per {then.Interval}.", nameof(interval));
        Then = then;
        StartFactor = startFactor;
    }

    /// <summary>W.</summary>
    public int WarmupSteps { get; }

    /// <summary>The schedule after warm-up, or null.</summary>
    public LearningRateSchedule? Then { get; }

    /// <summary>s.</summary>
    public double StartFactor { get; }

    /// <inheritdoc />
    protected override double Rate(double baseLearningRate, long t)
    {
        if (t < WarmupSteps) return baseLearningRate * (StartFactor + (1 - StartFactor) * t / WarmupSteps);
        return Then is null ? baseLearningRate : Then.LearningRate(baseLearningRate, t - WarmupSteps);
    }
}
