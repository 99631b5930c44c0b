using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Cuda;

/// <summary>
/// CUDA C source compiled with NVRTC for one device's architecture and loaded with <c>cuModuleLoadData</c>.
/// Modules are cached by (source hash, architecture, device) for the life of the process and never unloaded.
/// </summary>
internal sealed class CudaModule
{
    private static readonly object CacheGate = new();
    private static readonly Dictionary<(string Hash, string Arch, int Device), CudaModule> Cache = new();

    private readonly IntPtr _module;
    private readonly Dictionary<string, IntPtr> _functions = new(StringComparer.Ordinal);

    private CudaModule(IntPtr module, string hash, string arch, bool fromPtx, string log)
    {
        _module = module;
        SourceHash = hash;
        Architecture = arch;
        LoadedFromPtx = fromPtx;
        CompileLog = log;
    }

    /// <summary>The SHA-256 of the source, hex.</summary>
    public string SourceHash { get; }

    /// <summary>The architecture compiled for (<c>sm_90</c>, or <c>compute_XY</c> when the PTX fallback was used).</summary>
    public string Architecture { get; }

    /// <summary>True when NVRTC did not know the device's <c>sm_XY</c> and PTX was JIT-compiled by the driver instead.</summary>
    public bool LoadedFromPtx { get; }

    /// <summary>NVRTC's log of the compilation (warnings), possibly empty.</summary>
    public string CompileLog { get; }

    /// <summary>The hex SHA-256 of a source text (the cache key).</summary>
    public static string Hash(string source) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)));

    /// <summary>
    /// Compiles <paramref name="source"/> for <paramref name="device"/> (or returns the cached module). A compile error
    /// throws a <see cref="CudaException"/> whose <see cref="CudaException.Log"/> is NVRTC's program log.
    /// </summary>
    public static CudaModule Load(CudaDevice device, string source)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(source);
        string hash = Hash(source);
        var key = (hash, device.Architecture, device.Ordinal);
        lock (CacheGate)
        {
            if (Cache.TryGetValue(key, out var cached)) return cached;
            device.MakeCurrent();
            var module = Compile(device, source, hash);
            Cache[key] = module;
            return module;
        }
    }

    /// <summary>The NVRTC options for an architecture: <c>--gpu-architecture=sm_90</c>, plus what every kernel needs.</summary>
    public static string[] CompileOptions(string architecture) =>
        ["--gpu-architecture=" + architecture, "--fmad=true"];

    private static unsafe CudaModule Compile(CudaDevice device, string source, string hash)
    {
        string arch = device.Architecture;
        var (status, log, image) = CompileTo(source, arch, cubin: true);
        bool fromPtx = false;
        if (status == NvrtcNative.ErrorInvalidOption)
        {
            // This NVRTC does not know the device (newer than the toolkit): emit PTX for the newest architecture it
            // knows that the device can run, and let the driver JIT it.
            int device_cc = device.ComputeCapability.Major * 10 + device.ComputeCapability.Minor;
            int best = BestSupportedArch(device_cc);
            if (best > 0)
            {
                arch = "compute_" + best.ToString(CultureInfo.InvariantCulture);
                (status, log, image) = CompileTo(source, arch, cubin: false);
                fromPtx = true;
            }
        }
        Check.Nvrtc(status, log, "nvrtcCompileProgram(" + string.Join(' ', CompileOptions(arch)) + ")");
        IntPtr module;
        fixed (byte* p = image!)
            Check.Driver(CuNative.cuModuleLoadData(out module, p));
        return new CudaModule(module, hash, arch, fromPtx, log);
    }

    private static unsafe (int Status, string Log, byte[]? Image) CompileTo(string source, string arch, bool cubin)
    {
        byte[] src = NullTerminated(source);
        byte[] name = NullTerminated("sourcegennn_kernels.cu");
        IntPtr program;
        fixed (byte* s = src)
        fixed (byte* n = name)
            Check.Nvrtc(NvrtcNative.nvrtcCreateProgram(out program, s, n, 0, null, null));
        try
        {
            string[] options = CompileOptions(arch);
            var optionBytes = new byte[options.Length][];
            var handles = new GCHandle[options.Length];
            byte** opts = stackalloc byte*[options.Length];
            try
            {
                for (int i = 0; i < options.Length; i++)
                {
                    optionBytes[i] = NullTerminated(options[i]);
                    handles[i] = GCHandle.Alloc(optionBytes[i], GCHandleType.Pinned);
                    opts[i] = (byte*)handles[i].AddrOfPinnedObject();
                }
                int status = NvrtcNative.nvrtcCompileProgram(program, options.Length, opts);
                string log = ReadLog(program);
                if (status != NvrtcNative.Success) return (status, log, null);
                byte[] image;
                if (cubin)
                {
                    Check.Nvrtc(NvrtcNative.nvrtcGetCUBINSize(program, out nuint size));
                    image = new byte[(int)size];
                    fixed (byte* p = image) Check.Nvrtc(NvrtcNative.nvrtcGetCUBIN(program, p));
                }
                else
                {
                    Check.Nvrtc(NvrtcNative.nvrtcGetPTXSize(program, out nuint size));
                    image = new byte[(int)size]; // includes the terminating NUL cuModuleLoadData needs for PTX
                    fixed (byte* p = image) Check.Nvrtc(NvrtcNative.nvrtcGetPTX(program, p));
                }
                return (0, log, image);
            }
            finally
            {
                foreach (var h in handles)
                    if (h.IsAllocated) h.Free();
            }
        }
        finally
        {
            NvrtcNative.nvrtcDestroyProgram(ref program);
        }
    }

    private static unsafe string ReadLog(IntPtr program)
    {
        if (NvrtcNative.nvrtcGetProgramLogSize(program, out nuint size) != 0 || size <= 1) return "";
        var buffer = new byte[(int)size];
        fixed (byte* p = buffer)
            if (NvrtcNative.nvrtcGetProgramLog(program, p) != 0) return "";
        return Encoding.UTF8.GetString(buffer, 0, buffer.Length - 1);
    }

    private static unsafe int BestSupportedArch(int deviceCc)
    {
        if (NvrtcNative.nvrtcGetNumSupportedArchs(out int count) != 0 || count <= 0) return 0;
        int* archs = stackalloc int[count];
        if (NvrtcNative.nvrtcGetSupportedArchs(archs) != 0) return 0;
        int best = 0;
        for (int i = 0; i < count; i++)
            if (archs[i] <= deviceCc && archs[i] > best) best = archs[i];
        return best;
    }

    private static byte[] NullTerminated(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        var bytes = new byte[n + 1];
        Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
        return bytes;
    }

    /// <summary>The function <paramref name="name"/> of the module (an <c>extern "C"</c> kernel), looked up once.</summary>
    public unsafe IntPtr Function(string name)
    {
        lock (_functions)
        {
            if (_functions.TryGetValue(name, out IntPtr f)) return f;
            byte[] bytes = NullTerminated(name);
            fixed (byte* p = bytes)
                Check.Driver(CuNative.cuModuleGetFunction(out f, _module, p), "cuModuleGetFunction(" + name + ")");
            _functions[name] = f;
            return f;
        }
    }
}

/// <summary>One kernel argument: 8 bytes holding a device pointer, an int, a float or a 64-bit integer.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
internal readonly struct KernelArg
{
    [FieldOffset(0)] private readonly long _bits;
    [FieldOffset(0)] private readonly int _int;
    [FieldOffset(0)] private readonly float _float;

    private KernelArg(long bits, int i, float f, int which)
    {
        _bits = 0;
        _int = 0;
        _float = 0;
        if (which == 0) _bits = bits;
        else if (which == 1) _int = i;
        else _float = f;
    }

    /// <summary>A device pointer.</summary>
    public static KernelArg Ptr(IntPtr p) => new(p, 0, 0, 0);
    /// <summary>A 32-bit int.</summary>
    public static KernelArg Int(int v) => new(0, v, 0, 1);
    /// <summary>A float.</summary>
    public static KernelArg Float(float v) => new(0, 0, v, 2);
    /// <summary>An unsigned 64-bit integer.</summary>
    public static KernelArg U64(ulong v) => new((long)v, 0, 0, 0);
}

/// <summary>Launches kernels with <c>cuLaunchKernel</c>: no allocation per launch.</summary>
internal static class KernelLauncher
{
    /// <summary>The most arguments a kernel launch may pass.</summary>
    public const int MaxArguments = 24;

    /// <summary>Enqueues <paramref name="function"/> on <paramref name="stream"/> with the given grid, block and arguments.</summary>
    public static unsafe void Launch(IntPtr function, (uint X, uint Y) grid, (uint X, uint Y) block, uint sharedBytes,
        IntPtr stream, ReadOnlySpan<KernelArg> args)
    {
        if (args.Length > MaxArguments) ThrowHelper.ThrowArgumentOutOfRange(nameof(args), args.Length, $"at most {MaxArguments} arguments");
        void** pointers = stackalloc void*[MaxArguments];
        fixed (KernelArg* a = args)
        {
            for (int i = 0; i < args.Length; i++) pointers[i] = a + i;
            Check.Driver(CuNative.cuLaunchKernel(function, grid.X, grid.Y, 1, block.X, block.Y, 1, sharedBytes, stream, pointers, null));
        }
    }

    /// <summary>The number of blocks of <paramref name="threads"/> threads that cover <paramref name="n"/> elements.</summary>
    public static uint Blocks(long n, int threads) => (uint)Math.Max(1, (n + threads - 1) / threads);
}
