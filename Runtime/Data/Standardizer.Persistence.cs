using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using SourceGenNN.IO;

namespace SourceGenNN.Data;

public sealed partial class Standardizer
{
    /// <summary>
    /// The <c>__metadata__</c> key under which a safetensors model file carries its standardizer
    /// (<see cref="ToMetadata"/>); <see cref="SafeTensors.Load(INetwork, string, SafeTensorsLoadOptions)"/> reads it back.
    /// </summary>
    public const string MetadataKey = "sourcegennn.standardizer";

    private const string FormatName = "SourceGenNN.Standardizer";
    private const int FormatVersion = 1;
    private const long MaxFileBytes = 256L << 20;

    /// <summary>The number of columns the standardizer was fitted on (0 before it is fitted).</summary>
    public int FeatureCount => _mean.Length;

    /// <summary>
    /// A fitted standardizer from stored statistics, as scikit-learn's <c>mean_</c> and <c>scale_</c>: each column is
    /// transformed to (x − mean) / scale.
    /// </summary>
    /// <param name="mean">The column means; finite.</param>
    /// <param name="scale">The column scales; finite and positive, as many as the means.</param>
    /// <exception cref="ArgumentException">The lengths differ or are 0, or a value is not as required; the message names the column.</exception>
    public static Standardizer FromStatistics(ReadOnlySpan<double> mean, ReadOnlySpan<double> scale)
    {
        if (mean.Length == 0) throw new ArgumentException("A standardizer needs at least one column.", nameof(mean));
        if (scale.Length != mean.Length)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"'scale' has {scale.Length} columns, but 'mean' has {mean.Length}."), nameof(scale));
        for (int c = 0; c < mean.Length; c++)
        {
            if (!double.IsFinite(mean[c]))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The mean of column {c} is {mean[c]}; a mean must be finite."), nameof(mean));
            if (!(double.IsFinite(scale[c]) && scale[c] > 0))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The scale of column {c} is {scale[c]}; a scale must be finite and positive."), nameof(scale));
        }
        return new Standardizer { _mean = mean.ToArray(), _scale = scale.ToArray() };
    }

    /// <summary>
    /// The standardizer as <c>__metadata__</c> for a safetensors model file, so that the preprocessing travels with the
    /// weights: <c>SafeTensors.Save(net, path, standardizer.ToMetadata())</c>, and
    /// <c>SafeTensors.Load(net, path, new SafeTensorsLoadOptions()).Standardizer</c> gives it back. The statistics are
    /// stored exactly (shortest round-trip decimals) in one JSON string under <see cref="MetadataKey"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The standardizer is not fitted.</exception>
    public IReadOnlyDictionary<string, string> ToMetadata() =>
        new Dictionary<string, string>(StringComparer.Ordinal) { [MetadataKey] = Encoding.UTF8.GetString(ToJson()) };

    /// <summary>The standardizer stored in safetensors metadata by <see cref="ToMetadata"/>, or null when there is none.</summary>
    /// <param name="metadata">A file's <c>__metadata__</c> (<see cref="SafeTensors.ReadMetadata"/>).</param>
    /// <exception cref="FormatException">The entry is there but malformed; the message says how.</exception>
    public static Standardizer? FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.TryGetValue(MetadataKey, out var json) ? FromJson(Encoding.UTF8.GetBytes(json)) : null;
    }

    /// <summary>
    /// Saves the statistics to a small JSON file, atomically (a temporary file in the same folder, then a rename, as
    /// weight files are saved): <c>{"format": "SourceGenNN.Standardizer", "version": 1, "mean": [...], "scale": [...]}</c>,
    /// exact to the last bit, readable from Python with <c>json.load</c>.
    /// </summary>
    /// <param name="path">The file written.</param>
    /// <exception cref="InvalidOperationException">The standardizer is not fitted.</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.Write(path, ToJson());
    }

    /// <summary>Loads a standardizer saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="WeightFileException">The file cannot be read, is not a standardizer file, or its statistics are
    /// malformed (lengths that differ, a scale that is not positive, a value that is not finite); the message says which.</exception>
    public static Standardizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxFileBytes)
                throw new WeightFileException(path, string.Create(CultureInfo.InvariantCulture, $"it is {stream.Length} bytes, more than a standardizer file can be ({MaxFileBytes})."));
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException and not WeightFileException or UnauthorizedAccessException)
        {
            throw new WeightFileException(path, "it cannot be read: " + e.Message, e);
        }
        try
        {
            return FromJson(bytes);
        }
        catch (FormatException e)
        {
            throw new WeightFileException(path, "it is not a valid standardizer file: " + e.Message, e);
        }
    }

    private byte[] ToJson()
    {
        if (!IsFitted) throw new InvalidOperationException("The standardizer must be fitted before it is saved.");
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteNumber("version", FormatVersion);
            w.WriteStartArray("mean");
            foreach (double v in _mean) w.WriteNumberValue(v);
            w.WriteEndArray();
            w.WriteStartArray("scale");
            foreach (double v in _scale) w.WriteNumberValue(v);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Parses and checks the JSON form; any problem is a <see cref="FormatException"/> saying what.</summary>
    private static Standardizer FromJson(byte[] json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException("it is not valid JSON: " + e.Message, e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("it is not a JSON object.");
            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != FormatName)
                throw new FormatException($"its \"format\" is not \"{FormatName}\".");
            if (!root.TryGetProperty("version", out var version) || !version.TryGetInt32(out int v) || v != FormatVersion)
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"its \"version\" is {(root.TryGetProperty("version", out var raw) ? raw.GetRawText() : "missing")}, but this library reads version {FormatVersion}."));
            var mean = Numbers(root, "mean");
            var scale = Numbers(root, "scale");
            try
            {
                return FromStatistics(mean, scale);
            }
            catch (ArgumentException e)
            {
                throw new FormatException(e.Message, e);
            }
        }
    }

    private static double[] Numbers(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new FormatException($"it has no array \"{name}\".");
        var values = new double[array.GetArrayLength()];
        int i = 0;
        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out values[i]))
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"\"{name}\"[{i}] is {e.GetRawText()}, not a number."));
            i++;
        }
        return values;
    }
}
