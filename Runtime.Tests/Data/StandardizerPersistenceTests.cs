using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SourceGenNN.Data;
using SourceGenNN.IO;
using SourceGenNN.Tests.IO;
using Xunit;

namespace SourceGenNN.Tests.Data;

/// <summary>The preprocessing travels with the model: a <see cref="Standardizer"/> saved on its own or in a model's safetensors metadata, and loaded back exactly.</summary>
public class StandardizerPersistenceTests
{
    /// <summary>A standardizer fitted on 4 columns whose statistics are not short decimals.</summary>
    private static (Standardizer Scaler, float[] Data) Fitted()
    {
        var data = Enumerable.Range(0, 9 * 4).Select(i => (float)(Math.Sin(i * 1.7) * (1 + i % 4) + (i % 4) / 3.0)).ToArray();
        for (int r = 0; r < 9; r++) data[r * 4 + 2] = 5f; // a constant column: scale 1
        return (new Standardizer().Fit(data, 4), data);
    }

    private static void AssertSame(Standardizer expected, Standardizer actual, float[] data)
    {
        Assert.Equal(expected.FeatureCount, actual.FeatureCount);
        Assert.Equal(expected.Mean.ToArray().Select(BitConverter.DoubleToInt64Bits), actual.Mean.ToArray().Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(expected.Scale.ToArray().Select(BitConverter.DoubleToInt64Bits), actual.Scale.ToArray().Select(BitConverter.DoubleToInt64Bits));
        var a = (float[])data.Clone();
        var b = (float[])data.Clone();
        expected.Transform(a);
        actual.Transform(b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void A_standardizer_saves_to_its_own_file_and_loads_back_to_the_bit()
    {
        using var tmp = new TempDir();
        var (scaler, data) = Fitted();
        scaler.Save(tmp.File("scaler.json"));
        Assert.Equal(new[] { "scaler.json" }, Directory.GetFiles(tmp.Path).Select(Path.GetFileName)); // atomic: no temporary left
        AssertSame(scaler, Standardizer.Load(tmp.File("scaler.json")), data);
        string json = File.ReadAllText(tmp.File("scaler.json"));
        Assert.StartsWith("{\"format\":\"SourceGenNN.Standardizer\",\"version\":1,\"mean\":[", json);
        Assert.Equal(1.0, Standardizer.Load(tmp.File("scaler.json")).Scale[2]);
    }

    [Fact]
    public void A_standardizer_is_rebuilt_from_its_stored_mean_and_scale()
    {
        var (scaler, data) = Fitted();
        AssertSame(scaler, Standardizer.FromStatistics(scaler.Mean, scaler.Scale), data);
        var e = Assert.Throws<ArgumentException>(() => Standardizer.FromStatistics(new[] { 1.0, 2 }, new[] { 1.0 }));
        Assert.Contains("'scale' has 1 columns, but 'mean' has 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => Standardizer.FromStatistics(new[] { 1.0, 2 }, new[] { 1.0, 0 }));
        Assert.Contains("The scale of column 1 is 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => Standardizer.FromStatistics(new[] { double.NaN }, new[] { 1.0 }));
        Assert.Contains("The mean of column 0 is NaN", e.Message);
        Assert.Throws<ArgumentException>(() => Standardizer.FromStatistics(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty));
        Assert.Throws<InvalidOperationException>(() => new Standardizer().Save("never-written.json"));
        Assert.False(File.Exists("never-written.json"));
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("{\"format\":\"other\",\"version\":1,\"mean\":[0],\"scale\":[1]}", "\"format\" is not \"SourceGenNN.Standardizer\"")]
    [InlineData("{\"format\":\"SourceGenNN.Standardizer\",\"version\":2,\"mean\":[0],\"scale\":[1]}", "\"version\" is 2, but this library reads version 1")]
    [InlineData("{\"format\":\"SourceGenNN.Standardizer\",\"version\":1,\"scale\":[1]}", "no array \"mean\"")]
    [InlineData("{\"format\":\"SourceGenNN.Standardizer\",\"version\":1,\"mean\":[0,\"x\"],\"scale\":[1,1]}", "\"mean\"[1] is \"x\", not a number")]
    [InlineData("{\"format\":\"SourceGenNN.Standardizer\",\"version\":1,\"mean\":[0,1],\"scale\":[1]}", "'scale' has 1 columns, but 'mean' has 2")]
    [InlineData("{\"format\":\"SourceGenNN.Standardizer\",\"version\":1,\"mean\":[0],\"scale\":[-1]}", "The scale of column 0 is -1")]
    [InlineData("{\"format\":\"SourceGenNN.Standardizer\",\"version\":1,\"mean\":[1e999],\"scale\":[1]}", "The mean of column 0 is Infinity")]
    public void A_corrupt_standardizer_file_is_a_clear_error(string content, string expected)
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("s.json"), content);
        var e = Assert.Throws<WeightFileException>(() => Standardizer.Load(tmp.File("s.json")));
        Assert.Contains(expected, e.Message);
        Assert.Equal(tmp.File("s.json"), e.FilePath);
    }

    [Fact]
    public void A_missing_standardizer_file_is_a_weight_file_exception()
    {
        using var tmp = new TempDir();
        var e = Assert.Throws<WeightFileException>(() => Standardizer.Load(tmp.File("none.json")));
        Assert.Contains("cannot be read", e.Message);
    }

    [Fact]
    public void A_standardizer_travels_in_the_models_safetensors_metadata()
    {
        using var tmp = new TempDir();
        var (scaler, data) = Fitted();
        var net = new TorchModel(seed: 3);
        SafeTensors.Save(net, tmp.File("model.safetensors"), scaler.ToMetadata());

        var copy = new TorchModel(seed: 4);
        var result = SafeTensors.Load(copy, tmp.File("model.safetensors"), new SafeTensorsLoadOptions());
        Assert.Equal(net.Parameters.ToArray(), copy.Parameters.ToArray());
        AssertSame(scaler, result.Standardizer!, data);
        AssertSame(scaler, Standardizer.FromMetadata(SafeTensors.ReadMetadata(tmp.File("model.safetensors")))!, data);
        // The metadata is a string, as the format requires, so the strict load and PyTorch read the file as before.
        SafeTensors.Load(copy, tmp.File("model.safetensors"));
        Assert.Null(Standardizer.FromMetadata(new Dictionary<string, string> { ["format"] = "pt" }));
    }

    [Fact]
    public void A_standardizer_that_does_not_fit_the_network_or_is_corrupt_leaves_the_model_untouched()
    {
        using var tmp = new TempDir();
        var net = new TorchModel(seed: 3);
        var three = new Standardizer().Fit(new float[] { 1, 2, 3, 4, 5, 7 }, 3);
        SafeTensors.Save(net, tmp.File("m3.safetensors"), three.ToMetadata());
        var copy = new TorchModel(seed: 4);
        var before = copy.Parameters.ToArray();
        var e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(copy, tmp.File("m3.safetensors"), new SafeTensorsLoadOptions()));
        Assert.Contains("its standardizer has 3 columns, but the network takes 4 inputs", e.Message);
        Assert.Equal(before, copy.Parameters.ToArray());

        SafeTensors.Save(net, tmp.File("bad.safetensors"), new Dictionary<string, string> { [Standardizer.MetadataKey] = "{\"format\":\"SourceGenNN.Standardizer\",\"version\":1,\"mean\":[0,0,0,0],\"scale\":[1,1,0,1]}" });
        e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(copy, tmp.File("bad.safetensors"), new SafeTensorsLoadOptions()));
        Assert.Contains("its standardizer ('sourcegennn.standardizer' in __metadata__) is malformed: The scale of column 2 is 0", e.Message);
        Assert.Equal(before, copy.Parameters.ToArray());
        Assert.Throws<FormatException>(() => Standardizer.FromMetadata(SafeTensors.ReadMetadata(tmp.File("bad.safetensors"))));
    }
}
