using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using SourceGenNN.IO;
using SourceGenNN.Training;

namespace SourceGenNN.Fuzz;

/// <summary>
/// The seed corpus (<c>Fuzz/corpus/</c>, committed): valid files of both formats for <see cref="FuzzNet"/> (with and
/// without optimiser state, every dtype safetensors converts), a data file for ReadTensors, and a few malformed ones.
/// <c>--write-corpus DIR</c> writes it again; the files are small (under 1 KiB each) so that mutations stay near the
/// structure. One more file is not written here: <c>weights-v1-another-network.sgnn</c>, a copy of
/// <c>Runtime.Tests/IO/Legacy/seednet.v1.sgnn</c>, so that the version-1 header is parsed too (it is for another network).
/// </summary>
internal static class Corpus
{
    public static void Write(string dir, Harness h)
    {
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(Path.GetTempPath(), "sgnn-corpus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(tmp);
        try
        {
            var net = h.Network;
            WeightFile.Save(net, Path.Combine(tmp, "a"));
            Put(dir, "weights.sgnn", File.ReadAllBytes(Path.Combine(tmp, "a")));
            WeightFile.Save(net, Path.Combine(tmp, "a"), h.Adam);
            var adam = File.ReadAllBytes(Path.Combine(tmp, "a"));
            Put(dir, "weights-adam.sgnn", adam);
            WeightFile.Save(net, Path.Combine(tmp, "a"), h.Sgd);
            Put(dir, "weights-sgd.sgnn", File.ReadAllBytes(Path.Combine(tmp, "a")));
            Put(dir, "weights-adam-truncated.sgnn", adam[..(adam.Length / 2)]);

            var saved = net.Parameters.ToArray();
            net.Parameters[5] = float.NaN;
            WeightFile.Save(net, Path.Combine(tmp, "a"));
            Put(dir, "weights-nan.sgnn", File.ReadAllBytes(Path.Combine(tmp, "a")));
            saved.CopyTo(net.Parameters);
            float rate = h.Adam.LearningRate;
            h.Adam.LearningRate = -1;
            WeightFile.Save(net, Path.Combine(tmp, "a"), h.Adam);
            h.Adam.LearningRate = rate;
            Put(dir, "weights-negative-rate.sgnn", File.ReadAllBytes(Path.Combine(tmp, "a")));

            SafeTensors.Save(net, Path.Combine(tmp, "a"), new Dictionary<string, string> { ["format"] = "pt" });
            Put(dir, "state-dict.safetensors", File.ReadAllBytes(Path.Combine(tmp, "a")));
            foreach (string dtype in new[] { "F64", "F16", "BF16", "I32", "I8" })
                Put(dir, $"state-dict-{dtype.ToLowerInvariant()}.safetensors", StateDict(net, dtype));
            Put(dir, "data.safetensors", Safetensors(
                ("x", "F32", [2, 2], new[] { 0.5f, -1, 2, 3 }.SelectMany(BitConverter.GetBytes).ToArray()),
                ("labels", "I64", [2], new[] { 3L, 7 }.SelectMany(BitConverter.GetBytes).ToArray()),
                ("empty", "U8", [0], []),
                ("mask", "U8", [3], [1, 0, 1])));
            Put(dir, "metadata-string.safetensors", Header("{\"__metadata__\":\"pt\"}"));
            Put(dir, "overlapping.safetensors", Header(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8));
            Put(dir, "invalid-utf8-key.safetensors", Header("{\"\u00ff\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, latin1: true));
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    private static void Put(string dir, string name, byte[] bytes) => File.WriteAllBytes(Path.Combine(dir, name), bytes);

    /// <summary>The network's tensors as safetensors of <paramref name="dtype"/> (the counter stays I64).</summary>
    private static byte[] StateDict(FuzzNet net, string dtype)
    {
        var tensors = new List<(string, string, int[], byte[])>();
        var d = net.Description;
        foreach (var (t, values) in d.Parameters.Select(t => (t, net.Parameters.Slice(t.Offset, t.Length).ToArray()))
                     .Concat(d.Buffers.Select(t => (t, net.Buffers.Slice(t.Offset, t.Length).ToArray()))))
        {
            if (t.DType == TensorDType.Int64)
            {
                tensors.Add((t.Name, "I64", t.Shape.ToArray(), values.SelectMany(v => BitConverter.GetBytes((long)v)).ToArray()));
                continue;
            }
            byte[] bytes = dtype switch
            {
                "F64" => values.SelectMany(v => BitConverter.GetBytes((double)v)).ToArray(),
                "F16" => values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray(),
                "BF16" => values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(v) >> 16))).ToArray(),
                "I32" => values.SelectMany(v => BitConverter.GetBytes((int)v)).ToArray(),
                _ => values.Select(v => (byte)(sbyte)v).ToArray(),
            };
            tensors.Add((t.Name, dtype, t.Shape.ToArray(), bytes));
        }
        return Safetensors(tensors.ToArray());
    }

    private static byte[] Safetensors(params (string Name, string DType, int[] Shape, byte[] Data)[] tensors)
    {
        var json = new StringBuilder("{");
        long at = 0;
        foreach (var (name, dtype, shape, data) in tensors)
        {
            if (json.Length > 1) json.Append(',');
            json.Append($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{at},{at + data.Length}]}}");
            at += data.Length;
        }
        json.Append('}');
        var bytes = new List<byte>(Header(json.ToString()));
        foreach (var t in tensors) bytes.AddRange(t.Data);
        return bytes.ToArray();
    }

    /// <summary>The 8-byte length and the header; <paramref name="data"/> zero bytes after it. Latin-1 makes a byte of each char (invalid UTF-8 above 0x7F).</summary>
    private static byte[] Header(string json, int data = 0, bool latin1 = false)
    {
        var header = latin1 ? Encoding.Latin1.GetBytes(json) : Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + data];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }
}
