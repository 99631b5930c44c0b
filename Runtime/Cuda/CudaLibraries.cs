using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace SourceGenNN.Cuda;

/// <summary>One directory (or the bare soname) the resolver tries, and why it is on the list.</summary>
/// <param name="Directory">
/// The folder, possibly with one <c>*</c> wildcard in a path segment (<c>/usr/local/cuda-*/lib64</c>); null for the
/// bare soname, which the system loader resolves (<c>LD_LIBRARY_PATH</c>, <c>ldconfig</c>).
/// </param>
/// <param name="Origin">Where the entry comes from (<c>$SOURCEGENNN_CUDA_LIBDIR</c>, <c>default</c>, ...).</param>
public sealed record CudaSearchEntry(string? Directory, string Origin)
{
    /// <inheritdoc/>
    public override string ToString() => (Directory ?? "(bare soname: system loader)") + "  [" + Origin + "]";
}

/// <summary>
/// Finds and loads the CUDA libraries (driver, cudart, cuBLAS with cuBLASLt, NVRTC with its builtins), CUDA 13 first,
/// then 12, all toolkit libraries of one major version. Loaded libraries are never unloaded.
/// </summary>
/// <remarks>
/// The bindings in this folder name the logical libraries <c>cuda</c>, <c>cudart</c>, <c>cublas</c> and <c>nvrtc</c>;
/// a <see cref="NativeLibrary.SetDllImportResolver"/> maps them to the handles loaded here.
/// </remarks>
public static class CudaLibraries
{
    /// <summary>The logical name of the driver API library.</summary>
    public const string Driver = "cuda";
    /// <summary>The logical name of the CUDA runtime.</summary>
    public const string Runtime = "cudart";
    /// <summary>The logical name of cuBLAS.</summary>
    public const string Cublas = "cublas";
    /// <summary>The logical name of NVRTC.</summary>
    public const string Nvrtc = "nvrtc";

    /// <summary>The toolkit major versions tried, in order.</summary>
    public static readonly IReadOnlyList<int> Majors = [13, 12];

    private static readonly object Gate = new();
    private static readonly Dictionary<string, IntPtr> Handles = new(StringComparer.Ordinal);
    private static readonly List<string> LoadLog = new();
    private static bool _resolverSet;
    private static bool _attempted;
    private static string? _failure;
    private static int _major;

    /// <summary>
    /// The ordered search list for the given environment (a pure function of it): <c>$SOURCEGENNN_CUDA_LIBDIR</c>
    /// (a colon list), <c>$CUDA_HOME</c>/<c>$CUDA_PATH</c>/<c>$CUDA_ROOT</c> under <c>lib64</c> and
    /// <c>targets/x86_64-linux/lib</c>, <c>/usr/local/cuda/lib64</c> and <c>/usr/local/cuda-*/lib64</c>, Python wheels
    /// (<c>site-packages/nvidia/cu{major}/lib</c>, and for CUDA 12 the per-library wheel folders) under
    /// <c>$VIRTUAL_ENV</c>, <c>/opt/torch/.venv</c> and <c>/usr/local/lib/python3*</c>, then
    /// <c>/usr/local/nvidia/lib64</c> and <c>/usr/lib/x86_64-linux-gnu</c>, and last the bare soname.
    /// </summary>
    /// <param name="getEnvironmentVariable">Reads an environment variable (null when unset).</param>
    /// <param name="major">The toolkit major version the wheel folders are for.</param>
    public static IReadOnlyList<CudaSearchEntry> SearchList(Func<string, string?> getEnvironmentVariable, int major)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        var list = new List<CudaSearchEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string dir, string origin)
        {
            dir = dir.Trim();
            if (dir.Length == 0) return;
            if (dir.Length > 1) dir = dir.TrimEnd('/');
            if (seen.Add(dir)) list.Add(new CudaSearchEntry(dir, origin));
        }

        string? explicitDirs = getEnvironmentVariable("SOURCEGENNN_CUDA_LIBDIR");
        if (!string.IsNullOrWhiteSpace(explicitDirs))
            foreach (string d in explicitDirs.Split(':', StringSplitOptions.RemoveEmptyEntries))
                Add(d, "$SOURCEGENNN_CUDA_LIBDIR");

        foreach (string var in new[] { "CUDA_HOME", "CUDA_PATH", "CUDA_ROOT" })
        {
            string? root = getEnvironmentVariable(var);
            if (string.IsNullOrWhiteSpace(root)) continue;
            root = root.Trim().TrimEnd('/');
            Add(root + "/lib64", "$" + var);
            Add(root + "/targets/x86_64-linux/lib", "$" + var);
        }

        Add("/usr/local/cuda/lib64", "default");
        Add("/usr/local/cuda-*/lib64", "default");

        string[] wheelFolders = major >= 13
            ? [$"nvidia/cu{major}/lib"]
            : [$"nvidia/cu{major}/lib", "nvidia/cuda_runtime/lib", "nvidia/cublas/lib", "nvidia/cuda_nvrtc/lib"];
        var pythonRoots = new List<(string Root, string Origin)>();
        string? venv = getEnvironmentVariable("VIRTUAL_ENV");
        if (!string.IsNullOrWhiteSpace(venv)) pythonRoots.Add((venv.Trim().TrimEnd('/') + "/lib/python3*/site-packages", "$VIRTUAL_ENV"));
        pythonRoots.Add(("/opt/torch/.venv/lib/python3*/site-packages", "python wheel"));
        pythonRoots.Add(("/usr/local/lib/python3*/site-packages", "python wheel"));
        pythonRoots.Add(("/usr/local/lib/python3*/dist-packages", "python wheel"));
        foreach (var (root, origin) in pythonRoots)
            foreach (string folder in wheelFolders)
                Add(root + "/" + folder, origin);

        Add("/usr/local/nvidia/lib64", "default");
        Add("/usr/lib/x86_64-linux-gnu", "default");
        list.Add(new CudaSearchEntry(null, "bare soname"));
        return list;
    }

    /// <summary>The file name of a logical library for a toolkit major version (<c>libcublas.so.13</c>).</summary>
    /// <param name="logicalName">One of <see cref="Driver"/>, <see cref="Runtime"/>, <see cref="Cublas"/>, <see cref="Nvrtc"/>, or <c>cublasLt</c>.</param>
    /// <param name="major">The toolkit major version (ignored for the driver, which is always <c>libcuda.so.1</c>).</param>
    public static string FileName(string logicalName, int major) => logicalName switch
    {
        Driver => "libcuda.so.1",
        Runtime => $"libcudart.so.{major}",
        Cublas => $"libcublas.so.{major}",
        "cublasLt" => $"libcublasLt.so.{major}",
        Nvrtc => $"libnvrtc.so.{major}",
        _ => throw new ArgumentException($"'{logicalName}' is not a CUDA library this package loads.", nameof(logicalName)),
    };

    /// <summary>Expands a search entry's wildcard against the file system (sorted, newest-looking last reversed first).</summary>
    internal static IEnumerable<string> Expand(string directory)
    {
        int star = directory.IndexOf('*');
        if (star < 0)
        {
            yield return directory;
            yield break;
        }
        int segStart = directory.LastIndexOf('/', star);
        int segEnd = directory.IndexOf('/', star);
        string parent = segStart <= 0 ? "/" : directory[..segStart];
        string pattern = segEnd < 0 ? directory[(segStart + 1)..] : directory[(segStart + 1)..segEnd];
        string rest = segEnd < 0 ? "" : directory[segEnd..];
        if (parent.Contains('*'))
        {
            // Only one wildcard per entry is supported; treat the rest literally.
            yield break;
        }
        string[] matches;
        try
        {
            matches = System.IO.Directory.Exists(parent) ? System.IO.Directory.GetDirectories(parent, pattern) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            matches = [];
        }
        Array.Sort(matches, StringComparer.Ordinal);
        Array.Reverse(matches); // cuda-13.1 before cuda-13.0, python3.12 before python3.11
        foreach (string m in matches)
            foreach (string e in Expand(m + rest))
                yield return e;
    }

    /// <summary>Lines saying where each library was looked for and where it came from (for a verbose mode).</summary>
    public static IReadOnlyList<string> Log
    {
        get
        {
            lock (Gate) return LoadLog.ToArray();
        }
    }

    /// <summary>The toolkit major version loaded (13 or 12), or 0 before a successful <see cref="Load"/>.</summary>
    public static int LoadedMajor
    {
        get
        {
            lock (Gate) return _major;
        }
    }

    /// <summary>
    /// Loads every library once (later calls return at once) and registers the import resolver.
    /// Throws <see cref="CudaUnavailableException"/> naming the missing library and where it looked.
    /// </summary>
    public static void Load()
    {
        lock (Gate)
        {
            if (!_attempted)
            {
                _attempted = true;
                try
                {
                    _failure = LoadAll(Environment.GetEnvironmentVariable);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    _failure = "loading the CUDA libraries failed: " + e.Message;
                }
                if (!_resolverSet)
                {
                    try
                    {
                        NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, Resolve);
                        _resolverSet = true;
                    }
                    catch (InvalidOperationException)
                    {
                        // Another component set a resolver for this assembly; the bindings fall back to default probing.
                        LoadLog.Add("note: an import resolver was already registered for this assembly");
                    }
                }
            }
            if (_failure is not null) throw new CudaUnavailableException(_failure);
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        lock (Gate)
            return Handles.TryGetValue(libraryName, out IntPtr h) ? h : IntPtr.Zero;
    }

    private static unsafe string? LoadAll(Func<string, string?> env)
    {
        // The driver first: without it nothing else matters.
        var driverSearch = SearchList(env, Majors[0]);
        if (!TryLoadFrom(driverSearch, FileName(Driver, 0), out IntPtr driver, out string? driverPath))
            return Missing("the NVIDIA driver library " + FileName(Driver, 0), driverSearch);
        Handles[Driver] = driver;
        LoadLog.Add($"{Driver}: {driverPath}");
        // The newest toolkit the driver supports (cuDriverGetVersion: 1000 * major + 10 * minor). A CUDA 13 runtime on a
        // 12.x driver would load, then fail every call with cudaErrorInsufficientDriver.
        int driverVersion = 0;
        if (NativeLibrary.TryGetExport(driver, "cuDriverGetVersion", out IntPtr getVersion))
        {
            int v;
            if (((delegate* unmanaged<int*, int>)getVersion)(&v) == 0) driverVersion = v;
        }
        LoadLog.Add(driverVersion > 0 ? $"driver supports CUDA up to {driverVersion / 1000}.{driverVersion % 1000 / 10}" : "driver version unknown");

        // Each major version in turn, all of its libraries or none: an incomplete CUDA 13 falls back to a complete 12.
        var reasons = new List<string>();
        foreach (int major in Majors)
        {
            if (driverVersion > 0 && major * 1000 > driverVersion)
            {
                string why = $"CUDA {major} skipped: the driver supports up to CUDA {driverVersion / 1000}.{driverVersion % 1000 / 10}";
                LoadLog.Add(why);
                reasons.Add(why + " (update the NVIDIA driver to use it)");
                continue;
            }
            string? failure = LoadToolkit(env, major, out var loaded);
            if (failure is not null)
            {
                reasons.Add(failure);
                continue;
            }
            foreach (var (name, handle) in loaded) Handles[name] = handle;
            _major = major;
            return null;
        }
        return reasons.Count == 1 ? reasons[0] : "no complete CUDA toolkit was found.\n" + string.Join("\n", reasons);
    }

    // Loads cudart, cuBLASLt, cuBLAS and NVRTC of one major version; null and the handles, or the reason it failed.
    // Libraries loaded before a later one is missing stay loaded (never unloaded) but are not registered.
    private static string? LoadToolkit(Func<string, string?> env, int major, out List<(string Name, IntPtr Handle)> loaded)
    {
        loaded = new List<(string, IntPtr)>();
        var search = SearchList(env, major);
        if (!TryLoadFrom(search, FileName(Runtime, major), out IntPtr cudart, out string? cudartPath))
            return Missing($"CUDA {major}: the CUDA runtime {FileName(Runtime, major)}", search);
        LoadLog.Add($"{Runtime}: {cudartPath} (CUDA {major})");
        // The other toolkit libraries: the same folder first, then the search list, same major version.
        var preferred = new List<CudaSearchEntry>();
        string? cudartDir = cudartPath is null || !cudartPath.Contains('/') ? null : Path.GetDirectoryName(cudartPath);
        if (cudartDir is not null) preferred.Add(new CudaSearchEntry(cudartDir, "cudart's folder"));
        preferred.AddRange(search);

        if (!TryLoadFrom(preferred, FileName("cublasLt", major), out IntPtr lt, out string? ltPath))
            return Missing($"CUDA {major}: {FileName("cublasLt", major)} (cuBLAS needs it)", preferred);
        LoadLog.Add($"cublasLt: {ltPath}");
        var cublasSearch = Prefer(ltPath, preferred);
        if (!TryLoadFrom(cublasSearch, FileName(Cublas, major), out IntPtr cublas, out string? cublasPath))
            return Missing($"CUDA {major}: {FileName(Cublas, major)}", cublasSearch);
        LoadLog.Add($"{Cublas}: {cublasPath}");

        if (!TryLoadFrom(preferred, FileName(Nvrtc, major), out IntPtr nvrtc, out string? nvrtcPath))
            return Missing($"CUDA {major}: {FileName(Nvrtc, major)}", preferred);
        // NVRTC loads libnvrtc-builtins at compile time; preload it from the same folder so that it is found.
        string? builtins = PreloadBuiltins(nvrtcPath, major);
        LoadLog.Add($"{Nvrtc}: {nvrtcPath}");
        LoadLog.Add($"nvrtc-builtins: {builtins ?? "not preloaded (NVRTC will look for it itself)"}");
        loaded.Add((Runtime, cudart));
        loaded.Add(("cublasLt", lt));
        loaded.Add((Cublas, cublas));
        loaded.Add((Nvrtc, nvrtc));
        return null;
    }

    private static List<CudaSearchEntry> Prefer(string? loadedPath, List<CudaSearchEntry> rest)
    {
        var list = new List<CudaSearchEntry>();
        string? dir = loadedPath is null || !loadedPath.Contains('/') ? null : Path.GetDirectoryName(loadedPath);
        if (dir is not null) list.Add(new CudaSearchEntry(dir, "cublasLt's folder"));
        list.AddRange(rest);
        return list;
    }

    private static string? PreloadBuiltins(string? nvrtcPath, int major)
    {
        string? dir = nvrtcPath is null || !nvrtcPath.Contains('/') ? null : Path.GetDirectoryName(nvrtcPath);
        var candidates = new List<string>();
        if (dir is not null)
        {
            try
            {
                string[] files = System.IO.Directory.GetFiles(dir, $"libnvrtc-builtins.so.{major}*");
                Array.Sort(files, StringComparer.Ordinal);
                Array.Reverse(files);
                candidates.AddRange(files);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        // Without a folder (NVRTC found by the bare soname): the system loader, by the names the toolkits use.
        if (dir is null)
            for (int minor = 9; minor >= 0; minor--) candidates.Add($"libnvrtc-builtins.so.{major}.{minor}");
        foreach (string c in candidates)
            if (NativeLibrary.TryLoad(c, out _)) return c;
        return null;
    }

    private static bool TryLoadFrom(IReadOnlyList<CudaSearchEntry> search, string file, out IntPtr handle, out string? path)
    {
        foreach (var entry in search)
        {
            if (entry.Directory is null)
            {
                if (NativeLibrary.TryLoad(file, out handle))
                {
                    path = file + " (bare soname, found by the system loader)";
                    return true;
                }
                continue;
            }
            foreach (string dir in Expand(entry.Directory))
            {
                string candidate = Path.Combine(dir, file);
                if (!File.Exists(candidate)) continue;
                if (NativeLibrary.TryLoad(candidate, out handle))
                {
                    path = candidate;
                    return true;
                }
                LoadLog.Add($"{file}: {candidate} exists but failed to load");
            }
        }
        handle = IntPtr.Zero;
        path = null;
        return false;
    }

    private static string Missing(string what, IReadOnlyList<CudaSearchEntry> search) => FormatMissing(what, search);

    /// <summary>The text of the "library not found" reason: what is missing and every place looked in.</summary>
    public static string FormatMissing(string what, IReadOnlyList<CudaSearchEntry> search)
    {
        var sb = new StringBuilder();
        sb.Append(what).Append(" was not found. Looked in:");
        foreach (var e in search) sb.Append("\n  ").Append(e.ToString());
        sb.Append("\nSet SOURCEGENNN_CUDA_LIBDIR to the folder(s) holding the CUDA libraries (a colon list).");
        return sb.ToString();
    }
}
