using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SourceGenNN.Kernels;

/// <summary>
/// The forward product for short rows (16 ≤ K ≤ <see cref="PanelMaxK"/>) with AVX-512 (with AVX2: Gemm.Panel256.cs,
/// the same scheme at 256 bits): <c>C = bias + A·Bᵀ</c> as
/// broadcast products over 32-column panels of Bᵀ. Each panel of B (32 rows of K) is transposed in registers (16 × 16
/// blocks) into a stack buffer, then the broadcast tiles of <see cref="Broadcast"/> (12, 4 or 1 rows × 32 columns,
/// a masked 16-column panel at the end) run over every row of A. With few terms per output a dot-product tile spends
/// more on its horizontal reductions than on its products (an encoder layer's [16, 64]·[64, 192], for instance);
/// a broadcast tile has none, and the transposed panel is reused by every row.
/// <para>
/// Every output is bias (or C, then bias) plus the products in k order, whatever its row, tile or thread, and the
/// choice of this path depends on K alone: a sample's output does not depend on the batch it is in.
/// </para>
/// </summary>
public static unsafe partial class Gemm
{
    /// <summary>The longest rows the panel path takes: a transposed panel (K × 32 floats) is at most 16 KiB of stack.</summary>
    private const int PanelMaxK = 128;

    /// <summary>
    /// Whether <see cref="DotNTPanels"/> takes a product of <paramref name="N"/> outputs of <paramref name="K"/> terms
    /// (never M: the batch does not choose the arithmetic). Fewer than 16 columns (a classifier's head) keep the
    /// dot-product tiles, where transposing B would cost more than it saves.
    /// </summary>
    private static bool UsePanels(int N, int K) => (Wide || DotLanes == 8) && N >= 16 && K >= 16 && K <= PanelMaxK;

    private static void DotNTPanelPart(void* context, int i, int count)
    {
        ref Job j = ref *(Job*)context;
        var (n0, n1) = j.Columns(i, count);
        if (n1 > n0)
            DotNTPanels(j.M, n1 - n0, j.K, j.A, j.Ams, j.B + (long)n0 * j.Ldb, j.Ldb, j.C + n0, j.Ldc, j.Bias == null ? null : j.Bias + n0, j.Accumulate, j.Epilogue.Shifted(n0));
    }

    /// <summary>The panel product over columns [0, N), serially.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotNTPanels(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias, bool accumulate, Epilogue epilogue)
    {
        if (!Wide)
        {
            // AVX2: the same scheme at 256 bits (Gemm.Panel256.cs).
            DotNTPanels256(M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate, epilogue);
            return;
        }
        if (M <= 16)
        {
            DotNTFewRows(M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate, epilogue);
            return;
        }
        float* panel = stackalloc float[PanelMaxK * 32];
        // Blocks of DotNB columns, as the dot-product path: the epilogue runs on the same column blocks whatever the
        // path and the threads, so an activation's vector and scalar parts fall on the same columns.
        for (int block = 0; block < N; block += DotNB)
        {
            int blockEnd = Math.Min(N, block + DotNB);
            for (int n0 = block; n0 < blockEnd; n0 += 32)
            {
                int nb = Math.Min(32, blockEnd - n0);
                // Bᵀ for columns n0..n0 + nb: panel[k·32 + j] = B[n0 + j, k] (columns past nb are 0).
                TransposePanel16(B + (long)n0 * ldb, ldb, Math.Min(16, nb), K, panel, 32);
                if (nb > 16) TransposePanel16(B + (long)(n0 + 16) * ldb, ldb, nb - 16, K, panel + 16, 32);
                // C starts as the bias (added to C when accumulating); the tiles then add the products.
                float* cn = C + n0;
                var mask = TailMask(Math.Min(16, nb));
                var mask2 = TailMask(Math.Max(0, nb - 16));
                var b0 = bias == null ? default : Avx512F.MaskLoad(bias + n0, mask, default);
                var b1 = bias == null || nb <= 16 ? default : Avx512F.MaskLoad(bias + n0 + 16, mask2, default);
                for (int m = 0; m < M; m++)
                {
                    float* c = cn + (long)m * ldc;
                    if (accumulate)
                    {
                        if (bias == null) continue;
                        Avx512F.MaskStore(c, mask, Avx512F.MaskLoad(c, mask, default) + b0);
                        if (nb > 16) Avx512F.MaskStore(c + 16, mask2, Avx512F.MaskLoad(c + 16, mask2, default) + b1);
                    }
                    else
                    {
                        Avx512F.MaskStore(c, mask, b0);
                        if (nb > 16) Avx512F.MaskStore(c + 16, mask2, b1);
                    }
                }
                BroadcastBlock(M, nb, K, A, lda, 1, panel, 32, cn, ldc, accumulate: true);
            }
            epilogue.Run(C, ldc, M, block, blockEnd - block);
        }
    }

    /// <summary>
    /// The panel product for at most 16 rows (a batch of one sequence of 16 tokens, say): the same arithmetic as
    /// <see cref="DotNTPanels"/> with the roles turned, lanes along the rows. Aᵀ (K × 16) is transposed once; each
    /// output column n is then Σₖ B[n, k]·Aᵀ[k, :], its terms in k order as in the broadcast tiles (a fused
    /// multiply-add does not depend on the order of its two factors), sixteen columns at a time; the 16 × 16 block of
    /// results is transposed back and bias + sum (C + bias + sum when accumulating) stored, as the panels do. Only
    /// the first M lanes are kept. Same bits as the panels for every output, so the number of rows still does not
    /// choose the arithmetic; the transposes are 16 × 16 blocks of A and of C instead of the whole of B.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotNTFewRows(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias, bool accumulate, Epilogue epilogue)
    {
        float* at = stackalloc float[PanelMaxK * 16];
        TransposePanel16(A, lda, M, K, at, 16);
        for (int b0 = 0; b0 < N; b0 += DotNB)
        {
            int blockEnd = Math.Min(N, b0 + DotNB);
            for (int n0 = b0; n0 < blockEnd; n0 += 16)
                ColumnsFewRowsToC(M, K, at, B + (long)n0 * ldb, ldb, Math.Min(16, blockEnd - n0), C + n0, ldc, bias == null ? null : bias + n0, accumulate);
            epilogue.Run(C, ldc, M, b0, blockEnd - b0);
        }
    }

    /// <summary>
    /// Sixteen columns of <see cref="DotNTFewRows"/>: the 16 sums per column (one per row, in lanes) as in
    /// <see cref="ColumnsSixteen"/> (partial blocks: the missing columns repeat the last), then the 16 × 16 block transposed in registers and each of the M rows stored as
    /// bias + sum (C + bias + sum when accumulating), <paramref name="nb"/> columns wide.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnsFewRowsToC(int M, int K, float* at, float* B, int ldb, int nb, float* C, int ldc, float* bias, bool accumulate)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        Vector512<float> c8 = default, c9 = default, c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        if (nb == 16)
        {
            // Sixteen rows of B at a fixed stride: four row pointers and three multiples of ldb address them all, so
            // they stay in general registers (sixteen separate pointers do not fit, and were reloaded every term).
            long o1 = ldb, o2 = 2L * ldb, o3 = 3L * ldb;
            float* p0 = B, p1 = B + 4 * o1, p2 = B + 8 * o1, p3 = B + 12 * o1;
            for (int k = 0; k < K; k++)
            {
                var a = Vector512.Load(at + k * 16);
                c0 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p0[0]), c0);
                c1 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p0[o1]), c1);
                c2 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p0[o2]), c2);
                c3 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p0[o3]), c3);
                c4 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p1[0]), c4);
                c5 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p1[o1]), c5);
                c6 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p1[o2]), c6);
                c7 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p1[o3]), c7);
                c8 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p2[0]), c8);
                c9 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p2[o1]), c9);
                c10 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p2[o2]), c10);
                c11 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p2[o3]), c11);
                c12 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p3[0]), c12);
                c13 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p3[o1]), c13);
                c14 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p3[o2]), c14);
                c15 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p3[o3]), c15);
                p0++;
                p1++;
                p2++;
                p3++;
            }
        }
        else
        {
            // Fewer columns: those from nb on repeat the last (their sums are not stored).
            long last = nb - 1;
            float* b0 = B, b1 = B + Math.Min(1, last) * ldb, b2 = B + Math.Min(2, last) * ldb, b3 = B + Math.Min(3, last) * ldb;
            float* b4 = B + Math.Min(4, last) * ldb, b5 = B + Math.Min(5, last) * ldb, b6 = B + Math.Min(6, last) * ldb, b7 = B + Math.Min(7, last) * ldb;
            float* b8 = B + Math.Min(8, last) * ldb, b9 = B + Math.Min(9, last) * ldb, b10 = B + Math.Min(10, last) * ldb, b11 = B + Math.Min(11, last) * ldb;
            float* b12 = B + Math.Min(12, last) * ldb, b13 = B + Math.Min(13, last) * ldb, b14 = B + Math.Min(14, last) * ldb, b15 = B + Math.Min(15, last) * ldb;
            for (int k = 0; k < K; k++)
            {
                var a = Vector512.Load(at + k * 16);
                c0 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b0[k]), c0);
                c1 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b1[k]), c1);
                c2 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b2[k]), c2);
                c3 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b3[k]), c3);
                c4 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b4[k]), c4);
                c5 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b5[k]), c5);
                c6 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b6[k]), c6);
                c7 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b7[k]), c7);
                c8 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b8[k]), c8);
                c9 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b9[k]), c9);
                c10 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b10[k]), c10);
                c11 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b11[k]), c11);
                c12 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b12[k]), c12);
                c13 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b13[k]), c13);
                c14 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b14[k]), c14);
                c15 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b15[k]), c15);
            }
        }
        // Transpose: uQC holds columns 4Q..4Q + 3 of rows C, C + 4, C + 8, C + 12 (one per 128-bit lane).
        Interleave4(c0, c1, c2, c3, out var u00, out var u01, out var u02, out var u03);
        Interleave4(c4, c5, c6, c7, out var u10, out var u11, out var u12, out var u13);
        Interleave4(c8, c9, c10, c11, out var u20, out var u21, out var u22, out var u23);
        Interleave4(c12, c13, c14, c15, out var u30, out var u31, out var u32, out var u33);
        var mask = TailMask(nb);
        var bv = bias == null ? default : Avx512F.MaskLoad(bias, mask, default);
        StoreRows4(u00, u10, u20, u30, 0, M, C, ldc, mask, bv, accumulate);
        StoreRows4(u01, u11, u21, u31, 1, M, C, ldc, mask, bv, accumulate);
        StoreRows4(u02, u12, u22, u32, 2, M, C, ldc, mask, bv, accumulate);
        StoreRows4(u03, u13, u23, u33, 3, M, C, ldc, mask, bv, accumulate);
    }

    /// <summary>Rows m, m + 4, m + 8, m + 12 (those below M) from lanes 0..3 of a..d, stored as bias + sum (C + bias + sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRows4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, int m, int M,
        float* C, int ldc, Vector512<float> mask, Vector512<float> bias, bool accumulate)
    {
        var x0 = Avx512F.Shuffle4x128(a, b, 0x44);
        var x1 = Avx512F.Shuffle4x128(a, b, 0xEE);
        var y0 = Avx512F.Shuffle4x128(c, d, 0x44);
        var y1 = Avx512F.Shuffle4x128(c, d, 0xEE);
        StoreSum(Avx512F.Shuffle4x128(x0, y0, 0x88), m, M, C, ldc, mask, bias, accumulate);
        StoreSum(Avx512F.Shuffle4x128(x0, y0, 0xDD), m + 4, M, C, ldc, mask, bias, accumulate);
        StoreSum(Avx512F.Shuffle4x128(x1, y1, 0x88), m + 8, M, C, ldc, mask, bias, accumulate);
        StoreSum(Avx512F.Shuffle4x128(x1, y1, 0xDD), m + 12, M, C, ldc, mask, bias, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSum(Vector512<float> sum, int m, int M, float* C, int ldc, Vector512<float> mask, Vector512<float> bias, bool accumulate)
    {
        if (m >= M) return;
        float* c = C + (long)m * ldc;
        var start = accumulate ? Avx512F.MaskLoad(c, mask, default) + bias : bias;
        Avx512F.MaskStore(c, mask, start + sum);
    }

    /// <summary>
    /// <c>out[j·16 + m] = Σₖ B[j, k]·Aᵀ[k, m]</c> for 16 columns j (16 rows of B, <paramref name="ldb"/> apart), sixteen
    /// independent accumulators, the block left in memory (the attention's scores; <see cref="ColumnsFewRowsToC"/>
    /// does the same and stores rows of C).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ColumnsSixteen(int K, float* at, float* B, int ldb, float* output)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        Vector512<float> c8 = default, c9 = default, c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        // Sixteen rows of B at a fixed stride: four row pointers and three multiples of ldb address them all, so
        // they stay in general registers (sixteen separate pointers do not fit, and were reloaded every term).
        long o1 = ldb, o2 = 2L * ldb, o3 = 3L * ldb;
        float* p0 = B, p1 = B + 4 * o1, p2 = B + 8 * o1, p3 = B + 12 * o1;
        for (int k = 0; k < K; k++)
        {
            var a = Vector512.Load(at + k * 16);
            c0 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p0[0]), c0);
            c1 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p0[o1]), c1);
            c2 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p0[o2]), c2);
            c3 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p0[o3]), c3);
            c4 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p1[0]), c4);
            c5 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p1[o1]), c5);
            c6 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p1[o2]), c6);
            c7 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p1[o3]), c7);
            c8 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p2[0]), c8);
            c9 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p2[o1]), c9);
            c10 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p2[o2]), c10);
            c11 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p2[o3]), c11);
            c12 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p3[0]), c12);
            c13 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p3[o1]), c13);
            c14 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p3[o2]), c14);
            c15 = Vector512.FusedMultiplyAdd(a, Vector512.Create(p3[o3]), c15);
            p0++;
            p1++;
            p2++;
            p3++;
        }
        c0.Store(output);
        c1.Store(output + 16);
        c2.Store(output + 32);
        c3.Store(output + 48);
        c4.Store(output + 64);
        c5.Store(output + 80);
        c6.Store(output + 96);
        c7.Store(output + 112);
        c8.Store(output + 128);
        c9.Store(output + 144);
        c10.Store(output + 160);
        c11.Store(output + 176);
        c12.Store(output + 192);
        c13.Store(output + 208);
        c14.Store(output + 224);
        c15.Store(output + 240);
    }

    /// <summary>
    /// <c>dst[k·dstStride + j] = B[j·ldb + k]</c> for j &lt; 16 and k &lt; K: rows j ≥ <paramref name="rows"/> read as 0. Blocks of
    /// 16 × 16 are transposed in registers: 32-bit, then 64-bit interleaves within each 128-bit lane, then two 128-bit
    /// lane shuffles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void TransposePanel16(float* B, int ldb, int rows, int K, float* dst, int dstStride)
    {
        for (int k0 = 0; k0 < K; k0 += 16)
        {
            int width = Math.Min(16, K - k0);
            var mask = TailMask(width);
            float* b = B + k0;
            var r0 = Row(b, ldb, 0, rows, width, mask);
            var r1 = Row(b, ldb, 1, rows, width, mask);
            var r2 = Row(b, ldb, 2, rows, width, mask);
            var r3 = Row(b, ldb, 3, rows, width, mask);
            var r4 = Row(b, ldb, 4, rows, width, mask);
            var r5 = Row(b, ldb, 5, rows, width, mask);
            var r6 = Row(b, ldb, 6, rows, width, mask);
            var r7 = Row(b, ldb, 7, rows, width, mask);
            var r8 = Row(b, ldb, 8, rows, width, mask);
            var r9 = Row(b, ldb, 9, rows, width, mask);
            var r10 = Row(b, ldb, 10, rows, width, mask);
            var r11 = Row(b, ldb, 11, rows, width, mask);
            var r12 = Row(b, ldb, 12, rows, width, mask);
            var r13 = Row(b, ldb, 13, rows, width, mask);
            var r14 = Row(b, ldb, 14, rows, width, mask);
            var r15 = Row(b, ldb, 15, rows, width, mask);
            // 32-bit, then 64-bit interleaves: uQC holds rows 4Q..4Q + 3 of columns C, C + 4, C + 8, C + 12 (one per
            // 128-bit lane).
            Interleave4(r0, r1, r2, r3, out var u00, out var u01, out var u02, out var u03);
            Interleave4(r4, r5, r6, r7, out var u10, out var u11, out var u12, out var u13);
            Interleave4(r8, r9, r10, r11, out var u20, out var u21, out var u22, out var u23);
            Interleave4(r12, r13, r14, r15, out var u30, out var u31, out var u32, out var u33);
            // Column C + 4L gathers 128-bit lane L of u0C, u1C, u2C and u3C.
            float* d = dst + (long)k0 * dstStride;
            Gather4(u00, u10, u20, u30, d, dstStride, width);
            Gather4(u01, u11, u21, u31, d + dstStride, dstStride, width - 1);
            Gather4(u02, u12, u22, u32, d + 2 * dstStride, dstStride, width - 2);
            Gather4(u03, u13, u23, u33, d + 3 * dstStride, dstStride, width - 3);
        }
    }

    /// <summary>Row <paramref name="j"/> of a 16 × 16 block: <paramref name="width"/> columns, 0 past the last row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(float* b, int ldb, int j, int rows, int width, Vector512<float> mask) =>
        j >= rows ? default
        : width == 16 ? Vector512.Load(b + (long)j * ldb)
        : Avx512F.MaskLoad(b + (long)j * ldb, mask, default);

    /// <summary>The first two steps of a 16 × 16 transpose for rows a..d: 32-bit then 64-bit interleaves per 128-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        out Vector512<float> u0, out Vector512<float> u1, out Vector512<float> u2, out Vector512<float> u3)
    {
        var t0 = Avx512F.UnpackLow(a, b).AsDouble();
        var t1 = Avx512F.UnpackHigh(a, b).AsDouble();
        var t2 = Avx512F.UnpackLow(c, d).AsDouble();
        var t3 = Avx512F.UnpackHigh(c, d).AsDouble();
        u0 = Avx512F.UnpackLow(t0, t2).AsSingle();
        u1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        u2 = Avx512F.UnpackLow(t1, t3).AsSingle();
        u3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
    }

    /// <summary>
    /// The last two steps: columns C, C + 4, C + 8, C + 12 from lanes 0..3 of a, b, c, d, stored 4 rows of
    /// <paramref name="stride"/> apart (those below <paramref name="width"/> only).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gather4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, float* dst, int stride, int width)
    {
        var x0 = Avx512F.Shuffle4x128(a, b, 0x44);
        var x1 = Avx512F.Shuffle4x128(a, b, 0xEE);
        var y0 = Avx512F.Shuffle4x128(c, d, 0x44);
        var y1 = Avx512F.Shuffle4x128(c, d, 0xEE);
        if (width > 0) Avx512F.Shuffle4x128(x0, y0, 0x88).Store(dst);
        if (width > 4) Avx512F.Shuffle4x128(x0, y0, 0xDD).Store(dst + 4 * stride);
        if (width > 8) Avx512F.Shuffle4x128(x1, y1, 0x88).Store(dst + 8 * stride);
        if (width > 12) Avx512F.Shuffle4x128(x1, y1, 0xDD).Store(dst + 12 * stride);
    }
}
