using System;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Cuda;

/// <summary>
/// A row-major matrix operand of a strided batched product: element (i, j) of product b lies at
/// <c>Pointer + b·Stride + i·Ld + j</c> (in floats). A head of a [T, H·D] tensor is the matrix at column h·D with
/// <c>Ld = H·D</c>; the same head of the next sample is <c>Stride = T·H·D</c> further on.
/// </summary>
/// <param name="Pointer">The first product's matrix.</param>
/// <param name="Ld">Floats from one row to the next.</param>
/// <param name="Stride">Floats from one product's matrix to the next.</param>
internal readonly record struct StridedMatrix(IntPtr Pointer, int Ld, long Stride);

/// <summary>
/// The arguments of one column-major <c>cublasSgemmStridedBatched</c> call: <see cref="Gemm"/> as for one product, and
/// the strides of cuBLAS's A, B and C (cuBLAS's A is <see cref="CublasGemmArguments.First"/>).
/// </summary>
/// <param name="Gemm">The transposes, sizes, operands and leading dimensions.</param>
/// <param name="StrideFirst">cuBLAS's <c>strideA</c>.</param>
/// <param name="StrideSecond">cuBLAS's <c>strideB</c>.</param>
/// <param name="StrideC">cuBLAS's <c>strideC</c>.</param>
internal readonly record struct CublasStridedGemmArguments(CublasGemmArguments Gemm, long StrideFirst, long StrideSecond, long StrideC);

/// <summary>
/// Row-major strided batched GEMM on column-major cuBLAS: <c>C_b = α·op(A_b)·op(B_b) + β·C_b</c> for b &lt; batch, each
/// operand a <see cref="StridedMatrix"/>. As in <see cref="RowMajorGemm"/>, the row-major product is computed as
/// <c>C_bᵀ = op(B_b)ᵀ·op(A_b)ᵀ</c>: the operands (with their leading dimensions and strides) swap places, each
/// transpose flag stays with its operand. The leading dimensions may exceed the stored column counts, which is what
/// lets one call address one head's columns of every sample.
/// </summary>
internal static class RowMajorStridedGemm
{
    /// <summary>
    /// The cuBLAS arguments for row-major <c>C[M,N] = op(A)[M,K]·op(B)[K,N]</c> per product. A is stored <c>[M,K]</c>, or
    /// <c>[K,M]</c> when <paramref name="transposeA"/>; B is stored <c>[K,N]</c>, or <c>[N,K]</c> when
    /// <paramref name="transposeB"/>; each row of a matrix is <c>ld</c> floats after the previous one.
    /// </summary>
    public static CublasStridedGemmArguments Map(bool transposeA, bool transposeB, int m, int n, int k,
        int lda, long strideA, int ldb, long strideB, int ldc, long strideC)
    {
        if (m <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(m), m, "a positive row count");
        if (n <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(n), n, "a positive column count");
        if (k <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(k), k, "a positive inner size");
        int aColumns = transposeA ? m : k, bColumns = transposeB ? k : n;
        if (lda < aColumns) ThrowHelper.ThrowArgumentOutOfRange(nameof(lda), lda, $"at least A's {aColumns} stored columns");
        if (ldb < bColumns) ThrowHelper.ThrowArgumentOutOfRange(nameof(ldb), ldb, $"at least B's {bColumns} stored columns");
        if (ldc < n) ThrowHelper.ThrowArgumentOutOfRange(nameof(ldc), ldc, $"at least C's {n} columns");
        if (strideA < 0 || strideB < 0 || strideC < 0)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(strideC), Math.Min(strideA, Math.Min(strideB, strideC)), "non-negative strides");
        var gemm = new CublasGemmArguments(
            TransA: transposeB ? CublasOperation.Transpose : CublasOperation.None,
            TransB: transposeA ? CublasOperation.Transpose : CublasOperation.None,
            M: n, N: m, K: k,
            First: GemmOperand.B, Lda: ldb,
            Second: GemmOperand.A, Ldb: lda,
            Ldc: ldc);
        return new CublasStridedGemmArguments(gemm, StrideFirst: strideB, StrideSecond: strideA, StrideC: strideC);
    }

    /// <summary>Enqueues <paramref name="batch"/> row-major products on the device's stream (see <see cref="Map"/>).</summary>
    public static unsafe void Run(CudaDevice device, bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        StridedMatrix a, StridedMatrix b, float beta, StridedMatrix c, int batch)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (batch <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batch), batch, "a positive product count");
        var s = Map(transposeA, transposeB, m, n, k, a.Ld, a.Stride, b.Ld, b.Stride, c.Ld, c.Stride);
        var g = s.Gemm;
        IntPtr first = g.First == GemmOperand.A ? a.Pointer : b.Pointer;
        IntPtr second = g.Second == GemmOperand.A ? a.Pointer : b.Pointer;
        Check.Cublas(CublasNative.cublasSgemmStridedBatched(device.CublasHandle, (int)g.TransA, (int)g.TransB, g.M, g.N, g.K,
            &alpha, first, g.Lda, s.StrideFirst, second, g.Ldb, s.StrideSecond, &beta, c.Pointer, g.Ldc, s.StrideC, batch));
    }
}
