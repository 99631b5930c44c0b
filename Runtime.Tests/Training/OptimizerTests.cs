using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Training;

[Collection(SourceGenNN.Tests.Kernels.KernelThreadsCollection.Name)] // measures allocation: run alone
public class OptimizerTests
{
    private static readonly float[] P0 = { 0.5f, -1.25f, 2f, 0f, -0.3f };
    private static readonly float[] G1 = { 0.1f, -0.4f, 1.5f, -2f, 0f };
    private static readonly float[] G2 = { -0.3f, 0.2f, 0.7f, 1f, 0.05f };

    private static float[] Run(Optimizer opt, params float[][] grads)
    {
        var p = (float[])P0.Clone();
        foreach (var g in grads) opt.Step(p, g);
        return p;
    }

    private static void Close(double[] expected, float[] actual, double tol = 2e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Sgd_plain_step_is_p_minus_lr_g()
    {
        double lr = 0.1;
        var expected = P0.Select((p, i) => p - lr * G1[i]).ToArray();
        Close(expected, Run(new Sgd(5, 0.1f), G1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sgd_momentum_with_weight_decay_matches_closed_form_two_steps(bool nesterov)
    {
        double lr = 0.05, mu = 0.9, wd = 0.01;
        var expected = new double[5];
        for (int i = 0; i < 5; i++)
        {
            double p = P0[i];
            double g = G1[i] + wd * p;
            double b = g; // PyTorch: the buffer starts as the first gradient
            p -= lr * (nesterov ? g + mu * b : b);
            g = G2[i] + wd * p;
            b = mu * b + g;
            p -= lr * (nesterov ? g + mu * b : b);
            expected[i] = p;
        }
        Close(expected, Run(new Sgd(5, 0.05f, 0.9f, weightDecay: 0.01f, nesterov: nesterov), G1, G2));
    }

    [Fact]
    public void Sgd_dampening_scales_later_gradients_into_the_buffer()
    {
        double lr = 0.1, mu = 0.5, tau = 0.25;
        var expected = new double[5];
        for (int i = 0; i < 5; i++)
        {
            double b = G1[i];
            double p = P0[i] - lr * b;
            b = mu * b + (1 - tau) * G2[i];
            expected[i] = p - lr * b;
        }
        Close(expected, Run(new Sgd(5, 0.1f, 0.5f, 0.25f), G1, G2));
    }

    private static double[] AdamReference(double lr, double b1, double b2, double eps, double wd, bool decoupled, params float[][] grads)
    {
        var result = new double[5];
        for (int i = 0; i < 5; i++)
        {
            double p = P0[i], m = 0, v = 0;
            for (int t = 1; t <= grads.Length; t++)
            {
                double g = grads[t - 1][i];
                if (decoupled) p *= 1 - lr * wd;
                else g += wd * p;
                m = b1 * m + (1 - b1) * g;
                v = b2 * v + (1 - b2) * g * g;
                double mHat = m / (1 - Math.Pow(b1, t)), vHat = v / (1 - Math.Pow(b2, t));
                p -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
            result[i] = p;
        }
        return result;
    }

    [Fact]
    public void Adam_matches_closed_form_first_step()
    {
        // After bias correction the first step is lr·g/(|g| + ε): ±lr wherever g ≠ 0.
        Close(AdamReference(1e-3, 0.9, 0.999, 1e-8, 0, false, G1), Run(new Adam(5), G1));
    }

    [Fact]
    public void Adam_matches_closed_form_second_step_with_l2_weight_decay()
    {
        Close(AdamReference(0.01, 0.8, 0.99, 1e-6, 0.1, false, G1, G2), Run(new Adam(5, 0.01f, 0.8f, 0.99f, 1e-6f, 0.1f), G1, G2));
    }

    [Fact]
    public void AdamW_decouples_weight_decay()
    {
        var expected = AdamReference(0.01, 0.9, 0.999, 1e-8, 0.1, true, G1, G2);
        Close(expected, Run(new AdamW(5, 0.01f, weightDecay: 0.1f), G1, G2));
        // The decoupled update differs from Adam's L2 form wherever the parameter is non-zero.
        var l2 = Run(new Adam(5, 0.01f, weightDecay: 0.1f), G1, G2);
        Assert.NotEqual(expected[0], l2[0], 6);
    }

    [Theory]
    [InlineData(false, 0f, 0f)]
    [InlineData(true, 0f, 0f)]
    [InlineData(false, 0.9f, 0.05f)]
    [InlineData(true, 0.5f, 0.01f)]
    public void RmsProp_matches_closed_form_two_steps(bool centered, float momentum, float weightDecay)
    {
        double lr = 0.01, a = 0.9, eps = 1e-8;
        var expected = new double[5];
        for (int i = 0; i < 5; i++)
        {
            double p = P0[i], v = 0, ga = 0, buf = 0;
            foreach (var grads in new[] { G1, G2 })
            {
                double g = grads[i] + weightDecay * p;
                v = a * v + (1 - a) * g * g;
                double d;
                if (centered)
                {
                    ga = a * ga + (1 - a) * g;
                    d = Math.Sqrt(v - ga * ga) + eps;
                }
                else d = Math.Sqrt(v) + eps;
                if (momentum > 0)
                {
                    buf = momentum * buf + g / d;
                    p -= lr * buf;
                }
                else p -= lr * g / d;
            }
            expected[i] = p;
        }
        // Centred RMSprop divides by √(v − ḡ²), which loses float precision when the two are close.
        Close(expected, Run(new RmsProp(5, 0.01f, 0.9f, 1e-8f, weightDecay, momentum, centered), G1, G2), centered ? 2e-4 : 2e-6);
    }

    public static TheoryData<string> Kinds => new() { "sgd", "adam", "adamw", "rmsprop" };

    private static Optimizer Make(string kind, int n) => kind switch
    {
        "sgd" => new Sgd(n, 0.1f, 0.9f, nesterov: true),
        "adam" => new Adam(n, 0.01f),
        "adamw" => new AdamW(n, 0.01f),
        "rmsprop" => new RmsProp(n, 0.01f, momentum: 0.5f, centered: true),
        _ => throw new ArgumentException(kind),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Optimizer_step_allocates_nothing(string kind)
    {
        var opt = Make(kind, 1000);
        var p = new float[1000];
        var g = Enumerable.Range(0, 1000).Select(i => (float)Math.Sin(i)).ToArray();
        opt.Step(p, g);
        Assert.Equal(0, Allocations.SteadyBytes(() => opt.Step(p, g), calls: 5));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Optimizer_state_exported_and_imported_resumes_identically(string kind)
    {
        var a = Make(kind, 5);
        var p = (float[])P0.Clone();
        a.Step(p, G1);
        a.Step(p, G2);
        var b = Make(kind, 5);
        b.ImportState(a.ExportState());
        Assert.Equal(2, b.Steps);
        var pa = (float[])p.Clone();
        var pb = (float[])p.Clone();
        a.Step(pa, G1);
        b.Step(pb, G1);
        Assert.Equal(pa, pb);
    }

    [Fact]
    public void Importing_state_of_another_kind_or_size_throws_and_changes_nothing()
    {
        var adam = new Adam(5);
        var p = (float[])P0.Clone();
        adam.Step(p, G1);
        var before = adam.ExportState();
        var e = Assert.Throws<ArgumentException>(() => adam.ImportState(new Sgd(5).ExportState()));
        Assert.Contains("SGD", e.Message);
        Assert.Throws<ArgumentException>(() => adam.ImportState(new Adam(6).ExportState()));
        var after = adam.ExportState();
        Assert.Equal(before.Steps, after.Steps);
        for (int i = 0; i < before.Buffers.Count; i++) Assert.Equal(before.Buffers[i].Value, after.Buffers[i].Value);
    }

    [Fact]
    public void Step_rejects_spans_of_the_wrong_length_naming_them()
    {
        var e = Assert.Throws<ArgumentException>(() => new Sgd(5).Step(new float[5], new float[4]));
        Assert.Equal("gradients", e.ParamName);
    }
}

public class ScheduleTests
{
    [Fact]
    public void Step_decay_multiplies_by_gamma_every_step_size()
    {
        var s = new StepDecay(3, 0.5);
        for (int t = 0; t < 10; t++) Assert.Equal(0.2 * Math.Pow(0.5, Math.Floor(t / 3.0)), s.LearningRate(0.2, t), 12);
    }

    [Fact]
    public void Exponential_decay_is_base_times_gamma_to_the_t()
    {
        var s = new ExponentialDecay(0.9);
        for (int t = 0; t < 10; t++) Assert.Equal(0.1 * Math.Pow(0.9, t), s.LearningRate(0.1, t), 12);
    }

    [Fact]
    public void Cosine_annealing_falls_to_the_minimum_over_the_period_then_rises_back_along_the_cosine()
    {
        var s = new CosineAnnealing(8, 0.001);
        for (int t = 0; t <= 24; t++) Assert.Equal(0.001 + (0.1 - 0.001) * 0.5 * (1 + Math.Cos(Math.PI * t / 8)), s.LearningRate(0.1, t), 12);
        Assert.Equal(0.1, s.LearningRate(0.1, 0), 12);
        Assert.Equal(0.001, s.LearningRate(0.1, 8), 12);
        Assert.Equal(0.0505, s.LearningRate(0.1, 12), 12);
        Assert.Equal(0.1, s.LearningRate(0.1, 16), 12);
        Assert.Equal(0.001, s.LearningRate(0.1, 24), 12);
        // Period 2T however far on (per-batch schedules run long).
        Assert.Equal(s.LearningRate(0.1, 3), s.LearningRate(0.1, 16L * 1_000_000_000_000 + 3), 12);
    }

    [Fact]
    public void Cosine_annealing_matches_the_rates_recorded_from_pytorch_over_three_times_the_period()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(PyTorchParityTests.ReferencePath("schedule_cosine_annealing.json")));
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToArray();
        Assert.NotEmpty(runs);
        foreach (var run in runs)
        {
            double baseRate = run.GetProperty("base_lr").GetDouble();
            var arguments = run.GetProperty("arguments");
            int period = arguments.GetProperty("T_max").GetInt32();
            var s = new CosineAnnealing(period, arguments.GetProperty("eta_min").GetDouble());
            double[] expected = run.GetProperty("lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.True(expected.Length > 2 * period, $"the reference covers {expected.Length} epochs, not more than 2T = {2 * period}");
            // PyTorch's step() is recursive; it agrees with the closed form to about 1e-16 (the script checks 1e-12).
            for (int t = 0; t < expected.Length; t++)
                Assert.True(Math.Abs(expected[t] - s.LearningRate(baseRate, t)) <= 1e-12 * baseRate,
                    $"T = {period}, epoch {t}: PyTorch {expected[t]:R}, CosineAnnealing {s.LearningRate(baseRate, t):R}");
        }
    }

    [Fact]
    public void Linear_warmup_rises_then_hands_over_to_the_inner_schedule()
    {
        var inner = new CosineAnnealing(10, interval: ScheduleInterval.Batch);
        var s = new LinearWarmup(4, inner, startFactor: 0.2);
        Assert.Equal(ScheduleInterval.Batch, s.Interval);
        for (int t = 0; t < 4; t++) Assert.Equal(0.5 * (0.2 + 0.8 * t / 4.0), s.LearningRate(0.5, t), 12);
        for (int t = 4; t < 16; t++) Assert.Equal(inner.LearningRate(0.5, t - 4), s.LearningRate(0.5, t), 12);
        Assert.Equal(0.5, s.LearningRate(0.5, 4), 12);
    }
}
