using System;
using System.Linq;
using SourceGenNN.Cuda;
using Xunit;
using SourceGenNN.Testing;

namespace SourceGenNN.Tests.Cuda;

public class CudaKernelSourceTests
{
    private static readonly CudaTrainingOptions AdamCrossEntropy = new(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-3f));
    private static readonly CudaTrainingOptions SgdBce = new(CudaLoss.BinaryCrossEntropy, CudaOptimizer.Sgd(0.1f, momentum: 0.9f, nesterov: true));

    [Fact]
    public void Mlp_training_source_matches_snapshot() =>
        Snapshot.Verify(CudaKernelSource.Generate(TestNetworks.Mlp(), AdamCrossEntropy).Text, "Mlp_adam_cross_entropy");

    [Fact]
    public void Zoo_training_source_matches_snapshot() =>
        Snapshot.Verify(CudaKernelSource.Generate(TestNetworks.Zoo(), SgdBce).Text, "Zoo_sgd_bce");

    [Fact]
    public void Mlp_emits_only_the_kernels_it_needs()
    {
        var k = CudaKernelSource.Generate(TestNetworks.Mlp(), AdamCrossEntropy).Kernels;
        Assert.Equal(new[]
        {
            "sgnn_identity_forward", "sgnn_relu_forward", "sgnn_relu_backward", "sgnn_softmax_forward",
            "sgnn_column_sum", "sgnn_sum", "sgnn_softmax_cross_entropy", "sgnn_increment", "sgnn_adam",
        }, k);
    }

    [Fact]
    public void Inference_source_has_no_backward_loss_or_optimizer_kernels()
    {
        var source = CudaKernelSource.Generate(TestNetworks.Zoo());
        Assert.All(source.Kernels, k => Assert.DoesNotContain("backward", k, StringComparison.Ordinal));
        Assert.DoesNotContain("sgnn_sgd", source.Kernels);
        Assert.DoesNotContain("sgnn_dropout_forward", source.Kernels); // evaluation mode: dropout is a copy
        Assert.Contains("sgnn_leaky_relu_forward", source.Kernels);    // RReLU's evaluation slope
        Assert.Contains("sgnn_prelu_forward", source.Kernels);
    }

    [Fact]
    public void Every_kernel_is_extern_C_global_and_named_once()
    {
        var source = CudaKernelSource.Generate(TestNetworks.Zoo(), SgdBce);
        foreach (string k in source.Kernels)
        {
            int count = CountOf(source.Text, $"extern \"C\" __global__ void {k}(");
            Assert.True(count == 1, $"{k} is declared {count} times");
        }
        Assert.Equal(source.Kernels.Count, CountOf(source.Text, "extern \"C\" __global__"));
        Assert.Equal(source.Kernels.Count, source.Kernels.Distinct().Count());
    }

    [Fact]
    public void Final_sigmoid_with_bce_needs_no_sigmoid_backward_but_mse_does()
    {
        var net = Descriptions.Build("S", 4, ("Dense", 2, ""), ("Sigmoid", 0, ""));
        Assert.DoesNotContain("sgnn_sigmoid_backward", CudaKernelSource.Generate(net, new(CudaLoss.BinaryCrossEntropy, CudaOptimizer.Sgd(0.1f))).Kernels);
        Assert.Contains("sgnn_sigmoid_backward", CudaKernelSource.Generate(net, new(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.1f))).Kernels);
    }

    [Fact]
    public void Unsupported_layer_kind_is_named()
    {
        var net = Descriptions.Build("C", 4, ("Conv2d", 0, ""));
        var e = Assert.Throws<NotSupportedException>(() => CudaKernelSource.Generate(net));
        Assert.Contains("'Conv2d'", e.Message);
    }

    [Fact]
    public void Plan_fuses_activations_into_dense_steps_and_reads_arguments()
    {
        var plan = CudaPlan.Build(TestNetworks.Zoo());
        var kinds = plan.Steps.Select(s => (s.Kind, s.Activation)).ToArray();
        Assert.Equal(new[]
        {
            (PlanStepKind.Dense, CudaActivation.LeakyReLU), (PlanStepKind.Dropout, CudaActivation.Identity),
            (PlanStepKind.Dense, CudaActivation.ELU), (PlanStepKind.Dense, CudaActivation.GELU),
            (PlanStepKind.PRelu, CudaActivation.Identity), (PlanStepKind.Dense, CudaActivation.SiLU),
            (PlanStepKind.RRelu, CudaActivation.Identity), (PlanStepKind.Activation, CudaActivation.Tanh),
            (PlanStepKind.Dense, CudaActivation.Sigmoid),
        }, kinds);
        Assert.Equal(0.2f, plan.Steps[0].Parameter);
        Assert.Equal(0.25f, plan.Steps[1].Parameter);
        Assert.Equal(0.5f, plan.Steps[2].Parameter);
        Assert.False(plan.Steps[4].AlphaShared);
        Assert.Equal(-1, plan.Steps[5].BiasOffset);
        Assert.Equal((0.1f, 0.3f), (plan.Steps[6].Lower, plan.Steps[6].Upper));
        Assert.True(plan.EndsInSigmoid);
        // Offsets come from the named tensors.
        var d = TestNetworks.Zoo();
        Assert.Equal(d.FindParameter("3.weight")!.Offset, plan.Steps[2].WeightOffset);
        Assert.Equal(d.FindParameter("7.weight")!.Offset, plan.Steps[4].AlphaOffset);
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("slope=0.01", 1)]
    [InlineData("lower=0.125, upper=0.3333333", 2)]
    [InlineData("p=5e-1,flag", 1)]
    public void Arguments_parse_in_the_invariant_culture(string text, int count)
    {
        var d = CudaPlan.ParseArguments(text);
        Assert.Equal(count, d.Count);
        if (text.StartsWith("lower", StringComparison.Ordinal)) Assert.Equal(0.3333333f, d["upper"]);
        if (text.StartsWith("p=", StringComparison.Ordinal)) Assert.Equal(0.5f, d["p"]);
    }

    [Fact]
    public void Snapshot_diff_marks_removed_and_added_lines()
    {
        string diff = Snapshot.Diff("a\nb\nc", "a\nx\nc");
        Assert.Equal("-    2: b\n+    2: x\n", diff);
    }

    private static int CountOf(string text, string what)
    {
        int n = 0, i = 0;
        while ((i = text.IndexOf(what, i, StringComparison.Ordinal)) >= 0) { n++; i += what.Length; }
        return n;
    }
}
