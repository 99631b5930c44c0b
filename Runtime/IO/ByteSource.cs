using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SourceGenNN.IO;

/// <summary>
/// The bytes a reader parses, of a length known before anything is read: a regular file (<see cref="FileSource"/>) or
/// memory (tests and the fuzzer). Readers never read past <see cref="Length"/>, so what they read is bounded by it.
/// </summary>
internal abstract class ByteSource : IDisposable
{
    protected ByteSource(string path) => Path = path;

    /// <summary>The file named in error messages.</summary>
    public string Path { get; }

    /// <summary>The number of bytes, fixed when the source was opened.</summary>
    public abstract long Length { get; }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; a source that ends first is a <see cref="WeightFileException"/>.</summary>
    public void Read(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset > Length - destination.Length)
            throw new WeightFileException(Path, $"it is truncated: {destination.Length} bytes at offset {offset} lie past its end at {Length}.");
        ReadCore(offset, destination);
    }

    protected abstract void ReadCore(long offset, Span<byte> destination);

    public virtual void Dispose() { }
}

/// <summary>Bytes in memory.</summary>
internal sealed class MemorySource(ReadOnlyMemory<byte> bytes, string path) : ByteSource(path)
{
    public override long Length => bytes.Length;

    protected override void ReadCore(long offset, Span<byte> destination) => bytes.Span.Slice((int)offset, destination.Length).CopyTo(destination);
}

/// <summary>
/// A regular file opened for reading. Anything else (a directory, a character device such as <c>/dev/zero</c>, a named
/// pipe, a socket) is refused before a byte is read: such a file has no length to bound a read by, and a pipe blocks.
/// On Linux the file is opened without blocking and its type read from the open descriptor (<c>statx</c>), so nothing
/// can swap it between the check and the read; elsewhere a directory is refused by name and every read is bounded by
/// the length the file had when opened (which is 0 for devices and pipes).
/// </summary>
internal sealed partial class FileSource : ByteSource
{
    private readonly SafeFileHandle _handle;

    private FileSource(SafeFileHandle handle, long length, string path) : base(path)
    {
        _handle = handle;
        Length = length;
    }

    public override long Length { get; }

    /// <summary>
    /// Opens <paramref name="path"/>, refusing anything but a regular file, and a file longer than
    /// <paramref name="maxLength"/> bytes (<paramref name="bound"/> says what the bound is, for the message).
    /// </summary>
    public static FileSource Open(string path, long maxLength = long.MaxValue, string? bound = null)
    {
        // As File's methods do: a path is not a file's content, so a bad one is the caller's error. (The native open
        // would also stop at a NUL and open another file.)
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.Contains('\0')) throw new ArgumentException("The path contains a NUL character.", nameof(path));
        var handle = OperatingSystem.IsLinux() ? OpenLinux(path) : null;
        handle ??= OpenPortable(path);
        try
        {
            long length = RandomAccess.GetLength(handle);
            if (length > maxLength)
                throw new WeightFileException(path, $"it is {length} bytes, more than the {maxLength} bytes {bound ?? "allowed"}; it was not read.");
            return new FileSource(handle, length, path);
        }
        catch (IOException e) when (e is not WeightFileException)
        {
            handle.Dispose();
            throw new WeightFileException(path, "it cannot be read: " + e.Message, e);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    protected override void ReadCore(long offset, Span<byte> destination)
    {
        try
        {
            while (!destination.IsEmpty)
            {
                int n = RandomAccess.Read(_handle, destination, offset);
                if (n <= 0)
                    throw new WeightFileException(Path, $"it ended at byte {offset} while being read, before the {Length} bytes it had when opened (it was truncated meanwhile).");
                destination = destination[n..];
                offset += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not WeightFileException)
        {
            throw new WeightFileException(Path, "it cannot be read: " + e.Message, e);
        }
    }

    public override void Dispose() => _handle.Dispose();

    private static SafeFileHandle OpenPortable(string path)
    {
        if (Directory.Exists(path)) throw new WeightFileException(path, "it is a directory, not a regular file.");
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WeightFileException(path, "it cannot be read: " + e.Message, e);
        }
    }

    // Linux's values on every architecture .NET runs on (asm-generic and x86 agree for these).
    private const int ORdOnly = 0, ONonBlock = 0x800, OCloExec = 0x80000;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const int SIfMt = 0xF000, SIfReg = 0x8000;

    /// <summary>
    /// Opens without blocking (a named pipe with no writer would block an ordinary open) and refuses anything but a
    /// regular file; null when libc or statx is missing (glibc before 2.28), so that the portable open is used.
    /// </summary>
    private static SafeFileHandle? OpenLinux(string path)
    {
        int fd;
        try
        {
            fd = Open(path, ORdOnly | ONonBlock | OCloExec);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        if (fd < 0)
            throw new WeightFileException(path, "it cannot be opened: " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()) + ".");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            // struct statx has the same layout on every architecture: stx_mode is the u16 at byte 28.
            Span<byte> buffer = stackalloc byte[256];
            int rc;
            try
            {
                rc = Statx(fd, "", AtEmptyPath, StatxType, ref MemoryMarshal.GetReference(buffer));
            }
            catch (EntryPointNotFoundException)
            {
                rc = -1;
            }
            if (rc != 0)
            {
                handle.Dispose();
                return null;
            }
            int mode = MemoryMarshal.Read<ushort>(buffer[28..]);
            if ((mode & SIfMt) != SIfReg)
                throw new WeightFileException(path, $"it is {Kind(mode)}, not a regular file; only regular files are read, so that every read is bounded and none blocks.");
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static string Kind(int mode) => (mode & SIfMt) switch
    {
        0x4000 => "a directory",
        0x2000 => "a character device",
        0x6000 => "a block device",
        0x1000 => "a named pipe (FIFO)",
        0xC000 => "a socket",
        _ => "a special file",
    };

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}

/// <summary>
/// A bounds-checked little-endian reader over a <see cref="ByteSource"/>, buffered, that reports truncation as a
/// <see cref="WeightFileException"/>. It never reads past its limit, and checks that the bytes of a string or of values
/// are there before allocating for them.
/// </summary>
internal sealed class SourceReader(ByteSource source)
{
    private const int BufferSize = 1 << 16;

    /// <summary>The longest string read: names of networks, tensors and optimisers are far shorter.</summary>
    public const int MaxString = 1 << 16;

    private readonly byte[] _buffer = new byte[BufferSize];
    private long _bufferStart, _pos, _end = source.Length;
    private int _bufferLength;

    public long Position => _pos;

    public long Remaining => _end - _pos;

    public void Limit(long end) => _end = Math.Min(end, source.Length);

    private string Path => source.Path;

    private void Need(long n, string what)
    {
        if (n < 0 || _end - _pos < n)
            throw new WeightFileException(Path, $"it is truncated: {what} needs {n} bytes at offset {_pos}, but only {Math.Max(0, _end - _pos)} remain.");
    }

    public void Skip(long n, string what)
    {
        Need(n, what);
        _pos += n;
    }

    private ReadOnlySpan<byte> Take(int n, string what)
    {
        Need(n, what);
        if (_pos < _bufferStart || _pos + n > _bufferStart + _bufferLength)
        {
            _bufferStart = _pos;
            _bufferLength = (int)Math.Min(BufferSize, _end - _pos);
            source.Read(_bufferStart, _buffer.AsSpan(0, _bufferLength));
        }
        var s = _buffer.AsSpan((int)(_pos - _bufferStart), n);
        _pos += n;
        return s;
    }

    public byte Byte(string what) => Take(1, what)[0];
    public int Int32(string what) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what));
    public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
    public long Int64(string what) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, what));
    public ulong UInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));
    public float Single(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public string String(string what)
    {
        int n = Int32(what);
        if (n < 0 || n > MaxString) throw new WeightFileException(Path, $"{what} has an invalid length {n}.");
        Need(n, what);
        try
        {
            return StrictUtf8.GetString(Take(n, what));
        }
        catch (DecoderFallbackException e)
        {
            throw new WeightFileException(Path, $"{what} is not valid UTF-8.", e);
        }
    }

    /// <summary>Fills <paramref name="values"/> with little-endian floats, read straight from the source in chunks.</summary>
    public void Floats(Span<float> values, string what)
    {
        Need(4L * values.Length, what);
        const int Chunk = 1 << 20;
        while (!values.IsEmpty)
        {
            var part = values[..Math.Min(values.Length, Chunk)];
            var bytes = MemoryMarshal.AsBytes(part);
            source.Read(_pos, bytes);
            if (!BitConverter.IsLittleEndian)
            {
                var bits = MemoryMarshal.Cast<float, int>(part);
                BinaryPrimitives.ReverseEndianness(bits, bits);
            }
            _pos += bytes.Length;
            values = values[part.Length..];
        }
    }
}
