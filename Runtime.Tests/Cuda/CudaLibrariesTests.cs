using System;
using System.Collections.Generic;
using System.Linq;
using SourceGenNN.Cuda;
using Xunit;

namespace SourceGenNN.Tests.Cuda;

public class CudaLibrariesTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars)
    {
        var d = vars.ToDictionary(v => v.Key, v => v.Value);
        return k => d.TryGetValue(k, out var v) ? v : null;
    }

    [Fact]
    public void Search_list_without_variables_is_the_default_order_ending_in_the_bare_soname()
    {
        var dirs = CudaLibraries.SearchList(Env(), 13).Select(e => e.Directory).ToArray();
        Assert.Equal(new string?[]
        {
            "/usr/local/cuda/lib64",
            "/usr/local/cuda-*/lib64",
            "/opt/torch/.venv/lib/python3*/site-packages/nvidia/cu13/lib",
            "/usr/local/lib/python3*/site-packages/nvidia/cu13/lib",
            "/usr/local/lib/python3*/dist-packages/nvidia/cu13/lib",
            "/usr/local/nvidia/lib64",
            "/usr/lib/x86_64-linux-gnu",
            null,
        }, dirs);
    }

    [Fact]
    public void Explicit_libdir_comes_first_then_the_cuda_roots_in_order()
    {
        var list = CudaLibraries.SearchList(Env(
            ("SOURCEGENNN_CUDA_LIBDIR", "/a/lib::/b/lib/"),
            ("CUDA_PATH", "/cuda/path"),
            ("CUDA_HOME", "/cuda/home/"),
            ("CUDA_ROOT", "/cuda/root"),
            ("VIRTUAL_ENV", "/venv")), 13);
        Assert.Equal(new[]
        {
            ("/a/lib", "$SOURCEGENNN_CUDA_LIBDIR"),
            ("/b/lib", "$SOURCEGENNN_CUDA_LIBDIR"),
            ("/cuda/home/lib64", "$CUDA_HOME"),
            ("/cuda/home/targets/x86_64-linux/lib", "$CUDA_HOME"),
            ("/cuda/path/lib64", "$CUDA_PATH"),
            ("/cuda/path/targets/x86_64-linux/lib", "$CUDA_PATH"),
            ("/cuda/root/lib64", "$CUDA_ROOT"),
            ("/cuda/root/targets/x86_64-linux/lib", "$CUDA_ROOT"),
            ("/usr/local/cuda/lib64", "default"),
            ("/usr/local/cuda-*/lib64", "default"),
            ("/venv/lib/python3*/site-packages/nvidia/cu13/lib", "$VIRTUAL_ENV"),
        }, list.Take(11).Select(e => (e.Directory!, e.Origin)).ToArray());
    }

    [Fact]
    public void Cuda12_also_searches_the_per_library_wheel_folders()
    {
        var dirs = CudaLibraries.SearchList(Env(), 12).Select(e => e.Directory).ToList();
        Assert.Contains("/opt/torch/.venv/lib/python3*/site-packages/nvidia/cu12/lib", dirs);
        Assert.Contains("/opt/torch/.venv/lib/python3*/site-packages/nvidia/cublas/lib", dirs);
        Assert.Contains("/opt/torch/.venv/lib/python3*/site-packages/nvidia/cuda_nvrtc/lib", dirs);
        Assert.DoesNotContain(dirs, d => d is not null && d.Contains("cu13", StringComparison.Ordinal));
    }

    [Fact]
    public void Duplicate_directories_are_listed_once()
    {
        var list = CudaLibraries.SearchList(Env(("SOURCEGENNN_CUDA_LIBDIR", "/usr/local/cuda/lib64"), ("CUDA_HOME", "/usr/local/cuda")), 13);
        Assert.Single(list, e => e.Directory == "/usr/local/cuda/lib64");
        Assert.Equal("$SOURCEGENNN_CUDA_LIBDIR", list[0].Origin);
    }

    [Theory]
    [InlineData("cudart", 13, "libcudart.so.13")]
    [InlineData("cublas", 12, "libcublas.so.12")]
    [InlineData("cublasLt", 13, "libcublasLt.so.13")]
    [InlineData("nvrtc", 13, "libnvrtc.so.13")]
    [InlineData("cuda", 13, "libcuda.so.1")]
    public void File_names_follow_the_soname_convention(string logical, int major, string file) =>
        Assert.Equal(file, CudaLibraries.FileName(logical, major));

    [Fact]
    public void Wildcards_expand_against_the_file_system_newest_first()
    {
        string root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sgnn-cuda-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (string v in new[] { "cuda-12.4", "cuda-13.0", "other" })
                System.IO.Directory.CreateDirectory(System.IO.Path.Combine(root, v, "lib64"));
            var expanded = CudaLibraries.Expand(root + "/cuda-*/lib64").ToArray();
            Assert.Equal(new[] { root + "/cuda-13.0/lib64", root + "/cuda-12.4/lib64" }, expanded);
        }
        finally
        {
            System.IO.Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Probe_never_throws_and_explains_itself()
    {
        string? reason = SourceGenNN.Cuda.Cuda.UnavailableReason();
        // On a machine with a GPU the probe says null; elsewhere the reason is a sentence, never empty.
        if (reason is not null) Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.Equal(reason is null, SourceGenNN.Cuda.Cuda.IsAvailable);
    }
}
