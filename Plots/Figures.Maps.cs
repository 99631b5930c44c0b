using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ScottPlot;

namespace SourceGenNN.Plots;

public static partial class Figures
{
    /// <summary>
    /// The filters of a convolution as a mosaic of small heatmaps, as course material shows what a first layer learned:
    /// one row per output channel, one column per input channel, each tile a kernel (<c>[kH, kW]</c>; a 1-d kernel is
    /// a one-row tile), on one diverging colour scale centred on 0 and shared by every tile, so tiles compare.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="parameter">A weight of rank 3 or 4 as <see cref="NetworkDescription.Parameters"/> names it
    /// (<c>0.weight</c> of a <c>Conv2d</c> is <c>[out_channels, in_channels / groups, kH, kW]</c>).</param>
    /// <param name="maxOutputs">The most output channels (rows) drawn, the first ones; 1 to 256.</param>
    /// <param name="maxInputs">The most input channels (columns) drawn, the first ones; 1 to 256.</param>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> or <paramref name="parameter"/> is null.</exception>
    /// <exception cref="ArgumentException">The network has no such parameter, or it is not of rank 3 or 4; the message
    /// lists the parameters that are.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range.</exception>
    public static Figure Filters(INetwork network, string parameter, int maxOutputs = 16, int maxInputs = 8)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(parameter);
        CheckLimit(maxOutputs, nameof(maxOutputs));
        CheckLimit(maxInputs, nameof(maxInputs));
        var d = network.Description;
        var tensor = d.FindParameter(parameter);
        if (tensor is null || tensor.Shape.Count is not (3 or 4))
        {
            var kernels = d.Parameters.Where(t => t.Shape.Count is 3 or 4).Select(t => $"{t.Name} {t.ShapeText}").ToList();
            string why = tensor is null ? $"has no parameter '{parameter}'" : $"has '{parameter}' of shape {tensor.ShapeText}, not a convolution's [out, in, kH, kW] or [out, in, k]";
            throw new ArgumentException($"Network '{d.Name}' {why}. " + (kernels.Count == 0
                ? "It has no parameter of rank 3 or 4 to draw."
                : "Filters it can draw: " + string.Join(", ", kernels) + "."), nameof(parameter));
        }
        int outputs = tensor.Shape[0], inputs = tensor.Shape[1];
        int kh = tensor.Shape.Count == 4 ? tensor.Shape[2] : 1, kw = tensor.Shape[^1];
        int rows = Math.Min(outputs, maxOutputs), columns = Math.Min(inputs, maxInputs);
        var values = network.Parameters.Slice(tensor.Offset, tensor.Length);

        // The mosaic: tile (o, i) at rows o·(kh + 1).., columns i·(kw + 1)..; the one-cell gaps are NaN (not drawn).
        var mosaic = Mosaic(rows, columns, kh, kw);
        double extent = 0;
        for (int o = 0; o < rows; o++)
            for (int i = 0; i < columns; i++)
                for (int y = 0; y < kh; y++)
                    for (int x = 0; x < kw; x++)
                    {
                        float v = values[((o * inputs + i) * kh + y) * kw + x];
                        mosaic[o * (kh + 1) + y, i * (kw + 1) + x] = v;
                        if (float.IsFinite(v)) extent = Math.Max(extent, Math.Abs(v));
                    }
        if (extent == 0) extent = 1;

        string shown = rows < outputs || columns < inputs ? $", the first {rows} × {columns} of {outputs} × {inputs}" : "";
        var plot = Style.Panel($"Filters of {tensor.Name} {tensor.ShapeText}{shown}", "input channel", "output channel");
        // Balance is diverging: blue below 0, near white at 0, red above.
        var heatmap = MosaicHeatmap(plot, mosaic, new ScottPlot.Colormaps.Balance(), new ScottPlot.Range(-extent, extent));
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "weight";
        TileTicks(plot, rows, columns, kh, kw);
        return Style.Grid([plot], 1, TileSide(columns, kw) + 160, TileSide(rows, kh) + 90);
    }

    /// <summary>
    /// The feature maps one layer produced for one sample in the last forward pass (<see cref="INetwork.LayerOutput"/>),
    /// as a mosaic: each channel of a <c>[C, H, W]</c> output is a tile, scaled to its own minimum and maximum (the
    /// pattern matters, not the level); a <c>[C, L]</c> output is one tile
    /// per channel row, and a vector one row.
    /// </summary>
    /// <param name="network">The network, after a forward pass.</param>
    /// <param name="layer">The layer's index in <see cref="NetworkDescription.Layers"/>.</param>
    /// <param name="sample">Which sample of the last batch.</param>
    /// <param name="maxChannels">The most channels drawn, the first ones; 1 to 256.</param>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/>, <paramref name="sample"/> (not in the
    /// last batch) or <paramref name="maxChannels"/> is out of range.</exception>
    public static Figure FeatureMaps(INetwork network, int layer, int sample = 0, int maxChannels = 32)
    {
        ArgumentNullException.ThrowIfNull(network);
        var d = network.Description;
        if ((uint)layer >= (uint)d.Layers.Count)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Network '{d.Name}' has layers 0 to {d.Layers.Count - 1}.");
        if (network.Batch == 0)
            throw new ArgumentOutOfRangeException(nameof(sample), sample, "No forward pass has run yet: call Forward (or Predict) first.");
        if ((uint)sample >= (uint)network.Batch)
            throw new ArgumentOutOfRangeException(nameof(sample), sample, $"The last forward pass had {network.Batch} samples.");
        var l = d.Layers[layer];
        int size = l.OutputSize;
        var values = network.LayerOutput(layer).Slice(sample * size, size);
        return FeatureMaps(values, l.OutputShape, $"Layer {layer} '{l.Name}' ({l.Kind}), sample {sample.ToString(CultureInfo.InvariantCulture)}", maxChannels);
    }

    /// <summary>
    /// Feature maps from any buffer of shape <c>[C, H, W]</c>, <c>[C, L]</c> or <c>[L]</c>, drawn as
    /// <see cref="FeatureMaps(INetwork, int, int, int)"/> draws a layer's.
    /// </summary>
    /// <param name="values">The values, row-major.</param>
    /// <param name="shape">Their shape, of rank 1 to 3.</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="maxChannels">The most channels drawn, the first ones; 1 to 256.</param>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> or <paramref name="title"/> is null.</exception>
    /// <exception cref="ArgumentException">The shape is not of rank 1 to 3, or does not match the values' length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxChannels"/> is out of range.</exception>
    public static Figure FeatureMaps(ReadOnlySpan<float> values, IReadOnlyList<int> shape, string title, int maxChannels = 32)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(title);
        CheckLimit(maxChannels, nameof(maxChannels));
        if (shape.Count is < 1 or > 3)
            throw new ArgumentException($"Feature maps are [C, H, W], [C, L] or [L]; the shape given is [{string.Join(", ", shape)}].", nameof(shape));
        long length = 1;
        foreach (int n in shape) length *= n;
        if (length != values.Length)
            throw new ArgumentException($"The shape [{string.Join(", ", shape)}] holds {length} values; {values.Length} were given.", nameof(values));

        // [C, H, W]: C tiles on a near-square grid. [C, L]: C one-row tiles, one per grid row. [L]: one tile.
        int channels = shape.Count == 1 ? 1 : shape[0];
        int h = shape.Count == 3 ? shape[1] : 1, w = shape[^1];
        int drawn = Math.Min(channels, maxChannels);
        int columns = shape.Count == 3 ? (int)Math.Ceiling(Math.Sqrt(drawn)) : 1;
        int rows = (drawn + columns - 1) / columns;
        var mosaic = Mosaic(rows, columns, h, w);
        for (int c = 0; c < drawn; c++)
        {
            var map = values.Slice(c * h * w, h * w);
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            foreach (float v in map)
                if (float.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
            double scale = max > min ? 1.0 / (max - min) : 0;
            int r0 = c / columns * (h + 1), c0 = c % columns * (w + 1);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float v = map[y * w + x];
                    mosaic[r0 + y, c0 + x] = float.IsFinite(v) ? (v - min) * scale : double.NaN;
                }
        }
        string shown = drawn < channels ? $", the first {drawn} of {channels} channels" : "";
        var plot = Style.Panel($"{title}: [{string.Join(", ", shape)}]{shown}");
        var heatmap = MosaicHeatmap(plot, mosaic, new ScottPlot.Colormaps.Viridis(), new ScottPlot.Range(0, 1));
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "per map: min 0, max 1";
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([], []);
        plot.Axes.Left.TickGenerator = shape.Count == 2 ? ChannelTicks(rows, h) : new ScottPlot.TickGenerators.NumericManual([], []);
        return Style.Grid([plot], 1, Math.Clamp(TileSide(columns, w), 300, 1600) + 160, Math.Clamp(TileSide(rows, h), 120, 1600) + 90);
    }

    /// <summary>
    /// Attention weights as heatmaps, one panel per head: row q, column k is how much query q attends to key k (each
    /// row sums to 1 after the softmax), on a fixed 0 to 1 scale. Tokens are named by the labels when given.
    /// </summary>
    /// <param name="weights">The weights, <c>[heads, queries, keys]</c> row-major.</param>
    /// <param name="heads">The number of heads (panels).</param>
    /// <param name="queries">The number of queries (rows).</param>
    /// <param name="keys">The number of keys (columns).</param>
    /// <param name="queryLabels">Names of the queries, or null to number them.</param>
    /// <param name="keyLabels">Names of the keys, or null to number them.</param>
    /// <param name="title">The title of each panel (the head number is added), or null for "Attention".</param>
    /// <exception cref="ArgumentException">The sizes do not match the weights' length or the labels' counts.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public static Figure AttentionMap(ReadOnlySpan<float> weights, int heads, int queries, int keys,
        IReadOnlyList<string>? queryLabels = null, IReadOnlyList<string>? keyLabels = null, string? title = null)
    {
        if (heads < 1) throw new ArgumentOutOfRangeException(nameof(heads), heads, "At least one head.");
        if (queries < 1) throw new ArgumentOutOfRangeException(nameof(queries), queries, "At least one query.");
        if (keys < 1) throw new ArgumentOutOfRangeException(nameof(keys), keys, "At least one key.");
        if ((long)heads * queries * keys != weights.Length)
            throw new ArgumentException($"[{heads}, {queries}, {keys}] is {(long)heads * queries * keys} weights; {weights.Length} were given.", nameof(weights));
        if (queryLabels is not null && queryLabels.Count != queries)
            throw new ArgumentException($"{queryLabels.Count} query labels for {queries} queries.", nameof(queryLabels));
        if (keyLabels is not null && keyLabels.Count != keys)
            throw new ArgumentException($"{keyLabels.Count} key labels for {keys} keys.", nameof(keyLabels));
        var inv = CultureInfo.InvariantCulture;
        var panels = new Plot[heads];
        for (int head = 0; head < heads; head++)
        {
            var grid = new double[queries, keys];
            for (int q = 0; q < queries; q++)
                for (int k = 0; k < keys; k++) grid[q, k] = weights[(head * queries + q) * keys + k];
            var plot = Style.Panel(heads == 1 ? title ?? "Attention" : $"{title ?? "Attention"}, head {head.ToString(inv)}", "key", "query");
            var heatmap = plot.Add.Heatmap(grid);
            heatmap.Colormap = new ScottPlot.Colormaps.Blues().Reversed();
            heatmap.ManualRange = new ScottPlot.Range(0, 1);
            heatmap.Rectangle = new CoordinateRect(-0.5, keys - 0.5, -0.5, queries - 0.5); // query 0 on top
            if (head == heads - 1) plot.Add.ColorBar(heatmap).Label = "weight";
            plot.Axes.Bottom.TickGenerator = Labels(keys, keyLabels, reverse: false);
            plot.Axes.Left.TickGenerator = Labels(queries, queryLabels, reverse: true);
            plot.Axes.SetLimits(-0.5, keys - 0.5, -0.5, queries - 0.5);
            plot.Grid.IsVisible = false;
            panels[head] = plot;
        }
        int columns = Math.Min(heads, 4);
        return Style.Grid(panels, columns, Math.Clamp(90 + 28 * keys, 360, 900), Math.Clamp(90 + 28 * queries, 300, 900));
    }

    private static void CheckLimit(int value, string name)
    {
        if (value is < 1 or > 256) throw new ArgumentOutOfRangeException(name, value, "Between 1 and 256.");
    }

    /// <summary>A mosaic of rows × columns tiles of h × w cells with one-cell gaps, all NaN to start.</summary>
    private static double[,] Mosaic(int rows, int columns, int h, int w)
    {
        var mosaic = new double[rows * (h + 1) - 1, columns * (w + 1) - 1];
        for (int y = 0; y < mosaic.GetLength(0); y++)
            for (int x = 0; x < mosaic.GetLength(1); x++) mosaic[y, x] = double.NaN;
        return mosaic;
    }

    /// <summary>The mosaic as one heatmap, cell (y, x) centred on (x, −y) so the first tile is at the top left.</summary>
    private static ScottPlot.Plottables.Heatmap MosaicHeatmap(Plot plot, double[,] mosaic, IColormap colormap, ScottPlot.Range range)
    {
        int height = mosaic.GetLength(0), width = mosaic.GetLength(1);
        var heatmap = plot.Add.Heatmap(mosaic);
        heatmap.Colormap = colormap;
        heatmap.ManualRange = range;
        heatmap.NaNCellColor = Colors.Transparent;
        heatmap.Rectangle = new CoordinateRect(-0.5, width - 0.5, -height + 0.5, 0.5);
        plot.Axes.SetLimits(-0.5, width - 0.5, -height + 0.5, 0.5);
        plot.Grid.IsVisible = false;
        plot.Axes.Rules.Add(new ScottPlot.AxisRules.SquareZoomOut(plot.Axes.Bottom, plot.Axes.Left)); // square cells
        return heatmap;
    }

    /// <summary>Ticks at the centre of each tile: input channels along the bottom, output channels down the side.</summary>
    private static void TileTicks(Plot plot, int rows, int columns, int h, int w)
    {
        var inv = CultureInfo.InvariantCulture;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, columns).Select(i => i * (w + 1) + (w - 1) / 2.0).ToArray(),
            Enumerable.Range(0, columns).Select(i => i.ToString(inv)).ToArray());
        plot.Axes.Left.TickGenerator = ChannelTicks(rows, h);
    }

    private static ScottPlot.TickGenerators.NumericManual ChannelTicks(int rows, int h) => new(
        Enumerable.Range(0, rows).Select(o => -(o * (h + 1) + (h - 1) / 2.0)).ToArray(),
        Enumerable.Range(0, rows).Select(o => o.ToString(CultureInfo.InvariantCulture)).ToArray());

    private static ScottPlot.TickGenerators.NumericManual Labels(int count, IReadOnlyList<string>? labels, bool reverse) => new(
        Enumerable.Range(0, count).Select(i => reverse ? (double)(count - 1 - i) : i).ToArray(),
        Enumerable.Range(0, count).Select(i => labels?[i] ?? i.ToString(CultureInfo.InvariantCulture)).ToArray());

    /// <summary>The pixels for n tiles of k cells with gaps: cells of 6 to 40 pixels, so small kernels stay visible.</summary>
    private static int TileSide(int n, int k) => Math.Clamp(n * (k + 1) * Math.Clamp(480 / Math.Max(1, n * (k + 1)), 6, 40), 200, 1800);
}
