using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;

using System.Text.Json;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.IO;

/// <summary>One tensor read from a safetensors file: its name, shape and F32 values, row-major.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Data">Its values.</param>
public sealed record SafeTensor(string Name, IReadOnlyList<int> Shape, float[] Data);

/// <summary>
/// Import and export in the safetensors format with PyTorch <c>state_dict</c> names and layouts (<c>0.weight</c>
/// [out, in], <c>0.bias</c> [out], <c>bn.running_mean</c>): a little-endian u64 header length, a JSON header mapping each
/// tensor name to its dtype, shape and data offsets (plus an optional <c>__metadata__</c> map of strings), then the data.
/// Parameters and float buffers are written as F32, counters (<c>num_batches_tracked</c>) as I64, as PyTorch writes them.
/// Loading reads F32, F64, F16, BF16, I64, I32, I16 and I8 and converts to float. It is strict: a missing, extra or
/// misshapen tensor is an error naming it, and the network is unchanged.
/// </summary>
public static partial class SafeTensors
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
        ReadOnlySpan<float> p = network.Parameters, b = network.Buffers;
        ThrowHelper.CheckLength(p.Length, d.ParameterCount, nameof(network), "Parameters must match the description");
        ThrowHelper.CheckLength(b.Length, d.BufferCount, nameof(network), "Buffers must match the description");
        var tensors = new List<(TensorDescription T, bool Buffer)>();
        foreach (var t in d.Parameters) tensors.Add((t, false));
        foreach (var t in d.Buffers) tensors.Add((t, true));

        var json = new MemoryStream();
        long dataBytes = 0;
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is not null && metadata.Count > 0)
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in metadata) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            foreach (var (t, _) in tensors)
            {
                int size = t.DType == TensorDType.Int64 ? 8 : 4;
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType == TensorDType.Int64 ? "I64" : "F32");
                w.WriteStartArray("shape");
                foreach (int dim in t.Shape) w.WriteNumberValue(dim);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(dataBytes);
                w.WriteNumberValue(dataBytes + (long)size * t.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                dataBytes += (long)size * t.Length;
            }
            w.WriteEndObject();
        }
        int headerLength = (int)json.Length;
        int padded = (headerLength + 7) / 8 * 8; // aligned like the reference implementation, padded with spaces
        var bytes = new byte[8 + padded + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        json.GetBuffer().AsSpan(0, headerLength).CopyTo(bytes.AsSpan(8));
        bytes.AsSpan(8 + headerLength, padded - headerLength).Fill((byte)' ');
        long at = 8 + padded;
        foreach (var (t, buffer) in tensors)
        {
            var source = buffer ? b : p;
            for (int i = 0; i < t.Length; i++)
            {
                float v = source[t.Offset + i];
                if (t.DType == TensorDType.Int64)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan((int)at), (long)v);
                    at += 8;
                }
                else
                {
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((int)at), v);
                    at += 4;
                }
            }
        }
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
    /// Reads every tensor of a safetensors file, in header order, as float (F32, F64, F16, BF16 and the integer dtypes
    /// are converted), for data or tensors that are not a network's parameters.
    /// </summary>
    /// <exception cref="WeightFileException">The file is malformed or a tensor has a dtype this reader cannot convert; the message names it.</exception>
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
                int size = ElementSize(dtype, entry.Name, path);
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
                if (end - begin != size * count)
                    throw new WeightFileException(path, $"tensor '{entry.Name}' spans {end - begin} bytes, but [{string.Join(", ", shape)}] of {dtype} needs {size * count}.");
                var data = new float[count];
                Convert(bytes.AsSpan((int)(dataStart + begin), (int)(end - begin)), dtype, data);
                result[entry.Name] = new SafeTensor(entry.Name, dims, data);
            }
        }
        return result;
    }

    /// <summary>
    /// Loads a safetensors file with exactly the network's tensors (names and shapes: its parameters and its state
    /// buffers, as a PyTorch <c>state_dict</c> holds them) into its parameters and buffers, converting each dtype to float.
    /// </summary>
    /// <exception cref="WeightFileException">The file is malformed, or a tensor is missing, extra, misshapen or of a
    /// dtype this reader cannot convert. The network is unchanged.</exception>
    public static void Load(INetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(path);
        var d = network.Description;
        var (bytes, header, dataStart) = ReadHeader(path);
        long dataLength = bytes.Length - dataStart;
        var scratch = new float[d.ParameterCount];
        var bufferScratch = new float[d.BufferCount];
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
                bool isBuffer = false;
                if (t is null && d.FindBuffer(entry.Name) is { } buffer)
                {
                    t = buffer;
                    isBuffer = true;
                }
                if (t is null)
                {
                    extra.Add(entry.Name);
                    continue;
                }
                seen.Add(entry.Name);
                int size = ElementSize(dtype, entry.Name, path);
                if (!SameShape(shape, t.Shape))
                    throw new WeightFileException(path, $"tensor '{entry.Name}' has shape [{string.Join(", ", shape)}], but the network expects {t.ShapeText}.");
                if (end - begin != (long)size * t.Length)
                    throw new WeightFileException(path, $"tensor '{entry.Name}' spans {end - begin} bytes, but {t.ShapeText} of {dtype} needs {(long)size * t.Length}.");
                Convert(bytes.AsSpan((int)(dataStart + begin), (int)(end - begin)), dtype, (isBuffer ? bufferScratch : scratch).AsSpan(t.Offset, t.Length));
            }
            if (extra.Count > 0)
                throw new WeightFileException(path, $"it holds tensors the network does not have: {string.Join(", ", extra)}.");
            var missing = new List<string>();
            foreach (var t in d.Parameters) if (!seen.Contains(t.Name)) missing.Add(t.Name + t.ShapeText);
            foreach (var t in d.Buffers) if (!seen.Contains(t.Name)) missing.Add(t.Name + t.ShapeText);
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
        ThrowHelper.CheckLength(network.Buffers.Length, bufferScratch.Length, nameof(network), "Buffers must match the description");
        scratch.CopyTo(network.Parameters);
        bufferScratch.CopyTo(network.Buffers);
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

    /// <summary>The bytes of one element of a dtype this reader converts, or an error naming the tensor.</summary>
    private static int ElementSize(string dtype, string name, string path) => dtype switch
    {
        "F32" or "I32" => 4,
        "F64" or "I64" => 8,
        "F16" or "BF16" or "I16" => 2,
        "I8" or "U8" => 1,
        _ => throw new WeightFileException(path, $"tensor '{name}' has dtype {dtype}; this reader converts F32, F64, F16, BF16, I64, I32, I16, I8 and U8."),
    };

    /// <summary>Little-endian elements of <paramref name="dtype"/> to float (F64 and I64 rounded to the nearest float).</summary>
    private static void Convert(ReadOnlySpan<byte> src, string dtype, Span<float> dst)
    {
        for (int i = 0; i < dst.Length; i++)
            dst[i] = dtype switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]),
                "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]),
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]) << 16),
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]),
                "I16" => BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]),
                "I8" => (sbyte)src[i],
                _ => src[i], // U8
            };
    }

    private static bool SameShape(long[] a, IReadOnlyList<int> b)
    {
        if (a.Length != b.Count) return false;
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
        return true;
    }

}
