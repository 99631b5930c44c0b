using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using SourceGenNN.IO;
using SourceGenNN.Tests.Data;
using Xunit;

namespace SourceGenNN.Tests.IO;

/// <summary>The torch model of tools/pytorch/record_state_dicts.py: <c>model</c> = Linear(4, 3), BatchNorm1d(3), ReLU, Linear(3, 2).</summary>
[Network(4)]
[Dense(3)] [BatchNorm1d] [ReLU]
[Dense(2)]
public partial class TorchModel { }

/// <summary>The same network with its own layer names, for renamed keys.</summary>
[Network(4)]
[Dense(3, Name = "fc1")] [BatchNorm1d(Name = "bn")] [ReLU]
[Dense(2, Name = "out")]
public partial class RenamedTorchModel { }

/// <summary>A network that shares only its first layer with the torch model.</summary>
[Network(4)]
[Dense(3)] [ReLU]
[Dense(2)]
public partial class PartlyTorchModel { }

/// <summary>
/// Safetensors as PyTorch users use them, on files written by PyTorch (Runtime.Tests/IO/PyTorch, from
/// tools/pytorch/record_state_dicts.py): a key prefix, renamed keys, a non-strict mode reporting missing and unexpected
/// keys, F16/BF16/F64 converted to float, and a writer for any named tensors.
/// </summary>
public class StateDictTests
{
    private static string Fixture(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SourceGenNN.sln"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "Runtime.Tests", "IO", "PyTorch", file);
    }

    private static readonly Lazy<IReadOnlyDictionary<string, SafeTensor>> Expected = new(() => SafeTensors.ReadTensors(Fixture("expected.safetensors")));

    private static readonly string[] TorchKeys =
        { "0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked" };

    /// <summary>The tensor <paramref name="name"/> of a network, as a flat array.</summary>
    private static float[] Tensor(INetwork net, string name)
    {
        var d = net.Description;
        if (d.FindParameter(name) is { } p) return net.Parameters.Slice(p.Offset, p.Length).ToArray();
        var b = d.FindBuffer(name)!;
        return net.Buffers.Slice(b.Offset, b.Length).ToArray();
    }

    private static float[] State(INetwork net) => net.Parameters.ToArray().Concat(net.Buffers.ToArray()).ToArray();

    [Theory]
    [InlineData("f32")]
    [InlineData("f16")]
    [InlineData("bf16")]
    [InlineData("f64")]
    public void A_pytorch_state_dict_of_any_float_dtype_loads_under_its_prefix_and_predicts_as_pytorch_does(string dtype)
    {
        var net = new TorchModel(seed: 1);
        var result = SafeTensors.Load(net, Fixture($"wrapped.{dtype}.safetensors"), new SafeTensorsLoadOptions { Prefix = "model." });
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys); // head.* is outside the prefix: not the network's
        Assert.Equal(TorchKeys.Order(), result.LoadedKeys.Order());
        Assert.Equal("pt", result.Metadata["format"]);
        Assert.Null(result.Standardizer);
        foreach (var key in TorchKeys.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
            Assert.Equal(Expected.Value[$"{dtype}.model.{key}"].Data, Tensor(net, key)); // exactly PyTorch's t.to(dtype).float()
        Assert.Equal(new[] { 3f }, Tensor(net, "1.num_batches_tracked")); // I64, as PyTorch writes it

        var y = net.Predict(Expected.Value["x"].Data);
        var torch = Expected.Value[$"{dtype}.y"].Data;
        for (int i = 0; i < torch.Length; i++) Assert.Equal(torch[i], y.AsSpan()[i], 1e-5);
    }

    [Fact]
    public void Strict_loading_names_the_missing_and_unexpected_keys_and_changes_nothing()
    {
        var net = new TorchModel(seed: 1);
        var before = State(net);
        var e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(net, Fixture("wrapped.f32.safetensors"), new SafeTensorsLoadOptions()));
        Assert.Contains("lacks tensors the network needs: 0.weight, 0.bias,", e.Message);
        Assert.Contains("holds tensors the network does not have: model.1.num_batches_tracked, head.bias,", e.Message);
        Assert.Contains("Strict = false", e.Message);
        Assert.Equal(before, State(net));

        // The strict Load without options says the same.
        Assert.Throws<WeightFileException>(() => SafeTensors.Load(net, Fixture("wrapped.f32.safetensors")));
        // A wrong prefix leaves everything out and says how many.
        e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(net, Fixture("wrapped.f32.safetensors"), new SafeTensorsLoadOptions { Prefix = "module." }));
        Assert.Contains("11 tensors outside the prefix 'module.' were left out", e.Message);
        Assert.Equal(before, State(net));
    }

    [Fact]
    public void Non_strict_loading_loads_what_matches_and_reports_the_rest_as_load_state_dict_does()
    {
        var net = new PartlyTorchModel(seed: 1);
        var before = State(net);
        var result = SafeTensors.Load(net, Fixture("wrapped.f32.safetensors"), new SafeTensorsLoadOptions { Prefix = "model.", Strict = false });
        Assert.Equal(new[] { "2.weight", "2.bias" }, result.MissingKeys);
        // In file order, with the names the file uses; head.* is outside the prefix.
        Assert.Equal(new[] { "model.1.num_batches_tracked", "model.1.bias", "model.1.running_mean", "model.1.running_var", "model.1.weight", "model.3.bias", "model.3.weight" },
            result.UnexpectedKeys);
        Assert.Equal(new[] { "0.weight", "0.bias" }, result.LoadedKeys);
        Assert.Equal(Expected.Value["f32.model.0.weight"].Data, Tensor(net, "0.weight"));
        Assert.Equal(Expected.Value["f32.model.0.bias"].Data, Tensor(net, "0.bias"));
        var d = net.Description;
        var w2 = d.FindParameter("2.weight")!;
        Assert.Equal(before.AsSpan(w2.Offset, w2.Length + 2).ToArray(), net.Parameters.Slice(w2.Offset, w2.Length + 2).ToArray()); // missing: kept

        // Without a prefix nothing matches: every key is missing or unexpected, and nothing changes.
        var other = new PartlyTorchModel(seed: 2);
        var otherBefore = State(other);
        result = SafeTensors.Load(other, Fixture("wrapped.f32.safetensors"), new SafeTensorsLoadOptions { Strict = false });
        Assert.Equal(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }, result.MissingKeys);
        Assert.Equal(11, result.UnexpectedKeys.Count);
        Assert.Empty(result.LoadedKeys);
        Assert.Equal(otherBefore, State(other));
    }

    [Fact]
    public void Renamed_keys_load_into_a_network_with_other_names()
    {
        var rename = new Dictionary<string, string>
        {
            ["model.0.weight"] = "fc1.weight", ["model.0.bias"] = "fc1.bias",
            ["model.1.weight"] = "bn.weight", ["model.1.bias"] = "bn.bias", ["model.1.running_mean"] = "bn.running_mean",
            ["model.1.running_var"] = "bn.running_var", ["model.1.num_batches_tracked"] = "bn.num_batches_tracked",
            ["model.3.weight"] = "out.weight", ["model.3.bias"] = "out.bias",
        };
        var net = new RenamedTorchModel(seed: 1);
        // Renamed keys skip the prefix; the head is outside it.
        var result = SafeTensors.Load(net, Fixture("wrapped.f32.safetensors"), new SafeTensorsLoadOptions { Rename = rename, Prefix = "model." });
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Equal(Expected.Value["f32.model.1.running_var"].Data, Tensor(net, "bn.running_var"));
        var y = net.Predict(Expected.Value["x"].Data).AsSpan().ToArray();
        var torch = Expected.Value["f32.y"].Data;
        for (int i = 0; i < torch.Length; i++) Assert.Equal(torch[i], y[i], 1e-5);

        // Two file tensors for one network tensor is an error, not a silent last-one-wins.
        var twice = new Dictionary<string, string>(rename) { ["model.1.bias"] = "bn.weight" };
        var e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(new RenamedTorchModel(), Fixture("wrapped.f32.safetensors"), new SafeTensorsLoadOptions { Rename = twice, Prefix = "model." }));
        Assert.Contains("tensors 'model.1.bias' and 'model.1.weight' both map to the network's 'bn.weight'", e.Message);
    }

    [Fact]
    public void A_misshapen_tensor_is_an_error_even_when_not_strict_and_nothing_changes()
    {
        var net = new TorchModel(seed: 1);
        var before = State(net);
        var e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(net, Fixture("wrapped.f32.safetensors"),
            new SafeTensorsLoadOptions { Rename = new Dictionary<string, string> { ["head.weight"] = "3.weight" }, Strict = false }));
        Assert.Contains("tensor 'head.weight' has shape [1, 2], but the network's '3.weight' is [2, 3]", e.Message);
        Assert.Equal(before, State(net));
    }

    /// <summary>A file of the given F32 tensors plus tensors of other dtypes given as (name, dtype, shape, bytes).</summary>
    private static byte[] Build(params (string Name, string DType, int[] Shape, byte[] Data)[] tensors)
    {
        var json = new StringBuilder("{");
        long offset = 0;
        foreach (var t in tensors)
        {
            if (json.Length > 1) json.Append(',');
            json.Append($"\"{t.Name}\":{{\"dtype\":\"{t.DType}\",\"shape\":[{string.Join(",", t.Shape)}],\"data_offsets\":[{offset},{offset + t.Data.Length}]}}");
            offset += t.Data.Length;
        }
        json.Append('}');
        var header = Encoding.UTF8.GetBytes(json.ToString());
        var bytes = new List<byte>(BitConverter.GetBytes((ulong)header.Length));
        bytes.AddRange(header);
        foreach (var t in tensors) bytes.AddRange(t.Data);
        return bytes.ToArray();
    }

    private static byte[] F32(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void Tensors_that_are_not_loaded_are_never_converted_so_their_dtype_does_not_matter()
    {
        using var tmp = new TempDir();
        var w = Enumerable.Range(0, 6).Select(i => i * 0.25f).ToArray();
        File.WriteAllBytes(tmp.File("m"), Build(
            ("enc.0.weight", "F32", new[] { 2, 3 }, F32(w)), ("enc.0.bias", "F32", new[] { 2 }, F32(1, 2)),
            ("enc.mask", "BOOL", new[] { 4 }, new byte[] { 1, 0, 1, 1 }), ("dec.ids", "C64", new[] { 1 }, new byte[8])));
        var net = new SourceGenNN.Tests.TestDoubles.LinearNetwork(3, 2);
        var result = SafeTensors.Load(net, tmp.File("m"), new SafeTensorsLoadOptions { Prefix = "enc.", Strict = false });
        Assert.Equal(new[] { "enc.mask" }, result.UnexpectedKeys);
        Assert.Equal(w.Concat(new[] { 1f, 2f }), net.Parameters.ToArray());
        // A tensor that would load is converted, and one of a dtype the reader cannot convert is named.
        File.WriteAllBytes(tmp.File("bad"), Build(("0.weight", "C64", new[] { 2, 3 }, new byte[48]), ("0.bias", "F32", new[] { 2 }, F32(1, 2))));
        var e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(net, tmp.File("bad"), new SafeTensorsLoadOptions { Strict = false }));
        Assert.Contains("'0.weight' has dtype C64", e.Message);
    }

    [Fact]
    public void Non_finite_values_are_refused_unless_allowed()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("nan"), Build(("0.weight", "F32", new[] { 2, 3 }, F32(0, 1, 2, float.NaN, 4, 5)), ("0.bias", "F64", new[] { 2 }, BitConverter.GetBytes(1e300).Concat(BitConverter.GetBytes(0.0)).ToArray())));
        var net = new SourceGenNN.Tests.TestDoubles.LinearNetwork(3, 2, seed: 3);
        var before = net.Parameters.ToArray();
        var e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(net, tmp.File("nan"), new SafeTensorsLoadOptions()));
        Assert.Contains("tensor '0.weight' holds NaN at index 3 ([1, 0] of [2, 3])", e.Message);
        Assert.Contains("set AllowNonFinite = true", e.Message);
        Assert.Equal(before, net.Parameters.ToArray());
        // The plain load is the same reader with the defaults: the same refusal, in the words of its own parameter.
        e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(net, tmp.File("nan")));
        Assert.Contains("tensor '0.weight' holds NaN at index 3 ([1, 0] of [2, 3])", e.Message);
        Assert.Contains("pass allowNonFinite: true", e.Message);
        SafeTensors.Load(net, tmp.File("nan"), new SafeTensorsLoadOptions { AllowNonFinite = true });
        Assert.True(float.IsNaN(net.Parameters[3]));
        Assert.Equal(float.PositiveInfinity, net.Parameters[6]); // an F64 beyond float's range
    }

    [Fact]
    public void Any_named_tensors_are_written_in_order_aligned_and_read_back()
    {
        using var tmp = new TempDir();
        var tensors = new[]
        {
            new SafeTensor("embeddings", new[] { 3, 2 }, new[] { 1f, -2f, 3.5f, float.Epsilon, -0f, 1e30f }),
            new SafeTensor("scalar", Array.Empty<int>(), new[] { 42f }),
            new SafeTensor("empty", new[] { 0, 5 }, Array.Empty<float>()),
            new SafeTensor("a.b", new[] { 1 }, new[] { 0.1f }),
        };
        SafeTensors.SaveTensors(tmp.File("t.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(new[] { "t.safetensors" }, Directory.GetFiles(tmp.Path).Select(Path.GetFileName)); // atomic: no temporary left
        var back = SafeTensors.ReadTensors(tmp.File("t.safetensors"));
        Assert.Equal(tensors.Select(t => t.Name), back.Keys);
        foreach (var t in tensors)
        {
            Assert.Equal(t.Shape, back[t.Name].Shape);
            Assert.Equal(t.Data.Select(BitConverter.SingleToInt32Bits), back[t.Name].Data.Select(BitConverter.SingleToInt32Bits));
        }
        Assert.Equal("pt", SafeTensors.ReadMetadata(tmp.File("t.safetensors"))["format"]);

        var bytes = File.ReadAllBytes(tmp.File("t.safetensors"));
        long n = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, n % 8);
        using var doc = System.Text.Json.JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n));
        Assert.Equal(new[] { "__metadata__", "embeddings", "scalar", "empty", "a.b" }, doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("F32", doc.RootElement.GetProperty("scalar").GetProperty("dtype").GetString());
        Assert.Equal(8 + n + 4 * (6 + 1 + 0 + 1), bytes.Length);
    }

    [Fact]
    public void Invalid_tensors_are_named_and_nothing_is_written()
    {
        using var tmp = new TempDir();
        string path = tmp.File("t");
        void Rejected(string expected, params SafeTensor[] tensors)
        {
            var e = Assert.Throws<ArgumentException>(() => SafeTensors.SaveTensors(path, tensors));
            Assert.Contains(expected, e.Message);
            Assert.False(File.Exists(path));
        }
        Rejected("Two tensors are named 'x'", new SafeTensor("x", new[] { 1 }, new[] { 1f }), new SafeTensor("x", new[] { 1 }, new[] { 1f }));
        Rejected("Tensor 'x' has shape [2, 2] (4 elements) but 3 values", new SafeTensor("x", new[] { 2, 2 }, new float[3]));
        Rejected("negative dimension", new SafeTensor("x", new[] { -1 }, new float[0]));
        Rejected("'__metadata__'", new SafeTensor("__metadata__", new[] { 1 }, new float[1]));
        Rejected("named ''", new SafeTensor("", new[] { 1 }, new float[1]));
    }

    [Fact]
    public void A_state_dict_under_a_prefix_beside_other_tensors_round_trips()
    {
        using var tmp = new TempDir();
        var net = new TorchModel(seed: 4);
        net.Forward(new float[8 * 4].Select((_, i) => (float)Math.Sin(i)).ToArray(), new float[8 * 2], 8, training: true); // running statistics
        var state = SafeTensors.StateDict(net, "model.");
        Assert.Equal(TorchKeys.Order().Select(k => "model." + k), state.Select(t => t.Name).Order());
        SafeTensors.SaveTensors(tmp.File("ckpt.safetensors"), state.Append(new SafeTensor("step", Array.Empty<int>(), new[] { 7f })));
        var copy = new TorchModel(seed: 5);
        var result = SafeTensors.Load(copy, tmp.File("ckpt.safetensors"), new SafeTensorsLoadOptions { Prefix = "model." });
        Assert.Empty(result.MissingKeys);
        Assert.Equal(State(net), State(copy));
    }
}
