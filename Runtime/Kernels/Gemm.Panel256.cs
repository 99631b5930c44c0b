using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SourceGenNN.Kernels;

// The panel path at 256 bits (AVX2 and FMA, DotLanes == 8): the scheme of Gemm.Panel.cs at half the width. Each panel
// of B (16 rows of K) is transposed in 8 × 8 register blocks into a stack buffer (K × 16 floats), C starts as the bias
// (C + bias when accumulating), and the 256-bit broadcast tiles of BroadcastBlock (4 × 16 and 1 × 16) add the products;
// a last panel of fewer than 16 columns takes masked 8-column tiles with the same arithmetic. Up to 16 rows take
// DotNTFewRows256 instead (lanes along the rows, in groups of 8; one row: 8 × 8 blocks of B transposed in registers
// and used at once), with the same bits. Every output is
//     start + s,   start = bias (or C + bias when accumulating, C alone without a bias),
//     s = fma(a[K-1], b[K-1], … fma(a[1], b[1], fma(a[0], b[0], 0)))
// whatever its row, tile or thread (a fused multiply-add rounds once, so the order of its two factors does not
// matter, and a float addition does not depend on the order of its operands).
public static unsafe partial class Gemm
{
    /// <summary>
    /// Rows up to which the 256-bit panel product puts the rows in lanes (<see cref="DotNTFewRows256"/>, two groups of
    /// 8 at 16 rows): measured about 10% faster than transposing the panels at 16 rows, the same bits either way.
    /// </summary>
    private const int FewRows256 = 16;

    /// <summary>The 256-bit panel product over columns [0, N), serially: 16-column panels of Bᵀ, or rows in lanes.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotNTPanels256(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias, bool accumulate, Epilogue epilogue)
    {
        if (M <= FewRows256)
        {
            DotNTFewRows256(M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate, epilogue);
            return;
        }
        float* panel = stackalloc float[PanelMaxK * 16];
        // Blocks of DotNB columns (a multiple of 16), as the other paths: the epilogue sees the same column blocks.
        for (int block = 0; block < N; block += DotNB)
        {
            int blockEnd = Math.Min(N, block + DotNB);
            for (int n0 = block; n0 < blockEnd; n0 += 16)
            {
                int nb = Math.Min(16, blockEnd - n0);
                // Bᵀ for columns n0..n0 + nb: panel[k·16 + j] = B[n0 + j, k]; columns from nb to the next multiple of
                // 8 are 0 (their sums are computed, never stored).
                TransposePanel8(B + (long)n0 * ldb, ldb, Math.Min(8, nb), K, panel, 16);
                if (nb > 8) TransposePanel8(B + (long)(n0 + 8) * ldb, ldb, nb - 8, K, panel + 8, 16);
                float* cn = C + n0;
                StartWithBias(M, nb, cn, ldc, bias == null ? null : bias + n0, accumulate);
                if (nb == 16)
                    BroadcastBlock(M, 16, K, A, lda, 1, panel, 16, cn, ldc, accumulate: true);
                else
                    for (int g = 0; g < nb; g += 8)
                        PanelTailV256(M, K, A, lda, panel + g, cn + g, ldc, TailMask256(Math.Min(8, nb - g)));
            }
            epilogue.Run(C, ldc, M, block, blockEnd - block);
        }
    }

    /// <summary>
    /// The first step of a panel: columns [0, nb) of every row of C become bias (C + bias when accumulating; C is left
    /// as it is when accumulating without a bias, 0 without either), to which the tiles then add the products.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StartWithBias(int M, int nb, float* C, int ldc, float* bias, bool accumulate)
    {
        if (accumulate && bias == null) return;
        for (int m = 0; m < M; m++)
        {
            float* c = C + (long)m * ldc;
            int j = 0;
            if (bias == null)
            {
                for (; j + 8 <= nb; j += 8) Vector256<float>.Zero.Store(c + j);
                for (; j < nb; j++) c[j] = 0f;
            }
            else if (accumulate)
            {
                for (; j + 8 <= nb; j += 8) (Vector256.Load(c + j) + Vector256.Load(bias + j)).Store(c + j);
                for (; j < nb; j++) c[j] += bias[j];
            }
            else
            {
                for (; j + 8 <= nb; j += 8) Vector256.Load(bias + j).Store(c + j);
                for (; j < nb; j++) c[j] = bias[j];
            }
        }
    }

    /// <summary>
    /// Up to 8 columns of a panel of fewer than 16 (<paramref name="mask"/> selects them): <c>C += Σₖ A[m, k]·panel[k, j]</c>
    /// for every row, one FMA chain per output in k order as in <see cref="Bcast4x16V256"/>, four rows at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelTailV256(int M, int K, float* A, int lda, float* panel, float* C, int ldc, Vector256<float> mask)
    {
        int m = 0;
        for (; m + 4 <= M; m += 4)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* a0 = A + (long)m * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            for (int k = 0; k < K; k++)
            {
                var bk = Vector256.Load(panel + k * 16);
                s0 = Vector256.FusedMultiplyAdd(Vector256.Create(a0[k]), bk, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Create(a1[k]), bk, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Create(a2[k]), bk, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Create(a3[k]), bk, s3);
            }
            float* c = C + (long)m * ldc;
            AddMasked(c, s0, mask);
            AddMasked(c + ldc, s1, mask);
            AddMasked(c + 2 * ldc, s2, mask);
            AddMasked(c + 3 * ldc, s3, mask);
        }
        for (; m < M; m++)
        {
            Vector256<float> s = default;
            float* a = A + (long)m * lda;
            for (int k = 0; k < K; k++)
                s = Vector256.FusedMultiplyAdd(Vector256.Create(a[k]), Vector256.Load(panel + k * 16), s);
            AddMasked(C + (long)m * ldc, s, mask);
        }
    }

    /// <summary>The lanes of <paramref name="mask"/>: <c>c = s + c</c> (vmaskmovps: other lanes are neither read nor written).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddMasked(float* c, Vector256<float> s, Vector256<float> mask) =>
        Avx.MaskStore(c, mask, s + Avx.MaskLoad(c, mask));

    /// <summary>
    /// The 256-bit panel product for at most <see cref="FewRows256"/> rows: the arithmetic of
    /// <see cref="DotNTPanels256"/> with lanes along the rows. Aᵀ (K × 8 per group of 8 rows, rows past M zero) is
    /// transposed once; each output column n is then Σₖ B[n, k]·Aᵀ[k, :], one FMA chain in k order, eight columns at a
    /// time; the 8 × 8 block of sums is transposed back and start + sum stored, start being the bias (C + bias when
    /// accumulating), as the panels do. Same bits as the panels for every output; the transposes are of A and of
    /// 8 × 8 blocks of C instead of all of B. A single row takes <see cref="OneRow256"/>, which fills the lanes.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotNTFewRows256(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias, bool accumulate, Epilogue epilogue)
    {
        if (M == 1)
        {
            OneRow256(N, K, A, B, ldb, C, bias, accumulate, epilogue);
            return;
        }
        float* at = stackalloc float[PanelMaxK * FewRows256];
        for (int r0 = 0; r0 < M; r0 += 8)
            TransposePanel8(A + (long)r0 * lda, lda, Math.Min(8, M - r0), K, at + r0 * K, 8);
        for (int b0 = 0; b0 < N; b0 += DotNB)
        {
            int blockEnd = Math.Min(N, b0 + DotNB);
            for (int n0 = b0; n0 < blockEnd; n0 += 8)
                for (int r0 = 0; r0 < M; r0 += 8)
                    ColumnsFewRows8ToC(Math.Min(8, M - r0), K, at + r0 * K, B + (long)n0 * ldb, ldb, Math.Min(8, blockEnd - n0), C + (long)r0 * ldc + n0, ldc, bias == null ? null : bias + n0, accumulate);
            epilogue.Run(C, ldc, M, b0, blockEnd - b0);
        }
    }

    /// <summary>
    /// One row (a batch of one): lanes along the columns again, as in the panels, but each 8 × 8 block of B transposed
    /// in registers and used at once instead of stored: per block of 8 terms, <c>s = fma(a[k], Bᵀ[k, :], s)</c> for
    /// its k in order, the same chain as a panel tile's. Rows in lanes would use one lane of eight; this spends the
    /// shuffles of the transpose instead. Four groups of 8 columns are in flight, so that four independent chains
    /// hide the latency of each chain's eight dependent steps per block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneRow256(int N, int K, float* a, float* B, int ldb, float* C, float* bias, bool accumulate, Epilogue epilogue)
    {
        for (int b0 = 0; b0 < N; b0 += DotNB)
        {
            int blockEnd = Math.Min(N, b0 + DotNB);
            for (int n0 = b0; n0 < blockEnd; n0 += 32)
            {
                // Rows of B in each group of 8 columns (0 to 8: a group past the end reads zeros and stores nothing).
                int left = blockEnd - n0;
                int r0 = Math.Min(8, left), r1 = Math.Clamp(left - 8, 0, 8), r2 = Math.Clamp(left - 16, 0, 8), r3 = Math.Clamp(left - 24, 0, 8);
                float* g0 = B + (long)n0 * ldb, g1 = g0 + 8L * ldb, g2 = g1 + 8L * ldb, g3 = g2 + 8L * ldb;
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (int k0 = 0; k0 < K; k0 += 8)
                {
                    int width = Math.Min(8, K - k0);
                    var mask = TailMask256(width);
                    float* ak = a + k0;
                    s0 = RowTimesBlock(s0, ak, g0 + k0, ldb, r0, width, mask);
                    s1 = RowTimesBlock(s1, ak, g1 + k0, ldb, r1, width, mask);
                    s2 = RowTimesBlock(s2, ak, g2 + k0, ldb, r2, width, mask);
                    s3 = RowTimesBlock(s3, ak, g3 + k0, ldb, r3, width, mask);
                }
                float* bn = bias == null ? null : bias + n0;
                StoreOneRow(s0, C + n0, r0, bn, accumulate);
                StoreOneRow(s1, C + n0 + 8, r1, bn == null ? null : bn + 8, accumulate);
                StoreOneRow(s2, C + n0 + 16, r2, bn == null ? null : bn + 16, accumulate);
                StoreOneRow(s3, C + n0 + 24, r3, bn == null ? null : bn + 24, accumulate);
            }
            epilogue.Run(C, 1, 1, b0, blockEnd - b0);
        }
    }

    /// <summary>
    /// <c>s = fma(a[k], B[:, k], s)</c> for the <paramref name="width"/> terms of one 8 × 8 block of B (rows
    /// past <paramref name="rows"/> zero; when the group is empty nothing is read), in k order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> RowTimesBlock(Vector256<float> s, float* a, float* b, int ldb, int rows, int width, Vector256<float> mask)
    {
        if (rows == 0) return s;
        // tI is Bᵀ[k + I, :].
        LoadTransposed8x8(b, ldb, rows, width, mask, out var t0, out var t1, out var t2, out var t3, out var t4, out var t5, out var t6, out var t7);
        // Terms past the width must not be added: fma(x, 0, -0) would give +0.
        s = Vector256.FusedMultiplyAdd(Vector256.Create(a[0]), t0, s);
        if (width == 8)
        {
            s = Vector256.FusedMultiplyAdd(Vector256.Create(a[1]), t1, s);
            s = Vector256.FusedMultiplyAdd(Vector256.Create(a[2]), t2, s);
            s = Vector256.FusedMultiplyAdd(Vector256.Create(a[3]), t3, s);
            s = Vector256.FusedMultiplyAdd(Vector256.Create(a[4]), t4, s);
            s = Vector256.FusedMultiplyAdd(Vector256.Create(a[5]), t5, s);
            s = Vector256.FusedMultiplyAdd(Vector256.Create(a[6]), t6, s);
            return Vector256.FusedMultiplyAdd(Vector256.Create(a[7]), t7, s);
        }
        if (width > 1) s = Vector256.FusedMultiplyAdd(Vector256.Create(a[1]), t1, s);
        if (width > 2) s = Vector256.FusedMultiplyAdd(Vector256.Create(a[2]), t2, s);
        if (width > 3) s = Vector256.FusedMultiplyAdd(Vector256.Create(a[3]), t3, s);
        if (width > 4) s = Vector256.FusedMultiplyAdd(Vector256.Create(a[4]), t4, s);
        if (width > 5) s = Vector256.FusedMultiplyAdd(Vector256.Create(a[5]), t5, s);
        if (width > 6) s = Vector256.FusedMultiplyAdd(Vector256.Create(a[6]), t6, s);
        return s;
    }

    /// <summary>The <paramref name="nb"/> (0 to 8) sums of one group of <see cref="OneRow256"/>, stored as start + sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreOneRow(Vector256<float> sum, float* c, int nb, float* bias, bool accumulate)
    {
        if (nb == 0) return;
        var mask = TailMask256(nb);
        var bv = BiasOrZero(bias, nb, mask);
        StoreSum256(sum, 0, 1, c, 0, nb, mask, bv, bias != null, accumulate);
    }

    /// <summary>
    /// Eight columns of <see cref="DotNTFewRows256"/>: per column j, <c>s_j[m] = Σₖ Aᵀ[k, m]·B[j, k]</c> in k order (8
    /// accumulators, lanes along the rows; with fewer than 8 columns the missing ones repeat the last, their sums not
    /// stored), then the 8 × 8 block transposed in registers and each of the M rows stored as start + sum,
    /// <paramref name="nb"/> columns wide.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnsFewRows8ToC(int M, int K, float* at, float* B, int ldb, int nb, float* C, int ldc, float* bias, bool accumulate)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        if (nb == 8)
        {
            // Eight rows of B at a fixed stride: two row pointers and three multiples of ldb address them all, so they
            // stay in general registers.
            long o1 = ldb, o2 = 2L * ldb, o3 = 3L * ldb;
            float* p0 = B, p1 = B + 4 * o1;
            for (int k = 0; k < K; k++)
            {
                var a = Vector256.Load(at + k * 8);
                c0 = Vector256.FusedMultiplyAdd(a, Vector256.Create(p0[0]), c0);
                c1 = Vector256.FusedMultiplyAdd(a, Vector256.Create(p0[o1]), c1);
                c2 = Vector256.FusedMultiplyAdd(a, Vector256.Create(p0[o2]), c2);
                c3 = Vector256.FusedMultiplyAdd(a, Vector256.Create(p0[o3]), c3);
                c4 = Vector256.FusedMultiplyAdd(a, Vector256.Create(p1[0]), c4);
                c5 = Vector256.FusedMultiplyAdd(a, Vector256.Create(p1[o1]), c5);
                c6 = Vector256.FusedMultiplyAdd(a, Vector256.Create(p1[o2]), c6);
                c7 = Vector256.FusedMultiplyAdd(a, Vector256.Create(p1[o3]), c7);
                p0++;
                p1++;
            }
        }
        else
        {
            long last = nb - 1;
            float* b0 = B, b1 = B + Math.Min(1, last) * ldb, b2 = B + Math.Min(2, last) * ldb, b3 = B + Math.Min(3, last) * ldb;
            float* b4 = B + Math.Min(4, last) * ldb, b5 = B + Math.Min(5, last) * ldb, b6 = B + Math.Min(6, last) * ldb, b7 = B + Math.Min(7, last) * ldb;
            for (int k = 0; k < K; k++)
            {
                var a = Vector256.Load(at + k * 8);
                c0 = Vector256.FusedMultiplyAdd(a, Vector256.Create(b0[k]), c0);
                c1 = Vector256.FusedMultiplyAdd(a, Vector256.Create(b1[k]), c1);
                c2 = Vector256.FusedMultiplyAdd(a, Vector256.Create(b2[k]), c2);
                c3 = Vector256.FusedMultiplyAdd(a, Vector256.Create(b3[k]), c3);
                c4 = Vector256.FusedMultiplyAdd(a, Vector256.Create(b4[k]), c4);
                c5 = Vector256.FusedMultiplyAdd(a, Vector256.Create(b5[k]), c5);
                c6 = Vector256.FusedMultiplyAdd(a, Vector256.Create(b6[k]), c6);
                c7 = Vector256.FusedMultiplyAdd(a, Vector256.Create(b7[k]), c7);
            }
        }
        // cJ holds column J of rows 0..7; after the transpose cJ holds row J of columns 0..7.
        Transpose8x8(ref c0, ref c1, ref c2, ref c3, ref c4, ref c5, ref c6, ref c7);
        var mask = TailMask256(nb);
        var bv = BiasOrZero(bias, nb, mask);
        bool hasBias = bias != null;
        StoreSum256(c0, 0, M, C, ldc, nb, mask, bv, hasBias, accumulate);
        StoreSum256(c1, 1, M, C, ldc, nb, mask, bv, hasBias, accumulate);
        StoreSum256(c2, 2, M, C, ldc, nb, mask, bv, hasBias, accumulate);
        StoreSum256(c3, 3, M, C, ldc, nb, mask, bv, hasBias, accumulate);
        StoreSum256(c4, 4, M, C, ldc, nb, mask, bv, hasBias, accumulate);
        StoreSum256(c5, 5, M, C, ldc, nb, mask, bv, hasBias, accumulate);
        StoreSum256(c6, 6, M, C, ldc, nb, mask, bv, hasBias, accumulate);
        StoreSum256(c7, 7, M, C, ldc, nb, mask, bv, hasBias, accumulate);
    }

    /// <summary>The <paramref name="nb"/> (1 to 8) bias values of a group of columns, the other lanes 0; all 0 without a bias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> BiasOrZero(float* bias, int nb, Vector256<float> mask) =>
        bias == null ? default : nb == 8 ? Vector256.Load(bias) : Avx.MaskLoad(bias, mask);

    /// <summary>
    /// Row m (if below M) of a block: start + sum, start being bias, C + bias or C exactly as <see cref="StartWithBias"/>
    /// leaves it, so that the result has the bits of the panels'.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSum256(Vector256<float> sum, int m, int M, float* C, int ldc, int nb, Vector256<float> mask, Vector256<float> bias, bool hasBias, bool accumulate)
    {
        if (m >= M) return;
        float* c = C + (long)m * ldc;
        if (nb == 8)
        {
            var start = !accumulate ? bias : hasBias ? Vector256.Load(c) + bias : Vector256.Load(c);
            (start + sum).Store(c);
        }
        else
        {
            var start = !accumulate ? bias : hasBias ? Avx.MaskLoad(c, mask) + bias : Avx.MaskLoad(c, mask);
            Avx.MaskStore(c, mask, start + sum);
        }
    }

    /// <summary>
    /// <c>dst[k·dstStride + j] = B[j·ldb + k]</c> for j &lt; 8 and k &lt; K: rows j ≥ <paramref name="rows"/> read as 0.
    /// Blocks of 8 × 8 are transposed in registers (<see cref="Transpose8x8"/>); the last K % 8 columns are read with
    /// masked loads, which never touch memory past the row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void TransposePanel8(float* B, int ldb, int rows, int K, float* dst, int dstStride)
    {
        for (int k0 = 0; k0 < K; k0 += 8)
        {
            int width = Math.Min(8, K - k0);
            var mask = TailMask256(width);
            LoadTransposed8x8(B + k0, ldb, rows, width, mask, out var r0, out var r1, out var r2, out var r3, out var r4, out var r5, out var r6, out var r7);
            float* d = dst + (long)k0 * dstStride;
            r0.Store(d);
            if (width > 1) r1.Store(d + dstStride);
            if (width > 2) r2.Store(d + 2 * dstStride);
            if (width > 3) r3.Store(d + 3 * dstStride);
            if (width > 4) r4.Store(d + 4 * dstStride);
            if (width > 5) r5.Store(d + 5 * dstStride);
            if (width > 6) r6.Store(d + 6 * dstStride);
            if (width > 7) r7.Store(d + 7 * dstStride);
        }
    }

    /// <summary>
    /// The 8 × 8 block at <paramref name="b"/> (rows <paramref name="ldb"/> apart; <paramref name="width"/> columns,
    /// the rest 0; rows from <paramref name="rows"/> on 0), transposed: tI is column I of the block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadTransposed8x8(float* b, int ldb, int rows, int width, Vector256<float> mask,
        out Vector256<float> t0, out Vector256<float> t1, out Vector256<float> t2, out Vector256<float> t3,
        out Vector256<float> t4, out Vector256<float> t5, out Vector256<float> t6, out Vector256<float> t7)
    {
        t0 = Row8(b, ldb, 0, rows, width, mask);
        t1 = Row8(b, ldb, 1, rows, width, mask);
        t2 = Row8(b, ldb, 2, rows, width, mask);
        t3 = Row8(b, ldb, 3, rows, width, mask);
        t4 = Row8(b, ldb, 4, rows, width, mask);
        t5 = Row8(b, ldb, 5, rows, width, mask);
        t6 = Row8(b, ldb, 6, rows, width, mask);
        t7 = Row8(b, ldb, 7, rows, width, mask);
        Transpose8x8(ref t0, ref t1, ref t2, ref t3, ref t4, ref t5, ref t6, ref t7);
    }

    /// <summary>Row <paramref name="j"/> of an 8 × 8 block: <paramref name="width"/> columns, 0 past the last row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row8(float* b, int ldb, int j, int rows, int width, Vector256<float> mask) =>
        j >= rows ? default
        : width == 8 ? Vector256.Load(b + (long)j * ldb)
        : Avx.MaskLoad(b + (long)j * ldb, mask);

    /// <summary>
    /// Transposes the 8 × 8 block whose rows are r0..r7, in place: 32-bit interleaves of row pairs, 64-bit interleaves
    /// of those (each 128-bit lane then holds four rows of one column: lane 0 of column c, lane 1 of column c + 4), and
    /// a 128-bit lane exchange that joins the halves of each column.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        // tPQ: rows P, Q interleaved (low: columns 0, 1 | 4, 5; high: columns 2, 3 | 6, 7).
        var t01l = Avx.UnpackLow(r0, r1).AsDouble();
        var t01h = Avx.UnpackHigh(r0, r1).AsDouble();
        var t23l = Avx.UnpackLow(r2, r3).AsDouble();
        var t23h = Avx.UnpackHigh(r2, r3).AsDouble();
        var t45l = Avx.UnpackLow(r4, r5).AsDouble();
        var t45h = Avx.UnpackHigh(r4, r5).AsDouble();
        var t67l = Avx.UnpackLow(r6, r7).AsDouble();
        var t67h = Avx.UnpackHigh(r6, r7).AsDouble();
        // uC: rows 0..3 of column C in the low 128-bit lane and of column C + 4 in the high one; vC the same for rows 4..7.
        var u0 = Avx.UnpackLow(t01l, t23l).AsSingle();
        var u1 = Avx.UnpackHigh(t01l, t23l).AsSingle();
        var u2 = Avx.UnpackLow(t01h, t23h).AsSingle();
        var u3 = Avx.UnpackHigh(t01h, t23h).AsSingle();
        var v0 = Avx.UnpackLow(t45l, t67l).AsSingle();
        var v1 = Avx.UnpackHigh(t45l, t67l).AsSingle();
        var v2 = Avx.UnpackLow(t45h, t67h).AsSingle();
        var v3 = Avx.UnpackHigh(t45h, t67h).AsSingle();
        r0 = Avx.Permute2x128(u0, v0, 0x20);
        r1 = Avx.Permute2x128(u1, v1, 0x20);
        r2 = Avx.Permute2x128(u2, v2, 0x20);
        r3 = Avx.Permute2x128(u3, v3, 0x20);
        r4 = Avx.Permute2x128(u0, v0, 0x31);
        r5 = Avx.Permute2x128(u1, v1, 0x31);
        r6 = Avx.Permute2x128(u2, v2, 0x31);
        r7 = Avx.Permute2x128(u3, v3, 0x31);
    }
}
