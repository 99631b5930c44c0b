using System;
using SourceGenNN.Kernels;
using Xunit;

namespace SourceGenNN.Tests.Kernels;

/// <summary>
/// <see cref="Attention.Forward"/> and <see cref="Attention.Backward"/> against a double-precision reference, with the
/// key-padding lengths (0, partial and full) and the causal mask, on shapes that take each path: 16 keys with at most
/// 16 queries (the AVX-512 path with the queries in lanes), fewer keys (one vector of scores a row; two 8-lane halves
/// or one on AVX2), more than 16 keys or queries (the general path), and head sizes that are not multiples of 16. CI runs these on every vector path.
/// </summary>
public class AttentionKernelTests
{
    public static TheoryData<int, int, int, int, int, bool> Shapes()
    {
        var d = new TheoryData<int, int, int, int, int, bool>();
        foreach (bool causal in new[] { false, true })
        {
            d.Add(2, 16, 16, 16, 16, causal);
            d.Add(1, 5, 16, 20, 7, causal);
            d.Add(2, 7, 6, 4, 3, causal);
            d.Add(1, 18, 16, 8, 8, causal);
            d.Add(1, 16, 20, 16, 16, causal);
        }
        return d;
    }

    /// <summary>
    /// Short key sequences, the fused paths (AVX-512, or AVX2 with DOTNET_EnableAVX512=0): one or two 8-lane halves of
    /// scores (S ≤ 8, 8 &lt; S ≤ 16), queries in groups of 8, 4 and 1, head sizes of one, two and eight 8-lane panels.
    /// </summary>
    public static TheoryData<int, int, int, int, int, bool> SmallKeyShapes()
    {
        var d = new TheoryData<int, int, int, int, int, bool>();
        foreach (bool causal in new[] { false, true })
            foreach (int S in new[] { 1, 5, 8, 9, 16 })
                foreach (int T in new[] { 1, 3, 16, 20 })
                    foreach (int D in new[] { 8, 16, 64 })
                        d.Add(2, T, S, D, D, causal);
        return d;
    }

    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(SmallKeyShapes))]
    public void Forward_and_backward_match_a_double_reference(int H, int T, int S, int D, int Dv, bool causal)
    {
        const int batch = 3;
        var shape = new AttentionShape(H, T, S, D, Dv, causal);
        // q, k, v side by side in rows of one buffer (as a packed in_proj writes them) when T = S; apart otherwise.
        int qs = H * D + 1, ks = H * D + 2, vs = H * Dv + 3, cs = H * Dv + 1;
        var q = Random(batch * T * qs, 1);
        var k = Random(batch * S * ks, 2);
        var v = Random(batch * S * vs, 3);
        var lengths = new float[] { S, 0, Math.Max(1, S / 2 + 1) };
        var weights = new float[batch * shape.WeightsPerSample];
        var context = new float[batch * T * cs];
        Attention.Forward(q, qs, k, ks, v, vs, lengths, weights, context, cs, batch, shape);
        var dc = Random(batch * T * cs, 4);
        var dq = new float[batch * T * qs];
        var dk = new float[batch * S * ks];
        var dv = new float[batch * S * vs];
        Attention.Backward(q, qs, k, ks, v, vs, lengths, weights, default, dc, cs, dq, qs, dk, ks, dv, vs, new float[2 * T * S], batch, shape);

        double scale = 1 / Math.Sqrt(D);
        var rdq = new double[dq.Length];
        var rdk = new double[dk.Length];
        var rdv = new double[dv.Length];
        for (int n = 0; n < batch; n++)
            for (int h = 0; h < H; h++)
            {
                var w = new double[T, S];
                for (int t = 0; t < T; t++)
                {
                    int valid = causal ? Math.Min((int)lengths[n], t + 1) : (int)lengths[n];
                    double max = double.NegativeInfinity, sum = 0;
                    var z = new double[S];
                    for (int s = 0; s < valid; s++)
                    {
                        for (int i = 0; i < D; i++) z[s] += (double)q[(n * T + t) * qs + h * D + i] * k[(n * S + s) * ks + h * D + i];
                        z[s] *= scale;
                        max = Math.Max(max, z[s]);
                    }
                    for (int s = 0; s < valid; s++) sum += Math.Exp(z[s] - max);
                    for (int s = 0; s < valid; s++) w[t, s] = Math.Exp(z[s] - max) / sum;
                    for (int s = 0; s < S; s++)
                    {
                        float got = weights[((n * H + h) * T + t) * S + s];
                        Assert.True(Math.Abs(w[t, s] - got) <= 1e-5, $"weights[{n}, {h}, {t}, {s}] = {got}, reference {w[t, s]}");
                    }
                    for (int j = 0; j < Dv; j++)
                    {
                        double c = 0;
                        for (int s = 0; s < S; s++) c += w[t, s] * v[(n * S + s) * vs + h * Dv + j];
                        float got = context[(n * T + t) * cs + h * Dv + j];
                        Assert.True(Math.Abs(c - got) <= 1e-5, $"context[{n}, {t}, {h}, {j}] = {got}, reference {c}");
                    }
                    // Backward: dw = dc·vᵀ, dz = w ⊙ (dw − Σ dw ⊙ w), dq = scale·dz·k, dk = scale·dzᵀ·q, dv = wᵀ·dc.
                    var dw = new double[S];
                    double dot = 0;
                    for (int s = 0; s < S; s++)
                    {
                        for (int j = 0; j < Dv; j++) dw[s] += (double)dc[(n * T + t) * cs + h * Dv + j] * v[(n * S + s) * vs + h * Dv + j];
                        dot += dw[s] * w[t, s];
                    }
                    for (int s = 0; s < S; s++)
                    {
                        double dz = scale * w[t, s] * (dw[s] - dot);
                        for (int i = 0; i < D; i++)
                        {
                            rdq[(n * T + t) * qs + h * D + i] += dz * k[(n * S + s) * ks + h * D + i];
                            rdk[(n * S + s) * ks + h * D + i] += dz * q[(n * T + t) * qs + h * D + i];
                        }
                        for (int j = 0; j < Dv; j++) rdv[(n * S + s) * vs + h * Dv + j] += w[t, s] * dc[(n * T + t) * cs + h * Dv + j];
                    }
                }
            }
        AssertClose(rdq, dq, "dq");
        AssertClose(rdk, dk, "dk");
        AssertClose(rdv, dv, "dv");
    }

    private static void AssertClose(double[] expected, float[] actual, string name)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"{name}[{i}] = {actual[i]}, reference {expected[i]}");
    }
}
