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

    // ---- the data, checked when Fit and Evaluate start ---------------------------------------------------------

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void A_non_finite_input_fails_when_Fit_starts_naming_the_sample_and_feature_and_nothing_is_trained(float bad, string shown)
    {
        // Before: the first batch holding it turned every weight NaN, and early stopping "restored" NaN weights.
        var data = Classes(80);
        data.Features[57 * 64 + 3] = bad;
        var net = new DigitsSoftmax(seed: 1);
        var before = net.Parameters.ToArray();
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net));
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(data, new FitOptions
        {
            Epochs = 2, ValidationSplit = 0.25, Progress = ProgressMode.None,
            EarlyStopping = new EarlyStopping { Monitor = "val_loss" },
        }));
        Assert.Equal("train", e.ParamName);
        Assert.StartsWith($"'train' sample 57, feature 3 is {shown}: the inputs must be finite", e.Message);
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.Equal(0, trainer.Optimizer.Steps);
    }

    [Fact]
    public void Validation_data_and_evaluation_data_are_checked_too()
    {
        var net = new DigitsSoftmax(seed: 1);
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net));
        var validation = Classes(20, seed: 2);
        validation.Features[12 * 64 + 63] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(Classes(40), new FitOptions { ValidationData = validation, Progress = ProgressMode.None }));
        Assert.StartsWith("'ValidationData' sample 12, feature 63 is NaN", e.Message);
        Assert.Equal(0, trainer.Optimizer.Steps);
        e = Assert.Throws<ArgumentException>(() => trainer.Evaluate(validation));
        Assert.StartsWith("'data' sample 12, feature 63 is NaN", e.Message);
        var targets = Classes(20, seed: 2);
        targets.Targets[7] = 10f;
        e = Assert.Throws<ArgumentException>(() => trainer.Evaluate(targets));
        Assert.Equal("'data' sample 7's target is 10, but the loss 'cross_entropy' needs a class index: a whole number in [0, 10). (Parameter 'data')", e.Message);
    }

    [Theory]
    [InlineData(10f)]
    [InlineData(-1f)]
    [InlineData(2.5f)]
    [InlineData(float.NaN)]
    public void A_class_index_out_of_range_names_its_index_in_the_data_set_before_any_update(float label)
    {
        // Before: "'target' is 10, but a class index in [0, 10) for sample 6 was expected", sample 6 being the row in a
        // shuffled batch, thrown after that epoch's earlier batches had updated the network.
        var data = Classes(80);
        data.Targets[57] = label;
        foreach (Loss loss in new Loss[] { new CrossEntropy(), new NegativeLogLikelihood() })
        {
            // NLL takes log-probabilities, so not a network that ends in Softmax (the trainer refuses that pairing).
            INetwork net = loss is NegativeLogLikelihood ? new DigitsMlp(seed: 1) : new DigitsSoftmax(seed: 1);
            var before = net.Parameters.ToArray();
            var trainer = new Trainer(net, loss, new Sgd(net, 0.1f));
            var e = Assert.Throws<ArgumentException>(() => trainer.Fit(data, new FitOptions { Epochs = 1, BatchSize = 8, Progress = ProgressMode.None }));
            Assert.StartsWith($"'train' sample 57's target is {label.ToString(System.Globalization.CultureInfo.InvariantCulture)}, but the loss '{loss.Name}' needs a class index: a whole number in [0, 10)", e.Message);
            Assert.Equal(before, net.Parameters.ToArray());
        }
    }

    [Fact]
    public void A_label_in_the_part_a_validation_split_holds_out_is_named_by_its_index_in_the_callers_data()
    {
        var data = Classes(80);
        data.Targets[3] = 12f;
        var net = new DigitsSoftmax(seed: 1);
        var trainer = new Trainer(net, new CrossEntropy(), new Sgd(net, 0.1f));
        for (ulong seed = 0; seed < 4; seed++) // wherever the split puts sample 3
        {
            var e = Assert.Throws<ArgumentException>(() => trainer.Fit(data, new FitOptions { ValidationSplit = 0.5, Seed = seed, Progress = ProgressMode.None }));
            Assert.StartsWith("'train' sample 3's target is 12", e.Message);
        }
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-0.25f)]
    [InlineData(float.NaN)]
    public void Binary_cross_entropy_targets_must_lie_in_0_1(float target)
    {
        var rng = new SourceGenNN.Kernels.Rng(3, "bce");
        var x = new float[30 * 30];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextNormal();
        var y = new float[30];
        for (int i = 0; i < y.Length; i++) y[i] = i % 2;
        y[21] = target;
        var data = new Dataset(x, y, 30);
        foreach (Loss loss in new Loss[] { new BinaryCrossEntropy(), new BinaryCrossEntropyWithLogits() })
        {
            var net = new CancerLogistic(seed: 1);
            var trainer = new Trainer(net, loss, new Sgd(net, 0.1f));
            var e = Assert.Throws<ArgumentException>(() => trainer.Fit(data, Quiet));
            Assert.StartsWith($"'train' sample 21's target is {target.ToString(System.Globalization.CultureInfo.InvariantCulture)}, but the loss '{loss.Name}' needs targets in [0, 1]", e.Message);
        }
    }

    [Fact]
    public void Regression_targets_must_be_finite_and_classification_metrics_check_theirs()
    {
        var rng = new SourceGenNN.Kernels.Rng(4, "mse");
        var x = new float[20 * 10];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextNormal();
        var y = new float[20];
        y[5] = float.PositiveInfinity;
        var net = new DiabetesLinear(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => new Trainer(net, new MeanSquaredError(), new Sgd(net, 0.1f)).Fit(new Dataset(x, y, 10), Quiet));
        Assert.StartsWith("'train' sample 5's target is Infinity, but the loss 'mse' needs finite targets", e.Message);
        // A single output read as two classes by Accuracy: the target must be 0 or 1 for the metric, though MSE takes 3.
        y[5] = 3f;
        e = Assert.Throws<ArgumentException>(() => new Trainer(net, new MeanSquaredError(), new Sgd(net, 0.1f), new SourceGenNN.Metrics.Accuracy()).Fit(new Dataset(x, y, 10), Quiet));
        Assert.StartsWith("'train' sample 5's target is 3, but the metric 'accuracy' needs a class index: a whole number in [0, 2)", e.Message);
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void A_validation_split_out_of_range_is_reported_as_ValidationSplit(double split)
    {
        // Before: "'testFraction' is 1.5, but a fraction in (0, 1) was expected", from Dataset.Split.
        var net = new DigitsSoftmax();
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(Classes(40), new FitOptions { ValidationSplit = split, Progress = ProgressMode.None }));
        Assert.Equal(nameof(FitOptions.ValidationSplit), e.ParamName);
        Assert.Contains("a fraction in [0, 1) of the training data to hold out for validation (0 for none)", e.Message);
        Assert.DoesNotContain("testFraction", e.Message);
    }

    [Fact]
    public void A_validation_split_holding_out_no_sample_is_reported_as_ValidationSplit()
    {
        var net = new DigitsSoftmax();
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(Classes(40), new FitOptions { ValidationSplit = 0.01, Progress = ProgressMode.None }));
        Assert.Equal(nameof(FitOptions.ValidationSplit), e.ParamName);
        Assert.Contains("0.01 of the 40 training samples holds out 0", e.Message);
    }

    // ---- a non-finite loss during Fit ----------------------------------------------------------------------------

    /// <summary>
    /// Mean squared error that returns NaN on the calls listed, and records, at every call, the parameters (which the
    /// forward pass does not change: they are those the previous batch left) and the optimiser's step count.
    /// </summary>
    private sealed class NaNOnCalls(INetwork network, Func<Optimizer> optimizer, params int[] calls) : Loss
    {
        private readonly MeanSquaredError _mse = new();
        public int Calls { get; private set; }
        public System.Collections.Generic.List<float[]> Parameters { get; } = [];
        public System.Collections.Generic.List<OptimizerState> States { get; } = [];
        public override string Name => "mse";
        protected override double ComputeCore(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features)
        {
            Calls++;
            Parameters.Add(network.Parameters.ToArray());
            States.Add(optimizer().ExportState());
            double loss = _mse.Compute(output, target, gradient, batch, features);
            return calls.Contains(Calls) ? double.NaN : loss;
        }
    }

    private static Dataset Regression(int n, ulong seed = 4)
    {
        var rng = new SourceGenNN.Kernels.Rng(seed, "regression");
        var x = new float[n * 10];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            for (int f = 0; f < 10; f++) x[i * 10 + f] = (float)rng.NextNormal();
            y[i] = 0.5f * x[i * 10] - x[i * 10 + 3];
        }
        return new Dataset(x, y, 10);
    }

    [Fact]
    public void A_non_finite_loss_stops_Fit_naming_the_epoch_and_batch_and_the_batch_updates_nothing()
    {
        // Before: a NaN loss went on to backward and the optimiser, and every weight became NaN.
        var net = new DiabetesLinear(seed: 1);
        Adam? adam = null;
        var loss = new NaNOnCalls(net, () => adam!, 7); // 40 samples in batches of 8: the 7th batch is epoch 2, batch 2
        adam = new Adam(net, 0.01f);
        var trainer = new Trainer(net, loss, adam);
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(Regression(40), new FitOptions
        {
            Epochs = 3, BatchSize = 8, Progress = ProgressMode.None,
            EarlyStopping = new EarlyStopping { Monitor = "loss", Patience = 5 },
        }));
        Assert.StartsWith("The loss is NaN at epoch 2 of 3, batch 2 of 5 (samples 9 to 16 of the epoch's order). Training stopped before this batch updated anything", e.Message);
        Assert.Contains("NonFiniteLossAction.Skip", e.Message);
        Assert.Equal(7, loss.Calls);
        Assert.Equal(loss.Parameters[6], net.Parameters.ToArray()); // as batch 6 left them
        Assert.Equal(6, adam.Steps);
        AssertSameState(loss.States[6], adam.ExportState());
        Assert.All(net.Parameters.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    private static void AssertSameState(OptimizerState expected, OptimizerState actual)
    {
        Assert.Equal(expected.Steps, actual.Steps);
        for (int i = 0; i < expected.Buffers.Count; i++) Assert.Equal(expected.Buffers[i].Value, actual.Buffers[i].Value);
    }

    [Fact]
    public void With_Skip_a_batch_with_a_non_finite_loss_changes_nothing_and_is_counted()
    {
        var net = new DiabetesLinear(seed: 1);
        Adam? adam = null;
        var loss = new NaNOnCalls(net, () => adam!, 3, 7, 8);
        adam = new Adam(net, 0.01f);
        var writer = new System.IO.StringWriter();
        var trainer = new Trainer(net, loss, adam, new SourceGenNN.Metrics.MeanSquaredErrorMetric());
        var history = trainer.Fit(Regression(40), new FitOptions
        {
            Epochs = 2, BatchSize = 8, Output = writer, NonFiniteLoss = NonFiniteLossAction.Skip,
        });
        Assert.Equal(10, loss.Calls);
        foreach (int skipped in new[] { 3, 7, 8 }) // calls are 1-based; Parameters[k] is what call k + 1 saw
        {
            Assert.Equal(loss.Parameters[skipped - 1], loss.Parameters[skipped]);
            AssertSameState(loss.States[skipped - 1], loss.States[skipped]);
        }
        Assert.NotEqual(loss.Parameters[0], loss.Parameters[1]); // the others did update
        Assert.Equal(7, adam.Steps);
        Assert.Equal(new[] { 1, 2 }, history.Epochs.Select(r => r.SkippedBatches));
        Assert.Equal(3, history.SkippedBatches);
        // The epoch's loss and metric are over the batches that trained: finite.
        Assert.All(history["loss"], v => Assert.True(double.IsFinite(v)));
        for (int i = 0; i < 2; i++) Assert.Equal(history["loss"][i], history["mse"][i], 5);
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("skipped 1 batch (non-finite loss)", lines[0]);
        Assert.Contains("skipped 2 batches (non-finite loss)", lines[1]);
    }

    [Fact]
    public void A_diverging_learning_rate_stops_with_finite_weights_and_early_stopping_never_restores_NaN()
    {
        // The real case: a rate far too high. Before, the weights went to ±∞ and then NaN, and early stopping restored them.
        var data = Regression(200);
        var net = new DiabetesLinear(seed: 1);
        var trainer = new Trainer(net, new MeanSquaredError(), new Sgd(net, 5f));
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(data, new FitOptions
        {
            Epochs = 50, BatchSize = 10, Progress = ProgressMode.None,
            EarlyStopping = new EarlyStopping { Monitor = "loss", Patience = 50 },
        }));
        Assert.Matches("^The loss is (NaN|Infinity) at epoch [0-9]+ of 50, batch [0-9]+ of 20", e.Message);
        Assert.All(net.Parameters.ToArray(), v => Assert.True(float.IsFinite(v)));

        var skipping = new DiabetesLinear(seed: 1);
        var history = new Trainer(skipping, new MeanSquaredError(), new Sgd(skipping, 5f)).Fit(data, new FitOptions
        {
            Epochs = 3, BatchSize = 10, Progress = ProgressMode.None, NonFiniteLoss = NonFiniteLossAction.Skip,
            EarlyStopping = new EarlyStopping { Monitor = "loss", Patience = 50 },
        });
        Assert.True(history.SkippedBatches > 0);
        Assert.All(skipping.Parameters.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void A_skipped_batch_leaves_the_running_statistics_as_they_were()
    {
        // BatchNorm's training forward pass updates the running statistics; a skipped batch puts them back. A target of
        // 3e38 (finite, so the data check passes) makes that batch's mean squared error overflow float: +∞.
        var rng = new SourceGenNN.Kernels.Rng(6, "bn-skip");
        var x = new float[48 * 24];
        var y = new float[48 * 2];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextNormal();
        for (int i = 0; i < y.Length; i++) y[i] = (float)rng.NextNormal();
        y[40 * 2] = 3e38f; // in the last batch of 8
        var options = new FitOptions { Epochs = 1, BatchSize = 8, Shuffle = false, Progress = ProgressMode.None, NonFiniteLoss = NonFiniteLossAction.Skip };
        var net = new SourceGenNN.Tests.Networks.NormNet(seed: 1);
        var history = new Trainer(net, new MeanSquaredError(), new Sgd(net, 0.05f, 0.9f)).Fit(new Dataset(x, y, 24, 2), options);
        Assert.Equal(1, history.SkippedBatches);
        // The same training without the last batch: the same weights and running statistics, bit for bit.
        var reference = new SourceGenNN.Tests.Networks.NormNet(seed: 1);
        new Trainer(reference, new MeanSquaredError(), new Sgd(reference, 0.05f, 0.9f)).Fit(
            new Dataset(x.AsSpan(0, 40 * 24).ToArray(), y.AsSpan(0, 40 * 2).ToArray(), 24, 2), options);
        Assert.Equal(reference.Parameters.ToArray(), net.Parameters.ToArray());
        Assert.Equal(reference.Buffers.ToArray(), net.Buffers.ToArray());
        // And with Throw: the same state, then the error.
        var stopped = new SourceGenNN.Tests.Networks.NormNet(seed: 1);
        Assert.Throws<InvalidOperationException>(() => new Trainer(stopped, new MeanSquaredError(), new Sgd(stopped, 0.05f, 0.9f)).Fit(
            new Dataset(x, y, 24, 2), new FitOptions { Epochs = 1, BatchSize = 8, Shuffle = false, Progress = ProgressMode.None }));
        Assert.Equal(reference.Buffers.ToArray(), stopped.Buffers.ToArray());
    }
}
