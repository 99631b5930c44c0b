using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using SourceGenNN.Kernels;
using SourceGenNN.Training;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.IO;

/// <summary>A weight file that cannot be loaded: what is wrong, and which file. The model was not changed.</summary>
public sealed class WeightFileException : IOException
{
    /// <summary>Creates the exception.</summary>
    public WeightFileException(string path, string problem, Exception? inner = null)
        : base($"Cannot load weights from '{path}': {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}

/// <summary>What a weight file held.</summary>
/// <param name="NetworkName">The name of the network type the weights were saved from.</param>
/// <param name="ParameterCount">The number of parameters.</param>
/// <param name="OptimizerKind">The kind of optimiser whose state the file holds, or null.</param>
/// <param name="OptimizerStateLoaded">Whether that state was loaded into the optimiser passed in.</param>
public sealed record WeightFileInfo(string NetworkName, int ParameterCount, string? OptimizerKind, bool OptimizerStateLoaded)
{
    /// <summary>The format version the file was written in (1: before state buffers and shaped networks).</summary>
    public uint FormatVersion { get; init; }

    /// <summary>The number of state-buffer elements loaded.</summary>
    public int BufferCount { get; init; }
}

/// <summary>
/// SourceGenNN's own weight format: everything needed to check that weights belong to a network before touching it,
/// plus an optional optimiser state so that training can resume.
/// <para>
/// Layout of version 2 (little-endian): magic <c>SGNNWTS\0</c>; u32 version; u64 FNV-1a hash of
/// <see cref="NetworkDescription.Fingerprint"/>; the network name; i32 tensor count and per tensor its name, i32 rank
/// and i32 dimensions; i32 state-buffer count and per buffer its name, i32 rank, i32 dimensions and u8 dtype (0 float32,
/// 1 int64 counter); u8 optimiser flag and, when set, its kind, i64 steps, f32 learning rate, i32 buffer count and per
/// buffer its name and i32 length; i64 float count; the parameters as f32 in <see cref="INetwork.Parameters"/> order,
/// then the state buffers in <see cref="INetwork.Buffers"/> order, then the optimiser buffers; u32 CRC-32 of every byte
/// before it. Strings are an i32 byte count and UTF-8.
/// </para>
/// <para>
/// Version 1 files (written before networks had shapes, graphs and state buffers) have no state-buffer section and hash
/// the fingerprint of that time; they still load into the same network.
/// </para>
/// Saves are atomic (a temporary file in the same folder, then a rename). Loads validate everything into scratch
/// buffers first; any problem throws <see cref="WeightFileException"/> and leaves the network and optimiser unchanged.
/// </summary>
public static class WeightFile
{
    /// <summary>The format version written.</summary>
    public const uint Version = 2;

    /// <summary>The oldest format version read.</summary>
    public const uint OldestVersion = 1;

    private static ReadOnlySpan<byte> Magic => "SGNNWTS\0"u8;

    /// <summary>The hash of a network structure stored in weight files.</summary>
    public static ulong FingerprintHash(NetworkDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        return Rng.Fnv1a(description.Fingerprint);
    }

    /// <summary>Saves a network's parameters, and the optimiser's state when given, atomically.</summary>
    /// <remarks>
    /// The file is streamed: written in chunks straight to a temporary file beside the target, its CRC computed as it
    /// goes, then renamed over the target. Nothing the size of the weights is built in memory, so a network of any size
    /// the description allows saves (over 2 GiB too). Temporary files that earlier saves of the same path left behind
    /// when killed (<c>.name.GUID.tmp</c>, held by no live save and at least 5 s old) are removed first.
    /// </remarks>
    public static void Save(INetwork network, string path, Optimizer? optimizer = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(path);
        var d = network.Description;
        ThrowHelper.CheckLength(network.Parameters.Length, d.ParameterCount, nameof(network), "Parameters must match the description");
        ThrowHelper.CheckLength(network.Buffers.Length, d.BufferCount, nameof(network), "Buffers must match the description");
        OptimizerSection? state = null;
        if (optimizer is not null)
        {
            ThrowHelper.CheckLength(optimizer.ParameterCount, d.ParameterCount, nameof(optimizer), "the optimiser's parameter count must be the network's");
            var buffers = new (string, long, FloatSource)[optimizer.StateNames.Count];
            for (int i = 0; i < buffers.Length; i++)
            {
                int k = i;
                buffers[i] = (optimizer.StateNames[i], optimizer.ParameterCount, (offset, dst) => optimizer.StateBuffer(k).Slice(checked((int)offset), dst.Length).CopyTo(dst));
            }
            state = new OptimizerSection(optimizer.Kind, optimizer.Steps, optimizer.LearningRate, buffers);
        }
        AtomicFile.Write(path, stream => WriteTo(stream, d,
            (offset, dst) => network.Parameters.Slice(checked((int)offset), dst.Length).CopyTo(dst),
            (offset, dst) => network.Buffers.Slice(checked((int)offset), dst.Length).CopyTo(dst),
            state));
    }

    /// <summary>An optimiser's state as written: its kind, steps, learning rate and named buffers, each read in chunks.</summary>
    internal sealed record OptimizerSection(string Kind, long Steps, float LearningRate, IReadOnlyList<(string Name, long Length, FloatSource Values)> Buffers);

    /// <summary>
    /// Writes a weight file for <paramref name="d"/> to <paramref name="output"/>: the header, then the values pulled in
    /// chunks from the sources (parameters, state buffers, optimiser buffers), then the CRC-32 of everything before it,
    /// computed as the bytes go. Offsets and counts are 64-bit throughout. Returns the number of bytes written.
    /// </summary>
    internal static long WriteTo(Stream output, NetworkDescription d, FloatSource parameters, FloatSource buffers, OptimizerSection? state)
    {
        var crc = new ChecksumStream(output);
        using (var w = new BinaryWriter(crc, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(FingerprintHash(d));
            WriteString(w, d.Name);
            w.Write(d.Parameters.Count);
            foreach (var t in d.Parameters)
            {
                WriteString(w, t.Name);
                w.Write(t.Shape.Count);
                foreach (int dim in t.Shape) w.Write(dim);
            }
            w.Write(d.Buffers.Count);
            foreach (var t in d.Buffers)
            {
                WriteString(w, t.Name);
                w.Write(t.Shape.Count);
                foreach (int dim in t.Shape) w.Write(dim);
                w.Write((byte)t.DType);
            }
            long floats = (long)d.ParameterCount + d.BufferCount;
            w.Write((byte)(state is null ? 0 : 1));
            if (state is not null)
            {
                WriteString(w, state.Kind);
                w.Write(state.Steps);
                w.Write(state.LearningRate);
                w.Write(state.Buffers.Count);
                foreach (var (name, length, _) in state.Buffers)
                {
                    WriteString(w, name);
                    w.Write(checked((int)length));
                    floats += length;
                }
            }
            w.Write(floats);
        }
        var chunk = new FloatChunk();
        chunk.Write(crc, d.ParameterCount, parameters);
        chunk.Write(crc, d.BufferCount, buffers);
        if (state is not null)
            foreach (var (_, length, values) in state.Buffers) chunk.Write(crc, length, values);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, crc.Crc);
        output.Write(tail);
        return crc.Length + tail.Length;
    }

    /// <summary>
    /// Loads parameters saved by <see cref="Save"/> into <paramref name="network"/>, and the optimiser state into
    /// <paramref name="optimizer"/> when both the file and the call have one. Everything is validated before anything
    /// changes.
    /// </summary>
    /// <remarks>
    /// Only a regular file is read (not a directory, device or pipe), and only one no longer than the network could need
    /// (<see cref="MaxFileLength"/>); both are refused before a byte is read. The file is read in chunks, once to check
    /// its CRC and once to parse it, so a load needs memory for the values it loads and little more. Temporary files that
    /// killed saves of the same path left behind are removed first (as by <see cref="Save"/>).
    /// </remarks>
    /// <param name="network">The network whose parameters and state buffers are replaced.</param>
    /// <param name="path">The file.</param>
    /// <param name="optimizer">The optimiser whose state is replaced, when the file has one; null to ignore the state.</param>
    /// <param name="allowNonFinite">
    /// False (the default): a NaN or infinite parameter, state buffer or optimiser state value, or a learning rate that
    /// is NaN, infinite or negative, is refused with a <see cref="WeightFileException"/> naming the tensor and the index of
    /// the first bad value. True loads them as stored (to inspect a run that diverged, say).
    /// </param>
    /// <exception cref="WeightFileException">The file is not a weight file, is corrupt, truncated, of another version,
    /// for another network, holds non-finite values (unless <paramref name="allowNonFinite"/>), or its optimiser state
    /// does not fit <paramref name="optimizer"/>.</exception>
    public static WeightFileInfo Load(INetwork network, string path, Optimizer? optimizer = null, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.RemoveStaleTemporaries(path);
        using var source = FileSource.Open(path, MaxFileLength(network.Description, optimizer), "this network's weights and optimiser state can take");
        return LoadFrom(network, source, optimizer, allowNonFinite);
    }

    /// <summary>The longest string the format holds: names of networks, tensors and optimisers are far shorter.</summary>
    private const int MaxString = SourceReader.MaxString;

    /// <summary>The most optimiser state buffers a file may hold.</summary>
    private const int MaxOptimizerBuffers = 64;

    /// <summary>
    /// The longest weight file <see cref="Load"/> reads into a network of this description: the header with its tensor
    /// names and shapes, names of up to 64 KiB for the network and the optimiser, the parameters and state buffers, and
    /// the optimiser's buffers (as many as <paramref name="optimizer"/> has, or the format's limit of 64 without one),
    /// each as long as the parameters. A longer file is refused before it is read.
    /// </summary>
    public static long MaxFileLength(NetworkDescription description, Optimizer? optimizer = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        long header = Magic.Length + 4 + 8 + (4 + MaxString) + 4 + 4 + 1 + 8 + 4; // ... version, hash, name, counts, flag, value count, CRC
        foreach (var t in description.Parameters) header += 4 + Encoding.UTF8.GetByteCount(t.Name) + 4 + 4L * t.Shape.Count;
        foreach (var t in description.Buffers) header += 4 + Encoding.UTF8.GetByteCount(t.Name) + 4 + 4L * t.Shape.Count + 1;
        long k = optimizer?.StateNames.Count ?? MaxOptimizerBuffers;
        long state = (4 + MaxString) + 8 + 4 + 4 + k * (4 + MaxString + 4);
        return header + state + 4L * ((long)description.ParameterCount + description.BufferCount) + 4L * k * description.ParameterCount;
    }

    /// <summary>Loads from any byte source: the file overload, tests and the fuzzer.</summary>
    internal static WeightFileInfo LoadFrom(INetwork network, ByteSource source, Optimizer? optimizer = null, bool allowNonFinite = false)
    {
        var (info, parameters, buffers, state, learningRate) = Parse(source, network.Description, optimizer, allowNonFinite);
        ThrowHelper.CheckLength(network.Parameters.Length, parameters.Length, nameof(network), "Parameters must match the description");
        ThrowHelper.CheckLength(network.Buffers.Length, buffers.Length, nameof(network), "Buffers must match the description");
        bool loaded = false;
        if (optimizer is not null && state is not null)
        {
            optimizer.ImportState(state); // validated in Parse, so this cannot fail half-way
            optimizer.LearningRate = learningRate;
            loaded = true;
        }
        parameters.CopyTo(network.Parameters);
        buffers.CopyTo(network.Buffers);
        return info with { OptimizerStateLoaded = loaded };
    }

    /// <summary>The CRC-32 of the source's bytes before <paramref name="end"/>, read in chunks.</summary>
    private static uint Checksum(ByteSource source, long end)
    {
        var buffer = new byte[(int)Math.Min(1 << 20, Math.Max(end, 1))]; // large reads: 64 KiB ones cost several times more in system time
        uint crc = 0;
        for (long at = 0; at < end;)
        {
            int n = (int)Math.Min(buffer.Length, end - at);
            source.Read(at, buffer.AsSpan(0, n));
            crc = Crc32.Append(crc, buffer.AsSpan(0, n));
            at += n;
        }
        return crc;
    }

    private static (WeightFileInfo, float[], float[], OptimizerState?, float) Parse(ByteSource source, NetworkDescription d, Optimizer? optimizer, bool allowNonFinite)
    {
        string path = source.Path;
        long length = source.Length;
        var r = new SourceReader(source);
        Span<byte> magic = stackalloc byte[8];
        if (length < Magic.Length) throw NotAWeightFile(path);
        source.Read(0, magic);
        if (!magic.SequenceEqual(Magic)) throw NotAWeightFile(path);
        r.Skip(Magic.Length, "the header");
        uint version = r.UInt32("the version");
        if (version < OldestVersion || version > Version)
            throw new WeightFileException(path, $"its format version is {version}, but this library reads versions {OldestVersion} to {Version}.");
        if (length < Magic.Length + 8)
            throw new WeightFileException(path, "it is truncated (too short to hold a checksum).");
        Span<byte> tail = stackalloc byte[4];
        source.Read(length - 4, tail);
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(tail);
        uint actual = Checksum(source, length - 4);
        if (stored != actual)
            throw new WeightFileException(path,
                $"its checksum does not match (stored 0x{stored:X8}, computed 0x{actual:X8}): the file is corrupt or truncated.");
        r.Limit(length - 4);

        ulong hash = r.UInt64("the fingerprint");
        string name = r.String("the network name");
        // A version-1 file hashed the fingerprint of its time, which exists only for the networks that could be declared then.
        string? legacy = version == 1 ? d.LegacyFingerprint : null;
        ulong expectedHash = version == 1 ? (legacy is null ? 0 : Rng.Fnv1a(legacy)) : FingerprintHash(d);
        int tensorCount = r.Int32("the tensor count");
        if (tensorCount < 0 || tensorCount > 1_000_000) throw new WeightFileException(path, $"its tensor count {tensorCount} is invalid.");
        var names = new List<string>();
        var shapes = new List<int[]>();
        for (int i = 0; i < tensorCount; i++)
        {
            names.Add(r.String($"the name of tensor {i}"));
            int rank = r.Int32($"the rank of tensor '{names[i]}'");
            if (rank < 0 || rank > 32) throw new WeightFileException(path, $"tensor '{names[i]}' has an invalid rank {rank}.");
            var shape = new int[rank];
            for (int k = 0; k < rank; k++) shape[k] = r.Int32($"the shape of tensor '{names[i]}'");
            shapes.Add(shape);
        }
        var bufferNames = new List<string>();
        var bufferShapes = new List<int[]>();
        var bufferTypes = new List<byte>();
        if (version >= 2)
        {
            int bufferTensors = r.Int32("the state-buffer count");
            if (bufferTensors < 0 || bufferTensors > 1_000_000) throw new WeightFileException(path, $"its state-buffer count {bufferTensors} is invalid.");
            for (int i = 0; i < bufferTensors; i++)
            {
                bufferNames.Add(r.String($"the name of state buffer {i}"));
                int rank = r.Int32($"the rank of state buffer '{bufferNames[i]}'");
                if (rank < 0 || rank > 32) throw new WeightFileException(path, $"state buffer '{bufferNames[i]}' has an invalid rank {rank}.");
                var shape = new int[rank];
                for (int k = 0; k < rank; k++) shape[k] = r.Int32($"the shape of state buffer '{bufferNames[i]}'");
                bufferShapes.Add(shape);
                bufferTypes.Add(r.Byte($"the dtype of state buffer '{bufferNames[i]}'"));
            }
        }
        if (hash != expectedHash || (version == 1 && legacy is null))
            throw new WeightFileException(path,
                $"it was saved from a different network: '{name}' with tensors {Describe(names, shapes)}, but this network is '{d.Name}' with tensors {Describe(d)} " +
                $"(fingerprint hash 0x{hash:X16}, expected 0x{expectedHash:X16}).");
        if (tensorCount != d.Parameters.Count)
            throw new WeightFileException(path, $"it holds {tensorCount} tensors, but the network has {d.Parameters.Count}.");
        for (int i = 0; i < tensorCount; i++)
        {
            var t = d.Parameters[i];
            if (names[i] != t.Name || !SameShape(shapes[i], t.Shape))
                throw new WeightFileException(path,
                    $"tensor {i} is '{names[i]}' [{string.Join(", ", shapes[i])}], but the network expects '{t.Name}' {t.ShapeText}.");
        }
        if (bufferNames.Count != d.Buffers.Count)
            throw new WeightFileException(path, $"it holds {bufferNames.Count} state buffers, but the network has {d.Buffers.Count}.");
        for (int i = 0; i < bufferNames.Count; i++)
        {
            var t = d.Buffers[i];
            if (bufferNames[i] != t.Name || !SameShape(bufferShapes[i], t.Shape) || bufferTypes[i] != (byte)t.DType)
                throw new WeightFileException(path,
                    $"state buffer {i} is '{bufferNames[i]}' [{string.Join(", ", bufferShapes[i])}], but the network expects '{t.Name}' {t.ShapeText} ({t.DType}).");
        }

        byte hasState = r.Byte("the optimiser flag");
        if (hasState > 1) throw new WeightFileException(path, $"its optimiser flag is {hasState}, not 0 or 1.");
        string? kind = null;
        long steps = 0;
        float learningRate = 0;
        var optimizerNames = new List<string>();
        var bufferLengths = new List<int>();
        long expectedFloats = (long)d.ParameterCount + d.BufferCount;
        if (hasState == 1)
        {
            kind = r.String("the optimiser kind");
            steps = r.Int64("the optimiser step count");
            learningRate = r.Single("the learning rate");
            int count = r.Int32("the optimiser buffer count");
            if (count < 0 || count > MaxOptimizerBuffers) throw new WeightFileException(path, $"its optimiser buffer count {count} is invalid.");
            for (int i = 0; i < count; i++)
            {
                optimizerNames.Add(r.String($"the name of optimiser buffer {i}"));
                int len = r.Int32($"the length of optimiser buffer '{optimizerNames[i]}'");
                if (len < 0) throw new WeightFileException(path, $"optimiser buffer '{optimizerNames[i]}' has a negative length {len}.");
                if (len > d.ParameterCount)
                    throw new WeightFileException(path, $"optimiser buffer '{optimizerNames[i]}' has {len} values, more than the network's {d.ParameterCount} parameters.");
                bufferLengths.Add(len);
                expectedFloats += len;
            }
        }
        long floats = r.Int64("the value count");
        if (floats != expectedFloats)
            throw new WeightFileException(path, $"it declares {floats} values, but its tensors and optimiser buffers need {expectedFloats}.");
        long remaining = r.Remaining;
        if (remaining != floats * 4)
            throw new WeightFileException(path, $"it holds {remaining} bytes of values, but {floats * 4} were expected.");

        var parameters = new float[d.ParameterCount];
        r.Floats(parameters, "the parameters");
        var stateBuffers = new float[d.BufferCount];
        r.Floats(stateBuffers, "the state buffers");
        if (!allowNonFinite)
        {
            foreach (var t in d.Parameters) FiniteCheck.Require(parameters.AsSpan(t.Offset, t.Length), $"parameter '{t.Name}'", t.Shape, path);
            foreach (var t in d.Buffers) FiniteCheck.Require(stateBuffers.AsSpan(t.Offset, t.Length), $"state buffer '{t.Name}'", t.Shape, path);
        }
        OptimizerState? state = null;
        if (hasState == 1 && optimizer is not null)
        {
            // Without an optimiser to load it into, the state is checked by the CRC but not read.
            var buffers = new KeyValuePair<string, float[]>[optimizerNames.Count];
            for (int i = 0; i < buffers.Length; i++)
            {
                var values = new float[bufferLengths[i]];
                r.Floats(values, $"optimiser buffer '{optimizerNames[i]}'");
                buffers[i] = new(optimizerNames[i], values);
            }
            state = new OptimizerState(kind!, steps, buffers);
            try
            {
                optimizer.ValidateState(state);
            }
            catch (ArgumentException e)
            {
                throw new WeightFileException(path, "its optimiser state does not fit the optimiser given: " + e.Message, e);
            }
            // The learning rate is checked even with allowNonFinite: the optimiser's setter refuses a bad one, and
            // refusing it here, before anything is copied, keeps the network and optimiser as they were.
            FiniteCheck.RequireLearningRate(learningRate, path);
            if (!allowNonFinite)
            {
                foreach (var (bufferName, values) in buffers) FiniteCheck.Require(values, $"optimiser buffer '{bufferName}'", null, path);
            }
        }
        return (new WeightFileInfo(name, d.ParameterCount, kind, false) { FormatVersion = version, BufferCount = d.BufferCount }, parameters, stateBuffers, state, learningRate);
    }

    private static WeightFileException NotAWeightFile(string path) =>
        new(path, "it is not a SourceGenNN weight file (the magic bytes 'SGNNWTS\\0' are missing).");

    private static bool SameShape(int[] a, IReadOnlyList<int> b)
    {
        if (a.Length != b.Count) return false;
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
        return true;
    }

    private static string Describe(List<string> names, List<int[]> shapes)
    {
        var parts = new string[names.Count];
        for (int i = 0; i < parts.Length; i++) parts[i] = names[i] + "[" + string.Join(", ", shapes[i]) + "]";
        return "{" + string.Join(", ", parts) + "}";
    }

    private static string Describe(NetworkDescription d)
    {
        var parts = new string[d.Parameters.Count];
        for (int i = 0; i < parts.Length; i++) parts[i] = d.Parameters[i].Name + d.Parameters[i].ShapeText;
        return "{" + string.Join(", ", parts) + "}";
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        w.Write(b.Length);
        w.Write(b);
    }
}
