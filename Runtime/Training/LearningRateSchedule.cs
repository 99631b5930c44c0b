using System;
using System.Globalization;
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
    /// <exception cref="InvalidOperationException">
    /// The schedule gives a rate an optimiser cannot take at this step: negative, NaN, or beyond <see cref="float"/>'s
    /// range (a negative <c>gamma</c>, a negative minimum, a growth that overflows). The message names the schedule,
    /// the step and the rate.
    /// </exception>
    public double LearningRate(double baseLearningRate, long t)
    {
        if (!TryRate(baseLearningRate, t, out double rate)) ThrowInvalidRate(rate, baseLearningRate, t, where: null);
        return rate;
    }

    /// <summary>
    /// The rate at step <paramref name="t"/>, and whether an optimiser can take it (finite, non-negative, within
    /// <see cref="float"/>'s range, as the optimisers hold a float rate). The trainer calls it and builds its error
    /// message, which says where in training the step falls, only when the rate is refused.
    /// </summary>
    internal bool TryRate(double baseLearningRate, long t, out double rate)
    {
        if (t < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(t), t, "a non-negative step");
        rate = Rate(baseLearningRate, t);
        return rate >= 0 && float.IsFinite((float)rate);
    }

    /// <summary>The rate of a nested schedule (<see cref="LinearWarmup.Then"/>), checked once by the outer one.</summary>
    internal double Unchecked(double baseLearningRate, long t) => Rate(baseLearningRate, t);

    /// <summary>Throws the error for a refused rate, naming this schedule, the step (and <paramref name="where"/>: <c>epoch 3</c>, <c>epoch 2, batch 7</c>) and the rate.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    internal void ThrowInvalidRate(double rate, double baseLearningRate, long t, string? where)
    {
        string what = double.IsNaN(rate) ? "NaN" : rate < 0 ? "a negative rate" : "a rate beyond float's range";
        string step = (Interval == ScheduleInterval.Epoch ? "epoch step t = " : "batch step t = ") + t.ToString(CultureInfo.InvariantCulture);
        throw new InvalidOperationException(
            $"The learning-rate schedule {this} gives {what}{(double.IsNaN(rate) ? "" : ", " + Num(rate))}, at {(where is null ? step : where + " (" + step + ")")} " +
            $"from the base rate {Num(baseLearningRate)}; a learning rate must be finite and non-negative.");
    }

    /// <summary>The learning rate at a validated step.</summary>
    protected abstract double Rate(double baseLearningRate, long t);

    /// <summary>"per epoch" or "per batch", for the schedules' descriptions.</summary>
    private protected string Per => Interval == ScheduleInterval.Epoch ? "per epoch" : "per batch";

    /// <summary>A number in a description, culture-invariant; a float's value (an optimiser's rate) as that float: 0.1, not 0.10000000149011612.</summary>
    private protected static string Num(double value) =>
        (double)(float)value == value ? ((float)value).ToString("R", CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);

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

    /// <summary>The schedule and its settings: <c>StepDecay(stepSize: 30, gamma: 0.1, per epoch)</c>.</summary>
    public override string ToString() => $"StepDecay(stepSize: {StepSize.ToString(CultureInfo.InvariantCulture)}, gamma: {Num(Gamma)}, {Per})";
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

    /// <summary>The schedule and its settings: <c>ExponentialDecay(gamma: 0.9, per epoch)</c>.</summary>
    public override string ToString() => $"ExponentialDecay(gamma: {Num(Gamma)}, {Per})";
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

    /// <summary>The schedule and its settings: <c>CosineAnnealing(period: 100, minimumLearningRate: 0, per epoch)</c>.</summary>
    public override string ToString() =>
        $"CosineAnnealing(period: {Period.ToString(CultureInfo.InvariantCulture)}, minimumLearningRate: {Num(MinimumLearningRate)}, {Per})";
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
        return Then is null ? baseLearningRate : Then.Unchecked(baseLearningRate, t - WarmupSteps);
    }

    /// <summary>The schedule and its settings: <c>LinearWarmup(warmupSteps: 100, startFactor: 0.1, then: …, per batch)</c>.</summary>
    public override string ToString() =>
        $"LinearWarmup(warmupSteps: {WarmupSteps.ToString(CultureInfo.InvariantCulture)}, startFactor: {Num(StartFactor)}{(Then is null ? "" : ", then: " + Then)}, {Per})";
}
