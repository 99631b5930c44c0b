using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SourceGenNN.Kernels;

// The forward product's dot-product kernels at 256 bits (AVX2 and FMA): the same scheme as the 512-bit ones, at half
// the width. Each output is one accumulator of 8 lanes (lane l sums the terms k ≡ l mod 8, the last K % 8 as one masked
// step), reduced by Reduce4V256, plus the bias: the same operations for every output whichever kernel computes it.
public static unsafe partial class Gemm
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotBlockV256(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias, bool accumulate)
    {
        int m = 0;
        // 6×2 tiles: 12 accumulators and the two vectors of B in 14 of the 16 ymm registers; each k step loads 8 vectors
        // for 12 fused multiply-adds, so the FMA units, not the loads, set the pace.
        for (; m + 6 <= M; m += 6)
        {
            int n = 0;
            for (; n + 2 <= N; n += 2)
                Dot6x2V256(K, A + m * lda, lda, B + n * ldb, ldb, C + m * ldc + n, ldc, bias == null ? null : bias + n, accumulate);
        }
        // The last rows of a batch (M % 6 of them): 4×2 tiles keep reading B once per four rows, not once per row.
        for (; m + 4 <= M; m += 4)
        {
            int n = 0;
            for (; n + 2 <= N; n += 2)
                Dot4x2V256(K, A + m * lda, lda, B + n * ldb, ldb, C + m * ldc + n, ldc, bias == null ? null : bias + n, accumulate);
        }
        for (; m < M; m++)
        {
            int n = 0;
            for (; n + 8 <= N; n += 8)
                Dot1x8V256(K, A + m * lda, B + n * ldb, ldb, C + m * ldc + n, bias == null ? null : bias + n, accumulate);
            for (; n + 2 <= N; n += 2)
                Dot1x2V256(K, A + m * lda, B + n * ldb, ldb, C + m * ldc + n, bias == null ? null : bias + n, accumulate);
        }
        // An odd last column, for every row.
        if ((N & 1) != 0)
        {
            int n = N - 1;
            for (int r = 0; r < M; r++)
                Dot1x1V256(K, A + r * lda, B + n * ldb, C + r * ldc + n, bias == null ? null : bias + n, accumulate);
        }
    }

    /// <summary>A mask of the first <paramref name="count"/> of 8 lanes (none when count ≤ 0, all from 8 on).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> TailMask256(int count) =>
        Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();

    /// <summary>
    /// Reduces four 8-lane sums to the four totals: halve each to 128 bits, then two rounds of horizontal adds
    /// (lanes: the totals of p, q, r, s, each ((x0 + x1) + (x2 + x3)) of its halved vector).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Reduce4V256(Vector256<float> p, Vector256<float> q, Vector256<float> r, Vector256<float> s)
    {
        var p4 = p.GetLower() + p.GetUpper();
        var q4 = q.GetLower() + q.GetUpper();
        var r4 = r.GetLower() + r.GetUpper();
        var s4 = s.GetLower() + s.GetUpper();
        return Sse3.HorizontalAdd(Sse3.HorizontalAdd(p4, q4), Sse3.HorizontalAdd(r4, s4));
    }

    /// <summary>
    /// Two rows of a 2-column tile: <paramref name="v"/> holds the reduced sums [row 0: n, n + 1; row 1: n, n + 1];
    /// each gets its bias (<paramref name="bias2"/>: [b0, b1, b0, b1], zero without a bias), then, when accumulating,
    /// the value already in C, and lanes 0–1 go to <paramref name="c0"/>, 2–3 to <paramref name="c1"/> as two 64-bit
    /// stores. Per output this is (sum + bias), then C + that: the arithmetic of the one-output kernels, in one vector
    /// add or two instead of a branchy scalar sequence per output.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRowPair(float* c0, float* c1, Vector128<float> v, Vector128<float> bias2, bool accumulate)
    {
        v += bias2;
        if (accumulate) v += Vector128.Create(*(double*)c0, *(double*)c1).AsSingle();
        var d = v.AsDouble();
        *(double*)c0 = d.ToScalar();
        *(double*)c1 = d.GetElement(1);
    }

    /// <summary>The bias of two adjacent columns, twice: [b0, b1, b0, b1], or zero without a bias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> BiasPair(float* bias) =>
        bias == null ? Vector128<float>.Zero : Vector128.Create(*(double*)bias).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot6x2V256(int K, float* a, int lda, float* b, int ldb, float* c, int ldc, float* bias, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        float* b0 = b, b1 = b + ldb;
        int k = 0;
        for (; k + 8 <= K; k += 8)
        {
            var w0 = Vector256.Load(b0 + k);
            var w1 = Vector256.Load(b1 + k);
            var x = Vector256.Load(a0 + k);
            c00 = Vector256.FusedMultiplyAdd(x, w0, c00); c01 = Vector256.FusedMultiplyAdd(x, w1, c01);
            x = Vector256.Load(a1 + k);
            c10 = Vector256.FusedMultiplyAdd(x, w0, c10); c11 = Vector256.FusedMultiplyAdd(x, w1, c11);
            x = Vector256.Load(a2 + k);
            c20 = Vector256.FusedMultiplyAdd(x, w0, c20); c21 = Vector256.FusedMultiplyAdd(x, w1, c21);
            x = Vector256.Load(a3 + k);
            c30 = Vector256.FusedMultiplyAdd(x, w0, c30); c31 = Vector256.FusedMultiplyAdd(x, w1, c31);
            x = Vector256.Load(a4 + k);
            c40 = Vector256.FusedMultiplyAdd(x, w0, c40); c41 = Vector256.FusedMultiplyAdd(x, w1, c41);
            x = Vector256.Load(a5 + k);
            c50 = Vector256.FusedMultiplyAdd(x, w0, c50); c51 = Vector256.FusedMultiplyAdd(x, w1, c51);
        }
        if (k < K)
        {
            // vmaskmovps: masked-off lanes read as zero and never touch memory.
            var mask = TailMask256(K - k);
            var w0 = Avx.MaskLoad(b0 + k, mask);
            var w1 = Avx.MaskLoad(b1 + k, mask);
            var x = Avx.MaskLoad(a0 + k, mask);
            c00 = Vector256.FusedMultiplyAdd(x, w0, c00); c01 = Vector256.FusedMultiplyAdd(x, w1, c01);
            x = Avx.MaskLoad(a1 + k, mask);
            c10 = Vector256.FusedMultiplyAdd(x, w0, c10); c11 = Vector256.FusedMultiplyAdd(x, w1, c11);
            x = Avx.MaskLoad(a2 + k, mask);
            c20 = Vector256.FusedMultiplyAdd(x, w0, c20); c21 = Vector256.FusedMultiplyAdd(x, w1, c21);
            x = Avx.MaskLoad(a3 + k, mask);
            c30 = Vector256.FusedMultiplyAdd(x, w0, c30); c31 = Vector256.FusedMultiplyAdd(x, w1, c31);
            x = Avx.MaskLoad(a4 + k, mask);
            c40 = Vector256.FusedMultiplyAdd(x, w0, c40); c41 = Vector256.FusedMultiplyAdd(x, w1, c41);
            x = Avx.MaskLoad(a5 + k, mask);
            c50 = Vector256.FusedMultiplyAdd(x, w0, c50); c51 = Vector256.FusedMultiplyAdd(x, w1, c51);
        }
        var r01 = Reduce4V256(c00, c01, c10, c11);
        var r23 = Reduce4V256(c20, c21, c30, c31);
        var r45 = Reduce4V256(c40, c41, c50, c51);
        var b2 = BiasPair(bias);
        StoreRowPair(c, c + ldc, r01, b2, accumulate);
        StoreRowPair(c + 2 * ldc, c + 3 * ldc, r23, b2, accumulate);
        StoreRowPair(c + 4 * ldc, c + 5 * ldc, r45, b2, accumulate);
    }

    /// <summary>Four rows against two, with exactly the arithmetic of four rows of <see cref="Dot6x2V256"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x2V256(int K, float* a, int lda, float* b, int ldb, float* c, int ldc, float* bias, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        float* b0 = b, b1 = b + ldb;
        int k = 0;
        for (; k + 8 <= K; k += 8)
        {
            var w0 = Vector256.Load(b0 + k);
            var w1 = Vector256.Load(b1 + k);
            var x = Vector256.Load(a0 + k);
            c00 = Vector256.FusedMultiplyAdd(x, w0, c00); c01 = Vector256.FusedMultiplyAdd(x, w1, c01);
            x = Vector256.Load(a1 + k);
            c10 = Vector256.FusedMultiplyAdd(x, w0, c10); c11 = Vector256.FusedMultiplyAdd(x, w1, c11);
            x = Vector256.Load(a2 + k);
            c20 = Vector256.FusedMultiplyAdd(x, w0, c20); c21 = Vector256.FusedMultiplyAdd(x, w1, c21);
            x = Vector256.Load(a3 + k);
            c30 = Vector256.FusedMultiplyAdd(x, w0, c30); c31 = Vector256.FusedMultiplyAdd(x, w1, c31);
        }
        if (k < K)
        {
            var mask = TailMask256(K - k);
            var w0 = Avx.MaskLoad(b0 + k, mask);
            var w1 = Avx.MaskLoad(b1 + k, mask);
            var x = Avx.MaskLoad(a0 + k, mask);
            c00 = Vector256.FusedMultiplyAdd(x, w0, c00); c01 = Vector256.FusedMultiplyAdd(x, w1, c01);
            x = Avx.MaskLoad(a1 + k, mask);
            c10 = Vector256.FusedMultiplyAdd(x, w0, c10); c11 = Vector256.FusedMultiplyAdd(x, w1, c11);
            x = Avx.MaskLoad(a2 + k, mask);
            c20 = Vector256.FusedMultiplyAdd(x, w0, c20); c21 = Vector256.FusedMultiplyAdd(x, w1, c21);
            x = Avx.MaskLoad(a3 + k, mask);
            c30 = Vector256.FusedMultiplyAdd(x, w0, c30); c31 = Vector256.FusedMultiplyAdd(x, w1, c31);
        }
        var b2 = BiasPair(bias);
        StoreRowPair(c, c + ldc, Reduce4V256(c00, c01, c10, c11), b2, accumulate);
        StoreRowPair(c + 2 * ldc, c + 3 * ldc, Reduce4V256(c20, c21, c30, c31), b2, accumulate);
    }

    /// <summary>One row against two, with exactly the arithmetic of a row of <see cref="Dot6x2V256"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot1x2V256(int K, float* a, float* b, int ldb, float* c, float* bias, bool accumulate)
    {
        Vector256<float> c0 = default, c1 = default;
        float* b0 = b, b1 = b + ldb;
        int k = 0;
        for (; k + 8 <= K; k += 8)
        {
            var x = Vector256.Load(a + k);
            c0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b0 + k), c0);
            c1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b1 + k), c1);
        }
        if (k < K)
        {
            var mask = TailMask256(K - k);
            var x = Avx.MaskLoad(a + k, mask);
            c0 = Vector256.FusedMultiplyAdd(x, Avx.MaskLoad(b0 + k, mask), c0);
            c1 = Vector256.FusedMultiplyAdd(x, Avx.MaskLoad(b1 + k, mask), c1);
        }
        var v = Reduce4V256(c0, c1, default, default) + BiasPair(bias);
        if (accumulate) v += Vector128.CreateScalar(*(double*)c).AsSingle();
        *(double*)c = v.AsDouble().ToScalar();
    }

    /// <summary>One row against eight (a matrix-vector product at batch 1), with the arithmetic of the other kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot1x8V256(int K, float* a, float* b, int ldb, float* c, float* bias, bool accumulate)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        int k = 0;
        for (; k + 8 <= K; k += 8)
        {
            var x = Vector256.Load(a + k);
            s0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + k), s0);
            s1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + ldb + k), s1);
            s2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + 2 * ldb + k), s2);
            s3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + 3 * ldb + k), s3);
            s4 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + 4 * ldb + k), s4);
            s5 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + 5 * ldb + k), s5);
            s6 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + 6 * ldb + k), s6);
            s7 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + 7 * ldb + k), s7);
        }
        if (k < K)
        {
            var mask = TailMask256(K - k);
            var x = Avx.MaskLoad(a + k, mask);
            s0 = Vector256.FusedMultiplyAdd(x, Avx.MaskLoad(b + k, mask), s0);
            s1 = Vector256.FusedMultiplyAdd(x, Avx.MaskLoad(b + ldb + k, mask), s1);
            s2 = Vector256.FusedMultiplyAdd(x, Avx.MaskLoad(b + 2 * ldb + k, mask), s2);
            s3 = Vector256.FusedMultiplyAdd(x, Avx.MaskLoad(b + 3 * ldb + k, mask), s3);
            s4 = Vector256.FusedMultiplyAdd(x, Avx.MaskLoad(b + 4 * ldb + k, mask), s4);
            s5 = Vector256.FusedMultiplyAdd(x, Avx.MaskLoad(b + 5 * ldb + k, mask), s5);
            s6 = Vector256.FusedMultiplyAdd(x, Avx.MaskLoad(b + 6 * ldb + k, mask), s6);
            s7 = Vector256.FusedMultiplyAdd(x, Avx.MaskLoad(b + 7 * ldb + k, mask), s7);
        }
        var lo = Reduce4V256(s0, s1, s2, s3);
        var hi = Reduce4V256(s4, s5, s6, s7);
        if (bias != null)
        {
            lo += Vector128.Load(bias);
            hi += Vector128.Load(bias + 4);
        }
        StoreRow(c, lo, accumulate);
        StoreRow(c + 4, hi, accumulate);
    }

    /// <summary>One output, with the arithmetic of the other kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot1x1V256(int K, float* a, float* b, float* c, float* bias, bool accumulate)
    {
        Vector256<float> s = default;
        int k = 0;
        for (; k + 8 <= K; k += 8)
            s = Vector256.FusedMultiplyAdd(Vector256.Load(a + k), Vector256.Load(b + k), s);
        if (k < K)
        {
            var mask = TailMask256(K - k);
            s = Vector256.FusedMultiplyAdd(Avx.MaskLoad(a + k, mask), Avx.MaskLoad(b + k, mask), s);
        }
        float v = Reduce4V256(s, default, default, default).ToScalar() + (bias == null ? 0f : *bias);
        *c = accumulate ? *c + v : v;
    }
}
