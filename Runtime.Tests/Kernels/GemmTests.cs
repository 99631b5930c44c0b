using System;
using SourceGenNN.Kernels;
using Xunit;

namespace SourceGenNN.Tests.Kernels;

/// <summary>
/// The tiled matrix products against a plain double-precision triple loop, over shapes that hit every tile and every
/// tail (sizes around 4, 8, 16 and 32), with and without bias and accumulation. CI runs these on every vector path.
/// </summary>
public unsafe class GemmTests
{
    private static readonly int[] Sizes = { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 20, 31, 32, 33, 37, 64, 70 };

    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    private static void AssertClose(double expected, float actual, int K, string what)
    {
        // Float accumulation of K products of values in [-1, 1].
        double tol = 1e-5 * Math.Sqrt(K) + 1e-5 * Math.Abs(expected);
        Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: {actual}, reference {expected}");
    }

    public static TheoryData<int, int, int> Shapes()
    {
        var d = new TheoryData<int, int, int>();
        foreach (int m in new[] { 1, 3, 4, 5, 8, 9, 17 })
            foreach (int n in new[] { 1, 4, 5, 8, 10, 16, 20, 33, 64, 70 })
                foreach (int k in new[] { 1, 3, 16, 20, 37 })
                    d.Add(m, n, k);
        // Shapes that cross the cache blocks: k beyond 256 and 512 (with and without a short last block), m beyond 256.
        d.Add(9, 70, 530);
        d.Add(5, 33, 520);
        d.Add(4, 8, 1100);
        // k beyond the forward product's k block of 1024 (32 and 48 KiB L1): three blocks, and a sliver merged into
        // the block before it; 10 rows take a 6-row and a 4-row tile, an odd N a one-column pass.
        d.Add(10, 7, 2100);
        d.Add(10, 9, 1030);
        d.Add(260, 40, 300);
        d.Add(270, 33, 17);
        // The panel path's shapes (16 <= K <= 128 with AVX-512): an encoder layer's products, full and ragged panels.
        d.Add(16, 192, 64);
        d.Add(17, 70, 128);
        d.Add(3, 48, 100);
        d.Add(13, 130, 129);
        // The short-row paths with 8 lanes too (AVX2: DotNTSmallK from K = 8, panels of 16 columns, up to 8 rows with
        // lanes along the rows): panel widths with and without a tail of under 8 columns, K with and without a tail.
        foreach (int k in new[] { 8, 31, 64 })
            foreach (int n in new[] { 16, 20, 33, 192 })
                foreach (int m in new[] { 1, 7, 8, 9, 40 })
                    d.Add(m, n, k);
        return d;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void DotNT_matches_reference(int M, int N, int K)
    {
        var a = Random(M * K, 1);
        var b = Random(N * K, 2);
        var bias = Random(N, 3);
        var c0 = Random(M * N, 4);
        foreach (bool withBias in new[] { false, true })
            foreach (bool accumulate in new[] { false, true })
            {
                var c = (float[])c0.Clone();
                fixed (float* pa = a, pb = b, pc = c, pbias = bias)
                    Gemm.DotNT(M, N, K, pa, K, pb, K, pc, N, withBias ? pbias : null, accumulate);
                for (int m = 0; m < M; m++)
                    for (int n = 0; n < N; n++)
                    {
                        double s = (accumulate ? c0[m * N + n] : 0) + (withBias ? bias[n] : 0);
                        for (int k = 0; k < K; k++) s += (double)a[m * K + k] * b[n * K + k];
                        AssertClose(s, c[m * N + n], K, $"C[{m},{n}] (bias {withBias}, accumulate {accumulate})");
                    }
            }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Broadcast_matches_reference_for_both_operand_layouts(int M, int N, int K)
    {
        var b = Random(K * N, 5);
        var c0 = Random(M * N, 6);
        // a(m, k) stored [K, M] (the dYᵀ of a weight gradient) and [M, K] (the dY of an input gradient).
        foreach (bool transposed in new[] { true, false })
        {
            var a = Random(M * K, transposed ? 7 : 8);
            int ams = transposed ? 1 : K, aks = transposed ? M : 1;
            foreach (bool accumulate in new[] { false, true })
            {
                var c = (float[])c0.Clone();
                fixed (float* pa = a, pb = b, pc = c)
                    Gemm.Broadcast(M, N, K, pa, ams, aks, pb, N, pc, N, accumulate);
                for (int m = 0; m < M; m++)
                    for (int n = 0; n < N; n++)
                    {
                        double s = accumulate ? c0[m * N + n] : 0;
                        for (int k = 0; k < K; k++) s += (double)a[m * ams + k * aks] * b[k * N + n];
                        AssertClose(s, c[m * N + n], K, $"C[{m},{n}] (transposed {transposed}, accumulate {accumulate})");
                    }
            }
        }
    }

    [Fact]
    public void Dot_matches_reference_at_every_length()
    {
        foreach (int k in Sizes)
        {
            var a = Random(k, k);
            var b = Random(k, k + 100);
            double s = 0;
            for (int i = 0; i < k; i++) s += (double)a[i] * b[i];
            fixed (float* pa = a, pb = b)
                AssertClose(s, Gemm.Dot(k, pa, pb), k, $"dot of length {k}");
        }
    }
}

/// <summary>Large products split across threads give the same bits as on one thread, and match the reference.</summary>
[Collection(KernelThreadsCollection.Name)]
public unsafe class GemmThreadingTests
{
    [Fact]
    public void Thread_count_does_not_change_any_result()
    {
        const int M = 70, N = 333, K = 700; // 16M multiply-adds: several threads' worth
        var r = new Random(3);
        float[] Fill(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1); return a; }
        var a = Fill(M * K);
        var b = Fill(N * K);
        var bias = Fill(N);
        var bt = Fill(K * N);
        float[] Run(int threads, bool dot)
        {
            int saved = SourceGenNN.Kernels.Parallelism.MaxThreads;
            SourceGenNN.Kernels.Parallelism.MaxThreads = threads;
            try
            {
                var c = new float[M * N];
                fixed (float* pa = a, pb = b, pc = c, pbias = bias, pbt = bt)
                {
                    if (dot) SourceGenNN.Kernels.Gemm.DotNT(M, N, K, pa, K, pb, K, pc, N, pbias, false);
                    else SourceGenNN.Kernels.Gemm.Broadcast(M, N, K, pa, K, 1, pbt, N, pc, N, false);
                }
                return c;
            }
            finally
            {
                SourceGenNN.Kernels.Parallelism.MaxThreads = saved;
            }
        }
        foreach (bool dot in new[] { true, false })
        {
            var one = Run(1, dot);
            Assert.Equal(one, Run(2, dot));
            Assert.Equal(one, Run(3, dot));
            for (int m = 0; m < M; m += 7)
                for (int n = 0; n < N; n += 5)
                {
                    double s = dot ? bias[n] : 0;
                    for (int k = 0; k < K; k++) s += (double)a[m * K + k] * (dot ? b[n * K + k] : bt[k * N + n]);
                    Assert.True(Math.Abs(s - one[m * N + n]) < 1e-3, $"C[{m},{n}] {one[m * N + n]} vs {s}");
                }
        }
    }

    [Fact]
    public void Threaded_products_allocate_nothing_once_warm()
    {
        const int M = 256, N = 512, K = 512; // 64M multiply-adds: split across threads
        var a = new float[M * K];
        var b = new float[N * K];
        var c = new float[M * N];
        int saved = SourceGenNN.Kernels.Parallelism.MaxThreads;
        SourceGenNN.Kernels.Parallelism.MaxThreads = 2;
        try
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                for (int i = 0; i < 3; i++)
                {
                    SourceGenNN.Kernels.Gemm.DotNT(M, N, K, pa, K, pb, K, pc, N, null, false);
                    SourceGenNN.Kernels.Gemm.Broadcast(M, N, K, pa, K, 1, pb, N, pc, N, false);
                }
                // Up to three measurements, passing on the first of 0 bytes: an allocation per call shows in every one,
                // while the runtime now and then allocates a few KB on a thread once (seen about once in several full runs
                // under load, never alone; not traced), which one more measurement absorbs.
                for (int attempt = 1; ; attempt++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < 3; i++)
                    {
                        SourceGenNN.Kernels.Gemm.DotNT(M, N, K, pa, K, pb, K, pc, N, null, false);
                        SourceGenNN.Kernels.Gemm.Broadcast(M, N, K, pa, K, 1, pb, N, pc, N, false);
                    }
                    long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
                    if (bytes == 0) break;
                    Assert.True(attempt < 3, $"{bytes} bytes allocated in each of 3 measurements of 3 calls");
                }
            }
        }
        finally
        {
            SourceGenNN.Kernels.Parallelism.MaxThreads = saved;
        }
    }

    [Fact]
    public void Max_threads_rejects_zero_and_more_than_the_limit()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SourceGenNN.Kernels.Parallelism.MaxThreads = 0);
        Assert.Equal("value", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => SourceGenNN.Kernels.Parallelism.MaxThreads = SourceGenNN.Kernels.Parallelism.ThreadLimit + 1);
    }
}

/// <summary>An output does not depend on how many rows are computed with it: batch 1, a tile's row or a remainder row.</summary>
public unsafe class GemmBatchInvarianceTests
{
    [Theory]
    [InlineData(6, 20)]
    [InlineData(10, 784)]
    [InlineData(13, 37)]
    [InlineData(4, 8)]
    [InlineData(20, 20)]
    [InlineData(64, 20)]
    [InlineData(1, 32)]
    [InlineData(3, 100)]
    [InlineData(192, 64)] // the panel path (AVX-512): 23 rows in panels, one row (up to 16) with lanes along the rows
    [InlineData(33, 128)]
    [InlineData(17, 50)]
    [InlineData(13, 2100)] // several k blocks of the forward product
    public void Each_row_gives_the_same_bits_alone_and_in_any_batch(int N, int K)
    {
        const int M = 23; // 6-row, 4-row and 12-row tiles and remainder rows
        var r = new Random(N * 1000 + K);
        float[] Fill(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1); return a; }
        var a = Fill(M * K);
        var b = Fill(N * K);
        var bias = Fill(N);
        var all = new float[M * N];
        fixed (float* pa = a, pb = b, pc = all, pbias = bias)
            SourceGenNN.Kernels.Gemm.DotNT(M, N, K, pa, K, pb, K, pc, N, pbias, false);
        for (int m = 0; m < M; m++)
        {
            var one = new float[N];
            fixed (float* pa = a, pb = b, pc = one, pbias = bias)
                SourceGenNN.Kernels.Gemm.DotNT(1, N, K, pa + m * K, K, pb, K, pc, N, pbias, false);
            Assert.Equal(all.AsSpan(m * N, N).ToArray(), one);
        }
    }
}

/// <summary>
/// The short-row paths (K &lt; 32, and 16 ≤ K ≤ 128: transposed panels of B, or lanes along the rows for a few rows) on
/// every batch size from 1 to 40: each row has the same bits alone and in any batch, at any position, for every way of
/// storing the result. Run with AVX-512, with <c>DOTNET_EnableAVX512=0</c> (AVX2: 16-column panels, up to 8 rows in
/// lanes) and without AVX2 or without vectors (dot products), all of which must keep the guarantee.
/// </summary>
public unsafe class GemmPanelBatchInvarianceTests
{
    private const int Rows = 44, MaxBatch = 40;

    private static float[] Fill(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    public static TheoryData<int, int, string> Cases()
    {
        var d = new TheoryData<int, int, string>();
        foreach (int k in new[] { 8, 16, 20, 31, 32, 64, 100, 128 })
            foreach (int n in new[] { 16, 20, 33, 64, 192 })
                foreach (string mode in new[] { "plain", "bias", "accumulate", "accumulate+bias", "activation" })
                    d.Add(n, k, mode);
        return d;
    }

    /// <summary>C for rows [row0, row0 + M) of A, C starting as <paramref name="c0"/>'s rows; the activation (if any) too.</summary>
    private static (float[] Z, float[] Act) Run(int row0, int M, int N, int K, float[] a, float[] b, float[] bias, float[] c0, string mode)
    {
        var z = new float[M * N];
        var act = new float[M * N];
        Array.Copy(c0, row0 * N, z, 0, M * N);
        bool withBias = mode is "bias" or "accumulate+bias" or "activation";
        bool accumulate = mode.StartsWith("accumulate", StringComparison.Ordinal);
        fixed (float* pa = a, pb = b, pz = z, pbias = bias, pact = act)
        {
            float* ar = pa + (long)row0 * K;
            if (mode == "activation") Gemm.DotNT(M, N, K, ar, K, pb, K, pz, N, pbias, pact, N, new GeluOperator());
            else Gemm.DotNT(M, N, K, ar, K, pb, K, pz, N, withBias ? pbias : null, accumulate);
        }
        return (z, act);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_row_gives_the_same_bits_alone_and_in_any_batch(int N, int K, string mode)
    {
        var a = Fill(Rows * K, 100 + N + K);
        var b = Fill(N * K, 200 + N + K);
        var bias = Fill(N, 300 + N);
        var c0 = Fill(Rows * N, 400 + K);
        var (z, act) = Run(0, Rows, N, K, a, b, bias, c0, mode);

        // Against a double-precision reference first, so that a wrong path cannot agree with itself.
        bool withBias = mode is "bias" or "accumulate+bias" or "activation";
        bool accumulate = mode.StartsWith("accumulate", StringComparison.Ordinal);
        for (int m = 0; m < Rows; m++)
            for (int n = 0; n < N; n++)
            {
                double s = (accumulate ? c0[m * N + n] : 0) + (withBias ? bias[n] : 0);
                for (int k = 0; k < K; k++) s += (double)a[m * K + k] * b[n * K + k];
                double tol = 1e-5 * Math.Sqrt(K) + 1e-5 * Math.Abs(s);
                Assert.True(Math.Abs(s - z[m * N + n]) <= tol, $"C[{m},{n}] = {z[m * N + n]}, reference {s} ({mode})");
            }
        if (mode == "activation")
        {
            var expected = new float[Rows * N];
            Activation.Forward(new GeluOperator(), z, expected);
            Assert.Equal(expected, act);
        }

        // Every batch size, at a few row offsets: the same bits as in the batch of 44.
        for (int M = 1; M <= MaxBatch; M++)
        {
            int row0 = (M * 7) % (Rows - M + 1);
            var (zb, actb) = Run(row0, M, N, K, a, b, bias, c0, mode);
            for (int m = 0; m < M; m++)
                for (int n = 0; n < N; n++)
                {
                    int i = (row0 + m) * N + n;
                    if (BitConverter.SingleToInt32Bits(zb[m * N + n]) != BitConverter.SingleToInt32Bits(z[i]))
                        Assert.Fail($"row {row0 + m}, column {n} in a batch of {M}: {zb[m * N + n]:R}, {z[i]:R} in the batch of {Rows} ({mode})");
                    if (mode == "activation" && BitConverter.SingleToInt32Bits(actb[m * N + n]) != BitConverter.SingleToInt32Bits(act[i]))
                        Assert.Fail($"activated row {row0 + m}, column {n} in a batch of {M}: {actb[m * N + n]:R}, {act[i]:R} ({mode})");
                }
        }
    }
}

/// <summary>The packed product and the fused epilogue keep the guarantees of the plain products.</summary>
public unsafe class GemmPackedAndFusedTests
{
    private static float[] Fill(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    [Theory]
    [InlineData(64, 300)]   // packed: k beyond one packed block where KC is 192 (AVX-512 with a 48 KiB L1)
    [InlineData(64, 700)]   // k beyond one packed block for any KC up to 512 (PackedGemm.KStep)
    [InlineData(80, 300)]   // the same, with a partial last column panel
    [InlineData(20, 300)]   // a small B (N × K < 16384): read in place
    [InlineData(50, 20)]
    [InlineData(70, 10)]    // few terms: the unpacked path
    [InlineData(33, 37)]
    [InlineData(1, 17)]
    public void An_input_gradient_row_gives_the_same_bits_alone_and_in_any_batch(int N, int K)
    {
        // dX = dY·W: the rows are the batch. 29 rows: full 12- and 6-row tiles, 4-row and single-row edges.
        const int M = 29;
        var a = Fill(M * K, N + K);
        var b = Fill(K * N, 2 * N + K);
        var all = new float[M * N];
        fixed (float* pa = a, pb = b, pc = all)
            Gemm.Broadcast(M, N, K, pa, K, 1, pb, N, pc, N, false);
        for (int m = 0; m < M; m++)
        {
            var one = new float[N];
            fixed (float* pa = a, pb = b, pc = one)
                Gemm.Broadcast(1, N, K, pa + m * K, K, 1, pb, N, pc, N, false);
            Assert.Equal(all.AsSpan(m * N, N).ToArray(), one);
        }
    }

    [Fact]
    public void The_k_blocks_cover_k_in_one_block_or_in_equal_blocks_of_at_most_KC()
    {
        int kc = PackedGemm.KC;
        for (int K = 1; K <= 8 * kc; K++)
        {
            int step = PackedGemm.KStep(K);
            if (K <= kc + kc / 3) Assert.Equal(K, step); // one block: no second sweep over C
            else
            {
                Assert.InRange(step, 16, kc);
                Assert.Equal(0, step % 16);
                int blocks = (K + step - 1) / step;
                Assert.Equal((K + kc - 1) / kc, blocks); // no more blocks than KC would take
                Assert.True(K - (blocks - 1) * step >= step - 16 * blocks, $"K = {K}: a short last block of {K - (blocks - 1) * step} after blocks of {step}");
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_product_beyond_every_packed_block_matches_the_reference(bool transposed)
    {
        // More rows than one block of A (MC ≤ 672 here), more terms than one k block, a partial last column panel; A
        // stored [K, M] (a weight gradient's dYᵀ) or [M, K] (an input gradient's dY, packed by 4 × 4 transposes).
        const int M = 700, N = 45, K = 530;
        var a = Fill(K * M, 1);
        int ams = transposed ? 1 : K, aks = transposed ? M : 1;
        var b = Fill(K * N, 2);
        var c0 = Fill(M * N, 3);
        var c = (float[])c0.Clone();
        fixed (float* pa = a, pb = b, pc = c)
            Gemm.Broadcast(M, N, K, pa, ams, aks, pb, N, pc, N, accumulate: true);
        for (int m = 0; m < M; m += 7)
            for (int n = 0; n < N; n++)
            {
                double s = c0[m * N + n];
                for (int k = 0; k < K; k++) s += (double)a[m * ams + k * aks] * b[k * N + n];
                Assert.True(Math.Abs(s - c[m * N + n]) <= 1e-5 * Math.Sqrt(K) + 1e-5 * Math.Abs(s), $"C[{m},{n}] = {c[m * N + n]}, reference {s}");
            }
    }

    public static TheoryData<int, int, int> FusedShapes() => new()
    {
        { 1, 128, 784 }, { 5, 10, 20 }, { 64, 33, 37 }, { 13, 70, 1100 }, { 7, 20, 3 }, { 40, 300, 24 },
        { 16, 128, 64 }, { 32, 300, 64 },
        // The AVX2 short-row paths: rows in lanes (up to 8), 16-column panels with and without a tail, K = 8..31.
        { 1, 64, 20 }, { 8, 33, 100 }, { 9, 20, 16 }, { 40, 192, 64 }, { 13, 16, 8 }, { 21, 70, 31 },
    };

    [Theory]
    [MemberData(nameof(FusedShapes))]
    public void The_fused_epilogue_gives_the_bits_of_the_product_then_the_activation(int M, int N, int K)
    {
        var a = Fill(M * K, 11);
        var b = Fill(N * K, 12);
        var bias = Fill(N, 13);
        var z = new float[M * N];
        var expected = new float[M * N];
        fixed (float* pa = a, pb = b, pz = z, pbias = bias)
            Gemm.DotNT(M, N, K, pa, K, pb, K, pz, N, pbias, false);
        Activation.Forward(new GeluOperator(), z, expected);

        var z2 = new float[M * N];
        var act = new float[M * N];
        fixed (float* pa = a, pb = b, pz = z2, pbias = bias, pact = act)
            Gemm.DotNT(M, N, K, pa, K, pb, K, pz, N, pbias, pact, N, new GeluOperator());
        Assert.Equal(z, z2);
        Assert.Equal(expected, act);
    }
}
