using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using SourceGenNN.Kernels;

namespace SourceGenNN.Benchmarks;

/// <summary>
/// The measurement behind the convolution kernels' design (docs/convolution.md): W6's two convolutions, forward over a
/// batch of 32, computed two ways. <see cref="Im2ColGemm"/> is the library's kernel (im2col, then the library's GEMM
/// per sample). <see cref="Direct()"/> is a direct convolution vectorised along the output row (AVX-512, 16 columns per
/// register, four output channels sharing each input load), the usual choice for few channels. Run with
/// <c>--conv-kernels</c>.
/// </summary>
[MemoryDiagnoser]
public class ConvKernels
{
    private float[] _x = [], _w = [], _b = [], _y = [], _columns = [];
    private SlidingWindow _window;
    private int _in, _out;

    /// <summary>The layer: W6's first (1→8 channels, 28×28) or second (8→16, 14×14) convolution, 3×3, padding 1.</summary>
    [Params("conv1", "conv2")]
    public string Layer { get; set; } = "conv1";

    /// <summary>The batch.</summary>
    [Params(32)]
    public int Batch { get; set; }

    /// <summary>Random input, weights and bias for the layer.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        int size = Layer == "conv1" ? 28 : 14;
        (_in, _out) = Layer == "conv1" ? (1, 8) : (8, 16);
        _window = new SlidingWindow((size, size), (size, size), (3, 3), (1, 1), (1, 1), (1, 1));
        _x = BenchData.Normal(Batch * _in * size * size, 1);
        _w = BenchData.Normal(_out * _in * 9, 2);
        _b = BenchData.Normal(_out, 3);
        _y = new float[Batch * _out * size * size];
        _columns = new float[Convolution.ColumnsLength(_window, _in)];
        if (!Avx512F.IsSupported) throw new PlatformNotSupportedException("The direct candidate is written for AVX-512.");
        // The two must agree before they are timed.
        var direct = new float[_y.Length];
        Im2ColGemm();
        Direct(direct);
        for (int i = 0; i < _y.Length; i++)
            if (Math.Abs(direct[i] - _y[i]) > 1e-4f * (1 + Math.Abs(_y[i])))
                throw new InvalidOperationException($"The candidates disagree at {i}: {direct[i]} and {_y[i]}.");
    }

    /// <summary>The library's kernel: im2col and <see cref="Gemm.Broadcast"/> per sample.</summary>
    [Benchmark(Baseline = true)]
    public void Im2ColGemm() => Convolution.Forward(_window, _in, _out, 1, _x, _w, _b, _y, _columns, Batch);

    /// <summary>The direct candidate.</summary>
    [Benchmark]
    public void Direct() => Direct(_y);

    private unsafe void Direct(float[] output)
    {
        int h = _window.InHeight, w = _window.InWidth, plane = h * w;
        fixed (float* px = _x, pw = _w, pb = _b, py = output)
            for (int n = 0; n < Batch; n++)
                for (int o = 0; o < _out; o += 4)
                    for (int i = 0; i < h; i++)
                        for (int j = 0; j < w; j += 16)
                        {
                            var a0 = Vector512.Create(pb[o]);
                            var a1 = Vector512.Create(pb[o + 1]);
                            var a2 = Vector512.Create(pb[o + 2]);
                            var a3 = Vector512.Create(pb[o + 3]);
                            for (int c = 0; c < _in; c++)
                            {
                                float* xc = px + (long)(n * _in + c) * plane;
                                float* wc = pw + ((long)o * _in + c) * 9;
                                for (int p = 0; p < 3; p++)
                                {
                                    int r = i + p - 1;
                                    if (r < 0 || r >= h) continue;
                                    for (int q = 0; q < 3; q++)
                                    {
                                        // Columns j + lane + q − 1 inside the row; the others read as zero.
                                        int first = j + q - 1;
                                        var lanes = Vector512<int>.Indices + Vector512.Create(first);
                                        var inside = (Vector512.GreaterThanOrEqual(lanes, Vector512<int>.Zero) & Vector512.LessThan(lanes, Vector512.Create(w))).AsSingle();
                                        var v = Avx512F.MaskLoad(xc + r * w + first, inside, Vector512<float>.Zero);
                                        int tap = p * 3 + q, stride = _in * 9;
                                        a0 = Vector512.FusedMultiplyAdd(Vector512.Create(wc[tap]), v, a0);
                                        a1 = Vector512.FusedMultiplyAdd(Vector512.Create(wc[stride + tap]), v, a1);
                                        a2 = Vector512.FusedMultiplyAdd(Vector512.Create(wc[2 * stride + tap]), v, a2);
                                        a3 = Vector512.FusedMultiplyAdd(Vector512.Create(wc[3 * stride + tap]), v, a3);
                                    }
                                }
                            }
                            var store = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(w - j)).AsSingle();
                            float* y = py + ((long)(n * _out + o) * h + i) * w + j;
                            Avx512F.MaskStore(y, store, a0);
                            Avx512F.MaskStore(y + plane, store, a1);
                            Avx512F.MaskStore(y + 2 * plane, store, a2);
                            Avx512F.MaskStore(y + 3 * plane, store, a3);
                        }
    }
}
