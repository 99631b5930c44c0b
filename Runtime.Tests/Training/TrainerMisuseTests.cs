using System;
using System.Linq;
using SourceGenNN.Data;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Training;

/// <summary>
/// The trainer, optimisers and schedules given what they cannot use: learning rates that are negative or NaN,
/// schedules that produce them, and the errors that name where.
/// </summary>
public class TrainerMisuseTests
{
    private static readonly FitOptions Quiet = new() { Progress = ProgressMode.None };

    /// <summary>A small classification set: <paramref name="n"/> samples of 64 features, class indices in [0, 10).</summary>
    internal static Dataset Classes(int n, ulong seed = 1)
    {
        var rng = new SourceGenNN.Kernels.Rng(seed, "misuse");
        var x = new float[n * 64];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = (int)(rng.NextUInt64() % 10);
            for (int f = 0; f < 64; f++) x[i * 64 + f] = (float)(rng.NextNormal() + (f % 10 == (int)y[i] ? 2 : 0));
        }
        return new Dataset(x, y, 64);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(-0.1f)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void The_learning_rate_setter_refuses_what_the_constructor_refuses(float rate)
    {
        var net = new DigitsSoftmax();
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(net, rate));
        foreach (Optimizer o in new Optimizer[] { new Sgd(net, 0.1f), new Adam(net), new AdamW(net), new RmsProp(net) })
        {
            float was = o.LearningRate;
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => o.LearningRate = rate);
            Assert.Equal(nameof(Optimizer.LearningRate), e.ParamName);
            Assert.Contains("finite, non-negative", e.Message);
            Assert.Equal(was, o.LearningRate); // unchanged
        }
        var sgd = new Sgd(net, 0.1f);
        sgd.LearningRate = 0f; // zero is a valid rate (a frozen step)
        Assert.Equal(0f, sgd.LearningRate);
    }

    [Fact]
    public void A_schedule_going_negative_fails_before_the_first_update_naming_the_schedule_the_epoch_and_the_rate()
    {
        var net = new DigitsSoftmax(seed: 1);
        var before = net.Parameters.ToArray();
        var sgd = new Sgd(net, 0.1f);
        var trainer = new Trainer(net, new CrossEntropy(), sgd);
        // γ = −0.5: 0.1, −0.05, 0.025, …; PyTorch's ExponentialLR would train epoch 2 with a negative rate (ascent).
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(Classes(40), new FitOptions
        {
            Epochs = 3, Schedule = new ExponentialDecay(-0.5), Progress = ProgressMode.None,
        }));
        Assert.Contains("ExponentialDecay(gamma: -0.5, per epoch)", e.Message);
        Assert.Contains("a negative rate, -0.05", e.Message);
        Assert.Contains("epoch 2 (epoch step t = 1)", e.Message);
        Assert.Equal(before, net.Parameters.ToArray()); // checked before any update
        Assert.Equal(0.1f, sgd.LearningRate);
    }

    [Fact]
    public void A_per_batch_schedule_going_negative_names_the_epoch_and_the_batch()
    {
        var net = new DigitsSoftmax(seed: 1);
        var trainer = new Trainer(net, new CrossEntropy(), new Sgd(net, 0.1f));
        // A negative minimum: from 0.1 down to −0.1 over 12 steps, crossing 0 at t = 6 and negative from t = 7. 40
        // samples in batches of 8 is 5 batches per epoch, so t = 7 is epoch 2, batch 3.
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(Classes(40), new FitOptions
        {
            Epochs = 3, BatchSize = 8, Progress = ProgressMode.None,
            Schedule = new CosineAnnealing(12, minimumLearningRate: -0.1, interval: ScheduleInterval.Batch),
        }));
        Assert.Contains("CosineAnnealing(period: 12, minimumLearningRate: -0.1, per batch)", e.Message);
        Assert.Contains("a negative rate, -0.0258819", e.Message);
        Assert.Contains("at epoch 2, batch 3 (batch step t = 7) from the base rate 0.1;", e.Message);
    }

    [Fact]
    public void A_schedule_producing_NaN_or_overflowing_float_is_refused_when_asked()
    {
        // NaN^0 = 1, so the first rate is fine; the second is NaN.
        var nan = new ExponentialDecay(double.NaN);
        Assert.Equal(0.1, nan.LearningRate(0.1, 0));
        var e = Assert.Throws<InvalidOperationException>(() => nan.LearningRate(0.1, 1));
        Assert.Contains("gives NaN", e.Message);
        Assert.Contains("epoch step t = 1", e.Message);
        // 0.1 · 1e10⁴ = 1e39 is a double, but beyond float, where the optimiser keeps its rate.
        var growth = new StepDecay(1, gamma: 1e10);
        Assert.Equal(1e29, growth.LearningRate(0.1, 3), 1e17);
        e = Assert.Throws<InvalidOperationException>(() => growth.LearningRate(0.1, 4));
        Assert.Contains("beyond float's range", e.Message);
        // A warm-up names itself and the schedule after it.
        var warm = new LinearWarmup(2, new ExponentialDecay(-1, ScheduleInterval.Batch));
        e = Assert.Throws<InvalidOperationException>(() => warm.LearningRate(0.1, 3));
        Assert.Contains("LinearWarmup(warmupSteps: 2, startFactor: 0.1, then: ExponentialDecay(gamma: -1, per batch), per batch)", e.Message);
    }

    [Fact]
    public void The_learning_rate_is_restored_when_a_schedule_fails_during_training()
    {
        // Rates beyond the 2²² steps checked up front are checked as they come: simulate that with a schedule that
        // changes its mind (NaN from its third call on); the Fit fails there and leaves the optimiser's own rate.
        var net = new DigitsSoftmax(seed: 1);
        var sgd = new Sgd(net, 0.1f);
        var trainer = new Trainer(net, new CrossEntropy(), sgd);
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(Classes(40), new FitOptions
        {
            Epochs = 4, Schedule = new Fickle(), Progress = ProgressMode.None,
        }));
        Assert.Contains("epoch 1", e.Message);
        Assert.Equal(0.1f, sgd.LearningRate);
    }

    /// <summary>Fine for the up-front check (its first 4 calls), NaN afterwards.</summary>
    private sealed class Fickle() : LearningRateSchedule(ScheduleInterval.Epoch)
    {
        private int _calls;
        protected override double Rate(double baseLearningRate, long t) => ++_calls > 4 ? double.NaN : baseLearningRate / 2;
    }
}
