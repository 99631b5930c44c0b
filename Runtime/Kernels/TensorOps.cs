using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>Element-wise tensor arithmetic: residual sums and the sums of gradients of tensors read by several layers; finiteness checks.</summary>
public static class TensorOps
{
    /// <summary><c>y[i] = a[i] + b[i]</c>. <paramref name="y"/> may be <paramref name="a"/> or <paramref name="b"/>.</summary>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        int n = y.Length;
        ThrowHelper.CheckLength(a.Length, n, nameof(a), "the length of y");
        ThrowHelper.CheckLength(b.Length, n, nameof(b), "the length of y");
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                (Vector512.LoadUnsafe(ref ar, (nuint)i) + Vector512.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                (Vector256.LoadUnsafe(ref ar, (nuint)i) + Vector256.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                (Vector128.LoadUnsafe(ref ar, (nuint)i) + Vector128.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = Unsafe.Add(ref ar, i) + Unsafe.Add(ref br, i);
    }

    /// <summary><c>y[i] += x[i]</c>.</summary>
    public static void AddInPlace(Span<float> y, ReadOnlySpan<float> x) => Add(y, x, y);

    /// <summary><c>Σᵢ x[i]</c>, in vector lanes then across them, in a fixed order (the same input gives the same bits).</summary>
    public static float Sum(ReadOnlySpan<float> x)
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        float sum = 0f;
        if (Vector256.IsHardwareAccelerated && n >= 2 * Vector256<float>.Count)
        {
            Vector256<float> s0 = default, s1 = default;
            for (; i <= n - 2 * Vector256<float>.Count; i += 2 * Vector256<float>.Count)
            {
                s0 += Vector256.LoadUnsafe(ref xr, (nuint)i);
                s1 += Vector256.LoadUnsafe(ref xr, (nuint)(i + Vector256<float>.Count));
            }
            sum = Vector256.Sum(s0 + s1);
        }
        else if (Vector128.IsHardwareAccelerated && n >= Vector128<float>.Count)
        {
            Vector128<float> s0 = default;
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count) s0 += Vector128.LoadUnsafe(ref xr, (nuint)i);
            sum = Vector128.Sum(s0);
        }
        for (; i < n; i++) sum += Unsafe.Add(ref xr, i);
        return sum;
    }

    /// <summary>
    /// The index of the first NaN or ±∞ in <paramref name="x"/>, or −1 when every value is finite. The trainer checks
    /// its data with it once per <c>Fit</c>; it reads a vector at a time until one holds a non-finite value.
    /// </summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> x)
    {
        // v − v is 0 for every finite v and NaN for NaN and ±∞, so a vector is all finite when v − v equals 0 in every
        // lane. A vector that is not is rescanned one element at a time, from where it starts.
        int n = x.Length, i = 0;
        ref float r = ref MemoryMarshal.GetReference(x);
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = Vector512.LoadUnsafe(ref r, (nuint)i);
                if (!Vector512.EqualsAll(v - v, Vector512<float>.Zero)) break;
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref r, (nuint)i);
                if (!Vector256.EqualsAll(v - v, Vector256<float>.Zero)) break;
            }
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var v = Vector128.LoadUnsafe(ref r, (nuint)i);
                if (!Vector128.EqualsAll(v - v, Vector128<float>.Zero)) break;
            }
        for (; i < n; i++)
            if (!float.IsFinite(Unsafe.Add(ref r, i))) return i;
        return -1;
    }
}
