// Activation operators: each is the value and the derivative of one activation, at every vector width.
// Vector bodies use the cross-platform Vector128/256/512 operators; kernels pick the width once per call.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SourceGenNN.Kernels;

/// <summary>The identity: f(z) = z, f'(z) = 1.</summary>
public readonly struct IdentityOperator : IActivationOperator
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float z) { return z; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> z) { return z; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> z) { return z; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> z) { return z; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float z, float a) { return 1f; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Derivative(Vector128<float> z, Vector128<float> a) { return Vector128.Create(1f); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> z, Vector256<float> a) { return Vector256.Create(1f); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> z, Vector512<float> a) { return Vector512.Create(1f); }
}

/// <summary>
/// ReLU: f(z) = max(0, z); f'(z) = 1 for z &gt; 0, else 0 (PyTorch's choice at 0). NaN stays NaN with f'(NaN) = 1, as in
/// PyTorch, on every path: each body tests z ≤ 0 (false for NaN) rather than relying on a Max, whose NaN behaviour
/// differs between the scalar and the vector forms.
/// </summary>
public readonly struct ReluOperator : IActivationOperator
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float z) { return z <= 0f ? 0f : z; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> z) { return Vector128.AndNot(z, Vector128.LessThanOrEqual(z, Vector128<float>.Zero)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> z) { return Vector256.AndNot(z, Vector256.LessThanOrEqual(z, Vector256<float>.Zero)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> z) { return Vector512.AndNot(z, Vector512.LessThanOrEqual(z, Vector512<float>.Zero)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float z, float a) { return z <= 0f ? 0f : 1f; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Derivative(Vector128<float> z, Vector128<float> a) { return Vector128.AndNot(Vector128.Create(1f), Vector128.LessThanOrEqual(z, Vector128<float>.Zero)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> z, Vector256<float> a) { return Vector256.AndNot(Vector256.Create(1f), Vector256.LessThanOrEqual(z, Vector256<float>.Zero)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> z, Vector512<float> a) { return Vector512.AndNot(Vector512.Create(1f), Vector512.LessThanOrEqual(z, Vector512<float>.Zero)); }
}

/// <summary>
/// Leaky ReLU: f(z) = z for z ≥ 0, slope·z otherwise; f'(z) = 1 for z &gt; 0, else slope. NaN gives NaN with
/// f'(NaN) = slope, as in PyTorch, on every path.
/// </summary>
public readonly struct LeakyReluOperator(float slope) : IActivationOperator
{
    /// <summary>The operator's parameter.</summary>
    public float Slope { get; } = slope;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float z) { return z >= 0f ? z : Slope * z; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> z) { return Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(z, Vector128<float>.Zero), z, z * Vector128.Create(Slope)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> z) { return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(z, Vector256<float>.Zero), z, z * Vector256.Create(Slope)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> z) { return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(z, Vector512<float>.Zero), z, z * Vector512.Create(Slope)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float z, float a) { return z > 0f ? 1f : Slope; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Derivative(Vector128<float> z, Vector128<float> a) { return Vector128.ConditionalSelect(Vector128.GreaterThan(z, Vector128<float>.Zero), Vector128.Create(1f), Vector128.Create(Slope)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> z, Vector256<float> a) { return Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<float>.Zero), Vector256.Create(1f), Vector256.Create(Slope)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> z, Vector512<float> a) { return Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), Vector512.Create(1f), Vector512.Create(Slope)); }
}

/// <summary>Sigmoid: f(z) = 1 / (1 + e⁻ᶻ); f'(z) = a·(1 − a). Saturates to 0 or 1 without NaN for any finite z.</summary>
public readonly struct SigmoidOperator : IActivationOperator
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float z) { return 1f / (1f + MathF.Exp(-z)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> z) { return Vector128.Create(1f) / (Vector128.Create(1f) + Vector128.Exp(-z)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> z) { return Vector256.Create(1f) / (Vector256.Create(1f) + Vector256.Exp(-z)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> z) { return Vector512.Create(1f) / (Vector512.Create(1f) + Vector512.Exp(-z)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float z, float a) { return a * (1f - a); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Derivative(Vector128<float> z, Vector128<float> a) { return a * (Vector128.Create(1f) - a); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> z, Vector256<float> a) { return a * (Vector256.Create(1f) - a); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> z, Vector512<float> a) { return a * (Vector512.Create(1f) - a); }
}

/// <summary>Tanh: f(z) = tanh z (vectors: 1 − 2/(e²|ᶻ| + 1) with the sign restored, a series near 0); f'(z) = 1 − a².</summary>
public readonly struct TanhOperator : IActivationOperator
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float z) { return MathF.Tanh(z); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> z) { return MathHelpers.Tanh(z); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> z) { return MathHelpers.Tanh(z); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> z) { return MathHelpers.Tanh(z); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float z, float a) { return 1f - a * a; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Derivative(Vector128<float> z, Vector128<float> a) { return Vector128.Create(1f) - a * a; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> z, Vector256<float> a) { return Vector256.Create(1f) - a * a; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> z, Vector512<float> a) { return Vector512.Create(1f) - a * a; }
}

/// <summary>
/// ELU: f(z) = z for z &gt; 0, α(eᶻ − 1) otherwise; f'(z) = 1 or α·eᶻ (= a + α). NaN takes the z &gt; 0 branch, as in
/// PyTorch: f(NaN) = NaN, f'(NaN) = 1, on every path.
/// </summary>
public readonly struct EluOperator(float alpha) : IActivationOperator
{
    /// <summary>The operator's parameter.</summary>
    public float Alpha { get; } = alpha;

    // Every body selects on z ≤ 0, which is false for NaN, so a NaN lane keeps z itself. The vector bodies compute
    // e^z − 1 in every lane; where z is large it overflows to +∞ in lanes the select then discards.

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float z) { return z <= 0f ? Alpha * MathHelpers.Expm1(z) : z; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> z) { return Vector128.ConditionalSelect(Vector128.LessThanOrEqual(z, Vector128<float>.Zero), Vector128.Create(Alpha) * MathHelpers.Expm1(z), z); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> z) { return Vector256.ConditionalSelect(Vector256.LessThanOrEqual(z, Vector256<float>.Zero), Vector256.Create(Alpha) * MathHelpers.Expm1(z), z); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> z) { return Vector512.ConditionalSelect(Vector512.LessThanOrEqual(z, Vector512<float>.Zero), Vector512.Create(Alpha) * MathHelpers.Expm1(z), z); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float z, float a) { return z <= 0f ? a + Alpha : 1f; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Derivative(Vector128<float> z, Vector128<float> a) { return Vector128.ConditionalSelect(Vector128.LessThanOrEqual(z, Vector128<float>.Zero), a + Vector128.Create(Alpha), Vector128.Create(1f)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> z, Vector256<float> a) { return Vector256.ConditionalSelect(Vector256.LessThanOrEqual(z, Vector256<float>.Zero), a + Vector256.Create(Alpha), Vector256.Create(1f)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> z, Vector512<float> a) { return Vector512.ConditionalSelect(Vector512.LessThanOrEqual(z, Vector512<float>.Zero), a + Vector512.Create(Alpha), Vector512.Create(1f)); }
}

/// <summary>SiLU (swish): f(z) = z·σ(z); f'(z) = σ(z)·(1 + z·(1 − σ(z))).</summary>
public readonly struct SiluOperator : IActivationOperator
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float z) { return z / (1f + MathF.Exp(-z)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> z) { return z * (Vector128.Create(1f) / (Vector128.Create(1f) + Vector128.Exp(-z))); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> z) { return z * (Vector256.Create(1f) / (Vector256.Create(1f) + Vector256.Exp(-z))); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> z) { return z * (Vector512.Create(1f) / (Vector512.Create(1f) + Vector512.Exp(-z))); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float z, float a) { float s = 1f / (1f + MathF.Exp(-z)); return s * (1f + z * (1f - s)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Derivative(Vector128<float> z, Vector128<float> a) { var s = Vector128.Create(1f) / (Vector128.Create(1f) + Vector128.Exp(-z)); return s * (Vector128.Create(1f) + z * (Vector128.Create(1f) - s)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> z, Vector256<float> a) { var s = Vector256.Create(1f) / (Vector256.Create(1f) + Vector256.Exp(-z)); return s * (Vector256.Create(1f) + z * (Vector256.Create(1f) - s)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> z, Vector512<float> a) { var s = Vector512.Create(1f) / (Vector512.Create(1f) + Vector512.Exp(-z)); return s * (Vector512.Create(1f) + z * (Vector512.Create(1f) - s)); }
}

/// <summary>GELU (exact): f(z) = z·Φ(z) with Φ the normal CDF; f'(z) = Φ(z) + z·φ(z).</summary>
public readonly struct GeluOperator : IActivationOperator
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float z) { return 0.5f * z * (1f + MathHelpers.Erf(z * MathHelpers.InvSqrt2)); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> z) { return Vector128.Create(0.5f) * z * (Vector128.Create(1f) + MathHelpers.Erf(z * Vector128.Create(MathHelpers.InvSqrt2))); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> z) { return Vector256.Create(0.5f) * z * (Vector256.Create(1f) + MathHelpers.Erf(z * Vector256.Create(MathHelpers.InvSqrt2))); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> z) { return Vector512.Create(0.5f) * z * (Vector512.Create(1f) + MathHelpers.Erf(z * Vector512.Create(MathHelpers.InvSqrt2))); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float z, float a) { return 0.5f * (1f + MathHelpers.Erf(z * MathHelpers.InvSqrt2)) + z * MathHelpers.InvSqrt2Pi * MathF.Exp(-0.5f * z * z); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Derivative(Vector128<float> z, Vector128<float> a) { return Vector128.Create(0.5f) * (Vector128.Create(1f) + MathHelpers.Erf(z * Vector128.Create(MathHelpers.InvSqrt2))) + z * Vector128.Create(MathHelpers.InvSqrt2Pi) * Vector128.Exp(Vector128.Create(-0.5f) * z * z); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Derivative(Vector256<float> z, Vector256<float> a) { return Vector256.Create(0.5f) * (Vector256.Create(1f) + MathHelpers.Erf(z * Vector256.Create(MathHelpers.InvSqrt2))) + z * Vector256.Create(MathHelpers.InvSqrt2Pi) * Vector256.Exp(Vector256.Create(-0.5f) * z * z); }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Derivative(Vector512<float> z, Vector512<float> a) { return Vector512.Create(0.5f) * (Vector512.Create(1f) + MathHelpers.Erf(z * Vector512.Create(MathHelpers.InvSqrt2))) + z * Vector512.Create(MathHelpers.InvSqrt2Pi) * Vector512.Exp(Vector512.Create(-0.5f) * z * z); }
}
