using System;
using System.Globalization;
using SourceGenNN.CompilerServices;
using SourceGenNN.Metrics;

namespace SourceGenNN;

/// <summary>
/// A network's outputs for a batch of samples: <see cref="Count"/> rows of <see cref="Outputs"/> values, row-major, as
/// PyTorch's <c>model(x)</c> gives a <c>[count, outputs]</c> tensor. Index it as a matrix (<c>p[sample, output]</c>),
/// take a row as a span (<c>p[sample]</c> or <see cref="Row"/>), or the whole as one span (<see cref="AsSpan"/>) or a
/// <c>float[,]</c> (<see cref="ToArray"/>).
/// </summary>
/// <remarks>Made by <see cref="NetworkInference.Predict(INetwork, ReadOnlySpan{float}, int)"/>.</remarks>
public sealed class Predictions
{
    private readonly float[] _values;

    /// <summary>Wraps row-major outputs: <paramref name="values"/> holds <paramref name="count"/> rows of <paramref name="outputs"/>.</summary>
    /// <param name="values">The values, row-major; kept, not copied.</param>
    /// <param name="count">The number of samples.</param>
    /// <param name="outputs">The number of outputs per sample; positive.</param>
    /// <exception cref="ArgumentException">The lengths do not agree.</exception>
    public Predictions(float[] values, int count, int outputs)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (outputs <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(outputs), outputs, "a positive number of outputs per sample");
        if (count < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(count), count, "a non-negative number of samples");
        ThrowHelper.CheckShape(values.Length, count, outputs, nameof(values), nameof(count), nameof(outputs));
        _values = values;
        Count = count;
        Outputs = outputs;
    }

    /// <summary>The number of samples (rows).</summary>
    public int Count { get; }

    /// <summary>The number of outputs per sample (columns): the network's <see cref="INetwork.OutputSize"/>.</summary>
    public int Outputs { get; }

    /// <summary>The output <paramref name="output"/> of sample <paramref name="sample"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, <see cref="Count"/>) or [0, <see cref="Outputs"/>).</exception>
    public float this[int sample, int output]
    {
        get
        {
            CheckSample(sample);
            if ((uint)output >= (uint)Outputs)
                ThrowHelper.ThrowArgumentOutOfRange(nameof(output), output, string.Create(CultureInfo.InvariantCulture, $"an output index in [0, {Outputs})"));
            return _values[sample * Outputs + output];
        }
    }

    /// <summary>The outputs of sample <paramref name="sample"/>: the same as <see cref="Row"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sample"/> is outside [0, <see cref="Count"/>).</exception>
    public ReadOnlySpan<float> this[int sample] => Row(sample);

    /// <summary>The outputs of sample <paramref name="sample"/>, <see cref="Outputs"/> values.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sample"/> is outside [0, <see cref="Count"/>).</exception>
    public ReadOnlySpan<float> Row(int sample)
    {
        CheckSample(sample);
        return new ReadOnlySpan<float>(_values, sample * Outputs, Outputs);
    }

    /// <summary>Every value, row-major: <c>[Count, Outputs]</c>, the layout the metrics and losses take.</summary>
    public ReadOnlySpan<float> AsSpan() => _values;

    /// <summary>A copy as a <c>float[Count, Outputs]</c> matrix.</summary>
    public float[,] ToArray()
    {
        var m = new float[Count, Outputs];
        for (int i = 0; i < Count; i++)
            for (int j = 0; j < Outputs; j++) m[i, j] = _values[i * Outputs + j];
        return m;
    }

    /// <summary>
    /// The class of each sample: the index of its largest output (the first on ties, as <c>argmax</c>), or, for a single
    /// output, 1 when it is at least <paramref name="threshold"/> and 0 otherwise.
    /// </summary>
    /// <param name="threshold">For a single output: the value from which a sample is class 1 (0.5 for a sigmoid, 0 for a logit).</param>
    public int[] ArgMax(float threshold = 0.5f)
    {
        var classes = new int[Count];
        for (int i = 0; i < classes.Length; i++) classes[i] = ClassificationMetrics.PredictedClass(_values, i, Outputs, threshold);
        return classes;
    }

    private void CheckSample(int sample)
    {
        if ((uint)sample >= (uint)Count)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(sample), sample, string.Create(CultureInfo.InvariantCulture, $"a sample index in [0, {Count})"));
    }
}
