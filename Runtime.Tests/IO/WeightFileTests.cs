using System;
using System.IO;
using System.Linq;
using System.Text;
using SourceGenNN.IO;
using SourceGenNN.Tests.Data;
using SourceGenNN.Tests.Networks;
using SourceGenNN.Tests.TestDoubles;
using SourceGenNN.Tests.Training;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.IO;

public class WeightFileTests
{
    private static (DigitsMlp Net, Adam Opt) Trained(ulong seed = 1)
    {
        var net = new DigitsMlp(seed);
        var opt = new Adam(net, 0.01f);
        var trainer = new Trainer(net, new CrossEntropy(), opt);
        var x = Enumerable.Range(0, 8 * 64).Select(i => (float)Math.Sin(i)).ToArray();
        var y = Enumerable.Range(0, 8).Select(i => (float)(i % 10)).ToArray();
        trainer.TrainStep(x, y, 8);
        trainer.TrainStep(x, y, 8);
        return (net, opt);
    }

    private static void AssertOnlyFile(TempDir tmp, string name) =>
        Assert.Equal(new[] { name }, Directory.GetFiles(tmp.Path).Select(Path.GetFileName));

    [Fact]
    public void Weights_and_optimizer_state_round_trip()
    {
        using var tmp = new TempDir();
        var (net, opt) = Trained();
        WeightFile.Save(net, tmp.File("w.sgnn"), opt);
        AssertOnlyFile(tmp, "w.sgnn");

        var copy = new DigitsMlp(seed: 99);
        var copyOpt = new Adam(copy, 0.5f);
        var info = WeightFile.Load(copy, tmp.File("w.sgnn"), copyOpt);
        Assert.Equal(net.Parameters.ToArray(), copy.Parameters.ToArray());
        Assert.True(info.OptimizerStateLoaded);
        Assert.Equal("Adam", info.OptimizerKind);
        Assert.Equal(opt.Steps, copyOpt.Steps);
        Assert.Equal(opt.LearningRate, copyOpt.LearningRate);
        var a = opt.ExportState();
        var b = copyOpt.ExportState();
        for (int i = 0; i < a.Buffers.Count; i++) Assert.Equal(a.Buffers[i].Value, b.Buffers[i].Value);
    }

    [Fact]
    public void Training_resumed_from_a_file_continues_exactly()
    {
        using var tmp = new TempDir();
        var (net, opt) = Trained();
        WeightFile.Save(net, tmp.File("w.sgnn"), opt);
        var resumed = new DigitsMlp(seed: 7);
        var resumedOpt = new Adam(resumed, 0.01f);
        WeightFile.Load(resumed, tmp.File("w.sgnn"), resumedOpt);
        var x = Enumerable.Range(0, 4 * 64).Select(i => (float)Math.Cos(i)).ToArray();
        var y = new float[] { 1, 2, 3, 4 };
        new Trainer(net, new CrossEntropy(), opt).TrainStep(x, y, 4);
        new Trainer(resumed, new CrossEntropy(), resumedOpt).TrainStep(x, y, 4);
        Assert.Equal(net.Parameters.ToArray(), resumed.Parameters.ToArray());
    }

    [Fact]
    public void Weights_without_optimizer_state_load_and_leave_the_optimizer_alone()
    {
        using var tmp = new TempDir();
        var (net, _) = Trained();
        WeightFile.Save(net, tmp.File("w.sgnn"));
        var copy = new DigitsMlp(seed: 5);
        var opt = new Adam(copy);
        var info = WeightFile.Load(copy, tmp.File("w.sgnn"), opt);
        Assert.False(info.OptimizerStateLoaded);
        Assert.Null(info.OptimizerKind);
        Assert.Equal(0, opt.Steps);
        Assert.Equal(net.Parameters.ToArray(), copy.Parameters.ToArray());
    }

    /// <summary>Loads <paramref name="bytes"/> into a fresh network and optimiser, expecting failure and no change.</summary>
    private static WeightFileException AssertRejected(byte[] bytes, string? expected = null)
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("bad"), bytes);
        var net = new DigitsMlp(seed: 3);
        var opt = new Adam(net);
        var p = net.Parameters.ToArray();
        var e = Assert.Throws<WeightFileException>(() => WeightFile.Load(net, tmp.File("bad"), opt));
        Assert.Equal(p, net.Parameters.ToArray());
        Assert.Equal(0, opt.Steps);
        Assert.All(opt.ExportState().Buffers, kv => Assert.All(kv.Value, v => Assert.Equal(0f, v)));
        if (expected is not null) Assert.Contains(expected, e.Message);
        Assert.Contains("bad", e.Message);
        return e;
    }

    private static byte[] Saved()
    {
        using var tmp = new TempDir();
        var (net, opt) = Trained();
        WeightFile.Save(net, tmp.File("w"), opt);
        return File.ReadAllBytes(tmp.File("w"));
    }

    [Fact]
    public void Truncated_files_are_rejected_and_the_model_is_untouched()
    {
        var bytes = Saved();
        foreach (int length in new[] { 0, 3, 8, 11, 12, 40, bytes.Length / 2, bytes.Length - 5, bytes.Length - 1 })
            AssertRejected(bytes[..length]);
        AssertRejected(bytes[..(bytes.Length - 1)], "checksum");
    }

    [Fact]
    public void A_flipped_byte_anywhere_is_caught_and_the_model_is_untouched()
    {
        var bytes = Saved();
        foreach (int at in new[] { 9, 14, 30, 60, bytes.Length / 3, bytes.Length / 2, bytes.Length - 100, bytes.Length - 2 })
        {
            var copy = (byte[])bytes.Clone();
            copy[at] ^= 0x10;
            AssertRejected(copy);
        }
        var data = (byte[])bytes.Clone();
        data[bytes.Length / 2] ^= 1;
        AssertRejected(data, "checksum");
    }

    [Fact]
    public void Not_a_weight_file_says_so()
    {
        AssertRejected(Encoding.ASCII.GetBytes("PK\u0003\u0004 this is a zip, not weights"), "not a SourceGenNN weight file");
    }

    [Fact]
    public void A_newer_version_is_refused_by_number()
    {
        var bytes = Saved();
        bytes[8] = 3;
        AssertRejected(bytes, "format version is 3");
    }

    private static string LegacyPath(string file) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(SourceGenNN.Tests.Training.PyTorchParityTests.ReferencePath("x"))!, "..", "IO", "Legacy", file);

    [Fact]
    public void Version_1_files_written_before_shapes_and_buffers_still_load()
    {
        // Written by the library at version 1 (commit 01098dc) for networks declared the same way here; the weights of
        // SeedNet(21) are what its initialisers give today, so they must come back exactly.
        var seed = new SeedNet(seed: 0);
        var info = WeightFile.Load(seed, LegacyPath("seednet.v1.sgnn"));
        Assert.Equal(1u, info.FormatVersion);
        Assert.Equal(new SeedNet(seed: 21).Parameters.ToArray(), seed.Parameters.ToArray());

        // With the optimiser state of one Adam step.
        var every = new EveryLayerNet(seed: 0);
        var adam = new Adam(every, 0.01f);
        info = WeightFile.Load(every, LegacyPath("everylayernet.adam.v1.sgnn"), adam);
        Assert.True(info.OptimizerStateLoaded);
        Assert.Equal(1, adam.ExportState().Steps);
        Assert.NotEqual(new EveryLayerNet(seed: 22).Parameters.ToArray(), every.Parameters.ToArray()); // one step from its initial weights

        var random = new RandomLayersNet(seed: 0);
        WeightFile.Load(random, LegacyPath("randomlayersnet.v1.sgnn"));
        Assert.Equal(new RandomLayersNet(seed: 23).Parameters.ToArray(), random.Parameters.ToArray());
    }

    [Fact]
    public void A_version_1_file_does_not_load_into_another_network()
    {
        var other = new EveryLayerNet(seed: 0);
        var before = other.Parameters.ToArray();
        var e = Assert.Throws<WeightFileException>(() => WeightFile.Load(other, LegacyPath("seednet.v1.sgnn")));
        Assert.Contains("different network", e.Message);
        Assert.Equal(before, other.Parameters.ToArray());
    }

    [Fact]
    public void State_buffers_are_saved_and_loaded_and_a_missing_one_is_refused()
    {
        using var tmp = new TempDir();
        var net = new SourceGenNN.Tests.Networks.NormNet(seed: 3);
        var x = new float[4 * 24];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 7) * 0.3f - 1f;
        net.Forward(x, new float[4 * 2], 4, training: true); // moves the running statistics
        WeightFile.Save(net, tmp.File("bn"));
        var loaded = new SourceGenNN.Tests.Networks.NormNet(seed: 9);
        var info = WeightFile.Load(loaded, tmp.File("bn"));
        Assert.Equal(WeightFile.Version, info.FormatVersion);
        Assert.Equal(net.Description.BufferCount, info.BufferCount);
        Assert.Equal(net.Buffers.ToArray(), loaded.Buffers.ToArray());
        Assert.Equal(net.Parameters.ToArray(), loaded.Parameters.ToArray());
    }

    [Fact]
    public void Weights_of_a_different_network_are_refused_naming_both()
    {
        using var tmp = new TempDir();
        var other = new DigitsSoftmax(seed: 1);
        WeightFile.Save(other, tmp.File("w"));
        var e = AssertRejected(File.ReadAllBytes(tmp.File("w")), "different network");
        Assert.Contains("DigitsSoftmax", e.Message);
        Assert.Contains("DigitsMlp", e.Message);
    }

    [Fact]
    public void Optimizer_state_of_another_kind_is_refused_before_anything_changes()
    {
        using var tmp = new TempDir();
        var net = new DigitsMlp(seed: 1);
        WeightFile.Save(net, tmp.File("w"), new Sgd(net, 0.1f, 0.9f));
        var e = AssertRejected(File.ReadAllBytes(tmp.File("w")), "optimiser state");
        Assert.Contains("SGD", e.Message);
    }

    [Fact]
    public void Save_replaces_an_existing_file_and_leaves_no_temporary_file()
    {
        using var tmp = new TempDir();
        var (net, _) = Trained(1);
        var (other, _) = Trained(2);
        WeightFile.Save(net, tmp.File("w"));
        WeightFile.Save(other, tmp.File("w"));
        AssertOnlyFile(tmp, "w");
        var copy = new DigitsMlp();
        WeightFile.Load(copy, tmp.File("w"));
        Assert.Equal(other.Parameters.ToArray(), copy.Parameters.ToArray());
    }

    [Fact]
    public void A_failed_save_leaves_the_old_file_and_no_temporary_file()
    {
        using var tmp = new TempDir();
        var (net, _) = Trained();
        Directory.CreateDirectory(tmp.File("taken"));
        File.WriteAllText(tmp.File("taken/keep"), "x");
        Assert.ThrowsAny<IOException>(() => WeightFile.Save(net, tmp.File("taken")));
        Assert.Equal(new[] { "taken" }, Directory.GetFileSystemEntries(tmp.Path).Select(Path.GetFileName));
    }

    // Durability across a machine crash (the temporary file flushed before the rename, the folder fsynced after it) cannot
    // be observed from a test; these check that the write still works and that the folder sync really runs on Unix.
    [Fact]
    public void Atomic_write_creates_then_replaces_the_file_and_leaves_no_temporary_file()
    {
        using var tmp = new TempDir();
        AtomicFile.Write(tmp.File("f"), new byte[] { 1, 2, 3 });
        AssertOnlyFile(tmp, "f");
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(tmp.File("f")));
        AtomicFile.Write(tmp.File("f"), new byte[] { 4, 5 });
        AssertOnlyFile(tmp, "f");
        Assert.Equal(new byte[] { 4, 5 }, File.ReadAllBytes(tmp.File("f")));
    }

    [Fact]
    public void Folder_sync_succeeds_on_unix_and_reports_failure_instead_of_throwing()
    {
        using var tmp = new TempDir();
        Assert.Equal(!OperatingSystem.IsWindows(), AtomicFile.SyncDirectory(tmp.Path));
        Assert.False(AtomicFile.SyncDirectory(tmp.File("missing")));
    }

    [Fact]
    public void Fingerprint_hash_differs_between_networks_and_is_stable()
    {
        Assert.Equal(WeightFile.FingerprintHash(new DigitsMlp().Description), WeightFile.FingerprintHash(new DigitsMlp(seed: 4).Description));
        Assert.NotEqual(WeightFile.FingerprintHash(new DigitsMlp().Description), WeightFile.FingerprintHash(new DigitsSoftmax().Description));
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        // The CRC-32/ISO-HDLC catalogue's check value for the ASCII string "123456789".
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Crc32_agrees_with_gzip_trailers()
    {
        // A gzip member ends with the CRC-32 of its uncompressed data (RFC 1952), written by .NET's zlib.
        var data = Enumerable.Range(0, 5000).Select(i => (byte)(i * 31 % 251)).ToArray();
        using var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest)) gz.Write(data);
        var gzBytes = ms.ToArray();
        Assert.Equal(BitConverter.ToUInt32(gzBytes, gzBytes.Length - 8), Crc32.Compute(data));
    }
}

public class SafeTensorsTests
{
    private static byte[] Build(string json, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)header.Length);
        header.CopyTo(bytes, 8);
        for (int i = 0; i < dataBytes / 4; i++) BitConverter.TryWriteBytes(bytes.AsSpan(8 + header.Length + 4 * i), i * 0.5f);
        return bytes;
    }

    private static string Entry(string name, int[] shape, long begin, string dtype = "F32") =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{begin + 4L * shape.Aggregate(1, (a, b) => a * b)}]}}";

    private static WeightFileException AssertRejected(byte[] bytes, params string[] expected)
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("bad.safetensors"), bytes);
        var net = new LinearNetwork(3, 2, seed: 4);
        var p = net.Parameters.ToArray();
        var e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(net, tmp.File("bad.safetensors")));
        Assert.Equal(p, net.Parameters.ToArray());
        foreach (var s in expected) Assert.Contains(s, e.Message);
        return e;
    }

    [Fact]
    public void Safetensors_round_trip_with_metadata()
    {
        using var tmp = new TempDir();
        var net = new DigitsMlp(seed: 2);
        SafeTensors.Save(net, tmp.File("m.safetensors"), new System.Collections.Generic.Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(new[] { "m.safetensors" }, Directory.GetFiles(tmp.Path).Select(Path.GetFileName));
        var copy = new DigitsMlp(seed: 3);
        SafeTensors.Load(copy, tmp.File("m.safetensors"));
        Assert.Equal(net.Parameters.ToArray(), copy.Parameters.ToArray());
        Assert.Equal("pt", SafeTensors.ReadMetadata(tmp.File("m.safetensors"))["format"]);
    }

    [Fact]
    public void Safetensors_header_uses_state_dict_names_shapes_and_aligned_offsets()
    {
        using var tmp = new TempDir();
        var net = new DigitsMlp(seed: 2);
        SafeTensors.Save(net, tmp.File("m.safetensors"));
        var bytes = File.ReadAllBytes(tmp.File("m.safetensors"));
        long n = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, n % 8);
        using var doc = System.Text.Json.JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n).TrimEnd(' '));
        long dataStart = 8 + n;
        foreach (var t in net.Description.Parameters)
        {
            var e = doc.RootElement.GetProperty(t.Name);
            Assert.Equal("F32", e.GetProperty("dtype").GetString());
            Assert.Equal(t.Shape, e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
            long begin = e.GetProperty("data_offsets")[0].GetInt64();
            // Little-endian F32 in the tensor's row-major order (PyTorch's [out, in] for weights).
            for (int i = 0; i < t.Length; i += Math.Max(1, t.Length / 7))
                Assert.Equal(net.Parameters[t.Offset + i], BitConverter.ToSingle(bytes, (int)(dataStart + begin + 4 * i)));
        }
        Assert.Equal(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }, doc.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Hand_built_safetensors_in_any_entry_order_load()
    {
        var json = "{\"__metadata__\":{\"a\":\"b\"}," + Entry("0.bias", new[] { 2 }, 24) + "," + Entry("0.weight", new[] { 2, 3 }, 0) + "}";
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("ok"), Build(json, 32));
        var net = new LinearNetwork(3, 2);
        SafeTensors.Load(net, tmp.File("ok"));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => i * 0.5f), net.Parameters.ToArray());
    }

    [Fact]
    public void A_missing_tensor_is_named()
    {
        AssertRejected(Build("{" + Entry("0.weight", new[] { 2, 3 }, 0) + "}", 24), "lacks", "0.bias");
    }

    [Fact]
    public void A_tensor_named_twice_is_rejected()
    {
        // JSON lets a name repeat (the last would win); safetensors does not.
        string json = "{" + Entry("0.weight", new[] { 2, 3 }, 0) + "," + Entry("0.bias", new[] { 2 }, 24) + "," + Entry("0.bias", new[] { 2 }, 24) + "}";
        AssertRejected(Build(json, 32), "'0.bias' twice");
    }

    [Fact]
    public void An_extra_tensor_is_named()
    {
        var json = "{" + Entry("0.weight", new[] { 2, 3 }, 0) + "," + Entry("0.bias", new[] { 2 }, 24) + "," + Entry("1.running_mean", new[] { 2 }, 32) + "}";
        AssertRejected(Build(json, 40), "does not have", "1.running_mean");
    }

    [Fact]
    public void A_misshapen_tensor_is_named_with_both_shapes()
    {
        var json = "{" + Entry("0.weight", new[] { 3, 2 }, 0) + "," + Entry("0.bias", new[] { 2 }, 24) + "}";
        AssertRejected(Build(json, 32), "0.weight", "[3, 2]", "[2, 3]");
    }

    [Fact]
    public void A_tensor_of_a_dtype_that_cannot_be_converted_is_named()
    {
        var json = "{" + Entry("0.weight", new[] { 2, 3 }, 0, "C64") + "," + Entry("0.bias", new[] { 2 }, 24) + "}";
        AssertRejected(Build(json, 32), "0.weight", "C64");
    }

    /// <summary>A file of one tensor "t" of shape [n] with the given dtype and raw little-endian bytes.</summary>
    private static byte[] Typed(string dtype, byte[] data, int n)
    {
        var header = Encoding.UTF8.GetBytes($"{{\"t\":{{\"dtype\":\"{dtype}\",\"shape\":[{n}],\"data_offsets\":[0,{data.Length}]}}}}");
        var bytes = new byte[8 + header.Length + data.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    [Fact]
    public void F64_F16_BF16_and_integer_tensors_are_converted_to_float()
    {
        using var tmp = new TempDir();
        double[] values = { 1.5, -0.25, 3.0, 1e-3 };
        var cases = new (string Dtype, byte[] Data, float[] Expected)[]
        {
            ("F64", values.SelectMany(BitConverter.GetBytes).ToArray(), values.Select(v => (float)v).ToArray()),
            ("F16", values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray(), values.Select(v => (float)(Half)v).ToArray()),
            // bfloat16 is the top half of a float32: 1.5, -0.25 and 3 are exact; 1e-3 rounds towards zero to 7 bits.
            ("BF16", values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits((float)v) >> 16))).ToArray(),
                values.Select(v => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits((float)v) & unchecked((int)0xFFFF0000))).ToArray()),
            ("I64", new long[] { 7, -2, 0, 1L << 40 }.SelectMany(BitConverter.GetBytes).ToArray(), new[] { 7f, -2f, 0f, (float)(1L << 40) }),
            ("I32", new[] { 7, -2, 0, 5 }.SelectMany(BitConverter.GetBytes).ToArray(), new[] { 7f, -2f, 0f, 5f }),
        };
        foreach (var (dtype, data, expected) in cases)
        {
            File.WriteAllBytes(tmp.File(dtype), Typed(dtype, data, 4));
            Assert.Equal(expected, SafeTensors.ReadTensors(tmp.File(dtype))["t"].Data);
        }
    }

    [Fact]
    public void State_buffers_round_trip_with_num_batches_tracked_as_a_0_d_int64()
    {
        using var tmp = new TempDir();
        var net = new SourceGenNN.Tests.Networks.NormNet(seed: 2);
        var x = new float[3 * 24];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 5) * 0.4f - 0.8f;
        net.Forward(x, new float[3 * 2], 3, training: true);
        net.Forward(x, new float[3 * 2], 3, training: true);
        SafeTensors.Save(net, tmp.File("bn.safetensors"));
        var bytes = File.ReadAllBytes(tmp.File("bn.safetensors"));
        long n = BitConverter.ToInt64(bytes, 0);
        using var doc = System.Text.Json.JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n).TrimEnd(' '));
        var tracked = doc.RootElement.GetProperty("2.num_batches_tracked");
        Assert.Equal("I64", tracked.GetProperty("dtype").GetString());
        Assert.Equal(0, tracked.GetProperty("shape").GetArrayLength());
        Assert.Equal(2L, BitConverter.ToInt64(bytes, (int)(8 + n + tracked.GetProperty("data_offsets")[0].GetInt64())));
        Assert.Equal("F32", doc.RootElement.GetProperty("2.running_var").GetProperty("dtype").GetString());
        var copy = new SourceGenNN.Tests.Networks.NormNet(seed: 5);
        SafeTensors.Load(copy, tmp.File("bn.safetensors"));
        Assert.Equal(net.Buffers.ToArray(), copy.Buffers.ToArray());
        Assert.Equal(net.Parameters.ToArray(), copy.Parameters.ToArray());
    }

    [Fact]
    public void Offsets_past_the_data_are_refused()
    {
        var json = "{" + Entry("0.weight", new[] { 2, 3 }, 0) + "," + Entry("0.bias", new[] { 2 }, 24) + "}";
        AssertRejected(Build(json, 28), "0.bias", "outside");
    }

    [Fact]
    public void Truncated_or_malformed_safetensors_are_refused()
    {
        var json = "{" + Entry("0.weight", new[] { 2, 3 }, 0) + "," + Entry("0.bias", new[] { 2 }, 24) + "}";
        var good = Build(json, 32);
        AssertRejected(good[..5], "truncated");
        AssertRejected(good[..20], "header length");
        var bad = Build("{\"0.weight\": [1, 2", 0);
        AssertRejected(bad, "JSON");
    }

    [Fact]
    public void Read_tensors_returns_every_tensor_and_names_one_it_cannot_convert()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("d"), Build("{" + Entry("x", new[] { 2, 2 }, 0) + "," + Entry("y", new[] { 4 }, 16) + "}", 32));
        var t = SafeTensors.ReadTensors(tmp.File("d"));
        Assert.Equal(new[] { 2, 2 }, t["x"].Shape);
        Assert.Equal(new[] { 0f, 0.5f, 1f, 1.5f }, t["x"].Data);
        Assert.Equal(new[] { 2f, 2.5f, 3f, 3.5f }, t["y"].Data);
        File.WriteAllBytes(tmp.File("e"), Build("{" + Entry("x", new[] { 2, 2 }, 0) + "," + Entry("labels", new[] { 4 }, 16, "BOOL") + "}", 32));
        var e = Assert.Throws<WeightFileException>(() => SafeTensors.ReadTensors(tmp.File("e")));
        Assert.Contains("'labels'", e.Message);
        Assert.Contains("BOOL", e.Message);
    }
}
