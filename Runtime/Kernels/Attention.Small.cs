using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SourceGenNN.Kernels;

/// <summary>
/// The fused AVX-512 path of <see cref="Attention"/> for short key sequences (S ≤ 16): one sample and head at a time,
/// a row of scores (or of their gradients) is one 16-lane vector, so the scores, the softmax and the weighted sum run
/// in registers and L1 without a general matrix product per head, and every product is a broadcast FMA (no
/// horizontal reductions but the softmax's own). Keys (and, backward, values) of a head are transposed once into a
/// small stack buffer so that a query's scores are Σ_d q[t, d]·kᵀ[d, :].
/// <para>
/// Same results as the general path up to the order of the float sums (the softmax's sum is a vector sum, the
/// exponential is <see cref="Vector512.Exp(Vector512{float})"/>); every sample and head is still computed alone, so a
/// sample's result does not depend on its batch.
/// </para>
/// </summary>
public static unsafe partial class Attention
{
    /// <summary>Keys that fit one 512-bit vector of scores.</summary>
    private const int SmallKeys = 16;

    /// <summary>The largest head size whose transposed keys (HeadDim × 16 floats) the fused path keeps on the stack.</summary>
    private const int SmallMaxHeadDim = 256;

    /// <summary>Whether <see cref="ForwardSmall"/> and <see cref="BackwardSmall"/> take this shape.</summary>
    private static bool UseSmall(AttentionShape shape) =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && shape.Keys <= SmallKeys
        && shape.HeadDim <= SmallMaxHeadDim && shape.ValueDim <= SmallMaxHeadDim;

    /// <summary>The largest of the lanes of <paramref name="v"/>: its halves' maximum, then the 8-lane reduction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxAcross(Vector512<float> v) => MaxAcross(Vector256.Max(v.GetLower(), v.GetUpper()));

    /// <summary>
    /// Transposes the S × width block at <paramref name="src"/> (rows <paramref name="stride"/> apart) into
    /// <paramref name="dst"/>[j·16 + s], lanes s ≥ S zero (16 × 16 blocks in registers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeKeys(float* src, int stride, int S, int width, float* dst) =>
        Gemm.TransposePanel16(src, stride, S, width, dst, SmallKeys);

    /// <summary>
    /// <c>out[t, 0..width) = Σₛ a[t·ats + s·ass]·b[s·ldb + 0..width)</c> for rows t &lt; rows, eight or four rows at a time,
    /// columns in 16-lane panels (the last masked): the broadcast products of the fused path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SmallProduct(int rows, int width, int terms, float* a, int ats, int ass, float* b, int ldb, float* c, int ldc)
    {
        for (int j = 0; j < width; j += 16)
        {
            var mask = Gemm.TailMask(width - j);
            bool full = width - j >= 16;
            int t = 0;
            // Eight rows at a time: eight independent accumulators hide the latency of the fused multiply-adds.
            for (; t + 8 <= rows; t += 8)
            {
                Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
                float* a0 = a + (long)t * ats;
                for (int s = 0; s < terms; s++)
                {
                    float* bs = b + (long)s * ldb + j;
                    var bv = full ? Vector512.Load(bs) : Avx512F.MaskLoad(bs, mask, default);
                    float* at = a0 + (long)s * ass;
                    c0 = Vector512.FusedMultiplyAdd(Vector512.Create(at[0]), bv, c0);
                    c1 = Vector512.FusedMultiplyAdd(Vector512.Create(at[ats]), bv, c1);
                    c2 = Vector512.FusedMultiplyAdd(Vector512.Create(at[2 * ats]), bv, c2);
                    c3 = Vector512.FusedMultiplyAdd(Vector512.Create(at[3 * ats]), bv, c3);
                    c4 = Vector512.FusedMultiplyAdd(Vector512.Create(at[4 * ats]), bv, c4);
                    c5 = Vector512.FusedMultiplyAdd(Vector512.Create(at[5 * ats]), bv, c5);
                    c6 = Vector512.FusedMultiplyAdd(Vector512.Create(at[6 * ats]), bv, c6);
                    c7 = Vector512.FusedMultiplyAdd(Vector512.Create(at[7 * ats]), bv, c7);
                }
                float* ct = c + (long)t * ldc + j;
                if (full)
                {
                    // Plain stores where they can be: a later load of the same row is forwarded from them.
                    c0.Store(ct);
                    c1.Store(ct + ldc);
                    c2.Store(ct + 2 * ldc);
                    c3.Store(ct + 3 * ldc);
                    c4.Store(ct + 4 * ldc);
                    c5.Store(ct + 5 * ldc);
                    c6.Store(ct + 6 * ldc);
                    c7.Store(ct + 7 * ldc);
                }
                else
                {
                    Avx512F.MaskStore(ct, mask, c0);
                    Avx512F.MaskStore(ct + ldc, mask, c1);
                    Avx512F.MaskStore(ct + 2 * ldc, mask, c2);
                    Avx512F.MaskStore(ct + 3 * ldc, mask, c3);
                    Avx512F.MaskStore(ct + 4 * ldc, mask, c4);
                    Avx512F.MaskStore(ct + 5 * ldc, mask, c5);
                    Avx512F.MaskStore(ct + 6 * ldc, mask, c6);
                    Avx512F.MaskStore(ct + 7 * ldc, mask, c7);
                }
            }
            for (; t + 4 <= rows; t += 4)
            {
                Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
                float* a0 = a + (long)t * ats;
                for (int s = 0; s < terms; s++)
                {
                    float* bs = b + (long)s * ldb + j;
                    var bv = full ? Vector512.Load(bs) : Avx512F.MaskLoad(bs, mask, default);
                    float* at = a0 + (long)s * ass;
                    c0 = Vector512.FusedMultiplyAdd(Vector512.Create(at[0]), bv, c0);
                    c1 = Vector512.FusedMultiplyAdd(Vector512.Create(at[ats]), bv, c1);
                    c2 = Vector512.FusedMultiplyAdd(Vector512.Create(at[2 * ats]), bv, c2);
                    c3 = Vector512.FusedMultiplyAdd(Vector512.Create(at[3 * ats]), bv, c3);
                }
                float* ct = c + (long)t * ldc + j;
                if (full)
                {
                    c0.Store(ct);
                    c1.Store(ct + ldc);
                    c2.Store(ct + 2 * ldc);
                    c3.Store(ct + 3 * ldc);
                }
                else
                {
                    Avx512F.MaskStore(ct, mask, c0);
                    Avx512F.MaskStore(ct + ldc, mask, c1);
                    Avx512F.MaskStore(ct + 2 * ldc, mask, c2);
                    Avx512F.MaskStore(ct + 3 * ldc, mask, c3);
                }
            }
            for (; t < rows; t++)
            {
                Vector512<float> c0 = default;
                float* at = a + (long)t * ats;
                for (int s = 0; s < terms; s++)
                {
                    float* bs = b + (long)s * ldb + j;
                    var bv = full ? Vector512.Load(bs) : Avx512F.MaskLoad(bs, mask, default);
                    c0 = Vector512.FusedMultiplyAdd(Vector512.Create(at[(long)s * ass]), bv, c0);
                }
                if (full) c0.Store(c + (long)t * ldc + j);
                else Avx512F.MaskStore(c + (long)t * ldc + j, mask, c0);
            }
        }
    }

    /// <summary>
    /// The forward pass of one sample and head with exactly 16 keys and at most 16 queries, lanes along the queries:
    /// Qᵀ is transposed once, scoresᵀ[s, :] = Σ_d k[s, d]·Qᵀ[d, :] (sixteen accumulators, one per key), and the
    /// softmax of all the queries runs together: the maximum, the sum and the normalisation are element-wise over the
    /// 16 key vectors (the sum in key order, as the plain loop adds), so no row needs a horizontal reduction. The
    /// weights are transposed back into [T, S] and the context is the broadcast product of <see cref="ForwardSmall"/>.
    /// <paramref name="scratch"/>: 16·max(HeadDim, 16) + 256 floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardSixteenKeys(float* qh, int qStride, float* kh, int kStride, float* vh, int vStride, int length,
        float* w, float* ch, int contextStride, AttentionShape shape, float* scratch)
    {
        int T = shape.Queries, D = shape.HeadDim, Dv = shape.ValueDim;
        float* qt = scratch, st = scratch + Math.Max(D, SmallKeys) * SmallKeys;
        Gemm.TransposePanel16(qh, qStride, T, D, qt, SmallKeys);
        // st[s·16 + t] = q[t]·k[s]
        Gemm.ColumnsSixteen(D, qt, kh, kStride, st);
        // Query t sees keys s < valid(t): lane t of key s is live when valid(t) > s.
        var valid = Vector512.Create(length);
        if (shape.Causal) valid = Vector512.Min(valid, Vector512<int>.Indices + Vector512<int>.One);
        var max = Vector512.Create(float.NegativeInfinity);
        for (int s = 0; s < SmallKeys; s++)
        {
            var live = Vector512.GreaterThan(valid, Vector512.Create(s)).AsSingle();
            max = Vector512.Max(max, Vector512.ConditionalSelect(live, Vector512.Load(st + s * 16), Vector512.Create(float.NegativeInfinity)));
        }
        var scale = Vector512.Create(shape.Scale);
        var sum = Vector512<float>.Zero;
        for (int s = 0; s < SmallKeys; s++)
        {
            var live = Vector512.GreaterThan(valid, Vector512.Create(s)).AsSingle();
            var e = Vector512.Exp((Vector512.Load(st + s * 16) - max) * scale) & live;
            e.Store(st + s * 16);
            sum += e;
        }
        // A query with no live key (length 0) has a sum of 0: its weights are 0, not 0·∞.
        var inv = Vector512.Create(1f) / sum;
        for (int s = 0; s < SmallKeys; s++)
        {
            var live = Vector512.GreaterThan(valid, Vector512.Create(s)).AsSingle();
            ((Vector512.Load(st + s * 16) * inv) & live).Store(st + s * 16);
        }
        // weights[t, s] = st[s·16 + t]
        Gemm.TransposePanel16(st, SmallKeys, SmallKeys, T, w, SmallKeys);
        // context[t, :] = Σₛ weights[t, s]·v[s, :]
        SmallProduct(T, Dv, SmallKeys, w, SmallKeys, 1, vh, vStride, ch, contextStride);
    }

    /// <summary>
    /// The forward pass of one sample and head, S ≤ 16, no dropout: writes the weights [T, S] and the context rows.
    /// <paramref name="kt"/>: HeadDim × 16 floats of scratch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardSmall(float* qh, int qStride, float* kh, int kStride, float* vh, int vStride, int length,
        float* w, float* ch, int contextStride, AttentionShape shape, float* kt)
    {
        int T = shape.Queries, S = shape.Keys, D = shape.HeadDim, Dv = shape.ValueDim;
        TransposeKeys(kh, kStride, S, D, kt);
        // scores[t, :] = Σ_d q[t, d]·kᵀ[d, :], written into the weights' rows.
        SmallProduct(T, S, D, qh, qStride, 1, kt, SmallKeys, w, S);
        var keys = Gemm.TailMask(S);
        var scale = Vector512.Create(shape.Scale);
        for (int t = 0; t < T; t++)
        {
            float* wt = w + t * S;
            int valid = Valid(length, t, shape);
            Vector512<float> e = default;
            if (valid > 0)
            {
                // The softmax over the valid prefix: subtract its maximum, exponentiate, normalise; 0 beyond it.
                var row = S == SmallKeys ? Vector512.Load(wt) : Avx512F.MaskLoad(wt, keys, default);
                var live = Gemm.TailMask(valid);
                float max = MaxAcross(Vector512.ConditionalSelect(live, row, Vector512.Create(float.NegativeInfinity)));
                e = Vector512.Exp((row - Vector512.Create(max)) * scale) & live;
                e *= Vector512.Create(1f / Vector512.Sum(e));
            }
            if (S == SmallKeys) e.Store(wt);
            else Avx512F.MaskStore(wt, keys, e);
        }
        // context[t, :] = Σₛ weights[t, s]·v[s, :]
        SmallProduct(T, Dv, S, w, S, 1, vh, vStride, ch, contextStride);
    }

    /// <summary>
    /// The backward pass of one sample and head, S ≤ 16, no dropout (see <see cref="Backward"/>). <paramref name="vt"/>:
    /// ValueDim × 16 floats of scratch; <paramref name="dz"/>: T × S.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardSmall(float* qh, int qStride, float* kh, int kStride, float* vh, int vStride, int length,
        float* w, float* dch, int contextStride, float* dqh, int dqStride, float* dkh, int dkStride, float* dvh, int dvStride,
        AttentionShape shape, float* vt, float* dz)
    {
        int T = shape.Queries, S = shape.Keys, D = shape.HeadDim, Dv = shape.ValueDim;
        // dv[s, :] = Σₜ w[t, s]·dc[t, :]
        if (dvh != null) SmallProduct(S, Dv, T, w, 1, S, dch, contextStride, dvh, dvStride);
        if (dqh == null && dkh == null) return;
        // dw[t, :] = Σ_c dc[t, c]·vᵀ[c, :]
        TransposeKeys(vh, vStride, S, Dv, vt);
        SmallProduct(T, S, Dv, dch, contextStride, 1, vt, SmallKeys, dz, S);
        // dz = scale·w ⊙ (dw − Σ dw ⊙ w) over the valid keys, 0 beyond them.
        var keys = Gemm.TailMask(S);
        var scale = Vector512.Create(shape.Scale);
        for (int t = 0; t < T; t++)
        {
            float* wt = w + t * S, dzt = dz + t * S;
            var wr = S == SmallKeys ? Vector512.Load(wt) : Avx512F.MaskLoad(wt, keys, default);
            var live = Gemm.TailMask(Valid(length, t, shape));
            var dw = (S == SmallKeys ? Vector512.Load(dzt) : Avx512F.MaskLoad(dzt, keys, default)) & live;
            float dot = Vector512.Sum(dw * wr);
            var dzRow = (scale * wr * (dw - Vector512.Create(dot))) & live;
            if (S == SmallKeys) dzRow.Store(dzt);
            else Avx512F.MaskStore(dzt, keys, dzRow);
        }
        // dq[t, :] = Σₛ dz[t, s]·k[s, :];  dk[s, :] = Σₜ dz[t, s]·q[t, :]
        if (dqh != null) SmallProduct(T, D, S, dz, S, 1, kh, kStride, dqh, dqStride);
        if (dkh != null) SmallProduct(S, D, T, dz, 1, S, qh, qStride, dkh, dkStride);
    }
}
