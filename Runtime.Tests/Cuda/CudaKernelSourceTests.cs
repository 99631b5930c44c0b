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
    public void Graph_training_source_matches_snapshot() =>
        Snapshot.Verify(CudaKernelSource.Generate(TestNetworks.Graph(), new(CudaLoss.MeanSquaredError, CudaOptimizer.Adam(1e-3f))).Text, "Graph_adam_mse");

    [Fact]
    public void Lstm_training_source_matches_snapshot() =>
        Snapshot.Verify(CudaKernelSource.Generate(new SourceGenNN.Tests.Networks.LstmStackedBidirectionalNet(1).Description, AdamCrossEntropy).Text, "Lstm_adam_cross_entropy");

    [Fact]
    public void Mlp_emits_only_the_kernels_it_needs()
    {
        var k = CudaKernelSource.Generate(TestNetworks.Mlp(), AdamCrossEntropy).Kernels;
        Assert.Equal(new[]
        {
            "sgnn_relu_forward", "sgnn_relu_backward", "sgnn_column_sum", "sgnn_identity_forward", "sgnn_softmax_forward",
            "sgnn_sum", "sgnn_increment", "sgnn_step_gate", "sgnn_clip_norm_partial", "sgnn_clip_norm_total", "sgnn_clip_apply", "sgnn_softmax_cross_entropy", "sgnn_adam",
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
        foreach (var d in new[] { TestNetworks.Zoo(), TestNetworks.Graph() })
        {
            var source = CudaKernelSource.Generate(d, SgdBce);
            foreach (string k in source.Kernels)
            {
                int count = CountOf(source.Text, $"extern \"C\" __global__ void {k}(");
                Assert.True(count == 1, $"{k} is declared {count} times");
            }
            Assert.Equal(source.Kernels.Count, CountOf(source.Text, "extern \"C\" __global__"));
            Assert.Equal(source.Kernels.Count, source.Kernels.Distinct().Count());
        }
    }

    [Fact]
    public void Final_sigmoid_with_bce_needs_no_sigmoid_backward_but_mse_does()
    {
        var net = Descriptions.Chain("S", 4, new(LayerKindNames.Dense, 2), new(LayerKindNames.Sigmoid));
        Assert.DoesNotContain("sgnn_sigmoid_backward", CudaKernelSource.Generate(net, new(CudaLoss.BinaryCrossEntropy, CudaOptimizer.Sgd(0.1f))).Kernels);
        Assert.Contains("sgnn_sigmoid_backward", CudaKernelSource.Generate(net, new(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.1f))).Kernels);
    }

    [Fact]
    public void Unsupported_layer_kind_is_named()
    {
        var net = Descriptions.Chain("C", 4, new Descriptions.Spec("Conv9d"));
        var e = Assert.Throws<NotSupportedException>(() => CudaKernelSource.Generate(net));
        Assert.Contains("'Conv9d'", e.Message);
        Assert.Contains("'0'", e.Message);
    }

    [Fact]
    public void Every_generator_kind_has_a_gpu_class_or_is_declared_cpu_only()
    {
        // The table that keeps the GPU in step with the generator: a new kind fails here until it has a CudaLayer or
        // is listed in CudaLayers.CpuOnly (and then using it on the GPU throws NotSupportedException naming the layer).
        var gpu = CudaLayers.Kinds.ToHashSet();
        foreach (string kind in LayerKindNames.All)
            Assert.True(gpu.Contains(kind) ^ CudaLayers.CpuOnly.Contains(kind), $"kind {kind}: a GPU class = {gpu.Contains(kind)}, CPU-only = {CudaLayers.CpuOnly.Contains(kind)}; exactly one must hold");
        Assert.Empty(gpu.Except(LayerKindNames.All));
    }

    [Fact]
    public void A_recurrent_layer_is_one_gpu_step_with_its_gate_kernels()
    {
        // RNN, LSTM and GRU each run as one CudaRecurrentLayer step; the generated source carries the step kernels of its
        // kind, forward and backward, and the dropout between stacked layers only in training.
        var lstm = new SourceGenNN.Tests.Networks.LstmStackedBidirectionalNet(1).Description;
        var plan = CudaPlan.Build(lstm, CudaLoss.CrossEntropy);
        Assert.Equal(new[] { "LSTM", "Dense" }, plan.Steps.Select(s => s.Layer.Kind).ToArray());
        Assert.True(plan.RunsBackward(0));
        string training = CudaKernelSource.Generate(lstm, AdamCrossEntropy).Text;
        Assert.Contains("sgnn_lstm_step(", training);
        Assert.Contains("sgnn_lstm_step_backward(", training);
        Assert.Contains("sgnn_dropout_forward(", training);
        Assert.DoesNotContain("sgnn_gru_step", training);
        string inference = CudaKernelSource.Generate(lstm).Text;
        Assert.DoesNotContain("sgnn_dropout_forward(", inference);
        Assert.DoesNotContain("_backward(", inference);
        Assert.Contains("sgnn_gru_step(", CudaKernelSource.Generate(new SourceGenNN.Tests.Networks.GruStackedNet(1).Description).Text);
    }

    [Fact]
    public void Plan_fuses_activations_into_dense_steps_except_the_last_layer()
    {
        var plan = CudaPlan.Build(TestNetworks.Zoo(), CudaLoss.BinaryCrossEntropy);
        var steps = plan.Steps.Select(s => (s.Layer.Kind, s.Absorbed?.Layer.Kind)).ToArray();
        Assert.Equal(new (string, string?)[]
        {
            ("Dense", "LeakyReLU"), ("Dropout", null), ("Dense", "ELU"), ("Dense", "GELU"), ("PReLU", null), ("Dense", "SiLU"),
            ("RReLU", null), ("Tanh", null), ("Identity", null), ("Dense", null), ("Sigmoid", null),
        }, steps);
        Assert.True(plan.LossSkipsLastStep);                 // BCE reads the final sigmoid's input
        Assert.Equal("13", plan.LossTensor);
        Assert.False(plan.RunsBackward(plan.Steps.Count - 1));
        Assert.True(CudaPlan.Build(TestNetworks.Zoo(), CudaLoss.MeanSquaredError).RunsBackward(plan.Steps.Count - 1));
        Assert.False(plan.Needs("input"));                   // the GPU never computes the network input's gradient
    }

    [Fact]
    public void Plan_of_a_graph_sums_the_gradients_of_a_tensor_read_twice()
    {
        var plan = CudaPlan.Build(TestNetworks.Graph(), CudaLoss.MeanSquaredError);
        Assert.True(plan.Accumulates); // "r" feeds a Dense and the Add ("input" feeds fc1 and the Add too, but needs no gradient)
        Assert.True(plan.Needs("r"));
        Assert.False(plan.Needs("input"));
        Assert.Equal("ReLU", plan.Steps[0].Absorbed!.Layer.Kind);
        Assert.True(plan.Steps.Single(s => s.Layer.Kind == "Flatten").IsView);
        Assert.Equal(-1, plan.Producer("context"));
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
