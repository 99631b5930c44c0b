using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using SkiaSharp;
using Xunit;

namespace SourceGenNN.Plots.Tests;

/// <summary>Checks on a rendered PNG: that it is one, of the size asked for, and not blank.</summary>
internal static class PngAssert
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The width and height in the PNG's IHDR chunk, read from the bytes themselves.</summary>
    public static (int Width, int Height) Size(byte[] png)
    {
        Assert.True(png.Length > 33, $"A PNG has at least 33 bytes; this has {png.Length}.");
        Assert.Equal(Signature, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    /// <summary>
    /// Asserts that <paramref name="path"/> exists and is a PNG of <paramref name="width"/> × <paramref name="height"/>
    /// that is not blank: many distinct colours (lines, text, anti-aliasing) and a share of pixels that are not the
    /// background.
    /// </summary>
    public static void Drawn(string path, int width, int height, int minColours = 40, double minInk = 0.02)
    {
        Assert.True(File.Exists(path), $"{path} was not written.");
        byte[] png = File.ReadAllBytes(path);
        Assert.Equal((width, height), Size(png));
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        var colours = new HashSet<uint>();
        long ink = 0;
        var background = bitmap.GetPixel(0, 0);
        foreach (var p in bitmap.Pixels)
        {
            colours.Add((uint)p);
            if (p != background) ink++;
        }
        double share = (double)ink / ((long)width * height);
        Assert.True(colours.Count >= minColours, $"{Path.GetFileName(path)} has {colours.Count} distinct colours; a drawn figure has at least {minColours}.");
        Assert.True(share >= minInk, $"{Path.GetFileName(path)} has {share:P2} of its pixels drawn; at least {minInk:P0} expected.");
    }
}
