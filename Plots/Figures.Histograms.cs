using System;
using System.Collections.Generic;
using System.Globalization;
using ScottPlot;

namespace SourceGenNN.Plots;

public static partial class Figures
{
    /// <summary>
    /// Histograms of every parameter tensor of a network (<c>0.weight</c>, <c>0.bias</c>, …, as
    /// <see cref="NetworkDescription.Parameters"/> lists them), one row per tensor: its values, and beside them its
    /// gradients as they are now in <see cref="INetwork.Gradients"/> (after <c>Fit</c>, those of its last batch).
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="gradients">Whether to draw the gradients beside the values.</param>
    /// <param name="bins">The most bins of each histogram, 1 to 1,000; a small tensor gets fewer (2·∛n, Rice's rule).</param>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> is null.</exception>
    /// <exception cref="ArgumentException">The network has no parameters.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is out of range.</exception>
    public static Figure WeightHistograms(INetwork network, bool gradients = true, int bins = 50)
    {
        ArgumentNullException.ThrowIfNull(network);
        return WeightHistograms(network.Description, network.Parameters, gradients ? network.Gradients : default, bins);
    }

    /// <summary>
    /// Histograms of every parameter tensor that <paramref name="description"/> lists, read from a buffer laid out as
    /// <see cref="INetwork.Parameters"/> is (a copy saved during training, say), and of the gradients in a buffer of the
    /// same layout beside them when one is given.
    /// </summary>
    /// <param name="description">The network's description: which tensors there are and where each lives.</param>
    /// <param name="parameters">The parameters, <see cref="NetworkDescription.ParameterCount"/> of them.</param>
    /// <param name="gradients">The gradients in the same layout, or empty to draw the values only.</param>
    /// <param name="bins">The most bins of each histogram, 1 to 1,000; a small tensor gets fewer (2·∛n, Rice's rule).</param>
    /// <exception cref="ArgumentNullException"><paramref name="description"/> is null.</exception>
    /// <exception cref="ArgumentException">A buffer's length is not the parameter count, or there are no parameters.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is out of range.</exception>
    public static Figure WeightHistograms(NetworkDescription description, ReadOnlySpan<float> parameters, ReadOnlySpan<float> gradients = default, int bins = 50)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (bins < 1 || bins > 1000) throw new ArgumentOutOfRangeException(nameof(bins), bins, "Between 1 and 1,000 bins.");
        if (description.Parameters.Count == 0)
            throw new ArgumentException($"Network '{description.Name}' has no parameters to draw.", nameof(description));
        if (parameters.Length != description.ParameterCount)
            throw new ArgumentException($"The parameters have {parameters.Length} elements; network '{description.Name}' has {description.ParameterCount}.", nameof(parameters));
        bool withGradients = !gradients.IsEmpty;
        if (withGradients && gradients.Length != description.ParameterCount)
            throw new ArgumentException($"The gradients have {gradients.Length} elements; network '{description.Name}' has {description.ParameterCount} parameters.", nameof(gradients));

        var panels = new List<Plot>();
        foreach (var tensor in description.Parameters)
        {
            panels.Add(HistogramPanel(parameters.Slice(tensor.Offset, tensor.Length), $"{tensor.Name} {tensor.ShapeText}", "value", Style.Primary, bins));
            if (withGradients)
                panels.Add(HistogramPanel(gradients.Slice(tensor.Offset, tensor.Length), $"gradient of {tensor.Name}", "gradient", Style.Secondary, bins));
        }
        return Style.Grid(panels.ToArray(), columns: withGradients ? 2 : 3, panelWidth: 520, panelHeight: 280);
    }

    private static Plot HistogramPanel(ReadOnlySpan<float> values, string name, string xLabel, Color color, int bins)
    {
        var inv = CultureInfo.InvariantCulture;
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0, sumSquares = 0;
        int finite = 0;
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) continue;
            finite++;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
            sumSquares += (double)v * v;
        }
        double mean = finite == 0 ? 0 : sum / finite;
        double std = finite == 0 ? 0 : Math.Sqrt(Math.Max(0, sumSquares / finite - mean * mean));
        bool constant = finite > 0 && max - min <= 1e-12 * Math.Max(1, Math.Abs(max));
        string stats = $"mean {mean.ToString("G3", inv)}, std {std.ToString("G3", inv)}";
        if (constant) stats += ", all equal";
        if (finite < values.Length) stats += $", {values.Length - finite} not finite";
        var plot = Style.Panel($"{name}: {stats}", xLabel, "count");
        plot.Axes.Title.Label.FontSize = 13;
        if (finite == 0) return plot;
        if (constant)
        {
            // One value (zero biases, gradients not computed yet): a thin bar at it, not a bin that would look spread.
            plot.Add.Bars(new[] { new Bar { Position = min, Value = finite, Size = 0.02, FillColor = color, LineWidth = 0 } });
            plot.Axes.Margins(bottom: 0);
            plot.Axes.SetLimitsX(min - 0.5, min + 0.5);
            return plot;
        }

        bins = Math.Min(bins, Math.Max(1, (int)Math.Ceiling(2 * Math.Cbrt(finite))));
        double width = (max - min) / bins;
        var counts = new long[bins];
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) continue;
            int b = (int)((v - min) / width);
            counts[Math.Clamp(b, 0, bins - 1)]++;
        }
        var bars = new Bar[bins];
        for (int b = 0; b < bins; b++)
            bars[b] = new Bar { Position = min + (b + 0.5) * width, Value = counts[b], Size = width, FillColor = color, LineWidth = 0 };
        plot.Add.Bars(bars);
        plot.Axes.Margins(bottom: 0);
        return plot;
    }
}
