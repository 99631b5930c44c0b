using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SourceGenNN.Kernels;

/// <summary>
/// The fused path of <see cref="Attention"/> for short key sequences (S ≤ 16) at 256 bits (AVX2 and FMA, no
/// AVX-512): the scheme of Attention.Small.cs at half the width. A row of scores (or of their gradients) is two 8-lane
/// vectors (one when S ≤ 8), so the scores, the softmax and the weighted sum still run in registers and L1 with
/// broadcast FMAs; the keys (and, backward, the values) of a head are transposed once, in 8 × 8 register blocks, into a
/// small stack buffer of 8 or 16 floats a row.
/// <para>
/// Same results as the general path up to the order of the float sums (the softmax's sum is a vector sum, the
/// exponential is <see cref="Vector256.Exp(Vector256{float})"/>); every sample and head is still computed alone, so a
/// sample's result does not depend on its batch. The queries-in-lanes variant of 16 keys (ForwardSixteenKeys) has no
/// 256-bit form: 16 keys take <see cref="ForwardSmall256"/> too.
/// </para>
/// </summary>
public static unsafe partial class Attention
{
    /// <summary>Whether <see cref="ForwardSmall256"/> and <see cref="BackwardSmall256"/> take this shape (when <see cref="UseSmall"/> does not).</summary>
    private static bool UseSmall256(AttentionShape shape) =>
        Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported && shape.Keys <= SmallKeys
        && shape.HeadDim <= SmallMaxHeadDim && shape.ValueDim <= SmallMaxHeadDim;

    /// <summary>The largest of the lanes of <paramref name="v"/> (the 512-bit overload ends here too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxAcross(Vector256<float> v)
    {
        var v4 = Vector128.Max(v.GetLower(), v.GetUpper());
        v4 = Vector128.Max(v4, Vector128.Shuffle(v4, Vector128.Create(2, 3, 0, 1)));
        v4 = Vector128.Max(v4, Vector128.Shuffle(v4, Vector128.Create(1, 0, 3, 2)));
        return v4.ToScalar();
    }

    /// <summary>
    /// Transposes the S × width block at <paramref name="src"/> (rows <paramref name="stride"/> apart) into
    /// <paramref name="dst"/>[j·ld + s], ld = 8 when S ≤ 8 and 16 otherwise, lanes s ≥ S zero (8 × 8 blocks in registers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeKeys256(float* src, int stride, int S, int width, float* dst, int ld)
    {
        Gemm.TransposePanel8(src, stride, Math.Min(S, 8), width, dst, ld);
        if (S > 8) Gemm.TransposePanel8(src + 8L * stride, stride, S - 8, width, dst + 8, ld);
    }

    /// <summary>
    /// <c>out[t, 0..width) = Σₛ a[t·ats + s·ass]·b[s·ldb + 0..width)</c> for rows t &lt; rows: the broadcast products of
    /// the 256-bit fused path. Columns in 16-lane panels of two 8-lane halves (the upper one masked), four rows at a
    /// time; a last panel of at most 8 columns is one half, eight or four rows at a time (<see cref="SmallProductHalf"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SmallProduct256(int rows, int width, int terms, float* a, int ats, int ass, float* b, int ldb, float* c, int ldc)
    {
        for (int j = 0; j < width; j += 16)
        {
            int cols = width - j;
            if (cols <= 8)
            {
                SmallProductHalf(rows, cols, terms, a, ats, ass, b + j, ldb, c + j, ldc);
                continue;
            }
            var mask = Gemm.TailMask256(cols - 8);
            bool full = cols >= 16;
            int t = 0;
            // Four rows of two halves at a time: eight independent accumulators, as the 512-bit path's eight rows.
            for (; t + 4 <= rows; t += 4)
            {
                Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
                float* a0 = a + (long)t * ats;
                for (int s = 0; s < terms; s++)
                {
                    float* bs = b + (long)s * ldb + j;
                    var lo = Vector256.Load(bs);
                    var hi = full ? Vector256.Load(bs + 8) : Avx.MaskLoad(bs + 8, mask);
                    float* at = a0 + (long)s * ass;
                    var x0 = Vector256.Create(at[0]);
                    var x1 = Vector256.Create(at[ats]);
                    var x2 = Vector256.Create(at[2 * ats]);
                    var x3 = Vector256.Create(at[3 * ats]);
                    c0 = Vector256.FusedMultiplyAdd(x0, lo, c0);
                    c1 = Vector256.FusedMultiplyAdd(x0, hi, c1);
                    c2 = Vector256.FusedMultiplyAdd(x1, lo, c2);
                    c3 = Vector256.FusedMultiplyAdd(x1, hi, c3);
                    c4 = Vector256.FusedMultiplyAdd(x2, lo, c4);
                    c5 = Vector256.FusedMultiplyAdd(x2, hi, c5);
                    c6 = Vector256.FusedMultiplyAdd(x3, lo, c6);
                    c7 = Vector256.FusedMultiplyAdd(x3, hi, c7);
                }
                float* ct = c + (long)t * ldc + j;
                c0.Store(ct);
                c2.Store(ct + ldc);
                c4.Store(ct + 2 * ldc);
                c6.Store(ct + 3 * ldc);
                if (full)
                {
                    // Plain stores where they can be: a later load of the same row is forwarded from them.
                    c1.Store(ct + 8);
                    c3.Store(ct + ldc + 8);
                    c5.Store(ct + 2 * ldc + 8);
                    c7.Store(ct + 3 * ldc + 8);
                }
                else
                {
                    Avx.MaskStore(ct + 8, mask, c1);
                    Avx.MaskStore(ct + ldc + 8, mask, c3);
                    Avx.MaskStore(ct + 2 * ldc + 8, mask, c5);
                    Avx.MaskStore(ct + 3 * ldc + 8, mask, c7);
                }
            }
            for (; t < rows; t++)
            {
                Vector256<float> c0 = default, c1 = default;
                float* at = a + (long)t * ats;
                for (int s = 0; s < terms; s++)
                {
                    float* bs = b + (long)s * ldb + j;
                    var x = Vector256.Create(at[(long)s * ass]);
                    c0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bs), c0);
                    c1 = Vector256.FusedMultiplyAdd(x, full ? Vector256.Load(bs + 8) : Avx.MaskLoad(bs + 8, mask), c1);
                }
                float* ct = c + (long)t * ldc + j;
                c0.Store(ct);
                if (full) c1.Store(ct + 8);
                else Avx.MaskStore(ct + 8, mask, c1);
            }
        }
    }

    /// <summary>
    /// The last at most 8 columns of <see cref="SmallProduct256"/> (<paramref name="b"/> and <paramref name="c"/> at
    /// that column): one 8-lane half, masked when narrower, eight or four rows at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SmallProductHalf(int rows, int cols, int terms, float* a, int ats, int ass, float* b, int ldb, float* c, int ldc)
    {
        var mask = Gemm.TailMask256(cols);
        bool full = cols == 8;
        int t = 0;
        for (; t + 8 <= rows; t += 8)
        {
            Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            float* a0 = a + (long)t * ats;
            for (int s = 0; s < terms; s++)
            {
                float* bs = b + (long)s * ldb;
                var bv = full ? Vector256.Load(bs) : Avx.MaskLoad(bs, mask);
                float* at = a0 + (long)s * ass;
                c0 = Vector256.FusedMultiplyAdd(Vector256.Create(at[0]), bv, c0);
                c1 = Vector256.FusedMultiplyAdd(Vector256.Create(at[ats]), bv, c1);
                c2 = Vector256.FusedMultiplyAdd(Vector256.Create(at[2 * ats]), bv, c2);
                c3 = Vector256.FusedMultiplyAdd(Vector256.Create(at[3 * ats]), bv, c3);
                c4 = Vector256.FusedMultiplyAdd(Vector256.Create(at[4 * ats]), bv, c4);
                c5 = Vector256.FusedMultiplyAdd(Vector256.Create(at[5 * ats]), bv, c5);
                c6 = Vector256.FusedMultiplyAdd(Vector256.Create(at[6 * ats]), bv, c6);
                c7 = Vector256.FusedMultiplyAdd(Vector256.Create(at[7 * ats]), bv, c7);
            }
            float* ct = c + (long)t * ldc;
            if (full)
            {
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
                Avx.MaskStore(ct, mask, c0);
                Avx.MaskStore(ct + ldc, mask, c1);
                Avx.MaskStore(ct + 2 * ldc, mask, c2);
                Avx.MaskStore(ct + 3 * ldc, mask, c3);
                Avx.MaskStore(ct + 4 * ldc, mask, c4);
                Avx.MaskStore(ct + 5 * ldc, mask, c5);
                Avx.MaskStore(ct + 6 * ldc, mask, c6);
                Avx.MaskStore(ct + 7 * ldc, mask, c7);
            }
        }
        for (; t + 4 <= rows; t += 4)
        {
            Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
            float* a0 = a + (long)t * ats;
            for (int s = 0; s < terms; s++)
            {
                float* bs = b + (long)s * ldb;
                var bv = full ? Vector256.Load(bs) : Avx.MaskLoad(bs, mask);
                float* at = a0 + (long)s * ass;
                c0 = Vector256.FusedMultiplyAdd(Vector256.Create(at[0]), bv, c0);
                c1 = Vector256.FusedMultiplyAdd(Vector256.Create(at[ats]), bv, c1);
                c2 = Vector256.FusedMultiplyAdd(Vector256.Create(at[2 * ats]), bv, c2);
                c3 = Vector256.FusedMultiplyAdd(Vector256.Create(at[3 * ats]), bv, c3);
            }
            float* ct = c + (long)t * ldc;
            if (full)
            {
                c0.Store(ct);
                c1.Store(ct + ldc);
                c2.Store(ct + 2 * ldc);
                c3.Store(ct + 3 * ldc);
            }
            else
            {
                Avx.MaskStore(ct, mask, c0);
                Avx.MaskStore(ct + ldc, mask, c1);
                Avx.MaskStore(ct + 2 * ldc, mask, c2);
                Avx.MaskStore(ct + 3 * ldc, mask, c3);
            }
        }
        for (; t < rows; t++)
        {
            Vector256<float> c0 = default;
            float* at = a + (long)t * ats;
            for (int s = 0; s < terms; s++)
            {
                float* bs = b + (long)s * ldb;
                var bv = full ? Vector256.Load(bs) : Avx.MaskLoad(bs, mask);
                c0 = Vector256.FusedMultiplyAdd(Vector256.Create(at[(long)s * ass]), bv, c0);
            }
            if (full) c0.Store(c + (long)t * ldc);
            else Avx.MaskStore(c + (long)t * ldc, mask, c0);
        }
    }

    /// <summary>
    /// The forward pass of one sample and head at 256 bits, S ≤ 16, no dropout: writes the weights [T, S] and the
    /// context rows, as <see cref="ForwardSmall"/>. <paramref name="kt"/>: HeadDim × 16 floats of scratch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardSmall256(float* qh, int qStride, float* kh, int kStride, float* vh, int vStride, int length,
        float* w, float* ch, int contextStride, AttentionShape shape, float* kt)
    {
        int T = shape.Queries, S = shape.Keys, D = shape.HeadDim, Dv = shape.ValueDim;
        int ld = S <= 8 ? 8 : SmallKeys;
        TransposeKeys256(kh, kStride, S, D, kt, ld);
        // scores[t, :] = Σ_d q[t, d]·kᵀ[d, :], written into the weights' rows.
        SmallProduct256(T, S, D, qh, qStride, 1, kt, ld, w, S);
        var scale = Vector256.Create(shape.Scale);
        var none = Vector256.Create(float.NegativeInfinity);
        if (S <= 8)
        {
            var keys = Gemm.TailMask256(S);
            for (int t = 0; t < T; t++)
            {
                float* wt = w + t * S;
                int valid = Valid(length, t, shape);
                Vector256<float> e = default;
                if (valid > 0)
                {
                    // The softmax over the valid prefix: subtract its maximum, exponentiate, normalise; 0 beyond it.
                    var row = S == 8 ? Vector256.Load(wt) : Avx.MaskLoad(wt, keys);
                    var live = Gemm.TailMask256(valid);
                    float max = MaxAcross(Vector256.ConditionalSelect(live, row, none));
                    e = Vector256.Exp((row - Vector256.Create(max)) * scale) & live;
                    e *= Vector256.Create(1f / Vector256.Sum(e));
                }
                if (S == 8) e.Store(wt);
                else Avx.MaskStore(wt, keys, e);
            }
        }
        else
        {
            // A row is keys 0..7 (lo) and 8..S−1 (hi, masked).
            var keys = Gemm.TailMask256(S - 8);
            for (int t = 0; t < T; t++)
            {
                float* wt = w + t * S;
                int valid = Valid(length, t, shape);
                Vector256<float> lo = default, hi = default;
                if (valid > 0)
                {
                    var rlo = Vector256.Load(wt);
                    var rhi = S == SmallKeys ? Vector256.Load(wt + 8) : Avx.MaskLoad(wt + 8, keys);
                    var liveLo = Gemm.TailMask256(valid);
                    var liveHi = Gemm.TailMask256(valid - 8);
                    float max = MaxAcross(Vector256.Max(Vector256.ConditionalSelect(liveLo, rlo, none), Vector256.ConditionalSelect(liveHi, rhi, none)));
                    var m = Vector256.Create(max);
                    lo = Vector256.Exp((rlo - m) * scale) & liveLo;
                    hi = Vector256.Exp((rhi - m) * scale) & liveHi;
                    var inv = Vector256.Create(1f / Vector256.Sum(lo + hi));
                    lo *= inv;
                    hi *= inv;
                }
                lo.Store(wt);
                if (S == SmallKeys) hi.Store(wt + 8);
                else Avx.MaskStore(wt + 8, keys, hi);
            }
        }
        // context[t, :] = Σₛ weights[t, s]·v[s, :]
        SmallProduct256(T, Dv, S, w, S, 1, vh, vStride, ch, contextStride);
    }

    /// <summary>
    /// The backward pass of one sample and head at 256 bits, S ≤ 16, no dropout, as <see cref="BackwardSmall"/>.
    /// <paramref name="vt"/>: ValueDim × 16 floats of scratch; <paramref name="dz"/>: T × S.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardSmall256(float* qh, int qStride, float* kh, int kStride, float* vh, int vStride, int length,
        float* w, float* dch, int contextStride, float* dqh, int dqStride, float* dkh, int dkStride, float* dvh, int dvStride,
        AttentionShape shape, float* vt, float* dz)
    {
        int T = shape.Queries, S = shape.Keys, D = shape.HeadDim, Dv = shape.ValueDim;
        // dv[s, :] = Σₜ w[t, s]·dc[t, :]
        if (dvh != null) SmallProduct256(S, Dv, T, w, 1, S, dch, contextStride, dvh, dvStride);
        if (dqh == null && dkh == null) return;
        // dw[t, :] = Σ_c dc[t, c]·vᵀ[c, :]
        int ld = S <= 8 ? 8 : SmallKeys;
        TransposeKeys256(vh, vStride, S, Dv, vt, ld);
        SmallProduct256(T, S, Dv, dch, contextStride, 1, vt, ld, dz, S);
        // dz = scale·w ⊙ (dw − Σ dw ⊙ w) over the valid keys, 0 beyond them.
        var scale = Vector256.Create(shape.Scale);
        if (S <= 8)
        {
            var keys = Gemm.TailMask256(S);
            for (int t = 0; t < T; t++)
            {
                float* wt = w + t * S, dzt = dz + t * S;
                var wr = S == 8 ? Vector256.Load(wt) : Avx.MaskLoad(wt, keys);
                var live = Gemm.TailMask256(Valid(length, t, shape));
                var dw = (S == 8 ? Vector256.Load(dzt) : Avx.MaskLoad(dzt, keys)) & live;
                float dot = Vector256.Sum(dw * wr);
                var dzRow = (scale * wr * (dw - Vector256.Create(dot))) & live;
                if (S == 8) dzRow.Store(dzt);
                else Avx.MaskStore(dzt, keys, dzRow);
            }
        }
        else
        {
            var keys = Gemm.TailMask256(S - 8);
            for (int t = 0; t < T; t++)
            {
                float* wt = w + t * S, dzt = dz + t * S;
                var wlo = Vector256.Load(wt);
                var whi = S == SmallKeys ? Vector256.Load(wt + 8) : Avx.MaskLoad(wt + 8, keys);
                int valid = Valid(length, t, shape);
                var liveLo = Gemm.TailMask256(valid);
                var liveHi = Gemm.TailMask256(valid - 8);
                var dlo = Vector256.Load(dzt) & liveLo;
                var dhi = (S == SmallKeys ? Vector256.Load(dzt + 8) : Avx.MaskLoad(dzt + 8, keys)) & liveHi;
                var dot = Vector256.Create(Vector256.Sum(dlo * wlo + dhi * whi));
                var zlo = (scale * wlo * (dlo - dot)) & liveLo;
                var zhi = (scale * whi * (dhi - dot)) & liveHi;
                zlo.Store(dzt);
                if (S == SmallKeys) zhi.Store(dzt + 8);
                else Avx.MaskStore(dzt + 8, keys, zhi);
            }
        }
        // dq[t, :] = Σₛ dz[t, s]·k[s, :];  dk[s, :] = Σₜ dz[t, s]·q[t, :]
        if (dqh != null) SmallProduct256(T, D, S, dz, S, 1, kh, kStride, dqh, dqStride);
        if (dkh != null) SmallProduct256(S, D, T, dz, 1, S, qh, qStride, dkh, dkStride);
    }
}
