using System;
using System.IO;
using System.Linq;
using SourceGenNN.Cuda;
using SourceGenNN.Data;
using SourceGenNN.IO;
using SourceGenNN.Metrics;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Cuda;

/// <summary>12 → 16 Tanh → 4 Softmax, for cross entropy with class indices.</summary>
[Network(12)]
[Dense(16)] [Tanh]
[Dense(4)] [Softmax]
public partial class GpuTrainerSoftmax { }

/// <summary>12 → 8 ReLU → 1 Sigmoid, for binary cross entropy fused with the sigmoid.</summary>
[Network(12)]
[Dense(8)] [ReLU]
[Dense(1)] [Sigmoid]
public partial class GpuTrainerLogistic { }

/// <summary>12 → 8 GELU → 2, for mean squared error.</summary>
[Network(12)]
[Dense(8)] [GELU]
[Dense(2)]
public partial class GpuTrainerRegression { }

/// <summary>12 → 16 RReLU → dropout → 4 Softmax: training draws masks and slopes.</summary>
[Network(12)]
[Dense(16)] [RReLU] [Dropout(0.25)]
[Dense(4)] [Softmax]
public partial class GpuTrainerDropout { }

/// <summary>Dropout and RReLU first: their training passes run although no gradient flows back through them.</summary>
[Network(12)]
[Dropout(0.2)] [RReLU]
[Dense(8)] [Tanh]
[Dense(4)] [Softmax]
public partial class GpuTrainerRandomFirst { }

/// <summary>
/// A graph with state: a residual block, BatchNorm over [C=3, L=4] and over vectors. (The first Tanh keeps the first
/// BatchNorm's bias from having an exactly zero gradient, which the second BatchNorm would give it and Adam would turn
/// into ±lr steps of rounding noise.)
/// </summary>
[Network(12)]
[Reshape(3, 4)] [BatchNorm1d(Momentum = 0.3)] [Tanh] [Flatten]
[Dense(12, Name = "fc1", Bias = false)] [BatchNorm1d] [Tanh(Name = "t")]
[Dense(12)] [Add("t")] [LayerNorm]
[Dense(4)] [Softmax]
public partial class GpuTrainerGraph { }

/// <summary>An LSTM over 6 steps of 3 features, a Dense per step: one prediction of 4 classes per step.</summary>
[Network(6, 3)]
[LSTM(5)]
[Dense(4)]
public partial class GpuTrainerTagger { }

/// <summary>A stacked GRU with dropout between its layers, to its last step, then 4 classes.</summary>
[Network(6, 3)]
[GRU(6, NumLayers = 2, Dropout = 0.2, Output = RecurrentOutput.LastStep)]
[Dense(4)] [Softmax]
public partial class GpuTrainerGru { }
/// <summary>Each sample as 4 tokens of 3 features through a TransformerEncoderLayer with dropout, mean-pooled.</summary>
[Network(4, 3)]
[Dense(8)]
[PositionalEmbedding]
[TransformerEncoderLayer(8, 2, DimFeedforward = 16, Dropout = 0.1, Name = "enc")]
[Mean(1)]
[Dense(4)] [Softmax]
public partial class GpuTrainerTransformer { }

/// <summary>
/// <see cref="Trainer.UseDevice"/>: the same training on the GPU and on the CPU gives the same history and weights
/// (within 1e-3, relative to 1 + |expected|). Skipped without a GPU; failing under SOURCEGENNN_REQUIRE_GPU=1.
/// </summary>
public class TrainerGpuTests
{
    private const double Tolerance = 1e-3;
    private static readonly FitOptions Quiet = new() { Progress = ProgressMode.None };

    private static Dataset Data(int n, int outputs, string kind, ulong seed)
    {
        var rng = new SourceGenNN.Kernels.Rng(seed, "gpu-trainer");
        var x = new float[n * 12];
        int width = kind == "regression" ? outputs : 1;
        var y = new float[n * width];
        for (int i = 0; i < n; i++)
        {
            int c = (int)(rng.NextUInt64() % 4);
            for (int f = 0; f < 12; f++) x[i * 12 + f] = (float)(rng.NextNormal() + (f % 4 == c ? 1.5 : 0));
            if (kind == "classes") y[i] = c;
            else if (kind == "binary") y[i] = c >= 2 ? 1f : 0f;
            else for (int o = 0; o < outputs; o++) y[i * width + o] = (float)(0.5 * x[i * 12 + o] - 0.25 * x[i * 12 + o + 2]);
        }
        return new Dataset(x, y, 12, width);
    }

    private static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}]: GPU {actual[i]}, CPU {expected[i]}");
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}]: GPU {actual[i]}, CPU {expected[i]}");
    }

    [GpuFact]
    public void Fit_on_the_gpu_matches_the_cpu_fit_cross_entropy_adam_with_a_schedule()
    {
        var train = Data(100, 4, "classes", 1); // 16-sample batches and a last batch of 4: two graph batch sizes
        var validation = Data(40, 4, "classes", 2);
        var options = new FitOptions
        {
            Epochs = 3, BatchSize = 16, Seed = 5, ValidationData = validation, Progress = ProgressMode.None,
            Schedule = new StepDecay(1, 0.5),
        };
        var cpuNet = new GpuTrainerSoftmax(seed: 3);
        using var cpu = new Trainer(cpuNet, new CrossEntropy(), new Adam(cpuNet, 0.01f), new Accuracy());
        var expected = cpu.Fit(train, options);

        using var gpu = CudaDevice.Open();
        var gpuNet = new GpuTrainerSoftmax(seed: 3);
        using var trainer = new Trainer(gpuNet, new CrossEntropy(), new Adam(gpuNet, 0.01f), new Accuracy());
        trainer.UseDevice(gpu);
        var actual = trainer.Fit(train, options);

        AssertClose(expected["loss"], actual["loss"], "loss");
        AssertClose(expected["val_loss"], actual["val_loss"], "val_loss");
        Assert.Equal(expected.Epochs.Select(e => e.LearningRate), actual.Epochs.Select(e => e.LearningRate));
        AssertClose(cpuNet.Parameters, gpuNet.Parameters, "weights"); // copied back by Fit
        Assert.Equal(cpu.Optimizer.Steps, trainer.Optimizer.Steps);
        var (m, v) = (cpu.Optimizer.ExportState(), trainer.Optimizer.ExportState());
        AssertClose(m.Buffers[0].Value, v.Buffers[0].Value, "exp_avg");
        AssertClose(m.Buffers[1].Value, v.Buffers[1].Value, "exp_avg_sq");
    }

    [GpuFact]
    public void Fit_on_the_gpu_matches_the_cpu_fit_bce_sgd_nesterov_with_early_stopping_and_the_saved_file_holds_the_trained_weights()
    {
        var train = Data(96, 1, "binary", 3);
        var options = new FitOptions
        {
            Epochs = 3, BatchSize = 32, Seed = 7, ValidationSplit = 0.25, Progress = ProgressMode.None,
            EarlyStopping = new EarlyStopping { Monitor = "val_loss", Patience = 3 },
            Schedule = new CosineAnnealing(9, interval: ScheduleInterval.Batch),
        };
        var cpuNet = new GpuTrainerLogistic(seed: 4);
        var cpuSgd = new Sgd(cpuNet, 0.1f, 0.9f, nesterov: true);
        using var cpu = new Trainer(cpuNet, new BinaryCrossEntropy(), cpuSgd);
        var expected = cpu.Fit(train, options);

        using var gpu = CudaDevice.Open();
        var gpuNet = new GpuTrainerLogistic(seed: 4);
        var gpuSgd = new Sgd(gpuNet, 0.1f, 0.9f, nesterov: true);
        using var trainer = new Trainer(gpuNet, new BinaryCrossEntropy(), gpuSgd).UseDevice(gpu);
        var actual = trainer.Fit(train, options);

        AssertClose(expected["loss"], actual["loss"], "loss");
        AssertClose(expected["val_loss"], actual["val_loss"], "val_loss");
        Assert.Equal(expected.BestEpoch, actual.BestEpoch);
        Assert.Equal(expected.RestoredBestWeights, actual.RestoredBestWeights);
        AssertClose(cpuNet.Parameters, gpuNet.Parameters, "weights");

        string path = Path.Combine(Path.GetTempPath(), $"sgnn-gpu-trainer-{Environment.ProcessId}.sgnn");
        try
        {
            WeightFile.Save(gpuNet, path, gpuSgd);
            var loaded = new GpuTrainerLogistic(seed: 99);
            var loadedSgd = new Sgd(loaded, 0.1f, 0.9f, nesterov: true);
            WeightFile.Load(loaded, path, loadedSgd);
            AssertClose(cpuNet.Parameters, loaded.Parameters, "saved weights");
            AssertClose(cpuSgd.ExportState().Buffers[0].Value, loadedSgd.ExportState().Buffers[0].Value, "saved momentum");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Sequences [6, 3] whose step classes (or, for "last", the last step's class) follow the features.</summary>
    private static Dataset Sequences(int n, bool perStep, ulong seed)
    {
        var rng = new SourceGenNN.Kernels.Rng(seed, "gpu-trainer-sequences");
        var x = new float[n * 18];
        var y = new float[n * (perStep ? 6 : 1)];
        for (int i = 0; i < n; i++)
            for (int t = 0; t < 6; t++)
            {
                int c = (int)(rng.NextUInt64() % 4);
                for (int f = 0; f < 3; f++) x[i * 18 + t * 3 + f] = (float)(rng.NextNormal() + (c == f ? 1.5 : c == 3 ? -1 : 0));
                if (perStep) y[i * 6 + t] = c;
                else if (t == 5) y[i] = c;
            }
        return new Dataset(x, y, 18, perStep ? 6 : 1);
    }

    /// <summary>
    /// Fits a network on the CPU and one made alike on the GPU, and checks that the histories, the weights and the random
    /// step (the dropout draws taken) agree. Returns the CPU history.
    /// </summary>
    private static TrainingHistory FitsAlike(Func<INetwork> create, Func<INetwork, Trainer> trainer, Dataset train, FitOptions options)
    {
        var cpuNet = create();
        using var cpu = trainer(cpuNet);
        var expected = cpu.Fit(train, options);
        using var gpu = CudaDevice.Open();
        var gpuNet = create();
        using var onGpu = trainer(gpuNet).UseDevice(gpu);
        var actual = onGpu.Fit(train, options);
        AssertClose(expected["loss"], actual["loss"], "loss");
        AssertClose(expected["val_loss"], actual["val_loss"], "val_loss");
        AssertClose(cpuNet.Parameters, gpuNet.Parameters, "weights");
        Assert.Equal(((IRandomStream)cpuNet).RandomStep, ((IRandomStream)gpuNet).RandomStep);
        return expected;
    }

    [GpuFact]
    public void Fit_of_a_recurrent_tagger_with_cross_entropy_per_step_matches_the_cpu_fit()
    {
        var options = new FitOptions { Epochs = 3, BatchSize = 16, Seed = 6, ValidationData = Sequences(20, perStep: true, 22), Progress = ProgressMode.None };
        var history = FitsAlike(() => new GpuTrainerTagger(seed: 14), n => new Trainer(n, CrossEntropy.PerStep(4), new Adam(n, 0.02f)),
            Sequences(60, perStep: true, 21), options);
        Assert.True(history["loss"][^1] < history["loss"][0], "the tagger learns");
    }

    [GpuFact]
    public void Gradient_clipping_by_norm_and_by_value_runs_on_the_gpu_as_on_the_cpu()
    {
        // SGD (Adam would undo a scaling of every gradient) and limits small enough to clip every step, so that a clipping left out or computed differently changes the weights.
        var train = Sequences(48, perStep: true, 25);
        var options = new FitOptions { Epochs = 2, BatchSize = 16, Seed = 9, Progress = ProgressMode.None };
        using var gpu = CudaDevice.Open();
        foreach (var clipping in new[] { GradientClipping.Norm(0.05), GradientClipping.Norm(0.02, double.PositiveInfinity), GradientClipping.Norm(0.1, 3), GradientClipping.Value(0.004) })
        {
            var cpuNet = new GpuTrainerTagger(seed: 16);
            using var cpu = new Trainer(cpuNet, CrossEntropy.PerStep(4), new Sgd(cpuNet, 0.5f)) { GradientClipping = clipping };
            var expected = cpu.Fit(train, options);
            var gpuNet = new GpuTrainerTagger(seed: 16);
            using var trainer = new Trainer(gpuNet, CrossEntropy.PerStep(4), new Sgd(gpuNet, 0.5f)).UseDevice(gpu);
            trainer.GradientClipping = clipping; // set after UseDevice: the next step takes it to the device
            var actual = trainer.Fit(train, options);
            AssertClose(expected["loss"], actual["loss"], $"{clipping} loss");
            AssertClose(cpuNet.Parameters, gpuNet.Parameters, $"{clipping} weights");
            if (clipping.ByNorm)
            {
                Assert.True(cpu.LastGradientNorm > clipping.Limit, $"{clipping}: the last step clipped ({cpu.LastGradientNorm})");
                Assert.True(Math.Abs(cpu.LastGradientNorm - trainer.LastGradientNorm) <= Tolerance * (1 + cpu.LastGradientNorm),
                    $"{clipping}: GPU norm {trainer.LastGradientNorm}, CPU {cpu.LastGradientNorm}");
            }
            else
            {
                Assert.True(float.IsNaN(trainer.LastGradientNorm));
            }
        }
        // The same fit without clipping ends elsewhere: the test can tell clipping from none.
        var plainNet = new GpuTrainerTagger(seed: 16);
        using var plain = new Trainer(plainNet, CrossEntropy.PerStep(4), new Sgd(plainNet, 0.5f)).UseDevice(gpu);
        plain.Fit(train, options);
        var clippedNet = new GpuTrainerTagger(seed: 16);
        using var clipped = new Trainer(clippedNet, CrossEntropy.PerStep(4), new Sgd(clippedNet, 0.5f)) { GradientClipping = GradientClipping.Norm(0.05) };
        clipped.Fit(train, options);
        Assert.Contains(Enumerable.Range(0, plainNet.Parameters.Length), i => Math.Abs(plainNet.Parameters[i] - clippedNet.Parameters[i]) > 1e-2);
        // Clipping by hand needs the gradients on the CPU: on a device it is refused, pointing at GradientClipping.
        var e = Assert.Throws<NotSupportedException>(() => plain.ClipGradNorm(1.0));
        Assert.Contains("GradientClipping", e.Message);
    }

    [GpuFact]
    public void Fit_of_a_stacked_gru_with_dropout_between_layers_matches_the_cpu_fit()
    {
        var options = new FitOptions { Epochs = 3, BatchSize = 16, Seed = 8, ValidationData = Sequences(20, perStep: false, 24), Progress = ProgressMode.None };
        FitsAlike(() => new GpuTrainerGru(seed: 15), n => new Trainer(n, new CrossEntropy(), new Adam(n, 0.02f)), Sequences(60, perStep: false, 23), options);
    }

    [GpuFact]
    public void Fit_of_a_transformer_encoder_on_the_gpu_matches_the_cpu_fit_with_the_same_dropout_draws()
    {
        // SGD, not Adam: the key bias's gradient is 0 but for rounding noise, which Adam would turn into ±lr steps.
        var options = new FitOptions { Epochs = 2, BatchSize = 16, Seed = 3, ValidationData = Data(20, 4, "classes", 22), Progress = ProgressMode.None };
        FitsAlike(() => new GpuTrainerTransformer(seed: 8), n => new Trainer(n, new CrossEntropy(), new Sgd(n, 0.05f, 0.9f), new Accuracy()),
            Data(60, 4, "classes", 21), options);
    }

    [GpuFact]
    public void Fit_with_dropout_and_rrelu_draws_the_cpu_masks_on_the_gpu_and_ends_at_the_same_random_step()
    {
        var train = Data(100, 4, "classes", 11);
        var options = new FitOptions { Epochs = 3, BatchSize = 16, Seed = 4, ValidationData = Data(40, 4, "classes", 12), Progress = ProgressMode.None };
        var cpuNet = new GpuTrainerDropout(seed: 13);
        using var cpu = new Trainer(cpuNet, new CrossEntropy(), new Adam(cpuNet, 0.01f));
        using var gpu = CudaDevice.Open();
        var gpuNet = new GpuTrainerDropout(seed: 13);
        using var trainer = new Trainer(gpuNet, new CrossEntropy(), new Adam(gpuNet, 0.01f)).UseDevice(gpu);
        // After the executor exists: a new seed, and a stream that does not start at 0, on both sides.
        foreach (var net in new[] { cpuNet, gpuNet })
        {
            net.Initialize(99);
            net.RandomStep = 5;
        }
        var expected = cpu.Fit(train, options);
        var actual = trainer.Fit(train, options);

        AssertClose(expected["loss"], actual["loss"], "loss");
        AssertClose(expected["val_loss"], actual["val_loss"], "val_loss");
        AssertClose(cpuNet.Parameters, gpuNet.Parameters, "weights");
        Assert.Equal(5ul + 21, cpuNet.RandomStep); // 3 epochs of 7 batches
        Assert.Equal(cpuNet.RandomStep, gpuNet.RandomStep); // copied back with the weights

        // A second Fit resumes the stream from where the first left it (uploaded again), and captured graphs are reused.
        expected = cpu.Fit(train, options);
        actual = trainer.Fit(train, options);
        AssertClose(expected["loss"], actual["loss"], "second fit loss");
        AssertClose(cpuNet.Parameters, gpuNet.Parameters, "weights after the second fit");
        Assert.Equal(cpuNet.RandomStep, gpuNet.RandomStep);
    }

    [GpuFact]
    public void Dropout_and_rrelu_first_in_the_network_train_on_the_gpu_as_on_the_cpu()
    {
        // Their backward passes never run (nothing before them needs a gradient), but their training forwards do: the
        // kernels must be compiled all the same ("kernel 'sgnn_dropout_forward' was not compiled" before).
        var train = Data(64, 4, "classes", 21);
        var options = new FitOptions { Epochs = 2, BatchSize = 16, Seed = 3, Progress = ProgressMode.None };
        var cpuNet = new GpuTrainerRandomFirst(seed: 7);
        using var cpu = new Trainer(cpuNet, new CrossEntropy(), new Adam(cpuNet, 0.01f));
        using var gpu = CudaDevice.Open();
        var gpuNet = new GpuTrainerRandomFirst(seed: 7);
        using var trainer = new Trainer(gpuNet, new CrossEntropy(), new Adam(gpuNet, 0.01f)).UseDevice(gpu);
        var expected = cpu.Fit(train, options);
        var actual = trainer.Fit(train, options);
        AssertClose(expected["loss"], actual["loss"], "loss");
        AssertClose(cpuNet.Parameters, gpuNet.Parameters, "weights");
        Assert.Equal(cpuNet.RandomStep, gpuNet.RandomStep);
    }

    [GpuFact]
    public void Train_steps_then_copy_back_match_the_cpu_steps_mse_adamw()
    {
        var data = Data(64, 2, "regression", 4);
        var cpuNet = new GpuTrainerRegression(seed: 5);
        using var cpu = new Trainer(cpuNet, new MeanSquaredError(), new AdamW(cpuNet, 0.01f));
        using var gpu = CudaDevice.Open();
        var gpuNet = new GpuTrainerRegression(seed: 5);
        using var trainer = new Trainer(gpuNet, new MeanSquaredError(), new AdamW(gpuNet, 0.01f)).UseDevice(gpu);
        var x = data.Features.AsSpan(0, 32 * 12).ToArray();
        var y = data.Targets.AsSpan(0, 32 * 2).ToArray();
        for (int i = 0; i < 5; i++)
        {
            float expected = cpu.TrainStep(x, y, 32);
            float actual = trainer.TrainStep(x, y, 32);
            Assert.True(Math.Abs(expected - actual) <= Tolerance * (1 + Math.Abs(expected)), $"step {i}: GPU loss {actual}, CPU {expected}");
        }
        trainer.CopyWeightsToHost();
        AssertClose(cpuNet.Parameters, gpuNet.Parameters, "weights");
        Assert.Equal(5, trainer.Optimizer.Steps);
        AssertClose(cpu.Optimizer.ExportState().Buffers[1].Value, trainer.Optimizer.ExportState().Buffers[1].Value, "exp_avg_sq");
    }

    [GpuFact]
    public void Evaluate_and_predict_on_the_gpu_match_the_cpu_and_follow_weights_loaded_into_the_host_network()
    {
        var data = Data(300, 4, "classes", 6); // more than one 256-sample evaluation batch
        var cpuNet = new GpuTrainerSoftmax(seed: 6);
        using var cpu = new Trainer(cpuNet, new CrossEntropy(), new Sgd(cpuNet), new Accuracy());
        using var gpu = CudaDevice.Open();
        var gpuNet = new GpuTrainerSoftmax(seed: 6);
        using var trainer = new Trainer(gpuNet, new CrossEntropy(), new Sgd(gpuNet), new Accuracy()).UseDevice(gpu);

        for (int round = 0; round < 2; round++)
        {
            var e = cpu.Evaluate(data);
            var a = trainer.Evaluate(data);
            AssertClose([e.Loss], [a.Loss], "loss");
            AssertClose(cpu.Predict(data), trainer.Predict(data), "outputs");
            // New weights in both host networks: the GPU trainer must pick them up on its next call.
            var fresh = new GpuTrainerSoftmax(seed: 60);
            fresh.Parameters.CopyTo(cpuNet.Parameters);
            fresh.Parameters.CopyTo(gpuNet.Parameters);
        }
    }

    [GpuFact]
    public void Fit_with_batches_larger_than_the_first_executor_grows_it_and_matches_the_cpu()
    {
        var train = Data(600, 4, "classes", 8);
        var options = new FitOptions { Epochs = 2, BatchSize = 300, Seed = 2, Progress = ProgressMode.None };
        var cpuNet = new GpuTrainerSoftmax(seed: 9);
        using var cpu = new Trainer(cpuNet, new CrossEntropy(), new Sgd(cpuNet, 0.5f, 0.5f, dampening: 0.1f, weightDecay: 1e-3f));
        var expected = cpu.Fit(train, options);
        using var gpu = CudaDevice.Open();
        var gpuNet = new GpuTrainerSoftmax(seed: 9);
        using var trainer = new Trainer(gpuNet, new CrossEntropy(), new Sgd(gpuNet, 0.5f, 0.5f, dampening: 0.1f, weightDecay: 1e-3f)).UseDevice(gpu);
        var actual = trainer.Fit(train, options);
        AssertClose(expected["loss"], actual["loss"], "loss");
        AssertClose(cpuNet.Parameters, gpuNet.Parameters, "weights");
    }

    [GpuFact]
    public void Fit_of_a_graph_with_batch_norm_matches_the_cpu_including_the_running_statistics_early_stopping_restores()
    {
        var train = Data(100, 4, "classes", 21);
        var options = new FitOptions
        {
            Epochs = 4, BatchSize = 16, Seed = 8, ValidationData = Data(40, 4, "classes", 22), Progress = ProgressMode.None,
            EarlyStopping = new EarlyStopping { Monitor = "val_accuracy", Patience = 10 },
        };
        var cpuNet = new GpuTrainerGraph(seed: 3);
        using var cpu = new Trainer(cpuNet, new CrossEntropy(), new Adam(cpuNet, 0.01f), new Accuracy());
        var expected = cpu.Fit(train, options);
        using var gpu = CudaDevice.Open();
        var gpuNet = new GpuTrainerGraph(seed: 3);
        using var trainer = new Trainer(gpuNet, new CrossEntropy(), new Adam(gpuNet, 0.01f), new Accuracy()).UseDevice(gpu);
        var actual = trainer.Fit(train, options);
        AssertClose(expected["loss"], actual["loss"], "loss");
        AssertClose(expected["val_loss"], actual["val_loss"], "val_loss");
        Assert.Equal(expected.BestEpoch, actual.BestEpoch);
        AssertClose(cpuNet.Parameters, gpuNet.Parameters, "weights");
        AssertClose(cpuNet.Buffers, gpuNet.Buffers, "running statistics");
        Assert.Contains(gpuNet.Buffers.ToArray(), v => v != 0f && v != 1f);
    }
}
