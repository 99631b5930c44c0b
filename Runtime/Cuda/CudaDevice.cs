using System;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Cuda;

/// <summary>
/// One GPU, opened for use: its primary context, one stream, one cuBLAS handle bound to that stream with a fixed
/// workspace (so that work on the stream can be captured into a CUDA graph). Use it from one thread at a time.
/// </summary>
/// <example>
/// <code>
/// using var gpu = CudaDevice.Open();                 // throws CudaUnavailableException, saying why, without a GPU
/// Console.WriteLine(gpu.Describe());
/// var mlp = new Mlp(seed: 1);
/// var options = new CudaTrainingOptions(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-3f));
/// using var net = CudaNetwork.Create(gpu, mlp, options, maxBatch: 64);
///
/// [Network(784)] [Dense(128)] [ReLU] [Dense(10)]
/// public partial class Mlp { }
/// </code>
/// </example>
public sealed class CudaDevice : IDisposable
{
    /// <summary>The fixed cuBLAS workspace size (32 MiB, enough for Hopper's largest SGEMM configurations).</summary>
    public const int CublasWorkspaceBytes = 32 << 20;

    private IntPtr _stream;
    private IntPtr _cublas;
    private DeviceBuffer? _workspace;

    private CudaDevice(int ordinal)
    {
        Ordinal = ordinal;
        Check.Runtime(CudaNative.cudaSetDevice(ordinal));
        Check.Runtime(CudaNative.cudaFree(IntPtr.Zero)); // makes the primary context current for the driver API too
        Check.Driver(CuNative.cuInit(0));
        Check.Runtime(CudaNative.cudaDeviceGetAttribute(out int major, CudaNative.AttrComputeCapabilityMajor, ordinal));
        Check.Runtime(CudaNative.cudaDeviceGetAttribute(out int minor, CudaNative.AttrComputeCapabilityMinor, ordinal));
        ComputeCapability = (major, minor);
        Check.Runtime(CudaNative.cudaDeviceGetAttribute(out int sms, CudaNative.AttrMultiProcessorCount, ordinal));
        MultiprocessorCount = sms;
        Name = ReadName(ordinal);
        Check.Runtime(CudaNative.cudaDriverGetVersion(out int driver));
        Check.Runtime(CudaNative.cudaRuntimeGetVersion(out int runtime));
        DriverVersion = driver;
        RuntimeVersion = runtime;

        Check.Runtime(CudaNative.cudaStreamCreateWithFlags(out _stream, CudaNative.StreamNonBlocking));
        Check.Cublas(CublasNative.cublasCreate_v2(out _cublas));
        Check.Cublas(CublasNative.cublasSetStream_v2(_cublas, _stream));
        _workspace = new DeviceBuffer(CublasWorkspaceBytes, 1);
        Check.Cublas(CublasNative.cublasSetWorkspace_v2(_cublas, _workspace.Pointer, (nuint)CublasWorkspaceBytes));
        Check.Cublas(CublasNative.cublasSetMathMode(_cublas, CublasNative.DefaultMath)); // full FP32; TF32 is opt-in
    }

    /// <summary>
    /// Opens GPU <paramref name="ordinal"/>. Throws <see cref="CudaUnavailableException"/> with the reason when CUDA
    /// cannot be used (see <see cref="Cuda.UnavailableReason"/>).
    /// </summary>
    public static CudaDevice Open(int ordinal = 0)
    {
        Cuda.EnsureAvailable();
        Check.Runtime(CudaNative.cudaGetDeviceCount(out int count));
        if (ordinal < 0 || ordinal >= count)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(ordinal), ordinal, $"a device ordinal in [0, {count})");
        return new CudaDevice(ordinal);
    }

    /// <summary>The device ordinal.</summary>
    public int Ordinal { get; }

    /// <summary>The device's name (<c>NVIDIA H100 80GB HBM3</c>).</summary>
    public string Name { get; }

    /// <summary>The compute capability (9.0 for Hopper).</summary>
    public (int Major, int Minor) ComputeCapability { get; }

    /// <summary>The NVRTC architecture option for this device: <c>sm_90</c>.</summary>
    public string Architecture => "sm_" + ComputeCapability.Major.ToString(CultureInfo.InvariantCulture) + ComputeCapability.Minor.ToString(CultureInfo.InvariantCulture);

    /// <summary>The number of streaming multiprocessors.</summary>
    public int MultiprocessorCount { get; }

    /// <summary>The driver's CUDA version (13000 for 13.0).</summary>
    public int DriverVersion { get; }

    /// <summary>The runtime library's CUDA version.</summary>
    public int RuntimeVersion { get; }

    /// <summary>The stream every operation of this device object is enqueued on (a <c>cudaStream_t</c>/<c>CUstream</c>).</summary>
    public IntPtr Stream
    {
        get
        {
            ObjectDisposedException.ThrowIf(_stream == IntPtr.Zero, this);
            return _stream;
        }
    }

    internal IntPtr CublasHandle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_cublas == IntPtr.Zero, this);
            return _cublas;
        }
    }

    /// <summary>
    /// Uses TF32 tensor cores for SGEMM (faster, about 1e-3 relative error) or full FP32 (the default). Networks on this
    /// device drop the CUDA graphs they captured under the other setting and capture again.
    /// </summary>
    public bool AllowTf32
    {
        get => _allowTf32;
        set
        {
            Check.Cublas(CublasNative.cublasSetMathMode(CublasHandle, value ? CublasNative.Tf32TensorOpMath : CublasNative.DefaultMath));
            if (value != _allowTf32) MathModeVersion++;
            _allowTf32 = value;
        }
    }

    private bool _allowTf32;

    /// <summary>Changes whenever the cuBLAS math mode does: captured graphs keep the kernels chosen under the old one.</summary>
    internal int MathModeVersion { get; private set; }

    /// <summary>Makes this device current on the calling thread (CUDA's current device is per thread).</summary>
    public void MakeCurrent() => Check.Runtime(CudaNative.cudaSetDevice(Ordinal));

    /// <summary>Waits for all work on the stream; kernel faults surface here as a <see cref="CudaException"/>.</summary>
    public void Synchronize() => Check.Runtime(CudaNative.cudaStreamSynchronize(Stream));

    /// <summary>Enqueues a host-to-device copy of <paramref name="count"/> floats.</summary>
    public void CopyToDeviceAsync(IntPtr hostSource, IntPtr deviceDestination, long count) =>
        Check.Runtime(CudaNative.cudaMemcpyAsync(deviceDestination, hostSource, (nuint)(count * sizeof(float)), CudaNative.MemcpyHostToDevice, Stream));

    /// <summary>Enqueues a device-to-host copy of <paramref name="count"/> floats.</summary>
    public void CopyToHostAsync(IntPtr deviceSource, IntPtr hostDestination, long count) =>
        Check.Runtime(CudaNative.cudaMemcpyAsync(hostDestination, deviceSource, (nuint)(count * sizeof(float)), CudaNative.MemcpyDeviceToHost, Stream));

    /// <summary>Enqueues a device-to-device copy of <paramref name="count"/> floats.</summary>
    public void CopyAsync(IntPtr deviceSource, IntPtr deviceDestination, long count) =>
        Check.Runtime(CudaNative.cudaMemcpyAsync(deviceDestination, deviceSource, (nuint)(count * sizeof(float)), CudaNative.MemcpyDeviceToDevice, Stream));

    /// <summary>Enqueues setting <paramref name="bytes"/> bytes to zero.</summary>
    public void ZeroAsync(IntPtr devicePointer, long bytes) =>
        Check.Runtime(CudaNative.cudaMemsetAsync(devicePointer, 0, (nuint)bytes, Stream));

    /// <summary>A one-line description: name, compute capability, driver and runtime versions, library folder.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(Name).Append(" (").Append(Architecture).Append(", ").Append(MultiprocessorCount.ToString(CultureInfo.InvariantCulture))
          .Append(" SMs), driver CUDA ").Append(Version(DriverVersion)).Append(", runtime CUDA ").Append(Version(RuntimeVersion));
        return sb.ToString();

        static string Version(int v) => (v / 1000).ToString(CultureInfo.InvariantCulture) + "." + (v % 1000 / 10).ToString(CultureInfo.InvariantCulture);
    }

    private static unsafe string ReadName(int ordinal)
    {
        byte* buffer = stackalloc byte[256];
        if (CuNative.cuDeviceGet(out int dev, ordinal) != 0 || CuNative.cuDeviceGetName(buffer, 256, dev) != 0)
            return "CUDA device " + ordinal.ToString(CultureInfo.InvariantCulture);
        return Marshal.PtrToStringUTF8((IntPtr)buffer) ?? "CUDA device";
    }

    /// <summary>Releases the cuBLAS handle, its workspace and the stream.</summary>
    public void Dispose()
    {
        if (_cublas != IntPtr.Zero)
        {
            CublasNative.cublasDestroy_v2(_cublas);
            _cublas = IntPtr.Zero;
        }
        _workspace?.Dispose();
        _workspace = null;
        if (_stream != IntPtr.Zero)
        {
            CudaNative.cudaStreamDestroy(_stream);
            _stream = IntPtr.Zero;
        }
    }
}
