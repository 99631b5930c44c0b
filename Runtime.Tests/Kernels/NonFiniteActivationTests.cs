using System;
using System.Collections.Generic;
using SourceGenNN.Kernels;
using Xunit;

namespace SourceGenNN.Tests.Kernels;

/// <summary>
/// NaN and ±∞ through every activation kernel, on every path: PyTorch's value and derivative at each, whether the
/// element goes through a full vector, the overlapping last vector, or the scalar loop (lengths below a vector, and
/// the whole kernel with DOTNET_EnableHWIntrinsic=0). The expected values are PyTorch's
/// (<c>tools/pytorch/record_nonfinite.py</c> prints them).
/// </summary>
public class NonFiniteActivationTests
{
    private const float Slope = 0.07f, Alpha = 1.3f;
    private static readonly float Nan = float.NaN, Inf = float.PositiveInfinity;

    /// <summary>Per kind: (z, f(z), f'(z)) at NaN, +∞ and −∞, as PyTorch 1.13 gives them.</summary>
    public static readonly Dictionary<string, (float Z, float A, float D)[]> Expected = new()
    {
        ["Identity"] = [(Nan, Nan, 1f), (Inf, Inf, 1f), (-Inf, -Inf, 1f)],
        ["Sigmoid"] = [(Nan, Nan, Nan), (Inf, 1f, 0f), (-Inf, 0f, 0f)],
        ["Tanh"] = [(Nan, Nan, Nan), (Inf, 1f, 0f), (-Inf, -1f, 0f)],
        ["ReLU"] = [(Nan, Nan, 1f), (Inf, Inf, 1f), (-Inf, 0f, 0f)],
        ["LeakyReLU"] = [(Nan, Nan, Slope), (Inf, Inf, 1f), (-Inf, -Inf, Slope)],
        ["ELU"] = [(Nan, Nan, 1f), (Inf, Inf, 1f), (-Inf, -Alpha, 0f)],
        ["GELU"] = [(Nan, Nan, Nan), (Inf, Inf, Nan), (-Inf, Nan, Nan)],
        ["SiLU"] = [(Nan, Nan, Nan), (Inf, Inf, Nan), (-Inf, Nan, Nan)],
    };

    public static TheoryData<string> Kinds => new() { "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU" };

    private static void Run(string kind, float[] z, float[] a, float[] da, float[] dz)
    {
        switch (kind)
        {
            case "Identity": Go(new IdentityOperator()); break;
            case "Sigmoid": Go(new SigmoidOperator()); break;
            case "Tanh": Go(new TanhOperator()); break;
            case "ReLU": Go(new ReluOperator()); break;
            case "LeakyReLU": Go(new LeakyReluOperator(Slope)); break;
            case "ELU": Go(new EluOperator(Alpha)); break;
            case "GELU": Go(new GeluOperator()); break;
            case "SiLU": Go(new SiluOperator()); break;
            default: throw new ArgumentException(kind);
        }

        void Go<T>(T op) where T : struct, IActivationOperator
        {
            Activation.Forward(op, z, a);
            Activation.Backward(op, z, a, da, dz);
        }
    }

    /// <summary>Equal, NaN equal to NaN (and nothing else), +0 equal to −0.</summary>
    private static bool Same(float expected, float actual) =>
        float.IsNaN(expected) ? float.IsNaN(actual) : expected == actual;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_position_of_every_length_gives_PyTorchs_value_and_derivative(string kind)
    {
        // Lengths 1 to 40 cover the scalar loop (below 4), every full vector width and every overlapping tail; 67 has
        // several full vectors and a tail. The non-finite value visits every position; the others are finite and must
        // keep their finite results.
        var lengths = new List<int>();
        for (int n = 1; n <= 40; n++) lengths.Add(n);
        lengths.Add(67);
        foreach (var (special, wantA, wantD) in Expected[kind])
            foreach (int n in lengths)
                for (int at = 0; at < n; at++)
                {
                    var z = new float[n];
                    for (int i = 0; i < n; i++) z[i] = i % 2 == 0 ? 0.75f : -0.5f;
                    z[at] = special;
                    var a = new float[n];
                    var da = new float[n];
                    Array.Fill(da, 1f);
                    var dz = new float[n];
                    Run(kind, z, a, da, dz);
                    Assert.True(Same(wantA, a[at]), $"{kind}({special}) at {at} of {n} = {a[at]}, PyTorch gives {wantA}");
                    Assert.True(Same(wantD, dz[at]), $"{kind}'({special}) at {at} of {n} = {dz[at]}, PyTorch gives {wantD}");
                    for (int i = 0; i < n; i++)
                        if (i != at) Assert.True(float.IsFinite(a[i]) && float.IsFinite(dz[i]), $"{kind}: element {i} of {n} became {a[i]}, f' {dz[i]}");
                }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_NaN_gradient_reaches_dz_on_every_path(string kind)
    {
        // dz = da·f'(z): a NaN arriving from above is not masked away where f'(z) = 0.
        foreach (int n in new[] { 1, 3, 4, 8, 16, 17, 67 })
        {
            var z = new float[n];
            for (int i = 0; i < n; i++) z[i] = -2f; // ReLU' = 0 here
            var a = new float[n];
            var da = new float[n];
            Array.Fill(da, float.NaN);
            var dz = new float[n];
            Run(kind, z, a, da, dz);
            for (int i = 0; i < n; i++) Assert.True(float.IsNaN(dz[i]), $"{kind}: dz[{i}] of {n} = {dz[i]} for a NaN upstream gradient");
        }
    }

    [Fact]
    public void PReLU_propagates_NaN_with_PyTorchs_gradients()
    {
        // PyTorch: prelu(NaN) = NaN, d/dz = α (0.25), d/dα = NaN.
        float[] z = [float.NaN, -1f, Inf, -Inf];
        float[] alpha = [0.25f];
        var a = new float[4];
        PRelu.Forward(z, alpha, a, batch: 1, channels: 4, inner: 1);
        Assert.True(float.IsNaN(a[0]));
        Assert.Equal(-0.25f, a[1]);
        Assert.Equal(Inf, a[2]);
        Assert.Equal(-Inf, a[3]);
        var dz = new float[4];
        var dAlpha = new float[1];
        PRelu.Backward(z, alpha, [1f, 1f, 1f, 1f], dz, dAlpha, batch: 1, channels: 4, inner: 1);
        Assert.Equal(new[] { 0.25f, 0.25f, 1f, 0.25f }, dz);
        Assert.True(float.IsNaN(dAlpha[0]));
    }

    [Fact]
    public void RReLU_in_training_passes_NaN_through_with_slope_1_as_PyTorch()
    {
        // PyTorch's rrelu_with_noise takes the positive branch for NaN: output NaN, noise (the derivative) 1.
        float[] z = [float.NaN, Inf, -Inf, 2f];
        var a = new float[4];
        var slopes = new float[4];
        RRelu.ForwardTraining(z, a, slopes, 0.125f, 1f / 3f, key: 7);
        Assert.True(float.IsNaN(a[0]));
        Assert.Equal(1f, slopes[0]);
        Assert.Equal(Inf, a[1]);
        Assert.Equal(1f, slopes[1]);
        Assert.Equal(-Inf, a[2]);
        Assert.InRange(slopes[2], 0.125f, 1f / 3f);
        Assert.Equal(2f, a[3]);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Softmax_of_a_row_with_NaN_or_infinity_is_NaN_as_PyTorch_and_other_rows_are_untouched(float special)
    {
        // PyTorch: softmax([NaN, 1, 2]) = softmax([+inf, 1, 2]) = [NaN, NaN, NaN], and so are their gradients.
        float[] z = [1f, special, 2f, 0.5f, -1f, 3f];
        var a = new float[6];
        Softmax.Forward<D3>(z, a, batch: 2);
        AssertRows(a);
        var b = new float[6];
        Softmax.Forward(z, b, outer: 2, length: 3, inner: 1);
        AssertRows(b);
        var dz = new float[6];
        Softmax.Backward<D3>(a, [0f, 1f, 0f, 0f, 1f, 0f], dz, batch: 2);
        for (int i = 0; i < 3; i++) Assert.True(float.IsNaN(dz[i]));
        for (int i = 3; i < 6; i++) Assert.True(float.IsFinite(dz[i]));

        static void AssertRows(float[] a)
        {
            for (int i = 0; i < 3; i++) Assert.True(float.IsNaN(a[i]), $"element {i} = {a[i]}");
            double sum = 0;
            for (int i = 3; i < 6; i++)
            {
                Assert.True(float.IsFinite(a[i]));
                sum += a[i];
            }
            Assert.Equal(1.0, sum, 6);
        }
    }

    [Fact]
    public void Softmax_of_a_row_of_minus_infinity_is_NaN_as_PyTorch()
    {
        float[] z = [float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity];
        var a = new float[3];
        Softmax.Forward<D3>(z, a, batch: 1);
        foreach (float v in a) Assert.True(float.IsNaN(v));
    }

    private readonly struct D3 : IDim { public static int Value => 3; }
}

/// <summary><see cref="TensorOps.IndexOfNonFinite"/> on every path: each position of every length, each kind of value.</summary>
public class IndexOfNonFiniteTests
{
    [Fact]
    public void Finds_the_first_NaN_or_infinity_at_every_position_of_every_length()
    {
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
            for (int n = 0; n <= 70; n++)
            {
                var x = new float[n];
                for (int i = 0; i < n; i++) x[i] = (i % 3 - 1) * 3.4e38f; // large but finite: v − v is still 0
                Assert.Equal(-1, TensorOps.IndexOfNonFinite(x));
                for (int at = 0; at < n; at++)
                {
                    var y = (float[])x.Clone();
                    y[at] = bad;
                    if (at + 5 < n) y[at + 5] = float.NaN; // a later one does not hide the first
                    Assert.Equal(at, TensorOps.IndexOfNonFinite(y));
                }
            }
    }
}
