using System;
using System.Linq;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Training;

[Collection(SourceGenNN.Tests.Kernels.KernelThreadsCollection.Name)] // measures allocation: run alone
public class LossTests
{
    private const int Batch = 3, Features = 4;

    // Reference losses written from their definitions, in double precision and without any stabilising tricks.
    private static double Mse(double[] o, float[] t) => o.Select((v, i) => (v - t[i]) * (v - t[i])).Average();
    private static double Mae(double[] o, float[] t) => o.Select((v, i) => Math.Abs(v - t[i])).Average();
    private static double Huber(double[] o, float[] t, double d) =>
        o.Select((v, i) => Math.Abs(v - t[i]) < d ? 0.5 * (v - t[i]) * (v - t[i]) : d * (Math.Abs(v - t[i]) - 0.5 * d)).Average();
    private static double Bce(double[] p, float[] y) =>
        p.Select((v, i) => -(y[i] * Math.Max(Math.Log(v), -100) + (1 - y[i]) * Math.Max(Math.Log(1 - v), -100))).Average();
    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
    private static double BceLogits(double[] z, float[] y) =>
        z.Select((v, i) => -(y[i] * Math.Log(Sigmoid(v)) + (1 - y[i]) * Math.Log(1 - Sigmoid(v)))).Average();
    private static double[] LogSoftmaxRow(double[] z, int n)
    {
        var row = z.Skip(n * Features).Take(Features).ToArray();
        double s = row.Sum(Math.Exp);
        return row.Select(v => Math.Log(Math.Exp(v) / s)).ToArray();
    }
    private static double CeIndex(double[] z, float[] t) => Enumerable.Range(0, Batch).Select(n => -LogSoftmaxRow(z, n)[(int)t[n]]).Average();
    private static double CeProbs(double[] z, float[] y) =>
        Enumerable.Range(0, Batch).Select(n => -LogSoftmaxRow(z, n).Select((l, c) => y[n * Features + c] * l).Sum()).Average();
    private static double Nll(double[] o, float[] t) => Enumerable.Range(0, Batch).Select(n => -o[n * Features + (int)t[n]]).Average();

    private static float[] Outputs(Func<int, float> f) => Enumerable.Range(0, Batch * Features).Select(f).ToArray();
    private static float[] Spread() => Outputs(i => (float)Math.Round(Math.Sin(1.7 * i + 0.3) * 2, 3));
    private static float[] Targets() => Outputs(i => (float)Math.Round(Math.Cos(0.9 * i) * 1.5, 3));
    private static float[] Probabilities() => Outputs(i => (float)(0.1 + 0.8 * (0.5 + 0.5 * Math.Sin(2.3 * i + 1))));
    private static float[] Bits() => Outputs(i => (i * 7 % 3 == 0) ? 1f : 0f);
    private static float[] Indices() => new[] { 2f, 0f, 3f };
    private static float[] SoftTargets()
    {
        var y = Outputs(i => (float)(1 + (i * 5 % 7)));
        for (int n = 0; n < Batch; n++)
        {
            float s = 0;
            for (int c = 0; c < Features; c++) s += y[n * Features + c];
            for (int c = 0; c < Features; c++) y[n * Features + c] /= s;
        }
        return y;
    }

    public static TheoryData<string> Cases => new() { "mse", "mae", "huber", "bce", "bce_logits", "ce_index", "ce_probs", "nll" };

    private static (Loss Loss, float[] Output, float[] Target, Func<double[], double> Reference) Case(string name) => name switch
    {
        "mse" => (new MeanSquaredError(), Spread(), Targets(), o => Mse(o, Targets())),
        "mae" => (new MeanAbsoluteError(), Spread(), Targets(), o => Mae(o, Targets())),
        "huber" => (new HuberLoss(0.8f), Spread(), Targets(), o => Huber(o, Targets(), 0.8)),
        "bce" => (new BinaryCrossEntropy(), Probabilities(), Bits(), o => Bce(o, Bits())),
        "bce_logits" => (new BinaryCrossEntropyWithLogits(), Spread(), Bits(), o => BceLogits(o, Bits())),
        "ce_index" => (new CrossEntropy(), Spread(), Indices(), o => CeIndex(o, Indices())),
        "ce_probs" => (new CrossEntropy(CrossEntropyTarget.Probabilities), Spread(), SoftTargets(), o => CeProbs(o, SoftTargets())),
        "nll" => (new NegativeLogLikelihood(), Spread(), Indices(), o => Nll(o, Indices())),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_value_matches_its_closed_form(string name)
    {
        var (loss, output, target, reference) = Case(name);
        float value = loss.Compute(output, target, default, Batch, Features);
        double expected = reference(output.Select(v => (double)v).ToArray());
        Assert.Equal(expected, value, 5e-6 * Math.Max(1, Math.Abs(expected)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_gradient_matches_central_finite_differences(string name)
    {
        var (loss, output, target, reference) = Case(name);
        var gradient = new float[output.Length];
        loss.Compute(output, target, gradient, Batch, Features);
        var x = output.Select(v => (double)v).ToArray();
        const double h = 1e-6;
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            x[i] = keep + h;
            double up = reference(x);
            x[i] = keep - h;
            double down = reference(x);
            x[i] = keep;
            double fd = (up - down) / (2 * h);
            Assert.True(Math.Abs(fd - gradient[i]) <= 1e-5 + 1e-4 * Math.Abs(fd), $"{name} element {i}: finite difference {fd}, gradient {gradient[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_without_gradient_span_gives_the_same_value(string name)
    {
        var (loss, output, target, _) = Case(name);
        Assert.Equal(loss.Compute(output, target, new float[output.Length], Batch, Features), loss.Compute(output, target, default, Batch, Features));
    }

    [Fact]
    public void Bce_fused_with_sigmoid_matches_bce_on_probabilities()
    {
        var z = Spread();
        var y = Bits();
        var p = z.Select(v => (float)Sigmoid(v)).ToArray();
        var loss = new BinaryCrossEntropy();
        var gLogits = new float[z.Length];
        float fromLogits = loss.ComputeFromLogits(z, y, gLogits, Batch, Features);
        Assert.Equal(BceLogits(z.Select(v => (double)v).ToArray(), y), fromLogits, 1e-6);
        // dL/dz = dL/dp · p(1 − p) must equal (σ(z) − y)/N.
        var gProbs = new float[p.Length];
        loss.Compute(p, y, gProbs, Batch, Features);
        for (int i = 0; i < z.Length; i++)
            Assert.Equal(gProbs[i] * p[i] * (1 - p[i]), gLogits[i], 1e-6);
    }

    [Fact]
    public void Cross_entropy_is_stable_for_logits_of_plus_minus_1e4()
    {
        var z = new float[] { 1e4f, -1e4f, 0f, 5f, -1e4f, 1e4f, 1e4f, 0f };
        var loss = new CrossEntropy();
        var g = new float[z.Length];
        float right = loss.Compute(z, new float[] { 0f, 1f }, g, 2, 4);
        Assert.True(float.IsFinite(right));
        // Sample 0's target holds the only 1e4 logit: loss 0. Sample 1's target ties with another 1e4 logit: loss log 2.
        Assert.Equal(Math.Log(2) / 2, right, 1e-6);
        // Sample 0: exp(1e4) dominates; gradient (p − y)/batch ≈ 0 everywhere.
        Assert.All(g.Take(4), v => Assert.Equal(0.0, v, 1e-6));
        // Sample 1 ties two 1e4 logits: p = ½ for each, so loss log 2 for target 1 and gradient ±¼.
        Assert.Equal(-0.25, g[5], 1e-6);
        Assert.Equal(0.25, g[6], 1e-6);

        float wrong = loss.Compute(z, new float[] { 1f, 3f }, g, 2, 4);
        Assert.True(float.IsFinite(wrong));
        // Sample 0: lse ≈ 1e4, target logit −1e4: loss 2e4. Sample 1: lse = 1e4 + log 2, target 0: loss 1e4 + log 2.
        Assert.Equal((2e4 + 1e4 + Math.Log(2)) / 2, wrong, 1e-2);
        Assert.All(g, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0.5, g[0], 1e-6);
        Assert.Equal(-0.5, g[1], 1e-6);

        var soft = new CrossEntropy(CrossEntropyTarget.Probabilities);
        float s = soft.Compute(z.AsSpan(0, 4), new float[] { 0f, 1f, 0f, 0f }, g.AsSpan(0, 4), 1, 4);
        Assert.Equal(2e4, s, 1e-2);
    }

    [Fact]
    public void Bce_with_logits_is_stable_for_plus_minus_1e4()
    {
        var z = new float[] { 1e4f, 1e4f, -1e4f, -1e4f };
        var y = new float[] { 1f, 0f, 1f, 0f };
        var g = new float[4];
        float v = new BinaryCrossEntropyWithLogits().Compute(z, y, g, 1, 4);
        Assert.Equal((0 + 1e4 + 1e4 + 0) / 4.0, v, 1e-2);
        Assert.Equal(new[] { 0f, 0.25f, -0.25f, 0f }, g);
        float fused = new BinaryCrossEntropy().ComputeFromLogits(z, y, g, 1, 4);
        Assert.Equal(v, fused);
    }

    [Fact]
    public void Bce_on_saturated_probabilities_clamps_the_log_at_minus_100()
    {
        var g = new float[2];
        float v = new BinaryCrossEntropy().Compute(new float[] { 0f, 1f }, new float[] { 1f, 0f }, g, 1, 2);
        Assert.Equal(100f, v);
        Assert.All(g, x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void Loss_rejects_a_target_of_the_wrong_length_naming_it()
    {
        var e = Assert.Throws<ArgumentException>(() => new MeanSquaredError().Compute(new float[6], new float[5], default, 2, 3));
        Assert.Equal("target", e.ParamName);
        Assert.Contains("5", e.Message);
        Assert.Contains("6", e.Message);
    }

    [Fact]
    public void Cross_entropy_rejects_a_class_index_out_of_range()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropy().Compute(new float[6], new float[] { 0f, 3f }, default, 2, 3));
        Assert.Equal("target", e.ParamName);
    }

    [Fact]
    public void Losses_without_a_logits_form_refuse_to_fuse()
    {
        Assert.Null(new MeanSquaredError().FusedActivation);
        Assert.Throws<InvalidOperationException>(() => new MeanSquaredError().ComputeFromLogits(new float[2], new float[2], default, 1, 2));
        Assert.Equal("Softmax", new CrossEntropy().FusedActivation);
        Assert.Equal("Sigmoid", new BinaryCrossEntropy().FusedActivation);
    }

    [Fact]
    public void Computing_a_loss_allocates_nothing()
    {
        var (loss, output, target, _) = Case("ce_index");
        var g = new float[output.Length];
        loss.Compute(output, target, g, Batch, Features);
        Assert.Equal(0, Allocations.SteadyBytes(() => loss.Compute(output, target, g, Batch, Features), calls: 10));
    }
}
