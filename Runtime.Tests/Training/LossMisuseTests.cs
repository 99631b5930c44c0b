using System;
using SourceGenNN.Metrics;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Training;

/// <summary>
/// Losses and metrics given what they cannot use: lengths whose batch × features product overflows int, probabilities
/// outside [0, 1], infinite logits.
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
    public void A_confusion_matrix_too_large_for_an_array_is_an_argument_error()
    {
        // 65536² counts wrap around to an empty array (and 46341² to a negative size).
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ConfusionMatrix(65536));
        Assert.Contains("classes", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConfusionMatrix(46341));
    }
}
