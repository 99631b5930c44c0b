using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace SourceGenNN.IO;

/// <summary>
/// Writes files atomically: a temporary file in the same folder, flushed to disk, then renamed over the target; on Unix
/// the folder is then flushed too, so that the rename itself survives a machine crash.
/// </summary>
internal static partial class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, ReadOnlyMemory<byte> content) => Write(path, stream => stream.Write(content.Span));

    /// <summary>
    /// Writes <paramref name="path"/> atomically with what <paramref name="write"/> writes to the stream it is given (a
    /// temporary file beside the target, buffered): streamed, so the content is never held whole in memory. If
    /// <paramref name="write"/> throws, the temporary file is removed and the target is untouched.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        string tmp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture) + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        SyncDirectory(dir);
    }

    /// <summary>
    /// Best effort: fsyncs a folder so that a rename in it is on disk (POSIX only makes a rename durable once its folder
    /// is synced). Returns whether it was; a failure (a filesystem that refuses, no libc, Windows, where there is no
    /// such call) is not an error, since the file itself is already complete under its name.
    /// </summary>
    internal static bool SyncDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return false;
        try
        {
            // O_RDONLY (0) opens a folder on Linux and macOS; O_DIRECTORY is not needed (and differs by architecture).
            // O_CLOEXEC keeps the descriptor out of any process started meanwhile; its value is Linux's on x86-64 and arm64.
            int fd = Open(dir, OperatingSystem.IsLinux() ? 0x80000 : 0);
            if (fd < 0) return false;
            bool synced = FSync(fd) == 0;
            _ = Close(fd);
            return synced;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // errno is not read (a failure only means "not synced"), so no SetLastError. The runtime maps "libc" to the
    // platform's C library (libc.so.6 on glibc Linux); where it cannot, SyncDirectory catches the load failure.
    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
