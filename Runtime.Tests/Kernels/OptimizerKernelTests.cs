using System;
using SourceGenNN.Kernels;
using Xunit;

namespace SourceGenNN.Tests.Kernels;

/// <summary>The vectorised optimiser updates give, lane for lane, the bits of their scalar form (length-1 calls).</summary>
[Collection(KernelThreadsCollection.Name)]
public class OptimizerKernelTests
{
    private static float[] Fill(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    [Fact]
    public void Adam_vector_lanes_equal_the_scalar_update()
    {
        const int n = 53;
        var p = Fill(n, 1); var g = Fill(n, 2); var m = Fill(n, 3, 0.1f); var v = Fill(n, 4, 0.01f);
        for (int i = 0; i < n; i++) v[i] = Math.Abs(v[i]);
        var (p1, m1, v1) = ((float[])p.Clone(), (float[])m.Clone(), (float[])v.Clone());
        OptimizerKernels.Adam(p, g, m, v, 0.99f, 0.01f, 0.9f, 0.999f, 0.003f, 1.2f, 1e-8f);
        for (int i = 0; i < n; i++)
            OptimizerKernels.Adam(p1.AsSpan(i, 1), g.AsSpan(i, 1), m1.AsSpan(i, 1), v1.AsSpan(i, 1), 0.99f, 0.01f, 0.9f, 0.999f, 0.003f, 1.2f, 1e-8f);
        Assert.Equal(p1, p);
        Assert.Equal(m1, m);
        Assert.Equal(v1, v);
    }

    [Fact]
    public void Large_updates_split_across_threads_give_the_same_bits()
    {
        const int n = (1 << 19) + 37; // two threads' worth, and a tail
        var g = Fill(n, 8);
        float[] Run(int threads, bool adam)
        {
            int saved = Parallelism.MaxThreads;
            Parallelism.MaxThreads = threads;
            try
            {
                var p = Fill(n, 9); var m = Fill(n, 10, 0.1f); var v = Fill(n, 11, 0.01f);
                for (int i = 0; i < n; i++) v[i] = Math.Abs(v[i]);
                if (adam) OptimizerKernels.Adam(p, g, m, v, 1f, 0f, 0.9f, 0.999f, 0.001f, 1.1f, 1e-8f);
                else OptimizerKernels.Sgd(p, g, m, 0.01f, 0f, 0.9f, 1f, false, false);
                return p;
            }
            finally
            {
                Parallelism.MaxThreads = saved;
            }
        }
        Assert.Equal(Run(1, true), Run(2, true));
        Assert.Equal(Run(1, false), Run(2, false));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void Sgd_vector_lanes_equal_the_scalar_update(bool first, bool nesterov)
    {
        const int n = 37;
        var p = Fill(n, 5); var g = Fill(n, 6); var b = Fill(n, 7);
        var (p1, b1) = ((float[])p.Clone(), (float[])b.Clone());
        OptimizerKernels.Sgd(p, g, b, 0.05f, 1e-3f, 0.9f, 0.8f, nesterov, first);
        for (int i = 0; i < n; i++)
            OptimizerKernels.Sgd(p1.AsSpan(i, 1), g.AsSpan(i, 1), b1.AsSpan(i, 1), 0.05f, 1e-3f, 0.9f, 0.8f, nesterov, first);
        Assert.Equal(p1, p);
        Assert.Equal(b1, b);
    }
}
