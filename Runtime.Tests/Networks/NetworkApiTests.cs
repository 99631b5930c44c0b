using System;
using System.Linq;
using SourceGenNN.CompilerServices;
using Xunit;

namespace SourceGenNN.Tests.Networks;

/// <summary>Shapes, summaries, determinism and the run-time argument checks of generated networks.</summary>
[Collection(SourceGenNN.Tests.Kernels.KernelThreadsCollection.Name)] // measures allocation: run alone
public class NetworkApiTests
{
    [Fact]
    public void Constants_describe_the_declared_shapes()
    {
        Assert.Equal(784, MnistMlp.InputSize);
        Assert.Equal(10, MnistMlp.OutputSize);
        Assert.Equal(784 * 128 + 128 + 128 * 10 + 10, MnistMlp.ParameterCount);
        Assert.Equal(128, MnistMlp.Layer0Size);
        Assert.Equal(26, SeedNet.ParameterCount);
        var net = new MnistMlp();
        Assert.Equal(new[] { "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" }, net.Description.Parameters.Select(t => t.Name));
        Assert.Equal(new[] { 128, 784 }, net.Description.FindParameter("fc1.weight")!.Shape);
        Assert.Equal(new[] { "0", "1", "2", "3", "4", "5" }, new SeedNet().Description.Layers.Select(l => l.Name));
    }

    [Fact]
    public void Summary_lists_layers_shapes_and_parameter_counts()
    {
        string s = new MnistMlp().Summary(batchSize: 64);
        var rows = s.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Split(l.Trim(), @"\s{2,}")).ToList();
        Assert.Contains(rows, r => r.SequenceEqual(new[] { "fc1", "Dense", "[-1, 128]", "100,480" }));
        Assert.Contains(rows, r => r.SequenceEqual(new[] { "1", "ReLU", "[-1, 128]", "0" }));
        Assert.Contains(rows, r => r.SequenceEqual(new[] { "fc2", "Dense", "[-1, 10]", "1,290" }));
        Assert.Contains("Total params: 101,770", s);
        Assert.Contains("Params size (KiB): 397.54", s); // 101,770 × 4 B
        Assert.Contains("Batch size: 64", s);
    }

    [Fact]
    public void Summary_of_a_graph_shows_torchsummary_shapes_the_inputs_read_and_the_state_buffers()
    {
        string s = new NormNet().Summary(batchSize: 2);
        var rows = s.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Split(l.Trim(), @"\s{2,}")).ToList();
        Assert.Contains(rows, r => r.SequenceEqual(new[] { "input", "Input", "[-1, 2, 3, 4]", "0" }));
        Assert.Contains(rows, r => r.SequenceEqual(new[] { "0", "BatchNorm2d(momentum=0.3, affine=false)", "[-1, 2, 3, 4]", "0" }));
        Assert.Contains(rows, r => r.SequenceEqual(new[] { "1", "Reshape", "[-1, 6, 4]", "0" }));
        Assert.Contains(rows, r => r.SequenceEqual(new[] { "2", "BatchNorm1d", "[-1, 6, 4]", "12" }));
        Assert.Contains(rows, r => r.SequenceEqual(new[] { "3", "Flatten", "[-1, 24]", "0" }));
        Assert.Contains("State buffers: " + new NormNet().Description.BufferCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), s);

        string g = new TwoInputNet().Summary();
        var graphRows = g.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Split(l.Trim(), @"\s{2,}")).ToList();
        Assert.Contains(graphRows, r => r.SequenceEqual(new[] { "side", "Input", "[-1, 3]", "0" }));
        Assert.Contains(graphRows, r => r.SequenceEqual(new[] { "b", "Dense <- side", "[-1, 4]", "16" }));
        Assert.Contains(graphRows, r => r.SequenceEqual(new[] { "3", "Concat <- b, 1, input", "[-1, 13]", "0" }));
    }

    [Fact]
    public void Summary_columns_widen_to_their_longest_entry()
    {
        // A long layer description must not push the shape and count columns out of line.
        string s = new EveryLayerNet().Summary();
        var lines = s.Split('\n').Where(l => l.Contains('[')).ToList();
        int column = lines[0].IndexOf('[');
        Assert.All(lines, l => Assert.Equal(column, l.IndexOf('[')));
    }

    [Fact]
    public void Same_seed_gives_same_weights_and_different_seeds_differ()
    {
        Assert.Equal(new MnistMlp(seed: 5).Parameters.ToArray(), new MnistMlp(seed: 5).Parameters.ToArray());
        Assert.NotEqual(new MnistMlp(seed: 5).Parameters.ToArray(), new MnistMlp(seed: 6).Parameters.ToArray());
        var net = new MnistMlp(seed: 5);
        var before = net.Parameters.ToArray();
        net.Parameters.Clear();
        net.Initialize(5);
        Assert.Equal(before, net.Parameters.ToArray());
    }

    [Fact]
    public void Same_seed_gives_the_same_training_run_with_dropout()
    {
        float[] Run()
        {
            var net = new RandomLayersNet(seed: 3);
            var x = ForwardTests.RandomInput(8 * 6, 1);
            var y = new float[8 * 3];
            for (int step = 0; step < 3; step++)
            {
                net.ZeroGrad();
                net.Forward(x, y, 8, training: true);
                net.Backward(y);
                var p = net.Parameters;
                var g = net.Gradients;
                for (int k = 0; k < p.Length; k++) p[k] -= 0.01f * g[k];
            }
            return net.Parameters.ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Wrong_input_length_names_the_parameter_and_both_sizes()
    {
        var net = new SeedNet();
        var ex = Assert.Throws<ArgumentException>(() => net.Forward(new float[4], new float[2]));
        Assert.Equal("input", ex.ParamName);
        Assert.Contains("length 4", ex.Message);
        Assert.Contains("3 was expected", ex.Message);
    }

    [Fact]
    public void Wrong_output_length_for_the_batch_names_the_parameter_and_both_sizes()
    {
        var net = new MnistMlp();
        var ex = Assert.Throws<ArgumentException>(() => net.Forward(new float[2 * 784], new float[10], batch: 2));
        Assert.Equal("output", ex.ParamName);
        Assert.Contains("length 10", ex.Message);
        Assert.Contains("20 was expected", ex.Message);
        Assert.Contains("[2, 10]", ex.Message);
    }

    [Fact]
    public void Wrong_gradient_lengths_and_bad_batch_are_rejected()
    {
        var net = new SeedNet();
        Assert.Throws<InvalidOperationException>(() => net.Backward(new float[2]));
        net.Forward(new float[6], new float[4], 2);
        var eval = Assert.Throws<InvalidOperationException>(() => net.Backward(new float[4]));
        Assert.Contains("training: true", eval.Message);
        net.Forward(new float[6], new float[4], 2, training: true);
        var ex = Assert.Throws<ArgumentException>(() => net.Backward(new float[2]));
        Assert.Equal("outputGradient", ex.ParamName);
        Assert.Contains("4 was expected", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => net.Backward(new float[4], new float[5]));
        Assert.Equal("inputGradient", ex2.ParamName);
        Assert.Contains("6 was expected", ex2.Message);
        var ex3 = Assert.Throws<ArgumentOutOfRangeException>(() => net.Forward(new float[0], new float[0], 0));
        Assert.Equal("batch", ex3.ParamName);
    }

    [Fact]
    public void A_batch_whose_size_overflows_int_is_rejected_not_wrapped()
    {
        // 4,194,305 × 1,024 wraps to 1,024 in 32-bit arithmetic: the check must not be fooled into passing.
        var ex = Assert.Throws<ArgumentException>(() => ThrowHelper.CheckShape(1024, 4_194_305, 1024, "input", "batch"));
        Assert.Contains("4294968320 was expected", ex.Message);
        var net = new MnistMlp();
        var big = Assert.Throws<ArgumentOutOfRangeException>(() => net.Reserve(int.MaxValue / 100));
        Assert.Equal("maxBatch", big.ParamName);
    }

    [Fact]
    public void Steady_state_forward_and_backward_allocate_nothing()
    {
        var net = new MnistMlp(seed: 1);
        var x = ForwardTests.RandomInput(64 * 784, 1);
        var y = new float[64 * 10];
        var g = new float[64 * 10];
        net.Reserve(64);
        // Warm up every path measured below: the first call of a method may load types and compile it, which can
        // allocate on this thread.
        for (int i = 0; i < 3; i++)
        {
            net.Forward(x, y, 64, training: true);
            net.Backward(g);
            net.Forward(x.AsSpan(0, 784), y.AsSpan(0, 10));
        }
        Assert.Equal(0, Allocations.SteadyBytes(() =>
        {
            net.Forward(x, y, 64, training: true);
            net.Backward(g);
            net.Forward(x.AsSpan(0, 784), y.AsSpan(0, 10));
        }));
    }

    [Fact]
    public void A_generated_network_exposes_its_random_stream_seeded_by_initialize_and_counting_training_passes_only()
    {
        IRandomStream net = new RandomLayersNet(seed: 21);
        Assert.Equal(21ul, net.RandomSeed);
        Assert.Equal(0ul, net.RandomStep);
        var x = Enumerable.Range(0, 4 * 6).Select(i => (float)Math.Sin(i)).ToArray();
        var first = new float[4 * 3];
        var again = new float[4 * 3];
        var network = (RandomLayersNet)net;
        network.Forward(x, first, 4, training: true);
        Assert.Equal(1ul, net.RandomStep);
        network.Forward(x, again, 4, training: false);
        Assert.Equal(1ul, net.RandomStep); // evaluation draws nothing

        // Another network with the same seed, at the same step, draws the same masks.
        var twin = new RandomLayersNet(seed: 21);
        var replay = new float[4 * 3];
        twin.Forward(x, replay, 4, training: true);
        Assert.Equal(first, replay);
        twin.Forward(x, replay, 4, training: true); // step 1: other masks
        Assert.NotEqual(first, replay);

        network.Initialize(5);
        Assert.Equal(5ul, net.RandomSeed);
        Assert.Equal(0ul, net.RandomStep);
    }
}
