using System;
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
/// Saves stream: the writers pull values in chunks and write them as they go, with 64-bit offsets, so a network over
/// 2 GiB saves. The writers are tested over more than int.MaxValue bytes with a synthetic tensor whose values are made
/// on demand (nothing of that size exists in memory or on disk); a real round trip of a 600M-parameter network through
/// files runs only when SOURCEGENNN_LARGE_FILE_TESTS=1 (it needs 4.8 GB of memory and 2.4 GB of disk).
/// </summary>
public class StreamingSaveTests
{
    /// <summary>Counts what is written and keeps its first bytes and its last eight; stores nothing else.</summary>
    private sealed class CountingStream : Stream
    {
        public byte[] Head { get; } = new byte[4096];
        public byte[] Tail { get; } = new byte[8];
        private long _length;

        public override long Length => _length;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_length < Head.Length) buffer[..(int)Math.Min(buffer.Length, Head.Length - _length)].CopyTo(Head.AsSpan((int)_length));
            foreach (byte b in buffer[Math.Max(0, buffer.Length - 8)..]) // no allocation: the test measures the writer's
            {
                Tail.AsSpan(1).CopyTo(Tail);
                Tail[^1] = b;
            }
            _length += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>
    /// A synthetic source: value i is (i mod 1000) / 8. It records whether it was read once, in order, within its length
    /// (checked by the test afterwards: it allocates nothing itself, so the test measures the writer's allocations).
    /// </summary>
    private sealed class Synthetic(long length)
    {
        public long Next { get; private set; }
        public int LargestChunk { get; private set; }
        public bool OutOfOrder { get; private set; }

        public void Read(long offset, Span<float> destination)
        {
            if (offset != Next || offset + destination.Length > length) OutOfOrder = true;
            for (int i = 0; i < destination.Length; i++) destination[i] = (offset + i) % 1000 / 8f;
            Next += destination.Length;
            LargestChunk = Math.Max(LargestChunk, destination.Length);
        }
    }

    /// <summary>540 million parameters: 2.16 GB of F32, past int.MaxValue bytes.</summary>
    private static readonly NetworkDescription Huge = DescribedNetwork.Dense(23240, 23240);

    [Fact]
    public void The_weight_file_writer_streams_more_than_2_GiB_with_64_bit_offsets()
    {
        var weights = new Synthetic(Huge.ParameterCount);
        var output = new CountingStream();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        long written = WeightFile.WriteTo(output, Huge, weights.Read, (_, dst) => dst.Clear(), state: null);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Equal(Huge.ParameterCount, weights.Next);
        Assert.False(weights.OutOfOrder);
        Assert.Equal(output.Length, written);
        Assert.True(written > int.MaxValue, $"{written} bytes");
        // The header, then the values, then the CRC: the header is what a small save of the same layout writes.
        long header = written - 4L * Huge.ParameterCount - 4;
        Assert.InRange(header, 60, 200);
        Assert.Equal("SGNNWTS\0"u8.ToArray(), output.Head[..8]);
        Assert.Equal(Huge.ParameterCount, BitConverter.ToInt64(output.Head, (int)header - 8)); // the value count, as i64
        Assert.Equal(0f, BitConverter.ToSingle(output.Head, (int)header));
        Assert.Equal(1 / 8f, BitConverter.ToSingle(output.Head, (int)header + 4));
        Assert.True(weights.LargestChunk <= 1 << 20, $"a chunk of {weights.LargestChunk} values");
        Assert.True(allocated < 2 << 20, $"streaming {written} bytes allocated {allocated} bytes"); // the chunk buffers: 256 KiB of floats, 512 KiB for I64
    }

    [Fact]
    public void The_safetensors_writer_streams_more_than_2_GiB_with_64_bit_offsets()
    {
        var weights = new Synthetic(Huge.ParameterCount);
        var t = Huge.Parameters;
        int weightLength = t[0].Length;
        var tensors = new[]
        {
            new SafeTensors.TensorData(t[0].Name, TensorDType.Float32, t[0].Shape, t[0].Length, weights.Read),
            new SafeTensors.TensorData(t[1].Name, TensorDType.Float32, t[1].Shape, t[1].Length, (o, dst) => weights.Read(weightLength + o, dst)),
            new SafeTensors.TensorData("count", TensorDType.Int64, [], 1, (_, dst) => dst.Fill(3)),
        };
        var output = new CountingStream();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        long written = SafeTensors.WriteTo(output, tensors, null);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Equal(Huge.ParameterCount, weights.Next);
        Assert.False(weights.OutOfOrder);
        Assert.Equal(output.Length, written);
        Assert.True(written > int.MaxValue, $"{written} bytes");
        long n = BitConverter.ToInt64(output.Head, 0);
        using var doc = System.Text.Json.JsonDocument.Parse(Encoding.UTF8.GetString(output.Head, 8, (int)n).TrimEnd(' '));
        long weightEnd = doc.RootElement.GetProperty("0.weight").GetProperty("data_offsets")[1].GetInt64();
        Assert.Equal(4L * t[0].Length, weightEnd);
        Assert.True(weightEnd > int.MaxValue);
        Assert.Equal(weightEnd + 4L * t[1].Length + 8, doc.RootElement.GetProperty("count").GetProperty("data_offsets")[1].GetInt64());
        Assert.Equal(8 + n + weightEnd + 4L * t[1].Length + 8, written);
        Assert.Equal(3L, BitConverter.ToInt64(output.Tail)); // the I64 counter ends the file
        Assert.True(allocated < 2 << 20, $"streaming {written} bytes allocated {allocated} bytes"); // the chunk buffers: 256 KiB of floats, 512 KiB for I64
    }

    [Fact]
    public void Crc32_appended_in_chunks_equals_the_crc_of_the_whole()
    {
        var data = Enumerable.Range(0, 100_003).Select(i => (byte)(i * 7 + (i >> 8))).ToArray();
        uint whole = Crc32.Compute(data);
        foreach (int chunk in new[] { 1, 3, 8, 13, 4096, 65536 })
        {
            uint crc = 0;
            for (int at = 0; at < data.Length; at += chunk) crc = Crc32.Append(crc, data.AsSpan(at, Math.Min(chunk, data.Length - at)));
            Assert.Equal(whole, crc);
        }
    }

    [Fact]
    public void A_streamed_save_is_byte_for_byte_the_layout_the_reader_reads()
    {
        using var tmp = new TempDir();
        var net = new DigitsMlp(seed: 3);
        var opt = new Adam(net, 0.02f);
        var trainer = new Trainer(net, new CrossEntropy(), opt);
        trainer.TrainStep(Enumerable.Range(0, 2 * 64).Select(i => (float)Math.Sin(i)).ToArray(), new float[] { 1, 2 }, 2);
        WeightFile.Save(net, tmp.File("w"), opt);
        var bytes = File.ReadAllBytes(tmp.File("w"));
        Assert.Equal(Crc32.Compute(bytes.AsSpan(0, bytes.Length - 4)), BitConverter.ToUInt32(bytes, bytes.Length - 4));
        // Values at the end, in order: parameters, then Adam's exp_avg and exp_avg_sq, then the CRC.
        int p = net.Description.ParameterCount;
        var tail = MemoryMarshalFloats(bytes.AsSpan(bytes.Length - 4 - 12 * p, 12 * p));
        Assert.Equal(net.Parameters.ToArray(), tail[..p]);
        Assert.Equal(opt.ExportState().Buffers[0].Value, tail[p..(2 * p)]);
        Assert.Equal(opt.ExportState().Buffers[1].Value, tail[(2 * p)..]);
    }

    private static float[] MemoryMarshalFloats(ReadOnlySpan<byte> bytes)
    {
        var f = new float[bytes.Length / 4];
        for (int i = 0; i < f.Length; i++) f[i] = BitConverter.ToSingle(bytes[(4 * i)..]);
        return f;
    }

    /// <summary>Skipped unless SOURCEGENNN_LARGE_FILE_TESTS=1: it needs 4.8 GB of memory (the parameters and a scratch copy) and 2.4 GB of disk.</summary>
    private sealed class LargeFileFactAttribute : FactAttribute
    {
        public LargeFileFactAttribute()
        {
            if (Environment.GetEnvironmentVariable("SOURCEGENNN_LARGE_FILE_TESTS") != "1")
                Skip = "set SOURCEGENNN_LARGE_FILE_TESTS=1 to run (4.8 GB of memory, 2.4 GB of disk, a minute or two)";
        }
    }

    [LargeFileFact]
    public void A_600M_parameter_network_saves_and_loads_in_both_formats()
    {
        var net = new DescribedNetwork(DescribedNetwork.Dense(24495, 24495), withParameters: true);
        Assert.True(net.Description.ParameterCount > 600_000_000);
        var values = net.Parameters;
        for (int i = 0; i < values.Length; i++) values[i] = i % 4099 * 0.25f;
        using var tmp = new TempDir();
        foreach (var format in new[] { "sgnn", "safetensors" })
        {
            string path = tmp.File("big." + format);
            if (format == "sgnn") WeightFile.Save(net, path);
            else SafeTensors.Save(net, path);
            Assert.True(new FileInfo(path).Length > 4L * net.Description.ParameterCount);
            values.Clear();
            if (format == "sgnn") WeightFile.Load(net, path);
            else SafeTensors.Load(net, path);
            for (int i = 0; i < values.Length; i += 997) Assert.Equal(i % 4099 * 0.25f, values[i]);
            Assert.Equal((values.Length - 1) % 4099 * 0.25f, values[^1]);
            File.Delete(path);
        }
    }
}
