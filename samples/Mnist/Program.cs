using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using SourceGenNN;
using SourceGenNN.Cuda;
using SourceGenNN.Data;
using SourceGenNN.Distributed;
using SourceGenNN.IO;
using SourceGenNN.Metrics;
using SourceGenNN.Plots;
using SourceGenNN.Training;

// MNIST: an MLP 784-128(ReLU)-10 trained with Adam on 8,000 digits of the mnist10k sample and tested on the other 2,000.
//   dotnet run -c Release --project samples/Mnist                     train, report, save weights to mnist.sgnn
//   dotnet run -c Release --project samples/Mnist -- predict [n]      load mnist.sgnn and predict the first n held-out digits
//   dotnet run -c Release --project samples/Mnist -- predict 10 --safetensors FILE
//                                                                     the same with PyTorch weights (state_dict names 0.*, 2.*)
// Training also exports the weights as mnist.safetensors, loadable into torch.nn.Sequential(Linear, ReLU, Linear).
// Options: --data DIR (default: samples/data found above the current folder), --weights FILE, --epochs N, --seed N,
//          --gpu (train and predict on the first CUDA GPU; without one, print why and exit with 2),
//          --plots DIR (training: write mnist-history.png, mnist-confusion.png and mnist-weights.png there),
//          --mpi (training: data-parallel over the processes of mpirun, docs/distributed.md; rank 0 prints and saves):
//            mpirun -np 2 dotnet samples/Mnist/bin/Release/net10.0/Mnist.dll --mpi

var inv = CultureInfo.InvariantCulture;
string mode = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "train";
string dataDir = Option("--data") ?? FindData();
string weights = Option("--weights") ?? "mnist.sgnn";
string? plots = Option("--plots");
int epochs = int.Parse(Option("--epochs") ?? "20", inv);
if (epochs < 1)
{
    Console.Error.WriteLine($"--epochs must be at least 1; got {epochs}.");
    return 2;
}
ulong seed = ulong.Parse(Option("--seed") ?? "1", inv);
using CudaDevice? gpu = args.Contains("--gpu") ? OpenGpu() : null;
if (args.Contains("--gpu") && gpu is null) return 2;
using MpiCommunicator? mpi = args.Contains("--mpi") ? MpiCommunicator.Initialize() : null;
bool primary = mpi is null || mpi.Rank == 0; // under mpirun, rank 0 alone prints and saves

var all = IdxReader.ReadDataset(Path.Combine(dataDir, "mnist10k-images-idx3-ubyte.gz"), Path.Combine(dataDir, "mnist10k-labels-idx1-ubyte.gz"));
// The file is already shuffled with a fixed seed, so the first 8,000 are the training set and the last 2,000 are held out.
var train = all.Slice(0, 8000);
var test = all.Slice(8000, 2000);
var net = new Mlp(seed);

if (mode == "train")
{
    if (primary) Console.WriteLine(net.Summary(64));
    if (mpi is not null && primary) Console.WriteLine($"Data-parallel on {mpi.Size} processes: each trains on its {64 / mpi.Size} of every batch of 64");
    var optimizer = new Adam(net, learningRate: 1e-3f);
    using var trainer = new Trainer(net, new CrossEntropy(), optimizer, new Accuracy());
    trainer.UseDevice(gpu); // the one-line switch: null keeps the CPU
    if (mpi is not null) trainer.UseDistributed(mpi); // the other one: data-parallel over the mpirun processes
    var clock = Stopwatch.StartNew();
    var history = trainer.Fit(train, new FitOptions { Epochs = epochs, BatchSize = 64, Seed = seed, ValidationData = test });
    clock.Stop();
    if (!primary) return 0;

    var predicted = trainer.PredictClasses(test.Features);
    var confusion = new ConfusionMatrix(10);
    confusion.Add(test.Labels(), predicted);
    Console.WriteLine();
    Console.WriteLine(confusion);
    if (plots is not null)
    {
        // On a GPU the gradients stay on the device: the histograms then show the weights only.
        Figures.TrainingHistory(history, "MNIST 784-128-10").SavePng(Path.Combine(plots, "mnist-history.png"));
        Figures.ConfusionMatrix(confusion, title: $"MNIST, {test.Count} held-out digits (accuracy {confusion.Accuracy.ToString("P2", inv)})").SavePng(Path.Combine(plots, "mnist-confusion.png"));
        Figures.WeightHistograms(net, gradients: gpu is null).SavePng(Path.Combine(plots, "mnist-weights.png"));
        Console.WriteLine($"Plots written to {Path.GetFullPath(plots)}: mnist-history.png, mnist-confusion.png, mnist-weights.png");
    }
    Console.WriteLine($"Held-out accuracy: {confusion.Accuracy.ToString("P2", inv)} on {test.Count} digits (macro F1 {confusion.MacroF1.ToString("0.0000", inv)})");
    Console.WriteLine($"Training took {clock.Elapsed.TotalSeconds.ToString("0.0", inv)} s for {epochs} epochs of {train.Count} digits");
    WeightFile.Save(net, weights, optimizer);
    Console.WriteLine($"Weights saved to {Path.GetFullPath(weights)}");
    string exported = Path.ChangeExtension(weights, ".safetensors");
    SafeTensors.Save(net, exported, new System.Collections.Generic.Dictionary<string, string> { ["format"] = "pt" });
    Console.WriteLine($"PyTorch weights saved to {Path.GetFullPath(exported)}");
    return confusion.Accuracy >= 0.93 ? 0 : 1;
}
if (mode == "predict")
{
    int n = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) && int.TryParse(args[1], NumberStyles.Integer, inv, out int k) ? k : 10;
    n = Math.Clamp(n, 1, test.Count);
    if (Option("--safetensors") is { } pt)
    {
        SafeTensors.Load(net, pt);
        Console.WriteLine($"Loaded {net.Description.ParameterCount:N0} parameters from {Path.GetFullPath(pt)}");
    }
    else
    {
        var info = WeightFile.Load(net, weights);
        Console.WriteLine($"Loaded {info.ParameterCount:N0} parameters of '{info.NetworkName}' from {Path.GetFullPath(weights)}");
    }
    // A loaded model predicts on its own (net.Predict, evaluation mode); a trainer is only the way onto a GPU.
    using var trainer = gpu is null ? null : new Trainer(net, new CrossEntropy(), new Adam(net), new Accuracy()).UseDevice(gpu);
    var first = test.Features.AsSpan(0, n * 784);
    var probabilities = Softmax(trainer?.Predict(first) ?? net.Predict(first).AsSpan().ToArray());
    var labels = test.Labels();
    for (int i = 0; i < n; i++)
    {
        var row = probabilities.AsSpan(i * 10, 10);
        int best = ClassificationMetrics.ArgMax(row);
        Console.WriteLine($"digit {i,4}: predicted {best} ({row[best].ToString("P1", inv)}), actual {labels[i]}{(best == labels[i] ? "" : "  ✗")}");
    }
    double accuracy = trainer?.Evaluate(test)["accuracy"] ?? ClassificationMetrics.Accuracy(labels, net.PredictClasses(test));
    Console.WriteLine($"Held-out accuracy of the loaded weights: {accuracy.ToString("P2", inv)}");
    return 0;
}
Console.Error.WriteLine($"Unknown mode '{mode}': use 'train' or 'predict'.");
return 2;

static CudaDevice? OpenGpu()
{
    try
    {
        var device = CudaDevice.Open();
        Console.WriteLine("GPU: " + device.Describe());
        return device;
    }
    catch (CudaUnavailableException e)
    {
        Console.Error.WriteLine(e.Message);
        return null;
    }
}

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string FindData()
{
    foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "samples", "data");
            if (File.Exists(Path.Combine(candidate, "mnist10k-images-idx3-ubyte.gz"))) return candidate;
        }
    throw new DirectoryNotFoundException("samples/data was not found above the current folder; pass --data DIR.");
}

static float[] Softmax(float[] logits)
{
    var p = new float[logits.Length];
    for (int r = 0; r < logits.Length / 10; r++)
    {
        var z = logits.AsSpan(r * 10, 10);
        float max = float.NegativeInfinity;
        foreach (float v in z) max = MathF.Max(max, v);
        float sum = 0;
        for (int i = 0; i < 10; i++) sum += p[r * 10 + i] = MathF.Exp(z[i] - max);
        for (int i = 0; i < 10; i++) p[r * 10 + i] /= sum;
    }
    return p;
}

/// <summary>The MNIST MLP: 784 pixels, 128 ReLU units, 10 logits (cross entropy applies the softmax).</summary>
[Network(784)]
[Dense(128)]
[ReLU]
[Dense(10)]
public partial class Mlp { }
