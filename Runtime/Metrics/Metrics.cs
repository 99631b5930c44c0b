using System;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Metrics;

/// <summary>Classification metrics over class indices, and how outputs and targets are read as classes.</summary>
public static class ClassificationMetrics
{
    /// <summary>The fraction of positions where <paramref name="predicted"/> equals <paramref name="actual"/>.</summary>
    public static double Accuracy(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted)
    {
        ThrowHelper.CheckLength(predicted.Length, actual.Length, nameof(predicted), "one prediction per actual class");
        if (actual.Length == 0) return 0;
        int correct = 0;
        for (int i = 0; i < actual.Length; i++) if (actual[i] == predicted[i]) correct++;
        return (double)correct / actual.Length;
    }

    /// <summary>Builds the confusion matrix of class indices.</summary>
    public static ConfusionMatrix Confusion(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted, int classes)
    {
        var m = new ConfusionMatrix(classes);
        m.Add(actual, predicted);
        return m;
    }

    /// <summary>
    /// The class a network predicts for sample <paramref name="n"/>: the arg-max of its output row (first on ties), or,
    /// for a single output, 1 when it is at least <paramref name="threshold"/> and 0 otherwise.
    /// </summary>
    public static int PredictedClass(ReadOnlySpan<float> output, int n, int features, float threshold = 0.5f)
    {
        if (features == 1) return output[n] >= threshold ? 1 : 0;
        return ArgMax(output.Slice(n * features, features));
    }

    /// <summary>The actual class of sample <paramref name="n"/>: its index when the target width is 1, else the arg-max of its one-hot row.</summary>
    public static int ActualClass(ReadOnlySpan<float> target, int n, int targetWidth, int features)
    {
        if (targetWidth == 1)
        {
            float v = target[n];
            int c = (int)v;
            int classes = features == 1 ? 2 : features;
            if (c != v || c < 0 || c >= classes)
                ThrowHelper.ThrowArgumentOutOfRange(nameof(target), v, $"a class index in [0, {classes}) for sample {n}");
            return c;
        }
        return ArgMax(target.Slice(n * targetWidth, targetWidth));
    }

    /// <summary>The index of the largest value (the first on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    internal static int CheckShapes(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int features)
    {
        if (batch <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batch), batch, "a positive batch size");
        if (features <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(features), features, "a positive number of features");
        ThrowHelper.CheckShape(output.Length, batch, features, nameof(output), "batch", "features"); // in long: no wrap-around
        int width = target.Length / batch;
        if (target.Length != batch * width || (width != 1 && width != features))
            ThrowHelper.ThrowLength(nameof(target), batch * features, target.Length, "[batch, 1] class indices or [batch, features] one-hot rows");
        return width;
    }
}

/// <summary>Regression metrics over predictions and actual values.</summary>
public static class RegressionMetrics
{
    /// <summary>The mean of (predicted − actual)².</summary>
    public static double MeanSquaredError(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted)
    {
        Check(actual, predicted);
        double s = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = (double)predicted[i] - actual[i];
            s += d * d;
        }
        return s / actual.Length;
    }

    /// <summary>The square root of the mean squared error.</summary>
    public static double RootMeanSquaredError(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted) =>
        Math.Sqrt(MeanSquaredError(actual, predicted));

    /// <summary>The mean of |predicted − actual|.</summary>
    public static double MeanAbsoluteError(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted)
    {
        Check(actual, predicted);
        double s = 0;
        for (int i = 0; i < actual.Length; i++) s += Math.Abs((double)predicted[i] - actual[i]);
        return s / actual.Length;
    }

    /// <summary>
    /// The coefficient of determination 1 − SS_res/SS_tot of one output (scikit-learn's <c>r2_score</c>; 0 when
    /// the actual values are constant and imperfectly predicted, 1 when perfectly).
    /// </summary>
    public static double RSquared(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted)
    {
        Check(actual, predicted);
        double mean = 0;
        foreach (float a in actual) mean += a;
        mean /= actual.Length;
        double res = 0, tot = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = (double)actual[i] - predicted[i], t = actual[i] - mean;
            res += d * d;
            tot += t * t;
        }
        if (tot == 0) return res == 0 ? 1 : 0;
        return 1 - res / tot;
    }

    private static void Check(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted)
    {
        ThrowHelper.CheckLength(predicted.Length, actual.Length, nameof(predicted), "one prediction per actual value");
        if (actual.Length == 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(actual), 0, "at least one value");
    }
}

/// <summary>
/// A metric accumulated over batches during training and evaluation: <see cref="Reset"/>, <see cref="Update"/> per
/// batch, then <see cref="Result"/>. Updates allocate nothing once the metric has seen its first batch.
/// </summary>
public abstract class Metric
{
    /// <summary>The name used in histories, progress lines and early stopping (<c>accuracy</c>; <c>val_accuracy</c> on validation data).</summary>
    public abstract string Name { get; }

    /// <summary>Whether a larger value is better (accuracy) or a smaller one (mse).</summary>
    public abstract bool HigherIsBetter { get; }

    /// <summary>Forgets every batch seen.</summary>
    public abstract void Reset();

    /// <summary>Adds a batch of outputs [batch, features] and targets [batch, target width].</summary>
    public abstract void Update(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int features);

    /// <summary>The metric over every batch since the last reset.</summary>
    public abstract double Result { get; }

    /// <summary>
    /// What is wrong with a data set's targets for this metric, or null (the trainer asks once, when <c>Fit</c> or
    /// <c>Evaluate</c> starts, so that a bad target is reported by its index in the data set, before any update).
    /// </summary>
    internal virtual string? TargetProblem(ReadOnlySpan<float> targets, int targetWidth, int features, out int index)
    {
        index = -1;
        return null;
    }

    /// <summary>Class-index targets (width 1) must be classes of a classification metric: whole numbers in [0, classes).</summary>
    private protected string? ClassTargetProblem(ReadOnlySpan<float> targets, int targetWidth, int features, out int index)
    {
        index = -1;
        return targetWidth == 1 ? Training.Loss.ClassIndexProblem(targets, features == 1 ? 2 : features, $"the metric '{Name}'", out index) : null;
    }
}

/// <summary>The fraction of samples whose predicted class (arg-max, or output ≥ threshold for one output) is the target class.</summary>
public sealed class Accuracy(float threshold = 0.5f) : Metric
{
    private long _correct, _total;

    /// <inheritdoc />
    public override string Name => "accuracy";

    /// <inheritdoc />
    public override bool HigherIsBetter => true;

    /// <inheritdoc />
    public override void Reset() => _correct = _total = 0;

    /// <inheritdoc />
    public override void Update(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int features)
    {
        int width = ClassificationMetrics.CheckShapes(output, target, batch, features);
        for (int n = 0; n < batch; n++)
            if (ClassificationMetrics.PredictedClass(output, n, features, threshold) == ClassificationMetrics.ActualClass(target, n, width, features))
                _correct++;
        _total += batch;
    }

    /// <inheritdoc />
    public override double Result => _total == 0 ? 0 : (double)_correct / _total;

    /// <inheritdoc />
    internal override string? TargetProblem(ReadOnlySpan<float> targets, int targetWidth, int features, out int index) =>
        ClassTargetProblem(targets, targetWidth, features, out index);
}

/// <summary>How precision, recall and F1 combine classes.</summary>
public enum Averaging
{
    /// <summary>The score of the positive class alone (binary problems).</summary>
    Binary,

    /// <summary>The unweighted mean of the per-class scores.</summary>
    Macro,
}

/// <summary>A metric read off a confusion matrix accumulated over batches.</summary>
public abstract class ConfusionMetric : Metric
{
    private ConfusionMatrix? _matrix;

    /// <summary>Creates the metric.</summary>
    /// <param name="averaging">Binary (the positive class) or macro.</param>
    /// <param name="positiveClass">The positive class for binary averaging.</param>
    /// <param name="threshold">The decision threshold for a single output.</param>
    protected ConfusionMetric(Averaging averaging, int positiveClass, float threshold)
    {
        if (positiveClass < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(positiveClass), positiveClass, "a non-negative class");
        Averaging = averaging;
        PositiveClass = positiveClass;
        Threshold = threshold;
    }

    /// <summary>Binary or macro.</summary>
    public Averaging Averaging { get; }

    /// <summary>The positive class for binary averaging.</summary>
    public int PositiveClass { get; }

    /// <summary>The decision threshold for a single output.</summary>
    public float Threshold { get; }

    /// <summary>The counts so far, or null before the first batch.</summary>
    public ConfusionMatrix? Matrix => _matrix;

    /// <inheritdoc />
    public override bool HigherIsBetter => true;

    /// <inheritdoc />
    public override void Reset() => _matrix?.Clear();

    /// <inheritdoc />
    public override void Update(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int features)
    {
        ClassificationMetrics.CheckShapes(output, target, batch, features); // before sizing a matrix from features
        int classes = features == 1 ? 2 : features;
        if (_matrix is null || _matrix.Classes != classes) _matrix = new ConfusionMatrix(classes);
        if (Averaging == Averaging.Binary && PositiveClass >= classes)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(PositiveClass), PositiveClass, $"a class in [0, {classes})");
        _matrix.Add(output, target, batch, features, Threshold);
    }

    /// <inheritdoc />
    public override double Result
    {
        get
        {
            if (_matrix is null) return 0;
            if (Averaging == Averaging.Binary) return Score(_matrix, PositiveClass);
            double sum = 0;
            for (int c = 0; c < _matrix.Classes; c++) sum += Score(_matrix, c);
            return sum / _matrix.Classes;
        }
    }

    /// <summary>The score of one class.</summary>
    protected abstract double Score(ConfusionMatrix matrix, int c);

    /// <inheritdoc />
    internal override string? TargetProblem(ReadOnlySpan<float> targets, int targetWidth, int features, out int index) =>
        ClassTargetProblem(targets, targetWidth, features, out index);

    /// <summary>The metric's name: the base name, with <c>_macro</c> for macro averaging.</summary>
    protected string NameFor(string baseName) => Averaging == Averaging.Macro ? baseName + "_macro" : baseName;
}

/// <summary>Precision: TP / (TP + FP).</summary>
public sealed class Precision(Averaging averaging = Averaging.Binary, int positiveClass = 1, float threshold = 0.5f)
    : ConfusionMetric(averaging, positiveClass, threshold)
{
    /// <inheritdoc />
    public override string Name => NameFor("precision");

    /// <inheritdoc />
    protected override double Score(ConfusionMatrix matrix, int c) => matrix.Precision(c);
}

/// <summary>Recall: TP / (TP + FN).</summary>
public sealed class Recall(Averaging averaging = Averaging.Binary, int positiveClass = 1, float threshold = 0.5f)
    : ConfusionMetric(averaging, positiveClass, threshold)
{
    /// <inheritdoc />
    public override string Name => NameFor("recall");

    /// <inheritdoc />
    protected override double Score(ConfusionMatrix matrix, int c) => matrix.Recall(c);
}

/// <summary>F1: the harmonic mean of precision and recall.</summary>
public sealed class F1Score(Averaging averaging = Averaging.Binary, int positiveClass = 1, float threshold = 0.5f)
    : ConfusionMetric(averaging, positiveClass, threshold)
{
    /// <inheritdoc />
    public override string Name => NameFor("f1");

    /// <inheritdoc />
    protected override double Score(ConfusionMatrix matrix, int c) => matrix.F1(c);
}

/// <summary>Regression metrics accumulated over batches: sums of errors over every output.</summary>
public abstract class ErrorMetric : Metric
{
    /// <summary>Σ (output − target)².</summary>
    protected double SquaredSum { get; private set; }

    /// <summary>Σ |output − target|.</summary>
    protected double AbsoluteSum { get; private set; }

    /// <summary>The number of values.</summary>
    protected long Count { get; private set; }

    /// <inheritdoc />
    public override bool HigherIsBetter => false;

    /// <inheritdoc />
    public override void Reset()
    {
        SquaredSum = AbsoluteSum = 0;
        Count = 0;
    }

    /// <inheritdoc />
    public override void Update(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int features)
    {
        if (batch <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batch), batch, "a positive batch size");
        if (features <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(features), features, "a positive number of features");
        // In long: batch × features can exceed int, and a product wrapped around to 0 would let empty spans through.
        ThrowHelper.CheckShape(output.Length, batch, features, nameof(output), "batch", "features");
        ThrowHelper.CheckShape(target.Length, batch, features, nameof(target), "batch", "features");
        double sq = 0, ab = 0;
        for (int i = 0; i < output.Length; i++)
        {
            double d = (double)output[i] - target[i];
            sq += d * d;
            ab += Math.Abs(d);
        }
        SquaredSum += sq;
        AbsoluteSum += ab;
        Count += output.Length;
    }
}

/// <summary>Mean squared error over every output.</summary>
public sealed class MeanSquaredErrorMetric : ErrorMetric
{
    /// <inheritdoc />
    public override string Name => "mse";

    /// <inheritdoc />
    public override double Result => Count == 0 ? 0 : SquaredSum / Count;
}

/// <summary>Root mean squared error over every output.</summary>
public sealed class RootMeanSquaredErrorMetric : ErrorMetric
{
    /// <inheritdoc />
    public override string Name => "rmse";

    /// <inheritdoc />
    public override double Result => Count == 0 ? 0 : Math.Sqrt(SquaredSum / Count);
}

/// <summary>Mean absolute error over every output.</summary>
public sealed class MeanAbsoluteErrorMetric : ErrorMetric
{
    /// <inheritdoc />
    public override string Name => "mae";

    /// <inheritdoc />
    public override double Result => Count == 0 ? 0 : AbsoluteSum / Count;
}

/// <summary>
/// R², the coefficient of determination, per output then averaged over outputs (scikit-learn's
/// <c>uniform_average</c>), accumulated from running sums.
/// </summary>
public sealed class RSquared : Metric
{
    private double[] _sum = [], _sumSq = [], _res = [];
    private long _count;

    /// <inheritdoc />
    public override string Name => "r2";

    /// <inheritdoc />
    public override bool HigherIsBetter => true;

    /// <inheritdoc />
    public override void Reset()
    {
        Array.Clear(_sum);
        Array.Clear(_sumSq);
        Array.Clear(_res);
        _count = 0;
    }

    /// <inheritdoc />
    public override void Update(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int features)
    {
        if (batch <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batch), batch, "a positive batch size");
        if (features <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(features), features, "a positive number of features");
        // In long: batch × features can exceed int, and a product wrapped around to 0 would let empty spans through.
        ThrowHelper.CheckShape(output.Length, batch, features, nameof(output), "batch", "features");
        ThrowHelper.CheckShape(target.Length, batch, features, nameof(target), "batch", "features");
        if (_sum.Length != features)
        {
            _sum = new double[features];
            _sumSq = new double[features];
            _res = new double[features];
            _count = 0;
        }
        for (int n = 0; n < batch; n++)
            for (int f = 0; f < features; f++)
            {
                double y = target[n * features + f], d = y - output[n * features + f];
                _sum[f] += y;
                _sumSq[f] += y * y;
                _res[f] += d * d;
            }
        _count += batch;
    }

    /// <inheritdoc />
    public override double Result
    {
        get
        {
            if (_count == 0) return 0;
            double total = 0;
            for (int f = 0; f < _sum.Length; f++)
            {
                double tot = _sumSq[f] - _sum[f] * _sum[f] / _count;
                total += tot <= 1e-12 * Math.Max(1, _sumSq[f]) ? (_res[f] == 0 ? 1 : 0) : 1 - _res[f] / tot;
            }
            return total / _sum.Length;
        }
    }
}
