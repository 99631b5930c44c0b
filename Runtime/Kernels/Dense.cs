using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>
/// Dense-layer kernels for a weight <c>W[out, in]</c> (PyTorch's layout), specialised by the JIT for the constant
/// sizes <typeparamref name="TIn"/> and <typeparamref name="TOut"/>.
/// </summary>
public static class Dense<TIn, TOut> where TIn : IDim where TOut : IDim
{
    /// <summary>Forward: <c>y[n, o] = b[o] + Σᵢ x[n, i]·W[o, i]</c>. An empty <paramref name="b"/> means no bias.</summary>
    public static unsafe void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, int batch)
    {
        int nIn = TIn.Value, nOut = TOut.Value;
        // The products below read and write through pointers: every span is checked first.
        ThrowHelper.CheckAtLeast(x.Length, (long)batch * nIn, nameof(x));
        ThrowHelper.CheckLength(w.Length, nIn * nOut, nameof(w), "[out, in]");
        if (!b.IsEmpty) ThrowHelper.CheckLength(b.Length, nOut, nameof(b), "[out] or empty");
        ThrowHelper.CheckAtLeast(y.Length, (long)batch * nOut, nameof(y));
        fixed (float* px = x, pw = w, pb = b, py = y)
            Gemm.DotNT(batch, nOut, nIn, px, nIn, pw, nIn, py, nOut, b.IsEmpty ? null : pb, accumulate: false);
    }

    /// <summary>
    /// Forward with the activation fused into the product's epilogue: <c>y[n, o] = b[o] + Σᵢ x[n, i]·W[o, i]</c> and
    /// <c>a = f(y)</c>, each block of y activated while it is in cache (the same values as <see cref="Forward"/>
    /// followed by <see cref="Activation.Forward"/>).
    /// </summary>
    public static unsafe void Forward<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, int batch, TOp op, Span<float> a)
        where TOp : unmanaged, IActivationOperator
    {
        int nIn = TIn.Value, nOut = TOut.Value;
        ThrowHelper.CheckAtLeast(x.Length, (long)batch * nIn, nameof(x));
        ThrowHelper.CheckLength(w.Length, nIn * nOut, nameof(w), "[out, in]");
        if (!b.IsEmpty) ThrowHelper.CheckLength(b.Length, nOut, nameof(b), "[out] or empty");
        ThrowHelper.CheckAtLeast(y.Length, (long)batch * nOut, nameof(y));
        ThrowHelper.CheckAtLeast(a.Length, (long)batch * nOut, nameof(a));
        ThrowHelper.CheckNoOverlap(y, a, nameof(y), nameof(a));
        fixed (float* px = x, pw = w, pb = b, py = y, pa = a)
            Gemm.DotNT(batch, nOut, nIn, px, nIn, pw, nIn, py, nOut, b.IsEmpty ? null : pb, pa, nOut, op);
    }

    /// <summary>
    /// Parameter gradients: <c>dW[o, i] += Σₙ dy[n, o]·x[n, i]</c> and <c>db[o] += Σₙ dy[n, o]</c>, or written with
    /// <c>=</c> instead of <c>+=</c> when <paramref name="accumulate"/> is false. An empty <paramref name="db"/> means no bias.
    /// </summary>
    public static unsafe void BackwardWeights(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw, Span<float> db, int batch, bool accumulate = true)
    {
        int nIn = TIn.Value, nOut = TOut.Value;
        ThrowHelper.CheckAtLeast(dy.Length, (long)batch * nOut, nameof(dy));
        ThrowHelper.CheckAtLeast(x.Length, (long)batch * nIn, nameof(x));
        ThrowHelper.CheckLength(dw.Length, nIn * nOut, nameof(dw), "[out, in]");
        if (!db.IsEmpty) ThrowHelper.CheckLength(db.Length, nOut, nameof(db), "[out] or empty");
        fixed (float* pdy = dy, px = x, pdw = dw)
            // dW = dYᵀ·X: row o of dW takes dy[n, o] (stride nOut along n) times row n of X.
            Gemm.Broadcast(nOut, nIn, batch, pdy, 1, nOut, px, nIn, pdw, nIn, accumulate);
        if (!db.IsEmpty)
        {
            if (!accumulate) db.Clear();
            for (int n = 0; n < batch; n++)
                Axpy(1f, dy.Slice(n * nOut, nOut), db);
        }
    }

    /// <summary>Input gradient, overwritten: <c>dx[n, i] = Σₒ dy[n, o]·W[o, i]</c>.</summary>
    public static unsafe void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int batch)
    {
        int nIn = TIn.Value, nOut = TOut.Value;
        ThrowHelper.CheckAtLeast(dy.Length, (long)batch * nOut, nameof(dy));
        ThrowHelper.CheckLength(w.Length, nIn * nOut, nameof(w), "[out, in]");
        ThrowHelper.CheckAtLeast(dx.Length, (long)batch * nIn, nameof(dx));
        fixed (float* pdy = dy, pw = w, pdx = dx)
            // dX = dY·W: row n of dX takes dy[n, o] (stride 1 along o) times row o of W.
            Gemm.Broadcast(batch, nIn, nOut, pdy, nOut, 1, pw, nIn, pdx, nIn, accumulate: false);
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
