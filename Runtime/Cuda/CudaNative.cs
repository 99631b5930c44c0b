// [LibraryImport] bindings into the CUDA toolkit's shared libraries. The library names are logical; CudaLibraries
// resolves them (CUDA 13, then 12). Functions returning const char* are declared as IntPtr.
#pragma warning disable CS1591 // the bindings are internal and named as in the CUDA headers
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

[assembly: InternalsVisibleTo("SourceGenNN.Runtime.Tests")]
[assembly: InternalsVisibleTo("GpuCheck")]

namespace SourceGenNN.Cuda;

internal static unsafe partial class CudaNative
{
    private const string Lib = CudaLibraries.Runtime;

    public const int MemcpyHostToDevice = 1, MemcpyDeviceToHost = 2, MemcpyDeviceToDevice = 3, MemcpyDefault = 4;
    public const int AttrComputeCapabilityMajor = 75, AttrComputeCapabilityMinor = 76, AttrMultiProcessorCount = 16;
    public const uint StreamNonBlocking = 1;
    public const int StreamCaptureModeThreadLocal = 1;

    [LibraryImport(Lib)] public static partial int cudaGetDeviceCount(out int count);
    [LibraryImport(Lib)] public static partial int cudaSetDevice(int device);
    [LibraryImport(Lib)] public static partial int cudaDeviceGetAttribute(out int value, int attr, int device);
    [LibraryImport(Lib)] public static partial int cudaDeviceSynchronize();
    [LibraryImport(Lib)] public static partial int cudaDriverGetVersion(out int version);
    [LibraryImport(Lib)] public static partial int cudaRuntimeGetVersion(out int version);
    [LibraryImport(Lib)] public static partial int cudaMalloc(out IntPtr devPtr, nuint size);
    [LibraryImport(Lib)] public static partial int cudaFree(IntPtr devPtr);
    [LibraryImport(Lib)] public static partial int cudaMallocHost(out IntPtr ptr, nuint size);
    [LibraryImport(Lib)] public static partial int cudaFreeHost(IntPtr ptr);
    [LibraryImport(Lib)] public static partial int cudaMemcpy(IntPtr dst, IntPtr src, nuint count, int kind);
    [LibraryImport(Lib)] public static partial int cudaMemcpyAsync(IntPtr dst, IntPtr src, nuint count, int kind, IntPtr stream);
    [LibraryImport(Lib)] public static partial int cudaMemsetAsync(IntPtr devPtr, int value, nuint count, IntPtr stream);
    [LibraryImport(Lib)] public static partial int cudaStreamCreateWithFlags(out IntPtr stream, uint flags);
    [LibraryImport(Lib)] public static partial int cudaStreamDestroy(IntPtr stream);
    [LibraryImport(Lib)] public static partial int cudaStreamSynchronize(IntPtr stream);
    [LibraryImport(Lib)] public static partial int cudaGetLastError();
    [LibraryImport(Lib)] public static partial IntPtr cudaGetErrorName(int error);
    [LibraryImport(Lib)] public static partial IntPtr cudaGetErrorString(int error);
    [LibraryImport(Lib)] public static partial int cudaStreamBeginCapture(IntPtr stream, int mode);
    [LibraryImport(Lib)] public static partial int cudaStreamEndCapture(IntPtr stream, out IntPtr graph);
    [LibraryImport(Lib)] public static partial int cudaGraphInstantiateWithFlags(out IntPtr graphExec, IntPtr graph, ulong flags);
    [LibraryImport(Lib)] public static partial int cudaGraphLaunch(IntPtr graphExec, IntPtr stream);
    [LibraryImport(Lib)] public static partial int cudaGraphExecDestroy(IntPtr graphExec);
    [LibraryImport(Lib)] public static partial int cudaGraphDestroy(IntPtr graph);
}

internal static unsafe partial class CublasNative
{
    private const string Lib = CudaLibraries.Cublas;

    public const int OpN = 0, OpT = 1;
    public const int DefaultMath = 0, Tf32TensorOpMath = 3;

    [LibraryImport(Lib)] public static partial int cublasCreate_v2(out IntPtr handle);
    [LibraryImport(Lib)] public static partial int cublasDestroy_v2(IntPtr handle);
    [LibraryImport(Lib)] public static partial int cublasSetStream_v2(IntPtr handle, IntPtr stream);
    [LibraryImport(Lib)] public static partial int cublasSetWorkspace_v2(IntPtr handle, IntPtr workspace, nuint sizeInBytes);
    [LibraryImport(Lib)] public static partial int cublasSetMathMode(IntPtr handle, int mode);
    [LibraryImport(Lib)] public static partial int cublasGetVersion_v2(IntPtr handle, out int version);
    [LibraryImport(Lib)] public static partial IntPtr cublasGetStatusString(int status);
    [LibraryImport(Lib)]
    public static partial int cublasSgemm_v2(IntPtr handle, int transa, int transb, int m, int n, int k,
        float* alpha, IntPtr a, int lda, IntPtr b, int ldb, float* beta, IntPtr c, int ldc);
    /// <summary>batchCount products <c>C_i = α·op(A_i)·op(B_i) + β·C_i</c>, <c>X_i = X + i·strideX</c> (column-major).</summary>
    [LibraryImport(Lib)]
    public static partial int cublasSgemmStridedBatched(IntPtr handle, int transa, int transb, int m, int n, int k,
        float* alpha, IntPtr a, int lda, long strideA, IntPtr b, int ldb, long strideB, float* beta, IntPtr c, int ldc, long strideC, int batchCount);
}

internal static unsafe partial class NvrtcNative
{
    private const string Lib = CudaLibraries.Nvrtc;

    public const int Success = 0, ErrorInvalidOption = 5, ErrorCompilation = 6;

    [LibraryImport(Lib)] public static partial int nvrtcVersion(out int major, out int minor);
    [LibraryImport(Lib)] public static partial int nvrtcGetNumSupportedArchs(out int count);
    [LibraryImport(Lib)] public static partial int nvrtcGetSupportedArchs(int* archs);
    [LibraryImport(Lib)]
    public static partial int nvrtcCreateProgram(out IntPtr program, byte* source, byte* name, int numHeaders, byte** headers, byte** includeNames);
    [LibraryImport(Lib)] public static partial int nvrtcCompileProgram(IntPtr program, int numOptions, byte** options);
    [LibraryImport(Lib)] public static partial int nvrtcGetProgramLogSize(IntPtr program, out nuint size);
    [LibraryImport(Lib)] public static partial int nvrtcGetProgramLog(IntPtr program, byte* log);
    [LibraryImport(Lib)] public static partial int nvrtcGetCUBINSize(IntPtr program, out nuint size);
    [LibraryImport(Lib)] public static partial int nvrtcGetCUBIN(IntPtr program, byte* cubin);
    [LibraryImport(Lib)] public static partial int nvrtcGetPTXSize(IntPtr program, out nuint size);
    [LibraryImport(Lib)] public static partial int nvrtcGetPTX(IntPtr program, byte* ptx);
    [LibraryImport(Lib)] public static partial int nvrtcDestroyProgram(ref IntPtr program);
    [LibraryImport(Lib)] public static partial IntPtr nvrtcGetErrorString(int result);
}

internal static unsafe partial class CuNative
{
    private const string Lib = CudaLibraries.Driver;

    [LibraryImport(Lib)] public static partial int cuInit(uint flags);
    [LibraryImport(Lib)] public static partial int cuDriverGetVersion(out int version);
    [LibraryImport(Lib)] public static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Lib)] public static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib)] public static partial int cuModuleLoadData(out IntPtr module, byte* image);
    [LibraryImport(Lib)] public static partial int cuModuleGetFunction(out IntPtr function, IntPtr module, byte* name);
    [LibraryImport(Lib)] public static partial int cuModuleUnload(IntPtr module);
    [LibraryImport(Lib)]
    public static partial int cuLaunchKernel(IntPtr f, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemBytes, IntPtr stream, void** kernelParams, void** extra);
    [LibraryImport(Lib)] public static partial int cuGetErrorName(int error, out IntPtr name);
    [LibraryImport(Lib)] public static partial int cuGetErrorString(int error, out IntPtr text);
}

/// <summary>Status checks: every CUDA call's status goes through one of these.</summary>
internal static class Check
{
    public static void Runtime(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0) Throw(CudaLibrary.Runtime, status, call, null);
    }

    public static void Driver(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0) Throw(CudaLibrary.Driver, status, call, null);
    }

    public static void Cublas(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0) Throw(CudaLibrary.Cublas, status, call, null);
    }

    public static void Nvrtc(int status, string? log = null, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0) Throw(CudaLibrary.Nvrtc, status, call, log);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void Throw(CudaLibrary library, int status, string call, string? log)
    {
        var (name, text) = CudaErrorText.Describe(library, status);
        throw new CudaException(library, status, name, text, call, log);
    }
}
