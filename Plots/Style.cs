using System;
using ScottPlot;

namespace SourceGenNN.Plots;

/// <summary>The look shared by every figure: one sans-serif font, one palette, white panels with light grids.</summary>
internal static class Style
{
    public static readonly Color Primary = Color.FromHex("#1f77b4");   // training, f(z)
    public static readonly Color Secondary = Color.FromHex("#ff7f0e"); // validation, f'(z)
    public static readonly Color Tertiary = Color.FromHex("#2ca02c");
    public static readonly Color Muted = Color.FromHex("#7f7f7f");
    public static readonly Color Axis = Color.FromHex("#b0b0b0");

    private static readonly Lazy<string> SansFont = new(() =>
    {
        foreach (var name in new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "Noto Sans" })
            if (Fonts.GetTypeface(name, bold: false, italic: false) is { } typeface && typeface.FamilyName == name) return name;
        return Fonts.Sans;
    });

    /// <summary>A new panel with the shared font and sizes.</summary>
    public static Plot Panel(string title, string? xLabel = null, string? yLabel = null)
    {
        var plot = new Plot();
        plot.Font.Set(SansFont.Value);
        plot.Title(title, size: 15);
        if (xLabel is not null) plot.XLabel(xLabel, size: 13);
        if (yLabel is not null) plot.YLabel(yLabel, size: 13);
        plot.Grid.MajorLineColor = Colors.Black.WithAlpha(0.08);
        return plot;
    }

    /// <summary>A figure of <paramref name="panels"/> on a grid of <paramref name="columns"/> columns.</summary>
    public static Figure Grid(Plot[] panels, int columns, int panelWidth, int panelHeight)
    {
        columns = Math.Max(1, Math.Min(columns, panels.Length));
        int rows = (panels.Length + columns - 1) / columns;
        var multiplot = new Multiplot();
        multiplot.Subplots.Remove(multiplot.GetPlot(0)); // a new Multiplot starts with one empty plot
        foreach (var p in panels) multiplot.AddPlot(p);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        return new Figure(multiplot, columns * panelWidth, rows * panelHeight);
    }
}
