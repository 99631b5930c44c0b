using System;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>Inverted dropout: <c>y = x·m</c> with <c>m = 0</c> with probability p, else <c>1/(1 − p)</c>.</summary>
public static class Dropout
{
    /// <summary>Training-mode forward; the mask (0 or 1/(1 − p) per element) is kept for backward.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> mask, float p, ulong key)
    {
        float scale = 1f / (1f - p);
        for (int i = 0; i < x.Length; i++)
        {
            float m = CounterRandom.Uniform(key, (ulong)i) < p ? 0f : scale;
            mask[i] = m;
            y[i] = x[i] * m;
        }
    }

    /// <summary>Backward: <c>dx = dy·m</c>.</summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> mask, Span<float> dx)
    {
        for (int i = 0; i < dy.Length; i++) dx[i] = dy[i] * mask[i];
    }
}

/// <summary>
/// Randomised leaky ReLU in training mode: each negative element gets a slope drawn from U(lower, upper). NaN passes
/// through with slope 1, as PyTorch's <c>rrelu_with_noise</c> does.
/// </summary>
public static class RRelu
{
    /// <summary>Training-mode forward; the per-element derivative (1, or the drawn slope) is kept in <paramref name="slopes"/>.</summary>
    public static void ForwardTraining(ReadOnlySpan<float> z, Span<float> a, Span<float> slopes, float lower, float upper, ulong key)
    {
        for (int i = 0; i < z.Length; i++)
        {
            float v = z[i];
            if (!(v < 0f)) // z ≥ 0, or NaN
            {
                a[i] = v;
                slopes[i] = 1f;
            }
            else
            {
                float s = lower + (upper - lower) * CounterRandom.Uniform(key, (ulong)i);
                a[i] = s * v;
                slopes[i] = s;
            }
        }
    }

    /// <summary>Training-mode backward: <c>dz = da·slope</c>.</summary>
    public static void Backward(ReadOnlySpan<float> da, ReadOnlySpan<float> slopes, Span<float> dz)
    {
        for (int i = 0; i < da.Length; i++) dz[i] = da[i] * slopes[i];
    }
}

/// <summary>
/// Parametric ReLU with a learnable slope: one shared, or one per channel. A sample is [channels, inner] (inner = 1 for a
/// vector, whose features are its channels); element k of a sample has channel (k / inner) mod channels.
/// </summary>
public static class PRelu
{
    /// <summary><c>a = z</c> for z &gt; 0, else <c>α·z</c>; <paramref name="alpha"/> has 1 or <paramref name="channels"/> elements.</summary>
    public static void Forward(ReadOnlySpan<float> z, ReadOnlySpan<float> alpha, Span<float> a, int batch, int channels, int inner)
    {
        int f = channels * inner;
        Check(z.Length, a.Length, alpha.Length, batch, channels, f);
        bool shared = alpha.Length == 1;
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
            {
                float s = shared ? alpha[0] : alpha[c];
                int at = n * f + c * inner;
                for (int i = at; i < at + inner; i++)
                {
                    float v = z[i];
                    a[i] = v > 0f ? v : s * v;
                }
            }
    }

    /// <summary><c>dz = da</c> for z &gt; 0, else <c>α·da</c>; and <c>dα += Σ da·z</c> over the elements with z ≤ 0.</summary>
    public static void Backward(ReadOnlySpan<float> z, ReadOnlySpan<float> alpha, ReadOnlySpan<float> da, Span<float> dz, Span<float> dAlpha, int batch, int channels, int inner)
    {
        int f = channels * inner;
        Check(z.Length, dz.Length, alpha.Length, batch, channels, f);
        ThrowHelper.CheckAtLeast(da.Length, (long)batch * f, nameof(da));
        ThrowHelper.CheckLength(dAlpha.Length, alpha.Length, nameof(dAlpha), "the length of alpha");
        bool shared = alpha.Length == 1;
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
            {
                int k = shared ? 0 : c;
                float s = alpha[k];
                int at = n * f + c * inner;
                for (int i = at; i < at + inner; i++)
                {
                    float v = z[i];
                    if (v > 0f)
                    {
                        dz[i] = da[i];
                    }
                    else
                    {
                        dz[i] = s * da[i];
                        dAlpha[k] += da[i] * v;
                    }
                }
            }
    }

    private static void Check(int zLength, int outLength, int alphaLength, int batch, int channels, int features)
    {
        ThrowHelper.CheckAtLeast(zLength, (long)batch * features, "z");
        ThrowHelper.CheckAtLeast(outLength, (long)batch * features, "output");
        if (alphaLength != 1 && alphaLength != channels)
            ThrowHelper.ThrowLength("alpha", channels, alphaLength, "[1] or [channels]");
    }
}
