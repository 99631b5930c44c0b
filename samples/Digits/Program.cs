using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using SourceGenNN;
using SourceGenNN.Data;
using SourceGenNN.Metrics;
using SourceGenNN.Plots;
using SourceGenNN.Training;

// Digits: the UCI optical handwritten digits, 1,797 images of 8x8 pixel counts (0..16) labelled 0-9. A seeded 80/20
// split; the features are min-max scaled to [0, 1] with the training split's ranges; an MLP 64-64(ReLU)-10(Softmax)
// is trained with cross entropy (fused with the softmax) and Adam, then tested on the 359 held-out images.
// Data: samples/data/digits.csv.gz (64 pixel columns, then the label); provenance in samples/data/README.md.
//   dotnet run -c Release --project samples/Digits
// Options: --data DIR (default: samples/data found above the current folder), --epochs N, --seed N,
//          --plots DIR (write digits-history.png, digits-confusion.png and digits-weights.png there).
// Exits with 1 when the held-out accuracy is below 93%.

var inv = CultureInfo.InvariantCulture;
string dataDir = Option("--data") ?? FindData("digits.csv.gz");
int epochs = int.Parse(Option("--epochs") ?? "40", inv);
if (epochs < 1)
{
    Console.Error.WriteLine($"--epochs must be at least 1; got {epochs}.");
    return 2;
}
ulong seed = ulong.Parse(Option("--seed") ?? "1", inv);

var all = CsvReader.ReadDataset(Path.Combine(dataDir, "digits.csv.gz"));
var (train, test) = all.Split(0.2, seed);
var scaler = new MinMaxScaler().Fit(train);   // the training split's ranges only
scaler.Transform(train);
scaler.Transform(test);
Console.WriteLine($"{all.Count} images of {all.FeatureCount} pixels: {train.Count} for training, {test.Count} held out");

var net = new DigitsMlp(seed);
Console.WriteLine(net.Summary(32));
var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, learningRate: 1e-3f), new Accuracy());
var clock = Stopwatch.StartNew();
var history = trainer.Fit(train, new FitOptions { Epochs = epochs, BatchSize = 32, Seed = seed, Progress = ProgressMode.None });
clock.Stop();

var confusion = new ConfusionMatrix(10);
confusion.Add(test.Labels(), trainer.PredictClasses(test.Features));
Console.WriteLine(confusion);
Console.WriteLine("class  precision  recall      f1  support");
for (int c = 0; c < 10; c++)
{
    long support = 0;
    for (int p = 0; p < 10; p++) support += confusion[c, p];
    Console.WriteLine($"{c,5}  {confusion.Precision(c).ToString("0.000", inv),9}  {confusion.Recall(c).ToString("0.000", inv),6}  {confusion.F1(c).ToString("0.000", inv),6}  {support,7}");
}
Console.WriteLine($"macro  {confusion.MacroPrecision.ToString("0.000", inv),9}  {confusion.MacroRecall.ToString("0.000", inv),6}  {confusion.MacroF1.ToString("0.000", inv),6}  {confusion.Total,7}");
Console.WriteLine();
if (Option("--plots") is { } plots)
{
    Figures.TrainingHistory(history, "Digits 64-64-10").SavePng(Path.Combine(plots, "digits-history.png"));
    Figures.ConfusionMatrix(confusion, title: $"UCI digits, {test.Count} held out (accuracy {confusion.Accuracy.ToString("P2", inv)})").SavePng(Path.Combine(plots, "digits-confusion.png"));
    Figures.WeightHistograms(net).SavePng(Path.Combine(plots, "digits-weights.png"));
    Console.WriteLine($"Plots written to {Path.GetFullPath(plots)}: digits-history.png, digits-confusion.png, digits-weights.png");
}
Console.WriteLine($"Held-out accuracy: {confusion.Accuracy.ToString("P2", inv)} on {test.Count} images (training accuracy {trainer.Evaluate(train)["accuracy"].ToString("P2", inv)})");
Console.WriteLine($"Training took {clock.Elapsed.TotalSeconds.ToString("0.0", inv)} s for {epochs} epochs of {train.Count} images");
return confusion.Accuracy >= 0.93 ? 0 : 1;

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string FindData(string file)
{
    foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "samples", "data");
            if (File.Exists(Path.Combine(candidate, file))) return candidate;
        }
    throw new DirectoryNotFoundException("samples/data was not found above the current folder; pass --data DIR.");
}

/// <summary>The digits MLP: 64 pixels, 64 ReLU units, 10 class probabilities.</summary>
[Network(64)]
[Dense(64)]
[ReLU]
[Dense(10)]
[Softmax]
public partial class DigitsMlp { }
