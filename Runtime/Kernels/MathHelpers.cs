using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SourceGenNN.Kernels;

/// <summary>Special functions the activations need, at every vector width.</summary>
public static class MathHelpers
{
    /// <summary>1/√2.</summary>
    public const float InvSqrt2 = 0.70710678118654752f;

    /// <summary>1/√(2π).</summary>
    public const float InvSqrt2Pi = 0.39894228040143268f;

    // erf(x) ≈ 1 − (a₁t + a₂t² + a₃t³ + a₄t⁴ + a₅t⁵)·e^(−x²), t = 1/(1 + p·|x|), sign restored after
    // (Abramowitz & Stegun 7.1.26; absolute error below 1.5e-7, under float's resolution near 1).
    private const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    /// <summary>The error function.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x)
    {
        float ax = MathF.Abs(x);
        float t = 1f / (1f + P * ax);
        float poly = ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t;
        return MathF.CopySign(1f - poly * MathF.Exp(-ax * ax), x);
    }

    /// <summary>The error function, 4 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Erf(Vector128<float> x)
    {
        var ax = Vector128.Abs(x);
        var t = Vector128.Create(1f) / (Vector128.Create(1f) + Vector128.Create(P) * ax);
        var poly = ((((Vector128.Create(A5) * t + Vector128.Create(A4)) * t + Vector128.Create(A3)) * t + Vector128.Create(A2)) * t + Vector128.Create(A1)) * t;
        return Vector128.CopySign(Vector128.Create(1f) - poly * Vector128.Exp(-(ax * ax)), x);
    }

    /// <summary>The error function, 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var t = Vector256.Create(1f) / (Vector256.Create(1f) + Vector256.Create(P) * ax);
        var poly = ((((Vector256.Create(A5) * t + Vector256.Create(A4)) * t + Vector256.Create(A3)) * t + Vector256.Create(A2)) * t + Vector256.Create(A1)) * t;
        return Vector256.CopySign(Vector256.Create(1f) - poly * Vector256.Exp(-(ax * ax)), x);
    }

    /// <summary>The error function, 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erf(Vector512<float> x)
    {
        var ax = Vector512.Abs(x);
        var t = Vector512.Create(1f) / (Vector512.Create(1f) + Vector512.Create(P) * ax);
        var poly = ((((Vector512.Create(A5) * t + Vector512.Create(A4)) * t + Vector512.Create(A3)) * t + Vector512.Create(A2)) * t + Vector512.Create(A1)) * t;
        return Vector512.CopySign(Vector512.Create(1f) - poly * Vector512.Exp(-(ax * ax)), x);
    }

    // Near 0, e^z − 1 and 1 − 2/(e^(2z) + 1) cancel: most of their bits are lost. Below |z| = 1/16 short Taylor series
    // are used instead (their first omitted terms are below float's resolution there).
    private const float SmallZ = 0.0625f;

    /// <summary>e^z − 1, accurate near 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Expm1(float z) =>
        MathF.Abs(z) < SmallZ ? z * (1f + z * (0.5f + z * (1f / 6f + z * (1f / 24f + z * (1f / 120f))))) : MathF.Exp(z) - 1f;

    /// <summary>e^z − 1, accurate near 0, 4 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Expm1(Vector128<float> z)
    {
        var poly = z * (Vector128.Create(1f) + z * (Vector128.Create(0.5f) + z * (Vector128.Create(1f / 6f) + z * (Vector128.Create(1f / 24f) + z * Vector128.Create(1f / 120f)))));
        return Vector128.ConditionalSelect(Vector128.LessThan(Vector128.Abs(z), Vector128.Create(SmallZ)), poly, Vector128.Exp(z) - Vector128.Create(1f));
    }

    /// <summary>tanh z, accurate near 0 and saturating without NaN, 4 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Tanh(Vector128<float> z)
    {
        var az = Vector128.Abs(z);
        var far = Vector128.CopySign(Vector128.Create(1f) - Vector128.Create(2f) / (Vector128.Exp(az + az) + Vector128.Create(1f)), z);
        var z2 = z * z;
        var near = z * (Vector128.Create(1f) + z2 * (Vector128.Create(-1f / 3f) + z2 * (Vector128.Create(2f / 15f) + z2 * Vector128.Create(-17f / 315f))));
        return Vector128.ConditionalSelect(Vector128.LessThan(az, Vector128.Create(SmallZ)), near, far);
    }

    /// <summary>e^z − 1, accurate near 0, 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Expm1(Vector256<float> z)
    {
        var poly = z * (Vector256.Create(1f) + z * (Vector256.Create(0.5f) + z * (Vector256.Create(1f / 6f) + z * (Vector256.Create(1f / 24f) + z * Vector256.Create(1f / 120f)))));
        return Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(z), Vector256.Create(SmallZ)), poly, Vector256.Exp(z) - Vector256.Create(1f));
    }

    /// <summary>tanh z, accurate near 0 and saturating without NaN, 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> z)
    {
        var az = Vector256.Abs(z);
        var far = Vector256.CopySign(Vector256.Create(1f) - Vector256.Create(2f) / (Vector256.Exp(az + az) + Vector256.Create(1f)), z);
        var z2 = z * z;
        var near = z * (Vector256.Create(1f) + z2 * (Vector256.Create(-1f / 3f) + z2 * (Vector256.Create(2f / 15f) + z2 * Vector256.Create(-17f / 315f))));
        return Vector256.ConditionalSelect(Vector256.LessThan(az, Vector256.Create(SmallZ)), near, far);
    }

    /// <summary>e^z − 1, accurate near 0, 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Expm1(Vector512<float> z)
    {
        var poly = z * (Vector512.Create(1f) + z * (Vector512.Create(0.5f) + z * (Vector512.Create(1f / 6f) + z * (Vector512.Create(1f / 24f) + z * Vector512.Create(1f / 120f)))));
        return Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(z), Vector512.Create(SmallZ)), poly, Vector512.Exp(z) - Vector512.Create(1f));
    }

    /// <summary>tanh z, accurate near 0 and saturating without NaN, 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> z)
    {
        var az = Vector512.Abs(z);
        var far = Vector512.CopySign(Vector512.Create(1f) - Vector512.Create(2f) / (Vector512.Exp(az + az) + Vector512.Create(1f)), z);
        var z2 = z * z;
        var near = z * (Vector512.Create(1f) + z2 * (Vector512.Create(-1f / 3f) + z2 * (Vector512.Create(2f / 15f) + z2 * Vector512.Create(-17f / 315f))));
        return Vector512.ConditionalSelect(Vector512.LessThan(az, Vector512.Create(SmallZ)), near, far);
    }
}
