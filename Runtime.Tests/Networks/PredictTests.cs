using System;
using System.Linq;
using System.Threading.Tasks;
using SourceGenNN.Data;
using SourceGenNN.IO;
using SourceGenNN.Metrics;
using SourceGenNN.Tests.Data;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Networks;

/// <summary>Prediction without a trainer: <see cref="NetworkInference"/> and <see cref="Predictions"/>.</summary>
[Collection(SourceGenNN.Tests.Kernels.KernelThreadsCollection.Name)] // measures allocation: run alone
public class PredictTests
{
    private static float[] Inputs(int count, int size, int salt = 0) =>
        Enumerable.Range(0, count * size).Select(i => (float)Math.Sin(0.37 * i + salt)).ToArray();

    [Fact]
    public void Predict_gives_the_evaluation_forward_pass_indexed_by_sample_and_output()
    {
        var net = new MnistMlp(seed: 3);
        var x = Inputs(10, 784);
        var expected = new float[10 * 10];
        net.Forward(x, expected, 10);

        var p = net.Predict(x, batchSize: 4); // batches of 4, 4 and 2
        Assert.Equal(10, p.Count);
        Assert.Equal(10, p.Outputs);
        Assert.Equal(expected, p.AsSpan().ToArray());
        var m = p.ToArray();
        Assert.Equal(new[] { 10, 10 }, new[] { m.GetLength(0), m.GetLength(1) });
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(expected.AsSpan(i * 10, 10).ToArray(), p.Row(i).ToArray());
            Assert.Equal(expected.AsSpan(i * 10, 10).ToArray(), p[i].ToArray());
            for (int j = 0; j < 10; j++)
            {
                Assert.Equal(expected[i * 10 + j], p[i, j]);
                Assert.Equal(expected[i * 10 + j], m[i, j]);
            }
        }
    }

    [Fact]
    public void Predict_equals_the_trainers_predict_and_predict_classes_its_arg_max()
    {
        var net = new DigitsLike(seed: 5);
        var x = Inputs(37, DigitsLike.InputSize, 1);
        using var trainer = new Trainer(net, new CrossEntropy(), new Adam(net));
        Assert.Equal(trainer.Predict(x, batchSize: 8), net.Predict(x, batchSize: 8).AsSpan().ToArray());
        Assert.Equal(trainer.PredictClasses(x), net.PredictClasses(x));
        Assert.Equal(net.Predict(x).ArgMax(), net.PredictClasses(x, batchSize: 5));
        var labels = Enumerable.Range(0, 37).Select(i => (float)(i % 4)).ToArray();
        var data = new Dataset(x, labels, DigitsLike.InputSize);
        Assert.Equal(net.PredictClasses(x), net.PredictClasses(data));
        Assert.Equal(net.Predict(x).AsSpan().ToArray(), net.Predict(data).AsSpan().ToArray());
    }

    [Fact]
    public void A_single_output_is_a_class_by_threshold()
    {
        var net = new SigmoidNet(seed: 2);
        var x = Inputs(20, 4, 2);
        var p = net.Predict(x);
        Assert.Equal(1, p.Outputs);
        float median = p.AsSpan().ToArray().Order().ElementAt(10);
        var classes = net.PredictClasses(x, threshold: median);
        for (int i = 0; i < 20; i++) Assert.Equal(p[i, 0] >= median ? 1 : 0, classes[i]);
        Assert.Contains(0, classes); // the threshold splits these samples
        Assert.Contains(1, classes);
    }

    [Fact]
    public void Predict_runs_in_evaluation_mode_so_dropout_and_rrelu_draw_nothing()
    {
        var net = new RandomLayersNet(seed: 4);
        var x = Inputs(6, 6);
        var eval = new float[6 * 3];
        net.Forward(x, eval, 6, training: false);
        Assert.Equal(eval, net.Predict(x).AsSpan().ToArray());
        Assert.Equal(eval, net.Predict(x, batchSize: 1).AsSpan().ToArray());
        Assert.Equal(0ul, net.RandomStep);
    }

    [Fact]
    public void A_reloaded_model_predicts_without_a_trainer()
    {
        using var tmp = new TempDir();
        var net = new MnistMlp(seed: 8);
        var x = Inputs(3, 784, 4);
        var before = net.Predict(x);
        WeightFile.Save(net, tmp.File("m.sgnn"));
        var loaded = new MnistMlp(seed: 99);
        WeightFile.Load(loaded, tmp.File("m.sgnn"));
        Assert.Equal(before.AsSpan().ToArray(), loaded.Predict(x).AsSpan().ToArray());
        Assert.Equal(before.ArgMax(), loaded.PredictClasses(x));
    }

    [Fact]
    public void Inference_clones_predict_on_several_threads_at_once()
    {
        var net = new MnistMlp(seed: 6);
        var x = Inputs(64, 784, 5);
        var expected = net.Predict(x).AsSpan().ToArray();
        var results = new float[4][];
        Parallel.For(0, 4, t => results[t] = net.CloneForInference().Predict(x, batchSize: 16).AsSpan().ToArray());
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void A_network_with_two_inputs_takes_them_packed()
    {
        var net = new TwoInputNet(seed: 1);
        var input = Inputs(3, TwoInputNet.InputSize, 1);
        var side = Inputs(3, TwoInputNet.SideSize, 2);
        var expected = new float[3 * TwoInputNet.OutputSize];
        net.Forward(input, side, expected, 3);
        var packed = new float[3 * TwoInputNet.PackedInputSize];
        for (int i = 0; i < 3; i++)
        {
            input.AsSpan(i * 5, 5).CopyTo(packed.AsSpan(i * 8));
            side.AsSpan(i * 3, 3).CopyTo(packed.AsSpan(i * 8 + 5));
        }
        Assert.Equal(expected, net.Predict(packed).AsSpan().ToArray());
    }

    [Fact]
    public void The_span_overloads_allocate_nothing_once_warm()
    {
        var net = new MnistMlp(seed: 1);
        var x = Inputs(40, 784);
        var y = new float[40 * 10];
        var classes = new int[40];
        net.Predict(x, y, batchSize: 16);
        net.PredictClasses(x, classes, batchSize: 16);
        Assert.Equal(0, Allocations.SteadyBytes(() =>
        {
            net.Predict(x, y, batchSize: 16);
            net.PredictClasses(x, classes, batchSize: 16);
        }));
        Assert.Equal(net.Predict(x).ArgMax(), classes);
    }

    [Fact]
    public void No_samples_give_empty_predictions()
    {
        var net = new SeedNet();
        var p = net.Predict(ReadOnlySpan<float>.Empty);
        Assert.Equal(0, p.Count);
        Assert.Equal(2, p.Outputs);
        Assert.Empty(net.PredictClasses(Array.Empty<float>()));
    }

    [Fact]
    public void Wrong_shapes_and_indices_are_named()
    {
        var net = new SeedNet();
        var e = Assert.Throws<ArgumentException>(() => net.Predict(new float[7]));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("length 7", e.Message);
        Assert.Contains("[count, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => net.Predict(new float[6], new float[3]));
        Assert.Equal("output", e.ParamName);
        Assert.Contains("[count, OutputSize] = [2, 2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => net.PredictClasses(new float[6], new int[3]));
        Assert.Equal("classes", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.Predict(new float[6], batchSize: 0));
        e = Assert.Throws<ArgumentException>(() => net.Predict(new Dataset(new float[8], new float[2], 4)));
        Assert.Contains("4 features per sample, but the network takes 3", e.Message);

        var p = net.Predict(new float[6]);
        Assert.Equal("sample", Assert.Throws<ArgumentOutOfRangeException>(() => p[2, 0]).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentOutOfRangeException>(() => p[1, 2]).ParamName);
        Assert.Equal("sample", Assert.Throws<ArgumentOutOfRangeException>(() => p.Row(-1)).ParamName);
        Assert.Throws<ArgumentException>(() => new Predictions(new float[5], 2, 2));
    }
}

/// <summary>A small classifier for the prediction tests: 12 inputs, 4 classes.</summary>
[Network(12)]
[Dense(9)] [ReLU]
[Dense(4)] [Softmax]
public partial class DigitsLike { }
