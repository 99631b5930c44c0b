using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using SourceGenNN.CompilerServices;
using SourceGenNN.Data;
using SourceGenNN.Kernels;

namespace SourceGenNN.IO;

/// <summary>
/// How <see cref="SafeTensors.Load(INetwork, string, SafeTensorsLoadOptions)"/> matches a file's tensors to a network's,
/// as PyTorch users do with <c>load_state_dict</c>: a key prefix, renamed keys, and strict or not.
/// </summary>
public sealed class SafeTensorsLoadOptions
{
    /// <summary>
    /// Load only the tensors whose names start with this prefix, without it: <c>"model."</c> loads
    /// <c>model.0.weight</c> into <c>0.weight</c>, and <c>"module."</c> loads what <c>nn.DataParallel</c> saved. Tensors
    /// outside the prefix are not the network's: they are neither loaded nor unexpected, as when PyTorch loads a
    /// submodule. Null or empty: every tensor, by its own name.
    /// </summary>
    public string? Prefix { get; init; }

    /// <summary>
    /// Names to change: each key is a tensor's name as stored in the file, its value the network tensor it loads into
    /// (<c>["fc.weight"] = "0.weight"</c>). A renamed tensor does not go through <see cref="Prefix"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Rename { get; init; }

    /// <summary>
    /// True (the default), like <c>load_state_dict(strict=True)</c>: a network tensor the file lacks, or a file tensor
    /// the network does not have, is an error and nothing is loaded. False loads the tensors that match and reports the
    /// rest in <see cref="SafeTensorsLoadResult.MissingKeys"/> and <see cref="SafeTensorsLoadResult.UnexpectedKeys"/>;
    /// missing tensors keep their values. A tensor of the wrong shape is an error either way, as in PyTorch.
    /// </summary>
    public bool Strict { get; init; } = true;

    /// <summary>
    /// False (the default): a tensor holding NaN or an infinity (after conversion to float) is refused, naming it and
    /// the index of its first such value. True loads values as stored, to inspect a run that diverged.
    /// </summary>
    public bool AllowNonFinite { get; init; }
}

/// <summary>What <see cref="SafeTensors.Load(INetwork, string, SafeTensorsLoadOptions)"/> found, as PyTorch's <c>load_state_dict</c> reports it.</summary>
public sealed class SafeTensorsLoadResult
{
    internal SafeTensorsLoadResult(IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> loaded,
        IReadOnlyDictionary<string, string> metadata, Standardizer? standardizer)
    {
        MissingKeys = missing;
        UnexpectedKeys = unexpected;
        LoadedKeys = loaded;
        Metadata = metadata;
        Standardizer = standardizer;
    }

    /// <summary>The network's tensors that the file did not provide (network names, in network order); they kept their values.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>The file's tensors that the network does not have (names as stored in the file, in file order); not loaded.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>The network's tensors that were loaded (network names, in network order).</summary>
    public IReadOnlyList<string> LoadedKeys { get; }

    /// <summary>The file's <c>__metadata__</c> (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// The preprocessing saved with the model (<see cref="Standardizer.ToMetadata"/>), checked to fit the network's
    /// inputs, or null when the file holds none.
    /// </summary>
    public Standardizer? Standardizer { get; }
}

public static partial class SafeTensors
{
    /// <summary>
    /// Loads a safetensors file into a network's parameters and state buffers the way PyTorch users load a
    /// <c>state_dict</c>: with a key prefix, renamed keys, and optionally not strict
    /// (<c>load_state_dict(strict=False)</c>), converting F32, F64, F16, BF16 and integer tensors to float. Tensors that
    /// are not loaded (outside the prefix, or unexpected when not strict) are never read, so their dtype does not matter.
    /// </summary>
    /// <param name="network">The network whose tensors are replaced.</param>
    /// <param name="path">The file.</param>
    /// <param name="options">The prefix, the renames, strictness.</param>
    /// <returns>The missing and unexpected keys, the metadata, and the standardizer saved with the model, if any.</returns>
    /// <exception cref="WeightFileException">The file is malformed; a tensor that would load is misshapen, of a dtype
    /// this reader cannot convert, or not finite; two of the file's tensors map to one network tensor; the standardizer
    /// in its metadata is malformed or does not fit the network's inputs; or, when strict, a tensor is missing or
    /// unexpected. The network is unchanged.</exception>
    public static SafeTensorsLoadResult Load(INetwork network, string path, SafeTensorsLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        AtomicFile.RemoveStaleTemporaries(path);
        using var file = FileSource.Open(path);
        return LoadFrom(network, file, options);
    }

    /// <summary>
    /// Loads from any byte source: both file overloads, tests and the fuzzer. <paramref name="waiver"/> says, in the
    /// message refusing a non-finite value, how the caller's API lets one through.
    /// </summary>
    internal static SafeTensorsLoadResult LoadFrom(INetwork network, ByteSource file, SafeTensorsLoadOptions options, string waiver = "set AllowNonFinite = true")
    {
        var d = network.Description;
        string path = file.Path;
        string prefix = options.Prefix ?? "";
        var header = ReadHeader(file); // checked whole: offsets inside the data, tiling it exactly

        var unexpected = new List<string>();
        var reads = new List<(Entry Entry, TensorDescription Tensor, bool Buffer)>();
        var source = new Dictionary<string, string>(StringComparer.Ordinal); // network tensor -> the file name loaded into it
        int outside = 0;
        foreach (var entry in header.Entries)
        {
            string name;
            if (options.Rename is not null && options.Rename.TryGetValue(entry.Name, out var renamed))
                name = renamed ?? throw new ArgumentException($"Rename maps '{entry.Name}' to null.", nameof(options));
            else if (prefix.Length == 0) name = entry.Name;
            else if (entry.Name.StartsWith(prefix, StringComparison.Ordinal)) name = entry.Name[prefix.Length..];
            else
            {
                outside++;
                continue;
            }
            var t = d.FindParameter(name);
            bool isBuffer = false;
            if (t is null && d.FindBuffer(name) is { } buffer)
            {
                t = buffer;
                isBuffer = true;
            }
            if (t is null)
            {
                unexpected.Add(entry.Name);
                continue;
            }
            if (!source.TryAdd(t.Name, entry.Name))
                throw new WeightFileException(path, $"tensors '{source[t.Name]}' and '{entry.Name}' both map to the network's '{t.Name}'.");
            int size = ElementSize(entry.DType, entry.Name, path);
            if (!SameShape(entry.Shape, t.Shape))
                throw new WeightFileException(path, $"tensor '{entry.Name}' has shape [{string.Join(", ", entry.Shape)}], but the network's '{t.Name}' is {t.ShapeText}.");
            if (entry.End - entry.Begin != (long)size * t.Length)
                throw new WeightFileException(path, $"tensor '{entry.Name}' spans {entry.End - entry.Begin} bytes, but {t.ShapeText} of {entry.DType} needs {(long)size * t.Length}.");
            reads.Add((entry, t, isBuffer));
        }
        var missing = new List<string>();
        var loaded = new List<string>();
        foreach (var t in d.Parameters) (source.ContainsKey(t.Name) ? loaded : missing).Add(t.Name);
        foreach (var t in d.Buffers) (source.ContainsKey(t.Name) ? loaded : missing).Add(t.Name);
        if (options.Strict && (missing.Count > 0 || unexpected.Count > 0))
        {
            var problems = new List<string>();
            if (missing.Count > 0) problems.Add("it lacks tensors the network needs: " + string.Join(", ", missing));
            if (unexpected.Count > 0) problems.Add("it holds tensors the network does not have: " + string.Join(", ", unexpected));
            string where = prefix.Length == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({outside} tensors outside the prefix '{prefix}' were left out)");
            throw new WeightFileException(path, string.Join("; ", problems) + where +
                ". SafeTensorsLoadOptions with Strict = false loads the tensors that match and reports the others; its Prefix and Rename match other names.");
        }

        Standardizer? standardizer = null;
        if (header.Metadata.ContainsKey(Standardizer.MetadataKey))
        {
            try
            {
                standardizer = Standardizer.FromMetadata(header.Metadata);
            }
            catch (FormatException e)
            {
                throw new WeightFileException(path, $"its standardizer ('{Standardizer.MetadataKey}' in __metadata__) is malformed: {e.Message}", e);
            }
            if (standardizer!.FeatureCount != d.InputSize)
                throw new WeightFileException(path, $"its standardizer has {standardizer.FeatureCount} columns, but the network takes {d.InputSize} inputs.");
        }

        // Scratch copies, so that missing tensors keep their values and nothing changes unless everything converts.
        var parameters = network.Parameters.ToArray();
        var buffers = network.Buffers.ToArray();
        ThrowHelper.CheckLength(parameters.Length, d.ParameterCount, nameof(network), "Parameters must match the description");
        ThrowHelper.CheckLength(buffers.Length, d.BufferCount, nameof(network), "Buffers must match the description");
        var chunk = new byte[ChunkBytes];
        foreach (var (entry, t, isBuffer) in reads)
        {
            var values = (isBuffer ? buffers : parameters).AsSpan(t.Offset, t.Length);
            ReadConverted(file, header.DataStart + entry.Begin, entry.DType, values, chunk);
            if (!options.AllowNonFinite) FiniteCheck.Require(values, $"tensor '{entry.Name}'", t.Shape, path, waiver);
        }
        parameters.CopyTo(network.Parameters);
        buffers.CopyTo(network.Buffers);
        return new SafeTensorsLoadResult(missing, unexpected, loaded, header.Metadata, standardizer);
    }

    /// <summary>
    /// A network's tensors as a PyTorch <c>state_dict</c> holds them, copied: the parameters, then the state buffers,
    /// each named with <paramref name="prefix"/> in front (<c>"model."</c> gives <c>model.0.weight</c>). Pass them, with
    /// any other tensors, to <see cref="SaveTensors"/>.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="prefix">Put in front of every name; null or empty for none.</param>
    public static IReadOnlyList<SafeTensor> StateDict(INetwork network, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        var d = network.Description;
        ReadOnlySpan<float> p = network.Parameters, b = network.Buffers;
        ThrowHelper.CheckLength(p.Length, d.ParameterCount, nameof(network), "Parameters must match the description");
        ThrowHelper.CheckLength(b.Length, d.BufferCount, nameof(network), "Buffers must match the description");
        var result = new List<SafeTensor>(d.Parameters.Count + d.Buffers.Count);
        foreach (var t in d.Parameters) result.Add(new SafeTensor(prefix + t.Name, [.. t.Shape], p.Slice(t.Offset, t.Length).ToArray()));
        foreach (var t in d.Buffers) result.Add(new SafeTensor(prefix + t.Name, [.. t.Shape], b.Slice(t.Offset, t.Length).ToArray()));
        return result;
    }

    /// <summary>
    /// Writes any named float tensors as a safetensors file, atomically, as <c>safetensors.torch.save_file</c> does: F32,
    /// in the order given, the header padded to a multiple of 8 bytes. <see cref="ReadTensors"/> reads them back, and so
    /// does PyTorch.
    /// </summary>
    /// <param name="path">The file written (replaced atomically).</param>
    /// <param name="tensors">The tensors: unique, non-empty names other than <c>__metadata__</c>; each shape's product equal to its data's length.</param>
    /// <param name="metadata">Optional string metadata for <c>__metadata__</c>.</param>
    /// <exception cref="ArgumentException">A tensor's name or shape is invalid; the message names it. Nothing is written.</exception>
    public static void SaveTensors(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var list = new List<TensorData>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            if (t is null) throw new ArgumentException("A tensor is null.", nameof(tensors));
            if (string.IsNullOrEmpty(t.Name) || t.Name == "__metadata__")
                throw new ArgumentException($"A tensor is named '{t.Name}'; names must be non-empty and not '__metadata__'.", nameof(tensors));
            if (!names.Add(t.Name)) throw new ArgumentException($"Two tensors are named '{t.Name}'.", nameof(tensors));
            if (t.Shape is null || t.Data is null) throw new ArgumentException($"Tensor '{t.Name}' has no shape or no data.", nameof(tensors));
            long count = 1;
            foreach (int dim in t.Shape)
            {
                if (dim < 0) throw new ArgumentException($"Tensor '{t.Name}' has a negative dimension: [{string.Join(", ", t.Shape)}].", nameof(tensors));
                count *= dim;
                if (count > Array.MaxLength) break;
            }
            if (count != t.Data.Length)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}] ({count} elements) but {t.Data.Length} values."), nameof(tensors));
            list.Add(new TensorData(t.Name, TensorDType.Float32, t.Shape, t.Data.Length,
                (offset, dst) => t.Data.AsSpan(checked((int)offset), dst.Length).CopyTo(dst)));
        }
        // The same streaming writer as Save: the header, then each tensor in chunks, to a temporary file renamed over the target.
        AtomicFile.Write(path, stream => WriteTo(stream, list, metadata));
    }
}
