using System;
using SourceGenNN.Cuda;
using Xunit;

namespace SourceGenNN.Tests.Cuda;

public class RowMajorGemmTests
{
    // cuBLAS's documented semantics, written independently of the mapping: column-major, element (i, j) of a matrix
    // with leading dimension ld at [i + j*ld]; C(m×n) = alpha·op(A)·op(B) + beta·C.
    private static void ColumnMajorSgemm(CublasOperation ta, CublasOperation tb, int m, int n, int k,
        float alpha, double[] a, int lda, double[] b, int ldb, float beta, double[] c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = ta == CublasOperation.None ? a[i + p * lda] : a[p + i * lda];
                    double bv = tb == CublasOperation.None ? b[p + j * ldb] : b[j + p * ldb];
                    sum += av * bv;
                }
                c[i + j * ldc] = alpha * sum + beta * c[i + j * ldc];
            }
    }

    private static double[] Random(Random r, int n)
    {
        var a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.Next(-8, 9); // small integers: sums are exact, comparisons exact
        return a;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Mapped_cublas_call_computes_the_row_major_product(bool transposeA, bool transposeB)
    {
        var r = new Random(1234);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (3, 5, 7), (7, 2, 4), (4, 9, 1), (6, 6, 6), (2, 11, 3) })
        {
            // Row-major storage: A is [M,K] or [K,M] when transposed; B is [K,N] or [N,K] when transposed.
            double[] a = Random(r, m * k), b = Random(r, k * n);
            double A(int i, int p) => transposeA ? a[p * m + i] : a[i * k + p];
            double B(int p, int j) => transposeB ? b[j * k + p] : b[p * n + j];
            var expected = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += A(i, p) * B(p, j);
                    expected[i * n + j] = s;
                }

            var g = RowMajorGemm.Map(transposeA, transposeB, m, n, k);
            double[] first = g.First == GemmOperand.A ? a : b;
            double[] second = g.Second == GemmOperand.A ? a : b;
            var c = new double[m * n];
            ColumnMajorSgemm(g.TransA, g.TransB, g.M, g.N, g.K, 1f, first, g.Lda, second, g.Ldb, 0f, c, g.Ldc);

            Assert.Equal(expected, c);
        }
    }

    [Fact]
    public void Dense_forward_passes_the_weight_transposed_with_its_row_length_as_leading_dimension()
    {
        // y[batch, out] = x[batch, in]·Wᵀ with W stored [out, in]: GPU.md's recipe.
        var g = RowMajorGemm.Map(transposeA: false, transposeB: true, m: 64, n: 10, k: 128);
        Assert.Equal(new CublasGemmArguments(CublasOperation.Transpose, CublasOperation.None, 10, 64, 128,
            GemmOperand.B, 128, GemmOperand.A, 128, 10), g);
    }

    [Fact]
    public void Plain_product_matches_the_design_notes()
    {
        // GPU.md: cublasSgemm_v2(h, N, N, m: N, n: M, k: K, B, ldb: N, A, lda: K, C, ldc: N).
        var g = RowMajorGemm.Map(false, false, m: 5, n: 3, k: 4);
        Assert.Equal(new CublasGemmArguments(CublasOperation.None, CublasOperation.None, 3, 5, 4,
            GemmOperand.B, 3, GemmOperand.A, 4, 3), g);
    }

    [Theory]
    [InlineData(0, 1, 1, "m")]
    [InlineData(1, 0, 1, "n")]
    [InlineData(1, 1, -2, "k")]
    public void Non_positive_sizes_are_rejected_naming_the_parameter(int m, int n, int k, string name)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RowMajorGemm.Map(false, false, m, n, k));
        Assert.Equal(name, e.ParamName);
    }
}
