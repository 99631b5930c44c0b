using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;

using System.Text.Json;
using System.Text.Unicode;
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
    /// <remarks>
    /// The file is streamed: the header, then each tensor in chunks, straight to a temporary file beside the target,
    /// then renamed over it. Nothing the size of the weights is built in memory, so networks over 2 GiB save. Temporary
    /// files that earlier saves of the same path left behind when killed are removed first, as by
    /// <see cref="WeightFile.Save"/>.
    /// </remarks>
    /// <param name="network">The network.</param>
    /// <param name="path">The file written.</param>
    /// <param name="metadata">Optional string metadata for <c>__metadata__</c>.</param>
    public static void Save(INetwork network, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(path);
        var d = network.Description;
        ThrowHelper.CheckLength(network.Parameters.Length, d.ParameterCount, nameof(network), "Parameters must match the description");
        ThrowHelper.CheckLength(network.Buffers.Length, d.BufferCount, nameof(network), "Buffers must match the description");
        var tensors = new List<TensorData>();
        foreach (var t in d.Parameters)
        {
            int at = t.Offset;
            tensors.Add(new TensorData(t.Name, t.DType, t.Shape, t.Length, (offset, dst) => network.Parameters.Slice(at + checked((int)offset), dst.Length).CopyTo(dst)));
        }
        foreach (var t in d.Buffers)
        {
            int at = t.Offset;
            tensors.Add(new TensorData(t.Name, t.DType, t.Shape, t.Length, (offset, dst) => network.Buffers.Slice(at + checked((int)offset), dst.Length).CopyTo(dst)));
        }
        AtomicFile.Write(path, stream => WriteTo(stream, tensors, metadata));
    }

    /// <summary>One tensor to write: its name, file dtype, shape, element count, and where its values come from.</summary>
    internal sealed record TensorData(string Name, TensorDType DType, IReadOnlyList<int> Shape, long Length, FloatSource Values);

    /// <summary>
    /// Writes a safetensors file to <paramref name="output"/>: the 8-byte header length, the JSON header (padded with
    /// spaces to a multiple of 8, as the reference implementation aligns it), then each tensor's values pulled in chunks
    /// (F32, or I64 for counters). Offsets are 64-bit throughout. Returns the number of bytes written.
    /// </summary>
    internal static long WriteTo(Stream output, IReadOnlyList<TensorData> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var json = new ArrayBufferWriter<byte>();
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
            foreach (var t in tensors)
            {
                long bytes = (t.DType == TensorDType.Int64 ? 8L : 4L) * t.Length;
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType == TensorDType.Int64 ? "I64" : "F32");
                w.WriteStartArray("shape");
                foreach (int dim in t.Shape) w.WriteNumberValue(dim);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(dataBytes);
                w.WriteNumberValue(dataBytes + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                dataBytes += bytes;
            }
            w.WriteEndObject();
        }
        int headerLength = json.WrittenCount;
        int padded = (headerLength + 7) / 8 * 8; // aligned like the reference implementation, padded with spaces
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        output.Write(prefix);
        output.Write(json.WrittenSpan);
        Span<byte> spaces = stackalloc byte[8];
        spaces.Fill((byte)' ');
        output.Write(spaces[..(padded - headerLength)]);
        var chunk = new FloatChunk();
        foreach (var t in tensors)
        {
            if (t.DType == TensorDType.Int64) chunk.WriteInt64(output, t.Length, t.Values);
            else chunk.Write(output, t.Length, t.Values);
        }
        return 8 + padded + dataBytes;
    }

    /// <summary>Reads the <c>__metadata__</c> map of a safetensors file (empty when it has none).</summary>
    /// <remarks>Reads the header only (at most 100 MiB), never the data; the header is checked whole.</remarks>
    /// <exception cref="WeightFileException">The file is not a well-formed safetensors file.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var source = FileSource.Open(path);
        return ReadMetadataFrom(source);
    }

    internal static IReadOnlyDictionary<string, string> ReadMetadataFrom(ByteSource source) => ReadHeader(source).Metadata;

    /// <summary>
    /// Reads every tensor of a safetensors file, in header order, as float (F32, F64, F16, BF16 and the integer dtypes
    /// are converted), for data or tensors that are not a network's parameters.
    /// </summary>
    /// <remarks>
    /// Reads the header (at most 100 MiB) and then only the bytes its tensors declare, which must tile the data section
    /// exactly; every tensor is checked before any is read, so a malformed file costs no more than its header. The floats
    /// returned take at most four bytes per byte of data (I8 and U8 data). Values are returned as stored, NaN and
    /// infinities included.
    /// </remarks>
    /// <exception cref="WeightFileException">The file is malformed or a tensor has a dtype this reader cannot convert; the message names it.</exception>
    public static IReadOnlyDictionary<string, SafeTensor> ReadTensors(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var source = FileSource.Open(path);
        return ReadTensorsFrom(source);
    }

    internal static IReadOnlyDictionary<string, SafeTensor> ReadTensorsFrom(ByteSource source)
    {
        string path = source.Path;
        var header = ReadHeader(source);
        var dims = new int[header.Entries.Count][];
        for (int k = 0; k < dims.Length; k++)
        {
            var entry = header.Entries[k];
            int size = ElementSize(entry.DType, entry.Name, path);
            if (entry.Count > Array.MaxLength)
                throw new WeightFileException(path, $"tensor '{entry.Name}' is too large: [{string.Join(", ", entry.Shape)}].");
            dims[k] = new int[entry.Shape.Length];
            for (int i = 0; i < entry.Shape.Length; i++)
            {
                if (entry.Shape[i] > int.MaxValue)
                    throw new WeightFileException(path, $"tensor '{entry.Name}' is too large: [{string.Join(", ", entry.Shape)}].");
                dims[k][i] = (int)entry.Shape[i];
            }
            if (entry.End - entry.Begin != size * entry.Count)
                throw new WeightFileException(path, $"tensor '{entry.Name}' spans {entry.End - entry.Begin} bytes, but [{string.Join(", ", entry.Shape)}] of {entry.DType} needs {size * entry.Count}.");
        }
        var result = new Dictionary<string, SafeTensor>();
        var buffer = new byte[ChunkBytes];
        for (int k = 0; k < dims.Length; k++)
        {
            var entry = header.Entries[k];
            var data = new float[entry.Count];
            ReadConverted(source, header.DataStart + entry.Begin, entry.DType, data, buffer);
            result[entry.Name] = new SafeTensor(entry.Name, dims[k], data);
        }
        return result;
    }

    /// <summary>
    /// Loads a safetensors file with exactly the network's tensors (names and shapes: its parameters and its state
    /// buffers, as a PyTorch <c>state_dict</c> holds them) into its parameters and buffers, converting each dtype to float.
    /// </summary>
    /// <remarks>
    /// Only a regular file is read, and only one no longer than the network could need (<see cref="MaxFileLength"/>);
    /// every tensor is checked against the network before any data is read. Temporary files that killed saves of the
    /// same path left behind are removed first.
    /// </remarks>
    /// <param name="network">The network whose parameters and state buffers are replaced.</param>
    /// <param name="path">The file.</param>
    /// <param name="allowNonFinite">
    /// False (the default): a tensor holding NaN or an infinity (after conversion to float: an F64 beyond float's range
    /// becomes one) is refused with a <see cref="WeightFileException"/> naming it and the index of its first bad value.
    /// True loads the values as stored.
    /// </param>
    /// <exception cref="WeightFileException">The file is malformed, or a tensor is missing, extra, misshapen, of a
    /// dtype this reader cannot convert, or holds non-finite values (unless <paramref name="allowNonFinite"/>). The
    /// network is unchanged.</exception>
    public static void Load(INetwork network, string path, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.RemoveStaleTemporaries(path);
        using var source = FileSource.Open(path, MaxFileLength(network.Description), "this network's tensors can take");
        LoadFrom(network, source, allowNonFinite);
    }

    /// <summary>
    /// The longest safetensors file <see cref="Load(INetwork, string, bool)"/> reads into a network of this description: the 8-byte length, a
    /// header of at most 100 MiB, and every tensor at 8 bytes an element (F64 or I64, the widest dtypes). A longer file is
    /// refused before it is read.
    /// </summary>
    public static long MaxFileLength(NetworkDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        return 8 + MaxHeader + 8L * ((long)description.ParameterCount + description.BufferCount);
    }

    /// <summary>
    /// The strict load: every tensor of the network and nothing else, by its own name. It is the options load with its
    /// defaults (one reader for both, so that both refuse the same files the same way).
    /// </summary>
    internal static void LoadFrom(INetwork network, ByteSource source, bool allowNonFinite = false) =>
        LoadFrom(network, source, new SafeTensorsLoadOptions { AllowNonFinite = allowNonFinite }, "pass allowNonFinite: true");

    /// <summary>The bytes converted at a time: a multiple of every element size.</summary>
    private const int ChunkBytes = 1 << 16;

    /// <summary>Reads <paramref name="destination"/>'s elements of <paramref name="dtype"/> from <paramref name="offset"/> in chunks, converting each to float.</summary>
    private static void ReadConverted(ByteSource source, long offset, string dtype, Span<float> destination, byte[] buffer)
    {
        int size = ElementSize(dtype, "", source.Path);
        int perChunk = buffer.Length / size;
        while (!destination.IsEmpty)
        {
            int n = Math.Min(destination.Length, perChunk);
            var bytes = buffer.AsSpan(0, n * size);
            source.Read(offset, bytes);
            Convert(bytes, dtype, destination[..n]);
            offset += bytes.Length;
            destination = destination[n..];
        }
    }

    /// <summary>One tensor of a header, checked: its offsets lie in the data section and its element count fits a long.</summary>
    private sealed record Entry(string Name, string DType, long[] Shape, long Count, long Begin, long End);

    /// <summary>A checked header: the tensors in file order, the metadata, and where the data section lies.</summary>
    private sealed record Header(List<Entry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart, long DataLength);

    /// <summary>Reads and checks the header: the 8-byte length, then that many bytes (at most 100 MiB), and nothing else.</summary>
    private static Header ReadHeader(ByteSource source)
    {
        string path = source.Path;
        long length = source.Length;
        if (length < 8) throw new WeightFileException(path, $"it is truncated: {length} bytes, too short for the 8-byte header length.");
        Span<byte> prefix = stackalloc byte[8];
        source.Read(0, prefix);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeader || (long)n > length - 8)
            throw new WeightFileException(path, $"its header length {n} exceeds the {length - 8} bytes after it (truncated or not safetensors).");
        var json = new byte[n];
        source.Read(8, json);
        return ParseHeader(json, 8 + (long)n, length - 8 - (long)n, path);
    }

    /// <summary>
    /// Checks a whole header, so that every reader refuses the same files with a <see cref="WeightFileException"/>: valid
    /// UTF-8 JSON, an object, no name twice, a <c>__metadata__</c> object of strings, tensors with a string dtype, a shape
    /// of non-negative integers whose product fits a long, and offsets that tile the data section exactly (in order of
    /// their start, each tensor begins where the previous ends and the last ends at the end of the file), as the
    /// reference implementation requires.
    /// </summary>
    private static Header ParseHeader(byte[] json, long dataStart, long dataLength, string path)
    {
        // System.Text.Json checks UTF-8 only when a string is read; checking it here gives one clear message.
        if (!Utf8.IsValid(json)) throw new WeightFileException(path, "its header is not valid UTF-8.");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new WeightFileException(path, "its header is not valid JSON: " + e.Message, e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new WeightFileException(path, "its header is not a JSON object.");
            RequireUnicode(doc.RootElement, path);
            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            // JSON allows a name twice and the last would silently win; the safetensors format does not allow it.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                string name = entry.Name;
                if (!seen.Add(name)) throw new WeightFileException(path, $"its header names '{name}' twice.");
                if (name == "__metadata__")
                {
                    if (entry.Value.ValueKind != JsonValueKind.Object)
                        throw new WeightFileException(path, $"its '__metadata__' is a JSON {entry.Value.ValueKind.ToString().ToLowerInvariant()}, not an object of strings.");
                    foreach (var p in entry.Value.EnumerateObject())
                    {
                        string key = p.Name;
                        if (metadata.ContainsKey(key)) throw new WeightFileException(path, $"its '__metadata__' names '{key}' twice.");
                        metadata[key] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                    }
                    continue;
                }
                entries.Add(ReadEntry(name, entry.Value, dataLength, path));
            }
            var order = entries.ToArray();
            Array.Sort(order, (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long next = 0;
            foreach (var e in order)
            {
                if (e.Begin != next)
                    throw new WeightFileException(path, $"tensor '{e.Name}' starts at byte {e.Begin}, but the data must be contiguous and the previous tensor ends at {next}.");
                next = e.End;
            }
            if (next != dataLength)
                throw new WeightFileException(path, $"its data section is {dataLength} bytes, but the tensors cover {next}.");
            return new Header(entries, metadata, dataStart, dataLength);
        }
    }

    /// <summary>
    /// Checks that every name and string of the header is valid Unicode. An escaped lone surrogate (<c>"\ud800"</c>) is
    /// valid JSON but not a string; System.Text.Json reports it only when the string is read, which includes looking a
    /// name up (<c>TryGetProperty</c> unescapes the others), so every one is read here, once, before any other use.
    /// </summary>
    private static void RequireUnicode(JsonElement root, string path)
    {
        try
        {
            Walk(root);
        }
        catch (InvalidOperationException e)
        {
            throw new WeightFileException(path, "its header has a name or string that is not valid Unicode (an escaped lone surrogate).", e);
        }

        static void Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        _ = p.Name;
                        Walk(p.Value);
                    }
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray()) Walk(item);
                    break;
                case JsonValueKind.String:
                    _ = e.GetString();
                    break;
            }
        }
    }

    private static Entry ReadEntry(string name, JsonElement v, long dataLength, string path)
    {
        if (v.ValueKind != JsonValueKind.Object
            || !v.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !v.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !v.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw new WeightFileException(path, $"tensor '{name}' lacks a string 'dtype', an array 'shape' or a two-number 'data_offsets'.");
        var dims = new long[shape.GetArrayLength()];
        int i = 0;
        bool zero = false, overflow = false;
        long count = 1;
        foreach (var s in shape.EnumerateArray())
        {
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt64(out long dim) || dim < 0)
                throw new WeightFileException(path, $"tensor '{name}' has a shape entry that is not a non-negative integer: {s.GetRawText()}.");
            dims[i++] = dim;
            if (dim == 0) zero = true;
            else if (count > MaxElements / dim) overflow = true;
            else count *= dim;
        }
        if (zero) count = 0;
        else if (overflow)
            throw new WeightFileException(path, $"tensor '{name}' is too large: [{string.Join(", ", dims)}] has more elements than a file can hold.");
        long begin = Offset(offsets[0], name, path), end = Offset(offsets[1], name, path);
        if (begin < 0 || end < begin || end > dataLength)
            throw new WeightFileException(path, $"tensor '{name}' has data offsets [{begin}, {end}] outside the {dataLength}-byte data section.");
        return new Entry(name, dtype.GetString()!, dims, count, begin, end);
    }

    /// <summary>The most elements a tensor may declare: its byte count must fit a long at 8 bytes an element.</summary>
    private const long MaxElements = long.MaxValue / 8;

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
