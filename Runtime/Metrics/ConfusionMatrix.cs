using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Metrics;

/// <summary>
/// Counts of (actual class, predicted class) pairs, with the per-class and averaged precision, recall and F1 that follow
/// from them (0 where a ratio has a zero denominator, as scikit-learn's <c>zero_division=0</c>).
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    /// <summary>Creates an empty matrix.</summary>
    /// <param name="classes">The number of classes (at least 2).</param>
    /// <param name="labels">Optional class names for the text rendering; as many as <paramref name="classes"/>.</param>
    public ConfusionMatrix(int classes, IReadOnlyList<string>? labels = null)
    {
        if (classes < 2) ThrowHelper.ThrowArgumentOutOfRange(nameof(classes), classes, "at least 2 classes");
        // classes² counts: checked in long, since the square of more than 46340 classes wraps around in int.
        if ((long)classes * classes > Array.MaxLength)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(classes), classes, $"at most {(int)Math.Sqrt(Array.MaxLength)} classes (the matrix holds classes² counts)");
        if (labels is not null && labels.Count != classes)
            ThrowHelper.ThrowLength(nameof(labels), classes, labels.Count, "one label per class");
        Classes = classes;
        Labels = labels;
        _counts = new long[classes * classes];
    }

    /// <summary>The number of classes.</summary>
    public int Classes { get; }

    /// <summary>The class names, or null.</summary>
    public IReadOnlyList<string>? Labels { get; }

    /// <summary>The number of samples counted.</summary>
    public long Total { get; private set; }

    /// <summary>The number of samples of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int actual, int predicted]
    {
        get
        {
            CheckClass(actual, nameof(actual));
            CheckClass(predicted, nameof(predicted));
            return _counts[actual * Classes + predicted];
        }
    }

    /// <summary>Counts one sample.</summary>
    public void Add(int actual, int predicted)
    {
        CheckClass(actual, nameof(actual));
        CheckClass(predicted, nameof(predicted));
        _counts[actual * Classes + predicted]++;
        Total++;
    }

    /// <summary>Counts pairs of actual and predicted classes.</summary>
    public void Add(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted)
    {
        ThrowHelper.CheckLength(predicted.Length, actual.Length, nameof(predicted), "one prediction per actual class");
        for (int i = 0; i < actual.Length; i++) Add(actual[i], predicted[i]);
    }

    /// <summary>
    /// Counts a batch of network outputs against targets: the predicted class is the arg-max of each output row (or
    /// output ≥ <paramref name="threshold"/> for one output), the actual class is the target's index or arg-max.
    /// </summary>
    public void Add(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int features, float threshold = 0.5f)
    {
        int width = ClassificationMetrics.CheckShapes(output, target, batch, features);
        for (int n = 0; n < batch; n++)
            Add(ClassificationMetrics.ActualClass(target, n, width, features), ClassificationMetrics.PredictedClass(output, n, features, threshold));
    }

    /// <summary>Clears every count.</summary>
    public void Clear()
    {
        Array.Clear(_counts);
        Total = 0;
    }

    /// <summary>The fraction of samples on the diagonal.</summary>
    public double Accuracy
    {
        get
        {
            long correct = 0;
            for (int c = 0; c < Classes; c++) correct += _counts[c * Classes + c];
            return Total == 0 ? 0 : (double)correct / Total;
        }
    }

    /// <summary>TP / (TP + FP) for class <paramref name="c"/>.</summary>
    public double Precision(int c)
    {
        CheckClass(c, nameof(c));
        long predicted = 0;
        for (int a = 0; a < Classes; a++) predicted += _counts[a * Classes + c];
        return predicted == 0 ? 0 : (double)_counts[c * Classes + c] / predicted;
    }

    /// <summary>TP / (TP + FN) for class <paramref name="c"/>.</summary>
    public double Recall(int c)
    {
        CheckClass(c, nameof(c));
        long actual = 0;
        for (int p = 0; p < Classes; p++) actual += _counts[c * Classes + p];
        return actual == 0 ? 0 : (double)_counts[c * Classes + c] / actual;
    }

    /// <summary>The harmonic mean of precision and recall for class <paramref name="c"/>.</summary>
    public double F1(int c)
    {
        double p = Precision(c), r = Recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /// <summary>The unweighted mean of the per-class precisions.</summary>
    public double MacroPrecision => Macro(Precision);

    /// <summary>The unweighted mean of the per-class recalls.</summary>
    public double MacroRecall => Macro(Recall);

    /// <summary>The unweighted mean of the per-class F1 scores.</summary>
    public double MacroF1 => Macro(F1);

    private double Macro(Func<int, double> perClass)
    {
        double sum = 0;
        for (int c = 0; c < Classes; c++) sum += perClass(c);
        return sum / Classes;
    }

    /// <summary>
    /// The matrix as text: one row per actual class, one column per predicted class, with each row's recall and each
    /// column's precision, and the accuracy.
    /// </summary>
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var names = new string[Classes];
        for (int c = 0; c < Classes; c++) names[c] = Labels?[c] ?? c.ToString(inv);
        int width = 6;
        foreach (var n in names) width = Math.Max(width, n.Length);
        foreach (long v in _counts) width = Math.Max(width, v.ToString(inv).Length);
        int rowHead = Math.Max("actual \\ predicted".Length, width);
        foreach (var n in names) rowHead = Math.Max(rowHead, n.Length);

        var sb = new StringBuilder();
        sb.Append("actual \\ predicted".PadRight(rowHead));
        foreach (var n in names) sb.Append(' ').Append(n.PadLeft(width));
        sb.Append(' ').Append("recall".PadLeft(width)).Append('\n');
        for (int a = 0; a < Classes; a++)
        {
            sb.Append(names[a].PadRight(rowHead));
            for (int p = 0; p < Classes; p++) sb.Append(' ').Append(_counts[a * Classes + p].ToString(inv).PadLeft(width));
            sb.Append(' ').Append(Recall(a).ToString("0.000", inv).PadLeft(width)).Append('\n');
        }
        sb.Append("precision".PadRight(rowHead));
        for (int p = 0; p < Classes; p++) sb.Append(' ').Append(Precision(p).ToString("0.000", inv).PadLeft(width));
        sb.Append('\n');
        sb.Append("accuracy ").Append(Accuracy.ToString("0.0000", inv)).Append(" of ").Append(Total.ToString(inv)).Append(" samples\n");
        return sb.ToString();
    }

    private void CheckClass(int c, string name)
    {
        if ((uint)c >= (uint)Classes) ThrowHelper.ThrowArgumentOutOfRange(name, c, $"a class in [0, {Classes})");
    }
}
