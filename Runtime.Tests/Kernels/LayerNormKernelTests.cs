using System;
using SourceGenNN.Kernels;
using Xunit;

namespace SourceGenNN.Tests.Kernels;

/// <summary>
/// The vectorised layer normalisation against a double-precision reference, over group sizes that hit every vector
/// width and every tail (CI runs these on the 512-, 256-, 128-bit and scalar paths), with and without affine
/// parameters, and with a large mean (the two-pass variance).
/// </summary>
public class LayerNormKernelTests
{
    public static TheoryData<int, bool, float> Cases()
    {
        var d = new TheoryData<int, bool, float>();
        foreach (int size in new[] { 1, 3, 4, 5, 8, 12, 15, 16, 17, 24, 31, 40, 64, 67 })
            foreach (bool affine in new[] { false, true })
                d.Add(size, affine, size == 64 ? 1000f : 0f);
        return d;
    }

    private static float[] Random(int n, int seed, float offset = 0f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = offset + (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_backward_match_a_double_reference(int size, bool affine, float offset)
    {
        const int rows = 3;
        const float eps = 1e-5f;
        var x = Random(rows * size, 1, offset);
        var w = affine ? Random(size, 2) : Array.Empty<float>();
        var b = affine ? Random(size, 3) : Array.Empty<float>();
        var dy = Random(rows * size, 4);
        var y = new float[rows * size];
        var mean = new float[rows];
        var rstd = new float[rows];
        LayerNorm.Forward(x, w, b, y, mean, rstd, rows, size, eps);
        var dx = new float[rows * size];
        var dw = affine ? Random(size, 5) : Array.Empty<float>();
        var db = affine ? Random(size, 6) : Array.Empty<float>();
        var dw0 = (float[])dw.Clone();
        var db0 = (float[])db.Clone();
        LayerNorm.Backward(x, w, mean, rstd, dy, dx, dw, db, rows, size, accumulate: true);

        var refDw = new double[size];
        var refDb = new double[size];
        for (int r = 0; r < rows; r++)
        {
            double mu = 0, var = 0;
            for (int i = 0; i < size; i++) mu += x[r * size + i];
            mu /= size;
            for (int i = 0; i < size; i++) var += (x[r * size + i] - mu) * (x[r * size + i] - mu);
            double inv = 1 / Math.Sqrt(var / size + eps);
            Assert.Equal(mu, mean[r], 1e-4 * Math.Max(1, Math.Abs(mu)));
            Assert.Equal(inv, rstd[r], 1e-5 * inv);
            double sumG = 0, sumGx = 0;
            var xh = new double[size];
            var g = new double[size];
            for (int i = 0; i < size; i++)
            {
                xh[i] = (x[r * size + i] - mu) * inv;
                double expected = affine ? xh[i] * w[i] + b[i] : xh[i];
                Assert.True(Math.Abs(expected - y[r * size + i]) <= 1e-4, $"y[{r}, {i}] = {y[r * size + i]}, reference {expected}");
                g[i] = affine ? dy[r * size + i] * w[i] : dy[r * size + i];
                sumG += g[i];
                sumGx += g[i] * xh[i];
                if (affine)
                {
                    refDw[i] += dy[r * size + i] * xh[i];
                    refDb[i] += dy[r * size + i];
                }
            }
            for (int i = 0; i < size; i++)
            {
                double expected = inv * (g[i] - sumG / size - xh[i] * sumGx / size);
                double tol = 1e-4 * Math.Max(1, inv);
                Assert.True(Math.Abs(expected - dx[r * size + i]) <= tol, $"dx[{r}, {i}] = {dx[r * size + i]}, reference {expected}");
            }
        }
        for (int i = 0; i < (affine ? size : 0); i++)
        {
            Assert.True(Math.Abs(dw0[i] + refDw[i] - dw[i]) <= 1e-4, $"dw[{i}] = {dw[i]}, reference {dw0[i] + refDw[i]}");
            Assert.True(Math.Abs(db0[i] + refDb[i] - db[i]) <= 1e-4, $"db[{i}] = {db[i]}, reference {db0[i] + refDb[i]}");
        }
    }

    [Fact]
    public void A_group_does_not_depend_on_the_others()
    {
        // Same bits for one row alone and inside a batch of rows.
        const int size = 64, rows = 5;
        var x = Random(rows * size, 7);
        var w = Random(size, 8);
        var b = Random(size, 9);
        var y = new float[rows * size];
        LayerNorm.Forward(x, w, b, y, new float[rows], new float[rows], rows, size, 1e-5f);
        var one = new float[size];
        LayerNorm.Forward(x.AsSpan(2 * size, size), w, b, one, new float[1], new float[1], 1, size, 1e-5f);
        Assert.Equal(one, y.AsSpan(2 * size, size).ToArray());
    }
}
