using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SourceGenNN.Kernels;

/// <summary>Element-wise activation kernels: forward <c>a = f(z)</c> and backward <c>dz = da ⊙ f'(z)</c>.</summary>
public static class Activation
{
    /// <summary>a[i] = f(z[i]) for every element.</summary>
    public static void Forward<TOp>(TOp op, ReadOnlySpan<float> z, Span<float> a) where TOp : struct, IActivationOperator
    {
        int n = z.Length;
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref float ar = ref MemoryMarshal.GetReference(a);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Invoke(Vector512.LoadUnsafe(ref zr, (nuint)i)).StoreUnsafe(ref ar, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Invoke(Vector256.LoadUnsafe(ref zr, (nuint)i)).StoreUnsafe(ref ar, (nuint)i);
        }
        else if (Vector128.IsHardwareAccelerated && n >= Vector128<float>.Count)
        {
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                op.Invoke(Vector128.LoadUnsafe(ref zr, (nuint)i)).StoreUnsafe(ref ar, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref ar, i) = op.Invoke(Unsafe.Add(ref zr, i));
    }

    /// <summary>dz[i] = da[i] · f'(z[i]), given the forward pass's input <paramref name="z"/> and output <paramref name="a"/>.</summary>
    public static void Backward<TOp>(TOp op, ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz)
        where TOp : struct, IActivationOperator
    {
        int n = z.Length;
        ref float zr = ref MemoryMarshal.GetReference(z);
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float gr = ref MemoryMarshal.GetReference(da);
        ref float dr = ref MemoryMarshal.GetReference(dz);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                (Vector512.LoadUnsafe(ref gr, (nuint)i) * op.Derivative(Vector512.LoadUnsafe(ref zr, (nuint)i), Vector512.LoadUnsafe(ref ar, (nuint)i)))
                    .StoreUnsafe(ref dr, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                (Vector256.LoadUnsafe(ref gr, (nuint)i) * op.Derivative(Vector256.LoadUnsafe(ref zr, (nuint)i), Vector256.LoadUnsafe(ref ar, (nuint)i)))
                    .StoreUnsafe(ref dr, (nuint)i);
        }
        else if (Vector128.IsHardwareAccelerated && n >= Vector128<float>.Count)
        {
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                (Vector128.LoadUnsafe(ref gr, (nuint)i) * op.Derivative(Vector128.LoadUnsafe(ref zr, (nuint)i), Vector128.LoadUnsafe(ref ar, (nuint)i)))
                    .StoreUnsafe(ref dr, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref dr, i) = Unsafe.Add(ref gr, i) * op.Derivative(Unsafe.Add(ref zr, i), Unsafe.Add(ref ar, i));
    }
}

/// <summary>Softmax over the feature axis of each row, and its backward pass.</summary>
public static class Softmax
{
    /// <summary>a[n, :] = softmax(z[n, :]) for each of <paramref name="batch"/> rows of <typeparamref name="TFeatures"/> features.</summary>
    public static void Forward<TFeatures>(ReadOnlySpan<float> z, Span<float> a, int batch) where TFeatures : IDim
    {
        int f = TFeatures.Value;
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
                float e = MathF.Exp(zr[i] - max);
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
