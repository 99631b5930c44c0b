using System;
using System.Collections.Generic;
using SourceGenNN.Cuda;
using SourceGenNN.Data;
using SourceGenNN.Training;

namespace GpuCheck;

/// <summary>
/// <see cref="Trainer.UseDevice"/>: the same <see cref="Trainer.Fit"/> on the GPU and on the CPU (the generated network
/// on both sides) must give the same history and final weights.
/// </summary>
internal static class TrainerChecks
{
    public static IEnumerable<(string, Func<string?>)> All(CudaDevice gpu)
    {
        yield return ("Trainer.Fit 3 epochs GPU vs CPU: 20-16-4 softmax, CE (class indices), Adam, step decay, validation",
            () => Fit(gpu, s => new TrainerCe(s), n => new CrossEntropy(), n => new Adam(n, 0.01f), classes: true, new StepDecay(1, 0.5)));
        yield return ("Trainer.Fit 3 epochs GPU vs CPU: 20-12-1 sigmoid, BCE, SGD Nesterov, per-batch cosine, early stopping",
            () => Fit(gpu, s => new TrainerBce(s), n => new BinaryCrossEntropy(), n => new Sgd(n, 0.1f, 0.9f, nesterov: true), classes: false,
                new CosineAnnealing(12, interval: ScheduleInterval.Batch), new EarlyStopping { Monitor = "val_loss", Patience = 5 }));
        yield return ("Trainer.Fit 3 epochs GPU vs CPU: 20-16-4 with dropout and RReLU, CE, Adam (the CPU's masks on the GPU)",
            () => Fit(gpu, s => new TrainerDropout(s), n => new CrossEntropy(), n => new Adam(n, 0.01f), classes: true, new StepDecay(2, 0.5)));
        yield return ("Trainer.Fit 3 epochs GPU vs CPU: 20-16 residual block with LayerNorm-4 softmax, CE, Adam",
            () => Fit(gpu, s => new TrainerResidual(s), n => new CrossEntropy(), n => new Adam(n, 0.01f), classes: true, new StepDecay(2, 0.5)));
    }

    private static Dataset Data(int count, bool classes, int seed)
    {
        var r = new Random(seed);
        var x = new float[count * 20];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            int c = r.Next(4);
            for (int f = 0; f < 20; f++) x[i * 20 + f] = (float)(r.NextDouble() * 2 - 1 + (f % 4 == c ? 1 : 0));
            y[i] = classes ? c : c >= 2 ? 1 : 0;
        }
        return new Dataset(x, y, 20);
    }

    private static string? Fit(CudaDevice gpu, Func<ulong, SourceGenNN.INetwork> create, Func<SourceGenNN.INetwork, Loss> loss, Func<SourceGenNN.INetwork, Optimizer> optimizer,
        bool classes, LearningRateSchedule schedule, EarlyStopping? stop = null)
    {
        var options = new FitOptions
        {
            Epochs = 3, BatchSize = 16, Seed = 3, ValidationData = Data(40, classes, 2), Progress = ProgressMode.None,
            Schedule = schedule, EarlyStopping = stop,
        };
        var train = Data(100, classes, 1); // batches of 16 and a last one of 4
        var cpuNet = create(5);
        var cpuHistory = new Trainer(cpuNet, loss(cpuNet), optimizer(cpuNet)).Fit(train, options);
        var gpuNet = create(5);
        using var trainer = new Trainer(gpuNet, loss(gpuNet), optimizer(gpuNet));
        trainer.UseDevice(gpu); // the one-line switch under test
        var gpuHistory = trainer.Fit(train, options);
        foreach (string key in new[] { "loss", "val_loss" })
        {
            double[] e = cpuHistory[key], a = gpuHistory[key];
            if (Program.Compare(ToFloat(a), ToFloat(e), key) is { } failure) return failure;
        }
        ulong gpuStep = ((SourceGenNN.IRandomStream)gpuNet).RandomStep, cpuStep = ((SourceGenNN.IRandomStream)cpuNet).RandomStep;
        if (gpuStep != cpuStep) return $"RandomStep after Fit: GPU {gpuStep}, CPU {cpuStep}";
        return Program.Compare(gpuNet.Parameters, cpuNet.Parameters, "weights after Fit");

        static float[] ToFloat(double[] v) => Array.ConvertAll(v, x => (float)x);
    }
}
