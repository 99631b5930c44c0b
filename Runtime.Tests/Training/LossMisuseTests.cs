using System;
using SourceGenNN.Metrics;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Training;

/// <summary>
/// Losses and metrics given what they cannot use: lengths whose batch × features product overflows int, probabilities
/// outside [0, 1], infinite logits. PyTorch's values are printed by <c>tools/pytorch/record_nonfinite.py</c>.
/// </summary>
public class LossMisuseTests
{
    public static TheoryData<string> Losses => new() { "mse", "mae", "huber", "bce", "bce_logits", "ce_index", "ce_probs", "nll" };

    private static Loss Make(string name) => name switch
    {
        "mse" => new MeanSquaredError(),
        "mae" => new MeanAbsoluteError(),
        "huber" => new HuberLoss(),
        "bce" => new BinaryCrossEntropy(),
        "bce_logits" => new BinaryCrossEntropyWithLogits(),
        "ce_index" => new CrossEntropy(),
        "ce_probs" => new CrossEntropy(CrossEntropyTarget.Probabilities),
        "nll" => new NegativeLogLikelihood(),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Losses))]
    public void A_batch_times_features_beyond_int_is_a_length_error_not_a_NaN(string name)
    {
        // 65536 × 65536 wraps around to 0 in int, so empty spans used to pass the length check and the mean of nothing
        // came back as NaN; 46341² wraps around to a negative number.
        var loss = Make(name);
        foreach (int size in new[] { 65536, 46341 })
        {
            var e = Assert.Throws<ArgumentException>(() => loss.Compute([], [], default, size, size));
            Assert.Contains(((long)size * size).ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
            if (loss.FusedActivation is not null)
                Assert.Throws<ArgumentException>(() => loss.ComputeFromLogits([], [], default, size, size));
        }
        // And with targets that fit one per sample (class indices), the output check still catches it.
        Assert.Throws<ArgumentException>(() => loss.Compute([], new float[65536], default, 65536, 65536));
    }

    [Fact]
    public void Metrics_reject_a_batch_times_features_beyond_int()
    {
        Metric[] metrics =
        [
            new Accuracy(), new Precision(Averaging.Macro), new Recall(Averaging.Macro), new F1Score(Averaging.Macro),
            new MeanSquaredErrorMetric(), new RootMeanSquaredErrorMetric(), new MeanAbsoluteErrorMetric(), new RSquared(),
        ];
        foreach (var m in metrics)
        {
            // Empty output with class-index targets (one per sample) and with empty targets: both wrap to a length that
            // used to pass, giving a silent 0 (error metrics) or an IndexOutOfRangeException deep in the loop.
            Assert.Throws<ArgumentException>(() => m.Update([], new float[65536], 65536, 65536));
            Assert.Throws<ArgumentException>(() => m.Update([], [], 65536, 65536));
        }
        var mse = new MeanSquaredErrorMetric();
        Assert.Throws<ArgumentException>(() => mse.Update([], [], 65536, 65536));
        Assert.Equal(0, mse.Result); // nothing counted
    }

    [Fact]
    public void A_data_set_whose_count_times_target_width_wraps_around_is_refused()
    {
        // 65536 samples of one feature and 65536 targets each: 2³² targets, 0 in int, so empty targets used to pass.
        var e = Assert.Throws<ArgumentException>(() => new SourceGenNN.Data.Dataset(new float[65536], [], 1, 65536));
        Assert.Contains("4294967296", e.Message);
    }

    [Fact]
    public void Predicting_more_outputs_than_an_array_holds_is_an_argument_error()
    {
        // One input, 65536 outputs: 65536 inputs fit, their 2³² outputs do not (and wrapped around to an empty array).
        var net = new SourceGenNN.Tests.TestDoubles.LinearNetwork(1, 65536);
        var trainer = new Trainer(net, new MeanSquaredError(), new Sgd(net, 0.1f));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Predict(new float[65536]));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("[65536, 65536] outputs are 4294967296 values", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Reserve(65536));
        Assert.Equal("batchSize", e.ParamName);
        Assert.Throws<ArgumentException>(() => trainer.Predict(new float[65536], Span<float>.Empty));
    }

    [Fact]
    public void A_confusion_matrix_too_large_for_an_array_is_an_argument_error()
    {
        // 65536² counts wrap around to an empty array (and 46341² to a negative size).
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ConfusionMatrix(65536));
        Assert.Contains("classes", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConfusionMatrix(46341));
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-0.5f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void BCE_on_an_output_outside_0_1_throws_as_PyTorch_and_writes_nothing(float p)
    {
        // PyTorch: RuntimeError "all elements of input should be between 0 and 1". Before: a NaN loss and a gradient
        // of 1e12.
        float[] output = [0.25f, 0.5f, p, 0.75f];
        float[] target = [0f, 1f, 0f, 1f];
        var gradient = new float[4];
        Array.Fill(gradient, 7f);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryCrossEntropy().Compute(output, target, gradient, 2, 2));
        Assert.Equal("output", e.ParamName);
        Assert.Contains("output element 2 (sample 1, feature 0)", e.Message);
        Assert.Contains("[0, 1]", e.Message);
        Assert.All(gradient, g => Assert.Equal(7f, g));
    }

    [Fact]
    public void BCE_accepts_the_ends_of_0_1_and_targets_outside_it_as_PyTorch()
    {
        var bce = new BinaryCrossEntropy();
        Assert.Equal(100f, bce.Compute([0f], [1f], default, 1, 1)); // log clamped at −100
        Assert.Equal(0f, bce.Compute([1f], [1f], default, 1, 1));
        // PyTorch does not check targets: BCELoss(0.5, 1.5) = log 2.
        Assert.Equal(MathF.Log(2f), bce.Compute([0.5f], [1.5f], default, 1, 1), 6);
    }

    [Theory]
    // z, y, PyTorch's loss, PyTorch's dloss/dz (one element)
    [InlineData(float.PositiveInfinity, 0f, float.PositiveInfinity, 1f)]
    [InlineData(float.PositiveInfinity, 0.5f, float.PositiveInfinity, 0.5f)]
    [InlineData(float.PositiveInfinity, 1f, float.NaN, 0f)]
    [InlineData(float.NegativeInfinity, 0f, float.NaN, 0f)]
    [InlineData(float.NegativeInfinity, 1f, float.NaN, -1f)]
    [InlineData(float.NegativeInfinity, 0.5f, float.NaN, -0.5f)]
    public void BCE_with_logits_at_infinite_logits_gives_PyTorchs_values(float z, float y, float loss, float gradient)
    {
        // Before: z = +∞, y = 0 gave NaN (max(z, 0) − z·y = ∞ − ∞·0), where PyTorch gives +∞.
        var grad = new float[1];
        float value = new BinaryCrossEntropyWithLogits().Compute([z], [y], grad, 1, 1);
        Assert.Equal(loss, value);
        Assert.Equal(gradient, grad[0]);
        // The fused form (a final Sigmoid) is the same computation.
        Assert.Equal(loss, new BinaryCrossEntropy().ComputeFromLogits([z], [y], grad, 1, 1));
        Assert.Equal(gradient, grad[0]);
    }

    [Fact]
    public void Cross_entropy_of_a_NaN_logit_is_NaN_as_PyTorch()
    {
        Assert.True(float.IsNaN(new CrossEntropy().Compute([float.NaN, 1f, 2f], [1f], default, 1, 3)));
    }
}
