using System;
using System.Collections.Generic;
using SourceGenNN.Cuda;
using Xunit;

namespace SourceGenNN.Tests.Cuda;

public class CudaErrorTests
{
    [Fact]
    public void Exception_message_names_the_call_the_status_and_its_description()
    {
        var e = new CudaException(CudaLibrary.Runtime, 2, "cudaErrorMemoryAllocation", "out of memory", "CudaNative.cudaMalloc(out p, size)");
        Assert.Equal("CUDA runtime call failed: CudaNative.cudaMalloc(out p, size)\n  status 2 cudaErrorMemoryAllocation: out of memory", e.Message);
        Assert.Equal(2, e.Status);
        Assert.Null(e.Log);
    }

    [Fact]
    public void Nvrtc_exception_carries_the_program_log()
    {
        string log = "sourcegennn_kernels.cu(3): error: identifier \"foo\" is undefined\n\n1 error detected in the compilation.\n";
        var e = new CudaException(CudaLibrary.Nvrtc, 6, "NVRTC_ERROR_COMPILATION", "NVRTC_ERROR_COMPILATION", "nvrtcCompileProgram(--gpu-architecture=sm_90)", log);
        Assert.StartsWith("NVRTC call failed: nvrtcCompileProgram(--gpu-architecture=sm_90)\n  status 6 NVRTC_ERROR_COMPILATION", e.Message);
        Assert.EndsWith("  program log:\nsourcegennn_kernels.cu(3): error: identifier \"foo\" is undefined\n\n1 error detected in the compilation.", e.Message);
        Assert.Equal(log, e.Log);
    }

    [Fact]
    public void Check_helper_records_the_call_text_and_falls_back_on_the_name_table()
    {
        // No CUDA on a test machine (or a fake status the library would not know): the table names the status.
        var e = Assert.Throws<CudaException>(() => Check.Cublas(FakeStatus(13)));
        Assert.Equal("FakeStatus(13)", e.Call);
        Assert.Equal(CudaLibrary.Cublas, e.Library);
        Assert.Equal("CUBLAS_STATUS_EXECUTION_FAILED", e.ErrorName);
        Assert.Contains("cuBLAS call failed: FakeStatus(13)", e.Message);
    }

    [Fact]
    public void Check_helper_does_nothing_on_success()
    {
        Check.Runtime(FakeStatus(0));
        Check.Nvrtc(FakeStatus(0), "log");
    }

    [Theory]
    [InlineData(CudaLibrary.Cublas, 7, "CUBLAS_STATUS_INVALID_VALUE")]
    [InlineData(CudaLibrary.Nvrtc, 5, "NVRTC_ERROR_INVALID_OPTION")]
    [InlineData(CudaLibrary.Runtime, 100, "cudaErrorNoDevice")]
    [InlineData(CudaLibrary.Driver, 209, "CUDA_ERROR_NO_BINARY_FOR_GPU")]
    [InlineData(CudaLibrary.Driver, 4242, "unknown status 4242")]
    public void Name_table_knows_the_common_statuses(CudaLibrary library, int status, string name) =>
        Assert.Equal(name, CudaErrorText.TableName(library, status));

    [Fact]
    public void Unavailable_exception_says_which_library_and_where_it_looked()
    {
        var search = new List<CudaSearchEntry> { new("/opt/cuda/lib64", "$CUDA_HOME"), new(null, "bare soname") };
        var e = new CudaUnavailableException(CudaLibraries.FormatMissing("libcublas.so.13", search));
        Assert.Equal(
            "CUDA is not available: libcublas.so.13 was not found. Looked in:\n" +
            "  /opt/cuda/lib64  [$CUDA_HOME]\n" +
            "  (bare soname: system loader)  [bare soname]\n" +
            "Set SOURCEGENNN_CUDA_LIBDIR to the folder(s) holding the CUDA libraries (a colon list).", e.Message);
    }

    private static int FakeStatus(int s) => s;
}
