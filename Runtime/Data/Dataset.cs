using System;
using SourceGenNN.Kernels;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Data;

/// <summary>
/// Samples held as two row-major float arrays: features [Count, FeatureCount] and targets [Count, TargetWidth]
/// (a class index per sample has width 1).
/// </summary>
public sealed class Dataset
{
    /// <summary>Creates a data set over the given arrays (not copied).</summary>
    /// <param name="features">[count, featureCount], row-major.</param>
    /// <param name="targets">[count, targetWidth], row-major.</param>
    /// <param name="featureCount">Features per sample.</param>
    /// <param name="targetWidth">Target values per sample.</param>
    public Dataset(float[] features, float[] targets, int featureCount, int targetWidth = 1)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (featureCount <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(featureCount), featureCount, "a positive feature count");
        if (targetWidth <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(targetWidth), targetWidth, "a positive target width");
        if (features.Length % featureCount != 0)
            ThrowHelper.ThrowLength(nameof(features), features.Length / featureCount * featureCount, features.Length, "[count, featureCount]");
        int count = features.Length / featureCount;
        ThrowHelper.CheckShape(targets.Length, count, targetWidth, nameof(targets), "count", "targetWidth"); // in long: no wrap-around
        Features = features;
        Targets = targets;
        FeatureCount = featureCount;
        TargetWidth = targetWidth;
        Count = count;
    }

    /// <summary>[Count, FeatureCount], row-major.</summary>
    public float[] Features { get; }

    /// <summary>[Count, TargetWidth], row-major.</summary>
    public float[] Targets { get; }

    /// <summary>The number of samples.</summary>
    public int Count { get; }

    /// <summary>Features per sample.</summary>
    public int FeatureCount { get; }

    /// <summary>Target values per sample.</summary>
    public int TargetWidth { get; }

    /// <summary>The features of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> FeaturesOf(int index) => Features.AsSpan(index * FeatureCount, FeatureCount);

    /// <summary>The targets of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> TargetsOf(int index) => Targets.AsSpan(index * TargetWidth, TargetWidth);

    /// <summary>The class index of each sample (width-1 targets), or the arg-max of each target row.</summary>
    public int[] Labels()
    {
        var labels = new int[Count];
        for (int i = 0; i < Count; i++)
            labels[i] = TargetWidth == 1 ? (int)Targets[i] : Metrics.ClassificationMetrics.ArgMax(TargetsOf(i));
        return labels;
    }

    /// <summary>A new data set of the samples at <paramref name="indices"/>, in that order (copied).</summary>
    public Dataset Select(ReadOnlySpan<int> indices)
    {
        var x = new float[indices.Length * FeatureCount];
        var y = new float[indices.Length * TargetWidth];
        for (int i = 0; i < indices.Length; i++)
        {
            int s = indices[i];
            if ((uint)s >= (uint)Count) ThrowHelper.ThrowArgumentOutOfRange(nameof(indices), s, $"a sample index in [0, {Count})");
            FeaturesOf(s).CopyTo(x.AsSpan(i * FeatureCount));
            TargetsOf(s).CopyTo(y.AsSpan(i * TargetWidth));
        }
        return new Dataset(x, y, FeatureCount, TargetWidth);
    }

    /// <summary>A new data set of <paramref name="count"/> samples from <paramref name="start"/> (copied).</summary>
    public Dataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(count), count, $"a range inside the {Count} samples from {start}");
        return new Dataset(Features.AsSpan(start * FeatureCount, count * FeatureCount).ToArray(),
            Targets.AsSpan(start * TargetWidth, count * TargetWidth).ToArray(), FeatureCount, TargetWidth);
    }

    /// <summary>A new data set with the samples in a seeded random order.</summary>
    public Dataset Shuffle(ulong seed) => Select(Shuffling.Permutation(Count, seed));

    /// <summary>
    /// Splits into a training set and a test set of ⌊Count·testFraction⌉ samples, after a seeded shuffle (the same seed
    /// gives the same split).
    /// </summary>
    /// <param name="testFraction">The fraction held out, in (0, 1).</param>
    /// <param name="seed">The shuffle's seed.</param>
    /// <param name="shuffle">False to hold out the last samples in order.</param>
    public (Dataset Train, Dataset Test) Split(double testFraction, ulong seed = 0, bool shuffle = true)
    {
        if (!(testFraction > 0 && testFraction < 1)) ThrowHelper.ThrowArgumentOutOfRange(nameof(testFraction), testFraction, "a fraction in (0, 1)");
        int test = (int)Math.Round(Count * testFraction, MidpointRounding.AwayFromZero);
        if (test == 0 || test == Count)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(testFraction), testFraction, $"a fraction leaving samples on both sides of {Count}");
        int[] order = shuffle ? Shuffling.Permutation(Count, seed) : Shuffling.Identity(Count);
        return (Select(order.AsSpan(0, Count - test)), Select(order.AsSpan(Count - test)));
    }

    /// <summary>A copy whose class-index targets are one-hot rows of <paramref name="classes"/> values.</summary>
    public Dataset OneHotTargets(int classes)
    {
        if (TargetWidth != 1) ThrowHelper.ThrowInvalidOperation($"One-hot encoding needs class-index targets (width 1), not width {TargetWidth}.");
        return new Dataset((float[])Features.Clone(), OneHot.Encode(Targets, classes), FeatureCount, classes);
    }
}

/// <summary>Seeded shuffling: Fisher–Yates with the library's xoshiro256** generator.</summary>
public static class Shuffling
{
    /// <summary>0, 1, …, n − 1.</summary>
    public static int[] Identity(int n)
    {
        if (n < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(n), n, "a non-negative count");
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    /// <summary>A random permutation of 0 … n − 1; the same seed gives the same permutation.</summary>
    public static int[] Permutation(int n, ulong seed)
    {
        var a = Identity(n);
        var rng = new Rng(seed, "shuffle");
        Shuffle(a, ref rng);
        return a;
    }

    /// <summary>Shuffles <paramref name="values"/> in place with <paramref name="rng"/> (allocates nothing).</summary>
    public static void Shuffle(Span<int> values, ref Rng rng)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = (int)(rng.NextUInt64() % (ulong)(i + 1));
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}

/// <summary>One-hot encoding of class indices.</summary>
public static class OneHot
{
    /// <summary>[labels.Length, classes] rows with a 1 at each label.</summary>
    public static float[] Encode(ReadOnlySpan<int> labels, int classes)
    {
        if (classes <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(classes), classes, "a positive class count");
        var y = new float[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes) ThrowHelper.ThrowArgumentOutOfRange(nameof(labels), labels[i], $"a class in [0, {classes}) at {i}");
            y[i * classes + labels[i]] = 1f;
        }
        return y;
    }

    /// <summary>[labels.Length, classes] rows with a 1 at each label, from labels stored as whole floats.</summary>
    public static float[] Encode(ReadOnlySpan<float> labels, int classes)
    {
        var ints = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            int c = (int)labels[i];
            if (c != labels[i]) ThrowHelper.ThrowArgumentOutOfRange(nameof(labels), labels[i], $"a whole class index at {i}");
            ints[i] = c;
        }
        return Encode(ints, classes);
    }
}
