using System;
using System.IO;
using System.Linq;
using SourceGenNN.Data;
using SourceGenNN.Metrics;
using SourceGenNN.Tests.Data;
using SourceGenNN.Tests.TestDoubles;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Training;

[Collection(SourceGenNN.Tests.Kernels.KernelThreadsCollection.Name)] // measures allocation: run alone
public class TrainerTests
{
    private static readonly FitOptions Quiet = new() { Progress = ProgressMode.None };

    private static (Dataset Train, Dataset Test) Digits()
    {
        var d = CsvReader.ReadDataset(SampleData.Path("digits.csv.gz"));
        var (train, test) = d.Split(0.2, seed: 1);
        var s = new Standardizer().Fit(train);
        s.Transform(train);
        s.Transform(test);
        return (train, test);
    }

    private static Dataset Synthetic(int n, int features, int classes, ulong seed)
    {
        var rng = new SourceGenNN.Kernels.Rng(seed, "data");
        var x = new float[n * features];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            int c = (int)(rng.NextUInt64() % (ulong)classes);
            y[i] = c;
            for (int f = 0; f < features; f++) x[i * features + f] = (float)(rng.NextNormal() + (f % classes == c ? 2 : 0));
        }
        return new Dataset(x, y, features);
    }

    private static long StepBytes(Trainer trainer, float[] x, float[] y, int batch)
    {
        trainer.TrainStep(x, y, batch);
        trainer.TrainStep(x, y, batch);
        return Allocations.SteadyBytes(() => trainer.TrainStep(x, y, batch));
    }

    [Theory]
    [InlineData("ce+adam")]
    [InlineData("huber+sgd")]
    [InlineData("bce+rmsprop")]
    public void Steady_state_training_step_allocates_nothing(string setup)
    {
        var data = Synthetic(64, 20, 2, 2);
        var (net, trainer) = setup switch
        {
            "ce+adam" => Make(new LinearNetwork(20, 2, FinalActivation.Softmax), n => new Trainer(n, new CrossEntropy(), new Adam(n), new Accuracy())),
            "huber+sgd" => Make(new LinearNetwork(20, 1), n => new Trainer(n, new HuberLoss(), new Sgd(n, 0.01f, 0.9f), new RSquared())),
            _ => Make(new LinearNetwork(20, 1, FinalActivation.Sigmoid), n => new Trainer(n, new BinaryCrossEntropy(), new RmsProp(n, centered: true))),
        };
        Assert.Equal(0, StepBytes(trainer, data.Features, data.Targets, 64));
        Assert.True(net.TrainingForwards >= 5);

        static (LinearNetwork, Trainer) Make(LinearNetwork n, Func<LinearNetwork, Trainer> f) => (n, f(n));
    }

    [Fact]
    public void Steady_state_training_step_of_a_generated_network_allocates_nothing()
    {
        var net = new MnistMlp(seed: 1);
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net), new Accuracy());
        var data = Synthetic(64, 784, 10, 2);
        Assert.Equal(0, StepBytes(trainer, data.Features, data.Targets, 64));
    }

    [Fact]
    public void Training_step_of_a_generated_network_allocates_nothing_beyond_the_network_itself()
    {
        // The trainer's share must be zero whatever the network does; this measures the network's passes separately.
        var net = new MnistMlp(seed: 1);
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net), new Accuracy());
        var data = Synthetic(64, 784, 10, 2);
        long step = StepBytes(trainer, data.Features, data.Targets, 64);
        var output = new float[64 * 10];
        var grad = new float[64 * 10];
        net.Forward(data.Features, output, 64, true);
        net.Backward(grad, default, fromLogits: true);
        long network = Allocations.SteadyBytes(() =>
        {
            net.ZeroGrad();
            net.Forward(data.Features, output, 64, true);
            net.Backward(grad, default, fromLogits: true);
        });
        Assert.Equal(0, network);
        Assert.Equal(network, step);
    }

    /// <summary>
    /// The fused path (loss from logits, fromLogits: true) must give the parameter gradient that the unfused path gives:
    /// the loss on the activation's output, back-propagated through the activation.
    /// </summary>
    private static void AssertFusedGradientMatchesUnfused(INetwork net, Loss fused, Loss onOutput, float[] x, float[] y, int batch)
    {
        var trainer = new Trainer(net, fused, new Sgd(net, learningRate: 0f));
        Assert.True(trainer.Fused);
        trainer.TrainStep(x, y, batch);
        var fusedGrad = net.Gradients.ToArray();

        net.ZeroGrad();
        var output = new float[batch * net.OutputSize];
        net.Forward(x, output, batch, training: true);
        var g = new float[output.Length];
        onOutput.Compute(output, y, g, batch, net.OutputSize);
        net.Backward(g);
        var unfused = net.Gradients.ToArray();
        Assert.Contains(fusedGrad, v => v != 0f);
        for (int i = 0; i < fusedGrad.Length; i++)
            Assert.True(Math.Abs(fusedGrad[i] - unfused[i]) <= 1e-5 + 1e-3 * Math.Abs(unfused[i]), $"parameter {i}: fused {fusedGrad[i]}, unfused {unfused[i]}");
    }

    /// <summary>Cross entropy on probabilities (−Σ y log p), the unfused counterpart of softmax + cross entropy.</summary>
    private sealed class CrossEntropyOnProbabilities : Loss
    {
        public override string Name => "ce_probs";
        public override int TargetWidth(int features) => 1;
        protected override double ComputeCore(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features)
        {
            double sum = 0;
            gradient.Clear();
            for (int n = 0; n < batch; n++)
            {
                int c = (int)target[n];
                sum -= Math.Log(output[n * features + c]);
                gradient[n * features + c] = -1f / output[n * features + c] / batch;
            }
            return sum / batch;
        }
    }

    [Fact]
    public void Fused_softmax_cross_entropy_gradient_matches_the_unfused_path()
    {
        var data = Synthetic(8, 64, 10, 3);
        AssertFusedGradientMatchesUnfused(new DigitsSoftmax(seed: 4), new CrossEntropy(), new CrossEntropyOnProbabilities(), data.Features, data.Targets, 8);
        var small = Synthetic(8, 5, 3, 5);
        AssertFusedGradientMatchesUnfused(new LinearNetwork(5, 3, FinalActivation.Softmax, 6), new CrossEntropy(), new CrossEntropyOnProbabilities(), small.Features, small.Targets, 8);
    }

    [Fact]
    public void Fused_sigmoid_bce_gradient_matches_the_unfused_path()
    {
        var data = Synthetic(8, 30, 2, 7);
        AssertFusedGradientMatchesUnfused(new CancerLogistic(seed: 8), new BinaryCrossEntropy(), new BinaryCrossEntropy(), data.Features, data.Targets, 8);
    }

    [Fact]
    public void Unfused_cross_entropy_treats_the_output_as_logits()
    {
        var net = new DigitsMlp(seed: 1);
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net));
        Assert.False(trainer.Fused);
    }

    [Fact]
    public void Softmax_regression_learns_the_digits()
    {
        var (train, test) = Digits();
        var net = new DigitsSoftmax(seed: 1);
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, 0.01f), new Accuracy(), new F1Score(Averaging.Macro));
        var before = trainer.Evaluate(test);
        var history = trainer.Fit(train, new FitOptions { Epochs = 10, BatchSize = 32, Seed = 3, Progress = ProgressMode.None });
        var after = trainer.Evaluate(test);
        Assert.True(after["accuracy"] >= 0.93, $"held-out accuracy {after["accuracy"]}");
        Assert.True(after.Loss < before.Loss / 4, $"loss {before.Loss} → {after.Loss}");
        var losses = history["loss"];
        Assert.Equal(10, losses.Length);
        Assert.True(losses[^1] < losses[0]);
        Assert.InRange(history.Epochs[^1]["f1_macro"], 0.9, 1.0);
    }

    [Fact]
    public void Mlp_with_logits_learns_the_digits_with_one_hot_targets()
    {
        var (train, test) = Digits();
        var net = new DigitsMlp(seed: 2);
        var trainer = new Trainer(net, new CrossEntropy(CrossEntropyTarget.Probabilities), new Sgd(net, 0.05f, 0.9f, nesterov: true), new Accuracy());
        trainer.Fit(train.OneHotTargets(10), new FitOptions { Epochs = 8, BatchSize = 16, Progress = ProgressMode.None });
        var predicted = trainer.PredictClasses(test.Features);
        Assert.True(ClassificationMetrics.Accuracy(test.Labels(), predicted) >= 0.93);
    }

    [Fact]
    public void Logistic_regression_separates_breast_cancer_cases()
    {
        var (train, test) = CsvReader.ReadDataset(SampleData.Path("breast_cancer.csv.gz")).Split(0.25, seed: 2);
        var s = new Standardizer().Fit(train);
        s.Transform(train);
        s.Transform(test);
        var net = new CancerLogistic(seed: 1);
        var trainer = new Trainer(net, new BinaryCrossEntropy(), new AdamW(net, 0.01f), new Accuracy(), new Recall());
        trainer.Fit(train, new FitOptions { Epochs = 20, BatchSize = 32, Progress = ProgressMode.None });
        Assert.True(trainer.Evaluate(test)["accuracy"] >= 0.94);
    }

    [Fact]
    public void Linear_regression_explains_diabetes_progression()
    {
        var (train, test) = CsvReader.ReadDataset(SampleData.Path("diabetes.csv")).Split(0.2, seed: 4);
        var s = new Standardizer().Fit(train);
        s.Transform(train);
        s.Transform(test);
        var ys = new Standardizer().Fit(train.Targets, 1);
        ys.Transform(train.Targets);
        ys.Transform(test.Targets);
        var net = new DiabetesLinear(seed: 1);
        var trainer = new Trainer(net, new MeanSquaredError(), new Sgd(net, 0.01f, 0.9f), new RSquared(), new MeanAbsoluteErrorMetric());
        trainer.Fit(train, new FitOptions { Epochs = 60, BatchSize = 32, Progress = ProgressMode.None });
        var r = trainer.Evaluate(test);
        Assert.True(r["r2"] >= 0.35, $"R² {r["r2"]}");
        var predicted = trainer.Predict(test);
        Assert.Equal(RegressionMetrics.RSquared(test.Targets, predicted), r["r2"], 6);
        Assert.Equal(RegressionMetrics.MeanSquaredError(test.Targets, predicted), r.Loss, 4);
    }

    [Fact]
    public void Same_seed_gives_the_same_training()
    {
        var data = Synthetic(100, 64, 10, 9);
        float[] Train()
        {
            var net = new DigitsMlp(seed: 5);
            new Trainer(net, new CrossEntropy(), new Adam(net)).Fit(data, new FitOptions { Epochs = 3, BatchSize = 16, Seed = 11, ValidationSplit = 0.2, Progress = ProgressMode.None });
            return net.Parameters.ToArray();
        }
        Assert.Equal(Train(), Train());
    }

    [Fact]
    public void Validation_split_adds_val_values_to_the_history()
    {
        var data = Synthetic(100, 64, 10, 10);
        var net = new DigitsSoftmax(seed: 1);
        var h = new Trainer(net, new CrossEntropy(), new Adam(net), new Accuracy()).Fit(data, new FitOptions { Epochs = 2, ValidationSplit = 0.25, Progress = ProgressMode.None });
        Assert.Equal(new[] { "loss", "accuracy", "val_loss", "val_accuracy" }, h.Epochs[0].Values.Keys);
        Assert.Equal(2, h["val_accuracy"].Length);
    }

    [Fact]
    public void Early_stopping_stops_after_patience_and_restores_the_best_weights()
    {
        var (train, test) = Digits();
        var net = new DigitsSoftmax(seed: 1);
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, 0.01f), new Accuracy());
        // A minimum improvement nobody reaches: epoch 1 stays best, and training stops after 1 + patience epochs.
        var h = trainer.Fit(train, new FitOptions
        {
            Epochs = 20, ValidationData = test, Progress = ProgressMode.None,
            EarlyStopping = new EarlyStopping { Monitor = "val_loss", Patience = 2, MinDelta = 1e9 },
        });
        Assert.True(h.StoppedEarly);
        Assert.Equal(3, h.Epochs.Count);
        Assert.Equal(1, h.BestEpoch);
        Assert.True(h.RestoredBestWeights);
        Assert.Equal(h.Epochs[0]["val_loss"], trainer.Evaluate(test).Loss, 10);
        Assert.NotEqual(h.Epochs[2]["val_loss"], trainer.Evaluate(test).Loss, 6);
    }

    [Fact]
    public void Early_stopping_on_accuracy_keeps_the_most_accurate_epoch()
    {
        var (train, test) = Digits();
        var net = new DigitsSoftmax(seed: 1);
        var trainer = new Trainer(net, new CrossEntropy(), new Sgd(net, 0.5f), new Accuracy());
        var h = trainer.Fit(train, new FitOptions
        {
            Epochs = 6, ValidationData = test, Progress = ProgressMode.None,
            EarlyStopping = new EarlyStopping { Monitor = "val_accuracy", Patience = 10 },
        });
        var acc = h["val_accuracy"];
        int best = Array.IndexOf(acc, acc.Max()) + 1;
        Assert.Equal(best, h.BestEpoch);
        Assert.Equal(acc.Max(), trainer.Evaluate(test)["accuracy"], 10);
    }

    [Fact]
    public void Early_stopping_on_an_unknown_value_names_the_ones_available()
    {
        var net = new DigitsSoftmax();
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net), new Accuracy());
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(Synthetic(20, 64, 10, 1), new FitOptions
        {
            Progress = ProgressMode.None, EarlyStopping = new EarlyStopping { Monitor = "val_accuracy" },
        }));
        Assert.Contains("loss, accuracy", e.Message);
    }

    [Fact]
    public void Per_epoch_schedule_sets_the_learning_rate_of_each_epoch()
    {
        var net = new DigitsSoftmax();
        var trainer = new Trainer(net, new CrossEntropy(), new Sgd(net, 0.1f));
        var h = trainer.Fit(Synthetic(40, 64, 10, 1), new FitOptions { Epochs = 4, Schedule = new ExponentialDecay(0.5), Progress = ProgressMode.None });
        for (int e = 0; e < 4; e++) Assert.Equal((float)(0.1f * Math.Pow(0.5, e)), (float)h.Epochs[e].LearningRate);
    }

    [Fact]
    public void A_second_fit_replays_the_schedule_instead_of_compounding_it()
    {
        var net = new DigitsSoftmax();
        var sgd = new Sgd(net, 0.1f);
        var trainer = new Trainer(net, new CrossEntropy(), sgd);
        var options = new FitOptions { Epochs = 3, Schedule = new ExponentialDecay(0.5), Progress = ProgressMode.None };
        var first = trainer.Fit(Synthetic(40, 64, 10, 1), options);
        Assert.Equal(0.1f, sgd.LearningRate);
        var second = trainer.Fit(Synthetic(40, 64, 10, 1), options);
        for (int e = 0; e < 3; e++) Assert.Equal(first.Epochs[e].LearningRate, second.Epochs[e].LearningRate);
    }

    [Fact]
    public void Per_batch_schedule_advances_every_batch()
    {
        var net = new DigitsSoftmax();
        var trainer = new Trainer(net, new CrossEntropy(), new Sgd(net, 0.1f));
        var schedule = new LinearWarmup(100, startFactor: 0);
        // 40 samples in batches of 8: 5 batches per epoch, 10 in all; the last batch trained at t = 9.
        var h = trainer.Fit(Synthetic(40, 64, 10, 1), new FitOptions { Epochs = 2, BatchSize = 8, Schedule = schedule, Progress = ProgressMode.None });
        Assert.Equal((float)schedule.LearningRate(0.1f, 9), (float)h.Epochs[1].LearningRate);
    }

    [Fact]
    public void Redirected_progress_prints_one_plain_line_per_epoch()
    {
        var net = new DigitsSoftmax();
        var writer = new StringWriter();
        new Trainer(net, new CrossEntropy(), new Adam(net), new Accuracy())
            .Fit(Synthetic(40, 64, 10, 1), new FitOptions { Epochs = 3, Output = writer, ValidationSplit = 0.25 });
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        for (int e = 0; e < 3; e++)
        {
            Assert.StartsWith($"Epoch {e + 1}/3", lines[e]);
            Assert.Contains(" val_accuracy ", lines[e]);
            Assert.Contains("samples/s", lines[e]);
            Assert.DoesNotContain("\u001b", lines[e]);
        }
    }

    [Fact]
    public void Bar_progress_redraws_in_place()
    {
        var net = new DigitsSoftmax();
        var writer = new StringWriter();
        new Trainer(net, new CrossEntropy(), new Adam(net), new Accuracy())
            .Fit(Synthetic(40, 64, 10, 1), new FitOptions { Epochs = 1, BatchSize = 8, Output = writer, Progress = ProgressMode.Bar });
        string text = writer.ToString();
        Assert.Contains("\r\u001b[2K", text);
        Assert.Contains("] 5/5", text);
        Assert.EndsWith(Environment.NewLine, text);
    }

    [Fact]
    public void Predict_matches_the_network_forward_pass()
    {
        var net = new DigitsMlp(seed: 3);
        var data = Synthetic(300, 64, 10, 1);
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net));
        var expected = new float[300 * 10];
        net.Forward(data.Features, expected, 300);
        Assert.Equal(expected, trainer.Predict(data.Features, batchSize: 7));
    }

    [Fact]
    public void Fit_rejects_targets_of_the_wrong_width()
    {
        var net = new DigitsSoftmax();
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net));
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(Synthetic(10, 64, 10, 1).OneHotTargets(10), Quiet));
        Assert.Contains("expects 1", e.Message);
        Assert.Throws<ArgumentException>(() => new Trainer(net, new CrossEntropy(), new Adam(5)));
    }

    [Fact]
    public void Early_stopping_restores_the_state_buffers_of_the_best_epoch_with_its_weights()
    {
        // BatchNorm's running statistics change in every training batch: restoring the best weights without them would
        // leave the network normalising with the last epoch's statistics.
        var rng = new SourceGenNN.Kernels.Rng(5, "bn-early-stop");
        var x = new float[64 * 24];
        var y = new float[64 * 2];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextNormal();
        for (int i = 0; i < y.Length; i++) y[i] = (float)rng.NextNormal();
        var data = new Dataset(x, y, 24, 2);
        var net = new SourceGenNN.Tests.Networks.NormNet(seed: 1);
        var trainer = new Trainer(net, new MeanSquaredError(), new Sgd(net, 0.05f));
        // "Best" is the highest training loss, the first epoch's: the restored state is an epoch before the last.
        var history = trainer.Fit(data, new FitOptions
        {
            Epochs = 4, BatchSize = 16, Seed = 1, Shuffle = false, Progress = ProgressMode.None,
            EarlyStopping = new EarlyStopping { Monitor = "loss", HigherIsBetter = true, Patience = 10, RestoreBestWeights = true },
        });
        Assert.True(history.RestoredBestWeights);
        int best = history.BestEpoch!.Value;
        Assert.True(best < 4, $"the best epoch is {best}");
        // Replay to the best epoch without early stopping: the restored network must equal it, buffers included.
        var replay = new SourceGenNN.Tests.Networks.NormNet(seed: 1);
        new Trainer(replay, new MeanSquaredError(), new Sgd(replay, 0.05f)).Fit(data, new FitOptions
        {
            Epochs = best, BatchSize = 16, Seed = 1, Shuffle = false, Progress = ProgressMode.None,
        });
        Assert.Equal(replay.Parameters.ToArray(), net.Parameters.ToArray());
        Assert.Equal(replay.Buffers.ToArray(), net.Buffers.ToArray());
        // And it differs from where training ended, so the test can fail.
        var end = new SourceGenNN.Tests.Networks.NormNet(seed: 1);
        new Trainer(end, new MeanSquaredError(), new Sgd(end, 0.05f)).Fit(data, new FitOptions { Epochs = 4, BatchSize = 16, Seed = 1, Shuffle = false, Progress = ProgressMode.None });
        Assert.NotEqual(end.Buffers.ToArray(), net.Buffers.ToArray());
    }
}
