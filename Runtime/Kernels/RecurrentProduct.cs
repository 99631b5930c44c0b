using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SourceGenNN.Kernels;

/// <summary>
/// The product of one time step of a recurrent layer, <c>C[m, n] (+)= bias[n] + Σₖ A[m, k]·B[k, n]</c>, for the few
/// rows of a batch: the hidden states times the recurrent weights (B = W_hhᵀ, [hidden, gates·hidden]) in the forward
/// pass, the gates' gradients times W_hh ([gates·hidden, hidden]) in the backward pass. It runs once per step with the
/// same B, so B is read as it is stored, with no packing, and each A[m, k] is broadcast against a row of B (fused multiply-adds): register
/// tiles of 4 rows by 4 vectors, no horizontal reductions (a batch of one is a matrix-vector product at full width).
/// Every output is its bias (or C) plus the k terms in order, whatever its tile: a sample's result does not depend on
/// the batch it is in.
/// </summary>
internal static unsafe class RecurrentProduct
{
    public static void Multiply(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias, bool accumulate)
    {
        int n = 0;
        if (Vector512.IsHardwareAccelerated) n = Panels<Lanes16>(M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate);
        else if (Vector256.IsHardwareAccelerated) n = Panels<Lanes8>(M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate);
        else if (Vector128.IsHardwareAccelerated) n = Panels<Lanes4>(M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate);
        if (n < N)
            Panels<Lanes1>(M, N - n, K, A, lda, B + n, ldb, C + n, ldc, bias == null ? null : bias + n, accumulate);
    }

    /// <summary>Columns [0, the last whole vector) in panels of 4 vectors, then of one; returns the columns done.</summary>
    private static int Panels<TV>(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias, bool accumulate)
        where TV : struct, ILanes<TV>
    {
        int v = TV.Count, n = 0;
        if (M < 4)
        {
            // A row or three (a batch of one is a matrix-vector product): 16 vectors a row where there are 32 vector
            // registers (AVX-512), else 8, so that as many independent sums as the registers hold hide the latency of
            // the multiply-adds (each sum is a chain over k).
            if (v == 16)
                for (; n + 16 * v <= N; n += 16 * v)
                    for (int m = 0; m < M; m++) Row16<TV>(K, A + (long)m * lda, B + n, ldb, C + (long)m * ldc + n, bias == null ? null : bias + n, accumulate);
            for (; n + 8 * v <= N; n += 8 * v)
                for (int m = 0; m < M; m++) Row8<TV>(K, A + (long)m * lda, B + n, ldb, C + (long)m * ldc + n, bias == null ? null : bias + n, accumulate);
        }
        for (; n + 4 * v <= N; n += 4 * v)
        {
            int m = 0;
            for (; m + 4 <= M; m += 4) Tile4<TV>(K, A + (long)m * lda, lda, B + n, ldb, C + (long)m * ldc + n, ldc, bias == null ? null : bias + n, accumulate);
            for (; m < M; m++) Row4<TV>(K, A + (long)m * lda, B + n, ldb, C + (long)m * ldc + n, bias == null ? null : bias + n, accumulate);
        }
        for (; n + v <= N; n += v)
            for (int m = 0; m < M; m++) Row1<TV>(K, A + (long)m * lda, B + n, ldb, C + (long)m * ldc + n, bias == null ? null : bias + n, accumulate);
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Start<TV>(float* c, float* bias, bool accumulate) where TV : struct, ILanes<TV> =>
        accumulate ? TV.Load(c) : bias != null ? TV.Load(bias) : TV.Create(0f);

    /// <summary>Rows m..m+3, columns of 4 vectors: 16 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4<TV>(int K, float* a, int lda, float* b, int ldb, float* c, int ldc, float* bias, bool accumulate) where TV : struct, ILanes<TV>
    {
        int v = TV.Count;
        float* c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        float* bb = bias == null ? null : bias;
        TV s00 = Start<TV>(c, bb, accumulate), s01 = Start<TV>(c + v, bb == null ? null : bb + v, accumulate), s02 = Start<TV>(c + 2 * v, bb == null ? null : bb + 2 * v, accumulate), s03 = Start<TV>(c + 3 * v, bb == null ? null : bb + 3 * v, accumulate);
        TV s10 = Start<TV>(c1, bb, accumulate), s11 = Start<TV>(c1 + v, bb == null ? null : bb + v, accumulate), s12 = Start<TV>(c1 + 2 * v, bb == null ? null : bb + 2 * v, accumulate), s13 = Start<TV>(c1 + 3 * v, bb == null ? null : bb + 3 * v, accumulate);
        TV s20 = Start<TV>(c2, bb, accumulate), s21 = Start<TV>(c2 + v, bb == null ? null : bb + v, accumulate), s22 = Start<TV>(c2 + 2 * v, bb == null ? null : bb + 2 * v, accumulate), s23 = Start<TV>(c2 + 3 * v, bb == null ? null : bb + 3 * v, accumulate);
        TV s30 = Start<TV>(c3, bb, accumulate), s31 = Start<TV>(c3 + v, bb == null ? null : bb + v, accumulate), s32 = Start<TV>(c3 + 2 * v, bb == null ? null : bb + 2 * v, accumulate), s33 = Start<TV>(c3 + 3 * v, bb == null ? null : bb + 3 * v, accumulate);
        float* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int k = 0; k < K; k++)
        {
            float* row = b + (long)k * ldb;
            TV b0 = TV.Load(row), b1 = TV.Load(row + v), b2 = TV.Load(row + 2 * v), b3 = TV.Load(row + 3 * v);
            TV x = TV.Create(a[k]);
            s00 = TV.MultiplyAdd(x, b0, s00); s01 = TV.MultiplyAdd(x, b1, s01); s02 = TV.MultiplyAdd(x, b2, s02); s03 = TV.MultiplyAdd(x, b3, s03);
            x = TV.Create(a1[k]);
            s10 = TV.MultiplyAdd(x, b0, s10); s11 = TV.MultiplyAdd(x, b1, s11); s12 = TV.MultiplyAdd(x, b2, s12); s13 = TV.MultiplyAdd(x, b3, s13);
            x = TV.Create(a2[k]);
            s20 = TV.MultiplyAdd(x, b0, s20); s21 = TV.MultiplyAdd(x, b1, s21); s22 = TV.MultiplyAdd(x, b2, s22); s23 = TV.MultiplyAdd(x, b3, s23);
            x = TV.Create(a3[k]);
            s30 = TV.MultiplyAdd(x, b0, s30); s31 = TV.MultiplyAdd(x, b1, s31); s32 = TV.MultiplyAdd(x, b2, s32); s33 = TV.MultiplyAdd(x, b3, s33);
        }
        s00.Store(c); s01.Store(c + v); s02.Store(c + 2 * v); s03.Store(c + 3 * v);
        s10.Store(c1); s11.Store(c1 + v); s12.Store(c1 + 2 * v); s13.Store(c1 + 3 * v);
        s20.Store(c2); s21.Store(c2 + v); s22.Store(c2 + 2 * v); s23.Store(c2 + 3 * v);
        s30.Store(c3); s31.Store(c3 + v); s32.Store(c3 + 2 * v); s33.Store(c3 + 3 * v);
    }

    /// <summary>One row, columns of 16 vectors (16 accumulators: for the 32 registers of AVX-512).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row16<TV>(int K, float* a, float* b, int ldb, float* c, float* bias, bool accumulate) where TV : struct, ILanes<TV>
    {
        int v = TV.Count;
        TV s0 = Start<TV>(c, bias, accumulate), s1 = Start<TV>(c + v, bias == null ? null : bias + v, accumulate);
        TV s2 = Start<TV>(c + 2 * v, bias == null ? null : bias + 2 * v, accumulate), s3 = Start<TV>(c + 3 * v, bias == null ? null : bias + 3 * v, accumulate);
        TV s4 = Start<TV>(c + 4 * v, bias == null ? null : bias + 4 * v, accumulate), s5 = Start<TV>(c + 5 * v, bias == null ? null : bias + 5 * v, accumulate);
        TV s6 = Start<TV>(c + 6 * v, bias == null ? null : bias + 6 * v, accumulate), s7 = Start<TV>(c + 7 * v, bias == null ? null : bias + 7 * v, accumulate);
        TV s8 = Start<TV>(c + 8 * v, bias == null ? null : bias + 8 * v, accumulate), s9 = Start<TV>(c + 9 * v, bias == null ? null : bias + 9 * v, accumulate);
        TV s10 = Start<TV>(c + 10 * v, bias == null ? null : bias + 10 * v, accumulate), s11 = Start<TV>(c + 11 * v, bias == null ? null : bias + 11 * v, accumulate);
        TV s12 = Start<TV>(c + 12 * v, bias == null ? null : bias + 12 * v, accumulate), s13 = Start<TV>(c + 13 * v, bias == null ? null : bias + 13 * v, accumulate);
        TV s14 = Start<TV>(c + 14 * v, bias == null ? null : bias + 14 * v, accumulate), s15 = Start<TV>(c + 15 * v, bias == null ? null : bias + 15 * v, accumulate);
        for (int k = 0; k < K; k++)
        {
            float* row = b + (long)k * ldb;
            TV x = TV.Create(a[k]);
            s0 = TV.MultiplyAdd(x, TV.Load(row), s0); s1 = TV.MultiplyAdd(x, TV.Load(row + v), s1);
            s2 = TV.MultiplyAdd(x, TV.Load(row + 2 * v), s2); s3 = TV.MultiplyAdd(x, TV.Load(row + 3 * v), s3);
            s4 = TV.MultiplyAdd(x, TV.Load(row + 4 * v), s4); s5 = TV.MultiplyAdd(x, TV.Load(row + 5 * v), s5);
            s6 = TV.MultiplyAdd(x, TV.Load(row + 6 * v), s6); s7 = TV.MultiplyAdd(x, TV.Load(row + 7 * v), s7);
            s8 = TV.MultiplyAdd(x, TV.Load(row + 8 * v), s8); s9 = TV.MultiplyAdd(x, TV.Load(row + 9 * v), s9);
            s10 = TV.MultiplyAdd(x, TV.Load(row + 10 * v), s10); s11 = TV.MultiplyAdd(x, TV.Load(row + 11 * v), s11);
            s12 = TV.MultiplyAdd(x, TV.Load(row + 12 * v), s12); s13 = TV.MultiplyAdd(x, TV.Load(row + 13 * v), s13);
            s14 = TV.MultiplyAdd(x, TV.Load(row + 14 * v), s14); s15 = TV.MultiplyAdd(x, TV.Load(row + 15 * v), s15);
        }
        s0.Store(c); s1.Store(c + v); s2.Store(c + 2 * v); s3.Store(c + 3 * v);
        s4.Store(c + 4 * v); s5.Store(c + 5 * v); s6.Store(c + 6 * v); s7.Store(c + 7 * v);
        s8.Store(c + 8 * v); s9.Store(c + 9 * v); s10.Store(c + 10 * v); s11.Store(c + 11 * v);
        s12.Store(c + 12 * v); s13.Store(c + 13 * v); s14.Store(c + 14 * v); s15.Store(c + 15 * v);
    }

    /// <summary>One row, columns of 8 vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row8<TV>(int K, float* a, float* b, int ldb, float* c, float* bias, bool accumulate) where TV : struct, ILanes<TV>
    {
        int v = TV.Count;
        float* bb = bias;
        TV s0 = Start<TV>(c, bb, accumulate), s1 = Start<TV>(c + v, bb == null ? null : bb + v, accumulate);
        TV s2 = Start<TV>(c + 2 * v, bb == null ? null : bb + 2 * v, accumulate), s3 = Start<TV>(c + 3 * v, bb == null ? null : bb + 3 * v, accumulate);
        TV s4 = Start<TV>(c + 4 * v, bb == null ? null : bb + 4 * v, accumulate), s5 = Start<TV>(c + 5 * v, bb == null ? null : bb + 5 * v, accumulate);
        TV s6 = Start<TV>(c + 6 * v, bb == null ? null : bb + 6 * v, accumulate), s7 = Start<TV>(c + 7 * v, bb == null ? null : bb + 7 * v, accumulate);
        for (int k = 0; k < K; k++)
        {
            float* row = b + (long)k * ldb;
            TV x = TV.Create(a[k]);
            s0 = TV.MultiplyAdd(x, TV.Load(row), s0); s1 = TV.MultiplyAdd(x, TV.Load(row + v), s1);
            s2 = TV.MultiplyAdd(x, TV.Load(row + 2 * v), s2); s3 = TV.MultiplyAdd(x, TV.Load(row + 3 * v), s3);
            s4 = TV.MultiplyAdd(x, TV.Load(row + 4 * v), s4); s5 = TV.MultiplyAdd(x, TV.Load(row + 5 * v), s5);
            s6 = TV.MultiplyAdd(x, TV.Load(row + 6 * v), s6); s7 = TV.MultiplyAdd(x, TV.Load(row + 7 * v), s7);
        }
        s0.Store(c); s1.Store(c + v); s2.Store(c + 2 * v); s3.Store(c + 3 * v);
        s4.Store(c + 4 * v); s5.Store(c + 5 * v); s6.Store(c + 6 * v); s7.Store(c + 7 * v);
    }

    /// <summary>One row, columns of 4 vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row4<TV>(int K, float* a, float* b, int ldb, float* c, float* bias, bool accumulate) where TV : struct, ILanes<TV>
    {
        int v = TV.Count;
        TV s0 = Start<TV>(c, bias, accumulate), s1 = Start<TV>(c + v, bias == null ? null : bias + v, accumulate);
        TV s2 = Start<TV>(c + 2 * v, bias == null ? null : bias + 2 * v, accumulate), s3 = Start<TV>(c + 3 * v, bias == null ? null : bias + 3 * v, accumulate);
        for (int k = 0; k < K; k++)
        {
            float* row = b + (long)k * ldb;
            TV x = TV.Create(a[k]);
            s0 = TV.MultiplyAdd(x, TV.Load(row), s0); s1 = TV.MultiplyAdd(x, TV.Load(row + v), s1); s2 = TV.MultiplyAdd(x, TV.Load(row + 2 * v), s2); s3 = TV.MultiplyAdd(x, TV.Load(row + 3 * v), s3);
        }
        s0.Store(c); s1.Store(c + v); s2.Store(c + 2 * v); s3.Store(c + 3 * v);
    }

    /// <summary>One row, one vector of columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row1<TV>(int K, float* a, float* b, int ldb, float* c, float* bias, bool accumulate) where TV : struct, ILanes<TV>
    {
        TV s = Start<TV>(c, bias, accumulate);
        for (int k = 0; k < K; k++) s = TV.MultiplyAdd(TV.Create(a[k]), TV.Load(b + (long)k * ldb), s);
        s.Store(c);
    }

    /// <summary>t[k, n] = w[n, k]: <paramref name="w"/> [rows, cols] into <paramref name="t"/> [cols, rows], in 16×16 blocks.</summary>
    public static void Transpose(float* w, int rows, int cols, float* t)
    {
        const int Block = 16;
        for (int r0 = 0; r0 < rows; r0 += Block)
            for (int c0 = 0; c0 < cols; c0 += Block)
            {
                int r1 = Math.Min(r0 + Block, rows), c1 = Math.Min(c0 + Block, cols);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        t[(long)c * rows + r] = w[(long)r * cols + c];
            }
    }
}
