using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Data;

/// <summary>An IDX array of unsigned bytes: its dimensions and its data, row-major.</summary>
/// <param name="Dimensions">The sizes, outermost first ([count, rows, cols] for images, [count] for labels).</param>
/// <param name="Data">The bytes.</param>
public sealed record IdxArray(int[] Dimensions, byte[] Data);

/// <summary>
/// Reads the IDX format of MNIST (big-endian magic: two zero bytes, the type 0x08 for unsigned bytes, the number of
/// dimensions; then each dimension as a big-endian int32; then the data), gzip-compressed or not.
/// </summary>
public static class IdxReader
{
    /// <summary>The magic number of an image file (three dimensions of unsigned bytes).</summary>
    public const int ImagesMagic = 2051;

    /// <summary>The magic number of a label file (one dimension of unsigned bytes).</summary>
    public const int LabelsMagic = 2049;

    /// <summary>Reads an IDX file of unsigned bytes; gzip is detected from the content.</summary>
    public static IdxArray Read(string path)
    {
        using var stream = DataFile.Open(path);
        return Read(stream, path);
    }

    /// <summary>Reads an IDX array of unsigned bytes from a stream (not gzip).</summary>
    public static IdxArray Read(Stream stream, string name = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> head = stackalloc byte[4];
        ReadExactly(stream, head, name, "magic number");
        int magic = (head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3];
        if (head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] == 0)
            throw new InvalidDataException(
                $"'{name}' is not an IDX file of unsigned bytes: magic number {magic} (0x{magic:X8}); expected 0x000008nn such as {LabelsMagic} or {ImagesMagic}.");
        int rank = head[3];
        var dims = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++)
        {
            ReadExactly(stream, head, name, $"dimension {i}");
            int d = (head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3];
            if (d < 0) throw new InvalidDataException($"'{name}' has a negative dimension {i}: {d}.");
            dims[i] = d;
            total *= d;
        }
        if (total > Array.MaxLength) throw new InvalidDataException($"'{name}' declares {total} values, more than an array holds.");
        var data = new byte[total];
        ReadExactly(stream, data, name, $"data ({total} bytes)");
        return new IdxArray(dims, data);
    }

    /// <summary>Reads an image file (magic 2051) as floats scaled to [0, 1], [count, rows·cols].</summary>
    /// <param name="path">The file, gzip-compressed or not.</param>
    /// <param name="pixelsPerImage">Receives rows·cols.</param>
    public static float[] ReadImages(string path, out int pixelsPerImage)
    {
        var a = Read(path);
        if (a.Dimensions.Length != 3)
            throw new InvalidDataException($"'{path}' has {a.Dimensions.Length} dimensions, but an image file (magic {ImagesMagic}) has 3.");
        pixelsPerImage = a.Dimensions[1] * a.Dimensions[2];
        var x = new float[a.Data.Length];
        for (int i = 0; i < x.Length; i++) x[i] = a.Data[i] / 255f;
        return x;
    }

    /// <summary>Reads a label file (magic 2049) as class indices.</summary>
    public static int[] ReadLabels(string path)
    {
        var a = Read(path);
        if (a.Dimensions.Length != 1)
            throw new InvalidDataException($"'{path}' has {a.Dimensions.Length} dimensions, but a label file (magic {LabelsMagic}) has 1.");
        var y = new int[a.Data.Length];
        for (int i = 0; i < y.Length; i++) y[i] = a.Data[i];
        return y;
    }

    /// <summary>Reads an image file and its label file as a data set of pixels in [0, 1] and class-index targets.</summary>
    public static Dataset ReadDataset(string imagesPath, string labelsPath)
    {
        var x = ReadImages(imagesPath, out int pixels);
        var labels = ReadLabels(labelsPath);
        int count = x.Length / pixels;
        if (labels.Length != count)
            throw new InvalidDataException($"'{imagesPath}' holds {count} images but '{labelsPath}' holds {labels.Length} labels.");
        var y = new float[count];
        for (int i = 0; i < count; i++) y[i] = labels[i];
        return new Dataset(x, y, pixels, 1);
    }

    private static void ReadExactly(Stream s, Span<byte> buffer, string name, string what)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = s.Read(buffer[read..]);
            if (n == 0) throw new InvalidDataException($"'{name}' ends early: {read} of {buffer.Length} bytes of its {what} were read.");
            read += n;
        }
    }
}

/// <summary>Whether a CSV file starts with a header line.</summary>
public enum CsvHeader
{
    /// <summary>Skip the first line when any of its fields is not a number.</summary>
    Auto,

    /// <summary>The first line is a header.</summary>
    Present,

    /// <summary>Every line is data.</summary>
    Absent,
}

/// <summary>
/// Reads numeric comma-separated files (gzip-compressed or not) such as the shared data sets: every data line has the
/// same number of fields, each a number in the invariant culture; an optional header line is skipped.
/// </summary>
public static class CsvReader
{
    /// <summary>Reads every data line as a row of floats.</summary>
    /// <param name="path">The file.</param>
    /// <param name="columns">Receives the number of columns.</param>
    /// <param name="header">Whether the first line is a header.</param>
    /// <returns>[rows, columns], row-major.</returns>
    public static float[] ReadMatrix(string path, out int columns, CsvHeader header = CsvHeader.Auto)
    {
        using var stream = DataFile.Open(path);
        using var reader = new StreamReader(stream);
        var values = new List<float>();
        columns = -1;
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var fields = line.Split(',');
            if (lineNumber == 1 && (header == CsvHeader.Present || (header == CsvHeader.Auto && !AllNumeric(fields)))) continue;
            if (columns < 0) columns = fields.Length;
            else if (fields.Length != columns)
                throw new InvalidDataException($"'{path}' line {lineNumber} has {fields.Length} fields, but earlier lines have {columns}.");
            for (int i = 0; i < fields.Length; i++)
            {
                if (!float.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
                    throw new InvalidDataException($"'{path}' line {lineNumber} field {i + 1} is not a number: '{fields[i]}'.");
                values.Add(v);
            }
        }
        if (columns < 0) throw new InvalidDataException($"'{path}' holds no data lines.");
        return values.ToArray();
    }

    /// <summary>
    /// Reads a data set whose last <paramref name="targetColumns"/> columns are the targets and the others the features.
    /// </summary>
    public static Dataset ReadDataset(string path, int targetColumns = 1, CsvHeader header = CsvHeader.Auto)
    {
        var m = ReadMatrix(path, out int columns, header);
        if (targetColumns <= 0 || targetColumns >= columns)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(targetColumns), targetColumns, $"between 1 and {columns - 1} for a file of {columns} columns");
        int rows = m.Length / columns, features = columns - targetColumns;
        var x = new float[rows * features];
        var y = new float[rows * targetColumns];
        for (int r = 0; r < rows; r++)
        {
            m.AsSpan(r * columns, features).CopyTo(x.AsSpan(r * features));
            m.AsSpan(r * columns + features, targetColumns).CopyTo(y.AsSpan(r * targetColumns));
        }
        return new Dataset(x, y, features, targetColumns);
    }

    private static bool AllNumeric(string[] fields)
    {
        foreach (var f in fields)
            if (!double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return false;
        return true;
    }
}

internal static class DataFile
{
    /// <summary>Opens a file, decompressing it when it starts with the gzip signature 1f 8b.</summary>
    public static Stream Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            int b0 = file.ReadByte(), b1 = file.ReadByte();
            file.Position = 0;
            if (b0 == 0x1f && b1 == 0x8b) return new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
