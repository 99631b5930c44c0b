using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using SourceGenNN;
using SourceGenNN.Data;
using SourceGenNN.Kernels;
using SourceGenNN.Metrics;
using SourceGenNN.Training;

// Synthetic: the course's synthetic task. Each sample is 784 seeded uniform [0, 1) features; its class is which of ten
// equally likely ranges their sum falls in. The sum has mean 392 and variance 784/12 (deviation 8.08); the nine range
// boundaries are the deciles of the sums of 100,000 further seeded samples, so the middle ranges are only about two
// units wide. The features are standardised with the training statistics; 10,000 samples train an MLP
// 784-128(ReLU)-10 for 10 epochs with cross entropy and Adam; 2,000 more test it (and are shown as validation data
// while it trains, for the curve only: nothing is chosen with them).
// No data file: everything is generated here from --seed (samples/data/README.md lists the real data sets).
//   dotnet run -c Release --project samples/Synthetic
// Options: --epochs N, --seed N, --train N, --test N.
//
// What to expect: a model that looks only at the sum reaches 100% by construction (the label is a threshold of the
// sum). An MLP must find that out from examples: learn a hidden direction proportional to (1, 1, ..., 1), i.e. the
// linear sum, to within a fraction of a unit, and then nine fine thresholds on it. Every error in the 784 learned
// weights adds noise to its estimate of the sum, and 10,000 samples fix those weights only roughly: the net memorises
// the training set (100% there after about 8 epochs) but gets only 43-46% of the held-out samples (seeds 1-8), and
// most of its mistakes are off by one class (87-89% of its predictions are within one). More data is what helps:
// 30,000 training samples give about 66%. Unscaled [0, 1) inputs leave it at chance (10%): their common mean 0.5 lies
// exactly along the sum direction, where it dwarfs the spread that carries the class (392 against 8), so the weights
// along it and the biases must cancel finely, an ill-conditioned problem for gradient descent; PyTorch 1.13 with the
// same network and optimiser does the same (10% raw, 45% standardised).
// Exits with 1 when the held-out accuracy is below 40%, just below what this sample reliably reaches.

var inv = CultureInfo.InvariantCulture;
int epochs = int.Parse(Option("--epochs") ?? "10", inv);
if (epochs < 1)
{
    Console.Error.WriteLine($"--epochs must be at least 1; got {epochs}.");
    return 2;
}
ulong seed = ulong.Parse(Option("--seed") ?? "1", inv);
int trainCount = int.Parse(Option("--train") ?? "10000", inv);
int testCount = int.Parse(Option("--test") ?? "2000", inv);
const int Features = 784, Classes = 10;
const double Bar = 0.40;

double[] boundaries = SumDeciles(seed, 100_000);
Console.WriteLine($"Sum of {Features} uniform [0, 1) features: mean {Features / 2.0}, deviation {Math.Sqrt(Features / 12.0).ToString("0.00", inv)}; " +
    $"class boundaries (deciles of 100,000 seeded sums): {string.Join(" ", Array.ConvertAll(boundaries, b => b.ToString("0.00", inv)))}");
var train = Generate(trainCount, new Rng(seed, "synthetic-train"), boundaries);
var test = Generate(testCount, new Rng(seed, "synthetic-test"), boundaries);
var standardizer = new Standardizer().Fit(train);   // each feature to mean 0, deviation 1 (training statistics)
standardizer.Transform(train);
standardizer.Transform(test);
Console.WriteLine($"{train.Count} training and {test.Count} test samples");

var net = new SyntheticMlp(seed);
Console.WriteLine(net.Summary(64));
var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, learningRate: 1e-3f), new Accuracy());
var clock = Stopwatch.StartNew();
trainer.Fit(train, new FitOptions { Epochs = epochs, BatchSize = 64, Seed = seed, ValidationData = test });
clock.Stop();

int[] actual = test.Labels(), predicted = trainer.PredictClasses(test.Features);
var confusion = new ConfusionMatrix(Classes);
confusion.Add(actual, predicted);
int withinOne = 0;
for (int i = 0; i < actual.Length; i++) if (Math.Abs(actual[i] - predicted[i]) <= 1) withinOne++;
Console.WriteLine();
Console.WriteLine(confusion);
Console.WriteLine($"Held-out accuracy: {confusion.Accuracy.ToString("P2", inv)} on {test.Count} samples (chance 10%; a model of the sum alone: 100%)");
Console.WriteLine($"Predicted within one class of the truth: {((double)withinOne / actual.Length).ToString("P2", inv)}; " +
    $"training accuracy {trainer.Evaluate(train)["accuracy"].ToString("P2", inv)}");
Console.WriteLine($"Training took {clock.Elapsed.TotalSeconds.ToString("0.0", inv)} s for {epochs} epochs of {train.Count} samples");
return confusion.Accuracy >= Bar ? 0 : 1;

// The deciles of the sums of n seeded samples (a stream of its own, so they do not depend on the data sets' sizes).
static double[] SumDeciles(ulong seed, int n)
{
    var rng = new Rng(seed, "synthetic-boundaries");
    var sums = new double[n];
    for (int i = 0; i < n; i++)
    {
        double s = 0;
        for (int j = 0; j < Features; j++) s += (float)rng.NextDouble();
        sums[i] = s;
    }
    Array.Sort(sums);
    var q = new double[Classes - 1];
    for (int k = 1; k < Classes; k++)
    {
        double pos = (double)k / Classes * (n - 1);   // linear interpolation between order statistics (NumPy's default)
        int lo = (int)pos;
        q[k - 1] = sums[lo] + (pos - lo) * (sums[Math.Min(lo + 1, n - 1)] - sums[lo]);
    }
    return q;
}

static Dataset Generate(int count, Rng rng, double[] boundaries)
{
    var x = new float[count * Features];
    var y = new float[count];
    for (int i = 0; i < count; i++)
    {
        double s = 0;
        for (int j = 0; j < Features; j++) s += x[i * Features + j] = (float)rng.NextDouble();
        int c = 0;
        while (c < boundaries.Length && s >= boundaries[c]) c++;
        y[i] = c;
    }
    return new Dataset(x, y, Features);
}

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

/// <summary>The synthetic-task MLP: 784 features, 128 ReLU units, 10 logits (cross entropy applies the softmax).</summary>
[Network(784)]
[Dense(128)]
[ReLU]
[Dense(10)]
public partial class SyntheticMlp { }
