using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>Element-wise tensor arithmetic: residual sums and the sums of gradients of tensors read by several layers.</summary>
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
}
