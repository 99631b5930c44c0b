using System;
using System.Text.RegularExpressions;

namespace SourceGenNN.Cuda;

/// <summary>An element-wise activation the CUDA kernels implement (fused after a dense layer, or on its own).</summary>
public enum CudaActivation
{
    /// <summary>f(z) = z.</summary>
    Identity,
    /// <summary>max(0, z).</summary>
    ReLU,
    /// <summary>1 / (1 + e⁻ᶻ).</summary>
    Sigmoid,
    /// <summary>tanh z.</summary>
    Tanh,
    /// <summary>z for z ≥ 0, slope·z otherwise.</summary>
    LeakyReLU,
    /// <summary>z for z &gt; 0, α(eᶻ − 1) otherwise.</summary>
    ELU,
    /// <summary>z·Φ(z) (exact, with erf).</summary>
    GELU,
    /// <summary>z·σ(z).</summary>
    SiLU,
}

/// <summary>The activations' CUDA C: each one's value and derivative, and the kernels built from them.</summary>
internal static class CudaActivations
{
    /// <summary>The activation of an element-wise layer kind and its parameter (slope, alpha), or false.</summary>
    public static bool TryGet(LayerDescription layer, out CudaActivation activation, out float parameter)
    {
        parameter = 0f;
        switch (layer.Kind)
        {
            case LayerKindNames.ReLU: activation = CudaActivation.ReLU; return true;
            case LayerKindNames.Sigmoid: activation = CudaActivation.Sigmoid; return true;
            case LayerKindNames.Tanh: activation = CudaActivation.Tanh; return true;
            case LayerKindNames.GELU: activation = CudaActivation.GELU; return true;
            case LayerKindNames.SiLU: activation = CudaActivation.SiLU; return true;
            case LayerKindNames.LeakyReLU:
                activation = CudaActivation.LeakyReLU;
                parameter = (float)layer.Double("slope");
                return true;
            case LayerKindNames.ELU:
                activation = CudaActivation.ELU;
                parameter = (float)layer.Double("alpha");
                return true;
            default:
                activation = CudaActivation.Identity;
                return false;
        }
    }

    /// <summary>The forward kernel of an activation: <c>sgnn_relu_forward</c>.</summary>
    public static string ForwardKernel(CudaActivation a) => "sgnn_" + Snake(a) + "_forward";

    /// <summary>The backward kernel of an activation: <c>sgnn_relu_backward</c>.</summary>
    public static string BackwardKernel(CudaActivation a) => "sgnn_" + Snake(a) + "_backward";

    /// <summary>Adds the forward kernel of <paramref name="a"/>.</summary>
    public static void AddForward(CudaSourceBuilder b, CudaActivation a) => b.Kernel(ForwardKernel(a), ForwardTemplate(a));

    /// <summary>Adds the backward kernel of <paramref name="a"/>.</summary>
    public static void AddBackward(CudaSourceBuilder b, CudaActivation a) => b.Kernel(BackwardKernel(a), BackwardTemplate(a));

    private static string Snake(CudaActivation a) => a switch
    {
        CudaActivation.Identity => "identity",
        CudaActivation.ReLU => "relu",
        CudaActivation.Sigmoid => "sigmoid",
        CudaActivation.Tanh => "tanh",
        CudaActivation.LeakyReLU => "leaky_relu",
        CudaActivation.ELU => "elu",
        CudaActivation.GELU => "gelu",
        CudaActivation.SiLU => "silu",
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, null),
    };

    private static (string Value, string Derivative) Formula(CudaActivation a) => a switch
    {
        CudaActivation.Identity => ("z", "1.0f"),
        // ReLU and ELU test z <= 0, false for NaN: NaN stays NaN with f'(NaN) = 1, as in PyTorch and on the CPU.
        CudaActivation.ReLU => ("z <= 0.0f ? 0.0f : z", "z <= 0.0f ? 0.0f : 1.0f"),
        CudaActivation.Sigmoid => ("1.0f / (1.0f + expf(-z))", "a * (1.0f - a)"),
        CudaActivation.Tanh => ("tanhf(z)", "1.0f - a * a"),
        CudaActivation.LeakyReLU => ("z >= 0.0f ? z : p * z", "z > 0.0f ? 1.0f : p"),
        CudaActivation.ELU => ("z <= 0.0f ? p * (expf(z) - 1.0f) : z", "z <= 0.0f ? a + p : 1.0f"),
        CudaActivation.GELU => ("0.5f * z * (1.0f + erff(z * 0.70710678118654752f))",
            "0.5f * (1.0f + erff(z * 0.70710678118654752f)) + z * 0.39894228040143268f * expf(-0.5f * z * z)"),
        CudaActivation.SiLU => ("z / (1.0f + expf(-z))", "sgnn_silu_d(z)"),
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, null),
    };

    private static string ForwardTemplate(CudaActivation a)
    {
        string value = Formula(a).Value;
        return $$"""
// z[r, c] += bias[c] (when bias is not null; z then keeps the pre-activation for backward), a = {{Snake(a)}}(z). p: the parameter.
extern "C" __global__ void $NAME(float* z, const float* bias, float* a, int rows, int cols, float p)
{
    SGNN_LOOP(i, (long long)rows * cols)
    {
        float v = z[i];
        if (bias != 0)
        {
            v += bias[i % cols];
            z[i] = v;
        }
        {
            float z = v;
            a[i] = {{value}};
        }
    }
}

""";
    }

    private static string BackwardTemplate(CudaActivation a)
    {
        string derivative = Formula(a).Derivative;
        string readA = Regex.IsMatch(derivative, @"\ba\b") ? "\n        float a = outs[i];" : "";
        string readZ = Regex.IsMatch(derivative, @"\bz\b") ? "\n        float z = zs[i];" : "";
        string helper = a == CudaActivation.SiLU ? """
__device__ __forceinline__ float sgnn_silu_d(float z)
{
    float s = 1.0f / (1.0f + expf(-z));
    return s * (1.0f + z * (1.0f - s));
}

""" : "";
        return helper + $$"""
// dz = da * {{Snake(a)}}'(z) given the forward input z and output a (dz may alias da).
extern "C" __global__ void $NAME(const float* zs, const float* outs, const float* da, float* dz, int n, float p)
{
    SGNN_LOOP(i, n)
    {{{readZ}}{{readA}}
        dz[i] = da[i] * ({{derivative}});
    }
}

""";
    }
}
