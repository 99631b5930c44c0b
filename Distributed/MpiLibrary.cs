using System;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace SourceGenNN.Distributed;

/// <summary>One place the resolver looks for <c>libmpi</c>, and why it is on the list.</summary>
/// <param name="Directory">The folder, or null for the bare soname, which the system loader resolves (<c>LD_LIBRARY_PATH</c>, <c>ldconfig</c>).</param>
/// <param name="Origin">Where the entry comes from (<c>$SOURCEGENNN_MPI_LIBDIR</c>, <c>$MPI_HOME</c>, <c>default</c>, ...).</param>
public sealed record MpiSearchEntry(string? Directory, string Origin)
{
    /// <inheritdoc/>
    public override string ToString() => (Directory ?? "(bare soname: system loader)") + "  [" + Origin + "]";
}

/// <summary>
/// Finds and loads Open MPI's <c>libmpi.so.40</c> (Open MPI 3 to 5) once, registers the import resolver for
/// <see cref="MpiNative"/>, and reads the addresses of the predefined handles Open MPI exports
/// (<c>ompi_mpi_comm_world</c>, <c>ompi_mpi_float</c>, <c>ompi_mpi_op_sum</c>, ...). Never unloaded.
/// </summary>
public static class MpiLibrary
{
    /// <summary>The logical library name the bindings import from.</summary>
    public const string Name = "mpi";

    /// <summary>The file names tried in each folder, in order.</summary>
    public static readonly IReadOnlyList<string> FileNames = ["libmpi.so.40", "libmpi.so"];

    private static readonly object Gate = new();
    private static readonly List<string> LoadLog = new();
    private static IntPtr _handle;
    private static string? _failure;
    private static bool _attempted;

    /// <summary>
    /// The ordered search list for the given environment (a pure function of it): <c>$SOURCEGENNN_MPI_LIBDIR</c>
    /// (a colon list), <c>$MPI_HOME/lib</c> and <c>$OMPI_HOME/lib</c>, Debian's and Ubuntu's
    /// <c>/usr/lib/x86_64-linux-gnu</c> and <c>/usr/lib/x86_64-linux-gnu/openmpi/lib</c>, Fedora's
    /// <c>/usr/lib64/openmpi/lib</c>, <c>/usr/local/lib</c>, <c>/opt/openmpi/lib</c>, and last the bare soname.
    /// </summary>
    /// <param name="getEnvironmentVariable">Reads an environment variable (null when unset).</param>
    public static IReadOnlyList<MpiSearchEntry> SearchList(Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        var list = new List<MpiSearchEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string dir, string origin)
        {
            dir = dir.Trim();
            if (dir.Length > 1) dir = dir.TrimEnd('/');
            if (dir.Length > 0 && seen.Add(dir)) list.Add(new MpiSearchEntry(dir, origin));
        }
        string? explicitDirs = getEnvironmentVariable("SOURCEGENNN_MPI_LIBDIR");
        if (!string.IsNullOrWhiteSpace(explicitDirs))
            foreach (string d in explicitDirs.Split(':', StringSplitOptions.RemoveEmptyEntries)) Add(d, "$SOURCEGENNN_MPI_LIBDIR");
        foreach (string var in new[] { "MPI_HOME", "OMPI_HOME" })
        {
            string? root = getEnvironmentVariable(var);
            if (!string.IsNullOrWhiteSpace(root)) Add(root.Trim().TrimEnd('/') + "/lib", "$" + var);
        }
        Add("/usr/lib/x86_64-linux-gnu", "default (Debian, Ubuntu)");
        Add("/usr/lib/x86_64-linux-gnu/openmpi/lib", "default (Debian, Ubuntu)");
        Add("/usr/lib/aarch64-linux-gnu", "default (Debian, Ubuntu, arm64)");
        Add("/usr/lib64/openmpi/lib", "default (Fedora, RHEL)");
        Add("/usr/local/lib", "default");
        Add("/opt/openmpi/lib", "default");
        list.Add(new MpiSearchEntry(null, "bare soname"));
        return list;
    }

    /// <summary>Lines saying where <c>libmpi</c> was looked for and where it was found.</summary>
    public static IReadOnlyList<string> Log
    {
        get
        {
            lock (Gate) return LoadLog.ToArray();
        }
    }

    /// <summary>The path <c>libmpi</c> was loaded from, or null before a successful <see cref="Load"/>.</summary>
    public static string? LoadedPath { get; private set; }

    internal static IntPtr CommWorld { get; private set; }
    internal static IntPtr Float { get; private set; }
    internal static IntPtr Double { get; private set; }
    internal static IntPtr Byte { get; private set; }
    internal static IntPtr Sum { get; private set; }
    internal static IntPtr ErrorsReturn { get; private set; }

    /// <summary>
    /// Loads <c>libmpi</c> once (later calls return at once) and registers the import resolver. Throws
    /// <see cref="MpiUnavailableException"/> saying where it looked and what the loader said, and how to install Open MPI.
    /// </summary>
    public static void Load()
    {
        lock (Gate)
        {
            if (!_attempted)
            {
                _attempted = true;
                _failure = LoadCore(Environment.GetEnvironmentVariable);
                if (_failure is null)
                {
                    try
                    {
                        NativeLibrary.SetDllImportResolver(typeof(MpiLibrary).Assembly, Resolve);
                    }
                    catch (InvalidOperationException)
                    {
                        LoadLog.Add("note: an import resolver was already registered for this assembly");
                    }
                }
            }
            if (_failure is not null) throw new MpiUnavailableException(_failure);
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Name ? _handle : IntPtr.Zero;

    private static string? LoadCore(Func<string, string?> env)
    {
        var search = SearchList(env);
        var tried = new StringBuilder();
        foreach (var entry in search)
        {
            foreach (string file in FileNames)
            {
                string path = entry.Directory is null ? file : entry.Directory + "/" + file;
                if (entry.Directory is not null && !System.IO.File.Exists(path)) continue;
                try
                {
                    IntPtr h = NativeLibrary.Load(path);
                    string? missing = ReadHandles(h);
                    if (missing is not null)
                    {
                        tried.Append("  ").Append(path).Append(": loaded, but it does not export ").Append(missing).Append(" (not Open MPI?)\n");
                        continue;
                    }
                    _handle = h;
                    LoadedPath = path;
                    LoadLog.Add($"libmpi: {path}  [{entry.Origin}]");
                    return null;
                }
                catch (DllNotFoundException e)
                {
                    tried.Append("  ").Append(path).Append(": ").Append(FirstLine(e.Message)).Append('\n');
                }
                catch (BadImageFormatException e)
                {
                    tried.Append("  ").Append(path).Append(": ").Append(FirstLine(e.Message)).Append('\n');
                }
            }
        }
        var sb = new StringBuilder("Open MPI's libmpi (libmpi.so.40) was not found. Looked in:\n");
        foreach (var e in search) sb.Append("  ").Append(e).Append('\n');
        if (tried.Length > 0) sb.Append("Tried:\n").Append(tried);
        sb.Append("Install Open MPI (Debian, Ubuntu: apt-get install openmpi-bin libopenmpi-dev), or set SOURCEGENNN_MPI_LIBDIR to the folder holding libmpi.so.40.");
        LoadLog.Add(sb.ToString());
        return sb.ToString();
    }

    /// <summary>Reads the predefined handles' addresses; the name of the first missing export, or null.</summary>
    private static string? ReadHandles(IntPtr h)
    {
        string[] names = ["ompi_mpi_comm_world", "ompi_mpi_float", "ompi_mpi_double", "ompi_mpi_byte", "ompi_mpi_op_sum", "ompi_mpi_errors_return", "MPI_Iallreduce"];
        var found = new IntPtr[names.Length];
        for (int i = 0; i < names.Length; i++)
            if (!NativeLibrary.TryGetExport(h, names[i], out found[i])) return names[i];
        CommWorld = found[0];
        Float = found[1];
        Double = found[2];
        Byte = found[3];
        Sum = found[4];
        ErrorsReturn = found[5];
        return null;
    }

    private static string FirstLine(string s)
    {
        int nl = s.IndexOf('\n');
        return nl < 0 ? s : s[..nl];
    }
}
