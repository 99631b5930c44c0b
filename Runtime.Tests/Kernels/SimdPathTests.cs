using System;
using System.Runtime.Intrinsics;
using Xunit;
using Xunit.Abstractions;

namespace SourceGenNN.Tests.Kernels;

/// <summary>
/// CI runs the numeric tests four times, switching vector widths off with DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0
/// and DOTNET_EnableHWIntrinsic=0, and says which path it expects in SOURCEGENNN_EXPECT_SIMD. This test proves the
/// switch took effect, so a green run really covered that path.
/// </summary>
public class SimdPathTests(ITestOutputHelper output)
{
    public static string ActivePath() =>
        Vector512.IsHardwareAccelerated ? "512" :
        Vector256.IsHardwareAccelerated ? "256" :
        Vector128.IsHardwareAccelerated ? "128" : "scalar";

    [Fact]
    public void The_expected_vector_path_is_the_active_one()
    {
        output.WriteLine($"active vector path: {ActivePath()}");
        string? expected = Environment.GetEnvironmentVariable("SOURCEGENNN_EXPECT_SIMD");
        if (string.IsNullOrEmpty(expected)) return; // a plain local run: any path is fine
        if (expected == "512-if-available")
        {
            // The unrestricted run: on a CPU with AVX-512 the widest path must be on.
            if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) Assert.Equal("512", ActivePath());
            return;
        }
        Assert.Equal(expected, ActivePath());
    }
}
