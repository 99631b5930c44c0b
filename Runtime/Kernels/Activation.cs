using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>Element-wise activation kernels: forward <c>a = f(z)</c> and backward <c>dz = da ⊙ f'(z)</c>.</summary>
public static class Activation
{
    /// <summary>
    /// a[i] = f(z[i]) for every element. <paramref name="z"/> and <paramref name="a"/> must not overlap: the last
    /// partial vector is handled by recomputing an overlapping full vector at the end, not by a scalar loop.
    /// </summary>
    public static void Forward<TOp>(TOp op, ReadOnlySpan<float> z, Span<float> a) where TOp : struct, IActivationOperator
    {
        int n = z.Length;
        ThrowHelper.CheckLength(a.Length, n, nameof(a), "the length of z");
        ThrowHelper.CheckNoOverlap(z, a, nameof(z), nameof(a));
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref float ar = ref MemoryMarshal.GetReference(a);
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            int i = 0;
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Invoke(Vector512.LoadUnsafe(ref zr, (nuint)i)).StoreUnsafe(ref ar, (nuint)i);
            if (i < n)
                op.Invoke(Vector512.LoadUnsafe(ref zr, (nuint)(n - Vector512<float>.Count))).StoreUnsafe(ref ar, (nuint)(n - Vector512<float>.Count));
            return;
        }
        if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            int i = 0;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Invoke(Vector256.LoadUnsafe(ref zr, (nuint)i)).StoreUnsafe(ref ar, (nuint)i);
            if (i < n)
                op.Invoke(Vector256.LoadUnsafe(ref zr, (nuint)(n - Vector256<float>.Count))).StoreUnsafe(ref ar, (nuint)(n - Vector256<float>.Count));
            return;
        }
        if (Vector128.IsHardwareAccelerated && n >= Vector128<float>.Count)
        {
            int i = 0;
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                op.Invoke(Vector128.LoadUnsafe(ref zr, (nuint)i)).StoreUnsafe(ref ar, (nuint)i);
            if (i < n)
                op.Invoke(Vector128.LoadUnsafe(ref zr, (nuint)(n - Vector128<float>.Count))).StoreUnsafe(ref ar, (nuint)(n - Vector128<float>.Count));
            return;
        }
        for (int i = 0; i < n; i++)
            Unsafe.Add(ref ar, i) = op.Invoke(Unsafe.Add(ref zr, i));
    }

    /// <summary>
    /// dz[i] = da[i] · f'(z[i]), given the forward pass's input <paramref name="z"/> and output <paramref name="a"/>.
    /// <paramref name="dz"/> must not overlap the inputs (the last partial vector is recomputed overlapping).
    /// </summary>
    public static void Backward<TOp>(TOp op, ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz)
        where TOp : struct, IActivationOperator
    {
        int n = z.Length;
        ThrowHelper.CheckLength(a.Length, n, nameof(a), "the length of z");
        ThrowHelper.CheckLength(da.Length, n, nameof(da), "the length of z");
        ThrowHelper.CheckLength(dz.Length, n, nameof(dz), "the length of z");
        ThrowHelper.CheckNoOverlap(z, dz, nameof(z), nameof(dz));
        ThrowHelper.CheckNoOverlap(a, dz, nameof(a), nameof(dz));
        ThrowHelper.CheckNoOverlap(da, dz, nameof(da), nameof(dz));
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float gr = ref MemoryMarshal.GetReference(da);
        ref float dr = ref MemoryMarshal.GetReference(dz);
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            int i = 0;
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                Step512(op, ref zr, ref ar, ref gr, ref dr, (nuint)i);
            if (i < n) Step512(op, ref zr, ref ar, ref gr, ref dr, (nuint)(n - Vector512<float>.Count));
            return;
        }
        if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            int i = 0;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                Step256(op, ref zr, ref ar, ref gr, ref dr, (nuint)i);
            if (i < n) Step256(op, ref zr, ref ar, ref gr, ref dr, (nuint)(n - Vector256<float>.Count));
            return;
        }
        if (Vector128.IsHardwareAccelerated && n >= Vector128<float>.Count)
        {
            int i = 0;
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                Step128(op, ref zr, ref ar, ref gr, ref dr, (nuint)i);
            if (i < n) Step128(op, ref zr, ref ar, ref gr, ref dr, (nuint)(n - Vector128<float>.Count));
            return;
        }
        for (int i = 0; i < n; i++)
            Unsafe.Add(ref dr, i) = Unsafe.Add(ref gr, i) * op.Derivative(Unsafe.Add(ref zr, i), Unsafe.Add(ref ar, i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step512<TOp>(TOp op, ref float z, ref float a, ref float da, ref float dz, nuint i) where TOp : struct, IActivationOperator =>
        (Vector512.LoadUnsafe(ref da, i) * op.Derivative(Vector512.LoadUnsafe(ref z, i), Vector512.LoadUnsafe(ref a, i))).StoreUnsafe(ref dz, i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step256<TOp>(TOp op, ref float z, ref float a, ref float da, ref float dz, nuint i) where TOp : struct, IActivationOperator =>
        (Vector256.LoadUnsafe(ref da, i) * op.Derivative(Vector256.LoadUnsafe(ref z, i), Vector256.LoadUnsafe(ref a, i))).StoreUnsafe(ref dz, i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step128<TOp>(TOp op, ref float z, ref float a, ref float da, ref float dz, nuint i) where TOp : struct, IActivationOperator =>
        (Vector128.LoadUnsafe(ref da, i) * op.Derivative(Vector128.LoadUnsafe(ref z, i), Vector128.LoadUnsafe(ref a, i))).StoreUnsafe(ref dz, i);
}

/// <summary>Softmax over the feature axis of each row, and its backward pass.</summary>
public static class Softmax
{
    /// <summary>
    /// Softmax along the middle axis of [<paramref name="outer"/>, <paramref name="length"/>, <paramref name="inner"/>]:
    /// for each (o, j), a[o, :, j] = softmax(z[o, :, j]) (a dimension other than the last; stride <paramref name="inner"/>).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> z, Span<float> a, int outer, int length, int inner)
    {
        long n = (long)outer * length * inner;
        ThrowHelper.CheckAtLeast(z.Length, n, nameof(z));
        ThrowHelper.CheckAtLeast(a.Length, n, nameof(a));
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
            {
                int at = o * length * inner + j;
                float max = float.NegativeInfinity;
                for (int i = 0; i < length; i++) max = MathF.Max(max, z[at + i * inner]);
                float sum = 0f;
                for (int i = 0; i < length; i++)
                {
                    float d = z[at + i * inner] - max;
                    float e = d == 0f ? 1f : MathF.Exp(d); // e⁰ = 1 exactly, as below
                    a[at + i * inner] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                for (int i = 0; i < length; i++) a[at + i * inner] *= inv;
            }
    }

    /// <summary>The backward pass of <see cref="Forward(ReadOnlySpan{float}, Span{float}, int, int, int)"/>: dz = a·(da − Σ da·a) along the middle axis.</summary>
    public static void Backward(ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz, int outer, int length, int inner)
    {
        long n = (long)outer * length * inner;
        ThrowHelper.CheckAtLeast(a.Length, n, nameof(a));
        ThrowHelper.CheckAtLeast(da.Length, n, nameof(da));
        ThrowHelper.CheckAtLeast(dz.Length, n, nameof(dz));
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
            {
                int at = o * length * inner + j;
                float dot = 0f;
                for (int i = 0; i < length; i++) dot += da[at + i * inner] * a[at + i * inner];
                for (int i = 0; i < length; i++) dz[at + i * inner] = a[at + i * inner] * (da[at + i * inner] - dot);
            }
    }

    /// <summary>a[n, :] = softmax(z[n, :]) for each of <paramref name="batch"/> rows of <typeparamref name="TFeatures"/> features.</summary>
    public static void Forward<TFeatures>(ReadOnlySpan<float> z, Span<float> a, int batch) where TFeatures : IDim
    {
        int f = TFeatures.Value;
        ThrowHelper.CheckAtLeast(z.Length, (long)batch * f, nameof(z));
        ThrowHelper.CheckAtLeast(a.Length, (long)batch * f, nameof(a));
        for (int n = 0; n < batch; n++)
        {
            var zr = z.Slice(n * f, f);
            var ar = a.Slice(n * f, f);
            // Subtracting the row max keeps every exponent ≤ 0: no overflow for logits of any size.
            float max = float.NegativeInfinity;
            for (int i = 0; i < f; i++) max = MathF.Max(max, zr[i]);
            float sum = 0f;
            for (int i = 0; i < f; i++)
            {
                // The row's largest value gives e⁰ = 1 exactly: no call needed (a NaN or ∞ difference still takes it).
                float d = zr[i] - max;
                float e = d == 0f ? 1f : MathF.Exp(d);
                ar[i] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int i = 0; i < f; i++) ar[i] *= inv;
        }
    }

    /// <summary>dz[n, i] = a[n, i] · (da[n, i] − Σⱼ da[n, j]·a[n, j]): the softmax Jacobian applied to <paramref name="da"/>.</summary>
    public static void Backward<TFeatures>(ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz, int batch) where TFeatures : IDim
    {
        int f = TFeatures.Value;
        ThrowHelper.CheckAtLeast(a.Length, (long)batch * f, nameof(a));
        ThrowHelper.CheckAtLeast(da.Length, (long)batch * f, nameof(da));
        ThrowHelper.CheckAtLeast(dz.Length, (long)batch * f, nameof(dz));
        for (int n = 0; n < batch; n++)
        {
            var ar = a.Slice(n * f, f);
            var gr = da.Slice(n * f, f);
            var dr = dz.Slice(n * f, f);
            float dot = 0f;
            for (int i = 0; i < f; i++) dot += gr[i] * ar[i];
            for (int i = 0; i < f; i++) dr[i] = ar[i] * (gr[i] - dot);
        }
    }
}
