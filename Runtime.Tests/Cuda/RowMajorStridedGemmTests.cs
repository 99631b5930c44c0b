using System;
using SourceGenNN.Cuda;
using Xunit;

namespace SourceGenNN.Tests.Cuda;

public class RowMajorStridedGemmTests
{
    // cublasSgemmStridedBatched's documented semantics, written independently of the mapping: product i reads and writes
    // column-major matrices at X + i·strideX, element (r, c) at [r + c·ld].
    private static void ColumnMajorStridedBatched(CublasOperation ta, CublasOperation tb, int m, int n, int k, double[] a, int lda, long strideA,
        double[] b, int ldb, long strideB, double beta, double[] c, int ldc, long strideC, int batch)
    {
        for (int i = 0; i < batch; i++)
            for (int r = 0; r < m; r++)
                for (int col = 0; col < n; col++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double av = ta == CublasOperation.None ? a[i * strideA + r + p * lda] : a[i * strideA + p + r * lda];
                        double bv = tb == CublasOperation.None ? b[i * strideB + p + col * ldb] : b[i * strideB + col + p * ldb];
                        sum += av * bv;
                    }
                    long at = i * strideC + r + col * ldc;
                    c[at] = sum + beta * c[at];
                }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Mapped_call_computes_each_row_major_product_at_its_leading_dimensions_and_strides(bool transposeA, bool transposeB)
    {
        var r = new Random(99);
        // Padded leading dimensions and strides: one head's columns of every sample, as the attention layers use them.
        foreach (var (m, n, k, pad, batch) in new[] { (1, 1, 1, 0, 1), (3, 5, 7, 2, 3), (4, 2, 6, 5, 2), (5, 5, 3, 0, 4) })
        {
            int aRows = transposeA ? k : m, aCols = transposeA ? m : k, bRows = transposeB ? n : k, bCols = transposeB ? k : n;
            int lda = aCols + pad, ldb = bCols + pad + 1, ldc = n + pad;
            long strideA = aRows * lda + 3, strideB = bRows * ldb, strideC = m * ldc + 1;
            double[] a = Small(r, (int)(batch * strideA)), b = Small(r, (int)(batch * strideB));
            var c = Small(r, (int)(batch * strideC));
            var expected = (double[])c.Clone();
            for (int i = 0; i < batch; i++)
                for (int row = 0; row < m; row++)
                    for (int col = 0; col < n; col++)
                    {
                        double s = 0;
                        for (int p = 0; p < k; p++)
                        {
                            double av = transposeA ? a[i * strideA + p * lda + row] : a[i * strideA + row * lda + p];
                            double bv = transposeB ? b[i * strideB + col * ldb + p] : b[i * strideB + p * ldb + col];
                            s += av * bv;
                        }
                        long at = i * strideC + row * ldc + col;
                        expected[at] = s + 0.5 * expected[at]; // beta 0.5: C is read back in the same layout
                    }

            var s2 = RowMajorStridedGemm.Map(transposeA, transposeB, m, n, k, lda, strideA, ldb, strideB, ldc, strideC);
            var g = s2.Gemm;
            double[] first = g.First == GemmOperand.A ? a : b, second = g.Second == GemmOperand.A ? a : b;
            ColumnMajorStridedBatched(g.TransA, g.TransB, g.M, g.N, g.K, first, g.Lda, s2.StrideFirst, second, g.Ldb, s2.StrideSecond, 0.5, c, g.Ldc, s2.StrideC, batch);

            Assert.Equal(expected, c);
        }
    }

    [Fact]
    public void Attention_scores_of_one_head_pass_the_keys_transposed()
    {
        // scores[n, h] (T×S, rows of S, H·T·S apart) = q[n, :, h] (T×D, rows of H·D) · k[n, :, h]ᵀ (S×D, rows of H·D).
        const int T = 4, S = 6, H = 2, D = 3;
        var s = RowMajorStridedGemm.Map(false, true, T, S, D, H * D, T * H * D, H * D, S * H * D, S, H * T * S);
        Assert.Equal(new CublasStridedGemmArguments(
            new CublasGemmArguments(CublasOperation.Transpose, CublasOperation.None, S, T, D, GemmOperand.B, H * D, GemmOperand.A, H * D, S),
            S * H * D, T * H * D, H * T * S), s);
    }

    [Fact]
    public void Leading_dimensions_below_the_stored_columns_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RowMajorStridedGemm.Map(false, false, 2, 3, 4, 3, 0, 3, 0, 3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowMajorStridedGemm.Map(false, false, 2, 3, 4, 4, 0, 2, 0, 3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowMajorStridedGemm.Map(false, false, 2, 3, 4, 4, 0, 3, 0, 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowMajorStridedGemm.Map(true, true, 2, 3, 4, 2, -1, 4, 0, 3, 0));
    }

    private static double[] Small(Random r, int n)
    {
        var a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.Next(-8, 9); // small integers: the sums are exact
        return a;
    }
}
