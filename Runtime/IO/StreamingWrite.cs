using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;

namespace SourceGenNN.IO;

/// <summary>
/// Fills <paramref name="destination"/> with the values from <paramref name="offset"/> on: how writers pull values in
/// chunks from a network, an optimiser, or a test's synthetic tensor, so that no copy of all of them is ever made.
/// </summary>
internal delegate void FloatSource(long offset, Span<float> destination);

/// <summary>A write-only stream that passes bytes on, counting them and computing their CRC-32 as they go.</summary>
internal sealed class ChecksumStream(Stream inner) : Stream
{
    /// <summary>The CRC-32 of every byte written so far.</summary>
    public uint Crc { get; private set; }

    /// <summary>The bytes written so far.</summary>
    public override long Length => _length;

    private long _length;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Crc = Crc32.Append(Crc, buffer);
        _length += buffer.Length;
        inner.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush() => inner.Flush();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>
/// Writes values pulled from a <see cref="FloatSource"/> as little-endian F32 (or I64, rounded towards zero as a
/// counter is), one chunk at a time through one reusable buffer: a save holds a chunk, never all the values.
/// </summary>
internal sealed class FloatChunk
{
    /// <summary>Values per chunk: 256 KiB of floats, large enough that a write costs little more than the copy.</summary>
    public const int Floats = 1 << 16;

    private readonly float[] _floats = new float[Floats];
    private byte[]? _bytes;

    /// <summary>Writes <paramref name="count"/> values from <paramref name="source"/> as F32.</summary>
    public void Write(Stream output, long count, FloatSource source)
    {
        for (long offset = 0; offset < count;)
        {
            int n = (int)Math.Min(Floats, count - offset);
            var values = _floats.AsSpan(0, n);
            source(offset, values);
            if (BitConverter.IsLittleEndian)
                output.Write(MemoryMarshal.AsBytes(values));
            else
            {
                var bytes = _bytes ??= new byte[8 * Floats];
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
                output.Write(bytes, 0, 4 * n);
            }
            offset += n;
        }
    }

    /// <summary>Writes <paramref name="count"/> values from <paramref name="source"/> as I64.</summary>
    public void WriteInt64(Stream output, long count, FloatSource source)
    {
        var bytes = _bytes ??= new byte[8 * Floats];
        for (long offset = 0; offset < count;)
        {
            int n = (int)Math.Min(Floats, count - offset);
            var values = _floats.AsSpan(0, n);
            source(offset, values);
            for (int i = 0; i < n; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), (long)values[i]);
            output.Write(bytes, 0, 8 * n);
            offset += n;
        }
    }
}
