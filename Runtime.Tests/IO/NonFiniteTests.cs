using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using SourceGenNN.IO;
using SourceGenNN.Tests.Data;
using SourceGenNN.Tests.TestDoubles;
using SourceGenNN.Tests.Training;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.IO;

/// <summary>
/// NaN and infinite weights, buffers and optimiser state, and a NaN, infinite or negative learning rate, are refused
/// with an error naming the tensor and the first bad index, and leave the network and optimiser unchanged;
/// <c>allowNonFinite: true</c> loads them.
/// </summary>
public class NonFiniteTests
{
    private static (DigitsMlp Net, Adam Opt) Trained()
    {
        var net = new DigitsMlp(seed: 1);
        var opt = new Adam(net, 0.01f);
        new Trainer(net, new CrossEntropy(), opt).TrainStep(Enumerable.Range(0, 2 * 64).Select(i => (float)Math.Sin(i)).ToArray(), new float[] { 3, 4 }, 2);
        return (net, opt);
    }

    /// <summary>Loads into a fresh network and Adam, expecting a refusal that names <paramref name="expected"/> and changes nothing.</summary>
    private static void AssertRefused(string path, params string[] expected)
    {
        var net = new DigitsMlp(seed: 9);
        var opt = new Adam(net, 0.5f);
        var before = net.Parameters.ToArray();
        var e = Assert.Throws<WeightFileException>(() => WeightFile.Load(net, path, opt));
        foreach (var s in expected) Assert.Contains(s, e.Message);
        Assert.Contains("allowNonFinite", e.Message);
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.Equal(0, opt.Steps);
        Assert.Equal(0.5f, opt.LearningRate);
        Assert.All(opt.ExportState().Buffers, b => Assert.All(b.Value, v => Assert.Equal(0f, v)));
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "+Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void A_non_finite_weight_is_refused_naming_the_tensor_and_index(float bad, string text)
    {
        using var tmp = new TempDir();
        var (net, opt) = Trained();
        var w = net.Description.FindParameter("2.weight")!; // [10, 32]
        net.Parameters[w.Offset + 3 * 32 + 7] = bad;
        net.Parameters[w.Offset + 5 * 32] = bad; // a later one is not the one named
        WeightFile.Save(net, tmp.File("w"), opt);
        AssertRefused(tmp.File("w"), "parameter '2.weight'", text, "index 103 ([3, 7] of [10, 32])");

        var loaded = new DigitsMlp(seed: 9);
        WeightFile.Load(loaded, tmp.File("w"), new Adam(loaded), allowNonFinite: true);
        Assert.Equal(bad, loaded.Parameters[w.Offset + 103]);
    }

    [Fact]
    public void A_non_finite_state_buffer_is_refused()
    {
        using var tmp = new TempDir();
        var net = new SourceGenNN.Tests.Networks.NormNet(seed: 3);
        var v = net.Description.Buffers.First(b => b.Name.EndsWith("running_var", StringComparison.Ordinal));
        Assert.True(v.Length >= 2);
        net.Buffers[v.Offset + 1] = float.NaN;
        WeightFile.Save(net, tmp.File("bn"));
        var loaded = new SourceGenNN.Tests.Networks.NormNet(seed: 4);
        var before = loaded.Buffers.ToArray();
        var e = Assert.Throws<WeightFileException>(() => WeightFile.Load(loaded, tmp.File("bn")));
        Assert.True(e.Message.Contains($"state buffer '{v.Name}' holds NaN at index 1"), e.Message);
        Assert.Equal(before, loaded.Buffers.ToArray());
        WeightFile.Load(loaded, tmp.File("bn"), allowNonFinite: true);
        Assert.True(float.IsNaN(loaded.Buffers[v.Offset + 1]));
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(-0.5f, "-0.5")]
    [InlineData(float.PositiveInfinity, "+Infinity")]
    public void A_learning_rate_that_is_nan_infinite_or_negative_is_refused(float rate, string text)
    {
        using var tmp = new TempDir();
        var (net, opt) = Trained();
        // The optimiser's setter refuses such a rate, so the file is made as a bad schedule in an older version or
        // another writer would have left it: saved with a marker rate, then that float patched and the CRC redone.
        const float marker = 0.0123456f;
        opt.LearningRate = marker;
        WeightFile.Save(net, tmp.File("w"), opt);
        PatchFloat(tmp.File("w"), marker, rate);
        AssertRefused(tmp.File("w"), "learning rate of " + text);

        // allowNonFinite does not waive it (the optimiser could not hold the rate), and nothing changes.
        var loaded = new DigitsMlp(seed: 9);
        var loadedOpt = new Adam(loaded, 0.5f);
        var before = loaded.Parameters.ToArray();
        var e = Assert.Throws<WeightFileException>(() => WeightFile.Load(loaded, tmp.File("w"), loadedOpt, allowNonFinite: true));
        Assert.Contains("learning rate of " + text, e.Message);
        Assert.Equal(before, loaded.Parameters.ToArray());
        Assert.Equal(0, loadedOpt.Steps);
        Assert.Equal(0.5f, loadedOpt.LearningRate);
        // Without the optimiser the weights load: the rate belongs to the optimiser state, which is not read.
        WeightFile.Load(loaded, tmp.File("w"));
        Assert.Equal(net.Parameters.ToArray(), loaded.Parameters.ToArray());
    }

    /// <summary>Replaces the one occurrence of <paramref name="from"/>'s bytes in the file and rewrites the CRC-32 trailer.</summary>
    private static void PatchFloat(string path, float from, float to)
    {
        byte[] bytes = File.ReadAllBytes(path);
        byte[] pattern = BitConverter.GetBytes(from);
        int at = bytes.AsSpan(0, bytes.Length - 4).IndexOf(pattern);
        Assert.True(at >= 0 && bytes.AsSpan(at + 1, bytes.Length - 5 - at).IndexOf(pattern) < 0, "the marker must occur once");
        BitConverter.GetBytes(to).CopyTo(bytes, at);
        BitConverter.GetBytes(Crc32.Compute(bytes.AsSpan(0, bytes.Length - 4))).CopyTo(bytes, bytes.Length - 4);
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void Non_finite_optimiser_state_is_refused_when_it_would_be_loaded()
    {
        using var tmp = new TempDir();
        var (net, opt) = Trained();
        var state = opt.ExportState();
        state.Buffers[1].Value[11] = float.PositiveInfinity;
        opt.ImportState(state);
        WeightFile.Save(net, tmp.File("w"), opt);
        AssertRefused(tmp.File("w"), "optimiser buffer 'exp_avg_sq'", "+Infinity at index 11");
        // Loaded without an optimiser, the state is not read, so it does not stop the weights loading.
        var weightsOnly = new DigitsMlp();
        WeightFile.Load(weightsOnly, tmp.File("w"));
        Assert.Equal(net.Parameters.ToArray(), weightsOnly.Parameters.ToArray());
    }

    /// <summary>A safetensors file for <see cref="LinearNetwork"/>(3, 2): 0.weight as <paramref name="dtype"/>, 0.bias as F32.</summary>
    private static byte[] Safetensors(string dtype, byte[] weight)
    {
        var header = Encoding.UTF8.GetBytes(
            $"{{\"0.weight\":{{\"dtype\":\"{dtype}\",\"shape\":[2,3],\"data_offsets\":[0,{weight.Length}]}},\"0.bias\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[{weight.Length},{weight.Length + 8}]}}}}");
        var bytes = new List<byte>(BitConverter.GetBytes((ulong)header.Length));
        bytes.AddRange(header);
        bytes.AddRange(weight);
        bytes.AddRange(new byte[8]);
        return bytes.ToArray();
    }

    public static IEnumerable<object[]> SafetensorsCases() =>
    [
        ["F32", new[] { 0f, 1, 2, 3, float.NaN, 5 }.SelectMany(BitConverter.GetBytes).ToArray(), "NaN at index 4 ([1, 1] of [2, 3])"],
        ["F16", new[] { (Half)0, (Half)1, Half.PositiveInfinity, (Half)3, (Half)4, (Half)5 }.SelectMany(BitConverter.GetBytes).ToArray(), "+Infinity at index 2 ([0, 2] of [2, 3])"],
        ["F64", new[] { 0, 1, 2, 3, 4, -1e300 }.SelectMany(BitConverter.GetBytes).ToArray(), "-Infinity at index 5 ([1, 2] of [2, 3])"], // beyond float's range
        ["BF16", new ushort[] { 0, 0x7FC0, 0, 0, 0, 0 }.SelectMany(BitConverter.GetBytes).ToArray(), "NaN at index 1"],
    ];

    [Theory]
    [MemberData(nameof(SafetensorsCases))]
    public void Safetensors_loads_refuse_non_finite_values_after_conversion(string dtype, byte[] weight, string expected)
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("n.safetensors"), Safetensors(dtype, weight));
        var net = new LinearNetwork(3, 2, seed: 4);
        var before = net.Parameters.ToArray();
        var e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(net, tmp.File("n.safetensors")));
        Assert.Contains("tensor '0.weight' holds " + expected, e.Message);
        Assert.Equal(before, net.Parameters.ToArray());

        SafeTensors.Load(net, tmp.File("n.safetensors"), allowNonFinite: true);
        Assert.False(net.Parameters.ToArray().All(float.IsFinite));
        // ReadTensors is for data, not weights: it returns values as stored.
        Assert.False(SafeTensors.ReadTensors(tmp.File("n.safetensors"))["0.weight"].Data.All(float.IsFinite));
    }
}
