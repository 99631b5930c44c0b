using System;
using SourceGenNN.Cuda;
using Xunit;

namespace SourceGenNN.Tests.Cuda;

/// <summary>Tests that need a GPU: skipped elsewhere, failing when SOURCEGENNN_REQUIRE_GPU=1 and there is none.</summary>
public class CudaDeviceTests
{
    [GpuFact]
    public void Sgemm_on_the_device_matches_a_double_precision_product()
    {
        using var gpu = CudaDevice.Open();
        var r = new Random(5);
        int m = 17, n = 9, k = 33;
        var a = new float[m * k];
        var w = new float[n * k]; // stored [n, k]: the dense layer's W[out, in]
        for (int i = 0; i < a.Length; i++) a[i] = (float)(r.NextDouble() - 0.5);
        for (int i = 0; i < w.Length; i++) w[i] = (float)(r.NextDouble() - 0.5);
        using var da = new DeviceBuffer(a.Length);
        using var dw = new DeviceBuffer(w.Length);
        using var dc = new DeviceBuffer(m * n);
        da.Upload(a);
        dw.Upload(w);
        RowMajorGemm.Run(gpu, false, true, m, n, k, 1f, da.Pointer, dw.Pointer, 0f, dc.Pointer);
        gpu.Synchronize();
        float[] c = dc.ToArray();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[i * k + p] * w[j * k + p];
                Assert.True(Math.Abs(c[i * n + j] - s) <= 1e-3 * (1 + Math.Abs(s)), $"C[{i},{j}] = {c[i * n + j]}, expected {s}");
            }
    }

    [GpuFact]
    public void Compile_error_throws_with_the_program_log()
    {
        using var gpu = CudaDevice.Open();
        var e = Assert.Throws<CudaException>(() => CudaModule.Load(gpu, "extern \"C\" __global__ void broken() { undefined_name(); }"));
        Assert.Equal(CudaLibrary.Nvrtc, e.Library);
        Assert.Contains("undefined_name", e.Log);
    }
}
