using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;

using System.Text.Json;

namespace SourceGenNN.IO;

/// <summary>One tensor read from a safetensors file: its name, shape and F32 values, row-major.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Data">Its values.</param>
public sealed record SafeTensor(string Name, IReadOnlyList<int> Shape, float[] Data);

/// <summary>
/// Import and export in the safetensors format with PyTorch <c>state_dict</c> names and layouts (<c>0.weight</c>
/// [out, in], <c>0.bias</c> [out]): a little-endian u64 header length, a JSON header mapping each tensor name to its
/// dtype, shape and data offsets (plus an optional <c>__metadata__</c> map of strings), then the data, here F32.
/// Loading is strict: a missing, extra, misshapen or non-F32 tensor is an error naming it, and the network is unchanged.
/// </summary>
public static class SafeTensors
{
    private const long MaxHeader = 100L << 20;

    /// <summary>Writes a network's parameters as safetensors, atomically.</summary>
    /// <param name="network">The network.</param>
    /// <param name="path">The file written.</param>
    /// <param name="metadata">Optional string metadata for <c>__metadata__</c>.</param>
    public static void Save(INetwork network, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(path);
        var d = network.Description;
        ReadOnlySpan<float> p = network.Parameters;
        ThrowHelper.CheckLength(p.Length, d.ParameterCount, nameof(network), "Parameters must match the description");

        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is not null && metadata.Count > 0)
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in metadata) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in d.Parameters)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (int dim in t.Shape) w.WriteNumberValue(dim);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + 4L * t.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += 4L * t.Length;
            }
            w.WriteEndObject();
        }
        int headerLength = (int)json.Length;
        int padded = (headerLength + 7) / 8 * 8; // aligned like the reference implementation, padded with spaces
        var bytes = new byte[8 + padded + 4L * p.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        json.GetBuffer().AsSpan(0, headerLength).CopyTo(bytes.AsSpan(8));
        bytes.AsSpan(8 + headerLength, padded - headerLength).Fill((byte)' ');
        long at = 8 + padded;
        foreach (var t in d.Parameters)
            for (int i = 0; i < t.Length; i++, at += 4)
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((int)at), p[t.Offset + i]);
        AtomicFile.Write(path, bytes);
    }

    /// <summary>Reads the <c>__metadata__</c> map of a safetensors file (empty when it has none).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var doc = ReadHeader(path).Header;
        var result = new Dictionary<string, string>();
        if (doc.RootElement.TryGetProperty("__metadata__", out var meta))
            foreach (var p in meta.EnumerateObject())
                result[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        return result;
    }

    /// <summary>
    /// Reads every tensor of a safetensors file (F32 only), in header order, for data or tensors that are not a
    /// network's parameters.
    /// </summary>
    /// <exception cref="WeightFileException">The file is malformed or a tensor is not F32; the message names it.</exception>
    public static IReadOnlyDictionary<string, SafeTensor> ReadTensors(string path)
    {
        var (bytes, header, dataStart) = ReadHeader(path);
        long dataLength = bytes.Length - dataStart;
        var result = new Dictionary<string, SafeTensor>();
        using (header)
        {
            foreach (var entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__") continue;
                var (dtype, shape, begin, end) = ReadEntry(entry, path);
                if (dtype != "F32")
                    throw new WeightFileException(path, $"tensor '{entry.Name}' has dtype {dtype}, but only F32 is supported.");
                if (begin < 0 || end < begin || end > dataLength)
                    throw new WeightFileException(path, $"tensor '{entry.Name}' has data offsets [{begin}, {end}] outside the {dataLength}-byte data section.");
                long count = 1;
                var dims = new int[shape.Length];
                for (int i = 0; i < shape.Length; i++)
                {
                    count *= shape[i];
                    if (shape[i] > int.MaxValue || count > Array.MaxLength)
                        throw new WeightFileException(path, $"tensor '{entry.Name}' is too large: [{string.Join(", ", shape)}].");
                    dims[i] = (int)shape[i];
                }
                if (end - begin != 4 * count)
                    throw new WeightFileException(path, $"tensor '{entry.Name}' spans {end - begin} bytes, but [{string.Join(", ", shape)}] of F32 needs {4 * count}.");
                var data = new float[count];
                var src = bytes.AsSpan((int)(dataStart + begin), (int)(end - begin));
                for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                result[entry.Name] = new SafeTensor(entry.Name, dims, data);
            }
        }
        return result;
    }

    /// <summary>
    /// Loads a safetensors file with exactly the network's tensors (names, shapes, F32) into its parameters.
    /// </summary>
    /// <exception cref="WeightFileException">The file is malformed, or a tensor is missing, extra, misshapen or not F32.
    /// The network is unchanged.</exception>
    public static void Load(INetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(path);
        var d = network.Description;
        var (bytes, header, dataStart) = ReadHeader(path);
        long dataLength = bytes.Length - dataStart;
        var scratch = new float[d.ParameterCount];
        using (header)
        {
            var root = header.RootElement;
            var seen = new HashSet<string>();
            var extra = new List<string>();
            var ranges = new List<(long Begin, long End, string Name)>();
            foreach (var entry in root.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    if (entry.Value.ValueKind != JsonValueKind.Object)
                        throw new WeightFileException(path, "its '__metadata__' is not a JSON object.");
                    continue;
                }
                var (dtype, shape, begin, end) = ReadEntry(entry, path);
                if (begin < 0 || end < begin || end > dataLength)
                    throw new WeightFileException(path, $"tensor '{entry.Name}' has data offsets [{begin}, {end}] outside the {dataLength}-byte data section.");
                ranges.Add((begin, end, entry.Name));
                var t = d.FindParameter(entry.Name);
                if (t is null)
                {
                    extra.Add(entry.Name);
                    continue;
                }
                seen.Add(entry.Name);
                if (dtype != "F32")
                    throw new WeightFileException(path, $"tensor '{entry.Name}' has dtype {dtype}, but only F32 is supported.");
                if (!SameShape(shape, t.Shape))
                    throw new WeightFileException(path, $"tensor '{entry.Name}' has shape [{string.Join(", ", shape)}], but the network expects {t.ShapeText}.");
                if (end - begin != 4L * t.Length)
                    throw new WeightFileException(path, $"tensor '{entry.Name}' spans {end - begin} bytes, but {t.ShapeText} of F32 needs {4L * t.Length}.");
                var src = bytes.AsSpan((int)(dataStart + begin), (int)(end - begin));
                for (int i = 0; i < t.Length; i++) scratch[t.Offset + i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
            }
            if (extra.Count > 0)
                throw new WeightFileException(path, $"it holds tensors the network does not have: {string.Join(", ", extra)}.");
            var missing = new List<string>();
            foreach (var t in d.Parameters) if (!seen.Contains(t.Name)) missing.Add(t.Name + t.ShapeText);
            if (missing.Count > 0)
                throw new WeightFileException(path, $"it lacks tensors the network needs: {string.Join(", ", missing)}.");
            ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
            long next = 0;
            foreach (var r in ranges)
            {
                if (r.Begin != next)
                    throw new WeightFileException(path, $"tensor '{r.Name}' starts at byte {r.Begin}, but the data must be contiguous and the previous tensor ends at {next}.");
                next = r.End;
            }
            if (next != dataLength)
                throw new WeightFileException(path, $"its data section is {dataLength} bytes, but the tensors cover {next}.");
        }
        ThrowHelper.CheckLength(network.Parameters.Length, scratch.Length, nameof(network), "Parameters must match the description");
        scratch.CopyTo(network.Parameters);
    }

    private static (byte[] Bytes, JsonDocument Header, long DataStart) ReadHeader(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = AtomicFile.ReadAll(path);
        if (bytes.Length < 8) throw new WeightFileException(path, $"it is truncated: {bytes.Length} bytes, too short for the 8-byte header length.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeader || (long)n > bytes.Length - 8)
            throw new WeightFileException(path, $"its header length {n} exceeds the {bytes.Length - 8} bytes after it (truncated or not safetensors).");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        }
        catch (JsonException e)
        {
            throw new WeightFileException(path, "its header is not valid JSON: " + e.Message, e);
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new WeightFileException(path, "its header is not a JSON object.");
        }
        // JSON allows a name twice and the last would silently win; the safetensors format does not allow it.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? twice = null;
        foreach (var entry in doc.RootElement.EnumerateObject())
            if (!seen.Add(entry.Name))
            {
                twice = entry.Name;
                break;
            }
        if (twice is not null)
        {
            doc.Dispose();
            throw new WeightFileException(path, $"its header names '{twice}' twice.");
        }
        return (bytes, doc, 8 + (long)n);
    }

    private static (string Dtype, long[] Shape, long Begin, long End) ReadEntry(JsonProperty entry, string path)
    {
        var v = entry.Value;
        if (v.ValueKind != JsonValueKind.Object
            || !v.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !v.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !v.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw new WeightFileException(path, $"tensor '{entry.Name}' lacks a string 'dtype', an array 'shape' or a two-number 'data_offsets'.");
        var dims = new long[shape.GetArrayLength()];
        int i = 0;
        foreach (var s in shape.EnumerateArray())
        {
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt64(out long dim) || dim < 0)
                throw new WeightFileException(path, $"tensor '{entry.Name}' has a shape entry that is not a non-negative integer: {s.GetRawText()}.");
            dims[i++] = dim;
        }
        long begin = Offset(offsets[0], entry.Name, path), end = Offset(offsets[1], entry.Name, path);
        return (dtype.GetString()!, dims, begin, end);
    }

    private static long Offset(JsonElement e, string name, string path)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v))
            throw new WeightFileException(path, $"tensor '{name}' has a data offset that is not an integer: {e.GetRawText()}.");
        return v;
    }

    private static bool SameShape(long[] a, IReadOnlyList<int> b)
    {
        if (a.Length != b.Count) return false;
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
        return true;
    }

}
