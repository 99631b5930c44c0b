using System;
using System.Linq;
using SourceGenNN.Data;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Training;

/// <summary>
/// Targets of the shape another loss takes, and a loss that reads the wrong kind of output: the error says what the
/// data most likely is and what to write instead.
/// </summary>
public class TargetHintTests
{
    private static readonly FitOptions Quiet = new() { Epochs = 1, Progress = ProgressMode.None };

    [Fact]
    public void Cross_entropy_given_one_hot_rows_points_to_probability_targets()
    {
        var data = TrainerMisuseTests.Classes(40).OneHotTargets(10);
        var net = new DigitsSoftmax(seed: 1);
        var before = net.Parameters.ToArray();
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net));
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(data, Quiet));
        Assert.StartsWith("'train' has 10 target values per sample, but the loss 'cross_entropy' expects 1 for 10 outputs. These look like one-hot rows", e.Message);
        Assert.Contains("new CrossEntropy(CrossEntropyTarget.Probabilities)", e.Message);
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.Contains("CrossEntropyTarget.Probabilities", Assert.Throws<ArgumentException>(() => trainer.Evaluate(data)).Message);
        e = Assert.Throws<ArgumentException>(() => trainer.TrainStep(data.Features.AsSpan(0, 4 * 64), data.Targets.AsSpan(0, 4 * 10), 4));
        Assert.Equal("target", e.ParamName);
        Assert.StartsWith("'target' has length 40, but 4 was expected ([batch, target width] = [4, 1]", e.Message);
        Assert.Contains("CrossEntropyTarget.Probabilities", e.Message);

        // The hint is right: the same rows train with probability targets.
        new Trainer(net, new CrossEntropy(CrossEntropyTarget.Probabilities), new Adam(net)).Fit(data, Quiet);
    }

    [Fact]
    public void Nll_given_one_hot_rows_asks_for_class_indices()
    {
        var data = TrainerMisuseTests.Classes(40).OneHotTargets(10);
        var net = new DigitsMlp(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => new Trainer(net, new NegativeLogLikelihood(), new Adam(net)).Fit(data, Quiet));
        Assert.EndsWith("These look like one-hot rows, but the loss 'nll' takes one class index per sample. (Parameter 'train')", e.Message);
    }

    [Theory]
    [InlineData("mse")]
    [InlineData("mae")]
    [InlineData("huber")]
    [InlineData("bce")]
    public void Element_wise_losses_given_class_indices_point_to_one_hot_targets(string name)
    {
        Loss loss = name switch
        {
            "mse" => new MeanSquaredError(),
            "mae" => new MeanAbsoluteError(),
            "huber" => new HuberLoss(),
            _ => new BinaryCrossEntropyWithLogits(),
        };
        var data = TrainerMisuseTests.Classes(40);
        var net = new DigitsMlp(seed: 1);
        var trainer = new Trainer(net, loss, new Adam(net));
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(data, Quiet));
        Assert.StartsWith($"'train' has 1 target values per sample, but the loss '{loss.Name}' expects 10 for 10 outputs. These look like class indices", e.Message);
        Assert.Contains("Dataset.OneHotTargets(10)", e.Message);
        Assert.Contains("CrossEntropy", e.Message);
        e = Assert.Throws<ArgumentException>(() => trainer.TrainStep(data.Features.AsSpan(0, 2 * 64), data.Targets.AsSpan(0, 2), 2));
        Assert.Contains("These look like class indices", e.Message);

        // The hint is right: one-hot rows train.
        trainer.Fit(data.OneHotTargets(10), Quiet);
    }

    [Fact]
    public void A_width_that_is_neither_gets_no_guess()
    {
        var data = new Dataset(new float[4 * 64], new float[4 * 3], 64, 3);
        var net = new DigitsMlp(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => new Trainer(net, new MeanSquaredError(), new Adam(net)).Fit(data, Quiet));
        Assert.Equal("'train' has 3 target values per sample, but the loss 'mse' expects 10 for 10 outputs. (Parameter 'train')", e.Message);
    }

    [Fact]
    public void Nll_on_a_network_that_ends_in_softmax_is_refused_and_points_to_cross_entropy()
    {
        // The case: NLL read the Softmax's probabilities as log-probabilities and reported -0.499 where
        // cross entropy (PyTorch: NLLLoss after LogSoftmax) gives 0.696.
        var net = new DigitsSoftmax(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => new Trainer(net, new NegativeLogLikelihood(), new Adam(net)));
        Assert.Equal("loss", e.ParamName);
        Assert.Contains("takes log-probabilities, but the network ends in a Softmax (layer '1')", e.Message);
        Assert.Contains("Use CrossEntropy", e.Message);

        // Without the final Softmax the output is read as log-probabilities, as PyTorch's NLLLoss does; cross entropy
        // on the Softmax network is the same loss as NLL on log-softmax of the logits.
        var logits = new DigitsMlp(seed: 1);
        Assert.Equal("nll", new Trainer(logits, new NegativeLogLikelihood(), new Adam(logits)).Loss.Name);
        Assert.True(new Trainer(net, new CrossEntropy(), new Adam(net)).Fused);
    }
}
