using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using SourceGenNN.IO;
using SourceGenNN.Tests.Data;
using SourceGenNN.Tests.TestDoubles;
using Xunit;

namespace SourceGenNN.Tests.IO;

/// <summary>
/// Malformed safetensors headers: every reader must refuse them with <see cref="WeightFileException"/> (never another
/// exception type), and <see cref="SafeTensors.Load"/> must leave the network unchanged.
/// </summary>
public class MalformedHeaderTests
{
    private const string Weight = "\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}";
    private const string Bias = "\"0.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}";

    /// <summary>A safetensors file from raw header bytes and <paramref name="dataBytes"/> bytes of data.</summary>
    private static byte[] File(byte[] header, int dataBytes = 32)
    {
        var bytes = new byte[8 + header.Length + dataBytes];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static byte[] File(string header, int dataBytes = 32) => File(Encoding.UTF8.GetBytes(header), dataBytes);

    /// <summary>The header with <paramref name="bad"/> spliced in where the text has the marker <c>@</c>.</summary>
    private static byte[] Splice(string header, byte[] bad)
    {
        var parts = header.Split('@');
        var b = new List<byte>(Encoding.UTF8.GetBytes(parts[0]));
        b.AddRange(bad);
        b.AddRange(Encoding.UTF8.GetBytes(parts[1]));
        return File(b.ToArray());
    }

    public static IEnumerable<object[]> Cases()
    {
        byte[] invalid = { 0xFF, 0xFE, 0x80 };
        yield return new object[] { "invalid UTF-8 in a key", Splice("{\"@\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}," + Bias + "}", invalid), "UTF-8" };
        yield return new object[] { "invalid UTF-8 in a dtype", Splice("{\"0.weight\":{\"dtype\":\"@\",\"shape\":[2,3],\"data_offsets\":[0,24]}," + Bias + "}", invalid), "UTF-8" };
        yield return new object[] { "invalid UTF-8 in a metadata value", Splice("{\"__metadata__\":{\"a\":\"@\"}," + Weight + "," + Bias + "}", invalid), "UTF-8" };
        yield return new object[] { "a lone surrogate escaped in a key", File("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}," + Bias + "}"), "" };
        yield return new object[] { "a lone surrogate escaped in a metadata key", File("{\"__metadata__\":{\"\\udfff\":\"x\"}," + Weight + "," + Bias + "}"), "" };
        yield return new object[] { "a lone surrogate escaped in a dtype", File("{\"0.weight\":{\"dtype\":\"F\\ud800\",\"shape\":[2,3],\"data_offsets\":[0,24]}," + Bias + "}"), "" };
        // Found by the fuzzer: looking up "dtype" in an entry unescapes its other names, and threw there.
        yield return new object[] { "a lone surrogate escaped in a name inside a tensor entry", File("{\"0.weight\":{\"\\ud800\":1,\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}," + Bias + "}"), "Unicode" };
        yield return new object[] { "a lone low surrogate escaped in a name inside a tensor entry", File("{\"0.weight\":{\"dtype\":\"F32\",\"x\\udfffy\":[],\"shape\":[2,3],\"data_offsets\":[0,24]}," + Bias + "}"), "Unicode" };
        yield return new object[] { "a lone surrogate escaped in a string inside a tensor entry", File("{\"0.weight\":{\"dtype\":\"F32\",\"note\":\"\\ud800\",\"shape\":[2,3],\"data_offsets\":[0,24]}," + Bias + "}"), "Unicode" };
        yield return new object[] { "__metadata__ a string", File("{\"__metadata__\":\"pt\"," + Weight + "," + Bias + "}"), "__metadata__" };
        yield return new object[] { "__metadata__ a number", File("{\"__metadata__\":7," + Weight + "," + Bias + "}"), "__metadata__" };
        yield return new object[] { "__metadata__ an array", File("{\"__metadata__\":[\"a\"]," + Weight + "," + Bias + "}"), "__metadata__" };
        yield return new object[] { "an offset too large for a long", File("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,99999999999999999999999]}," + Bias + "}"), "0.weight" };
        yield return new object[] { "a negative offset", File("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[-8,24]}," + Bias + "}"), "0.weight" };
        yield return new object[] { "offsets at long.MaxValue", File("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[9223372036854775807,9223372036854775807]}," + Bias + "}"), "0.weight" };
        yield return new object[] { "a shape product overflowing a long", File("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,24]}," + Bias + "}"), "0.weight" };
        yield return new object[] { "a shape product that wraps to the right byte count", File("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,2305843009213693955],\"data_offsets\":[0,24]}," + Bias + "}"), "0.weight" };
        yield return new object[] { "a dimension too large for an int", File("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2147483648],\"data_offsets\":[0,24]}," + Bias + "}"), "0.weight" };
        yield return new object[] { "a fractional dimension", File("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2.5,3],\"data_offsets\":[0,24]}," + Bias + "}"), "0.weight" };
        yield return new object[] { "a tensor entry that is a string", File("{\"0.weight\":\"F32\"," + Bias + "}"), "0.weight" };
        yield return new object[] { "overlapping tensors", File("{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},\"0.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}"), "" };
        yield return new object[] { "the header an array", File("[1,2]"), "object" };
        yield return new object[] { "a header length past the file", File("{}", 0)[..9], "" };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Read_tensors_and_read_metadata_throw_only_weight_file_exceptions(string what, byte[] bytes, string expected)
    {
        using var tmp = new TempDir();
        string path = tmp.File("bad.safetensors");
        System.IO.File.WriteAllBytes(path, bytes);
        var e = Record.Exception(() => SafeTensors.ReadTensors(path));
        Assert.True(e is WeightFileException, $"{what}: ReadTensors threw {e?.GetType().Name ?? "nothing"}: {e?.Message}");
        Assert.Contains(expected, e!.Message);
        e = Record.Exception(() => SafeTensors.Load(new LinearNetwork(3, 2), path));
        Assert.True(e is WeightFileException, $"{what}: Load threw {e?.GetType().Name ?? "nothing"}: {e?.Message}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Load_throws_only_weight_file_exceptions_and_leaves_the_network(string what, byte[] bytes, string expected)
    {
        using var tmp = new TempDir();
        string path = tmp.File("bad.safetensors");
        System.IO.File.WriteAllBytes(path, bytes);
        var net = new LinearNetwork(3, 2, seed: 4);
        var before = net.Parameters.ToArray();
        var e = Record.Exception(() => SafeTensors.Load(net, path));
        Assert.True(e is WeightFileException, $"{what}: Load threw {e?.GetType().Name ?? "nothing"}: {e?.Message}");
        Assert.Contains(expected, e!.Message);
        Assert.Equal(before, net.Parameters.ToArray());
    }

    [Fact]
    public void Read_metadata_refuses_a_metadata_that_is_not_an_object_or_not_unicode()
    {
        using var tmp = new TempDir();
        foreach (var (header, expected) in new[]
        {
            ("{\"__metadata__\":\"pt\"}", "__metadata__"),
            ("{\"__metadata__\":[1]}", "__metadata__"),
            ("{\"__metadata__\":{\"\\ud800\":\"x\"}}", "Unicode"),
            ("{\"__metadata__\":{\"k\":\"\\udc00\"}}", "Unicode"),
        })
        {
            System.IO.File.WriteAllBytes(tmp.File("m"), File(header, 0));
            var e = Record.Exception(() => SafeTensors.ReadMetadata(tmp.File("m")));
            Assert.True(e is WeightFileException, $"{header}: ReadMetadata threw {e?.GetType().Name ?? "nothing"}: {e?.Message}");
            Assert.Contains(expected, e!.Message);
        }
        System.IO.File.WriteAllBytes(tmp.File("m"), Splice("{\"__metadata__\":{\"@\":\"x\"}}", new byte[] { 0xC3, 0x28 })[..^32]);
        Assert.IsType<WeightFileException>(Record.Exception(() => SafeTensors.ReadMetadata(tmp.File("m"))));
    }
}
