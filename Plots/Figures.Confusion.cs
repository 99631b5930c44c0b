using System;
using System.Globalization;
using ScottPlot;
using SourceGenNN.Metrics;

namespace SourceGenNN.Plots;

public static partial class Figures
{
    /// <summary>
    /// A confusion matrix as a heatmap: one row per actual class, one column per predicted class, each cell coloured by
    /// the fraction of its row (the recall on the diagonal) and labelled with its count, or with that fraction when
    /// <paramref name="normalize"/> is set. Classes are named by the matrix's labels, or numbered.
    /// </summary>
    /// <param name="matrix">The counts; at least one sample.</param>
    /// <param name="normalize">Label the cells with the fraction of their row instead of the count.</param>
    /// <param name="title">The title; null for one that gives the accuracy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="matrix"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="matrix"/> has counted no sample.</exception>
    public static Figure ConfusionMatrix(ConfusionMatrix matrix, bool normalize = false, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.Total == 0)
            throw new ArgumentException("The confusion matrix has counted no sample: Add predictions to it first.", nameof(matrix));
        var inv = CultureInfo.InvariantCulture;
        int k = matrix.Classes;
        var fractions = new double[k, k];
        for (int a = 0; a < k; a++)
        {
            long row = 0;
            for (int p = 0; p < k; p++) row += matrix[a, p];
            for (int p = 0; p < k; p++) fractions[a, p] = row == 0 ? 0 : (double)matrix[a, p] / row;
        }

        var plot = Style.Panel(title ?? $"Confusion matrix (accuracy {matrix.Accuracy.ToString("P2", inv)} of {matrix.Total.ToString("N0", inv)})",
            "predicted class", "actual class");
        var heatmap = plot.Add.Heatmap(fractions);
        heatmap.Colormap = new ScottPlot.Colormaps.Blues().Reversed(); // ScottPlot's Blues runs dark to light: light for 0 here
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        // Cell (a, p) centred on x = p, y = k - 1 - a: the first actual class on top, as the text rendering prints it.
        heatmap.Rectangle = new CoordinateRect(-0.5, k - 0.5, -0.5, k - 0.5); // the edges (Extent would be the corner cells' centres)
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = "fraction of the actual class";
        colorBar.LabelStyle.FontSize = 13;
        colorBar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [0, 0.2, 0.4, 0.6, 0.8, 1], ["0", "0.2", "0.4", "0.6", "0.8", "1"]);

        float fontSize = k <= 10 ? 14 : k <= 20 ? 10 : 7;
        if (k <= 40)
            for (int a = 0; a < k; a++)
                for (int p = 0; p < k; p++)
                {
                    string text = normalize ? fractions[a, p].ToString("0.00", inv) : matrix[a, p].ToString(inv);
                    var label = plot.Add.Text(text, p, k - 1 - a);
                    label.LabelAlignment = Alignment.MiddleCenter;
                    label.LabelFontSize = fontSize;
                    label.LabelFontColor = fractions[a, p] > 0.5 ? Colors.White : Colors.Black;
                }

        double[] positions = new double[k], rows = new double[k];
        string[] names = new string[k], rowNames = new string[k];
        for (int c = 0; c < k; c++)
        {
            positions[c] = c;
            names[c] = matrix.Labels?[c] ?? c.ToString(inv);
            rows[c] = k - 1 - c;
            rowNames[c] = names[c];
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, names);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(rows, rowNames);
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plot.Grid.IsVisible = false;
        int side = Math.Clamp(70 + 60 * k, 420, 1400);
        return Style.Grid([plot], columns: 1, panelWidth: side + 130, panelHeight: side);
    }
}
