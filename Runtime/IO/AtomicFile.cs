using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace SourceGenNN.IO;

/// <summary>
/// Writes files atomically: a temporary file in the same folder, flushed to disk, then renamed over the target; on Unix
/// the folder is then flushed too, so that the rename itself survives a machine crash.
/// <para>
/// A process killed mid-save leaves its temporary file (<c>.name.GUID.tmp</c>) behind; the next save or load of the same
/// target removes it (<see cref="RemoveStaleTemporaries"/>). A temporary file is stale when no writer holds it: a writer
/// keeps it open with <see cref="FileShare.None"/>, which .NET enforces with an exclusive lock (<c>flock</c> on Unix, a
/// share mode on Windows) that the system releases when the process dies, however it dies. So a temporary file that can
/// be opened exclusively belongs to no live save. It must also be at least <see cref="StaleAfter"/> old, which covers the
/// instant between a writer creating the file and locking it, and runtimes started with file locking disabled
/// (<c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>), where a live save still writes often enough to stay younger.
/// </para>
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
        RemoveStaleTemporaries(full);
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

    /// <summary>How old a temporary file no writer holds must be before a later save or load removes it.</summary>
    internal static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Removes the temporary files that saves of <paramref name="path"/> left behind when they were killed: those no
    /// writer holds and older than <see cref="StaleAfter"/> (see the class remarks). Best effort: a file that cannot be
    /// removed, or a folder that cannot be listed, is left alone. Returns how many were removed.
    /// </summary>
    internal static int RemoveStaleTemporaries(string path)
    {
        int removed = 0;
        try
        {
            string full = Path.GetFullPath(path);
            string dir = Path.GetDirectoryName(full) ?? ".";
            string name = Path.GetFileName(full);
            if (name.Length == 0 || !Directory.Exists(dir)) return 0;
            var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true, MatchType = MatchType.Simple, RecurseSubdirectories = false };
            // The pattern narrows the listing; the exact name is checked after, as a target's name may hold '*' or '?'.
            string pattern = name.AsSpan().IndexOfAny('*', '?') >= 0 ? "*" : "." + name + ".*.tmp";
            DateTime cutoff = DateTime.UtcNow - StaleAfter;
            foreach (string file in Directory.EnumerateFiles(dir, pattern, options))
            {
                if (!IsTemporaryOf(Path.GetFileName(file), name) || File.GetLastWriteTimeUtc(file) > cutoff) continue;
                try
                {
                    // Opening it exclusively fails while a live writer holds it; DeleteOnClose removes it as we let go.
                    using var held = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.None, 1, FileOptions.DeleteOnClose);
                    removed++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // held by a live save, or not ours to remove
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the folder cannot be listed: nothing to clean
        }
        return removed;
    }

    /// <summary>Whether <paramref name="file"/> is a temporary file of a save of <paramref name="name"/>: <c>.name.</c>, 32 hex digits, <c>.tmp</c>.</summary>
    internal static bool IsTemporaryOf(string file, string name)
    {
        const int Guid = 32;
        if (file.Length != name.Length + Guid + 6 || file[0] != '.' || !file.AsSpan(1).StartsWith(name, StringComparison.Ordinal)
            || file[name.Length + 1] != '.' || !file.EndsWith(".tmp", StringComparison.Ordinal))
            return false;
        foreach (char c in file.AsSpan(name.Length + 2, Guid))
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        return true;
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
