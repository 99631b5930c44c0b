using System;
using System.Linq;
using SourceGenNN.Cuda;
using SourceGenNN.Data;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Cuda;

/// <summary>
/// 12 → 8 → BatchNorm1d → Tanh → 2, for mean squared error: a regression with running statistics. (No bias before the
/// BatchNorm: its gradient would be exactly zero, and Adam would turn the rounding noise into ±lr steps.)
/// </summary>
[Network(12)]
[Dense(8, Bias = false)] [BatchNorm1d(Momentum = 0.3)] [Tanh]
[Dense(2)]
public partial class GpuTrainerNormRegression { }

/// <summary>
/// <see cref="Trainer.Fit"/>'s checks on the GPU path: the data checked before anything reaches the device, and a
/// non-finite loss stopping or skipping a step that the device then applies nothing of (the update, the step count,
/// the running statistics), as on the CPU. Skipped without a GPU; failing under SOURCEGENNN_REQUIRE_GPU=1.
/// </summary>
public class TrainerGpuMisuseTests
{
    private const double Tolerance = 1e-3;

    /// <summary>100 samples; sample 37's first target is 3e38, finite, but its squared error overflows: batch 3 of 16.</summary>
    private static Dataset Data()
    {
        var rng = new SourceGenNN.Kernels.Rng(31, "gpu-misuse");
        var x = new float[100 * 12];
        var y = new float[100 * 2];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextNormal();
        for (int i = 0; i < 100; i++)
        {
            y[i * 2] = 0.5f * x[i * 12] - x[i * 12 + 3];
            y[i * 2 + 1] = x[i * 12 + 5];
        }
        y[37 * 2] = 3e38f;
        return new Dataset(x, y, 12, 2);
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]), $"{what}[{i}] is {actual[i]} on the GPU");
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}]: GPU {actual[i]}, CPU {expected[i]}");
        }
    }

    private static (GpuTrainerNormRegression Net, Trainer Trainer) Make(CudaDevice? device)
    {
        var net = new GpuTrainerNormRegression(seed: 2);
        var trainer = new Trainer(net, new MeanSquaredError(), new Adam(net, 0.01f));
        if (device is not null) trainer.UseDevice(device);
        return (net, trainer);
    }

    private static void AssertSameTraining((GpuTrainerNormRegression Net, Trainer Trainer) cpu, (GpuTrainerNormRegression Net, Trainer Trainer) gpu)
    {
        AssertClose(cpu.Net.Parameters, gpu.Net.Parameters, "weights");
        AssertClose(cpu.Net.Buffers, gpu.Net.Buffers, "running statistics");
        Assert.Equal(cpu.Trainer.Optimizer.Steps, gpu.Trainer.Optimizer.Steps);
        var (c, g) = (cpu.Trainer.Optimizer.ExportState(), gpu.Trainer.Optimizer.ExportState());
        AssertClose(c.Buffers[0].Value, g.Buffers[0].Value, "exp_avg");
        AssertClose(c.Buffers[1].Value, g.Buffers[1].Value, "exp_avg_sq");
    }

    [GpuFact]
    public void A_non_finite_loss_on_the_gpu_stops_Fit_with_nothing_of_that_step_applied_as_on_the_cpu()
    {
        // Before: the device ran the update of the step whose loss was +∞ before the loss was read back.
        var options = new FitOptions { Epochs = 2, BatchSize = 16, Shuffle = false, Progress = ProgressMode.None };
        var cpu = Make(null);
        var expected = Assert.Throws<InvalidOperationException>(() => cpu.Trainer.Fit(Data(), options));
        Assert.StartsWith("The loss is Infinity at epoch 1 of 2, batch 3 of 7", expected.Message);
        Assert.Equal(2, cpu.Trainer.Optimizer.Steps);

        using var device = CudaDevice.Open();
        var gpu = Make(device);
        using var _ = gpu.Trainer;
        var actual = Assert.Throws<InvalidOperationException>(() => gpu.Trainer.Fit(Data(), options));
        Assert.Equal(expected.Message, actual.Message);
        AssertSameTraining(cpu, gpu); // copied back before the error
    }

    [GpuFact]
    public void With_Skip_the_gpu_skips_the_step_as_the_cpu_does_running_statistics_included()
    {
        var options = new FitOptions { Epochs = 2, BatchSize = 16, Shuffle = false, Progress = ProgressMode.None, NonFiniteLoss = NonFiniteLossAction.Skip };
        var cpu = Make(null);
        var expected = cpu.Trainer.Fit(Data(), options);
        Assert.Equal(new[] { 1, 1 }, expected.Epochs.Select(e => e.SkippedBatches));
        Assert.Equal(12, cpu.Trainer.Optimizer.Steps);

        using var device = CudaDevice.Open();
        var gpu = Make(device);
        using var _ = gpu.Trainer;
        var actual = gpu.Trainer.Fit(Data(), options);
        Assert.Equal(new[] { 1, 1 }, actual.Epochs.Select(e => e.SkippedBatches));
        for (int e = 0; e < 2; e++)
            Assert.True(Math.Abs(expected.Epochs[e].Loss - actual.Epochs[e].Loss) <= Tolerance * (1 + expected.Epochs[e].Loss), $"epoch {e + 1} loss");
        AssertSameTraining(cpu, gpu);

        // The guard is Fit's: a bare TrainStep afterwards applies its update whatever the loss, as on the CPU.
        var data = Data();
        float loss = gpu.Trainer.TrainStep(data.Features.AsSpan(32 * 12, 16 * 12), data.Targets.AsSpan(32 * 2, 16 * 2), 16);
        Assert.Equal(float.PositiveInfinity, loss);
        gpu.Trainer.CopyWeightsToHost();
        Assert.Equal(13, gpu.Trainer.Optimizer.Steps);
    }

    [GpuFact]
    public void The_data_is_checked_before_anything_reaches_the_device()
    {
        var data = Data();
        data.Targets[37 * 2] = 0f;
        data.Features[5 * 12 + 7] = float.NaN;
        using var device = CudaDevice.Open();
        var gpu = Make(device);
        using var _ = gpu.Trainer;
        var before = gpu.Net.Parameters.ToArray();
        var e = Assert.Throws<ArgumentException>(() => gpu.Trainer.Fit(data, new FitOptions { Progress = ProgressMode.None }));
        Assert.StartsWith("'train' sample 5, feature 7 is NaN", e.Message);
        gpu.Trainer.CopyWeightsToHost();
        Assert.Equal(before, gpu.Net.Parameters.ToArray());
        Assert.Equal(0, gpu.Trainer.Optimizer.Steps);
    }
}
