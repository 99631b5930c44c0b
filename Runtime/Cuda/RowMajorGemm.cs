using System;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Cuda;

/// <summary>A cuBLAS transpose flag (<c>cublasOperation_t</c>).</summary>
internal enum CublasOperation
{
    /// <summary>CUBLAS_OP_N: use the matrix as stored.</summary>
    None = 0,
    /// <summary>CUBLAS_OP_T: use its transpose.</summary>
    Transpose = 1,
}

/// <summary>Which row-major operand the helper passes in a cuBLAS matrix slot.</summary>
internal enum GemmOperand
{
    /// <summary>The row-major left operand <c>A</c>.</summary>
    A,
    /// <summary>The row-major right operand <c>B</c>.</summary>
    B,
}

/// <summary>
/// The arguments of one column-major <c>cublasSgemm_v2</c> call:
/// <c>C(m×n, ldc) = α·opA(first)·opB(second) + β·C</c>, where "first" and "second" name row-major operands.
/// </summary>
/// <param name="TransA">cuBLAS's <c>transa</c>, for <paramref name="First"/>.</param>
/// <param name="TransB">cuBLAS's <c>transb</c>, for <paramref name="Second"/>.</param>
/// <param name="M">cuBLAS's <c>m</c>.</param>
/// <param name="N">cuBLAS's <c>n</c>.</param>
/// <param name="K">cuBLAS's <c>k</c>.</param>
/// <param name="First">The row-major operand passed as cuBLAS's <c>A</c>.</param>
/// <param name="Lda">cuBLAS's <c>lda</c>.</param>
/// <param name="Second">The row-major operand passed as cuBLAS's <c>B</c>.</param>
/// <param name="Ldb">cuBLAS's <c>ldb</c>.</param>
/// <param name="Ldc">cuBLAS's <c>ldc</c>.</param>
internal readonly record struct CublasGemmArguments(
    CublasOperation TransA, CublasOperation TransB, int M, int N, int K,
    GemmOperand First, int Lda, GemmOperand Second, int Ldb, int Ldc);

/// <summary>
/// Row-major GEMM on column-major cuBLAS. A row-major matrix read as column-major is its transpose, so
/// <c>C[M,N] = op(A)·op(B)</c> in row-major is <c>Cᵀ = op(B)ᵀ·op(A)ᵀ</c> in column-major: swap the operands and
/// the sizes, keep each transpose flag with its operand.
/// </summary>
internal static class RowMajorGemm
{
    /// <summary>
    /// The cuBLAS arguments for row-major <c>C[M,N] = op(A)[M,K]·op(B)[K,N]</c>, every matrix dense (leading dimension
    /// = its stored column count). A is stored <c>[M,K]</c>, or <c>[K,M]</c> when <paramref name="transposeA"/>; B is
    /// stored <c>[K,N]</c>, or <c>[N,K]</c> when <paramref name="transposeB"/> (a dense weight <c>W[out,in]</c> in
    /// <c>x·Wᵀ</c>).
    /// </summary>
    public static CublasGemmArguments Map(bool transposeA, bool transposeB, int m, int n, int k)
    {
        if (m <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(m), m, "a positive row count");
        if (n <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(n), n, "a positive column count");
        if (k <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(k), k, "a positive inner size");
        return new CublasGemmArguments(
            TransA: transposeB ? CublasOperation.Transpose : CublasOperation.None,
            TransB: transposeA ? CublasOperation.Transpose : CublasOperation.None,
            M: n, N: m, K: k,
            First: GemmOperand.B, Lda: transposeB ? k : n,
            Second: GemmOperand.A, Ldb: transposeA ? m : k,
            Ldc: n);
    }

    /// <summary>
    /// Enqueues row-major <c>C = α·op(A)·op(B) + β·C</c> on the device's stream (see <see cref="Map"/> for the shapes).
    /// </summary>
    public static unsafe void Run(CudaDevice device, bool transposeA, bool transposeB, int m, int n, int k,
        float alpha, IntPtr a, IntPtr b, float beta, IntPtr c)
    {
        ArgumentNullException.ThrowIfNull(device);
        var g = Map(transposeA, transposeB, m, n, k);
        IntPtr first = g.First == GemmOperand.A ? a : b;
        IntPtr second = g.Second == GemmOperand.A ? a : b;
        Check.Cublas(CublasNative.cublasSgemm_v2(device.CublasHandle, (int)g.TransA, (int)g.TransB, g.M, g.N, g.K,
            &alpha, first, g.Lda, second, g.Ldb, &beta, c, g.Ldc));
    }
}
