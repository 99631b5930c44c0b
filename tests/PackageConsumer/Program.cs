using System;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using SourceGenNN;
using SourceGenNN.Data;
using SourceGenNN.Metrics;
using SourceGenNN.Plots;
using SourceGenNN.Training;

// Uses SourceGenNN as installed from a package feed: the network below is declared with attributes and the package's
// generator writes the rest. Every member used on Classifier other than the declaration is generated.
//   dotnet run --project tests/PackageConsumer -p:SourceGenNNVersion=V -- [--check-packages FEED]
// With --check-packages it first checks the layout of the packages in FEED (analyzers, lib, readme, licence, symbols,
// no dependency of the core package; the plotting package's dependencies). It ends by drawing the training history with
// SourceGenNN.Plots, installed from the same feed. scripts/package-check.sh runs it. Exits non-zero on any failure.

var inv = CultureInfo.InvariantCulture;
int failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine((ok ? "ok   " : "FAIL ") + what);
    if (!ok) failures++;
}

int feedArg = Array.IndexOf(args, "--check-packages");
if (feedArg >= 0) CheckPackages(args[feedArg + 1]);

// Generated constants and members: none of these exist without the generator.
Check(Classifier.InputSize == 4 && Classifier.OutputSize == 3, $"generated constants: InputSize {Classifier.InputSize}, OutputSize {Classifier.OutputSize}");
Check(Classifier.ParameterCount == 4 * 16 + 16 + 16 * 3 + 3, $"generated ParameterCount {Classifier.ParameterCount}");
var net = new Classifier(seed: 7);
string summary = net.Summary();
Console.WriteLine(summary);
Check(summary.Contains("Dense", StringComparison.Ordinal) && summary.Contains("Total params: 131", StringComparison.Ordinal), "Summary() lists the layers and 131 parameters");

// Three well-separated blobs in 4 dimensions, class = blob.
const int count = 300;
var features = new float[count * 4];
var labels = new float[count];
var rng = new Random(1);
for (int i = 0; i < count; i++)
{
    int c = i % 3;
    labels[i] = c;
    for (int f = 0; f < 4; f++) features[i * 4 + f] = (f == c ? 2f : 0f) + (float)(rng.NextDouble() - 0.5);
}
var data = new Dataset(features, labels, featureCount: 4);
using var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, learningRate: 0.05f), new Accuracy());
var history = trainer.Fit(data, new FitOptions { Epochs = 5, BatchSize = 32, Seed = 1, ValidationSplit = 0.2, Progress = ProgressMode.Lines });
double first = history.Epochs[0].Loss, last = history.Epochs[^1].Loss;
Check(last < first, $"training lowers the loss: {first.ToString("0.0000", inv)} -> {last.ToString("0.0000", inv)}");
Check(history.Epochs[^1]["val_accuracy"] > 0.9, $"validation accuracy {history.Epochs[^1]["val_accuracy"].ToString("0.000", inv)} > 0.9");

var output = new float[Classifier.OutputSize];
net.Forward(data.FeaturesOf(0), output);
Check(Math.Abs(output.Sum() - 1f) < 1e-5f, $"Forward gives probabilities: [{string.Join(", ", output.Select(v => v.ToString("0.0000", inv)))}]");

// The plotting package, with its native renderer, from the same feed.
string png = Path.Combine(Path.GetTempPath(), $"sgnn-consumer-{Environment.ProcessId}.png");
try
{
    var figure = Figures.TrainingHistory(history, "Classifier");
    figure.SavePng(png);
    Check(new FileInfo(png).Length > 10_000 && figure.Panels.Count == 2, $"SourceGenNN.Plots drew the history: {figure.Panels.Count} panels, {new FileInfo(png).Length:N0} bytes");
}
finally
{
    File.Delete(png);
}

Console.WriteLine(failures == 0 ? "Package consumer: all checks passed" : $"Package consumer: {failures} check(s) failed");
return failures == 0 ? 0 : 1;

void CheckPackages(string feed)
{
    var core = Directory.GetFiles(feed, "SourceGenNN.*.nupkg").Where(f => !Path.GetFileName(f).StartsWith("SourceGenNN.Plots.", StringComparison.Ordinal)).ToArray();
    Check(core.Length == 1, $"one SourceGenNN package in {feed}: {string.Join(", ", core.Select(Path.GetFileName))}");
    if (core.Length != 1) return;
    using (var zip = ZipFile.OpenRead(core[0]))
    {
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (var expected in new[] { "analyzers/dotnet/cs/SourceGenNN.Generator.dll", "analyzers/dotnet/cs/SourceGenNN.CodeFixes.dll", "lib/net10.0/SourceGenNN.dll", "lib/net10.0/SourceGenNN.xml", "README.md", "LICENSE" })
            Check(names.Contains(expected), $"{Path.GetFileName(core[0])} holds {expected}");
        Check(!names.Any(n => n.StartsWith("lib/", StringComparison.Ordinal) && n.Contains("Generator", StringComparison.Ordinal)), "the generator is not in lib/ (it must not be referenced)");
        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var deps = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string?)e.Attribute("id")).ToArray();
        Check(deps.Length == 0, $"SourceGenNN has no package dependencies (Roslyn stays private): [{string.Join(", ", deps)}]");
        string Meta(string name) => nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
        Check(Meta("license") == "MIT" && Meta("readme") == "README.md" && Meta("description").Length > 0 && Meta("tags").Length > 0, "nuspec has a licence expression, readme, description and tags");
    }
    Check(File.Exists(Path.ChangeExtension(core[0], ".snupkg")), "a symbols package (.snupkg) beside it");

    var plots = Directory.GetFiles(feed, "SourceGenNN.Plots.*.nupkg");
    Check(plots.Length == 1, $"one SourceGenNN.Plots package in {feed}: {string.Join(", ", plots.Select(Path.GetFileName))}");
    if (plots.Length != 1) return;
    using var plotsZip = ZipFile.OpenRead(plots[0]);
    var plotNames = plotsZip.Entries.Select(e => e.FullName).ToHashSet();
    Check(plotNames.Contains("lib/net10.0/SourceGenNN.Plots.dll") && plotNames.Contains("README.md") && !plotNames.Any(n => n.StartsWith("analyzers/", StringComparison.Ordinal)),
        $"{Path.GetFileName(plots[0])} holds its library and readme, no analyzers");
    var plotSpec = XDocument.Load(plotsZip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
    var plotDeps = plotSpec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => $"{(string?)e.Attribute("id")} {(string?)e.Attribute("version")}").ToArray();
    string coreVersion = Path.GetFileNameWithoutExtension(core[0])["SourceGenNN.".Length..];
    Check(plotDeps.Length == 2 && plotDeps.Contains($"SourceGenNN {coreVersion}") && plotDeps.Contains("ScottPlot 5.1.59"),
        $"SourceGenNN.Plots depends on SourceGenNN {coreVersion} and ScottPlot 5.1.59: [{string.Join(", ", plotDeps)}]");
}

/// <summary>A small classifier: 4 features, 16 ReLU units, 3 classes.</summary>
[Network(4)]
[Dense(16)]
[ReLU]
[Dense(3)]
[Softmax]
public partial class Classifier { }
