using System;
using System.Collections.Generic;
using System.IO;
using ScottPlot;

namespace SourceGenNN.Plots;

/// <summary>
/// A figure made by <see cref="Figures"/>: one or more panels laid out on a grid, with a default size in pixels. Save it
/// with <see cref="SavePng(string)"/>, or change it first through ScottPlot's <see cref="Multiplot"/> and
/// <see cref="Panels"/> (titles, limits, colours).
/// </summary>
public sealed class Figure
{
    internal Figure(Multiplot multiplot, int width, int height)
    {
        Multiplot = multiplot;
        Width = width;
        Height = height;
    }

    /// <summary>ScottPlot's figure, for changes before saving.</summary>
    public Multiplot Multiplot { get; }

    /// <summary>The panels, in reading order (left to right, then top to bottom).</summary>
    public IReadOnlyList<Plot> Panels => Multiplot.GetPlots();

    /// <summary>The default width in pixels, for <see cref="SavePng(string)"/> and <see cref="ToPng()"/>.</summary>
    public int Width { get; }

    /// <summary>The default height in pixels.</summary>
    public int Height { get; }

    /// <summary>Writes the figure as a PNG of the default size, creating the folder if needed.</summary>
    /// <param name="path">The file to write (overwritten).</param>
    /// <returns>The full path written.</returns>
    public string SavePng(string path) => SavePng(path, Width, Height);

    /// <summary>Writes the figure as a PNG of the given size, creating the folder if needed.</summary>
    /// <param name="path">The file to write (overwritten).</param>
    /// <param name="width">The width in pixels, positive.</param>
    /// <param name="height">The height in pixels, positive.</param>
    /// <returns>The full path written.</returns>
    public string SavePng(string path, int width, int height)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] png = ToPng(width, height);
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        File.WriteAllBytes(full, png);
        return full;
    }

    /// <summary>The figure as PNG bytes of the default size.</summary>
    public byte[] ToPng() => ToPng(Width, Height);

    /// <summary>The figure as PNG bytes of the given size.</summary>
    /// <param name="width">The width in pixels, positive.</param>
    /// <param name="height">The height in pixels, positive.</param>
    public byte[] ToPng(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        using Image image = Multiplot.Render(width, height);
        return image.GetImageBytes(ImageFormat.Png);
    }
}
