using System;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Data;

/// <summary>
/// Standardisation, like scikit-learn's <c>StandardScaler</c>: each column minus its mean, over its population
/// standard deviation (columns with zero deviation are only centred). Fit on the training split only, then transform
/// every split with the same statistics.
/// </summary>
public sealed partial class Standardizer
{
    private double[] _mean = [], _scale = [];

    /// <summary>Whether <see cref="Fit(ReadOnlySpan{float}, int)"/> has been called.</summary>
    public bool IsFitted => _mean.Length > 0;

    /// <summary>The column means.</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>The column scales (standard deviations, 1 for constant columns).</summary>
    public ReadOnlySpan<double> Scale => _scale;

    /// <summary>Computes the statistics of row-major data with <paramref name="columns"/> columns.</summary>
    public Standardizer Fit(ReadOnlySpan<float> data, int columns)
    {
        int rows = Rows(data, columns);
        var mean = new double[columns];
        var m2 = new double[columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) mean[c] += data[r * columns + c];
        for (int c = 0; c < columns; c++) mean[c] /= rows;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                double d = data[r * columns + c] - mean[c];
                m2[c] += d * d;
            }
        var scale = new double[columns];
        for (int c = 0; c < columns; c++)
        {
            double sd = Math.Sqrt(m2[c] / rows);
            scale[c] = sd > 0 ? sd : 1;
        }
        _mean = mean;
        _scale = scale;
        return this;
    }

    /// <summary>Fits on a data set's features.</summary>
    public Standardizer Fit(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Fit(data.Features, data.FeatureCount);
    }

    /// <summary>Standardises row-major data in place with the fitted statistics.</summary>
    public void Transform(Span<float> data)
    {
        if (!IsFitted) ThrowHelper.ThrowInvalidOperation("The standardizer must be fitted before it transforms.");
        int columns = _mean.Length;
        Rows(data, columns);
        for (int i = 0; i < data.Length; i++)
        {
            int c = i % columns;
            data[i] = (float)((data[i] - _mean[c]) / _scale[c]);
        }
    }

    /// <summary>Standardises a data set's features in place.</summary>
    public void Transform(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ThrowHelper.CheckLength(data.FeatureCount, _mean.Length, nameof(data), "the fitted column count");
        Transform(data.Features);
    }

    internal static int Rows(ReadOnlySpan<float> data, int columns)
    {
        if (columns <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(columns), columns, "a positive column count");
        if (data.Length == 0 || data.Length % columns != 0)
            ThrowHelper.ThrowLength(nameof(data), Math.Max(columns, data.Length / columns * columns), data.Length, $"[rows ≥ 1, {columns}]");
        return data.Length / columns;
    }
}

/// <summary>
/// Min-max scaling, like scikit-learn's <c>MinMaxScaler</c>: each column mapped linearly so that its training minimum
/// and maximum become <see cref="Low"/> and <see cref="High"/> (constant columns map to <see cref="Low"/>).
/// Fit on the training split only.
/// </summary>
public sealed class MinMaxScaler
{
    private double[] _min = [], _range = [];

    /// <summary>Creates a scaler to [low, high].</summary>
    public MinMaxScaler(float low = 0f, float high = 1f)
    {
        if (!(high > low)) ThrowHelper.ThrowArgumentOutOfRange(nameof(high), high, $"a value above low ({low})");
        Low = low;
        High = high;
    }

    /// <summary>The value a column's minimum maps to.</summary>
    public float Low { get; }

    /// <summary>The value a column's maximum maps to.</summary>
    public float High { get; }

    /// <summary>Whether <see cref="Fit(ReadOnlySpan{float}, int)"/> has been called.</summary>
    public bool IsFitted => _min.Length > 0;

    /// <summary>The column minimums.</summary>
    public ReadOnlySpan<double> Minimum => _min;

    /// <summary>Computes each column's minimum and maximum.</summary>
    public MinMaxScaler Fit(ReadOnlySpan<float> data, int columns)
    {
        int rows = Standardizer.Rows(data, columns);
        var min = new double[columns];
        var max = new double[columns];
        Array.Fill(min, double.PositiveInfinity);
        Array.Fill(max, double.NegativeInfinity);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                double v = data[r * columns + c];
                if (v < min[c]) min[c] = v;
                if (v > max[c]) max[c] = v;
            }
        var range = new double[columns];
        for (int c = 0; c < columns; c++) range[c] = max[c] - min[c];
        _min = min;
        _range = range;
        return this;
    }

    /// <summary>Fits on a data set's features.</summary>
    public MinMaxScaler Fit(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Fit(data.Features, data.FeatureCount);
    }

    /// <summary>Scales row-major data in place.</summary>
    public void Transform(Span<float> data)
    {
        if (!IsFitted) ThrowHelper.ThrowInvalidOperation("The scaler must be fitted before it transforms.");
        int columns = _min.Length;
        Standardizer.Rows(data, columns);
        double span = High - Low;
        for (int i = 0; i < data.Length; i++)
        {
            int c = i % columns;
            data[i] = _range[c] > 0 ? (float)(Low + (data[i] - _min[c]) / _range[c] * span) : Low;
        }
    }

    /// <summary>Scales a data set's features in place.</summary>
    public void Transform(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ThrowHelper.CheckLength(data.FeatureCount, _min.Length, nameof(data), "the fitted column count");
        Transform(data.Features);
    }
}
