using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace SourceGenNN.Cuda;

/// <summary>The CUDA library a status code comes from.</summary>
public enum CudaLibrary
{
    /// <summary>The CUDA runtime (<c>cudaError_t</c>).</summary>
    Runtime,
    /// <summary>The driver API (<c>CUresult</c>).</summary>
    Driver,
    /// <summary>cuBLAS (<c>cublasStatus_t</c>).</summary>
    Cublas,
    /// <summary>NVRTC (<c>nvrtcResult</c>).</summary>
    Nvrtc,
}

/// <summary>A CUDA call returned an error status.</summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception for <paramref name="call"/> returning <paramref name="status"/>.</summary>
    /// <param name="library">The library that returned the status.</param>
    /// <param name="status">The status code.</param>
    /// <param name="errorName">The library's name for the status (<c>cudaErrorMemoryAllocation</c>).</param>
    /// <param name="errorText">The library's description of the status.</param>
    /// <param name="call">The call's source text.</param>
    /// <param name="log">The NVRTC program log, or null.</param>
    public CudaException(CudaLibrary library, int status, string errorName, string errorText, string call, string? log = null)
        : base(Format(library, status, errorName, errorText, call, log))
    {
        Library = library;
        Status = status;
        ErrorName = errorName;
        ErrorText = errorText;
        Call = call;
        Log = log;
    }

    /// <summary>The library that returned the status.</summary>
    public CudaLibrary Library { get; }
    /// <summary>The status code.</summary>
    public int Status { get; }
    /// <summary>The library's name for the status.</summary>
    public string ErrorName { get; }
    /// <summary>The library's description of the status.</summary>
    public string ErrorText { get; }
    /// <summary>The failing call, as written in the source.</summary>
    public string Call { get; }
    /// <summary>The NVRTC program log (compile errors), or null.</summary>
    public string? Log { get; }

    /// <summary>The message: the call, the library, the status with its name and text, then the log if any.</summary>
    public static string Format(CudaLibrary library, int status, string errorName, string errorText, string call, string? log)
    {
        var sb = new StringBuilder();
        sb.Append(LibraryText(library)).Append(" call failed: ").Append(call).Append('\n');
        sb.Append("  status ").Append(status.ToString(System.Globalization.CultureInfo.InvariantCulture))
          .Append(' ').Append(errorName).Append(": ").Append(errorText);
        if (!string.IsNullOrEmpty(log))
            sb.Append("\n  program log:\n").Append(log.TrimEnd());
        return sb.ToString();
    }

    private static string LibraryText(CudaLibrary library) => library switch
    {
        CudaLibrary.Runtime => "CUDA runtime",
        CudaLibrary.Driver => "CUDA driver",
        CudaLibrary.Cublas => "cuBLAS",
        CudaLibrary.Nvrtc => "NVRTC",
        _ => library.ToString(),
    };
}

/// <summary>CUDA cannot be used here: a library is missing (with where it was looked for), or there is no device.</summary>
public sealed class CudaUnavailableException : Exception
{
    /// <summary>Creates the exception with the reason.</summary>
    public CudaUnavailableException(string reason) : base("CUDA is not available: " + reason) => Reason = reason;

    /// <summary>Why CUDA is unavailable.</summary>
    public string Reason { get; }
}

/// <summary>
/// Names and descriptions of status codes. The library's own functions are asked first; the tables here are used
/// when it cannot answer (not loaded, or a code it does not know).
/// </summary>
public static class CudaErrorText
{
    private static readonly Dictionary<int, string> CublasNames = new()
    {
        [0] = "CUBLAS_STATUS_SUCCESS",
        [1] = "CUBLAS_STATUS_NOT_INITIALIZED",
        [3] = "CUBLAS_STATUS_ALLOC_FAILED",
        [7] = "CUBLAS_STATUS_INVALID_VALUE",
        [8] = "CUBLAS_STATUS_ARCH_MISMATCH",
        [11] = "CUBLAS_STATUS_MAPPING_ERROR",
        [13] = "CUBLAS_STATUS_EXECUTION_FAILED",
        [14] = "CUBLAS_STATUS_INTERNAL_ERROR",
        [15] = "CUBLAS_STATUS_NOT_SUPPORTED",
        [16] = "CUBLAS_STATUS_LICENSE_ERROR",
    };

    private static readonly Dictionary<int, string> NvrtcNames = new()
    {
        [0] = "NVRTC_SUCCESS",
        [1] = "NVRTC_ERROR_OUT_OF_MEMORY",
        [2] = "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
        [3] = "NVRTC_ERROR_INVALID_INPUT",
        [4] = "NVRTC_ERROR_INVALID_PROGRAM",
        [5] = "NVRTC_ERROR_INVALID_OPTION",
        [6] = "NVRTC_ERROR_COMPILATION",
        [7] = "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
        [8] = "NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION",
        [9] = "NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION",
        [10] = "NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID",
        [11] = "NVRTC_ERROR_INTERNAL_ERROR",
        [12] = "NVRTC_ERROR_TIME_FILE_WRITE_FAILED",
        [13] = "NVRTC_ERROR_NO_PCH_CREATE_ATTEMPTED",
        [14] = "NVRTC_ERROR_PCH_CREATE_HEAP_EXHAUSTED",
        [15] = "NVRTC_ERROR_PCH_CREATE",
        [16] = "NVRTC_ERROR_CANCELLED",
        [17] = "NVRTC_ERROR_TIME_TRACE_FILE_WRITE_FAILED",
    };

    private static readonly Dictionary<int, string> RuntimeNames = new()
    {
        [0] = "cudaSuccess",
        [1] = "cudaErrorInvalidValue",
        [2] = "cudaErrorMemoryAllocation",
        [3] = "cudaErrorInitializationError",
        [35] = "cudaErrorInsufficientDriver",
        [100] = "cudaErrorNoDevice",
        [101] = "cudaErrorInvalidDevice",
        [209] = "cudaErrorNoKernelImageForDevice",
        [222] = "cudaErrorUnsupportedPtxVersion",
        [700] = "cudaErrorIllegalAddress",
        [719] = "cudaErrorLaunchFailure",
        [900] = "cudaErrorStreamCaptureUnsupported",
        [901] = "cudaErrorStreamCaptureInvalidated",
    };

    private static readonly Dictionary<int, string> DriverNames = new()
    {
        [0] = "CUDA_SUCCESS",
        [1] = "CUDA_ERROR_INVALID_VALUE",
        [2] = "CUDA_ERROR_OUT_OF_MEMORY",
        [3] = "CUDA_ERROR_NOT_INITIALIZED",
        [100] = "CUDA_ERROR_NO_DEVICE",
        [200] = "CUDA_ERROR_INVALID_IMAGE",
        [201] = "CUDA_ERROR_INVALID_CONTEXT",
        [209] = "CUDA_ERROR_NO_BINARY_FOR_GPU",
        [218] = "CUDA_ERROR_INVALID_PTX",
        [222] = "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        [500] = "CUDA_ERROR_NOT_FOUND",
        [700] = "CUDA_ERROR_ILLEGAL_ADDRESS",
        [701] = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
        [719] = "CUDA_ERROR_LAUNCH_FAILED",
    };

    /// <summary>The name of <paramref name="status"/> from the built-in table, or <c>status N</c> when unknown.</summary>
    public static string TableName(CudaLibrary library, int status)
    {
        var table = library switch
        {
            CudaLibrary.Cublas => CublasNames,
            CudaLibrary.Nvrtc => NvrtcNames,
            CudaLibrary.Runtime => RuntimeNames,
            _ => DriverNames,
        };
        return table.TryGetValue(status, out string? name) ? name : "unknown status " + status.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The name and text of a status, asking the loaded library first and falling back on the table.</summary>
    internal static (string Name, string Text) Describe(CudaLibrary library, int status)
    {
        string? name = null, text = null;
        try
        {
            switch (library)
            {
                case CudaLibrary.Runtime:
                    name = Str(CudaNative.cudaGetErrorName(status));
                    text = Str(CudaNative.cudaGetErrorString(status));
                    break;
                case CudaLibrary.Driver:
                    if (CuNative.cuGetErrorName(status, out IntPtr n) == 0) name = Str(n);
                    if (CuNative.cuGetErrorString(status, out IntPtr t) == 0) text = Str(t);
                    break;
                case CudaLibrary.Cublas:
                    text = Str(CublasNative.cublasGetStatusString(status));
                    break;
                case CudaLibrary.Nvrtc:
                    text = Str(NvrtcNative.nvrtcGetErrorString(status));
                    break;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CudaUnavailableException)
        {
        }
        name ??= TableName(library, status);
        text ??= "(no description: the library could not be asked)";
        return (name, text);
    }

    private static string? Str(IntPtr p) => p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);
}
