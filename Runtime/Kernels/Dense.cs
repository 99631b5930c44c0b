using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SourceGenNN.Kernels;

/// <summary>
/// Dense-layer kernels for a weight <c>W[out, in]</c> (PyTorch's layout), specialised by the JIT for the constant
/// sizes <typeparamref name="TIn"/> and <typeparamref name="TOut"/>.
/// </summary>
public static class Dense<TIn, TOut> where TIn : IDim where TOut : IDim
{
    /// <summary>Forward: <c>y[n, o] = b[o] + Σᵢ x[n, i]·W[o, i]</c>. An empty <paramref name="b"/> means no bias.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, int batch)
    {
        int nIn = TIn.Value, nOut = TOut.Value;
        bool hasBias = !b.IsEmpty;
        for (int n = 0; n < batch; n++)
        {
            var xr = x.Slice(n * nIn, nIn);
            var yr = y.Slice(n * nOut, nOut);
            for (int o = 0; o < nOut; o++)
                yr[o] = (hasBias ? b[o] : 0f) + Dot(xr, w.Slice(o * nIn, nIn));
        }
    }

    /// <summary>
    /// Parameter gradients, added to what is there: <c>dW[o, i] += Σₙ dy[n, o]·x[n, i]</c> and <c>db[o] += Σₙ dy[n, o]</c>.
    /// An empty <paramref name="db"/> means no bias.
    /// </summary>
    public static void BackwardWeights(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw, Span<float> db, int batch)
    {
        int nIn = TIn.Value, nOut = TOut.Value;
        for (int n = 0; n < batch; n++)
        {
            var xr = x.Slice(n * nIn, nIn);
            var gr = dy.Slice(n * nOut, nOut);
            for (int o = 0; o < nOut; o++)
            {
                float g = gr[o];
                if (!db.IsEmpty) db[o] += g;
                Axpy(g, xr, dw.Slice(o * nIn, nIn));
            }
        }
    }

    /// <summary>Input gradient, overwritten: <c>dx[n, i] = Σₒ dy[n, o]·W[o, i]</c>.</summary>
    public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int batch)
    {
        int nIn = TIn.Value, nOut = TOut.Value;
        for (int n = 0; n < batch; n++)
        {
            var dxr = dx.Slice(n * nIn, nIn);
            dxr.Clear();
            var gr = dy.Slice(n * nOut, nOut);
            for (int o = 0; o < nOut; o++)
                Axpy(gr[o], w.Slice(o * nIn, nIn), dxr);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int len = a.Length, i = 0;
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && len >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= len - 16; i += 16)
                acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ar, (nuint)i), Vector512.LoadUnsafe(ref br, (nuint)i), acc);
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && len >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= len - 8; i += 8)
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref ar, (nuint)i), Vector256.LoadUnsafe(ref br, (nuint)i), acc);
            sum = Vector256.Sum(acc);
        }
        else if (Vector128.IsHardwareAccelerated && len >= 4)
        {
            var acc = Vector128<float>.Zero;
            for (; i <= len - 4; i += 4)
                acc = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref ar, (nuint)i), Vector128.LoadUnsafe(ref br, (nuint)i), acc);
            sum = Vector128.Sum(acc);
        }
        for (; i < len; i++) sum += Unsafe.Add(ref ar, i) * Unsafe.Add(ref br, i);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        int len = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated && len >= 16)
        {
            var va = Vector512.Create(alpha);
            for (; i <= len - 16; i += 16)
                Vector512.FusedMultiplyAdd(va, Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && len >= 8)
        {
            var va = Vector256.Create(alpha);
            for (; i <= len - 8; i += 8)
                Vector256.FusedMultiplyAdd(va, Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        else if (Vector128.IsHardwareAccelerated && len >= 4)
        {
            var va = Vector128.Create(alpha);
            for (; i <= len - 4; i += 4)
                Vector128.FusedMultiplyAdd(va, Vector128.LoadUnsafe(ref xr, (nuint)i), Vector128.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < len; i++) Unsafe.Add(ref yr, i) += alpha * Unsafe.Add(ref xr, i);
    }
}
