using System;
using System.Collections.Generic;
using System.Linq;
using SourceGenNN.Kernels;
using SourceGenNN.Tests.Networks;
using Xunit;

namespace SourceGenNN.Tests.Kernels;

/// <summary>
/// Every activation's value and derivative, through the same kernels the generated code calls, against closed forms in
/// double precision. The input length (an odd count above 64) exercises the widest vector path the machine has and
/// the scalar tail; CI reruns these with AVX-512, AVX2, 128-bit and scalar code.
/// </summary>
public class ActivationTests
{
    private static readonly float[] Inputs = BuildInputs();

    private static float[] BuildInputs()
    {
        var xs = new List<float> { 0f, -0f, 1e-7f, -1e-7f, 1e4f, -1e4f, 88f, -88f, 89f, -89f, 100f, -100f, 20f, -20f };
        for (int i = 0; i <= 200; i++) xs.Add(-10f + i * 0.1f);
        xs.Add(0.5f); // an odd total so every vector path has a tail
        return xs.ToArray();
    }

    public static TheoryData<string> Kinds => new() { "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU" };

    private static readonly Dictionary<string, double> Args = new() { ["slope"] = 0.07, ["alpha"] = 1.3 };

    private static void Run(string kind, float[] z, float[] a, float[] dz)
    {
        var ones = Enumerable.Repeat(1f, z.Length).ToArray();
        switch (kind)
        {
            case "Identity": Go(new IdentityOperator()); break;
            case "Sigmoid": Go(new SigmoidOperator()); break;
            case "Tanh": Go(new TanhOperator()); break;
            case "ReLU": Go(new ReluOperator()); break;
            case "LeakyReLU": Go(new LeakyReluOperator(0.07f)); break;
            case "ELU": Go(new EluOperator(1.3f)); break;
            case "GELU": Go(new GeluOperator()); break;
            case "SiLU": Go(new SiluOperator()); break;
            default: throw new ArgumentException(kind);
        }

        void Go<T>(T op) where T : struct, IActivationOperator
        {
            Activation.Forward(op, z, a);
            Activation.Backward(op, z, a, ones, dz);
        }
    }

    /// <summary>f'(x) in closed form.</summary>
    private static double Derivative(string kind, double x)
    {
        double s = 1 / (1 + Math.Exp(-x));
        return kind switch
        {
            "Identity" => 1,
            "Sigmoid" => s * (1 - s),
            "Tanh" => 1 - Math.Tanh(x) * Math.Tanh(x),
            "ReLU" => x > 0 ? 1 : 0,
            "LeakyReLU" => x > 0 ? 1 : 0.07,
            "ELU" => x > 0 ? 1 : 1.3 * Math.Exp(x),
            "GELU" => 0.5 * (1 + SourceGenNN.Testing.ReferenceLayers.Erf(x / Math.Sqrt(2))) + x * Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI),
            "SiLU" => s * (1 + x * (1 - s)),
            _ => throw new ArgumentException(kind),
        };
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Value_and_derivative_match_closed_forms_and_stay_finite(string kind)
    {
        var a = new float[Inputs.Length];
        var dz = new float[Inputs.Length];
        Run(kind, Inputs, a, dz);
        for (int i = 0; i < Inputs.Length; i++)
        {
            double x = Inputs[i];
            Assert.True(float.IsFinite(a[i]) && float.IsFinite(dz[i]), $"{kind}({x}) gave {a[i]}, f' {dz[i]}");
            double f = SourceGenNN.Testing.ActivationReference.Value(kind, x, Args["slope"], Args["alpha"]);
            double fp = Derivative(kind, x);
            Assert.True(Math.Abs(a[i] - f) <= 2e-6 + 2e-6 * Math.Abs(f), $"{kind}({x}) = {a[i]}, expected {f}");
            Assert.True(Math.Abs(dz[i] - fp) <= 2e-6 + 2e-6 * Math.Abs(fp), $"{kind}'({x}) = {dz[i]}, expected {fp}");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_element_matches_the_scalar_operator(string kind)
    {
        // The vector bodies against the scalar body of the same operator, element by element.
        var a = new float[Inputs.Length];
        var dz = new float[Inputs.Length];
        Run(kind, Inputs, a, dz);
        for (int i = 0; i < Inputs.Length; i++)
        {
            var one = new[] { Inputs[i] };
            var a1 = new float[1];
            var d1 = new float[1];
            Run(kind, one, a1, d1); // length 1: the scalar path
            Assert.True(Math.Abs(a[i] - a1[0]) <= 1e-6 + 1e-6 * Math.Abs(a1[0]), $"{kind}({Inputs[i]}) vector {a[i]} vs scalar {a1[0]}");
            Assert.True(Math.Abs(dz[i] - d1[0]) <= 1e-6 + 1e-6 * Math.Abs(d1[0]), $"{kind}'({Inputs[i]}) vector {dz[i]} vs scalar {d1[0]}");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_length_from_1_to_40_matches_the_scalar_operator(string kind)
    {
        // Short lengths and every tail: the last partial vector is an overlapping full vector, or scalar below 4.
        for (int len = 1; len <= 40; len++)
        {
            var z = Inputs.Skip(14).Take(len).ToArray();
            var a = new float[len];
            var dz = new float[len];
            Run(kind, z, a, dz);
            for (int i = 0; i < len; i++)
            {
                var a1 = new float[1];
                var d1 = new float[1];
                Run(kind, new[] { z[i] }, a1, d1);
                Assert.True(Math.Abs(a[i] - a1[0]) <= 1e-6 + 1e-6 * Math.Abs(a1[0]), $"{kind}, length {len}, element {i}: {a[i]} vs {a1[0]}");
                Assert.True(Math.Abs(dz[i] - d1[0]) <= 1e-6 + 1e-6 * Math.Abs(d1[0]), $"{kind}', length {len}, element {i}: {dz[i]} vs {d1[0]}");
            }
        }
    }

    [Theory]
    [InlineData("Tanh")]
    [InlineData("ELU")]
    [InlineData("Sigmoid")]
    [InlineData("SiLU")]
    [InlineData("GELU")]
    public void Small_inputs_keep_their_relative_accuracy_on_every_path(string kind)
    {
        // Near 0, e^z − 1 and 1 − 2/(e^(2z) + 1) cancel; the kernels must not lose the value's own digits there.
        var z = new float[37];
        for (int i = 0; i < z.Length; i++) z[i] = (i % 2 == 0 ? 1f : -1f) * MathF.Pow(10f, -1f - i / 6f); // 1e-1 … 1e-7
        var a = new float[z.Length];
        var dz = new float[z.Length];
        Run(kind, z, a, dz);
        for (int i = 0; i < z.Length; i++)
        {
            double f = SourceGenNN.Testing.ActivationReference.Value(kind, z[i], Args["slope"], Args["alpha"]);
            if (f == 0) continue;
            Assert.True(Math.Abs(a[i] - f) <= 1e-5 * Math.Abs(f) + 1e-30, $"{kind}({z[i]}) = {a[i]}, expected {f} (relative error {Math.Abs(a[i] - f) / Math.Abs(f):E2})");
        }
    }

    [Fact]
    public void Softmax_is_stable_for_huge_logits_and_matches_closed_form()
    {
        float[] z = { 1e4f, -1e4f, 0f, 1e4f - 1f, 3f, -2f, 0.5f, 1f };
        var a = new float[z.Length];
        Softmax.Forward<D4>(z, a, batch: 2);
        for (int n = 0; n < 2; n++)
        {
            var row = z.Skip(n * 4).Take(4).Select(v => (double)v).ToArray();
            double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
            for (int i = 0; i < 4; i++)
                Assert.Equal(Math.Exp(row[i] - max) / sum, a[n * 4 + i], 6);
        }
    }

    [Fact]
    public void Softmax_gives_the_bits_of_one_exponential_per_element()
    {
        // The row's largest value skips its exponential (e⁰ is exactly 1): the results must be the bits of calling
        // MathF.Exp on every element, including ties at the max, infinities and NaN.
        var rng = new Random(5);
        var rows = new List<float[]>
        {
            new[] { 1f, 1f, -2f, 0.5f },                                    // a tie at the max
            new[] { float.PositiveInfinity, 0f, 1f, 2f },                   // +∞ − +∞ is NaN, as before
            new[] { float.NegativeInfinity, 0f, float.NegativeInfinity, -1f },
            new[] { float.NaN, 0f, 1f, 2f },
            new[] { -3e38f, 3e38f, 0f, -1e-30f },
        };
        for (int r = 0; r < 200; r++) rows.Add(Enumerable.Range(0, 4).Select(_ => (float)(rng.NextDouble() * 40 - 20)).ToArray());
        var z = rows.SelectMany(row => row).ToArray();
        var a = new float[z.Length];
        Softmax.Forward<D4>(z, a, batch: rows.Count);
        for (int n = 0; n < rows.Count; n++)
        {
            var row = rows[n];
            float max = float.NegativeInfinity;
            foreach (var v in row) max = MathF.Max(max, v);
            var e = row.Select(v => MathF.Exp(v - max)).ToArray();
            float sum = 0f;
            foreach (var v in e) sum += v;
            float inv = 1f / sum;
            for (int i = 0; i < 4; i++)
                Assert.Equal(BitConverter.SingleToInt32Bits(e[i] * inv), BitConverter.SingleToInt32Bits(a[n * 4 + i]));
        }
    }

    private readonly struct D4 : IDim { public static int Value => 4; }
}
