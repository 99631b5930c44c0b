using System;
using SourceGenNN.Cuda;
using Xunit;

namespace SourceGenNN.Tests.Cuda;

/// <summary>The element-wise activations alone (each its own GPU step), for NaN and ±∞ through the CUDA kernels.</summary>
[Network(24)]
[ReLU(Name = "relu", Input = "input")]
[ELU(1.3, Name = "elu", Input = "input")]
[LeakyReLU(0.07, Name = "leaky", Input = "input")]
[RReLU(Name = "rrelu", Input = "input")]
[Concat("relu", "elu", "leaky")]
public partial class CudaNonFiniteActivations { }

/// <summary>A dense layer with the ReLU fused into its bias kernel.</summary>
[Network(3)]
[Dense(8)] [ReLU]
public partial class CudaNonFiniteDenseRelu { }

/// <summary>NaN through the GPU kernels, as through the CPU's: NaN in, NaN out (PyTorch's semantics).</summary>
public class NonFiniteCudaTests
{
    private static float[] Inputs()
    {
        var z = new float[24];
        for (int i = 0; i < z.Length; i++) z[i] = (i % 5 - 2) * 0.75f;
        z[1] = float.NaN;
        z[6] = float.PositiveInfinity;
        z[7] = float.NegativeInfinity;
        z[13] = float.NaN;
        return z;
    }

    private static void AssertSame(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i]) || float.IsInfinity(expected[i])) Assert.True(expected[i].Equals(actual[i]), $"{what}[{i}]: GPU {actual[i]}, CPU {expected[i]}");
            else Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"{what}[{i}]: GPU {actual[i]}, CPU {expected[i]}");
        }
    }

    [GpuFact]
    public void ReLU_ELU_LeakyReLU_and_RReLU_keep_NaN_on_the_gpu_as_on_the_cpu()
    {
        // Before: the GPU's ReLU was z > 0 ? z : 0, which gave 0 for NaN. (Evaluation mode: RReLU is then a leaky ReLU
        // with the mean slope; its training kernel's NaN branch is the CPU kernel's, tested there.)
        using var gpu = CudaDevice.Open();
        var cpu = new CudaNonFiniteActivations(seed: 1);
        var x = Inputs();
        using var net = CudaNetwork.Create(gpu, cpu, null, 1);
        var expected = new float[cpu.Description.OutputSize];
        var actual = new float[expected.Length];
        cpu.Forward(x, expected, 1);
        net.Forward(x, actual, 1);
        AssertSame(expected, actual, "output");
        Assert.True(float.IsNaN(actual[24 + 1]) && float.IsNaN(actual[24 + 13]), "ReLU(NaN)"); // after rrelu's 24
    }

    [GpuFact]
    public void A_dense_layer_with_a_fused_ReLU_passes_NaN_on()
    {
        using var gpu = CudaDevice.Open();
        var cpu = new CudaNonFiniteDenseRelu(seed: 2);
        using var net = CudaNetwork.Create(gpu, cpu, null, 2);
        float[] x = [0.5f, float.NaN, -1f, 1f, 2f, 3f];
        var expected = new float[16];
        var actual = new float[16];
        cpu.Forward(x, expected, 2);
        net.Forward(x, actual, 2);
        for (int i = 0; i < 8; i++) Assert.True(float.IsNaN(actual[i]), $"sample 0, unit {i}: {actual[i]}");
        AssertSame(expected, actual, "output");
    }
}
