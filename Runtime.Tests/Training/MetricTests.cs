using System;
using System.Linq;
using SourceGenNN.Metrics;
using Xunit;

namespace SourceGenNN.Tests.Training;

public class MetricTests
{
    // A small 3-class case; the expected values below are counted with LINQ straight from the definitions.
    private static readonly int[] Actual = { 0, 0, 1, 1, 1, 2, 2, 0, 1, 2 };
    private static readonly int[] Predicted = { 0, 1, 1, 1, 0, 2, 1, 0, 1, 0 };

    private static int Count(int a, int p) => Actual.Zip(Predicted).Count(x => x.First == a && x.Second == p);
    private static double PrecisionOf(int c) => (double)Count(c, c) / Predicted.Count(p => p == c);
    private static double RecallOf(int c) => (double)Count(c, c) / Actual.Count(a => a == c);
    private static double F1Of(int c) => 2 * PrecisionOf(c) * RecallOf(c) / (PrecisionOf(c) + RecallOf(c));

    /// <summary>Outputs whose arg-max is the predicted class, as a network would give.</summary>
    private static float[] Outputs(int[] classes, int k) =>
        classes.SelectMany((c, n) => Enumerable.Range(0, k).Select(j => j == c ? 2f + n * 0.01f : -(j + n) * 0.1f)).ToArray();

    [Fact]
    public void Confusion_matrix_counts_every_pair()
    {
        var m = ClassificationMetrics.Confusion(Actual, Predicted, 3);
        for (int a = 0; a < 3; a++)
            for (int p = 0; p < 3; p++) Assert.Equal(Count(a, p), m[a, p]);
        Assert.Equal(Actual.Length, m.Total);
    }

    [Fact]
    public void Accuracy_precision_recall_f1_match_their_definitions()
    {
        var m = ClassificationMetrics.Confusion(Actual, Predicted, 3);
        double accuracy = (double)Actual.Zip(Predicted).Count(x => x.First == x.Second) / Actual.Length;
        Assert.Equal(accuracy, m.Accuracy, 12);
        Assert.Equal(accuracy, ClassificationMetrics.Accuracy(Actual, Predicted), 12);
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(PrecisionOf(c), m.Precision(c), 12);
            Assert.Equal(RecallOf(c), m.Recall(c), 12);
            Assert.Equal(F1Of(c), m.F1(c), 12);
        }
        Assert.Equal(Enumerable.Range(0, 3).Average(PrecisionOf), m.MacroPrecision, 12);
        Assert.Equal(Enumerable.Range(0, 3).Average(RecallOf), m.MacroRecall, 12);
        Assert.Equal(Enumerable.Range(0, 3).Average(F1Of), m.MacroF1, 12);
    }

    [Fact]
    public void Streaming_metrics_over_batches_equal_the_whole_set()
    {
        var output = Outputs(Predicted, 3);
        var target = Actual.Select(a => (float)a).ToArray();
        var metrics = new Metric[] { new Accuracy(), new Precision(Averaging.Macro), new Recall(Averaging.Macro), new F1Score(Averaging.Macro) };
        foreach (var metric in metrics)
        {
            metric.Update(output.AsSpan(0, 4 * 3), target.AsSpan(0, 4), 4, 3);
            metric.Update(output.AsSpan(4 * 3), target.AsSpan(4), 6, 3);
        }
        var m = ClassificationMetrics.Confusion(Actual, Predicted, 3);
        Assert.Equal(m.Accuracy, metrics[0].Result, 12);
        Assert.Equal(m.MacroPrecision, metrics[1].Result, 12);
        Assert.Equal(m.MacroRecall, metrics[2].Result, 12);
        Assert.Equal(m.MacroF1, metrics[3].Result, 12);
        Assert.Equal("f1_macro", metrics[3].Name);
    }

    [Fact]
    public void Metrics_read_one_hot_targets_like_class_indices()
    {
        var output = Outputs(Predicted, 3);
        var oneHot = Actual.SelectMany(a => Enumerable.Range(0, 3).Select(j => j == a ? 1f : 0f)).ToArray();
        var acc = new Accuracy();
        acc.Update(output, oneHot, Actual.Length, 3);
        Assert.Equal(ClassificationMetrics.Accuracy(Actual, Predicted), acc.Result, 12);
    }

    [Fact]
    public void Binary_metrics_threshold_a_single_output()
    {
        float[] p = { 0.9f, 0.2f, 0.6f, 0.4f, 0.7f, 0.1f };
        float[] y = { 1f, 0f, 0f, 1f, 1f, 0f };
        int[] predicted = p.Select(v => v >= 0.5f ? 1 : 0).ToArray();
        int[] actual = y.Select(v => (int)v).ToArray();
        int tp = predicted.Zip(actual).Count(x => x.First == 1 && x.Second == 1);
        int fp = predicted.Zip(actual).Count(x => x.First == 1 && x.Second == 0);
        int fn = predicted.Zip(actual).Count(x => x.First == 0 && x.Second == 1);
        double precision = (double)tp / (tp + fp), recall = (double)tp / (tp + fn);
        var metrics = new Metric[] { new Precision(), new Recall(), new F1Score(), new Accuracy() };
        foreach (var m in metrics) m.Update(p, y, 6, 1);
        Assert.Equal(precision, metrics[0].Result, 12);
        Assert.Equal(recall, metrics[1].Result, 12);
        Assert.Equal(2 * precision * recall / (precision + recall), metrics[2].Result, 12);
        Assert.Equal((double)predicted.Zip(actual).Count(x => x.First == x.Second) / 6, metrics[3].Result, 12);
    }

    [Fact]
    public void Precision_of_a_class_never_predicted_is_zero()
    {
        var m = ClassificationMetrics.Confusion(new[] { 0, 1, 2 }, new[] { 0, 0, 0 }, 3);
        Assert.Equal(0, m.Precision(2));
        Assert.Equal(0, m.F1(2));
    }

    [Fact]
    public void Confusion_matrix_renders_rows_as_actual_and_columns_as_predicted()
    {
        var m = new ConfusionMatrix(3, new[] { "cat", "dog", "owl" });
        m.Add(Actual, Predicted);
        var lines = m.ToString().Split('\n');
        Assert.StartsWith("actual \\ predicted", lines[0]);
        Assert.Equal(new[] { "cat", "dog", "owl", "recall" }, lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(3));
        for (int a = 0; a < 3; a++)
        {
            var cells = lines[1 + a].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(new[] { "cat", "dog", "owl" }[a], cells[0]);
            for (int p = 0; p < 3; p++) Assert.Equal(Count(a, p).ToString(System.Globalization.CultureInfo.InvariantCulture), cells[1 + p]);
            Assert.Equal(RecallOf(a).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture), cells[4]);
        }
        Assert.StartsWith("precision", lines[4]);
        Assert.Contains("accuracy", lines[5]);
        int width = lines[0].Length;
        Assert.All(lines.Take(4), l => Assert.Equal(width, l.Length));
    }

    private static readonly float[] Y = { 3f, -0.5f, 2f, 7f, 1.5f };
    private static readonly float[] F = { 2.5f, 0f, 2f, 8f, 1f };

    [Fact]
    public void Regression_metrics_match_their_definitions()
    {
        double mse = Y.Zip(F).Average(x => Math.Pow(x.First - x.Second, 2));
        double mae = Y.Zip(F).Average(x => Math.Abs(x.First - x.Second));
        double mean = Y.Average(v => (double)v);
        double r2 = 1 - Y.Zip(F).Sum(x => Math.Pow(x.First - x.Second, 2)) / Y.Sum(v => Math.Pow(v - mean, 2));
        Assert.Equal(mse, RegressionMetrics.MeanSquaredError(Y, F), 12);
        Assert.Equal(Math.Sqrt(mse), RegressionMetrics.RootMeanSquaredError(Y, F), 12);
        Assert.Equal(mae, RegressionMetrics.MeanAbsoluteError(Y, F), 12);
        Assert.Equal(r2, RegressionMetrics.RSquared(Y, F), 12);

        var metrics = new Metric[] { new MeanSquaredErrorMetric(), new RootMeanSquaredErrorMetric(), new MeanAbsoluteErrorMetric(), new RSquared() };
        foreach (var m in metrics)
        {
            m.Update(F.AsSpan(0, 2), Y.AsSpan(0, 2), 2, 1);
            m.Update(F.AsSpan(2), Y.AsSpan(2), 3, 1);
        }
        Assert.Equal(mse, metrics[0].Result, 12);
        Assert.Equal(Math.Sqrt(mse), metrics[1].Result, 12);
        Assert.Equal(mae, metrics[2].Result, 12);
        Assert.Equal(r2, metrics[3].Result, 10);
    }

    [Fact]
    public void R_squared_of_several_outputs_averages_each_output()
    {
        // Two outputs interleaved row-major: column 0 is (Y, F), column 1 is (F, Y).
        var target = Y.Zip(F).SelectMany(x => new[] { x.First, x.Second }).ToArray();
        var output = F.Zip(Y).SelectMany(x => new[] { x.First, x.Second }).ToArray();
        var m = new RSquared();
        m.Update(output, target, 5, 2);
        Assert.Equal((RegressionMetrics.RSquared(Y, F) + RegressionMetrics.RSquared(F, Y)) / 2, m.Result, 10);
    }

    [Fact]
    public void Perfect_predictions_score_r_squared_one()
    {
        Assert.Equal(1.0, RegressionMetrics.RSquared(Y, Y), 12);
    }
}
