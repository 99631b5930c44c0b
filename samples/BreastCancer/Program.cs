using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using SourceGenNN;
using SourceGenNN.Data;
using SourceGenNN.Metrics;
using SourceGenNN.Training;

// Breast cancer: the Wisconsin diagnostic data, 569 tumours described by 30 measurements of their cell nuclei, labelled
// 0 malignant or 1 benign. A seeded 80/20 split; every feature standardised with the training split's mean and
// deviation only; an MLP 30-64(ReLU)-32(ReLU)-1(Sigmoid) trained with binary cross entropy (the trainer fuses it with
// the sigmoid and works from the logit) and Adam, then tested on the 114 held-out tumours. Precision, recall and F1 are
// reported for malignant as the positive class (the one a screening test must find), from the library's binary metrics.
// Data: samples/data/breast_cancer.csv.gz (a header line, 30 feature columns, then the label); provenance in
// samples/data/README.md.
//   dotnet run -c Release --project samples/BreastCancer
// Options: --data DIR (default: samples/data found above the current folder), --epochs N, --seed N.
// Exits with 1 when the held-out accuracy is below 93%.

var inv = CultureInfo.InvariantCulture;
string dataDir = Option("--data") ?? FindData("breast_cancer.csv.gz");
int epochs = int.Parse(Option("--epochs") ?? "30", inv);
if (epochs < 1)
{
    Console.Error.WriteLine($"--epochs must be at least 1; got {epochs}.");
    return 2;
}
ulong seed = ulong.Parse(Option("--seed") ?? "1", inv);
const int Malignant = 0;

var all = CsvReader.ReadDataset(Path.Combine(dataDir, "breast_cancer.csv.gz"));   // the header line is skipped
var (train, test) = all.Split(0.2, seed);
var standardizer = new Standardizer().Fit(train);   // statistics of the training split only
standardizer.Transform(train);
standardizer.Transform(test);
Console.WriteLine($"{all.Count} tumours of {all.FeatureCount} features: {train.Count} for training, {test.Count} held out " +
    $"({CountOf(test, Malignant)} malignant, {test.Count - CountOf(test, Malignant)} benign)");

var net = new CancerMlp(seed);
Console.WriteLine(net.Summary(32));
var trainer = new Trainer(net, new BinaryCrossEntropy(), new Adam(net, learningRate: 1e-3f), new Accuracy(),
    new Precision(Averaging.Binary, positiveClass: Malignant), new Recall(Averaging.Binary, positiveClass: Malignant),
    new F1Score(Averaging.Binary, positiveClass: Malignant));
var clock = Stopwatch.StartNew();
trainer.Fit(train, new FitOptions { Epochs = epochs, BatchSize = 32, Seed = seed, Progress = ProgressMode.None });
clock.Stop();

var result = trainer.Evaluate(test);
var confusion = new ConfusionMatrix(2, ["malignant", "benign"]);
confusion.Add(test.Labels(), trainer.PredictClasses(test.Features));   // output ≥ 0.5 means benign
Console.WriteLine(confusion);
Console.WriteLine($"Held-out accuracy:  {result["accuracy"].ToString("P2", inv)} on {test.Count} tumours (loss {result.Loss.ToString("0.0000", inv)})");
Console.WriteLine($"Malignant as positive: precision {result["precision"].ToString("0.000", inv)}, recall {result["recall"].ToString("0.000", inv)}, F1 {result["f1"].ToString("0.000", inv)}");
Console.WriteLine($"Training accuracy:  {trainer.Evaluate(train)["accuracy"].ToString("P2", inv)}; training took {clock.Elapsed.TotalSeconds.ToString("0.00", inv)} s for {epochs} epochs of {train.Count} tumours");
return result["accuracy"] >= 0.93 ? 0 : 1;

static int CountOf(Dataset data, int label)
{
    int n = 0;
    foreach (int l in data.Labels()) if (l == label) n++;
    return n;
}

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

/// <summary>The breast-cancer MLP: 30 features, 64 and 32 ReLU units, the probability of a benign tumour.</summary>
[Network(30)]
[Dense(64)]
[ReLU]
[Dense(32)]
[ReLU]
[Dense(1)]
[Sigmoid]
public partial class CancerMlp { }
